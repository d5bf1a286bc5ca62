//! In-process hooks: the parts of Vouch (and of a build that embeds it) that react to
//! lifecycle events — name affirmation, emails, later LTI grade passback. Each hook gets
//! each event at least once, from its own durable job, so a failing hook is retried alone
//! and never holds up the others. Hooks must therefore be idempotent.

use super::Event;
use crate::service::Services;
use std::sync::{Arc, RwLock};

/// Something that reacts to lifecycle events.
#[async_trait::async_trait]
pub trait EventHook: Send + Sync + 'static {
    /// A stable name: the job that delivers an event to this hook finds it by name.
    fn name(&self) -> &'static str;

    /// Handles one event. `seq` is the event's position in the outbox (larger is later),
    /// for hooks that must not let an older event overwrite a newer one. An error is
    /// retried with backoff.
    async fn handle(&self, services: &Services, seq: i64, event: &Event) -> Result<(), String>;
}

/// The hooks subscribed in this process.
#[derive(Default)]
pub struct HookRegistry {
    hooks: RwLock<Vec<Arc<dyn EventHook>>>,
}

impl HookRegistry {
    /// Subscribes `hook` (replacing a hook of the same name).
    pub fn subscribe(&self, hook: Arc<dyn EventHook>) {
        let mut hooks = self.hooks.write().unwrap_or_else(std::sync::PoisonError::into_inner);
        hooks.retain(|h| h.name() != hook.name());
        hooks.push(hook);
    }

    /// The names of the subscribed hooks, in subscription order.
    pub fn names(&self) -> Vec<&'static str> {
        self.hooks.read().unwrap_or_else(std::sync::PoisonError::into_inner).iter().map(|h| h.name()).collect()
    }

    /// The hook with this name.
    pub fn get(&self, name: &str) -> Option<Arc<dyn EventHook>> {
        self.hooks.read().unwrap_or_else(std::sync::PoisonError::into_inner).iter().find(|h| h.name() == name).cloned()
    }
}

impl std::fmt::Debug for HookRegistry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HookRegistry").field("hooks", &self.names()).finish()
    }
}
