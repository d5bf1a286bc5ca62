//! The generic `VerificationAttempt` of the pluggable design (seed 003): any vendor plugin
//! records its attempts here with four statuses.

use super::attempt_status::UnknownStatus;
use serde::{Deserialize, Serialize};
use std::{fmt, str::FromStr};

/// Status of a generic verification attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GenericStatus {
    /// Started; the learner has not finished the vendor's flow.
    Created,
    /// The vendor is reviewing.
    Pending,
    /// Approved.
    Approved,
    /// Denied.
    Denied,
}

impl GenericStatus {
    /// Every status.
    pub const ALL: [Self; 4] = [Self::Created, Self::Pending, Self::Approved, Self::Denied];

    /// The stored and wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Created => "created",
            Self::Pending => "pending",
            Self::Approved => "approved",
            Self::Denied => "denied",
        }
    }

    /// Plugins may move a generic attempt between any two different statuses (Open edX's
    /// `update_verification_attempt` validates only the name); every change is audited.
    pub fn can_move_to(self, to: Self) -> bool {
        self != to
    }
}

impl fmt::Display for GenericStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for GenericStatus {
    type Err = UnknownStatus;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL.into_iter().find(|st| st.as_str() == s).ok_or_else(|| UnknownStatus(s.to_owned()))
    }
}
