//! The photo-verification lifecycle: created → ready → submitted → approved / denied /
//! must_retry, and must_retry → submitted on resubmission. The same status names serve the
//! SSO and manual kinds, which are created approved and may be revoked (denied).

use serde::{Deserialize, Serialize};
use std::{fmt, str::FromStr};

/// Status of a Software Secure photo, SSO or manual verification.
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
#[error("an attempt in status {from} cannot {op}")]
pub struct TransitionError {
    /// The status the attempt is in.
    pub from: String,
    /// What was asked.
    pub op: &'static str,
}

impl AttemptStatus {
    /// Every status, in lifecycle order.
    pub const ALL: [Self; 6] =
        [Self::Created, Self::Ready, Self::Submitted, Self::MustRetry, Self::Approved, Self::Denied];

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

    /// Whether some operation can move an attempt from `self` to `to` (an edge of the
    /// lifecycle graph). Used to check audit histories.
    pub fn can_move_to(self, to: Self) -> bool {
        use AttemptStatus::*;
        matches!(
            (self, to),
            (Created, Ready)
                | (Ready | MustRetry, Submitted)
                | (Ready | Submitted | MustRetry, MustRetry)
                | (Submitted | Denied | MustRetry, Approved)
                | (Submitted | Approved | Denied | MustRetry, Denied)
        )
    }
}

impl fmt::Display for AttemptStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A status name that is not one of ours.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown status {0:?}")]
pub struct UnknownStatus(pub String);

impl FromStr for AttemptStatus {
    type Err = UnknownStatus;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL.into_iter().find(|st| st.as_str() == s).ok_or_else(|| UnknownStatus(s.to_owned()))
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
    fn edges() {
        let legal = [
            (Created, Ready),
            (Ready, Submitted),
            (MustRetry, Submitted),
            (Ready, MustRetry),
            (Submitted, MustRetry),
            (MustRetry, MustRetry),
            (Submitted, Approved),
            (Denied, Approved),
            (MustRetry, Approved),
            (Submitted, Denied),
            (Approved, Denied),
            (Denied, Denied),
            (MustRetry, Denied),
        ];
        for from in AttemptStatus::ALL {
            for to in AttemptStatus::ALL {
                assert_eq!(from.can_move_to(to), legal.contains(&(from, to)), "{from} -> {to}");
            }
        }
    }
}
