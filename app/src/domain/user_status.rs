//! What a learner's verification status is, from their attempts (Open edX `user_status`).

use super::AttemptStatus;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// The learner-facing status names of Open edX's `IDVerificationService.user_status`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UserStatusKind {
    /// No attempt at all.
    None,
    /// An attempt is being processed.
    Pending,
    /// Verified and not expired.
    Approved,
    /// The last attempt was denied (or must be retried by the learner): verify again.
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

/// A learner's status with the details the pages and the REST API show.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserStatus {
    /// The status name.
    pub status: UserStatusKind,
    /// When the current approval expires (approved or expired only).
    pub expires: Option<DateTime<Utc>>,
    /// Why the last attempt was denied, if it was.
    pub error: Option<String>,
}

/// The facts about one attempt that the status policy needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttemptFacts {
    /// The attempt's status.
    pub status: AttemptStatus,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// When an approval stops counting (approved attempts only).
    pub expires_at: Option<DateTime<Utc>>,
    /// The reviewer's reason on a denial.
    pub error_msg: Option<String>,
}

/// The status from the learner's attempts (any order), judged at `now`.
///
/// An unexpired approval wins over everything; otherwise the most recent attempt decides.
pub fn user_status(attempts: &[AttemptFacts], now: DateTime<Utc>) -> UserStatus {
    let none = UserStatus {
        status: UserStatusKind::None,
        expires: None,
        error: None,
    };
    let active = attempts
        .iter()
        .filter(|a| a.status == AttemptStatus::Approved && a.expires_at.is_some_and(|e| e > now))
        .max_by_key(|a| a.expires_at);
    if let Some(a) = active {
        return UserStatus {
            status: UserStatusKind::Approved,
            expires: a.expires_at,
            error: None,
        };
    }
    let Some(latest) = attempts.iter().max_by_key(|a| a.created_at) else {
        return none;
    };
    match latest.status {
        AttemptStatus::Created => none,
        AttemptStatus::Ready | AttemptStatus::Submitted | AttemptStatus::MustRetry => UserStatus {
            status: UserStatusKind::Pending,
            expires: None,
            error: None,
        },
        AttemptStatus::Denied => UserStatus {
            status: UserStatusKind::MustReverify,
            expires: None,
            error: latest.error_msg.clone(),
        },
        AttemptStatus::Approved => UserStatus {
            status: UserStatusKind::Expired,
            expires: latest.expires_at,
            error: None,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(day: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 1, day, 12, 0, 0)
            .single()
            .expect("valid date")
    }

    fn facts(status: AttemptStatus, created: u32, expires: Option<u32>) -> AttemptFacts {
        AttemptFacts {
            status,
            created_at: at(created),
            expires_at: expires.map(at),
            error_msg: None,
        }
    }

    #[test]
    fn table() {
        use AttemptStatus::*;
        use UserStatusKind as K;
        let cases: Vec<(Vec<AttemptFacts>, K)> = vec![
            (vec![], K::None),
            (vec![facts(Created, 1, None)], K::None),
            (vec![facts(Ready, 1, None)], K::Pending),
            (vec![facts(Submitted, 1, None)], K::Pending),
            (vec![facts(MustRetry, 1, None)], K::Pending),
            (vec![facts(Denied, 1, None)], K::MustReverify),
            (vec![facts(Approved, 1, Some(20))], K::Approved),
            (vec![facts(Approved, 1, Some(5))], K::Expired),
            (
                vec![facts(Approved, 1, Some(20)), facts(Denied, 3, None)],
                K::Approved,
            ),
            (
                vec![facts(Approved, 1, Some(5)), facts(Ready, 6, None)],
                K::Pending,
            ),
        ];
        for (attempts, expected) in cases {
            assert_eq!(
                user_status(&attempts, at(10)).status,
                expected,
                "{attempts:?}"
            );
        }
    }
}
