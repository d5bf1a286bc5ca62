//! `vouch debug serve-constant`: the limit of the HTTP stack, for benchmarks.
//!
//! A bare axum router with one handler that answers a constant small JSON document, served
//! by this binary on the runtime `vouch serve` uses (the same `#[tokio::main]`, the same
//! `axum::serve` call and listener). Comparing a Vouch endpoint with it measures what
//! Vouch's own work costs (middleware, JWT, database), not what HTTP and the runtime cost.
//! It has no state, no database and no logging per request.

use anyhow::Context as _;
use axum::{Json, Router, routing::get};
use std::net::SocketAddr;

/// Arguments of `vouch debug serve-constant`.
#[derive(Debug, Clone, clap::Args)]
pub struct ServeConstantArgs {
    /// Where to listen (port 0 picks a free port; the address is printed on stdout).
    #[arg(long, default_value = "127.0.0.1:0")]
    pub bind: SocketAddr,
}

/// The constant answer: about the size of a `GET /verify_student/status/` answer.
async fn constant() -> Json<serde_json::Value> {
    Json(serde_json::json!({ "status": "approved", "expires": "2027-01-01T00:00:00Z", "can_verify": false }))
}

/// The bare router (every path other than `/` is a 404).
pub fn router() -> Router {
    Router::new().route("/", get(constant))
}

/// Serves [`router`] until SIGINT or SIGTERM.
pub async fn run(args: &ServeConstantArgs) -> anyhow::Result<()> {
    let listener = tokio::net::TcpListener::bind(args.bind).await.with_context(|| format!("binding {}", args.bind))?;
    println!("listening on {}", listener.local_addr()?);
    axum::serve(listener, router().into_make_service_with_connect_info::<SocketAddr>())
        .with_graceful_shutdown(crate::serve::shutdown_signal())
        .await?;
    Ok(())
}
