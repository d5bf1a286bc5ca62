//! `/api/v1/courses/{course_key}/deadline…`: a course's verification deadline (anyone
//! signed in), set or removed by staff with its history.

use super::{url, urlencode};
use crate::{
    http::{
        AppState,
        error::ApiError,
        identity::Identity,
        rest::{PageQuery, Paginated, openedx::drf_time, paginate},
    },
    service::deadlines,
};
use axum::{
    Json,
    extract::{Path, Query, State},
};
use chrono::{DateTime, Utc};
use rest_types::{DeadlineBody, DeadlineChangeBody};
use serde::Deserialize;
use utoipa::ToSchema;

/// A course's verification deadline (any signed-in user).
#[utoipa::path(get, path = "/api/v1/courses/{course_key}/deadline", tag = "vouch",
    params(("course_key" = String, Path, description = "The course key")),
    responses((status = 200, description = "OK", body = DeadlineBody), (status = 401, description = "Not signed in")))]
pub async fn get_deadline(
    State(state): State<AppState>,
    _who: Identity,
    Path(course_key): Path<String>,
) -> Result<Json<DeadlineBody>, ApiError> {
    let deadline = deadlines::deadline_for_course(&state.services, &course_key).await?;
    Ok(Json(DeadlineBody { course_key, deadline: deadline.map(drf_time) }))
}

/// A deadline to set; `null` removes it.
#[derive(Debug, Deserialize, ToSchema)]
pub struct SetDeadlineRequest {
    /// The new deadline (RFC 3339), or null to remove it.
    pub deadline: Option<DateTime<Utc>>,
    /// Whether staff set it explicitly (not derived from the course end), default true.
    #[serde(default = "yes")]
    pub deadline_is_explicit: bool,
}

fn yes() -> bool {
    true
}

/// Sets or removes a course's verification deadline (staff only); the change is kept in
/// the course's deadline history with who made it.
#[utoipa::path(put, path = "/api/v1/courses/{course_key}/deadline", tag = "vouch",
    params(("course_key" = String, Path, description = "The course key")), request_body = SetDeadlineRequest,
    responses((status = 200, description = "OK", body = DeadlineBody), (status = 400, description = "Bad input"),
        (status = 401, description = "Not signed in"), (status = 403, description = "Not staff")))]
pub async fn set_deadline(
    State(state): State<AppState>,
    who: Identity,
    Path(course_key): Path<String>,
    Json(req): Json<SetDeadlineRequest>,
) -> Result<Json<DeadlineBody>, ApiError> {
    who.require_staff()?;
    let by = format!("staff:{}", who.user.username);
    deadlines::set_deadline(&state.services, &course_key, req.deadline, req.deadline_is_explicit, &by).await?;
    Ok(Json(DeadlineBody { course_key, deadline: req.deadline.map(drf_time) }))
}

/// A course's deadline history, newest first (staff only).
#[utoipa::path(get, path = "/api/v1/courses/{course_key}/deadline/history", tag = "vouch",
    params(("course_key" = String, Path, description = "The course key"), PageQuery),
    responses((status = 200, description = "OK", body = Paginated<DeadlineChangeBody>), (status = 401, description = "Not signed in"),
        (status = 403, description = "Not staff")))]
pub async fn deadline_history(
    State(state): State<AppState>,
    who: Identity,
    Path(course_key): Path<String>,
    Query(page): Query<PageQuery>,
) -> Result<Json<Paginated<DeadlineChangeBody>>, ApiError> {
    who.require_staff()?;
    let mut changes = deadlines::history(&state.services, &course_key).await?;
    changes.reverse();
    let bodies = changes
        .into_iter()
        .map(|c| DeadlineChangeBody {
            deadline: c.deadline.map(drf_time),
            deadline_is_explicit: c.is_explicit,
            changed_by: c.changed_by,
            changed_at: drf_time(c.changed_at),
        })
        .collect();
    let base = url(&state, &format!("/api/v1/courses/{}/deadline/history", urlencode(&course_key)));
    Ok(Json(paginate(bodies, page, &base)?))
}
