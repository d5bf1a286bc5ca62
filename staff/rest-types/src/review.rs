//! The in-house review queue's bodies (`/api/v1/reviews/…`).

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

#[cfg(feature = "openapi")]
use utoipa::ToSchema;

/// One denial reason: a category of Open edX's table and one of its codes.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct ReviewReason {
    /// `userPhotoReasons`, `photoIdReasons` or `generalReasons`.
    pub category: String,
    /// A code of that category (e.g. `Face out of view`).
    pub reason: String,
}

/// The reason codes a denial may give, by category (`GET /api/v1/reviews/reasons`).
pub type ReasonCodes = BTreeMap<String, Vec<String>>;

/// The queue right now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct QueueNowBody {
    /// Attempts waiting for a decision (claimed or not).
    pub size: i64,
    /// How long the oldest has waited, in seconds (0 when the queue is empty).
    pub oldest_age_secs: i64,
}

/// A claimed attempt (`POST /api/v1/reviews/claim`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct ClaimBody {
    /// The attempt's receipt id.
    pub receipt_id: String,
    /// Until when the claim holds (RFC 3339).
    pub claimed_until: String,
    /// The queue after the claim.
    pub queue: QueueNowBody,
}

/// Where the two photos are.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct PhotoLinks {
    /// The face photo (decrypted on demand, audited, not cached).
    pub face: String,
    /// The ID photo.
    pub photo_id: String,
}

/// A first denial waiting for a second reviewer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct FirstDenialBody {
    /// The first reviewer's username.
    pub first_reviewer: String,
    /// Their reasons.
    pub reasons: Vec<ReviewReason>,
    /// Their note.
    pub note: String,
}

/// Another attempt of the learner, with its decision.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct HistoryBody {
    /// Receipt id.
    pub receipt_id: String,
    /// Status.
    pub status: String,
    /// Created (RFC 3339).
    pub created_at: String,
    /// Decided (RFC 3339), if it was.
    pub decided_at: Option<String>,
    /// Who decided it (a reviewer's username, or the vendor).
    pub decided_by: Option<String>,
    /// A denial's reasons.
    pub reasons: Vec<ReviewReason>,
}

/// What a reviewer sees of an attempt (`GET /api/v1/reviews/{receipt_id}`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct DetailBody {
    /// Receipt id.
    pub receipt_id: String,
    /// The learner's username.
    pub username: String,
    /// The name on the account.
    pub account_name: String,
    /// The name the learner gave as on their ID.
    pub expected_name: String,
    /// Submitted (RFC 3339).
    pub submitted_at: Option<String>,
    /// Status.
    pub status: String,
    /// The claim holder (the claim may have lapsed).
    pub claimed_by: Option<String>,
    /// Until when (RFC 3339).
    pub claimed_until: Option<String>,
    /// The ID photo is an earlier approved attempt's.
    pub id_photo_reused: bool,
    /// The photos' URLs.
    pub photos: PhotoLinks,
    /// A first denial awaiting a second look, if any.
    pub awaiting_second_review: Option<FirstDenialBody>,
    /// The learner's other attempts and their decisions, newest first.
    pub history: Vec<HistoryBody>,
}

/// A reviewer's decision (`POST /api/v1/reviews/{receipt_id}/decision`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct DecisionRequest {
    /// `approve` or `deny`.
    pub decision: String,
    /// A denial's reasons (at least one), from Open edX's table; none for an approval.
    #[serde(default)]
    pub reasons: Vec<ReviewReason>,
    /// A note for other reviewers (never shown to the learner).
    #[serde(default)]
    pub note: String,
}

/// What the decision did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct DecisionBody {
    /// Receipt id.
    pub receipt_id: String,
    /// The attempt's status afterwards.
    pub status: String,
    /// Whether it is decided (false: a first denial awaiting a second reviewer). Read as
    /// true when absent, as the console always has: servers before the second look sent none.
    #[serde(rename = "final", default = "decided")]
    pub final_: bool,
}

fn decided() -> bool {
    true
}
