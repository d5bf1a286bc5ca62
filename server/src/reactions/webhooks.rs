//! Outbound webhooks: each event is POSTed as JSON to every configured URL, signed with
//! `Vouch-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>`
//! (receivers recompute it, compare in constant time and refuse stale timestamps), retried
//! with backoff, and dead-lettered after the last try. Staff see deliveries and queue dead
//! ones again.

use crate::{
    service::{ServiceError, ServiceResult, Services, staff::Staff},
    store::{Conn, StoreError, StoreResult, jobs, webhook_deliveries as store},
};
use hmac::{KeyInit, Mac};
use serde::Serialize;

/// The job kind that makes one delivery (see [`super::webhook_deliver`]).
pub const DELIVER_JOB: &str = "webhooks.deliver";

/// The signature header.
pub const SIGNATURE_HEADER: &str = "Vouch-Signature";

/// The `Vouch-Signature` value of `body` sent at unix time `t`.
pub fn signature(secret: &str, t: i64, body: &str) -> String {
    let mut mac =
        hmac::Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC-SHA256 accepts a key of any length");
    mac.update(format!("{t}.").as_bytes());
    mac.update(body.as_bytes());
    let hex: String = mac.finalize().into_bytes().iter().map(|b| format!("{b:02x}")).collect();
    format!("t={t},v1={hex}")
}

/// Queues delivery `id` (round `round`: 0 for the first, n for the n-th staff retry) in the
/// caller's transaction.
pub async fn enqueue(conn: &mut Conn, services: &Services, id: i64, round: i64) -> StoreResult<bool> {
    let payload = serde_json::json!({ "delivery_id": id }).to_string();
    let key = format!("{DELIVER_JOB}:{id}:{round}");
    let max = services.cfg.events.webhook_max_attempts.max(1);
    jobs::enqueue(conn, DELIVER_JOB, &payload, &key, max, services.clock.now()).await
}

/// One page of deliveries.
#[derive(Debug, Clone, Serialize)]
pub struct DeliveryPage {
    /// Matching deliveries in all pages.
    pub count: i64,
    /// Pages.
    pub num_pages: i64,
    /// This page (1-based).
    pub current_page: i64,
    /// The deliveries of this page, newest first.
    pub results: Vec<store::Delivery>,
}

/// The largest page.
pub const MAX_PAGE_SIZE: i64 = 100;

/// Staff only: deliveries, optionally of one status (`pending`, `delivered`, `dead`).
#[tracing::instrument(skip_all, fields(user.id = %staff))]
pub async fn list_deliveries(
    services: &Services,
    staff: Staff,
    status: Option<&str>,
    page: i64,
    page_size: i64,
) -> ServiceResult<DeliveryPage> {
    if let Some(s) = status
        && ![store::PENDING, store::DELIVERED, store::DEAD].contains(&s)
    {
        return Err(ServiceError::Invalid("status must be pending, delivered or dead".into()));
    }
    if page < 1 {
        return Err(ServiceError::Invalid("page must be 1 or more".into()));
    }
    if !(1..=MAX_PAGE_SIZE).contains(&page_size) {
        return Err(ServiceError::Invalid(format!("page_size must be between 1 and {MAX_PAGE_SIZE}")));
    }
    let mut conn = services.store.conn().await?;
    let (results, count) = store::list(&mut conn, status, (page - 1) * page_size, page_size).await?;
    let num_pages = ((count + page_size - 1) / page_size).max(1);
    if page > num_pages {
        return Err(ServiceError::NotFound);
    }
    Ok(DeliveryPage { count, num_pages, current_page: page, results })
}

/// Staff only: queues a dead delivery again (its tries start over). A delivery that is not
/// dead is a conflict and changes nothing.
#[tracing::instrument(skip_all, fields(user.id = %staff, delivery.id = id))]
pub async fn retry_delivery(services: &Services, staff: Staff, id: i64) -> ServiceResult<store::Delivery> {
    let now = services.clock.now();
    let mut tx = services.store.begin().await?;
    let current = store::by_id(&mut tx, id).await?.ok_or(ServiceError::NotFound)?;
    let Some(round) = store::revive(&mut tx, id, now).await? else {
        return Err(crate::service::Conflict::DeliveryNotDead { status: current.status }.into());
    };
    enqueue(&mut tx, services, id, round).await?;
    let updated = store::by_id(&mut tx, id).await?.ok_or(ServiceError::NotFound)?;
    tx.commit().await.map_err(StoreError::from)?;
    tracing::info!("dead webhook delivery queued again");
    Ok(updated)
}

#[cfg(test)]
mod tests {
    use super::signature;

    #[test]
    fn signature_is_hmac_of_timestamp_dot_body() {
        // Known answer computed independently: printf '1700000000.{"a":1}' | openssl dgst -sha256 -hmac 'whsec_test'
        let s = signature("whsec_test", 1_700_000_000, r#"{"a":1}"#);
        assert_eq!(s, "t=1700000000,v1=38877139021993b830af32feea6e18a8da83eb2f6e49ee50bd9e4cf4ca4d3789");
        assert_ne!(s, signature("whsec_other", 1_700_000_000, r#"{"a":1}"#));
        assert_ne!(s, signature("whsec_test", 1_700_000_001, r#"{"a":1}"#));
    }
}
