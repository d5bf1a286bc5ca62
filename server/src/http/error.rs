//! Errors as HTTP responses: always the JSON envelope `{"error": {"code", "message"}}`.

use crate::service::ServiceError;
use app::error::{AppError, ErrorCode};
use axum::{
    Json,
    http::{HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};

/// An error leaving an HTTP handler.
#[derive(Debug)]
pub struct ApiError(pub AppError);

impl ApiError {
    /// An error with a code and message.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self(AppError::new(code, message))
    }
}

impl From<ServiceError> for ApiError {
    fn from(e: ServiceError) -> Self {
        Self(e.into())
    }
}

/// Some services (the hand-off links) return the store's error as it is.
impl From<crate::service::records::StoreError> for ApiError {
    fn from(e: crate::service::records::StoreError) -> Self {
        ServiceError::from(e).into()
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        error_response(&self.0)
    }
}

/// The response for an [`AppError`].
pub fn error_response(e: &AppError) -> Response {
    let status = StatusCode::from_u16(e.http_status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut res = (status, Json(e)).into_response();
    add_retry_after(&mut res);
    res
}

/// Seconds a client is told to wait before trying a `503` again: the refusals are a full
/// photo queue (drained in well under a second) or a database away for a moment, and an
/// LMS or script that honours the header retries instead of giving up or hammering.
pub const RETRY_AFTER_SECS: u32 = 3;

/// Adds `Retry-After` to a `503` that has none (RFC 9110 §10.2.3).
pub fn add_retry_after(res: &mut Response) {
    if res.status() == StatusCode::SERVICE_UNAVAILABLE && !res.headers().contains_key(header::RETRY_AFTER) {
        res.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(RETRY_AFTER_SECS));
    }
}

/// `404` for API paths that do not exist (instead of the SPA's `index.html`).
pub async fn not_found() -> ApiError {
    ApiError::new(ErrorCode::NotFound, "No such endpoint.")
}

fn is_json(res: &Response) -> bool {
    res.headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"))
}

/// A readable error page a handler made for a browser that asked for HTML (the hand-off
/// pages): left as it is.
fn is_page(res: &Response) -> bool {
    res.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).is_some_and(|v| v.starts_with("text/html"))
}

/// Turns every error response made outside our handlers (body limits, method routing,
/// extractor rejections) into the JSON envelope, so clients see one error format.
pub fn json_errors(res: Response) -> Response {
    let status = res.status();
    if !(status.is_client_error() || status.is_server_error()) || is_json(&res) || is_page(&res) {
        return res;
    }
    let code = ErrorCode::from_http_status(status.as_u16());
    let message = match code {
        ErrorCode::PayloadTooLarge => "The request body is too large.",
        ErrorCode::MethodNotAllowed => "This method is not allowed here.",
        ErrorCode::NotFound => "Not found.",
        ErrorCode::Internal => "Something went wrong on our side. Please try again.",
        ErrorCode::Unavailable => "The service is unavailable for a moment. Please try again.",
        _ => "The request could not be read.",
    };
    let mut out = (status, Json(AppError::new(code, message))).into_response();
    // Keep headers such as Allow (405) that tell the client what to do instead.
    for (name, value) in res.headers() {
        if name != header::CONTENT_TYPE && name != header::CONTENT_LENGTH {
            out.headers_mut().insert(name.clone(), value.clone());
        }
    }
    out.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    add_retry_after(&mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_503_says_when_to_try_again_and_other_errors_do_not() {
        let busy = error_response(&AppError::new(ErrorCode::Unavailable, "busy"));
        assert_eq!(busy.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(busy.headers()[header::RETRY_AFTER], RETRY_AFTER_SECS.to_string().as_str());
        let bad = error_response(&AppError::new(ErrorCode::InvalidRequest, "bad"));
        assert!(!bad.headers().contains_key(header::RETRY_AFTER));
        // A 503 made outside the handlers (a layer's) gets it too, in the JSON envelope.
        let layer = json_errors(StatusCode::SERVICE_UNAVAILABLE.into_response());
        assert_eq!(layer.headers()[header::RETRY_AFTER], RETRY_AFTER_SECS.to_string().as_str());
    }
}
