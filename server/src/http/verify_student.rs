//! Open edX's `verify_student` endpoints: submit photos, the vendor's results callback, and
//! the expiring photo URLs the vendor fetches.

use super::{AppState, error::ApiError, identity::Identity, openedx_form::OpenEdxSubmitForm};
use crate::service::{
    results::{self, CallbackError},
    vendor_photos,
};
use app::{dto::SubmitPhotosRequest, error::ErrorCode};
use axum::{
    Json,
    body::{Body, Bytes},
    extract::{FromRequest, Path, Query, State},
    http::{HeaderMap, StatusCode, header},
    response::{IntoResponse, Response},
};
use serde::Deserialize;

pub use super::openedx_form::SubmitPhotosForm;

/// Submits the learner's photos for verification.
///
/// Open edX's `SubmitPhotosView` (form fields `face_image`, `photo_id_image`, `full_name`
/// as data URLs); the same service as the SPA's server function, with the same door check
/// (Open edX's `can_verify_now`, then the daily cap).
#[utoipa::path(post, path = "/verify_student/submit-photos/", tag = "open edx",
    request_body(content_type = "application/x-www-form-urlencoded", description = "face_image, photo_id_image, full_name, course_key"),
    responses((status = 200, description = "Submitted"),
        (status = 400, description = "Bad photo or name; or `cannot_verify_now`: an attempt is under review, or the learner is verified and not expiring soon; or `deadline_passed`: the course's verification deadline has passed"),
        (status = 401, description = "Not signed in"), (status = 413, description = "Too large"),
        (status = 429, description = "Too many submissions (per minute, or `limits.submit_per_user_per_day`)")))]
pub async fn submit_photos(
    State(state): State<AppState>,
    who: Identity,
    req: axum::extract::Request,
) -> Result<Response, ApiError> {
    let user = who.user.id;
    // Before the body is read and decoded (a megabyte of CPU work a request, queued with
    // everyone's photo work): a learner over the limit costs nothing more.
    state.limits.submit(user)?;
    let form = match OpenEdxSubmitForm::from_request(req, &state).await {
        Ok(OpenEdxSubmitForm(form)) => form,
        Err(rejection) => return Ok(rejection),
    };
    let course_key = form.course_key.filter(|c| !c.is_empty());
    let face_image = form
        .face_image
        .filter(|f| !f.is_empty())
        .ok_or_else(|| ApiError::new(ErrorCode::InvalidImage, "Missing required parameter face_image"))?;
    let request =
        SubmitPhotosRequest { face_image, photo_id_image: form.photo_id_image, full_name: form.full_name, course_key };
    // Through the learner's vendor (the configured one unless a filter routes them): with a
    // hosted or manual vendor there is nothing to upload.
    let vendor = crate::vendors::for_learner(&state.services, user, request.course_key.as_deref()).await;
    vendor.submit(&state.services, user, request).await.map_err(|e| ApiError(e.into()))?;
    Ok((StatusCode::OK, Json(serde_json::json!({}))).into_response())
}

/// The vendor's verdict on an attempt (Software Secure's signed callback).
///
/// Answers `OK!` when the verdict was recorded. Refusals never echo the request body back.
#[utoipa::path(post, path = "/verify_student/results_callback", tag = "open edx",
    request_body(content_type = "application/json", description = "EdX-ID, Result, Reason, MessageType"),
    responses((status = 200, description = "OK!"), (status = 400, description = "Bad body or unknown attempt"),
        (status = 401, description = "Bad or stale signature")))]
pub async fn results_callback(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let e = match results::handle(&state.services, &headers, &body).await {
        Ok(()) => {
            return (StatusCode::OK, [(header::CONTENT_TYPE, "text/plain; charset=utf-8")], "OK!").into_response();
        }
        Err(CallbackError::Internal(inner)) => return ApiError::from(inner).into_response(),
        Err(e) => e,
    };
    let code = match &e {
        CallbackError::BadRequest(_) => ErrorCode::InvalidRequest,
        CallbackError::Unauthorized | CallbackError::Stale => ErrorCode::Unauthenticated,
        _ => ErrorCode::Conflict,
    };
    tracing::info!(error = %e, "callback refused");
    ApiError::new(code, e.to_string()).into_response()
}

/// The signed query of a photo URL.
#[derive(Debug, Deserialize)]
pub struct PhotoQuery {
    /// Unix seconds after which the URL is dead.
    pub expires: i64,
    /// HMAC of the object and `expires`.
    pub signature: String,
}

/// A sealed photo (the encrypted text) for the vendor, streamed from the vault, while the
/// URL's signature and expiry hold and the attempt awaits the vendor's verdict.
///
/// The URLs are the ones put in the vendor request; any other, and any URL of a decided
/// attempt or of deleted photos, is a 404.
#[utoipa::path(get, path = "/verify_student/photos/{kind}/{receipt_id}", tag = "vendor",
    params(("kind" = String, Path, description = "face or photo_id"), ("receipt_id" = String, Path, description = "Receipt id"),
        ("expires" = i64, Query, description = "Unix seconds"), ("signature" = String, Query, description = "HMAC")),
    responses((status = 200, description = "The sealed photo"),
        (status = 404, description = "Bad, expired or unknown URL, or the attempt is decided")))]
pub async fn photo(
    State(state): State<AppState>,
    Path(object): Path<String>,
    Query(q): Query<PhotoQuery>,
) -> Result<Response, ApiError> {
    let photo = vendor_photos::open(&state.services, &object, q.expires, &q.signature).await?;
    Ok((
        StatusCode::OK,
        [(header::CONTENT_TYPE, "text/plain".to_owned()), (header::CONTENT_LENGTH, photo.size.to_string())],
        Body::from_stream(photo.stream),
    )
        .into_response())
}

/// `GET /verify_student/{start-flow|upgrade|verify-now|verify-later|payment-confirmation}/{course_id}/`:
/// Open edX's flow pages, where pay-and-verify redirects (and the commerce service, after
/// payment) send learners. Vouch's flow is the SPA: it gets the course and which page the
/// learner came to (`flow`), so it knows an upgrade from a verify-later.
///
/// The course id is the rest of the path, so old slash-separated ids
/// (`/verify_student/start-flow/edX/DemoX/2014/`) work as Open edX's `COURSE_ID_PATTERN`
/// accepts them; the trailing slash is Open edX's, not the id's.
pub async fn flow_page(
    uri: axum::http::Uri,
    Path(course_id): Path<String>,
) -> Result<axum::response::Redirect, ApiError> {
    let course_id = course_id.strip_suffix('/').unwrap_or(&course_id);
    if course_id.is_empty() {
        return Err(ApiError::new(ErrorCode::NotFound, "No course in the link."));
    }
    let flow = uri.path().trim_start_matches("/verify_student/").split('/').next().unwrap_or_default();
    // Only the pages routed here; anything else is the first-time flow.
    let flow =
        if crate::service::course_flow::FLOWS.iter().any(|(name, _)| *name == flow) { flow } else { "start-flow" };
    let course = percent_encoding::utf8_percent_encode(course_id, percent_encoding::NON_ALPHANUMERIC);
    Ok(axum::response::Redirect::to(&format!("{}?course_id={course}&flow={flow}", app::routes::HOME)))
}
