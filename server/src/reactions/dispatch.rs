//! Fans outbox events out: for each, one job per subscriber that wants it and, for a status
//! change, one delivery (and its job) per configured webhook, in one transaction with the
//! event marked dispatched, then counts it in the metrics. Each event has its own fan-out
//! job (queued with it, so none is lost), and a job fans out every event still waiting with
//! its own. Idempotent: the subscriber jobs and deliveries have unique keys, so a re-run adds
//! nothing, and a job whose event is dispatched already writes nothing.

use super::{Reactions, webhooks};
use crate::{
    jobs::{JobError, JobHandler, parse_payload},
    service::Services,
    store::{StoreError, Tx, jobs, outbox, webhook_deliveries},
};
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// The job that delivers one event to one subscriber (see [`super::deliver`]). The name
/// predates subscribers (they were "hooks"); queued jobs keep it.
pub const SUBSCRIBER_JOB: &str = "events.hook";

/// Events one fan-out takes at most.
const FAN_OUT_BATCH: i64 = 100;

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
        let p: Payload = parse_payload(payload)?;
        let retry = |e: StoreError| JobError::Retry(e.to_string());
        // Read first: under a burst, the fan-out of an earlier job has usually dispatched
        // this event with its own, and then this job writes nothing.
        let own = async { outbox::by_event_id(&mut *services.store.conn().await?, &p.event_id).await };
        let Some(own) = own.await.map_err(retry)? else {
            return Err(JobError::Fail("the event is not in the outbox".into()));
        };
        if own.dispatched_at.is_some() {
            return Ok(());
        }
        let now = services.clock.now();
        let mut tx = services.store.begin().await.map_err(retry)?;
        // This job's event first, locked (PostgreSQL): if another worker's fan-out holds it,
        // this waits for that one to commit and then finds it dispatched.
        let backend = services.store.backend();
        let Some(own) = outbox::lock_undispatched(&mut tx, backend, &own.event.event_id).await.map_err(retry)? else {
            return Ok(());
        };
        // Then every other event still waiting, skipping those other fan-outs hold: one
        // transaction for a burst's events rather than one each (on SQLite every
        // transaction waits its turn). Each transaction writes only the deliveries of the
        // events it locked, so two fan-outs never wait for each other's rows.
        let own_id = own.event.event_id.clone();
        let mut batch = vec![own];
        for other in outbox::undispatched(&mut tx, backend, FAN_OUT_BATCH).await.map_err(retry)? {
            if other.event.event_id != own_id {
                batch.push(other);
            }
        }
        // Queued in the order the changes happened, as one event per job would have been.
        batch.sort_by_key(|e| e.seq);
        let mut dispatched = Vec::new();
        for stored in &batch {
            fan_out(&mut tx, services, &self.0, stored, now).await.map_err(retry)?;
            if outbox::mark_dispatched(&mut tx, &stored.event.event_id, now).await.map_err(retry)? {
                dispatched.push(stored.event.event_type);
            }
        }
        tx.commit().await.map_err(|e| retry(e.into()))?;
        for event_type in dispatched {
            metrics::counter!("vouch_lifecycle_events_total", "event" => event_type.name()).increment(1);
        }
        Ok(())
    }

    async fn exhausted(&self, _: &Services, _: &str, last_error: &str) {
        tracing::error!(error = last_error, "an event could not be dispatched");
    }
}

/// Queues one event's deliveries: a job for each subscriber that wants its type, and for a
/// status change a delivery (and its job) per configured webhook. Idempotent by their keys.
async fn fan_out(
    tx: &mut Tx,
    services: &Services,
    reactions: &Reactions,
    stored: &outbox::StoredEvent,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<(), StoreError> {
    let event_id = &stored.event.event_id;
    let event_type = stored.event.event_type;
    for hook in reactions.names_for(event_type) {
        let job = serde_json::to_string(&SubscriberPayload { event_id: event_id.clone(), hook: hook.to_owned() })
            .map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let key = format!("{SUBSCRIBER_JOB}:{event_id}:{hook}");
        jobs::enqueue(tx, SUBSCRIBER_JOB, &job, &key, SUBSCRIBER_MAX_ATTEMPTS, now).await?;
    }
    // Webhook receivers get the status changes, as Open edX's events are; an expiry is
    // recorded for LTI learners only so far, which would be a partial signal to them.
    if event_type.is_status_change() {
        for hook in services.cfg.events.all_webhooks() {
            let id = webhook_deliveries::ensure(tx, event_id, event_type.name(), &hook.url, now).await?;
            webhooks::enqueue(tx, services, id, 0).await?;
        }
    }
    Ok(())
}
