//! The HTTP side: the submission endpoint and the two helper endpoints.
//!
//! Checks run cheapest first, and the body is parsed before authentication only because
//! the signature covers the parsed body (spec §6). Error bodies are JSON and never echo
//! the request (the reflection Open edX has, spec §9, is not worth imitating).

use std::sync::{Arc, MutexGuard, PoisonError};
use std::time::{Duration, SystemTime};

use axum::Json;
use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::json;

use super::registry::Registry;
use super::{Vendor, process};
use ssencrypt::python::{PyValue, loads_bytes};
use ssencrypt::{SignedHeaders, verify_authorization};

/// How far a request's `Date` may be from our clock, either way.
const DATE_WINDOW: Duration = Duration::from_secs(5 * 60);

impl Vendor {
    /// The registry, even after a panic elsewhere poisoned the lock: the counters stay
    /// meaningful, and a test reading them gets a better error than a second panic.
    pub(super) fn registry(&self) -> MutexGuard<'_, Registry> {
        self.registry.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// A valid submission: the string fields of spec §5 that processing needs.
#[derive(Debug, Clone)]
pub(super) struct Submission {
    pub edx_id: String,
    pub expected_name: String,
    pub photo_id_url: String,
    pub photo_id_key: String,
    pub user_photo_url: String,
    pub user_photo_key: String,
    pub send_response_to: String,
}

/// A refused request: status, a stable code for tests and a short human message.
struct Refusal {
    status: StatusCode,
    code: &'static str,
    message: String,
}

impl Refusal {
    fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self { status, code, message: message.into() }
    }
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        (self.status, Json(json!({"error": self.code, "message": self.message}))).into_response()
    }
}

/// The routes, over the shared state.
pub(super) fn router(vendor: Arc<Vendor>) -> Router {
    Router::new()
        .route("/", post(submit))
        .route("/healthz", get(|| async { Json(json!({"ok": true})) }))
        .route("/_fake/requests", get(requests))
        .with_state(vendor)
}

async fn requests(State(vendor): State<Arc<Vendor>>) -> Response {
    let snapshot = vendor.registry().snapshot();
    Json(snapshot).into_response()
}

async fn submit(State(vendor): State<Arc<Vendor>>, headers: HeaderMap, body: Bytes) -> Response {
    let submission = match check(&vendor, &headers, &body) {
        Ok(submission) => submission,
        Err(refusal) => {
            vendor.registry().refuse();
            tracing::info!(status = refusal.status.as_u16(), reason = refusal.code, "request refused");
            return refusal.into_response();
        }
    };
    let ordinal = vendor.registry().receive(&submission.edx_id, &submission.expected_name);
    tracing::info!(edx_id = %submission.edx_id, ordinal, "request received");
    if !vendor.config.delay.is_zero() {
        tokio::time::sleep(vendor.config.delay).await;
    }
    if ordinal <= u64::from(vendor.config.fail_first) {
        tracing::info!(edx_id = %submission.edx_id, "answering 500 (fail-first)");
        return Refusal::new(StatusCode::INTERNAL_SERVER_ERROR, "fail_first", "simulated vendor outage")
            .into_response();
    }
    // Spawned only now, when the answer is certain to be sent (see the module doc).
    if vendor.registry().start_processing(&submission.edx_id) {
        tokio::spawn(process::run(Arc::clone(&vendor), submission));
    } else {
        tracing::info!(edx_id = %submission.edx_id, "already decided or in progress: answered without a new review");
    }
    Json(json!({"ok": true})).into_response()
}

fn check(vendor: &Vendor, headers: &HeaderMap, body: &[u8]) -> Result<Submission, Refusal> {
    let bad_request = |code, message: &str| Refusal::new(StatusCode::BAD_REQUEST, code, message);
    let unauthorized = |code, message: &str| Refusal::new(StatusCode::UNAUTHORIZED, code, message);

    let parsed = loads_bytes(body).map_err(|_| bad_request("invalid_json", "body is not valid JSON"))?;
    if parsed.as_dict().is_none() {
        return Err(bad_request("not_an_object", "body must be a JSON object"));
    }
    let content_type = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or_default();
    if content_type.split(';').next().map(str::trim) != Some("application/json") {
        return Err(bad_request("content_type", "Content-Type must be application/json"));
    }
    let authorization = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .ok_or_else(|| unauthorized("missing_authorization", "Authorization header required"))?;
    let signed = SignedHeaders::from_header_map(headers)
        .map_err(|_| unauthorized("bad_header", "signed headers must be visible ASCII"))?;
    check_date(signed.date)?;
    let c = &vendor.config;
    verify_authorization(authorization, "POST", &signed, &parsed, &c.access_key, &c.secret_key)
        .map_err(|_| unauthorized("bad_signature", "access key or signature does not match"))?;

    let field = |name: &'static str| -> Result<String, Refusal> {
        match parsed.get(name) {
            Some(PyValue::Str(value)) => Ok(value.clone()),
            Some(_) => Err(bad_request("bad_field", &format!("{name} must be a string"))),
            None => Err(bad_request("missing_field", &format!("{name} is required"))),
        }
    };
    Ok(Submission {
        edx_id: field("EdX-ID")?,
        expected_name: field("ExpectedName")?,
        photo_id_url: field("PhotoID")?,
        photo_id_key: field("PhotoIDKey")?,
        send_response_to: field("SendResponseTo")?,
        user_photo_url: field("UserPhoto")?,
        user_photo_key: field("UserPhotoKey")?,
    })
}

/// The `Date` must be an IMF-fixdate (what `formatdate(usegmt=True)` writes; the
/// obsolete forms `httpdate` also parses are refused) within [`DATE_WINDOW`] of now.
fn check_date(date: Option<&str>) -> Result<(), Refusal> {
    let refuse = |code, message: &str| Refusal::new(StatusCode::UNAUTHORIZED, code, message);
    let text = date.ok_or_else(|| refuse("missing_date", "Date header required"))?;
    let at = httpdate::parse_http_date(text)
        .ok()
        .filter(|at| httpdate::fmt_http_date(*at) == text)
        .ok_or_else(|| refuse("bad_date", "Date must be an IMF-fixdate"))?;
    let now = SystemTime::now();
    let skew = now.duration_since(at).unwrap_or_else(|e| e.duration());
    if skew > DATE_WINDOW {
        return Err(refuse("stale_date", "Date is more than 5 minutes from the vendor's clock"));
    }
    Ok(())
}
