//! Staff endpoints of outbound webhook deliveries: the list (filterable, paginated) and a
//! retry of a dead one. Anonymous callers get 401, learners 403, both as JSON.

use super::{AppState, auth, error::ApiError};
use crate::events::webhooks;
use app::{domain::UserId, error::ErrorCode};
use axum::{
    Json,
    extract::{Path, Query, State},
    http::header,
    response::{IntoResponse, Response},
};
use serde::Deserialize;
use tower_sessions::Session;

async fn signed_in(session: &Session) -> Result<UserId, ApiError> {
    auth::session_user(session).await?.ok_or_else(|| ApiError::new(ErrorCode::Unauthenticated, "You need to sign in."))
}

/// The list's query string.
#[derive(Debug, Deserialize)]
pub struct ListQuery {
    /// `pending`, `delivered` or `dead`.
    pub status: Option<String>,
    /// 1-based page.
    pub page: Option<i64>,
    /// Results per page (1–100, default 20).
    pub page_size: Option<i64>,
}

/// The URL of another page of the same list.
fn page_url(base: &str, q: &ListQuery, page: i64, page_size: i64) -> String {
    let mut url =
        format!("{}/api/v1/webhooks/deliveries?page={page}&page_size={page_size}", base.trim_end_matches('/'));
    if let Some(s) = &q.status {
        url.push_str("&status=");
        url.push_str(&percent_encoding::utf8_percent_encode(s, percent_encoding::NON_ALPHANUMERIC).to_string());
    }
    url
}

/// `GET /api/v1/webhooks/deliveries?status=&page=&page_size=` →
/// `{"count", "num_pages", "current_page", "next", "previous", "results": [...]}`.
pub async fn list(
    State(state): State<AppState>,
    session: Session,
    Query(q): Query<ListQuery>,
) -> Result<Response, ApiError> {
    let staff = signed_in(&session).await?;
    let page = q.page.unwrap_or(1);
    let page_size = q.page_size.unwrap_or(20);
    let p = webhooks::list_deliveries(&state.services, staff, q.status.as_deref(), page, page_size).await?;
    let base = &state.cfg.server.public_url;
    let next = (p.current_page < p.num_pages).then(|| page_url(base, &q, p.current_page + 1, page_size));
    let previous = (p.current_page > 1).then(|| page_url(base, &q, p.current_page - 1, page_size));
    let body = serde_json::json!({
        "count": p.count,
        "num_pages": p.num_pages,
        "current_page": p.current_page,
        "next": next,
        "previous": previous,
        "results": p.results,
    });
    Ok(([(header::CACHE_CONTROL, "no-store")], Json(body)).into_response())
}

/// `POST /api/v1/webhooks/deliveries/{id}/retry`: queues a dead delivery again; answers the
/// delivery (409 when it is not dead).
pub async fn retry(State(state): State<AppState>, session: Session, Path(id): Path<i64>) -> Result<Response, ApiError> {
    let staff = signed_in(&session).await?;
    let delivery = webhooks::retry_delivery(&state.services, staff, id).await?;
    Ok(Json(delivery).into_response())
}
