//! Fans one outbox event out: one job per subscribed hook and one delivery (and its job)
//! per configured webhook, all in one transaction, then marks the event dispatched.
//! Idempotent: the hook jobs and deliveries have unique keys, so a re-run adds nothing.

use super::{JobError, JobHandler};
use crate::{
    events::webhooks,
    service::Services,
    store::{StoreError, jobs, outbox, webhook_deliveries},
};
use serde::{Deserialize, Serialize};

/// The job that delivers one event to one hook (see `jobs::event_hook`).
pub const HOOK_JOB: &str = "events.hook";

/// Tries of a hook before it is given up (logged).
const HOOK_MAX_ATTEMPTS: i32 = 10;

#[derive(Debug, Serialize, Deserialize)]
struct Payload {
    event_id: String,
}

/// The hook job's input.
#[derive(Debug, Serialize, Deserialize)]
pub struct HookPayload {
    /// The event.
    pub event_id: String,
    /// The hook's name.
    pub hook: String,
}

/// The handler.
pub struct DispatchEvent;

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
        for hook in services.hooks.names() {
            let job = serde_json::to_string(&HookPayload { event_id: p.event_id.clone(), hook: hook.to_owned() })
                .map_err(|e| JobError::Fail(e.to_string()))?;
            let key = format!("{HOOK_JOB}:{}:{hook}", p.event_id);
            jobs::enqueue(&mut tx, HOOK_JOB, &job, &key, HOOK_MAX_ATTEMPTS, now).await.map_err(retry)?;
        }
        for hook in services.cfg.events.all_webhooks() {
            let id = webhook_deliveries::ensure(&mut tx, &p.event_id, &stored.event.event_type, &hook.url, now)
                .await
                .map_err(retry)?;
            webhooks::enqueue(&mut tx, services, id, 0).await.map_err(retry)?;
        }
        outbox::mark_dispatched(&mut tx, &p.event_id, now).await.map_err(retry)?;
        tx.commit().await.map_err(|e| retry(e.into()))?;
        services.jobs_wake.notify_one();
        Ok(())
    }

    async fn exhausted(&self, _: &Services, _: &str, last_error: &str) {
        tracing::error!(error = last_error, "an event could not be dispatched");
    }
}
