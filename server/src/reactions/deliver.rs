//! Delivers one event to one subscriber (at least once: a failing subscriber is retried
//! with backoff, alone).

use super::{Reactions, dispatch::SubscriberPayload};
use crate::{
    jobs::{JobError, JobHandler, parse_payload},
    service::Services,
    store::outbox,
};
use std::sync::Arc;

/// The handler, with the subscribers of this process.
pub struct DeliverToSubscriber(pub Arc<Reactions>);

#[async_trait::async_trait]
impl JobHandler for DeliverToSubscriber {
    fn kind(&self) -> &'static str {
        super::dispatch::SUBSCRIBER_JOB
    }

    async fn run(&self, services: &Services, payload: &str) -> Result<(), JobError> {
        let p: SubscriberPayload = parse_payload(payload)?;
        let Some(subscriber) = self.0.get(&p.hook) else {
            return Err(JobError::Fail(format!("no subscriber {:?} in this process", p.hook)));
        };
        let stored = {
            let mut conn = services.store.conn().await.map_err(|e| JobError::Retry(e.to_string()))?;
            outbox::by_event_id(&mut conn, &p.event_id).await.map_err(|e| JobError::Retry(e.to_string()))?
        };
        let Some(stored) = stored else { return Err(JobError::Fail("the event is not in the outbox".into())) };
        // The subscriber's own decision: `Retry` is retried, `GiveUp` fails for good now.
        subscriber.handle(services, stored.seq, &stored.event).await.map_err(JobError::from)
    }

    async fn exhausted(&self, _: &Services, payload: &str, last_error: &str) {
        let hook = serde_json::from_str::<SubscriberPayload>(payload).map(|p| p.hook).unwrap_or_default();
        tracing::error!(subscriber = hook, error = last_error, "a subscriber failed for good on an event");
    }
}
