//! A fake hosted-flow vendor (Persona / Stripe Identity style), for development and
//! end-to-end tests: `fake-vendor hosted …`. Never deploy it.
//!
//! - `POST /api/inquiries` (bearer key): `{reference_id, name, redirect_uri, webhook_url}` →
//!   `201 {"id": "inq_…", "status": "created", "flow_url": "http://…/flow/inq_…?session=…"}`.
//! - `POST /api/inquiries/{id}/resume` (bearer key): a fresh session, `{id, status, flow_url}`;
//!   `404` for an unknown inquiry, `409` once the learner submitted.
//! - `GET /flow/{id}?session=…`: the learner's page. It takes a photo with the camera
//!   (`getUserMedia`) and posts it to `POST /flow/{id}/submit`, which checks the session and
//!   that the photo is a JPEG or PNG, sends the signed `submitted` webhook, then (after
//!   `--decision-delay-ms`) `approved` or `declined`: declined when `--outcome deny` or the
//!   inquiry's name contains the deny marker. Framed, the page then tells its parent
//!   (`postMessage("vouch-hosted:done")` to the `redirect_uri`'s origin only); on its own,
//!   it goes to `redirect_uri`.
//! - `GET /_fake/inquiries`: what happened, for tests:
//!   `{"inquiries": [{"id", "reference_id", "status", "photo_bytes", "webhooks": [[status, http]]}]}`.
//! - `GET /healthz`.
//!
//! Webhooks carry `Webhook-Signature: t=…,v1=…` (see `ssencrypt::webhook_signature`) and are
//! retried on connection errors and `5xx`. Photos are kept only as a byte count.

pub mod cli;
mod page;
mod routes;
mod webhook;

use std::collections::HashMap;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::Context as _;
use tokio::task::JoinHandle;

/// The decision the fake vendor makes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Outcome {
    /// Approve every inquiry (unless its name has the deny marker).
    Approve,
    /// Decline every inquiry.
    Deny,
}

/// Everything the fake hosted vendor needs.
#[derive(Clone)]
pub struct HostedConfig {
    /// Address to listen on; port `0` picks a free one.
    pub bind: SocketAddr,
    /// The bearer key Vouch must send.
    pub api_key: String,
    /// The webhook signing secret.
    pub webhook_secret: String,
    /// The default decision.
    pub outcome: Outcome,
    /// A name containing this is declined; empty disables the rule.
    pub deny_marker: String,
    /// Time between the `submitted` webhook and the decision.
    pub decision_delay: Duration,
}

impl std::fmt::Debug for HostedConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HostedConfig")
            .field("bind", &self.bind)
            .field("api_key", &"<redacted>")
            .field("webhook_secret", &"<redacted>")
            .field("outcome", &self.outcome)
            .field("decision_delay", &self.decision_delay)
            .finish()
    }
}

/// One inquiry, as the fake vendor keeps it.
#[derive(Debug, Clone)]
struct Inquiry {
    id: String,
    reference_id: String,
    name: String,
    redirect_uri: String,
    webhook_url: String,
    session: String,
    status: String,
    photo_bytes: usize,
    /// (status sent, HTTP status of the last try or None when no answer came).
    webhooks: Vec<(String, Option<u16>)>,
}

/// State shared by the handlers.
struct Vendor {
    config: HostedConfig,
    base_url: String,
    client: reqwest::Client,
    inquiries: Mutex<(Vec<String>, HashMap<String, Inquiry>)>,
}

impl Vendor {
    fn with_inquiry<T>(&self, id: &str, f: impl FnOnce(&mut Inquiry) -> T) -> Option<T> {
        let mut guard = self.inquiries.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        guard.1.get_mut(id).map(f)
    }
}

/// Binds, then serves until `shutdown` completes. Returns the bound address and the task.
pub async fn serve(
    config: HostedConfig,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<(SocketAddr, JoinHandle<()>)> {
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .connect_timeout(Duration::from_secs(3))
        .timeout(Duration::from_secs(10))
        .build()
        .context("building the HTTP client")?;
    let listener =
        tokio::net::TcpListener::bind(config.bind).await.with_context(|| format!("binding {}", config.bind))?;
    let addr = listener.local_addr()?;
    let vendor = Arc::new(Vendor { config, base_url: format!("http://{addr}"), client, inquiries: Mutex::default() });
    let app = routes::router(vendor);
    let task = tokio::spawn(async move {
        if let Err(e) = axum::serve(listener, app).with_graceful_shutdown(shutdown).await {
            tracing::error!(error = %e, "fake hosted vendor failed");
        }
    });
    tracing::info!(%addr, "fake hosted vendor started");
    Ok((addr, task))
}

/// A random token (ids and sessions).
fn token() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}
