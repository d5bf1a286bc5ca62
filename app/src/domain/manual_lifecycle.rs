//! The lifecycle of the verifications that are granted rather than reviewed: a manual
//! verification (staff verified the learner by hand, Open edX `ManualVerification`) and an
//! SSO verification (an identity provider vouched, `SSOVerification`). Both are created
//! approved, good for the policy's `days_good_for`; staff may revoke a manual one (approved →
//! denied), and that is the only change either kind has. Pure: the caller reads the
//! attempt, asks [`apply`], and writes the result (or nothing) in one transaction.

use super::{AttemptStatus, Policy};
use chrono::{DateTime, Duration, Utc};

/// What a granted verification starts with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Grant {
    /// Its status (approved).
    pub status: AttemptStatus,
    /// When the approval expires.
    pub expires_at: DateTime<Utc>,
}

/// A manual or SSO verification granted at `now`.
pub fn grant(now: DateTime<Utc>, policy: &Policy) -> Grant {
    Grant { status: AttemptStatus::Approved, expires_at: now + Duration::days(policy.days_good_for) }
}

/// Why a manual verification cannot be created.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GrantError {
    /// Staff must say why they verified the learner (it is audited).
    #[error("A manual verification needs a reason.")]
    NoReason,
}

/// Checks that staff may grant a manual verification for `reason`.
pub fn check_reason(reason: &str) -> Result<(), GrantError> {
    if reason.trim().is_empty() { Err(GrantError::NoReason) } else { Ok(()) }
}

/// An operation on a manual verification.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ManualOp {
    /// Staff withdraw it (approved → denied).
    Revoke,
}

impl ManualOp {
    /// The operation's name, for the audit log.
    pub fn name(self) -> &'static str {
        match self {
            Self::Revoke => "revoke",
        }
    }
}

/// A manual-verification operation the lifecycle does not allow; nothing was changed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a manual verification in status {from} cannot be revoked")]
pub struct ManualTransitionError {
    /// The status the verification is in, as stored.
    pub from: String,
    /// What was asked.
    pub op: ManualOp,
}

/// An allowed status change of a manual verification.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ManualChange {
    /// The status it has (and must still have when the change is written).
    pub from: AttemptStatus,
    /// The status to write.
    pub to: AttemptStatus,
}

/// Applies `op` to a manual verification in the stored status `current` (a name that is
/// not a status is refused like any status the operation does not start from).
pub fn apply(op: ManualOp, current: &str) -> Result<ManualChange, ManualTransitionError> {
    match (op, current.parse::<AttemptStatus>()) {
        (ManualOp::Revoke, Ok(from @ AttemptStatus::Approved)) => Ok(ManualChange { from, to: AttemptStatus::Denied }),
        _ => Err(ManualTransitionError { from: current.to_owned(), op }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use AttemptStatus::*;

    #[test]
    fn granted_approved_for_days_good_for() {
        let now = DateTime::from_timestamp(1_800_000_000, 0).expect("valid");
        let policy = Policy { days_good_for: 10, ..Policy::default() };
        assert_eq!(grant(now, &policy), Grant { status: Approved, expires_at: now + Duration::days(10) });
        assert_eq!(check_reason("passport seen"), Ok(()));
        for blank in ["", "  ", "\n\t"] {
            assert_eq!(check_reason(blank), Err(GrantError::NoReason));
        }
        assert_eq!(GrantError::NoReason.to_string(), "A manual verification needs a reason.");
    }

    #[test]
    fn revoke_from_every_status() {
        for from in AttemptStatus::ALL {
            let got = apply(ManualOp::Revoke, from.as_str());
            if from == Approved {
                assert_eq!(got, Ok(ManualChange { from: Approved, to: Denied }));
                assert!(from.can_move_to(Denied), "{from} -> denied must be an edge");
            } else {
                let e = got.expect_err("refused");
                assert_eq!(e.to_string(), format!("a manual verification in status {from} cannot be revoked"));
            }
        }
        let e = apply(ManualOp::Revoke, "bogus").expect_err("not a status");
        assert_eq!(e.to_string(), "a manual verification in status bogus cannot be revoked");
    }
}
