//! Server functions under `/sfn/`: resolve the caller (session or LMS JWT), provide the port,
//! and make every error an envelope with the status its code calls for.
//!
//! Before server_fn reads anything, a request passes three gates, cheapest first: the
//! function exists; the body has the content type that function reads (415 otherwise: a
//! cross-site form can only send form, multipart or text bodies, and never JSON); and the
//! caller is resolved, with the cross-site check of cookie credentials. Only then is the
//! body read, up to a limit that depends on who asks what: the photo upload's ~14 MB only
//! for a signed-in caller of `submit_photos`, [`SMALL_BODY`] for everything else, so an
//! anonymous client cannot make the server buffer megabytes.

use super::{AppState, error::error_response, identity};
use app::{
    error::{AppError, ErrorCode},
    idv_port::{Caller, RequestContext},
};
use axum::{
    Json,
    body::{Body, to_bytes},
    extract::State,
    http::{HeaderMap, HeaderValue, Request, StatusCode, header},
    response::{IntoResponse, Response},
};
use leptos::prelude::provide_context;

/// The header server_fn puts on error responses.
const SERVER_FN_ERROR_HEADER: &str = "serverfnerror";

/// The photo submission, limited per learner like its REST twin.
const SUBMIT_PATH: &str = "/sfn/submit_photos";

/// Errors are small; anything larger is not one of ours.
const MAX_ERROR_BODY: usize = 64 * 1024;

/// The body limit of every server function but the photo upload (they take no arguments).
pub const SMALL_BODY: usize = 16 * 1024;

/// What a server function's body is, by the encoding it declares in `app`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Input {
    /// `input = Json`: `application/json` only.
    Json,
    /// server_fn's default URL encoding: the form the SPA sends (empty for the functions
    /// without arguments; `slot_config` may carry `course_id`), or an empty JSON object from
    /// API clients (read as no arguments).
    Form,
}

/// Every server function and its input; a function missing here is refused (415), and a
/// unit test fails, so a new one cannot slip through unchecked.
const INPUTS: &[(&str, Input)] = &[
    (SUBMIT_PATH, Input::Json),
    ("/sfn/session_info", Input::Form),
    ("/sfn/verification_status", Input::Form),
    ("/sfn/flow_info", Input::Form),
    ("/sfn/slot_config", Input::Form),
    ("/sfn/course_flow", Input::Json),
];

/// Whether the request's content type is one that `path` reads.
fn content_type_fits(path: &str, headers: &HeaderMap) -> bool {
    let Some(input) = INPUTS.iter().find(|(p, _)| *p == path).map(|(_, i)| *i) else {
        return false;
    };
    let Some(mime) = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|v| v.split(';').next().unwrap_or_default().trim().to_ascii_lowercase())
    else {
        return false;
    };
    match input {
        Input::Json => mime == "application/json",
        Input::Form => mime == "application/json" || mime == "application/x-www-form-urlencoded",
    }
}

/// `POST /sfn/{name}`. The body is read here, up to the limit, so that an oversized upload
/// is a 413 whether or not it declares its length.
pub async fn server_fns(State(state): State<AppState>, req: Request<Body>) -> Response {
    let path = req.uri().path().to_owned();
    if !server_fn::axum::server_fn_paths().any(|(p, _)| p == path) {
        return error_response(&AppError::new(ErrorCode::NotFound, "No such server function."));
    }
    if !content_type_fits(&path, req.headers()) {
        let message = if INPUTS.iter().any(|(p, i)| *p == path && *i == Input::Json) {
            "Send this server function's arguments as application/json."
        } else {
            "Send an application/x-www-form-urlencoded body, or an empty application/json one."
        };
        return (StatusCode::UNSUPPORTED_MEDIA_TYPE, Json(AppError::new(ErrorCode::InvalidRequest, message)))
            .into_response();
    }
    let (mut parts, body) = req.into_parts();
    let (user_id, phone) = match identity::resolve(&mut parts, &state).await {
        Ok(who) => (who.as_ref().map(|w| w.user.id), who.is_some_and(|w| w.phone.is_some())),
        Err(e) => return e.into_response(),
    };
    let limit = match (path == SUBMIT_PATH, user_id) {
        (true, Some(_)) => super::sfn_body_limit(&state.cfg),
        (true, None) => return error_response(&AppError::unauthenticated()),
        (false, _) => SMALL_BODY,
    };
    if path == SUBMIT_PATH
        && let Some(user) = user_id
        && let Err(e) = state.limits.submit(user)
    {
        return e.into_response();
    }
    let Ok(bytes) = to_bytes(body, limit).await else {
        return error_response(&AppError::new(ErrorCode::PayloadTooLarge, "The request body is too large."));
    };
    let req = Request::from_parts(parts, Body::from(bytes));
    let ctx = RequestContext { port: state.port.clone(), caller: Caller { user_id, phone } };
    let res =
        leptos_axum::handle_server_fns_with_context(move || provide_context(ctx.clone()), req).await.into_response();
    if res.headers().contains_key(SERVER_FN_ERROR_HEADER) { with_error_status(res).await } else { res }
}

/// server_fn answers every error with 500; set the status from the error's code instead.
async fn with_error_status(res: Response) -> Response {
    let (mut parts, body) = res.into_parts();
    let Ok(bytes) = to_bytes(body, MAX_ERROR_BODY).await else {
        return error_response(&AppError::internal());
    };
    match serde_json::from_slice::<AppError>(&bytes) {
        Ok(e) => {
            parts.status = axum::http::StatusCode::from_u16(e.http_status()).unwrap_or(parts.status);
            parts.headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
            Response::from_parts(parts, Body::from(bytes))
        }
        Err(_) => error_response(&AppError::internal()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_server_function_has_a_content_type_rule() {
        for (path, _) in server_fn::axum::server_fn_paths() {
            assert!(INPUTS.iter().any(|(p, _)| *p == path), "{path} has no content-type rule in INPUTS");
        }
    }

    #[test]
    fn content_types() {
        let h = |ct: &'static str| {
            let mut h = HeaderMap::new();
            h.insert(header::CONTENT_TYPE, HeaderValue::from_static(ct));
            h
        };
        assert!(content_type_fits(SUBMIT_PATH, &h("application/json; charset=utf-8")));
        assert!(!content_type_fits(SUBMIT_PATH, &h("application/x-www-form-urlencoded")));
        assert!(content_type_fits("/sfn/slot_config", &h("application/x-www-form-urlencoded")));
        assert!(content_type_fits("/sfn/slot_config", &h("Application/JSON")));
        for form in ["text/plain", "multipart/form-data; boundary=x"] {
            assert!(!content_type_fits("/sfn/slot_config", &h(form)), "{form}");
        }
        assert!(!content_type_fits("/sfn/slot_config", &HeaderMap::new()));
    }
}
