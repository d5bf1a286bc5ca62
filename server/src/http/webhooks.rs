//! Staff endpoints of outbound webhook deliveries: the list (filterable, paginated) and a
//! retry of a dead one. Anonymous callers get 401, learners 403, both as JSON.

use super::{AppState, error::ApiError, identity::Identity};
use crate::{reactions::webhooks, service::records::WebhookDelivery};
use axum::{
    Json,
    extract::{Path, Query, State},
    http::header,
    response::{IntoResponse, Response},
};
use rest_types::{Paginated, WebhookDeliveryBody};
use serde::Deserialize;

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

fn rfc3339(t: chrono::DateTime<chrono::Utc>) -> String {
    // Fractional seconds as recorded: the order of deliveries made in one second shows.
    t.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)
}

/// A delivery record as the console reads it.
fn delivery_out(d: WebhookDelivery) -> WebhookDeliveryBody {
    WebhookDeliveryBody {
        id: d.id,
        event_id: d.event_id,
        event_type: d.event_type,
        url: d.url,
        status: d.status,
        tries: d.tries,
        last_error: d.last_error,
        last_status_code: d.last_status_code,
        manual_retries: d.manual_retries,
        created_at: rfc3339(d.created_at),
        updated_at: rfc3339(d.updated_at),
        delivered_at: d.delivered_at.map(rfc3339),
    }
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

/// Outbound webhook deliveries, filterable by status (staff only), paginated.
///
/// `{"count", "num_pages", "current_page", "next", "previous", "results": [...]}`.
#[utoipa::path(get, path = "/api/v1/webhooks/deliveries", operation_id = "list_webhook_deliveries", tag = "vouch",
    params(("status" = Option<String>, Query, description = "pending, delivered or dead"),
        ("page" = Option<i64>, Query, description = "From 1"), ("page_size" = Option<i64>, Query, description = "1 to 100")),
    responses((status = 200, description = "A page of deliveries", body = Paginated<WebhookDeliveryBody>), (status = 400, description = "Bad filter or page"),
        (status = 401, description = "Not signed in"), (status = 403, description = "Not staff")))]
pub async fn list(
    State(state): State<AppState>,
    who: Identity,
    Query(q): Query<ListQuery>,
) -> Result<Response, ApiError> {
    let staff = who.require_staff()?;
    let page = q.page.unwrap_or(1);
    let page_size = q.page_size.unwrap_or(20);
    let p = webhooks::list_deliveries(&state.services, staff, q.status.as_deref(), page, page_size).await?;
    let base = &state.cfg.server.public_url;
    let next = (p.current_page < p.num_pages).then(|| page_url(base, &q, p.current_page + 1, page_size));
    let previous = (p.current_page > 1).then(|| page_url(base, &q, p.current_page - 1, page_size));
    // The counts are small and never negative (the service counts rows).
    let body = Paginated {
        count: p.count.try_into().unwrap_or_default(),
        num_pages: p.num_pages.try_into().unwrap_or(1),
        current_page: p.current_page.try_into().unwrap_or(1),
        next,
        previous,
        results: p.results.into_iter().map(delivery_out).collect(),
    };
    Ok(([(header::CACHE_CONTROL, "no-store")], Json(body)).into_response())
}

/// Queues a dead webhook delivery again (staff only); answers the delivery.
#[utoipa::path(post, path = "/api/v1/webhooks/deliveries/{id}/retry", operation_id = "retry_webhook_delivery", tag = "vouch",
    params(("id" = i64, Path, description = "The delivery's id")),
    responses((status = 200, description = "Queued again", body = WebhookDeliveryBody), (status = 401, description = "Not signed in"),
        (status = 403, description = "Not staff"), (status = 404, description = "No such delivery"),
        (status = 409, description = "Not dead")))]
pub async fn retry(State(state): State<AppState>, who: Identity, Path(id): Path<i64>) -> Result<Response, ApiError> {
    let staff = who.require_staff()?;
    let delivery = webhooks::retry_delivery(&state.services, staff, id).await?;
    Ok(Json(delivery_out(delivery)).into_response())
}
