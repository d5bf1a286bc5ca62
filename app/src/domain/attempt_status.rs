//! The photo-verification lifecycle: created → ready → submitted → approved / denied /
//! must_retry, and must_retry → submitted on resubmission.

use serde::{Deserialize, Serialize};
use std::{fmt, str::FromStr};

/// Status of a Software Secure photo verification attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AttemptStatus {
    /// The attempt exists; photos are not complete yet.
    Created,
    /// Photos are stored; the attempt waits to be sent to the vendor.
    Ready,
    /// The vendor has the attempt and is reviewing it.
    Submitted,
    /// Sending failed, or the vendor had a system error: it must be sent again.
    MustRetry,
    /// The vendor (or staff) approved the identity.
    Approved,
    /// The vendor (or staff) denied the identity.
    Denied,
}

/// A transition the lifecycle does not allow; nothing was changed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("an attempt in status {from} cannot move to {to}")]
pub struct TransitionError {
    /// The status the attempt is in.
    pub from: AttemptStatus,
    /// The status that was asked for.
    pub to: AttemptStatus,
}

impl AttemptStatus {
    /// Every status, in lifecycle order.
    pub const ALL: [Self; 6] = [
        Self::Created,
        Self::Ready,
        Self::Submitted,
        Self::MustRetry,
        Self::Approved,
        Self::Denied,
    ];

    /// The name stored in the database and used on the wire (Open edX's spelling).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Created => "created",
            Self::Ready => "ready",
            Self::Submitted => "submitted",
            Self::MustRetry => "must_retry",
            Self::Approved => "approved",
            Self::Denied => "denied",
        }
    }

    /// Whether the lifecycle allows moving from `self` to `to`.
    ///
    /// Mirrors the `status_before_must_be` guards of Open edX: `mark_ready` needs created,
    /// `submit` needs ready or must_retry, `approve` and `deny` accept submitted, approved,
    /// denied and must_retry (a reviewer may overturn a decision), `system_error` needs
    /// ready, submitted or must_retry.
    pub fn can_move_to(self, to: Self) -> bool {
        use AttemptStatus::*;
        matches!(
            (self, to),
            (Created, Ready)
                | (Ready | MustRetry, Submitted)
                | (Submitted | Approved | Denied | MustRetry, Approved)
                | (Submitted | Approved | Denied | MustRetry, Denied)
                | (Ready | Submitted | MustRetry, MustRetry)
        )
    }

    /// Checks a transition, returning the typed error when it is illegal.
    pub fn transition(self, to: Self) -> Result<Self, TransitionError> {
        if self.can_move_to(to) {
            Ok(to)
        } else {
            Err(TransitionError { from: self, to })
        }
    }
}

impl fmt::Display for AttemptStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A status name that is not one of ours.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown attempt status {0:?}")]
pub struct UnknownStatus(pub String);

impl FromStr for AttemptStatus {
    type Err = UnknownStatus;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|st| st.as_str() == s)
            .ok_or_else(|| UnknownStatus(s.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::AttemptStatus::{self, *};

    #[test]
    fn names_round_trip() {
        for s in AttemptStatus::ALL {
            assert_eq!(s.as_str().parse::<AttemptStatus>(), Ok(s));
        }
        assert!("pending".parse::<AttemptStatus>().is_err());
    }

    #[test]
    fn transition_table() {
        let legal = [
            (Created, Ready),
            (Ready, Submitted),
            (MustRetry, Submitted),
            (Submitted, Approved),
            (Submitted, Denied),
            (Submitted, MustRetry),
            (Ready, MustRetry),
            (MustRetry, MustRetry),
            (Approved, Denied),
            (Denied, Approved),
            (MustRetry, Approved),
            (MustRetry, Denied),
            (Approved, Approved),
            (Denied, Denied),
        ];
        for from in AttemptStatus::ALL {
            for to in AttemptStatus::ALL {
                let expected = legal.contains(&(from, to));
                assert_eq!(from.can_move_to(to), expected, "{from} -> {to}");
                assert_eq!(from.transition(to).is_ok(), expected);
            }
        }
    }
}
