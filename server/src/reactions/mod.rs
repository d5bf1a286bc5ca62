//! The event bus's subscribers: everything Vouch does because an attempt's status changed
//! (or an approval expired), in one place. Each change writes one event to the outbox in the
//! transaction of the change (`store::outbox`); the fan-out job ([`dispatch`]) then queues
//! one delivery job per subscriber ([`deliver`]) and one per webhook ([`webhook_deliver`]),
//! and counts the event in the metrics. Each subscriber gets each event at least once, from
//! its own durable job, so a failing one is retried alone and never holds up the others;
//! subscribers must therefore be idempotent.
//!
//! The subscribers: name affirmation ([`name_affirmation`]), learner emails ([`email`],
//! when SMTP is set), LTI grade passback ([`lti_passback`]), and the outbound webhooks
//! ([`webhooks`]). The registry ([`Reactions`]) is built at start-up and handed to the job
//! runner ([`runner`]); a build that embeds Vouch adds its own subscribers there.

pub mod deliver;
pub mod dispatch;
pub mod email;
pub mod error;
pub mod lti_passback;
pub mod name_affirmation;
pub mod webhook_deliver;
pub mod webhooks;

use crate::{
    config::Config,
    events::{Event, EventType},
    jobs::{self, JobHandler, Runner},
    service::Services,
};
use std::sync::Arc;

pub use error::{BoxError, SubscriberError};

/// Something that reacts to lifecycle events.
#[async_trait::async_trait]
pub trait Subscriber: Send + Sync + 'static {
    /// A stable name: the job that delivers an event to this subscriber finds it by name.
    fn name(&self) -> &'static str;

    /// Whether this subscriber reacts to events of this type at all. The fan-out queues a
    /// delivery only where it does: each is a job (a claim, a run, a completion, all writes),
    /// and on SQLite every write waits its turn in one queue with the learners' submissions
    /// (issue 18). Decided by the type alone; anything that depends on the event's data is
    /// `handle`'s to decide. Every event by default.
    fn wants(&self, event: EventType) -> bool {
        let _ = event;
        true
    }

    /// Handles one event. `seq` is the event's position in the outbox (larger is later),
    /// for subscribers that must not let an older event overwrite a newer one. On an error
    /// the subscriber decides: [`SubscriberError::Retry`] is tried again with backoff,
    /// [`SubscriberError::GiveUp`] is given up at once.
    async fn handle(&self, services: &Services, seq: i64, event: &Event) -> Result<(), SubscriberError>;
}

/// The subscribers of this process.
#[derive(Default, Clone)]
pub struct Reactions {
    subscribers: Vec<Arc<dyn Subscriber>>,
}

impl Reactions {
    /// Vouch's own subscribers: name affirmation and LTI grade passback always, emails when
    /// SMTP is set.
    pub fn builtin(cfg: &Config) -> Self {
        let mut r = Self::default();
        r.subscribe(Arc::new(name_affirmation::NameAffirmation));
        if cfg.email.enabled() {
            r.subscribe(Arc::new(email::Emails));
        }
        r.subscribe(Arc::new(lti_passback::LtiPassback));
        r
    }

    /// Subscribes `subscriber` (replacing one of the same name).
    pub fn subscribe(&mut self, subscriber: Arc<dyn Subscriber>) {
        self.subscribers.retain(|s| s.name() != subscriber.name());
        self.subscribers.push(subscriber);
    }

    /// The names of the subscribers, in subscription order.
    pub fn names(&self) -> Vec<&'static str> {
        self.subscribers.iter().map(|s| s.name()).collect()
    }

    /// The names of the subscribers that want events of this type ([`Subscriber::wants`]).
    pub fn names_for(&self, event: EventType) -> Vec<&'static str> {
        self.subscribers.iter().filter(|s| s.wants(event)).map(|s| s.name()).collect()
    }

    /// The subscriber with this name.
    pub fn get(&self, name: &str) -> Option<Arc<dyn Subscriber>> {
        self.subscribers.iter().find(|s| s.name() == name).cloned()
    }

    /// The job handlers that carry events to these subscribers and to the webhooks.
    pub fn job_handlers(self) -> Vec<Arc<dyn JobHandler>> {
        let this = Arc::new(self);
        vec![
            Arc::new(dispatch::DispatchEvent(this.clone())),
            Arc::new(deliver::DeliverToSubscriber(this)),
            Arc::new(webhook_deliver::DeliverWebhook),
        ]
    }
}

impl std::fmt::Debug for Reactions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Reactions").field("subscribers", &self.names()).finish()
    }
}

/// The job runner of this process with every job kind and `reactions` as the subscribers.
pub fn runner_with(services: Services, worker: impl Into<String>, reactions: Reactions) -> Runner {
    let mut handlers = jobs::handlers();
    handlers.extend(reactions.job_handlers());
    Runner::new(services, worker, handlers)
}

/// The stock job runner: every job kind, and Vouch's own subscribers.
pub fn runner(services: Services, worker: impl Into<String>) -> Runner {
    let reactions = Reactions::builtin(&services.cfg);
    runner_with(services, worker, reactions)
}
