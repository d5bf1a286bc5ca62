//! `/api/v1/jobs…`: the background jobs, and a failed one queued again (staff only).

use super::{url, urlencode};
use crate::{
    http::{
        AppState,
        error::ApiError,
        identity::Identity,
        rest::{PageQuery, Paginated, openedx::drf_time},
    },
    service::jobs_admin,
};
use axum::{
    Json,
    extract::{Path, Query, State},
    http::StatusCode,
};
use rest_types::JobBody;
use serde::Deserialize;
use utoipa::IntoParams;

/// `?status=` of the job list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct JobsQuery {
    /// `queued`, `running`, `done` or `failed` (default: all).
    pub status: Option<String>,
}

/// Background jobs, newest change first (staff only): failed ones are what needs a look.
#[utoipa::path(get, path = "/api/v1/jobs", tag = "vouch", params(JobsQuery, PageQuery),
    responses((status = 200, description = "OK", body = Paginated<JobBody>), (status = 400, description = "Bad status"),
        (status = 401, description = "Not signed in"), (status = 403, description = "Not staff")))]
pub async fn list_jobs(
    State(state): State<AppState>,
    who: Identity,
    Query(q): Query<JobsQuery>,
    Query(page): Query<PageQuery>,
) -> Result<Json<Paginated<JobBody>>, ApiError> {
    who.require_staff()?;
    let (offset, limit) = page.offset_limit()?;
    let (p, size) = page.resolve()?;
    let (jobs, count) = jobs_admin::list(&state.services, q.status.as_deref(), offset, limit).await?;
    let results = jobs
        .into_iter()
        .map(|j| JobBody {
            id: j.id,
            kind: j.kind,
            status: j.status,
            attempts: j.attempts,
            max_attempts: j.max_attempts,
            last_error: j.last_error,
            run_at: drf_time(j.run_at),
            updated_at: drf_time(j.updated_at),
        })
        .collect();
    let base = match &q.status {
        Some(s) => url(&state, &format!("/api/v1/jobs?status={}", urlencode(s))),
        None => url(&state, "/api/v1/jobs"),
    };
    Ok(Json(Paginated::from_page(results, count as usize, p, size, &base)))
}

/// Queues a failed job again with a fresh allowance of tries (staff only).
#[utoipa::path(post, path = "/api/v1/jobs/{id}/retry", tag = "vouch",
    params(("id" = i64, Path, description = "The job's id")),
    responses((status = 204, description = "Queued again"), (status = 401, description = "Not signed in"),
        (status = 403, description = "Not staff"), (status = 409, description = "Not a failed job")))]
pub async fn retry_job(
    State(state): State<AppState>,
    who: Identity,
    Path(id): Path<i64>,
) -> Result<StatusCode, ApiError> {
    who.require_staff()?;
    jobs_admin::retry(&state.services, id).await?;
    Ok(StatusCode::NO_CONTENT)
}
