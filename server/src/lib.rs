//! The Vouch server: identity verification for learning platforms.
//!
//! Layers, outside in: [`http`] (axum handlers, sessions, JSON errors) → [`service`] (use
//! cases, one transaction each) → the pure domain in `app::domain` → [`store`] (SQLite or
//! PostgreSQL) and [`vault`] (photos).
//!
//! The modules import each other without a cycle (`cargo xtask modules` prints the graph;
//! `cargo xtask test` fails on a cycle): [`config`] imports no other layer; [`store`],
//! [`vault`] and [`email`] build on it, [`status_cache`] on the store; [`service`] on all of
//! those; [`vendors`] (the plugins) and [`lti`] on [`service`], [`jobs`] (the handlers) on
//! those; and [`http`], [`reactions`], [`cli`] and [`serve`] on top, with [`plugins`]
//! (Vouch as a library: [`App`]) above them all.

pub mod cli;
pub mod clock;
pub mod config;
pub mod cpu_work;
pub mod email;
pub mod events;
pub mod host_list;
pub mod http;
pub mod job_thread;
pub mod jobs;
pub mod lti;
pub mod outbound;
pub mod plugins;
pub mod reactions;
pub mod serve;
pub mod service;
pub mod services_port;

/// The old name of [`services_port`] (it is the services behind the SPA's port, not a
/// network port); kept for builds written against it.
#[deprecated(note = "renamed: server::services_port::ServicesPort")]
pub mod port {
    pub use crate::services_port::ServicesPort as ServerPort;
}
pub mod status_cache;
pub mod store;
pub mod vault;
pub mod vendors;

pub use plugins::{App, AppBuilder};
