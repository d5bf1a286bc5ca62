//! Keeps verified names in step with the attempts that verify them (the rules are
//! `service::name_affirmation`).

use super::{Subscriber, SubscriberError};
use crate::{
    events::{Event, EventType},
    service::Services,
};

/// The subscriber.
pub struct NameAffirmation;

#[async_trait::async_trait]
impl Subscriber for NameAffirmation {
    fn name(&self) -> &'static str {
        "name_affirmation"
    }

    fn wants(&self, event: EventType) -> bool {
        crate::service::name_affirmation::moves_names(event)
    }

    async fn handle(&self, services: &Services, seq: i64, event: &Event) -> Result<(), SubscriberError> {
        crate::service::name_affirmation::apply_event(services, seq, event).await.map_err(SubscriberError::retry)
    }
}
