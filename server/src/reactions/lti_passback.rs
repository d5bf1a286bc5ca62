//! LTI grade passback (Open edX `outcomes`): when a verification is approved or denied, or
//! an approval expires while the learner has no other, every graded assignment of the
//! learner gets a new version of its result and a job that sends it (`jobs::lti_outcome`,
//! which reads the learner's status when it runs and sends 1.0 or 0.0).
//!
//! Idempotent: the versions and jobs are written in one transaction with this reaction's
//! marker for the event (`store::reactions_done`), so a second delivery of the same event
//! writes nothing: one version, one grade.

use super::{Subscriber, SubscriberError};
use crate::{
    events::{Event, EventType},
    service::{Services, idv},
    store::{StoreError, lti, reactions_done},
};
use app::domain::UserId;

/// The subscriber.
pub struct LtiPassback;

#[async_trait::async_trait]
impl Subscriber for LtiPassback {
    fn name(&self) -> &'static str {
        "lti_passback"
    }

    fn wants(&self, event: EventType) -> bool {
        matches!(event, EventType::Approved | EventType::Denied | EventType::Expired)
    }

    async fn handle(&self, services: &Services, _seq: i64, event: &Event) -> Result<(), SubscriberError> {
        let user = UserId(event.data.user.id);
        match event.event_type {
            EventType::Approved | EventType::Denied => {}
            // An older approval that lapsed while a newer one stands changes no grade.
            // Read before the transaction: the attempts filters may read the database.
            EventType::Expired => {
                if idv::user_is_verified(services, user).await.map_err(SubscriberError::retry)? {
                    return Ok(());
                }
            }
            _ => return Ok(()),
        }
        // Most learners came from no LTI consumer: checked on a read connection, so their
        // approvals take no write (on SQLite every write waits its turn in one queue with the
        // learners' submissions, issue 18). An assignment made after this read is graded by
        // its launch, which reads the status this event already committed.
        let graded = async { lti::assignments_of(&mut *services.store.conn().await?, user).await };
        if graded.await.map_err(|e: StoreError| SubscriberError::retry(e))?.is_empty() {
            return Ok(());
        }
        let now = services.clock.now();
        let queued = async {
            let mut tx = services.store.begin().await?;
            if !reactions_done::claim(&mut tx, self.name(), &event.event_id, now).await? {
                return Ok(None);
            }
            let n = lti::queue_passbacks_of(&mut tx, user, services.cfg.lti.outcome_max_attempts, now).await?;
            tx.commit().await.map_err(StoreError::from)?;
            Ok::<_, StoreError>(Some(n))
        };
        if let Some(n) = queued.await.map_err(|e: StoreError| SubscriberError::retry(e))?
            && n > 0
        {
            tracing::info!(user.id = %user, lti.assignments = n, event = event.event_type.name(), "grades queued");
        }
        Ok(())
    }
}
