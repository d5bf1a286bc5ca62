//! Bodies of the operations endpoints that are not the learner's: webhook deliveries and
//! LTI consumers.

use serde::{Deserialize, Serialize};

#[cfg(feature = "openapi")]
use utoipa::ToSchema;

/// One outbound webhook delivery (`GET /api/v1/webhooks/deliveries`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct WebhookDeliveryBody {
    /// Id.
    pub id: i64,
    /// The event's id (the receiver's idempotency key).
    pub event_id: String,
    /// The event's type.
    pub event_type: String,
    /// The receiver.
    pub url: String,
    /// `pending`, `delivered` or `dead`.
    pub status: String,
    /// Tries so far.
    pub tries: i64,
    /// The last try's error ("" when it succeeded or none was made).
    pub last_error: String,
    /// The receiver's last HTTP status, if it answered.
    pub last_status_code: Option<i64>,
    /// Times staff queued it again.
    pub manual_retries: i64,
    /// Created (RFC 3339).
    pub created_at: String,
    /// Last change (RFC 3339).
    pub updated_at: String,
    /// Delivered (RFC 3339), if it was.
    pub delivered_at: Option<String>,
}

/// An LTI consumer as shown: everything but its secret (`GET /api/v1/lti/consumers`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct LtiConsumerBody {
    /// Name.
    pub name: String,
    /// Key.
    pub key: String,
    /// Instance GUID, once known.
    pub instance_guid: Option<String>,
    /// Allowed outcome hosts (empty: the global setting).
    pub allowed_outcome_hosts: Vec<String>,
    /// frame-ancestors (empty: the global setting).
    pub frame_ancestors: String,
    /// Open edX `use_lti_pii`: launches fill an empty profile name and email.
    pub use_lti_pii: bool,
    /// Open edX `require_user_account`: unmapped learners sign in with the LMS to be linked.
    pub require_user_account: bool,
}

/// A consumer to add as the console sends it (`POST /api/v1/lti/consumers`). The server
/// reads a superset (instance GUID, outcome hosts, frame ancestors, which scripts give).
/// Its `Debug` never shows the secret.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewLtiConsumer {
    /// A name for people.
    pub name: String,
    /// The OAuth consumer key.
    pub key: String,
    /// The shared secret (at least 16 characters); never given back.
    pub secret: String,
    /// Open edX `use_lti_pii`.
    pub use_lti_pii: bool,
    /// Open edX `require_user_account`.
    pub require_user_account: bool,
}

impl std::fmt::Debug for NewLtiConsumer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewLtiConsumer")
            .field("name", &self.name)
            .field("key", &self.key)
            .field("secret", &"[redacted]")
            .field("use_lti_pii", &self.use_lti_pii)
            .field("require_user_account", &self.require_user_account)
            .finish()
    }
}

/// A change to a consumer's opt-ins (`PATCH /api/v1/lti/consumers/{key}`); an absent field
/// is left as it is, an unknown one refused.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct LtiConsumerUpdate {
    /// See [`LtiConsumerBody::use_lti_pii`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub use_lti_pii: Option<bool>,
    /// See [`LtiConsumerBody::require_user_account`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub require_user_account: Option<bool>,
}
