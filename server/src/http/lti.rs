//! `POST /lti_provider/courses/{course_id}/{usage_id}`: an LTI 1.1 launch (Open edX's URL
//! shape). The handler reads the form, lets [`crate::lti::launch`] verify and record it,
//! then switches the browser session to the launch's user and sends the learner to the
//! verification flow (or the status page when verified or under review), inside the LMS iframe.
//! Also the staff console's consumer management under `/api/v1/lti/consumers`.

use super::{AppState, auth, error::ApiError, identity::Identity, lti_link};
use crate::lti::{
    consumers::{self, ConsumerInput, ConsumerUpdate, ConsumerView},
    launch::{self, LaunchError, LaunchRequest, Outcome},
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
            LaunchError::Params(_)
            | LaunchError::SignatureMethod(_)
            | LaunchError::OutcomeUrl(_)
            | LaunchError::LinkEmailMissing => ErrorCode::InvalidRequest,
            LaunchError::UnknownConsumer | LaunchError::BadSignature | LaunchError::Stale | LaunchError::Replayed => {
                ErrorCode::Unauthenticated
            }
            LaunchError::GuidMismatch => ErrorCode::Forbidden,
        };
        ApiError::new(code, message)
    }
}

/// An LTI 1.1 launch from a consumer (LMS), signed with OAuth 1.0a HMAC-SHA1.
///
/// Signs the browser in as the launch's user and redirects (303) to the verification flow,
/// or to the status page when the learner is verified or under review. For a consumer with
/// `require_user_account` and an LTI user not linked yet: redirects (303) to the
/// sign-in-and-link step `/lti_provider/link` instead, signed in as nobody.
#[utoipa::path(post, path = "/lti_provider/courses/{course_id}/{usage_id}", tag = "lti",
    params(("course_id" = String, Path, description = "The course"), ("usage_id" = String, Path, description = "The resource")),
    request_body(content_type = "application/x-www-form-urlencoded", description = "The LTI launch parameters and OAuth fields"),
    responses((status = 303, description = "Signed in; to the flow"), (status = 400, description = "A parameter is missing or wrong"),
        (status = 401, description = "Bad, stale or replayed signature, or unknown key"),
        (status = 403, description = "Consumer GUID mismatch")))]
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
    // Both outcomes clear this browser's session (whoever was signed in is signed out). The
    // "Continue on your phone" link it showed goes first: once cleared, the session no
    // longer says which link that was, and the phone on it would stay signed in.
    super::handoff::revoke_shown(&state, &session, None).await?;
    let launched = match launched {
        Outcome::SignedIn(l) => l,
        Outcome::NeedsAccount { pending, frame_ancestors } => {
            lti_link::remember(&session, &pending).await?;
            tracing::info!("LTI launch needs the learner's LMS account");
            return Ok(framed(Redirect::to(lti_link::LINK_PATH).into_response(), &frame_ancestors));
        }
    };
    // Whoever was signed in on this browser is signed out: the LMS decides who this is.
    session.clear().await;
    auth::sign_in(&session, launched.user).await?;
    tracing::info!(user.id = %launched.user, lti.new_user = launched.new_user, "LTI launch signed in");
    let next = if launched.show_status { app::routes::STATUS } else { app::routes::HOME };
    Ok(framed(Redirect::to(next).into_response(), &launched.frame_ancestors))
}

/// Sets the consumer's framing policy on a launch's answer.
fn framed(mut res: Response, frame_ancestors: &str) -> Response {
    if let Ok(v) = HeaderValue::from_str(&format!("frame-ancestors {frame_ancestors}")) {
        res.headers_mut().insert(header::CONTENT_SECURITY_POLICY, v);
    }
    res
}

/// Every LTI consumer (staff only); secrets are never included.
#[utoipa::path(get, path = "/api/v1/lti/consumers", tag = "vouch",
    responses((status = 200, description = "The consumers", body = Vec<ConsumerView>), (status = 401, description = "Not signed in"),
        (status = 403, description = "Not staff")))]
pub async fn list_consumers(State(state): State<AppState>, who: Identity) -> Result<Response, ApiError> {
    let staff = who.require_staff()?;
    Ok(Json(consumers::list(&state.services, staff).await?).into_response())
}

/// Adds an LTI consumer (staff only); answers the consumer without its secret.
///
/// JSON `{"name", "key", "secret", "instance_guid"?, "allowed_outcome_hosts"?, "frame_ancestors"?,
/// "use_lti_pii"?, "require_user_account"?}` (both opt-ins off unless given).
#[utoipa::path(post, path = "/api/v1/lti/consumers", tag = "vouch",
    request_body(content_type = "application/json", description = "name, key, secret, instance_guid?, allowed_outcome_hosts?, frame_ancestors?, use_lti_pii?, require_user_account?"),
    responses((status = 201, description = "Created", body = ConsumerView), (status = 400, description = "Bad field"),
        (status = 401, description = "Not signed in"), (status = 403, description = "Not staff"),
        (status = 409, description = "Key or GUID taken"), (status = 415, description = "Not JSON")))]
pub async fn add_consumer(
    State(state): State<AppState>,
    who: Identity,
    Json(input): Json<ConsumerInput>,
) -> Result<Response, ApiError> {
    let staff = who.require_staff()?;
    let added = consumers::add(&state.services, staff, input).await?;
    Ok((StatusCode::CREATED, Json(added)).into_response())
}

/// Changes an LTI consumer's opt-ins (staff only): Open edX's `use_lti_pii` and
/// `require_user_account`; an absent field is left as it is.
///
/// JSON `{"use_lti_pii"?: bool, "require_user_account"?: bool}`.
#[utoipa::path(patch, path = "/api/v1/lti/consumers/{key}", tag = "vouch",
    params(("key" = String, Path, description = "The consumer key")),
    request_body = ConsumerUpdate,
    responses((status = 200, description = "The consumer as it now is", body = ConsumerView), (status = 400, description = "Nothing to change, or a bad field"),
        (status = 401, description = "Not signed in"), (status = 403, description = "Not staff"),
        (status = 404, description = "No such consumer"), (status = 415, description = "Not JSON"),
        (status = 422, description = "An unknown field, or not a boolean")))]
pub async fn update_consumer(
    State(state): State<AppState>,
    who: Identity,
    Path(key): Path<String>,
    Json(update): Json<ConsumerUpdate>,
) -> Result<Response, ApiError> {
    let staff = who.require_staff()?;
    Ok(Json(consumers::update(&state.services, staff, &key, update).await?).into_response())
}

/// Removes an LTI consumer (staff only).
#[utoipa::path(delete, path = "/api/v1/lti/consumers/{key}", tag = "vouch",
    params(("key" = String, Path, description = "The consumer key")),
    responses((status = 204, description = "Removed"), (status = 401, description = "Not signed in"),
        (status = 403, description = "Not staff"), (status = 404, description = "No such consumer")))]
pub async fn remove_consumer(
    State(state): State<AppState>,
    who: Identity,
    Path(key): Path<String>,
) -> Result<Response, ApiError> {
    let staff = who.require_staff()?;
    consumers::remove(&state.services, staff, &key).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}
