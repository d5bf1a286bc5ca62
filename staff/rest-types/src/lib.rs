//! The bodies of `/api/v1/` that the staff console reads and writes, defined once: the
//! server serialises the responses and deserialises the requests, the console does the
//! opposite, so a field renamed on one side is a compile error on the other instead of a
//! blank cell in the console. Times are RFC 3339 strings as the server writes them (Django
//! REST framework's format, `drf_time`), so the console needs no date library.
//!
//! With the `openapi` feature (the server's) every type also describes itself for the
//! OpenAPI document; the doc comments are the field descriptions.

mod operations;
mod pages;
mod review;

pub use operations::{LtiConsumerBody, LtiConsumerUpdate, NewLtiConsumer, WebhookDeliveryBody};
pub use pages::Paginated;
pub use review::{
    ClaimBody, DecisionBody, DecisionRequest, DetailBody, FirstDenialBody, HistoryBody, PhotoLinks, QueueNowBody,
    ReasonCodes, ReviewReason,
};
use serde::{Deserialize, Serialize};

#[cfg(feature = "openapi")]
use utoipa::ToSchema;

/// The signed-in caller (`GET /api/v1/me`), and a learner found by the search.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct Me {
    /// Username.
    pub username: String,
    /// Email address.
    pub email: String,
    /// Profile name.
    pub full_name: String,
    /// Staff rights.
    pub is_staff: bool,
    /// May use the in-house review queue (staff, or the `reviewer` role).
    pub is_reviewer: bool,
}

/// A learner's status, in full.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct StatusBody {
    /// `none`, `pending`, `approved`, `must_reverify`, `expired` or `denied`.
    pub status: String,
    /// Why verification is needed again, if so, as stored (the vendor's codes).
    pub error: String,
    /// The same, readable: one sentence per denial reason (Open edX's `parsed_error_msg`)
    /// in the request's `Accept-Language` (`en` or `fr`); empty unless `must_reverify`.
    pub reasons: Vec<String>,
    /// Whether the status is shown to the learner.
    pub should_display: bool,
    /// When the approval was given.
    pub status_date: Option<String>,
    /// When the deciding attempt expires.
    pub expires: Option<String>,
    /// Whether the approval expires soon.
    pub expiring_soon: bool,
    /// Whether the learner may (re)verify now.
    pub can_verify: bool,
}

/// One attempt of any kind.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct AttemptBody {
    /// `photo`, `sso`, `manual` or `generic`.
    pub kind: String,
    /// Id within its kind.
    pub id: i64,
    /// Public id of the attempt.
    pub uuid: String,
    /// The vendor receipt id (photo attempts only): the `EdX-ID` the vendor knows, and the
    /// id of the staff photo endpoints (`/verify_student/decrypt-idv-images/…`).
    pub receipt_id: Option<String>,
    /// Status.
    pub status: String,
    /// The name verified.
    pub name: String,
    /// Created.
    pub created_at: String,
    /// Last change.
    pub updated_at: String,
    /// Expiry.
    pub expiration_datetime: Option<String>,
    /// Why a denied attempt was denied, as sentences in the request's language (empty
    /// otherwise; never the vendor's raw codes).
    pub message: String,
}

/// One recorded status change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct TransitionBody {
    /// Status before (none at creation).
    pub from: Option<String>,
    /// Status after.
    pub to: String,
    /// `learner`, `staff`, `vendor` or `system`.
    pub actor_kind: String,
    /// The actor's id or name.
    pub actor_id: String,
    /// Why.
    pub reason: String,
    /// When.
    pub at: String,
}

/// One change of a learner's verified name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct NameChangeBody {
    /// The verified name's id.
    pub verified_name_id: i64,
    /// The name.
    pub verified_name: String,
    /// The status after the change (`pending`, `approved`, `denied`, `deleted`…).
    pub status: String,
    /// The attempt it refers to, if any.
    pub verification_attempt_uuid: Option<String>,
    /// What caused the change (`requested`, an attempt event, `attempt_deleted`).
    pub cause: String,
    /// When.
    pub at: String,
}

/// The in-house review queue's figures (`GET /api/v1/reviews/stats`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct ReviewStatsBody {
    /// Attempts waiting for a decision.
    pub size: i64,
    /// How long the oldest has waited, in seconds (0 when empty).
    pub oldest_age_secs: i64,
    /// Of them, held by a live claim.
    pub claimed: i64,
    /// Final decisions in the last 24 hours.
    pub decided_last_24h: i64,
    /// Median time from queue to final decision over the last 24 hours, in seconds (null
    /// without decisions).
    pub time_to_decision_p50_secs: Option<i64>,
    /// 95th percentile of the same.
    pub time_to_decision_p95_secs: Option<i64>,
}

/// A manual verification to create.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct ManualVerificationRequest {
    /// Why staff verify this learner by hand (required, audited).
    pub reason: String,
    /// The verified name (defaults to the account's name).
    #[serde(default)]
    pub name: Option<String>,
}

/// What was created.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct Created {
    /// The new record's id.
    pub id: i64,
}

/// Why staff revoke.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct ReasonRequest {
    /// The reason (required, audited).
    pub reason: String,
}

/// The outcome of a retry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct RetryBody {
    /// Submissions queued.
    pub queued: usize,
    /// Attempts skipped (not in must_retry, or already queued).
    pub skipped: usize,
}

/// A course's verification deadline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct DeadlineBody {
    /// The course.
    pub course_key: String,
    /// The deadline, if any.
    pub deadline: Option<String>,
}

/// One change of a course's deadline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct DeadlineChangeBody {
    /// The deadline set (null: removed).
    pub deadline: Option<String>,
    /// Set explicitly by staff.
    pub deadline_is_explicit: bool,
    /// Who changed it.
    pub changed_by: String,
    /// When.
    pub changed_at: String,
}

/// A background job.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct JobBody {
    /// Id.
    pub id: i64,
    /// Handler kind (e.g. `software_secure.submit`).
    pub kind: String,
    /// Status.
    pub status: String,
    /// Tries so far.
    pub attempts: i32,
    /// Tries allowed.
    pub max_attempts: i32,
    /// The last error.
    pub last_error: String,
    /// When it runs next.
    pub run_at: String,
    /// Last change.
    pub updated_at: String,
}

/// The retry configuration (Open edX `SSPVerificationRetryConfig`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct RetryConfigBody {
    /// The arguments `vouch retry-failed --args-from-database` runs with, or null when none
    /// was ever stored.
    pub arguments: Option<String>,
    /// Whether it is used.
    pub enabled: bool,
    /// Who stored it (`cli`, `staff:<username>`).
    pub changed_by: Option<String>,
    /// When.
    pub changed_at: Option<String>,
}

/// New retry arguments.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct SetRetryConfigRequest {
    /// `--verification-ids <id> <id> ...`.
    pub arguments: String,
    /// Whether `retry-failed --args-from-database` uses them (default true).
    #[serde(default = "enabled")]
    pub enabled: bool,
}

fn enabled() -> bool {
    true
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn requests_read_what_older_clients_send() {
        // The console used to omit `name` when blank, and scripts omit `enabled`.
        let r: ManualVerificationRequest = serde_json::from_value(json!({"reason": "ok"})).unwrap();
        assert_eq!(r, ManualVerificationRequest { reason: "ok".into(), name: None });
        let r: SetRetryConfigRequest = serde_json::from_value(json!({"arguments": "--verification-ids 1"})).unwrap();
        assert!(r.enabled);
    }

    #[test]
    fn a_decision_without_final_is_final_and_secrets_stay_out_of_debug() {
        let d: DecisionBody = serde_json::from_value(json!({"receipt_id": "r", "status": "approved"})).unwrap();
        assert!(d.final_);
        let d: DecisionBody =
            serde_json::from_value(json!({"receipt_id": "r", "status": "denied", "final": false})).unwrap();
        assert!(!d.final_);
        let new = NewLtiConsumer {
            name: "n".into(),
            key: "k".into(),
            secret: "a very secret secret".into(),
            use_lti_pii: false,
            require_user_account: false,
        };
        assert!(!format!("{new:?}").contains("very secret"));
    }

    #[test]
    fn bodies_round_trip() {
        let body = RetryConfigBody { arguments: None, enabled: false, changed_by: None, changed_at: None };
        let v = serde_json::to_value(&body).unwrap();
        assert_eq!(v, json!({"arguments": null, "enabled": false, "changed_by": null, "changed_at": null}));
        assert_eq!(serde_json::from_value::<RetryConfigBody>(v).unwrap(), body);
    }
}
