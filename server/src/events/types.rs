//! The events and their stable JSON form, as hooks and webhooks receive them:
//!
//! ```json
//! {"event_type": "org.openedx.learning.idv_attempt.approved.v1",
//!  "event_id": "…uuid…", "time": "2026-11-23T22:00:00.000000Z",
//!  "data": {"attempt_uuid": "…", "attempt_kind": "photo", "previous_status": "submitted",
//!           "status": "approved", "name": "Ada Lovelace", "expiration": "2027-11-23T22:00:00Z",
//!           "user": {"id": 7, "username": "ada", "email": "ada@example.com", "full_name": "Ada Lovelace"}}}
//! ```

use app::domain::{AttemptKind, AttemptStatus, GenericStatus};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// The lifecycle events: one per attempt status (Open edX's `IDV_ATTEMPT_*`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EventType {
    /// The attempt was created.
    Created,
    /// The learner finished; the attempt is ready to send.
    Ready,
    /// The vendor has it (a generic attempt's `pending`).
    Submitted,
    /// Sending failed; it must be sent again.
    MustRetry,
    /// Approved.
    Approved,
    /// Denied.
    Denied,
}

impl EventType {
    /// Every event type.
    pub const ALL: [Self; 6] =
        [Self::Created, Self::Ready, Self::Submitted, Self::MustRetry, Self::Approved, Self::Denied];

    /// The versioned name, e.g. `org.openedx.learning.idv_attempt.approved.v1`.
    pub fn name(self) -> &'static str {
        match self {
            Self::Created => "org.openedx.learning.idv_attempt.created.v1",
            Self::Ready => "org.openedx.learning.idv_attempt.ready.v1",
            Self::Submitted => "org.openedx.learning.idv_attempt.submitted.v1",
            Self::MustRetry => "org.openedx.learning.idv_attempt.must_retry.v1",
            Self::Approved => "org.openedx.learning.idv_attempt.approved.v1",
            Self::Denied => "org.openedx.learning.idv_attempt.denied.v1",
        }
    }

    /// The type of a versioned name.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.name() == name)
    }

    /// The event of entering status `status` of an attempt of `kind`; None for a status
    /// name the kind does not have. A generic attempt's `pending` is `submitted`: the
    /// vendor has it, which is what both names mean.
    pub fn for_status(kind: AttemptKind, status: &str) -> Option<Self> {
        if kind == AttemptKind::Generic {
            return Some(match status.parse::<GenericStatus>().ok()? {
                GenericStatus::Created => Self::Created,
                GenericStatus::Pending => Self::Submitted,
                GenericStatus::Approved => Self::Approved,
                GenericStatus::Denied => Self::Denied,
            });
        }
        Some(match status.parse::<AttemptStatus>().ok()? {
            AttemptStatus::Created => Self::Created,
            AttemptStatus::Ready => Self::Ready,
            AttemptStatus::Submitted => Self::Submitted,
            AttemptStatus::MustRetry => Self::MustRetry,
            AttemptStatus::Approved => Self::Approved,
            AttemptStatus::Denied => Self::Denied,
        })
    }
}

/// The learner an event is about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventUser {
    /// User id.
    pub id: i64,
    /// Username.
    pub username: String,
    /// Email address (may be empty).
    pub email: String,
    /// Profile name.
    pub full_name: String,
}

/// What an event says about the attempt.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventData {
    /// The attempt's uuid (unique across every kind).
    pub attempt_uuid: String,
    /// `photo`, `sso`, `manual` or `generic`.
    pub attempt_kind: AttemptKind,
    /// The status before (None for a creation).
    pub previous_status: Option<String>,
    /// The status now, in the kind's own vocabulary.
    pub status: String,
    /// The name being verified.
    pub name: String,
    /// When the verification expires, if known.
    pub expiration: Option<DateTime<Utc>>,
    /// The learner.
    pub user: EventUser,
}

/// One event, as stored in the outbox and sent to webhooks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Event {
    /// The versioned event name.
    pub event_type: String,
    /// Unique id (a uuid): receivers use it to drop duplicates, since delivery is at least once.
    pub event_id: String,
    /// When the change happened.
    pub time: DateTime<Utc>,
    /// The attempt and learner.
    pub data: EventData,
}

impl Event {
    /// The type, when the name is one this build knows.
    pub fn kind(&self) -> Option<EventType> {
        EventType::from_name(&self.event_type)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_status_of_every_kind_has_an_event() {
        for kind in [AttemptKind::Photo, AttemptKind::Sso, AttemptKind::Manual] {
            for s in ["created", "ready", "submitted", "must_retry", "approved", "denied"] {
                let t = EventType::for_status(kind, s).expect("event");
                assert_eq!(t.name(), format!("org.openedx.learning.idv_attempt.{s}.v1"));
            }
        }
        assert_eq!(EventType::for_status(AttemptKind::Generic, "pending"), Some(EventType::Submitted));
        assert_eq!(EventType::for_status(AttemptKind::Generic, "ready"), None);
        assert_eq!(EventType::from_name("org.openedx.learning.idv_attempt.denied.v1"), Some(EventType::Denied));
    }
}
