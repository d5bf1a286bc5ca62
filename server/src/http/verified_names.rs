//! Name affirmation for the signed-in learner: ask to have a name verified, see one's
//! verified names and their history. Learners see only their own.

use super::{AppState, error::ApiError, identity::Identity};
use crate::service::name_affirmation;
use axum::{
    Json,
    extract::State,
    http::{StatusCode, header},
    response::{IntoResponse, Response},
};
use serde::Deserialize;

/// The request body of `POST /api/v1/verified_name`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewVerifiedName {
    /// The name to verify.
    pub verified_name: String,
    /// One of the learner's own attempts that verifies it, if already known.
    pub verification_attempt_uuid: Option<String>,
}

/// The caller's verified names: `{"verified_name": <the newest or null>, "results": [all, newest first]}`.
#[utoipa::path(get, path = "/api/v1/verified_name", operation_id = "list_verified_names", tag = "vouch",
    responses((status = 200, description = "The verified names"), (status = 401, description = "Not signed in")))]
pub async fn list(State(state): State<AppState>, who: Identity) -> Result<Response, ApiError> {
    let user = who.user.id;
    let names = name_affirmation::verified_names(&state.services, user).await?;
    let body = serde_json::json!({ "verified_name": names.first(), "results": names });
    Ok(([(header::CACHE_CONTROL, "no-store")], Json(body)).into_response())
}

/// Asks to have a name verified (name affirmation): 201 and the new record, status `pending`.
#[utoipa::path(post, path = "/api/v1/verified_name", operation_id = "request_verified_name", tag = "vouch",
    request_body(content_type = "application/json", description = "verified_name, verification_attempt_uuid?"),
    responses((status = 201, description = "Created"), (status = 400, description = "Bad name"),
        (status = 401, description = "Not signed in")))]
pub async fn create(
    State(state): State<AppState>,
    who: Identity,
    Json(body): Json<NewVerifiedName>,
) -> Result<Response, ApiError> {
    let user = who.user.id;
    let record = name_affirmation::request_verified_name_as_learner(
        &state.services,
        user,
        &body.verified_name,
        body.verification_attempt_uuid.as_deref(),
    )
    .await?;
    Ok((StatusCode::CREATED, Json(record)).into_response())
}

/// Every change of the caller's verified names, oldest first.
#[utoipa::path(get, path = "/api/v1/verified_name/history", operation_id = "verified_name_history", tag = "vouch",
    responses((status = 200, description = "The history"), (status = 401, description = "Not signed in")))]
pub async fn history(State(state): State<AppState>, who: Identity) -> Result<Response, ApiError> {
    let user = who.user.id;
    let changes = name_affirmation::history(&state.services, user).await?;
    Ok(([(header::CACHE_CONTROL, "no-store")], Json(serde_json::json!({ "results": changes }))).into_response())
}
