//! What an LMS asks Vouch over HTTP, for many learners or on their behalf (Open edX's
//! `IDVerificationService` answers, SSO verifications, the retirement pipeline) and the
//! operators' retry configuration. Callers are staff: an LMS service user's JWT carries the
//! `administrator` claim, or the account has the staff flag. The one exception is
//! `verify_location`, which any caller may ask (it names a public page).
//!
//! Ids: `user_ids` are the LMS's user ids, the `user_id` claim of its JWT that Vouch keeps
//! as `lms_user_id` when a learner first signs in, so the LMS asks and is answered in its
//! own id space. An id Vouch has never seen is a learner who never verified here.

use super::{
    super::{AppState, error::ApiError, identity::Identity},
    openedx::drf_time,
};
use crate::service::{
    accounts, idv,
    lms::{self, LmsLearner, StatusItem},
    retry_config, sso,
};
use app::error::ErrorCode;
use axum::{
    Json,
    extract::{Path, Query, State},
    http::StatusCode,
};
use rest_types::{RetryConfigBody, SetRetryConfigRequest};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// Longest course key, mode or name accepted in a request.
const MAX_FIELD: usize = 255;

/// The body limit of the two batch routes: 10,000 items (the batch bound) of about 1 KiB
/// each, enough for a username, course key and mode of `MAX_FIELD` ASCII characters with
/// their keys, quotes and spacing. axum's 2 MB default refuses a full batch of long keys.
pub const BATCH_BODY_LIMIT: usize = 10_000 * 1024;

fn check_field(field: &str, value: &str, required: bool) -> Result<(), ApiError> {
    if required && value.trim().is_empty() {
        return Err(ApiError::new(ErrorCode::InvalidRequest, format!("{field} is required.")));
    }
    if value.chars().count() > MAX_FIELD || value.chars().any(char::is_control) {
        return Err(ApiError::new(
            ErrorCode::InvalidRequest,
            format!("{field} must be at most {MAX_FIELD} characters without control characters."),
        ));
    }
    Ok(())
}

/// The LMS user ids to check.
#[derive(Debug, Deserialize, ToSchema)]
pub struct VerifiedUserIdsRequest {
    /// The LMS's user ids (the JWT `user_id` claim), at most 10,000.
    pub user_ids: Vec<i64>,
}

/// The LMS user ids whose learner is verified now.
#[derive(Debug, Serialize, ToSchema)]
pub struct VerifiedUserIdsBody {
    /// Ascending, without repeats; a subset of the ids asked about.
    pub verified_user_ids: Vec<i64>,
}

/// Which of these LMS users are verified now (Open edX `get_verified_user_ids`, attempt
/// filters applied): staff or an LMS service user. Ids are the LMS's own user ids; unknown
/// ids are not verified. At most 10,000 ids per call.
#[utoipa::path(post, path = "/api/v1/verified_user_ids", tag = "vouch", request_body = VerifiedUserIdsRequest,
    responses((status = 200, description = "OK", body = VerifiedUserIdsBody),
        (status = 400, description = "More than 10,000 ids, or not JSON"),
        (status = 401, description = "Not signed in"), (status = 403, description = "Not staff"),
        (status = 422, description = "Not a list of integers")))]
pub async fn verified_user_ids(
    State(state): State<AppState>,
    who: Identity,
    Json(req): Json<VerifiedUserIdsRequest>,
) -> Result<Json<VerifiedUserIdsBody>, ApiError> {
    who.require_staff()?;
    let verified_user_ids = lms::verified_lms_user_ids(&state.services, &req.user_ids).await?;
    Ok(Json(VerifiedUserIdsBody { verified_user_ids }))
}

/// One grade-report row: a learner (by LMS user id or username), a course and a mode.
#[derive(Debug, Deserialize, ToSchema)]
pub struct StatusItemRequest {
    /// The LMS's user id (give this or `username`).
    pub user_id: Option<i64>,
    /// The username (give this or `user_id`).
    pub username: Option<String>,
    /// The course the learner is enrolled in.
    pub course_key: String,
    /// The enrollment mode (`verified`, `audit`, ...).
    pub mode: String,
}

/// The rows of a grade report.
#[derive(Debug, Deserialize, ToSchema)]
pub struct VerificationStatusesRequest {
    /// At most 10,000 rows.
    pub items: Vec<StatusItemRequest>,
}

/// One answered row.
#[derive(Debug, Serialize, ToSchema)]
pub struct StatusItemBody {
    /// As asked.
    pub user_id: Option<i64>,
    /// As asked.
    pub username: Option<String>,
    /// As asked.
    pub course_key: String,
    /// As asked.
    pub mode: String,
    /// `ID Verified`, `Not ID Verified`, or `N/A` (a mode that needs no verification).
    pub verification_status: String,
}

/// The answered rows, in the order asked.
#[derive(Debug, Serialize, ToSchema)]
pub struct VerificationStatusesBody {
    /// One per item asked.
    pub results: Vec<StatusItemBody>,
}

/// The grade-report verification status of each (learner, course, mode) row (Open edX
/// `verification_status_for_user`): staff or an LMS service user. At most 10,000 rows.
#[utoipa::path(post, path = "/api/v1/verification_statuses", tag = "vouch", request_body = VerificationStatusesRequest,
    responses((status = 200, description = "OK", body = VerificationStatusesBody),
        (status = 400, description = "More than 10,000 items, or an item without exactly one of user_id and username"),
        (status = 401, description = "Not signed in"), (status = 403, description = "Not staff"),
        (status = 422, description = "An item with a missing or mistyped field")))]
pub async fn verification_statuses(
    State(state): State<AppState>,
    who: Identity,
    Json(req): Json<VerificationStatusesRequest>,
) -> Result<Json<VerificationStatusesBody>, ApiError> {
    who.require_staff()?;
    // The bound first: a list too long is refused before any item is read.
    lms::check_batch(req.items.len(), "items")?;
    let mut items = Vec::with_capacity(req.items.len());
    for (i, item) in req.items.iter().enumerate() {
        let learner = match (item.user_id, &item.username) {
            (Some(id), None) => LmsLearner::LmsUserId(id),
            (None, Some(name)) => {
                check_field(&format!("items[{i}].username"), name, true)?;
                LmsLearner::Username(name.clone())
            }
            _ => {
                return Err(ApiError::new(
                    ErrorCode::InvalidRequest,
                    format!("items[{i}] needs exactly one of user_id and username."),
                ));
            }
        };
        check_field(&format!("items[{i}].course_key"), &item.course_key, true)?;
        check_field(&format!("items[{i}].mode"), &item.mode, true)?;
        items.push(StatusItem { learner, mode: item.mode.clone() });
    }
    let statuses = lms::verification_statuses(&state.services, &items).await?;
    let results = req
        .items
        .into_iter()
        .zip(statuses)
        .map(|(item, status)| StatusItemBody {
            user_id: item.user_id,
            username: item.username,
            course_key: item.course_key,
            mode: item.mode,
            verification_status: status.to_owned(),
        })
        .collect();
    Ok(Json(VerificationStatusesBody { results }))
}

/// `?course_id=`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct VerifyLocationQuery {
    /// The course the learner verifies for, if any.
    pub course_id: Option<String>,
}

/// Where a learner verifies.
#[derive(Debug, Serialize, ToSchema)]
pub struct VerifyLocationBody {
    /// The absolute URL.
    pub url: String,
}

/// Where to send a learner to verify (Open edX `get_verify_location`), with the course
/// when given, after the `IDVerificationURLRequested` filter. Anyone may ask (it names a
/// public page); a signed-in caller is passed to the filter, which may answer per learner.
#[utoipa::path(get, path = "/api/v1/verify_location", tag = "vouch", params(VerifyLocationQuery),
    responses((status = 200, description = "OK", body = VerifyLocationBody),
        (status = 400, description = "A course id that is too long or has control characters"),
        (status = 401, description = "A token that is forged or expired (no token is fine)")))]
pub async fn verify_location(
    State(state): State<AppState>,
    who: Option<Identity>,
    Query(q): Query<VerifyLocationQuery>,
) -> Result<Json<VerifyLocationBody>, ApiError> {
    let course = q.course_id.as_deref().map(str::trim).filter(|c| !c.is_empty());
    if let Some(c) = course {
        check_field("course_id", c, true)?;
    }
    let url = idv::get_verify_location_for(&state.services, who.map(|w| w.user.id), course).await;
    Ok(Json(VerifyLocationBody { url }))
}

/// An identity provider's verification of a learner.
#[derive(Debug, Deserialize, ToSchema)]
pub struct SsoVerificationRequest {
    /// The provider's kind, e.g. `common.djangoapps.third_party_auth.models.SAMLProviderConfig` (≤ 100 characters).
    pub identity_provider_type: String,
    /// The provider's slug (≤ 30 letters, digits, `-`, `_`).
    pub identity_provider_slug: String,
    /// The name verified (default: the account's profile name).
    pub name: Option<String>,
}

/// The record created.
#[derive(Debug, Serialize, ToSchema)]
pub struct SsoCreated {
    /// The SSO verification's id.
    pub id: i64,
}

/// Records that an identity provider verified a learner (Open edX `SSOVerification`):
/// approved now, expiring after the policy's days. Staff or an LMS service user.
/// Idempotent while valid: when an approved record from the same provider (type and slug)
/// is still valid, 200 with its id and nothing new (a retried POST is not a second
/// verification); otherwise 201 with the new record's id.
#[utoipa::path(post, path = "/api/v1/users/{username}/sso-verifications", tag = "vouch",
    params(("username" = String, Path, description = "The learner's username")), request_body = SsoVerificationRequest,
    responses((status = 201, description = "Created", body = SsoCreated),
        (status = 200, description = "One from this provider is still valid: its id, nothing created", body = SsoCreated),
        (status = 400, description = "Bad input"),
        (status = 401, description = "Not signed in"), (status = 403, description = "Not staff"),
        (status = 404, description = "No such learner"),
        (status = 422, description = "A missing or mistyped field")))]
pub async fn create_sso_verification(
    State(state): State<AppState>,
    who: Identity,
    Path(username): Path<String>,
    Json(req): Json<SsoVerificationRequest>,
) -> Result<(StatusCode, Json<SsoCreated>), ApiError> {
    who.require_staff()?;
    let provider = sso::Provider::parse(&req.identity_provider_type, &req.identity_provider_slug)?;
    if let Some(name) = &req.name {
        check_field("name", name, true)?;
    }
    let learner = accounts::by_username(&state.services, &username).await?;
    let name = req.name.as_deref().unwrap_or(&learner.full_name).trim().to_owned();
    Ok(match sso::record_once(&state.services, learner.id, &name, &provider).await? {
        sso::Recorded::New(id) => (StatusCode::CREATED, Json(SsoCreated { id })),
        sso::Recorded::Existing(id) => (StatusCode::OK, Json(SsoCreated { id })),
    })
}

/// Retires a learner for the LMS's retirement pipeline, as `vouch retire-user` does: their
/// photos are deleted and their names and email scrubbed from every record. Staff or an
/// LMS service user. Idempotent: retiring again, or retiring a username Vouch never held,
/// answers 204 too (there is nothing of theirs left).
#[utoipa::path(post, path = "/api/v1/users/{username}/retire", tag = "vouch",
    params(("username" = String, Path, description = "The learner's username")),
    responses((status = 204, description = "Retired (or nothing to retire)"),
        (status = 400, description = "A username with a control character"), (status = 401, description = "Not signed in"),
        (status = 403, description = "Not staff")))]
pub async fn retire_user(
    State(state): State<AppState>,
    who: Identity,
    Path(username): Path<String>,
) -> Result<StatusCode, ApiError> {
    who.require_staff()?;
    match lms::retire_by_username(&state.services, &username).await? {
        Some(n) => tracing::info!(retired.attempts = n, "user retired through the API"),
        None => tracing::info!("retirement asked for a user Vouch does not hold"),
    }
    Ok(StatusCode::NO_CONTENT)
}

fn retry_body(row: Option<crate::service::records::RetryConfigRow>) -> RetryConfigBody {
    match row {
        Some(r) => RetryConfigBody {
            arguments: Some(r.arguments),
            enabled: r.enabled,
            changed_by: Some(r.changed_by),
            changed_at: Some(drf_time(r.changed_at)),
        },
        None => RetryConfigBody { arguments: None, enabled: false, changed_by: None, changed_at: None },
    }
}

/// The retry configuration in force (staff only).
#[utoipa::path(get, path = "/api/v1/retry-config", tag = "vouch",
    responses((status = 200, description = "OK", body = RetryConfigBody), (status = 401, description = "Not signed in"),
        (status = 403, description = "Not staff")))]
pub async fn get_retry_config(State(state): State<AppState>, who: Identity) -> Result<Json<RetryConfigBody>, ApiError> {
    who.require_staff()?;
    Ok(Json(retry_body(retry_config::current(&state.services).await?)))
}

/// Stores the retry configuration (staff only); the arguments are checked as
/// `retry-failed` reads them, and refused ones change nothing.
#[utoipa::path(put, path = "/api/v1/retry-config", tag = "vouch", request_body = SetRetryConfigRequest,
    responses((status = 200, description = "Stored", body = RetryConfigBody), (status = 400, description = "Bad arguments"),
        (status = 401, description = "Not signed in"), (status = 403, description = "Not staff")))]
pub async fn set_retry_config(
    State(state): State<AppState>,
    who: Identity,
    Json(req): Json<SetRetryConfigRequest>,
) -> Result<Json<RetryConfigBody>, ApiError> {
    who.require_staff()?;
    let by = format!("staff:{}", who.user.username);
    let row = retry_config::set(&state.services, &req.arguments, req.enabled, &by).await?;
    Ok(Json(retry_body(Some(row))))
}
