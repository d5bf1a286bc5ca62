//! A learner's verification status from all their attempts (Open edX
//! `IDVerificationService.user_status`).

use super::{
    AnyStatus, AttemptStatus, GenericStatus, Policy, Verification, policy::is_verification_expiring_soon,
    reverify::verify_now,
};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// The learner-facing status names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UserStatusKind {
    /// No attempt that counts.
    None,
    /// An attempt is being processed.
    Pending,
    /// Verified and not expired.
    Approved,
    /// The last attempt was denied: verify again.
    MustReverify,
    /// The last approval has expired.
    Expired,
}

impl UserStatusKind {
    /// Open edX's string for this status.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::None => "none",
            Self::Pending => "pending",
            Self::Approved => "approved",
            Self::MustReverify => "must_reverify",
            Self::Expired => "expired",
        }
    }
}

/// A learner's status with the fields of Open edX's `user_status` dict, plus the
/// expiration of the deciding attempt.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserStatus {
    /// The status name.
    pub status: UserStatusKind,
    /// Why verification is needed again (denial reasons, or the expiry message); empty if none.
    pub error: String,
    /// Whether the deciding attempt's status is shown to the learner.
    pub should_display: bool,
    /// When an approval was given.
    #[serde(with = "super::timestamp::option")]
    pub status_date: Option<DateTime<Utc>>,
    /// The expiry date (MM/DD/YYYY) when an approval expires soon, else empty.
    pub verification_expiry: String,
    /// Whether the approval is within the expiring-soon window.
    pub expiring_soon: bool,
    /// When the deciding attempt expires (or expired).
    #[serde(with = "super::timestamp::option")]
    pub expires: Option<DateTime<Utc>>,
    /// Whether the learner may start a new verification now (`reverify::verify_now`, Open
    /// edX's `can_verify_now`): what the SPA offers and what every submit door enforces.
    #[serde(default = "yes")]
    pub can_verify: bool,
    /// Why the deciding attempt was denied (`must_reverify` only), parsed from `error`:
    /// what the learner reads, in their language (`crate::i18n::reasons`).
    #[serde(default)]
    pub reasons: Vec<super::reasons::DenialReason>,
}

fn yes() -> bool {
    true
}

impl UserStatus {
    /// No verification.
    pub fn none() -> Self {
        Self {
            status: UserStatusKind::None,
            error: String::new(),
            should_display: true,
            status_date: None,
            verification_expiry: String::new(),
            expiring_soon: false,
            expires: None,
            can_verify: true,
            reasons: Vec::new(),
        }
    }
}

/// The status from `attempts` (any order), judged at `now`.
///
/// The newest attempt decides, except that the unexpired approval with the latest
/// expiration wins over anything newer. Two deliberate changes from Open edX: a `ready`
/// photo attempt counts as pending (Vouch sends it from a durable job, so the learner has
/// already submitted), and a generic `pending` attempt counts as pending.
pub fn user_status(attempts: &[Verification], now: DateTime<Utc>, policy: &Policy, platform_name: &str) -> UserStatus {
    let mut result = UserStatus::none();
    let Some(newest) = attempts.iter().max_by_key(|a| (a.created_at, a.id)) else { return result };
    let mut attempt = newest;
    for v in attempts {
        let active_approval = v.status.is_approved() && v.expiration_datetime(policy).is_none_or(|e| e > now);
        if active_approval {
            let better = !attempt.status.is_approved()
                || match (attempt.expiration_datetime(policy), v.expiration_datetime(policy)) {
                    (Some(a), Some(b)) => a < b,
                    (Some(_), None) => true,
                    _ => false,
                };
            if better {
                attempt = v;
            }
        }
    }

    result.should_display = attempt.should_display_status_to_user();
    let expiration = attempt.expiration_datetime(policy);
    result.expires = expiration;
    let expired = expiration.is_some_and(|e| e < now);
    if attempt.status.is_approved() && expired {
        if !result.should_display {
            // An expired attempt the learner never saw counts as no verification at all.
            return UserStatus::none();
        }
        result.status = UserStatusKind::Expired;
        result.error = format!("Your {platform_name} verification has expired.");
    } else if attempt.status.is_approved() {
        result.status = UserStatusKind::Approved;
        result.status_date = Some(attempt.status_changed_at);
        if is_verification_expiring_soon(expiration, now, policy) {
            result.expiring_soon = true;
            result.verification_expiry = expiration.map(|e| e.format("%m/%d/%Y").to_string()).unwrap_or_default();
        }
    } else if matches!(
        attempt.status,
        AnyStatus::Attempt(AttemptStatus::Ready | AttemptStatus::Submitted | AttemptStatus::MustRetry)
            | AnyStatus::Generic(GenericStatus::Pending)
    ) {
        result.status = UserStatusKind::Pending;
    } else if matches!(
        attempt.status,
        AnyStatus::Attempt(AttemptStatus::Denied) | AnyStatus::Generic(GenericStatus::Denied)
    ) || !attempt.error_msg.is_empty()
    {
        result.status = UserStatusKind::MustReverify;
        result.error = attempt.error_msg.clone();
        result.reasons = super::reasons::parse(&attempt.error_msg);
    } else {
        result.expires = None;
    }
    result.can_verify = verify_now(&result, now, policy).is_allowed();
    result
}
