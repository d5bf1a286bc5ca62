//! Staff-only views the staff console needs beyond `v1`: a learner's verified-name history.
//! Learners read their own through `/api/v1/verified_name/history`; this is the same
//! history for any learner, for staff only.

use super::{
    super::{AppState, error::ApiError, identity::Identity},
    PageQuery, Paginated,
    openedx::drf_time,
    paginate,
};
use crate::service::{accounts, name_affirmation};
use axum::{
    Json,
    extract::{Path, Query, State},
};
use rest_types::NameChangeBody;

/// A learner's verified-name history, oldest first (staff only).
#[utoipa::path(get, path = "/api/v1/users/{username}/verified-names", operation_id = "staff_verified_name_history",
    tag = "vouch", params(("username" = String, Path, description = "The learner's username"), PageQuery),
    responses((status = 200, description = "OK", body = Paginated<NameChangeBody>),
        (status = 401, description = "Not signed in"), (status = 403, description = "Not staff"),
        (status = 404, description = "No such learner")))]
pub async fn verified_names(
    State(state): State<AppState>,
    who: Identity,
    Path(username): Path<String>,
    Query(page): Query<PageQuery>,
) -> Result<Json<Paginated<NameChangeBody>>, ApiError> {
    who.require_staff()?;
    // Bad paging is refused before any lookup.
    page.resolve()?;
    let user = accounts::by_username(&state.services, &username).await?;
    let changes = name_affirmation::history(&state.services, user.id).await?;
    let bodies = changes
        .into_iter()
        .map(|c| NameChangeBody {
            verified_name_id: c.verified_name_id,
            verified_name: c.verified_name,
            status: c.status,
            verification_attempt_uuid: c.verification_attempt_uuid,
            cause: c.cause,
            at: drf_time(c.at),
        })
        .collect();
    let encoded = percent_encoding::utf8_percent_encode(&username, percent_encoding::NON_ALPHANUMERIC);
    let base = format!("{}/api/v1/users/{encoded}/verified-names", state.cfg.server.public_url.trim_end_matches('/'));
    Ok(Json(paginate(bodies, page, &base)?))
}
