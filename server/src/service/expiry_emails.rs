//! The expiry emails (`vouch send-expiry-emails`, Open edX `send_verification_expiry_email`):
//! for each learner whose approval expires within `verification.expiring_soon_window` days,
//! or expired within the same number of days (Open edX's `DAYS_RANGE`), the learner's
//! status as the verification service sees it (filters included) decides: "expiring soon"
//! when the status is an approval expiring soon, "expired" when it is expired. Each email
//! goes once per attempt (the approval that expires), except that "expired" is sent again
//! every `verification.expiry_email_resend_days` days while the learner has not verified
//! again, up to `verification.expiry_email_default_emails` in all (Open edX's
//! `RESEND_DAYS` and `DEFAULT_EMAILS`), and never once the expiry is `resend_days *
//! (default_emails - 1)` days past (Open edX's bound). Learners are handled in batches with a pause
//! between them, and a dry run counts without sending or recording anything.

use super::{
    ServiceResult, Services,
    emails::{Outcome, send_once_keyed},
    idv,
};
use crate::{
    email::{
        EmailError,
        templates::{Context, Email, render},
    },
    store::{emails_sent, users},
};
use app::domain::{UserId, UserStatusKind};
use chrono::Duration;
use serde::Serialize;

/// What one run did (or, in a dry run, would do).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ExpiryReport {
    /// Learners looked at.
    pub candidates: usize,
    /// "Expiring soon" emails sent.
    pub sent_expiring_soon: usize,
    /// First "expired" emails sent.
    pub sent_expired: usize,
    /// "Expired" emails sent again (`expiry_email_resend_days` after the last one).
    pub resent_expired: usize,
    /// Emails that had been sent before (and are not due again).
    pub already_sent: usize,
    /// Learners needing no email (renewed, pending, no address).
    pub skipped: usize,
    /// Emails that failed (tried again by the next run).
    pub failed: usize,
    /// Batches of learners handled.
    pub batches: usize,
    /// Nothing was sent or recorded: the counts say what a real run would send.
    pub dry_run: bool,
}

/// How a run goes through the learners.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RunOptions {
    /// Learners per batch (at least 1).
    pub batch_size: usize,
    /// The pause between two batches.
    pub sleep: std::time::Duration,
    /// Count only: send and record nothing.
    pub dry_run: bool,
}

impl Default for RunOptions {
    fn default() -> Self {
        Self { batch_size: 1000, sleep: std::time::Duration::ZERO, dry_run: false }
    }
}

/// The learners the run looks at: approvals expiring (or expired) within the window, and
/// learners whose "expired" email is due to be sent again.
pub async fn candidates(services: &Services) -> ServiceResult<Vec<UserId>> {
    let now = services.clock.now();
    let v = &services.cfg.verification;
    let window = Duration::days(v.expiring_soon_window.max(0));
    let mut conn = services.store.conn().await?;
    let mut out =
        emails_sent::users_with_approvals_expiring(&mut conn, now - window, now + window, v.days_good_for).await?;
    if v.expiry_email_resend_days > 0 {
        let due_before = now - Duration::days(v.expiry_email_resend_days);
        let first_after = now - resend_bound(v) - Duration::days(v.expiry_email_resend_days);
        let kind = Email::Expired { expired: now }.kind();
        out.extend(
            emails_sent::users_due_a_resend(&mut conn, kind, v.expiry_email_default_emails, due_before, first_after)
                .await?,
        );
        out.sort_unstable();
        out.dedup();
    }
    Ok(out)
}

/// Open edX's bound on resends: `resend_days * (default_emails - 1)` days after the expiry.
fn resend_bound(v: &crate::config::VerificationConfig) -> Duration {
    Duration::days(v.expiry_email_resend_days.max(0) * (v.expiry_email_default_emails - 1).max(0))
}

/// Whether an "expired" email is sent again. Open edX decides when it sends an email: if
/// the days since the expiry have reached the bound, that email is the last. So a resend
/// follows only an email sent before the bound, and is due `resend_days` after it: a run
/// later than that (the first run after an upgrade, for an approval that expired years
/// ago) finds it past its time and sends nothing.
fn within_resend_bound(
    v: &crate::config::VerificationConfig,
    expires: chrono::DateTime<chrono::Utc>,
    last_sent: chrono::DateTime<chrono::Utc>,
    now: chrono::DateTime<chrono::Utc>,
) -> bool {
    let bound = resend_bound(v);
    last_sent - expires < bound && now - expires < bound + Duration::days(v.expiry_email_resend_days)
}

/// Which email one learner gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Sent {
    ExpiringSoon,
    Expired,
    ExpiredAgain,
}

/// Sends the expiry emails of `users`, `options.batch_size` learners at a time with
/// `options.sleep` between batches, calling `progress` after each learner.
pub async fn send_expiry_emails(
    services: &Services,
    users_to_check: &[UserId],
    options: RunOptions,
    mut progress: impl FnMut(),
) -> ServiceResult<ExpiryReport> {
    let mut report = ExpiryReport { candidates: users_to_check.len(), dry_run: options.dry_run, ..Default::default() };
    let policy = services.policy();
    for (i, batch) in users_to_check.chunks(options.batch_size.max(1)).enumerate() {
        if i > 0 && !options.sleep.is_zero() {
            tokio::time::sleep(options.sleep).await;
        }
        report.batches += 1;
        for &user in batch {
            match one(services, user, &policy, options.dry_run).await {
                Ok(Some((Outcome::Sent, Sent::ExpiringSoon))) => report.sent_expiring_soon += 1,
                Ok(Some((Outcome::Sent, Sent::Expired))) => report.sent_expired += 1,
                Ok(Some((Outcome::Sent, Sent::ExpiredAgain))) => report.resent_expired += 1,
                Ok(Some((Outcome::AlreadySent, _))) => report.already_sent += 1,
                Ok(Some((Outcome::NoAddress, _)) | None) => report.skipped += 1,
                Err(e) => {
                    tracing::warn!(user.id = %user, error = %e, "an expiry email failed");
                    report.failed += 1;
                }
            }
            progress();
        }
    }
    Ok(report)
}

/// One learner: `Some((outcome, which email))`, or None when no email is due.
async fn one(
    services: &Services,
    user: UserId,
    policy: &app::domain::Policy,
    dry_run: bool,
) -> Result<Option<(Outcome, Sent)>, EmailError> {
    let internal = |e: super::ServiceError| EmailError::Smtp(format!("reading the learner's status: {e}"));
    let store = |e: crate::store::StoreError| internal(e.into());
    let status = idv::user_status(services, user).await.map_err(internal)?;
    let expired = match status.status {
        UserStatusKind::Expired => true,
        UserStatusKind::Approved if status.expiring_soon => false,
        _ => return Ok(None),
    };
    // The approval that decides the status: the one expiring last.
    let attempts = idv::verifications_for_user(services, user).await.map_err(internal)?;
    let Some((approval, expires)) = attempts
        .iter()
        .filter(|v| v.status.is_approved())
        .filter_map(|v| v.expiration_datetime(policy).map(|e| (v, e)))
        .max_by_key(|(_, e)| *e)
    else {
        return Ok(None);
    };
    let email = if expired { Email::Expired { expired: expires } } else { Email::ExpiringSoon { expires } };
    let kind = email.kind();
    let (which, key) = if expired {
        let sent = {
            let mut conn = services.store.conn().await.map_err(store)?;
            emails_sent::sent_times(&mut conn, kind, &approval.uuid).await.map_err(store)?
        };
        let v = &services.cfg.verification;
        let now = services.clock.now();
        match sent.last() {
            // The first one only goes out within the window after the expiry (a learner
            // found through an older approval's resend is not emailed about this one late).
            None if expires < now - Duration::days(v.expiring_soon_window.max(0)) => return Ok(None),
            None => (Sent::Expired, format!("{kind}:{}", approval.uuid)),
            Some(&last)
                if v.expiry_email_resend_days > 0
                    && (sent.len() as i64) < v.expiry_email_default_emails
                    && last <= now - Duration::days(v.expiry_email_resend_days)
                    && within_resend_bound(v, expires, last, now) =>
            {
                (Sent::ExpiredAgain, format!("{kind}:{}#{}", approval.uuid, sent.len() + 1))
            }
            Some(_) => return Ok(Some((Outcome::AlreadySent, Sent::Expired))),
        }
    } else {
        (Sent::ExpiringSoon, format!("{kind}:{}", approval.uuid))
    };
    let profile = {
        let mut conn = services.store.conn().await.map_err(store)?;
        users::by_id(&mut conn, user).await.map_err(store)?
    };
    let Some(profile) = profile else { return Ok(None) };
    if dry_run {
        let mut conn = services.store.conn().await.map_err(store)?;
        let outcome = if emails_sent::was_sent(&mut conn, &key).await.map_err(store)? {
            Outcome::AlreadySent
        } else if profile.email.trim().is_empty() {
            Outcome::NoAddress
        } else {
            Outcome::Sent
        };
        return Ok(Some((outcome, which)));
    }
    let learner = if profile.full_name.trim().is_empty() { &profile.username } else { &profile.full_name };
    let ctx = Context {
        learner,
        platform: &services.cfg.platform.name,
        public_url: &services.cfg.server.public_url,
        lang: &services.cfg.email.language,
    };
    let mail = render(&email, &ctx);
    let outcome = send_once_keyed(services, user, &profile.email, kind, &approval.uuid, &key, &mail).await?;
    Ok(Some((outcome, which)))
}
