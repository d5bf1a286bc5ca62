//! Policy numbers and the utilities of Open edX's `verify_student.utils`.

use super::{UserStatusKind, Verification};
use chrono::{DateTime, Duration, Utc};

/// The policy numbers (Open edX `VERIFY_STUDENT` settings).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Policy {
    /// How long an approval is good for, in days (`DAYS_GOOD_FOR`).
    pub days_good_for: i64,
    /// Days before expiry when a verification counts as expiring soon (`EXPIRING_SOON_WINDOW`).
    pub expiring_soon_window: i64,
}

impl Default for Policy {
    fn default() -> Self {
        Self { days_good_for: 365, expiring_soon_window: 28 }
    }
}

/// The verification that applied at `deadline` among `candidates` (newest first): with no
/// deadline the newest; otherwise the newest one active at the deadline (status is not
/// considered).
pub fn verification_for_datetime<'a>(
    deadline: Option<DateTime<Utc>>,
    candidates: &'a [Verification],
    policy: &Policy,
) -> Option<&'a Verification> {
    match deadline {
        None => candidates.first(),
        Some(d) => candidates.iter().find(|v| v.active_at_datetime(d, policy)),
    }
}

/// The candidates active at `deadline`: created before it and not expired at it.
pub fn active_verifications<'a>(
    candidates: &'a [Verification],
    deadline: DateTime<Utc>,
    policy: &Policy,
) -> Vec<&'a Verification> {
    candidates.iter().filter(|v| v.active_at_datetime(deadline, policy)).collect()
}

/// The most recently updated verification.
pub fn most_recent_verification(candidates: &[Verification]) -> Option<&Verification> {
    candidates.iter().max_by_key(|v| (v.updated_at, v.created_at))
}

/// The earliest creation date an approval may have and still count at `now`.
pub fn earliest_allowed_verification_date(now: DateTime<Utc>, policy: &Policy) -> DateTime<Utc> {
    now - Duration::days(policy.days_good_for)
}

/// Whether `expiration` falls within the expiring-soon window (an expiry already passed
/// counts too, as in Open edX, where the day difference is then negative).
pub fn is_verification_expiring_soon(expiration: Option<DateTime<Utc>>, now: DateTime<Utc>, policy: &Policy) -> bool {
    expiration.is_some_and(|e| (e - now).num_days() <= policy.expiring_soon_window)
}

/// Whether the learner may verify now: no usable verification, or one expiring soon.
pub fn can_verify_now(
    status: UserStatusKind,
    expiration: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
    policy: &Policy,
) -> bool {
    matches!(status, UserStatusKind::None | UserStatusKind::Expired | UserStatusKind::MustReverify)
        || is_verification_expiring_soon(expiration, now, policy)
}
