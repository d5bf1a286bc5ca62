//! Lifecycle events of verification attempts, in the style of Open edX events
//! (`org.openedx.learning.idv_attempt.<status>.v1`): the types only. This module is a leaf:
//! it depends on `app::domain` and nothing else of Vouch.
//!
//! Every status change of every attempt kind writes one event to the outbox in the same
//! transaction as the change (`store::outbox`, called from `store::transitions::append`, the
//! one place every kind records a status change). The reactions to events (name
//! affirmation, emails, LTI grade passback, webhooks, metrics) are subscribers of that
//! outbox, in `crate::reactions`.

mod types;

pub use types::{Event, EventData, EventType, EventUser};
