//! The events and their stable JSON form, as hooks and webhooks receive them:
//!
//! ```json
//! {"event_type": "org.openedx.learning.idv_attempt.approved.v1",
//!  "event_id": "…uuid…", "time": "2026-11-23T22:00:00.000000Z",
//!  "data": {"attempt_uuid": "…", "attempt_kind": "photo", "previous_status": "submitted",
//!           "status": "approved", "name": "Ada Lovelace", "expiration": "2027-11-23T22:00:00Z",
//!           "user": {"id": 7, "username": "ada", "email": "ada@example.com", "full_name": "Ada Lovelace"}}}
//! ```

use app::domain::{AnyStatus, AttemptKind, AttemptStatus, GenericStatus};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

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
    /// An approval stopped counting with time. Not a status change (the attempt stays
    /// approved): the LTI expiry sweep records it for learners with graded assignments, so
    /// that their 0.0 grade goes through the same bus as the decisions' grades.
    Expired,
}

impl EventType {
    /// Every event type.
    pub const ALL: [Self; 7] =
        [Self::Created, Self::Ready, Self::Submitted, Self::MustRetry, Self::Approved, Self::Denied, Self::Expired];

    /// The versioned name, e.g. `org.openedx.learning.idv_attempt.approved.v1`.
    pub fn name(self) -> &'static str {
        match self {
            Self::Created => "org.openedx.learning.idv_attempt.created.v1",
            Self::Ready => "org.openedx.learning.idv_attempt.ready.v1",
            Self::Submitted => "org.openedx.learning.idv_attempt.submitted.v1",
            Self::MustRetry => "org.openedx.learning.idv_attempt.must_retry.v1",
            Self::Approved => "org.openedx.learning.idv_attempt.approved.v1",
            Self::Denied => "org.openedx.learning.idv_attempt.denied.v1",
            Self::Expired => "org.openedx.learning.idv_attempt.expired.v1",
        }
    }

    /// The type of a versioned name.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.name() == name)
    }

    /// Whether this event records a status change (every type but [`Self::Expired`]).
    pub fn is_status_change(self) -> bool {
        self != Self::Expired
    }

    /// The event of entering `status`. A generic attempt's `pending` is `submitted`: the
    /// vendor has it, which is what both names mean.
    pub fn for_status(status: AnyStatus) -> Self {
        match status {
            AnyStatus::Generic(GenericStatus::Created) | AnyStatus::Attempt(AttemptStatus::Created) => Self::Created,
            AnyStatus::Attempt(AttemptStatus::Ready) => Self::Ready,
            AnyStatus::Generic(GenericStatus::Pending) | AnyStatus::Attempt(AttemptStatus::Submitted) => {
                Self::Submitted
            }
            AnyStatus::Attempt(AttemptStatus::MustRetry) => Self::MustRetry,
            AnyStatus::Generic(GenericStatus::Approved) | AnyStatus::Attempt(AttemptStatus::Approved) => Self::Approved,
            AnyStatus::Generic(GenericStatus::Denied) | AnyStatus::Attempt(AttemptStatus::Denied) => Self::Denied,
        }
    }
}

// On the wire an event type is its versioned name.
impl Serialize for EventType {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.name())
    }
}

impl<'de> Deserialize<'de> for EventType {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let name = String::deserialize(d)?;
        Self::from_name(&name).ok_or_else(|| serde::de::Error::custom(format!("unknown event type {name:?}")))
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
#[serde(try_from = "RawEventData")]
pub struct EventData {
    /// The attempt's uuid (unique across every kind).
    pub attempt_uuid: String,
    /// `photo`, `sso`, `manual` or `generic`.
    pub attempt_kind: AttemptKind,
    /// The status before (None for a creation).
    pub previous_status: Option<AnyStatus>,
    /// The status now, in the kind's own vocabulary.
    pub status: AnyStatus,
    /// The name being verified.
    pub name: String,
    /// When the verification expires, if known.
    pub expiration: Option<DateTime<Utc>>,
    /// The learner.
    pub user: EventUser,
}

/// [`EventData`] as read, before its statuses are read in the vocabulary of its kind (a
/// generic `approved` and a photo `approved` are spelt alike).
#[derive(Deserialize)]
struct RawEventData {
    attempt_uuid: String,
    attempt_kind: AttemptKind,
    previous_status: Option<String>,
    status: String,
    name: String,
    expiration: Option<DateTime<Utc>>,
    user: EventUser,
}

impl TryFrom<RawEventData> for EventData {
    type Error = String;

    fn try_from(r: RawEventData) -> Result<Self, String> {
        let status = |s: &str| AnyStatus::parse(r.attempt_kind, s).map_err(|e| e.to_string());
        Ok(Self {
            previous_status: r.previous_status.as_deref().map(status).transpose()?,
            status: status(&r.status)?,
            attempt_uuid: r.attempt_uuid,
            attempt_kind: r.attempt_kind,
            name: r.name,
            expiration: r.expiration,
            user: r.user,
        })
    }
}

/// One event, as stored in the outbox and sent to webhooks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Event {
    /// The event type (its versioned name on the wire).
    pub event_type: EventType,
    /// Unique id (a uuid): receivers use it to drop duplicates, since delivery is at least once.
    pub event_id: String,
    /// When the change happened.
    pub time: DateTime<Utc>,
    /// The attempt and learner.
    pub data: EventData,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_status_of_every_kind_has_an_event() {
        for kind in [AttemptKind::Photo, AttemptKind::Sso, AttemptKind::Manual] {
            for s in ["created", "ready", "submitted", "must_retry", "approved", "denied"] {
                let t = EventType::for_status(AnyStatus::parse(kind, s).expect("status"));
                assert_eq!(t.name(), format!("org.openedx.learning.idv_attempt.{s}.v1"));
                assert!(t.is_status_change());
            }
        }
        let generic = |s| EventType::for_status(AnyStatus::parse(AttemptKind::Generic, s).expect("status"));
        assert_eq!(generic("pending"), EventType::Submitted);
        assert!(AnyStatus::parse(AttemptKind::Generic, "ready").is_err());
        assert_eq!(EventType::from_name("org.openedx.learning.idv_attempt.denied.v1"), Some(EventType::Denied));
        assert!(!EventType::Expired.is_status_change());
    }

    #[test]
    fn statuses_are_read_in_the_vocabulary_of_the_kind() {
        let json = |kind: &str, status: &str| {
            format!(
                r#"{{"event_type": "org.openedx.learning.idv_attempt.approved.v1", "event_id": "e", "time": "2026-11-23T22:00:00Z",
                "data": {{"attempt_uuid": "u", "attempt_kind": "{kind}", "previous_status": null, "status": "{status}",
                "name": "A", "expiration": null, "user": {{"id": 1, "username": "a", "email": "", "full_name": ""}}}}}}"#
            )
        };
        let generic: Event = serde_json::from_str(&json("generic", "approved")).expect("event");
        assert_eq!(generic.data.status, AnyStatus::Generic(GenericStatus::Approved));
        let photo: Event = serde_json::from_str(&json("photo", "approved")).expect("event");
        assert_eq!(photo.data.status, AnyStatus::Attempt(AttemptStatus::Approved));
        assert_eq!(photo.event_type, EventType::Approved);
        assert!(serde_json::from_str::<Event>(&json("photo", "pending")).is_err());
        let back: Event = serde_json::from_str(&serde_json::to_string(&photo).expect("json")).expect("event");
        assert_eq!(back, photo);
    }
}
