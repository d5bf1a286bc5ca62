//! The fake hosted vendor's HTTP API and learner pages.

use std::sync::Arc;

use app::domain::images;

use axum::{
    Json, Router,
    extract::{Path, Query, State},
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::{Html, IntoResponse, Response},
    routing::{get, post},
};
use serde::Deserialize;
use serde_json::json;
use subtle::ConstantTimeEq;

use super::{Inquiry, Outcome, Vendor, page, token, webhook};

/// The largest photo accepted (decoded).
const MAX_PHOTO_BYTES: usize = 10 * 1024 * 1024;

pub(super) fn router(vendor: Arc<Vendor>) -> Router {
    Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .route("/api/inquiries", post(create))
        .route("/api/inquiries/{id}/resume", post(resume))
        .route("/flow/{id}", get(flow_page))
        .route("/flow/{id}/submit", post(submit).layer(axum::extract::DefaultBodyLimit::max(16 * 1024 * 1024)))
        .route("/_fake/inquiries", get(report))
        .with_state(vendor)
}

fn error(status: StatusCode, message: &str) -> Response {
    (status, Json(json!({"error": message}))).into_response()
}

fn authorised(vendor: &Vendor, headers: &HeaderMap) -> bool {
    let given =
        headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()).and_then(|v| v.strip_prefix("Bearer "));
    given.is_some_and(|k| bool::from(k.as_bytes().ct_eq(vendor.config.api_key.as_bytes())))
}

fn flow_url(vendor: &Vendor, inquiry: &Inquiry) -> String {
    format!("{}/flow/{}?session={}", vendor.base_url, inquiry.id, inquiry.session)
}

#[derive(Debug, Deserialize)]
struct NewInquiry {
    reference_id: String,
    name: String,
    redirect_uri: String,
    webhook_url: String,
}

async fn create(State(vendor): State<Arc<Vendor>>, headers: HeaderMap, body: axum::body::Bytes) -> Response {
    if !authorised(&vendor, &headers) {
        return error(StatusCode::UNAUTHORIZED, "invalid API key");
    }
    let Ok(new) = serde_json::from_slice::<NewInquiry>(&body) else {
        return error(StatusCode::BAD_REQUEST, "expected {reference_id, name, redirect_uri, webhook_url}");
    };
    let inquiry = Inquiry {
        id: format!("inq_{}", token()),
        reference_id: new.reference_id,
        name: new.name,
        redirect_uri: new.redirect_uri,
        webhook_url: new.webhook_url,
        session: token(),
        status: "created".into(),
        photo_bytes: 0,
        webhooks: Vec::new(),
    };
    let answer = json!({"id": inquiry.id, "status": "created", "flow_url": flow_url(&vendor, &inquiry)});
    tracing::info!(inquiry = %inquiry.id, "inquiry created");
    {
        let mut guard = vendor.inquiries.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        guard.0.push(inquiry.id.clone());
        guard.1.insert(inquiry.id.clone(), inquiry);
    }
    (StatusCode::CREATED, Json(answer)).into_response()
}

async fn resume(State(vendor): State<Arc<Vendor>>, Path(id): Path<String>, headers: HeaderMap) -> Response {
    if !authorised(&vendor, &headers) {
        return error(StatusCode::UNAUTHORIZED, "invalid API key");
    }
    let resumed = vendor.with_inquiry(&id, |i| {
        if i.status != "created" {
            return Err(i.status.clone());
        }
        i.session = token();
        Ok(i.clone())
    });
    match resumed {
        None => error(StatusCode::NOT_FOUND, "no such inquiry"),
        Some(Err(status)) => error(StatusCode::CONFLICT, &format!("the inquiry is {status}")),
        Some(Ok(i)) => Json(json!({"id": i.id, "status": i.status, "flow_url": flow_url(&vendor, &i)})).into_response(),
    }
}

#[derive(Debug, Deserialize)]
struct SessionQuery {
    session: String,
}

/// The inquiry `id` if `session` is its current one.
fn session_inquiry(vendor: &Vendor, id: &str, session: &str) -> Option<Inquiry> {
    vendor.with_inquiry(id, |i| bool::from(i.session.as_bytes().ct_eq(session.as_bytes())).then(|| i.clone())).flatten()
}

/// `scheme://host[:port]` of `url`.
fn origin_of(url: &str) -> &str {
    let after = url.find("://").map_or(0, |i| i + 3);
    url[after..].find('/').map_or(url, |end| &url[..after + end])
}

async fn flow_page(
    State(vendor): State<Arc<Vendor>>,
    Path(id): Path<String>,
    Query(q): Query<SessionQuery>,
) -> Response {
    let Some(inquiry) = session_inquiry(&vendor, &id, &q.session) else {
        return (StatusCode::FORBIDDEN, Html("<h1>This verification link is not valid.</h1>")).into_response();
    };
    let parent = origin_of(&inquiry.redirect_uri).to_owned();
    let mut res = Html(page::render(&inquiry.id, &q.session, &inquiry.redirect_uri, &parent)).into_response();
    // Only the platform that created the inquiry may frame the flow.
    if let Ok(csp) = HeaderValue::from_str(&format!("frame-ancestors 'self' {parent}")) {
        res.headers_mut().insert(header::CONTENT_SECURITY_POLICY, csp);
    }
    res
}

#[derive(Debug, Deserialize)]
struct Submission {
    session: String,
    photo: String,
}

async fn submit(State(vendor): State<Arc<Vendor>>, Path(id): Path<String>, Json(s): Json<Submission>) -> Response {
    let Some(inquiry) = session_inquiry(&vendor, &id, &s.session) else {
        return error(StatusCode::FORBIDDEN, "invalid session");
    };
    if inquiry.status != "created" {
        return error(StatusCode::CONFLICT, "already submitted");
    }
    let photo = match images::decode_data_url("photo", &s.photo, MAX_PHOTO_BYTES) {
        Ok((_, bytes)) => bytes,
        Err(e) => return error(StatusCode::BAD_REQUEST, &e.to_string()),
    };
    vendor.with_inquiry(&id, |i| {
        i.status = "submitted".into();
        i.photo_bytes = photo.len();
    });
    // The platform hears of the submission before the page says it is done, so the learner
    // lands on a pending status, never on a stale one.
    webhook::send(&vendor, &id, "submitted").await;
    let deny = vendor.config.outcome == Outcome::Deny
        || (!vendor.config.deny_marker.is_empty() && inquiry.name.contains(&vendor.config.deny_marker));
    let decided = if deny { "declined" } else { "approved" };
    let worker = Arc::clone(&vendor);
    let delay = vendor.config.decision_delay;
    let decided_id = id.clone();
    tokio::spawn(async move {
        tokio::time::sleep(delay).await;
        worker.with_inquiry(&decided_id, |i| i.status = decided.into());
        webhook::send(&worker, &decided_id, decided).await;
    });
    tracing::info!(inquiry = %id, decision = decided, "photo received");
    Json(json!({"status": "submitted", "redirect_uri": inquiry.redirect_uri})).into_response()
}

async fn report(State(vendor): State<Arc<Vendor>>) -> Response {
    let guard = vendor.inquiries.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    let list: Vec<_> = guard
        .0
        .iter()
        .filter_map(|id| guard.1.get(id))
        .map(|i| {
            json!({"id": i.id, "reference_id": i.reference_id, "status": i.status,
                   "photo_bytes": i.photo_bytes, "webhooks": i.webhooks})
        })
        .collect();
    Json(json!({"inquiries": list})).into_response()
}
