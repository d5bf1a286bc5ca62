//! The read side of Open edX's `IDVerificationService`, over a learner's verifications of
//! every kind. Pure: the server loads the records (running the attempts filters) and asks.

use super::{Policy, UserStatusKind, Verification};
use chrono::{DateTime, Utc};

/// Enrollment modes that require ID verification (Open edX `CourseMode.VERIFIED_MODES`).
pub const VERIFIED_MODES: [&str; 6] =
    ["verified", "professional", "masters", "executive-education", "paid-executive-education", "paid-bootcamp"];

/// Whether the learner is verified now: the newest approval has not expired.
pub fn user_is_verified(attempts: &[Verification], now: DateTime<Utc>, policy: &Policy) -> bool {
    match get_expiration_datetime(attempts, &["approved"], policy) {
        Some(Expiration::At(e)) => e >= now,
        Some(Expiration::Never) => true,
        None => false,
    }
}

/// Whether the learner has an unexpired verification that is approved or still in progress.
pub fn user_has_valid_or_pending(attempts: &[Verification], now: DateTime<Utc>, policy: &Policy) -> bool {
    attempts.iter().any(|v| {
        matches!(v.status.as_str(), "submitted" | "approved" | "must_retry" | "ready" | "pending")
            && v.expiration_datetime(policy).is_none_or(|e| e > now)
    })
}

/// An expiration that may be "never" (generic attempts without one).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expiration {
    /// Expires then.
    At(DateTime<Utc>),
    /// Does not expire.
    Never,
}

/// The expiration of the most recently updated verification whose status is one of
/// `statuses`.
pub fn get_expiration_datetime(attempts: &[Verification], statuses: &[&str], policy: &Policy) -> Option<Expiration> {
    attempts
        .iter()
        .filter(|v| statuses.contains(&v.status.as_str()))
        .max_by_key(|v| (v.updated_at, v.created_at))
        .map(|v| v.expiration_datetime(policy).map_or(Expiration::Never, Expiration::At))
}

/// The grade report's verification column: "ID Verified" / "Not ID Verified" for modes
/// that need verification, "N/A" otherwise.
pub fn verification_status_for_user(user_is_verified: bool, enrollment_mode: &str) -> &'static str {
    if VERIFIED_MODES.contains(&enrollment_mode) {
        if user_is_verified { "ID Verified" } else { "Not ID Verified" }
    } else {
        "N/A"
    }
}

/// Ids of the users among `candidates` that have an unexpired approval of any kind.
pub fn verified_user_ids(attempts: &[Verification], now: DateTime<Utc>, policy: &Policy) -> Vec<i64> {
    let mut ids: Vec<i64> = attempts
        .iter()
        .filter(|v| v.status.is_approved() && v.expiration_datetime(policy).is_none_or(|e| e > now))
        .map(|v| v.user_id.0)
        .collect();
    ids.sort_unstable();
    ids.dedup();
    ids
}

/// Whether a status is one the learner can act on by verifying (helper for pages).
pub fn needs_verification(status: UserStatusKind) -> bool {
    matches!(status, UserStatusKind::None | UserStatusKind::MustReverify | UserStatusKind::Expired)
}
