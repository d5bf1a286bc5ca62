//! The expiry emails (`vouch send-expiry-emails`): for each learner whose approval expires
//! within `verification.expiring_soon_window` days, or expired within the same number of
//! days, the learner's status as the verification service sees it (filters included)
//! decides: "expiring soon" when the status is an approval expiring soon, "expired" when it
//! is expired. Each email goes once per attempt (the approval that expires).

use super::{ServiceResult, Services, idv};
use crate::{
    email::{
        EmailError, Outcome, send_once,
        templates::{Context, Email, render},
    },
    store::{emails_sent, users},
};
use app::domain::{UserId, UserStatusKind};
use chrono::Duration;
use serde::Serialize;

/// What one batch did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ExpiryReport {
    /// Learners looked at.
    pub candidates: usize,
    /// "Expiring soon" emails sent.
    pub sent_expiring_soon: usize,
    /// "Expired" emails sent.
    pub sent_expired: usize,
    /// Emails that had been sent before.
    pub already_sent: usize,
    /// Learners needing no email (renewed, pending, no address).
    pub skipped: usize,
    /// Emails that failed (tried again by the next run).
    pub failed: usize,
}

/// The learners the batch looks at.
pub async fn candidates(services: &Services) -> ServiceResult<Vec<UserId>> {
    let now = services.clock.now();
    let window = Duration::days(services.cfg.verification.expiring_soon_window.max(0));
    let mut conn = services.store.conn().await?;
    Ok(emails_sent::users_with_approvals_expiring(
        &mut conn,
        now - window,
        now + window,
        services.cfg.verification.days_good_for,
    )
    .await?)
}

/// Sends the expiry emails of `users`, calling `progress` after each.
pub async fn send_expiry_emails(
    services: &Services,
    users_to_check: &[UserId],
    mut progress: impl FnMut(),
) -> ServiceResult<ExpiryReport> {
    let mut report = ExpiryReport { candidates: users_to_check.len(), ..Default::default() };
    let policy = services.policy();
    for &user in users_to_check {
        let outcome = one(services, user, &policy).await;
        match outcome {
            Ok(Some((Outcome::Sent, true))) => report.sent_expired += 1,
            Ok(Some((Outcome::Sent, false))) => report.sent_expiring_soon += 1,
            Ok(Some((Outcome::AlreadySent, _))) => report.already_sent += 1,
            Ok(Some((Outcome::NoAddress, _)) | None) => report.skipped += 1,
            Err(e) => {
                tracing::warn!(user.id = %user, error = %e, "an expiry email failed");
                report.failed += 1;
            }
        }
        progress();
    }
    Ok(report)
}

/// One learner: `Some((outcome, expired?))`, or None when no email is due.
async fn one(
    services: &Services,
    user: UserId,
    policy: &app::domain::Policy,
) -> Result<Option<(Outcome, bool)>, EmailError> {
    let internal = |e: super::ServiceError| EmailError::Smtp(format!("reading the learner's status: {e}"));
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
    let profile = {
        let mut conn = services.store.conn().await.map_err(|e| internal(e.into()))?;
        users::by_id(&mut conn, user).await.map_err(|e| internal(e.into()))?
    };
    let Some(profile) = profile else { return Ok(None) };
    let email = if expired { Email::Expired { expired: expires } } else { Email::ExpiringSoon { expires } };
    let learner = if profile.full_name.trim().is_empty() { &profile.username } else { &profile.full_name };
    let ctx = Context {
        learner,
        platform: &services.cfg.platform.name,
        public_url: &services.cfg.server.public_url,
        lang: &services.cfg.email.language,
    };
    let mail = render(&email, &ctx);
    let outcome = send_once(services, user, &profile.email, email.kind(), &approval.uuid, &mail).await?;
    Ok(Some((outcome, expired)))
}
