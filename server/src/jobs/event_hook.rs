//! Delivers one event to one in-process hook (at least once: a failing hook is retried with
//! backoff, alone).

use super::{JobError, JobHandler, event_dispatch::HookPayload};
use crate::{service::Services, store::outbox};

/// The handler.
pub struct DeliverToHook;

#[async_trait::async_trait]
impl JobHandler for DeliverToHook {
    fn kind(&self) -> &'static str {
        super::event_dispatch::HOOK_JOB
    }

    async fn run(&self, services: &Services, payload: &str) -> Result<(), JobError> {
        let p: HookPayload = serde_json::from_str(payload).map_err(|e| JobError::Fail(format!("bad payload: {e}")))?;
        let Some(hook) = services.hooks.get(&p.hook) else {
            return Err(JobError::Fail(format!("no hook {:?} in this process", p.hook)));
        };
        let stored = {
            let mut conn = services.store.conn().await.map_err(|e| JobError::Retry(e.to_string()))?;
            outbox::by_event_id(&mut conn, &p.event_id).await.map_err(|e| JobError::Retry(e.to_string()))?
        };
        let Some(stored) = stored else { return Err(JobError::Fail("the event is not in the outbox".into())) };
        hook.handle(services, stored.seq, &stored.event).await.map_err(JobError::Retry)
    }

    async fn exhausted(&self, _: &Services, payload: &str, last_error: &str) {
        let hook = serde_json::from_str::<HookPayload>(payload).map(|p| p.hook).unwrap_or_default();
        tracing::error!(hook, error = last_error, "a hook failed for good on an event");
    }
}
