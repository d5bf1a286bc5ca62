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
use rest_types::{
    ClaimBody, DecisionBody, DecisionRequest, DetailBody, FirstDenialBody, HistoryBody, PhotoLinks, QueueNowBody,
    ReasonCodes, ReviewReason, ReviewStatsBody,
};

impl From<ReviewError> for ApiError {
    fn from(e: ReviewError) -> Self {
        Self(e.into())
    }
}

fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// The wire's reasons are the service's, field for field; the two types keep the service
/// free of the REST crate.
fn reasons_out(reasons: Vec<ReasonInput>) -> Vec<ReviewReason> {
    reasons.into_iter().map(|ReasonInput { category, reason }| ReviewReason { category, reason }).collect()
}

fn queue_out(q: QueueNow) -> QueueNowBody {
    QueueNowBody { size: q.size, oldest_age_secs: q.oldest_age_secs }
}

/// Claims the oldest unclaimed attempt for the caller (or returns the one they hold).
#[utoipa::path(post, path = "/api/v1/reviews/claim", tag = "vouch",
    responses((status = 200, description = "Claimed", body = ClaimBody), (status = 204, description = "Nothing to review"),
        (status = 401, description = "Not signed in"), (status = 403, description = "Not a reviewer")))]
pub async fn claim(State(state): State<AppState>, who: Identity) -> Result<Response, ApiError> {
    let reviewer = who.require_reviewer()?;
    Ok(match review::queue::claim(&state.services, reviewer).await? {
        Some(c) => Json(ClaimBody {
            receipt_id: c.receipt_id,
            claimed_until: rfc3339(c.claimed_until),
            queue: queue_out(c.queue),
        })
        .into_response(),
        None => StatusCode::NO_CONTENT.into_response(),
    })
}

/// The service's view of an attempt as the reviewer's console reads it.
fn detail_out(d: ReviewDetail) -> DetailBody {
    let enc = percent_encoding::utf8_percent_encode(&d.receipt_id, percent_encoding::NON_ALPHANUMERIC).to_string();
    DetailBody {
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
        awaiting_second_review: d.awaiting_second_review.map(|FirstDenial { first_reviewer, reasons, note }| {
            FirstDenialBody { first_reviewer, reasons: reasons_out(reasons), note }
        }),
        history: d
            .history
            .into_iter()
            .map(|h: PastAttempt| HistoryBody {
                receipt_id: h.receipt_id,
                status: h.status.as_str().to_owned(),
                created_at: rfc3339(h.created_at),
                decided_at: h.decided_at.map(rfc3339),
                decided_by: h.decided_by,
                reasons: reasons_out(h.reasons),
            })
            .collect(),
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
    let body = detail_out(review::detail::detail(&state.services, reviewer, &receipt_id).await?);
    // Names, history and reviewers' notes: never kept by a browser or proxy cache.
    Ok(([(axum::http::header::CACHE_CONTROL, "no-store")], Json(body)))
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
    let reasons: Vec<ReasonInput> =
        req.reasons.into_iter().map(|ReviewReason { category, reason }| ReasonInput { category, reason }).collect();
    let done = review::decide::decide(&state.services, reviewer, &receipt_id, verdict, &reasons, &req.note).await?;
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
pub async fn reasons(who: Identity) -> Result<Json<ReasonCodes>, ApiError> {
    who.require_reviewer()?;
    Ok(Json(
        CODES
            .iter()
            .map(|(category, codes)| ((*category).to_owned(), codes.iter().map(|c| (*c).to_owned()).collect()))
            .collect(),
    ))
}
