//! `/api/v1/…/manual-verifications`: staff verify a learner by hand, or revoke it; the
//! reason is required and audited.

use crate::{
    http::{AppState, error::ApiError, identity::Identity},
    service::{accounts, manual_verifications},
};
use app::error::ErrorCode;
use axum::{
    Json,
    extract::{Path, State},
    http::StatusCode,
};
use rest_types::{Created, ManualVerificationRequest, ReasonRequest};

/// The largest reason or name accepted.
const MAX_TEXT: usize = 1000;

fn check_text(field: &str, value: &str) -> Result<(), ApiError> {
    if value.trim().is_empty() {
        return Err(ApiError::new(ErrorCode::InvalidRequest, format!("{field} is required.")));
    }
    if value.chars().count() > MAX_TEXT || value.chars().any(|c| c.is_control() && c != '\n') {
        return Err(ApiError::new(
            ErrorCode::InvalidRequest,
            format!("{field} is too long or has control characters."),
        ));
    }
    Ok(())
}

/// Verifies a learner by hand (staff only): approved now, expiring after the policy's days.
#[utoipa::path(post, path = "/api/v1/users/{username}/manual-verifications", tag = "vouch",
    params(("username" = String, Path, description = "The learner's username")),
    request_body = ManualVerificationRequest,
    responses((status = 201, description = "Created", body = Created), (status = 400, description = "Bad input"),
        (status = 401, description = "Not signed in"), (status = 403, description = "Not staff"),
        (status = 404, description = "No such learner")))]
pub async fn create_manual_verification(
    State(state): State<AppState>,
    who: Identity,
    Path(username): Path<String>,
    Json(req): Json<ManualVerificationRequest>,
) -> Result<(StatusCode, Json<Created>), ApiError> {
    who.require_staff()?;
    check_text("reason", &req.reason)?;
    if let Some(name) = &req.name {
        check_text("name", name)?;
    }
    let learner = accounts::by_username(&state.services, &username).await?;
    let name = req.name.as_deref().unwrap_or(&learner.full_name).trim().to_owned();
    let id = manual_verifications::create_manual_verification(
        &state.services,
        learner.id,
        &name,
        req.reason.trim(),
        Some(who.user.id),
    )
    .await?;
    Ok((StatusCode::CREATED, Json(Created { id })))
}

/// Revokes a manual verification (staff only): approved → denied.
#[utoipa::path(post, path = "/api/v1/manual-verifications/{id}/revoke", tag = "vouch",
    params(("id" = i64, Path, description = "The manual verification's id")), request_body = ReasonRequest,
    responses((status = 204, description = "Revoked"), (status = 400, description = "Bad input"),
        (status = 401, description = "Not signed in"), (status = 403, description = "Not staff"),
        (status = 404, description = "No such verification"), (status = 409, description = "Not approved")))]
pub async fn revoke_manual_verification(
    State(state): State<AppState>,
    who: Identity,
    Path(id): Path<i64>,
    Json(req): Json<ReasonRequest>,
) -> Result<StatusCode, ApiError> {
    who.require_staff()?;
    check_text("reason", &req.reason)?;
    manual_verifications::revoke_manual_verification(&state.services, id, Some(who.user.id), req.reason.trim()).await?;
    Ok(StatusCode::NO_CONTENT)
}
