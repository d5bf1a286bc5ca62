//! The in-house review queue, `/api/v1/reviews/…`, for staff and users with the `reviewer`
//! role. Handlers check the role and call one `service::review` function; refusals carry
//! stable codes (`not_claim_holder`, `own_attempt`, `already_decided`, `invalid_reasons`).

use super::super::{AppState, error::ApiError, identity::Identity};
use crate::service::review::{
    self, ReviewError,
    decide::Verdict,
    detail::{FirstDenial, PastAttempt, ReviewDetail},
    reasons::{CODES, ReasonInput},
    stats::{QueueNow, ReviewStats},
};
use axum::{
    Json,
    extract::{Path, State},
    http::StatusCode,
    response::{IntoResponse, Response},
};
use chrono::{DateTime, SecondsFormat, Utc};
use rest_types::ReviewStatsBody;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use utoipa::ToSchema;

impl From<ReviewError> for ApiError {
    fn from(e: ReviewError) -> Self {
        Self(e.into())
    }
}

fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// A claimed attempt.
#[derive(Debug, Serialize, ToSchema)]
pub struct ClaimBody {
    /// The attempt's receipt id.
    pub receipt_id: String,
    /// Until when the claim holds (RFC 3339).
    pub claimed_until: String,
    /// The queue after the claim.
    pub queue: QueueNow,
}

/// Claims the oldest unclaimed attempt for the caller (or returns the one they hold).
#[utoipa::path(post, path = "/api/v1/reviews/claim", tag = "vouch",
    responses((status = 200, description = "Claimed", body = ClaimBody), (status = 204, description = "Nothing to review"),
        (status = 401, description = "Not signed in"), (status = 403, description = "Not a reviewer")))]
pub async fn claim(State(state): State<AppState>, who: Identity) -> Result<Response, ApiError> {
    let reviewer = who.require_reviewer()?;
    Ok(match review::queue::claim(&state.services, reviewer).await? {
        Some(c) => {
            Json(ClaimBody { receipt_id: c.receipt_id, claimed_until: rfc3339(c.claimed_until), queue: c.queue })
                .into_response()
        }
        None => StatusCode::NO_CONTENT.into_response(),
    })
}

/// Where the two photos are.
#[derive(Debug, Serialize, ToSchema)]
pub struct PhotoLinks {
    /// The face photo (decrypted on demand, audited, not cached).
    pub face: String,
    /// The ID photo.
    pub photo_id: String,
}

/// A first denial waiting for a second reviewer.
#[derive(Debug, Serialize, ToSchema)]
pub struct FirstDenialBody {
    /// The first reviewer's username.
    pub first_reviewer: String,
    /// Their reasons.
    pub reasons: Vec<ReasonInput>,
    /// Their note.
    pub note: String,
}

/// Another attempt of the learner.
#[derive(Debug, Serialize, ToSchema)]
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
    pub reasons: Vec<ReasonInput>,
}

/// What a reviewer sees of an attempt.
#[derive(Debug, Serialize, ToSchema)]
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

impl From<ReviewDetail> for DetailBody {
    fn from(d: ReviewDetail) -> Self {
        let enc = percent_encoding::utf8_percent_encode(&d.receipt_id, percent_encoding::NON_ALPHANUMERIC).to_string();
        Self {
            photos: PhotoLinks {
                face: format!("/verify_student/decrypt-idv-images/face/{enc}"),
                photo_id: format!("/verify_student/decrypt-idv-images/photo-id/{enc}"),
            },
            receipt_id: d.receipt_id,
            username: d.username,
            account_name: d.account_name,
            expected_name: d.expected_name,
            submitted_at: d.submitted_at.map(rfc3339),
            status: d.status.as_str().to_owned(),
            claimed_by: d.claimed_by,
            claimed_until: d.claimed_until.map(rfc3339),
            id_photo_reused: d.id_photo_reused,
            awaiting_second_review: d
                .awaiting_second_review
                .map(|FirstDenial { first_reviewer, reasons, note }| FirstDenialBody { first_reviewer, reasons, note }),
            history: d
                .history
                .into_iter()
                .map(|h: PastAttempt| HistoryBody {
                    receipt_id: h.receipt_id,
                    status: h.status.as_str().to_owned(),
                    created_at: rfc3339(h.created_at),
                    decided_at: h.decided_at.map(rfc3339),
                    decided_by: h.decided_by,
                    reasons: h.reasons,
                })
                .collect(),
        }
    }
}

/// A claimed attempt's details (claim holder or staff).
#[utoipa::path(get, path = "/api/v1/reviews/{receipt_id}", tag = "vouch",
    params(("receipt_id" = String, Path, description = "The attempt's receipt id")),
    responses((status = 200, description = "OK", body = DetailBody), (status = 401, description = "Not signed in"),
        (status = 403, description = "Not a reviewer, not the claim holder (`not_claim_holder`), or the caller's own \
            attempt (`own_attempt`)"), (status = 404, description = "No such attempt in the review queue")))]
pub async fn detail(
    State(state): State<AppState>,
    who: Identity,
    Path(receipt_id): Path<String>,
) -> Result<([(axum::http::HeaderName, &'static str); 1], Json<DetailBody>), ApiError> {
    let reviewer = who.require_reviewer()?;
    let body: DetailBody = review::detail::detail(&state.services, reviewer, &receipt_id).await?.into();
    // Names, history and reviewers' notes: never kept by a browser or proxy cache.
    Ok(([(axum::http::header::CACHE_CONTROL, "no-store")], Json(body)))
}

/// A reviewer's decision.
#[derive(Debug, Deserialize, ToSchema)]
pub struct DecisionRequest {
    /// `approve` or `deny`.
    pub decision: String,
    /// A denial's reasons (at least one), from Open edX's table; none for an approval.
    #[serde(default)]
    pub reasons: Vec<ReasonInput>,
    /// A note for other reviewers (never shown to the learner).
    #[serde(default)]
    pub note: String,
}

/// What the decision did.
#[derive(Debug, Serialize, ToSchema)]
pub struct DecisionBody {
    /// Receipt id.
    pub receipt_id: String,
    /// The attempt's status afterwards.
    pub status: String,
    /// Whether it is decided (false: a first denial awaiting a second reviewer).
    #[serde(rename = "final")]
    pub final_: bool,
}

/// Approves or denies a claimed attempt (claim holder only).
#[utoipa::path(post, path = "/api/v1/reviews/{receipt_id}/decision", tag = "vouch",
    params(("receipt_id" = String, Path, description = "The attempt's receipt id")), request_body = DecisionRequest,
    responses((status = 200, description = "Decided", body = DecisionBody),
        (status = 400, description = "Bad decision or reasons (`invalid_reasons`)"),
        (status = 401, description = "Not signed in"),
        (status = 403, description = "Not a reviewer, not the claim holder, or the caller's own attempt"),
        (status = 404, description = "No such attempt in the review queue"),
        (status = 409, description = "Decided already (`already_decided`)")))]
pub async fn decision(
    State(state): State<AppState>,
    who: Identity,
    Path(receipt_id): Path<String>,
    Json(req): Json<DecisionRequest>,
) -> Result<Json<DecisionBody>, ApiError> {
    let reviewer = who.require_reviewer()?;
    let verdict = Verdict::parse(&req.decision)?;
    let done = review::decide::decide(&state.services, reviewer, &receipt_id, verdict, &req.reasons, &req.note).await?;
    Ok(Json(DecisionBody { receipt_id: done.receipt_id, status: done.status.as_str().to_owned(), final_: done.final_ }))
}

/// Gives a claim back (its holder, or staff).
#[utoipa::path(post, path = "/api/v1/reviews/{receipt_id}/release", tag = "vouch",
    params(("receipt_id" = String, Path, description = "The attempt's receipt id")),
    responses((status = 204, description = "Released"), (status = 401, description = "Not signed in"),
        (status = 403, description = "Not a reviewer, or not the claim holder"),
        (status = 404, description = "No such attempt in the review queue"),
        (status = 409, description = "Decided already")))]
pub async fn release(
    State(state): State<AppState>,
    who: Identity,
    Path(receipt_id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let reviewer = who.require_reviewer()?;
    review::queue::release(&state.services, reviewer, &receipt_id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The queue's figures.
#[utoipa::path(get, path = "/api/v1/reviews/stats", tag = "vouch",
    responses((status = 200, description = "OK", body = ReviewStatsBody), (status = 401, description = "Not signed in"),
        (status = 403, description = "Not a reviewer")))]
pub async fn stats(State(state): State<AppState>, who: Identity) -> Result<Json<ReviewStatsBody>, ApiError> {
    who.require_reviewer()?;
    let s: ReviewStats = review::stats::stats(&state.services).await?;
    Ok(Json(ReviewStatsBody {
        size: s.size,
        oldest_age_secs: s.oldest_age_secs,
        claimed: s.claimed,
        decided_last_24h: s.decided_last_24h,
        time_to_decision_p50_secs: s.time_to_decision_p50_secs,
        time_to_decision_p95_secs: s.time_to_decision_p95_secs,
    }))
}

/// The reason codes a denial may give, by category (Open edX's table).
#[utoipa::path(get, path = "/api/v1/reviews/reasons", tag = "vouch",
    responses((status = 200, description = "Codes by category", body = BTreeMap<String, Vec<String>>),
        (status = 401, description = "Not signed in"), (status = 403, description = "Not a reviewer")))]
pub async fn reasons(who: Identity) -> Result<Json<BTreeMap<&'static str, Vec<&'static str>>>, ApiError> {
    who.require_reviewer()?;
    Ok(Json(CODES.iter().map(|(category, codes)| (*category, codes.to_vec())).collect()))
}
