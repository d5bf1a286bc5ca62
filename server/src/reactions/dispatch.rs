//! Fans one outbox event out: one job per subscriber and, for a status change, one delivery
//! (and its job) per configured webhook, all in one transaction, then marks the event
//! dispatched and counts it in the metrics. Idempotent: the subscriber jobs and deliveries
//! have unique keys, so a re-run adds nothing.

use super::{Reactions, webhooks};
use crate::{
    jobs::{JobError, JobHandler},
    service::Services,
    store::{StoreError, jobs, outbox, webhook_deliveries},
};
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// The job that delivers one event to one subscriber (see [`super::deliver`]). The name
/// predates subscribers (they were "hooks"); queued jobs keep it.
pub const SUBSCRIBER_JOB: &str = "events.hook";

/// Tries of a subscriber before it is given up (logged).
const SUBSCRIBER_MAX_ATTEMPTS: i32 = 10;

#[derive(Debug, Serialize, Deserialize)]
struct Payload {
    event_id: String,
}

/// The subscriber job's input.
#[derive(Debug, Serialize, Deserialize)]
pub struct SubscriberPayload {
    /// The event.
    pub event_id: String,
    /// The subscriber's name (`hook` in jobs queued before subscribers had that name).
    pub hook: String,
}

/// The handler, with the subscribers of this process.
pub struct DispatchEvent(pub Arc<Reactions>);

#[async_trait::async_trait]
impl JobHandler for DispatchEvent {
    fn kind(&self) -> &'static str {
        outbox::DISPATCH_JOB
    }

    async fn run(&self, services: &Services, payload: &str) -> Result<(), JobError> {
        let p: Payload = serde_json::from_str(payload).map_err(|e| JobError::Fail(format!("bad payload: {e}")))?;
        let retry = |e: StoreError| JobError::Retry(e.to_string());
        let now = services.clock.now();
        let mut tx = services.store.begin().await.map_err(retry)?;
        let Some(stored) = outbox::by_event_id(&mut tx, &p.event_id).await.map_err(retry)? else {
            return Err(JobError::Fail("the event is not in the outbox".into()));
        };
        let event_type = stored.event.event_type;
        for hook in self.0.names_for(event_type) {
            let job = serde_json::to_string(&SubscriberPayload { event_id: p.event_id.clone(), hook: hook.to_owned() })
                .map_err(|e| JobError::Fail(e.to_string()))?;
            let key = format!("{SUBSCRIBER_JOB}:{}:{hook}", p.event_id);
            jobs::enqueue(&mut tx, SUBSCRIBER_JOB, &job, &key, SUBSCRIBER_MAX_ATTEMPTS, now).await.map_err(retry)?;
        }
        // Webhook receivers get the status changes, as Open edX's events are; an expiry is
        // recorded for LTI learners only so far, which would be a partial signal to them.
        if event_type.is_status_change() {
            for hook in services.cfg.events.all_webhooks() {
                let id = webhook_deliveries::ensure(&mut tx, &p.event_id, event_type.name(), &hook.url, now)
                    .await
                    .map_err(retry)?;
                webhooks::enqueue(&mut tx, services, id, 0).await.map_err(retry)?;
            }
        }
        outbox::mark_dispatched(&mut tx, &p.event_id, now).await.map_err(retry)?;
        tx.commit().await.map_err(|e| retry(e.into()))?;
        if stored.dispatched_at.is_none() {
            metrics::counter!("vouch_lifecycle_events_total", "event" => event_type.name()).increment(1);
        }
        Ok(())
    }

    async fn exhausted(&self, _: &Services, _: &str, last_error: &str) {
        tracing::error!(error = last_error, "an event could not be dispatched");
    }
}
