//! Server functions under `/sfn/`: resolve the caller (session or LMS JWT), provide the port,
//! and make every error an envelope with the status its code calls for.
//!
//! Before server_fn reads anything, a request passes three gates, cheapest first: the
//! function exists; the body has the content type that function reads (as `app::sfn`'s
//! table says; 415 otherwise: a cross-site form can only send form, multipart or text
//! bodies, and never JSON); and the caller is resolved, with the cross-site check of cookie
//! credentials. Only then is the body read, up to a limit that depends on who asks what:
//! the photo upload's ~14 MB only for a signed-in caller of `submit_photos`, [`SMALL_BODY`]
//! for everything else, so an anonymous client cannot make the server buffer megabytes.

use super::{AppState, error::error_response, identity};
use app::{
    error::{AppError, ErrorCode},
    idv_port::{Caller, RequestContext},
    sfn::{Encoding, Endpoint},
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

/// Errors are small; anything larger is not one of ours.
const MAX_ERROR_BODY: usize = 64 * 1024;

/// The body limit of every server function but the photo upload (they take no arguments).
pub const SMALL_BODY: usize = 16 * 1024;

/// Whether the request's content type is one that `endpoint` reads: its input encoding, as
/// `app::sfn` reads it from the function's `#[server]` (a form-encoded function also takes
/// an empty JSON object from API clients, read as no arguments).
fn content_type_fits(endpoint: Endpoint, headers: &HeaderMap) -> bool {
    let Some(mime) = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|v| v.split(';').next().unwrap_or_default().trim().to_ascii_lowercase())
    else {
        return false;
    };
    match endpoint.encoding() {
        Encoding::Json => mime == "application/json",
        Encoding::Form => mime == "application/json" || mime == "application/x-www-form-urlencoded",
    }
}

/// `POST /sfn/{name}`. The body is read here, up to the limit, so that an oversized upload
/// is a 413 whether or not it declares its length.
pub async fn server_fns(State(state): State<AppState>, req: Request<Body>) -> Response {
    let path = req.uri().path();
    if !server_fn::axum::server_fn_paths().any(|(p, _)| p == path) {
        return error_response(&AppError::new(ErrorCode::NotFound, "No such server function."));
    }
    // A function missing from `app::sfn`'s table is refused like a wrong content type (and a
    // unit test fails), so a new one cannot slip through unchecked.
    let endpoint = Endpoint::from_path(path);
    if !endpoint.is_some_and(|e| content_type_fits(e, req.headers())) {
        let message = if endpoint.is_some_and(|e| e.encoding() == Encoding::Json) {
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
    let submit = endpoint == Some(Endpoint::SubmitPhotos);
    let limit = match (submit, user_id) {
        (true, Some(_)) => super::sfn_body_limit(&state.cfg),
        (true, None) => return error_response(&AppError::unauthenticated()),
        (false, _) => SMALL_BODY,
    };
    if submit
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
            let mut res = Response::from_parts(parts, Body::from(bytes));
            super::error::add_retry_after(&mut res);
            res
        }
        Err(_) => error_response(&AppError::internal()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_server_function_is_in_the_table_and_registered() {
        let registered: Vec<&str> = server_fn::axum::server_fn_paths().map(|(p, _)| p).collect();
        for path in &registered {
            assert!(Endpoint::from_path(path).is_some(), "{path} is not in app::sfn's table");
        }
        for endpoint in Endpoint::ALL {
            assert!(registered.contains(&endpoint.path()), "{endpoint:?} is not registered: {registered:?}");
        }
    }

    #[test]
    fn content_types() {
        let h = |ct: &'static str| {
            let mut h = HeaderMap::new();
            h.insert(header::CONTENT_TYPE, HeaderValue::from_static(ct));
            h
        };
        let (submit, slot) = (Endpoint::SubmitPhotos, Endpoint::SlotConfig);
        assert!(content_type_fits(submit, &h("application/json; charset=utf-8")));
        assert!(!content_type_fits(submit, &h("application/x-www-form-urlencoded")));
        assert!(content_type_fits(slot, &h("application/x-www-form-urlencoded")));
        assert!(content_type_fits(slot, &h("Application/JSON")));
        for form in ["text/plain", "multipart/form-data; boundary=x"] {
            assert!(!content_type_fits(slot, &h(form)), "{form}");
        }
        assert!(!content_type_fits(slot, &HeaderMap::new()));
    }
}
