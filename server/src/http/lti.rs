//! `POST /lti_provider/courses/{course_id}/{usage_id}`: an LTI 1.1 launch (Open edX's URL
//! shape). The handler reads the form, lets [`crate::lti::launch`] verify and record it,
//! then switches the browser session to the launch's user and sends the learner to the
//! verification flow (or the status page when verified or under review), inside the LMS iframe.
//! Also the staff console's consumer management under `/api/v1/lti/consumers`.

use super::{AppState, auth, error::ApiError};
use crate::lti::{
    consumers::{self, ConsumerInput},
    launch::{self, LaunchError, LaunchRequest},
};
use app::error::ErrorCode;
use axum::{
    Json,
    body::Bytes,
    extract::{Path, State},
    http::{HeaderMap, HeaderValue, StatusCode, Uri, header},
    response::{IntoResponse, Redirect, Response},
};
use tower_sessions::Session;

/// The largest launch form accepted (launches are a few KB).
pub const MAX_LAUNCH_BYTES: usize = 64 * 1024;

impl From<LaunchError> for ApiError {
    fn from(e: LaunchError) -> Self {
        let message = e.to_string();
        let code = match e {
            // Logged and hidden by the service error mapping.
            LaunchError::Internal(inner) => return inner.into(),
            LaunchError::Params(_) | LaunchError::SignatureMethod(_) | LaunchError::OutcomeUrl(_) => {
                ErrorCode::InvalidRequest
            }
            LaunchError::UnknownConsumer | LaunchError::BadSignature | LaunchError::Stale | LaunchError::Replayed => {
                ErrorCode::Unauthenticated
            }
            LaunchError::GuidMismatch => ErrorCode::Forbidden,
        };
        ApiError::new(code, message)
    }
}

/// The launch endpoint.
pub async fn launch(
    State(state): State<AppState>,
    session: Session,
    Path((course_id, usage_id)): Path<(String, String)>,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let is_form = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    if !is_form {
        return Err(ApiError::new(
            ErrorCode::InvalidRequest,
            "An LTI launch is a form POST (application/x-www-form-urlencoded).",
        ));
    }
    // Query parameters are signed like form parameters (RFC 5849 §3.4.1.3.1).
    let mut params: Vec<(String, String)> =
        uri.query().map(|q| form_urlencoded::parse(q.as_bytes()).into_owned().collect()).unwrap_or_default();
    params.extend(form_urlencoded::parse(&body).into_owned());
    // The consumer signed the URL it posted to: our public URL and this path.
    let url = format!("{}{}", state.cfg.server.public_url.trim_end_matches('/'), uri.path());
    let req = LaunchRequest { course_id, usage_id, url, params };
    let launched = match launch::launch(&state.services, &req).await {
        Ok(l) => l,
        Err(e) => {
            if !matches!(e, LaunchError::Internal(_)) {
                tracing::info!(reason = %e, "LTI launch refused");
            }
            return Err(e.into());
        }
    };
    // Whoever was signed in on this browser is signed out: the LMS decides who this is.
    session.clear().await;
    auth::sign_in(&session, launched.user).await?;
    state.services.jobs_wake.notify_one();
    tracing::info!(user.id = %launched.user, lti.new_user = launched.new_user, "LTI launch signed in");
    let next = if launched.show_status { "/id-verification/status" } else { "/id-verification" };
    let mut res = Redirect::to(next).into_response();
    if let Ok(v) = HeaderValue::from_str(&format!("frame-ancestors {}", launched.frame_ancestors)) {
        res.headers_mut().insert(header::CONTENT_SECURITY_POLICY, v);
    }
    Ok(res)
}

async fn signed_in(session: &Session) -> Result<app::domain::UserId, ApiError> {
    auth::session_user(session).await?.ok_or_else(|| ApiError::new(ErrorCode::Unauthenticated, "You need to sign in."))
}

/// `GET /api/v1/lti/consumers` (staff): every consumer, secrets never included.
pub async fn list_consumers(State(state): State<AppState>, session: Session) -> Result<Response, ApiError> {
    let staff = signed_in(&session).await?;
    Ok(Json(consumers::list(&state.services, staff).await?).into_response())
}

/// `POST /api/v1/lti/consumers` (staff), JSON `{"name", "key", "secret", "instance_guid"?,
/// "allowed_outcome_hosts"?, "frame_ancestors"?}` → 201 with the consumer (no secret).
pub async fn add_consumer(
    State(state): State<AppState>,
    session: Session,
    Json(input): Json<ConsumerInput>,
) -> Result<Response, ApiError> {
    let staff = signed_in(&session).await?;
    let added = consumers::add(&state.services, staff, input).await?;
    Ok((StatusCode::CREATED, Json(added)).into_response())
}

/// `DELETE /api/v1/lti/consumers/{key}` (staff) → 204.
pub async fn remove_consumer(
    State(state): State<AppState>,
    session: Session,
    Path(key): Path<String>,
) -> Result<Response, ApiError> {
    let staff = signed_in(&session).await?;
    consumers::remove(&state.services, staff, &key).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}
