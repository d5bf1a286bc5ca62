//! Name affirmation for the signed-in learner: ask to have a name verified, see one's
//! verified names and their history. Learners see only their own.

use super::{AppState, auth, error::ApiError};
use crate::service::name_affirmation;
use app::{domain::UserId, error::ErrorCode};
use axum::{
    Json,
    extract::State,
    http::{StatusCode, header},
    response::{IntoResponse, Response},
};
use serde::Deserialize;
use tower_sessions::Session;

async fn signed_in(session: &Session) -> Result<UserId, ApiError> {
    auth::session_user(session).await?.ok_or_else(|| ApiError::new(ErrorCode::Unauthenticated, "You need to sign in."))
}

/// The request body of `POST /api/v1/verified_name`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewVerifiedName {
    /// The name to verify.
    pub verified_name: String,
    /// One of the learner's own attempts that verifies it, if already known.
    pub verification_attempt_uuid: Option<String>,
}

/// `GET /api/v1/verified_name`: `{"verified_name": <the newest or null>, "results": [all, newest first]}`.
pub async fn list(State(state): State<AppState>, session: Session) -> Result<Response, ApiError> {
    let user = signed_in(&session).await?;
    let names = name_affirmation::verified_names(&state.services, user).await?;
    let body = serde_json::json!({ "verified_name": names.first(), "results": names });
    Ok(([(header::CACHE_CONTROL, "no-store")], Json(body)).into_response())
}

/// `POST /api/v1/verified_name` → 201 and the new record (status `pending`).
pub async fn create(
    State(state): State<AppState>,
    session: Session,
    Json(body): Json<NewVerifiedName>,
) -> Result<Response, ApiError> {
    let user = signed_in(&session).await?;
    let record = name_affirmation::request_verified_name_as_learner(
        &state.services,
        user,
        &body.verified_name,
        body.verification_attempt_uuid.as_deref(),
    )
    .await?;
    Ok((StatusCode::CREATED, Json(record)).into_response())
}

/// `GET /api/v1/verified_name/history`: every change, oldest first.
pub async fn history(State(state): State<AppState>, session: Session) -> Result<Response, ApiError> {
    let user = signed_in(&session).await?;
    let changes = name_affirmation::history(&state.services, user).await?;
    Ok(([(header::CACHE_CONTROL, "no-store")], Json(serde_json::json!({ "results": changes }))).into_response())
}
