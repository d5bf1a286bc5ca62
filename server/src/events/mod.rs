//! Lifecycle events of verification attempts, in the style of Open edX events
//! (`org.openedx.learning.idv_attempt.<status>.v1`), and the filter pipelines of the
//! verification service.
//!
//! Every status change of every attempt kind writes one event to the outbox in the same
//! transaction as the change (`store::outbox`, called from `store::transitions::append`, the
//! one place every kind records a status change). A durable job then fans each event out to
//! the in-process hooks ([`hooks`]) and to the outbound webhooks ([`webhooks`]), each
//! delivered at least once by its own job.

pub mod config;
pub mod filters;
pub mod hooks;
pub mod types;
pub mod webhooks;

pub use hooks::{EventHook, HookRegistry};
pub use types::{Event, EventData, EventType, EventUser};

/// The hooks every process subscribes: name affirmation always, emails when SMTP is set.
pub fn builtin_hooks(cfg: &crate::config::Config) -> std::sync::Arc<HookRegistry> {
    let hooks = HookRegistry::default();
    hooks.subscribe(std::sync::Arc::new(crate::service::name_affirmation::NameAffirmationHook));
    if cfg.email.enabled() {
        hooks.subscribe(std::sync::Arc::new(crate::email::hook::EmailHook));
    }
    std::sync::Arc::new(hooks)
}
