//! The sign-in-and-link step of consumers with `require_user_account` (see
//! [`crate::lti::account_link`]): `GET /lti_provider/link` shows, inside the LMS iframe,
//! either the sign-in step (no LMS sign-in on this browser: sign in to the LMS, then launch
//! again) or the confirmation (which LMS account, which LMS and course); `POST` links the
//! LMS account the request is signed in with and signs the browser in as it.
//!
//! Signed in "with the LMS" means by the LMS's JWT (the Open edX cookie pair, or a header):
//! a Vouch session is not the LMS's word on who this is. The pending launch lives in the
//! browser's session only; nothing about the LTI user is stored until the link.

use super::{
    AppState, auth,
    error::ApiError,
    identity::{Identity, Via},
};
use crate::lti::account_link::{self, LinkError, PendingLink};
use app::error::ErrorCode;
use axum::{
    extract::State,
    http::{HeaderValue, header},
    response::{Html, IntoResponse, Redirect, Response},
};
use quick_xml::escape::escape;
use tower_sessions::Session;

/// The session key of the launch waiting for its LMS account.
pub const PENDING_KEY: &str = "lti_pending_link";

/// Where the link step is.
pub const LINK_PATH: &str = "/lti_provider/link";

impl From<LinkError> for ApiError {
    fn from(e: LinkError) -> Self {
        let message = e.to_string();
        let code = match e {
            LinkError::Launch(inner) => return inner.into(),
            LinkError::ConsumerGone => ErrorCode::NotFound,
            LinkError::AccountLinked | LinkError::LtiUserLinked => ErrorCode::Conflict,
            LinkError::Staff | LinkError::NotTheLaunchLearner => ErrorCode::Forbidden,
        };
        ApiError::new(code, message)
    }
}

fn unavailable<E>(_: E) -> ApiError {
    ApiError::new(ErrorCode::Unavailable, "The service is unavailable for a moment. Please try again.")
}

async fn pending(session: &Session) -> Result<PendingLink, ApiError> {
    session.get::<PendingLink>(PENDING_KEY).await.map_err(unavailable)?.ok_or_else(|| {
        ApiError::new(
            ErrorCode::InvalidRequest,
            "No LTI launch is waiting to be linked to an account: launch the activity again from your course.",
        )
    })
}

/// Keeps `pending` in a fresh session (whoever was signed in on this browser is signed out:
/// the LMS decides who this is) for the link step.
pub async fn remember(session: &Session, pending: &PendingLink) -> Result<(), ApiError> {
    session.clear().await;
    session.cycle_id().await.map_err(unavailable)?;
    session.insert(PENDING_KEY, pending).await.map_err(unavailable)
}

fn lms_account(who: Option<Identity>) -> Option<Identity> {
    who.filter(|id| id.via != Via::Session)
}

fn page(title: &str, body: &str) -> Response {
    Html(format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{}</title>\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         </head><body><main class=\"lti-link\">\
         <h1>{}</h1>{body}</main></body></html>",
        escape(title),
        escape(title)
    ))
    .into_response()
}

/// The link step: the sign-in step, or the confirmation when signed in with the LMS.
#[utoipa::path(get, path = "/lti_provider/link", tag = "lti",
    responses((status = 200, description = "The sign-in step (HTML), or the confirmation when signed in with the LMS"),
        (status = 400, description = "No launch is waiting"), (status = 401, description = "A presented LMS token is not valid")))]
pub async fn link_page(
    State(state): State<AppState>,
    session: Session,
    who: Option<Identity>,
) -> Result<Response, ApiError> {
    let pending = pending(&session).await?;
    let asked_by = format!(
        "<p>{} asks you to verify your identity for the course <strong>{}</strong>.</p>",
        escape(&pending.consumer_name),
        escape(&pending.course_id)
    );
    let Some(account) = lms_account(who) else {
        let login = state
            .cfg
            .lti
            .lms_login_url
            .as_deref()
            .filter(|u| u.starts_with("https://") || u.starts_with("http://"))
            .map(|u| {
                format!("<p><a class=\"button\" href=\"{}\" target=\"_top\">Sign in to your LMS</a></p>", escape(u))
            })
            .unwrap_or_default();
        let body = format!(
            "{asked_by}<p data-step=\"sign-in\">This course requires your LMS account. Sign in to your LMS \
             account in this browser, then launch this activity again from your course.</p>{login}"
        );
        return Ok(page("Sign in with your LMS account", &body));
    };
    // A launch made for someone else (planted in this browser): no link to offer.
    if !pending.is_for(&account.user) {
        let body = format!(
            "{asked_by}<p data-step=\"not-yours\">You are signed in to your LMS as <strong>{}</strong>, but this \
             launch was made for another learner. Nothing was linked. Launch the activity again from your own \
             course.</p>",
            escape(&account.user.username)
        );
        return Ok(page("This launch is not yours", &body));
    }
    let body = format!(
        "{asked_by}<p data-step=\"confirm\">You are signed in to your LMS as <strong>{}</strong>. Link this \
         account to the course's launches? Only link it if you launched this activity yourself.</p>\
         <form method=\"post\" action=\"{LINK_PATH}\"><button type=\"submit\">Link my account</button></form>",
        escape(&account.user.username)
    );
    Ok(page("Link your LMS account", &body))
}

/// Links the LMS account the request is signed in with to the waiting launch's LTI user,
/// signs the browser in as it and redirects (303) to the verification flow (or the status
/// page when verified or under review).
#[utoipa::path(post, path = "/lti_provider/link", tag = "lti",
    responses((status = 303, description = "Linked and signed in; to the flow"),
        (status = 400, description = "No launch is waiting"),
        (status = 401, description = "Not signed in with the LMS"),
        (status = 403, description = "Cross-site, a staff account, or an LMS account whose email is not the launch's"),
        (status = 404, description = "The consumer was removed"),
        (status = 409, description = "The account or the LTI user is linked already")))]
pub async fn confirm_link(
    State(state): State<AppState>,
    session: Session,
    who: Option<Identity>,
) -> Result<Response, ApiError> {
    let Some(account) = lms_account(who) else {
        return Err(ApiError::new(
            ErrorCode::Unauthenticated,
            "Sign in with your LMS account first: this course links your LMS account, not a Vouch session.",
        ));
    };
    let pending = pending(&session).await?;
    let launched = account_link::link(&state.services, &pending, &account.user).await?;
    session.remove::<PendingLink>(PENDING_KEY).await.map_err(unavailable)?;
    auth::sign_in(&session, launched.user).await?;
    tracing::info!(user.id = %launched.user, "LTI launch linked and signed in");
    let next = if launched.show_status { app::routes::STATUS } else { app::routes::HOME };
    let mut res = Redirect::to(next).into_response();
    if let Ok(v) = HeaderValue::from_str(&format!("frame-ancestors {}", launched.frame_ancestors)) {
        res.headers_mut().insert(header::CONTENT_SECURITY_POLICY, v);
    }
    Ok(res)
}
