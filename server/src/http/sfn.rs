//! Server functions under `/sfn/`: resolve the caller (session or LMS JWT), provide the port,
//! and make every error an envelope with the status its code calls for.

use super::{AppState, error::error_response, identity};
use app::{
    error::{AppError, ErrorCode},
    ports::{Caller, RequestContext},
};
use axum::{
    body::{Body, to_bytes},
    extract::State,
    http::{HeaderValue, Request, header},
    response::{IntoResponse, Response},
};
use leptos::prelude::provide_context;

/// The header server_fn puts on error responses.
const SERVER_FN_ERROR_HEADER: &str = "serverfnerror";

/// The photo submission, limited per learner like its REST twin.
const SUBMIT_PATH: &str = "/sfn/submit_photos";

/// Errors are small; anything larger is not one of ours.
const MAX_ERROR_BODY: usize = 64 * 1024;

/// `POST /sfn/{name}`. The body is read here, up to the limit, so that an oversized upload
/// is a 413 whether or not it declares its length.
pub async fn server_fns(State(state): State<AppState>, req: Request<Body>) -> Response {
    let path = req.uri().path().to_owned();
    if !server_fn::axum::server_fn_paths().any(|(p, _)| p == path) {
        return error_response(&AppError::new(ErrorCode::NotFound, "No such server function."));
    }
    let (parts, body) = req.into_parts();
    let Ok(bytes) = to_bytes(body, super::sfn_body_limit(&state.cfg)).await else {
        return error_response(&AppError::new(ErrorCode::PayloadTooLarge, "The request body is too large."));
    };
    let mut parts = parts;
    let user_id = match identity::resolve(&mut parts, &state).await {
        Ok(who) => who.map(|w| w.user.id),
        Err(e) => return e.into_response(),
    };
    if path == SUBMIT_PATH
        && let Some(user) = user_id
        && let Err(e) = state.limits.submit(user)
    {
        return e.into_response();
    }
    let req = Request::from_parts(parts, Body::from(bytes));
    let ctx = RequestContext { port: state.port.clone(), caller: Caller { user_id } };
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
