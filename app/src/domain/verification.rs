//! One verification of any kind, as the status policy sees it (Open edX's
//! `IDVerificationAttempt` and the generic `VerificationAttempt`).

use super::{AttemptStatus, GenericStatus, Policy, UserId};
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

/// The kinds of verification.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AttemptKind {
    /// Software Secure photo verification.
    Photo,
    /// Verified by a trusted single-sign-on identity provider.
    Sso,
    /// Verified by staff by hand.
    Manual,
    /// Recorded by a vendor plugin (pluggable IDV).
    Generic,
}

impl AttemptKind {
    /// Every kind.
    pub const ALL: [Self; 4] = [Self::Photo, Self::Sso, Self::Manual, Self::Generic];

    /// The stored name (the audit log's `attempt_kind`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Photo => "photo",
            Self::Sso => "sso",
            Self::Manual => "manual",
            Self::Generic => "generic",
        }
    }
}

/// A status of any kind of verification.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(untagged)]
pub enum AnyStatus {
    /// Photo, SSO and manual verifications.
    Attempt(AttemptStatus),
    /// Generic attempts.
    Generic(GenericStatus),
}

impl AnyStatus {
    /// The status name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Attempt(s) => s.as_str(),
            Self::Generic(s) => s.as_str(),
        }
    }

    /// The status `name` in the vocabulary of `kind` (generic attempts have their own).
    pub fn parse(kind: AttemptKind, name: &str) -> Result<Self, super::attempt_status::UnknownStatus> {
        Ok(match kind {
            AttemptKind::Generic => Self::Generic(name.parse()?),
            _ => Self::Attempt(name.parse()?),
        })
    }

    /// Approved, in either vocabulary.
    pub fn is_approved(self) -> bool {
        matches!(self, Self::Attempt(AttemptStatus::Approved) | Self::Generic(GenericStatus::Approved))
    }
}

/// One verification attempt of any kind.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Verification {
    /// Its kind.
    pub kind: AttemptKind,
    /// Its id within its kind.
    pub id: i64,
    /// Public id.
    pub uuid: String,
    /// The learner.
    pub user_id: UserId,
    /// The verified name.
    pub name: String,
    /// Status.
    pub status: AnyStatus,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Last changed.
    pub updated_at: DateTime<Utc>,
    /// Last status change.
    pub status_changed_at: DateTime<Utc>,
    /// The stored expiration. For photo, SSO and manual verifications a missing value
    /// (rows older than the field) means `created_at` + `days_good_for`; for generic
    /// attempts it means "does not expire".
    pub expiration: Option<DateTime<Utc>>,
    /// Reviewer's message (photo verifications).
    pub error_msg: String,
    /// Generic attempts may hide their status from the learner.
    pub hide_status_from_user: bool,
}

impl Verification {
    /// When it stops counting (`expiration_datetime`); `None` never expires.
    pub fn expiration_datetime(&self, policy: &Policy) -> Option<DateTime<Utc>> {
        match (self.expiration, self.kind) {
            (Some(e), _) => Some(e),
            (None, AttemptKind::Generic) => None,
            (None, _) => Some(self.created_at + Duration::days(policy.days_good_for)),
        }
    }

    /// Whether it was in effect at `at`: created before, and expiring after (status is not
    /// considered, as in Open edX).
    pub fn active_at_datetime(&self, at: DateTime<Utc>, policy: &Policy) -> bool {
        self.created_at < at && self.expiration_datetime(policy).is_none_or(|e| e > at)
    }

    /// Whether it is expired at `now`.
    pub fn is_expired(&self, now: DateTime<Utc>, policy: &Policy) -> bool {
        self.expiration_datetime(policy).is_some_and(|e| e < now)
    }

    /// Whether a learner reading their own records is shown this record at all: every one
    /// except a generic attempt a plugin hid (`hide_status_from_user`). Staff see all.
    pub fn visible_to(&self, staff: bool) -> bool {
        staff || !(self.kind == AttemptKind::Generic && self.hide_status_from_user)
    }

    /// Whether the learner is shown this attempt's status: photo verifications yes, SSO and
    /// manual no, generic unless the plugin hid it.
    pub fn should_display_status_to_user(&self) -> bool {
        match self.kind {
            AttemptKind::Photo => true,
            AttemptKind::Sso | AttemptKind::Manual => false,
            AttemptKind::Generic => !self.hide_status_from_user,
        }
    }
}
