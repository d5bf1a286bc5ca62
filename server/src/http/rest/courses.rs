//! `PUT /api/v1/courses/{course_key}`: the LMS reports a course run (its name and end), as
//! Open edX's course-publish signal does for `verify_student`. A verification deadline that
//! staff did not set explicitly follows the run's end; an explicit one is kept.

use super::{
    super::{AppState, error::ApiError, identity::Identity},
    openedx::drf_time,
};
use crate::service::courses;
use axum::{
    Json,
    extract::{Path, State},
};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A course run as the LMS reports it.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CourseRunRequest {
    /// The course's name, shown to learners in the verification flow (at most 255 characters).
    pub display_name: String,
    /// When the run ends (RFC 3339), or null when it does not.
    pub end: Option<DateTime<Utc>>,
}

/// The run as stored, with the verification deadline that now applies.
#[derive(Debug, Serialize, ToSchema)]
pub struct CourseRunBody {
    /// The course key.
    pub course_key: String,
    /// The course's name.
    pub display_name: String,
    /// The run's end.
    pub end: Option<String>,
    /// The course's verification deadline after this update.
    pub verification_deadline: Option<String>,
    /// Whether that deadline was set explicitly by staff (then the end does not move it).
    pub deadline_is_explicit: bool,
}

/// Creates or updates a course run (staff or an LMS service user). A non-explicit
/// verification deadline follows `end` (and is removed with a null `end`); an explicit one
/// (`PUT /api/v1/courses/{course_key}/deadline`) is never overwritten.
#[utoipa::path(put, path = "/api/v1/courses/{course_key}", tag = "vouch",
    params(("course_key" = String, Path, description = "The course key")), request_body = CourseRunRequest,
    responses((status = 200, description = "OK", body = CourseRunBody), (status = 400, description = "Bad input"),
        (status = 401, description = "Not signed in"), (status = 403, description = "Not staff or a service user")))]
pub async fn put_course_run(
    State(state): State<AppState>,
    who: Identity,
    Path(course_key): Path<String>,
    Json(req): Json<CourseRunRequest>,
) -> Result<Json<CourseRunBody>, ApiError> {
    who.require_staff()?;
    let by = format!("course_run:{}", who.user.username);
    let deadline = courses::update_run(&state.services, &course_key, &req.display_name, req.end, &by).await?;
    Ok(Json(CourseRunBody {
        course_key,
        display_name: req.display_name.trim().to_owned(),
        end: req.end.map(drf_time),
        verification_deadline: deadline.deadline.map(drf_time),
        deadline_is_explicit: deadline.is_explicit,
    }))
}
