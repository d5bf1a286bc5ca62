//! Signed webhooks from the fake hosted vendor to the platform, retried on connection
//! errors and `5xx` with a doubling delay.

use std::time::Duration;

use serde_json::json;

use super::{Vendor, token};
use ssencrypt::webhook_signature;

/// Tries per webhook.
const TRIES: u32 = 5;

/// Sends the `status` event of inquiry `id` and records the final HTTP status.
pub(super) async fn send(vendor: &Vendor, id: &str, status: &str) {
    let Some(url) = vendor.with_inquiry(id, |i| i.webhook_url.clone()) else {
        return;
    };
    let now = chrono::Utc::now().timestamp();
    let body = json!({
        "id": format!("evt_{}", token()),
        "type": "inquiry.status_changed",
        "created_at": now,
        "data": {"inquiry_id": id, "status": status},
    })
    .to_string();
    let mut answer = None;
    for attempt in 0..TRIES {
        if attempt > 0 {
            tokio::time::sleep(Duration::from_millis(200 << attempt)).await;
        }
        // Signed at each try, so a late retry is not refused as stale.
        let header = webhook_signature::sign(
            vendor.config.webhook_secret.as_bytes(),
            chrono::Utc::now().timestamp(),
            body.as_bytes(),
        );
        let res = vendor
            .client
            .post(&url)
            .header("content-type", "application/json")
            .header(webhook_signature::HEADER, header)
            .body(body.clone())
            .send()
            .await;
        match res {
            Ok(r) => {
                answer = Some(r.status().as_u16());
                if !r.status().is_server_error() {
                    break;
                }
            }
            Err(e) => tracing::warn!(inquiry = %id, error = %e, "webhook not delivered"),
        }
    }
    tracing::info!(inquiry = %id, status, http = ?answer, "webhook sent");
    vendor.with_inquiry(id, |i| i.webhooks.push((status.to_owned(), answer)));
}
