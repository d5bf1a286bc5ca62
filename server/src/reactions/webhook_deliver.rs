//! One POST of an event to one webhook. 2xx → delivered; anything else → retried with
//! backoff (`events.webhook_retry_base_secs`); after `events.webhook_max_attempts` tries →
//! dead, visible to staff, who may queue it again.

use super::webhooks::{DELIVER_JOB, SIGNATURE_HEADER, signature};
use crate::{
    jobs::{JobError, JobHandler, parse_payload},
    service::Services,
    store::{outbox, webhook_deliveries as store},
};
use serde::Deserialize;
use std::time::Duration;

/// The longest part of a receiver's answer kept with the delivery.
const MAX_KEPT: usize = 500;

#[derive(Debug, Deserialize)]
struct Payload {
    delivery_id: i64,
}

fn parse(payload: &str) -> Result<i64, JobError> {
    parse_payload::<Payload>(payload).map(|p| p.delivery_id)
}

/// The handler.
pub struct DeliverWebhook;

#[async_trait::async_trait]
impl JobHandler for DeliverWebhook {
    fn kind(&self) -> &'static str {
        DELIVER_JOB
    }

    fn retry_base_secs(&self, services: &Services) -> f64 {
        services.cfg.events.webhook_retry_base_secs
    }

    async fn run(&self, services: &Services, payload: &str) -> Result<(), JobError> {
        let id = parse(payload)?;
        let retry = |e: crate::store::StoreError| JobError::Retry(e.to_string());
        let (delivery, event) = {
            let mut conn = services.store.conn().await.map_err(retry)?;
            let Some(d) = store::by_id(&mut conn, id).await.map_err(retry)? else {
                return Err(JobError::Fail("the delivery no longer exists".into()));
            };
            let e = outbox::by_event_id(&mut conn, &d.event_id).await.map_err(retry)?;
            (d, e)
        };
        if delivery.status != store::PENDING {
            return Ok(());
        }
        let Some(event) = event else { return Err(JobError::Fail("the event is not in the outbox".into())) };
        // The secret is looked up by URL at each try, so it never sits in the database and a
        // rotated secret applies to deliveries still waiting.
        let Some(hook) = services.cfg.events.all_webhooks().into_iter().find(|w| w.url == delivery.url) else {
            return Err(JobError::Fail("this webhook is no longer configured".into()));
        };
        let t = services.clock.now().timestamp();
        let sig = signature(hook.secret.expose(), t, &event.payload);
        let sent = services
            .http
            .post(&delivery.url)
            .timeout(Duration::from_secs(services.cfg.events.webhook_timeout_secs.max(1)))
            .header("Content-Type", "application/json")
            .header(SIGNATURE_HEADER, sig)
            .header("Vouch-Event-Id", &event.event.event_id)
            .body(event.payload.clone())
            .send()
            .await;
        let now = services.clock.now();
        let (ok, error, code) = match sent {
            Ok(r) if r.status().is_success() => (true, String::new(), Some(i64::from(r.status().as_u16()))),
            Ok(r) => {
                let status = r.status();
                let text: String = crate::outbound::error_prefix(r).await.chars().take(MAX_KEPT).collect();
                (false, format!("receiver answered {status}: {text}"), Some(i64::from(status.as_u16())))
            }
            Err(e) => (false, format!("could not reach the receiver: {e}"), None),
        };
        let mut conn = services.store.write_conn().await.map_err(retry)?;
        store::record_try(&mut conn, id, ok, &error, code, now).await.map_err(retry)?;
        if ok { Ok(()) } else { Err(JobError::Retry(error)) }
    }

    async fn exhausted(&self, services: &Services, payload: &str, last_error: &str) {
        let Ok(id) = parse(payload) else { return };
        let res = async {
            store::mark_dead(&mut *services.store.write_conn().await?, id, last_error, services.clock.now()).await
        };
        match res.await {
            Ok(()) => tracing::warn!(delivery.id = id, "webhook delivery dead-lettered after its last try"),
            Err(e) => tracing::error!(delivery.id = id, error = %e, "could not dead-letter a webhook delivery"),
        }
    }
}
