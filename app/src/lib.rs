//! Code shared by the browser (csr) and the server (ssr): wire types, server functions,
//! the learner pages, the plugin-slot registry and the pure verification domain.
//!
//! Server-only code sits behind the `ssr` feature and reaches the backend only through
//! [`idv_port::IdvPort`], which the server implements: `app` never depends on `server`.

pub mod api;
pub mod domain;
pub mod dto;
pub mod error;
pub mod i18n;
#[cfg(feature = "ssr")]
pub mod idv_port;

/// The old name of [`idv_port`]; kept for builds written against it.
#[cfg(feature = "ssr")]
#[deprecated(note = "renamed: app::idv_port")]
pub mod ports {
    pub use crate::idv_port::*;
}
pub mod nav;
pub mod pages;
pub mod routes;
pub mod rpc;
pub mod sfn;
pub mod slot;
pub mod wire_json;

pub use pages::App;
