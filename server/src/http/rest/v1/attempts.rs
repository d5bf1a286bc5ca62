//! `/api/v1/attempts/…`: an attempt's audit history, and a must_retry photo attempt sent
//! to the vendor again (staff only).

use super::url;
use crate::{
    http::{
        AppState,
        error::ApiError,
        identity::Identity,
        rest::{PageQuery, Paginated, openedx::drf_time, paginate},
    },
    service::{attempt_history, retry},
};
use app::{
    domain::{AttemptId, AttemptKind},
    error::ErrorCode,
};
use axum::{
    Json,
    extract::{Path, Query, State},
};
use rest_types::{RetryBody, TransitionBody};

fn parse_kind(kind: &str) -> Result<AttemptKind, ApiError> {
    AttemptKind::ALL
        .into_iter()
        .find(|k| k.as_str() == kind)
        .ok_or_else(|| ApiError::new(ErrorCode::NotFound, "No such attempt kind."))
}

/// An attempt's audit history, oldest first (staff only).
#[utoipa::path(get, path = "/api/v1/attempts/{kind}/{id}/history", tag = "vouch",
    params(("kind" = String, Path, description = "photo, sso, manual or generic"),
        ("id" = i64, Path, description = "The attempt's id"), PageQuery),
    responses((status = 200, description = "OK", body = Paginated<TransitionBody>), (status = 401, description = "Not signed in"),
        (status = 403, description = "Not staff"), (status = 404, description = "No such attempt")))]
pub async fn attempt_history(
    State(state): State<AppState>,
    who: Identity,
    Path((kind, id)): Path<(String, i64)>,
    Query(page): Query<PageQuery>,
) -> Result<Json<Paginated<TransitionBody>>, ApiError> {
    who.require_staff()?;
    let kind = parse_kind(&kind)?;
    let history = attempt_history::history(&state.services, kind, id).await?;
    if history.is_empty() {
        return Err(ApiError::new(ErrorCode::NotFound, "No such attempt."));
    }
    let bodies = history
        .into_iter()
        .map(|t| TransitionBody {
            from: t.from,
            to: t.to,
            actor_kind: t.actor_kind,
            actor_id: t.actor_id,
            reason: t.reason,
            at: drf_time(t.at),
        })
        .collect();
    let base = url(&state, &format!("/api/v1/attempts/{}/{id}/history", kind.as_str()));
    Ok(Json(paginate(bodies, page, &base)?))
}

/// Submits a must_retry photo attempt to the vendor again (staff only).
#[utoipa::path(post, path = "/api/v1/attempts/photo/{id}/retry", tag = "vouch",
    params(("id" = i64, Path, description = "The photo attempt's id")),
    responses((status = 200, description = "OK", body = RetryBody), (status = 401, description = "Not signed in"),
        (status = 403, description = "Not staff"), (status = 404, description = "No such attempt")))]
pub async fn retry_photo_attempt(
    State(state): State<AppState>,
    who: Identity,
    Path(id): Path<i64>,
) -> Result<Json<RetryBody>, ApiError> {
    who.require_staff()?;
    let report = retry::retry_one(&state.services, AttemptId(id)).await?;
    Ok(Json(RetryBody { queued: report.queued, skipped: report.skipped }))
}
