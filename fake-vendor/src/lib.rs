//! A fake Software Secure: the vendor side of `shared/protocol/software-secure.md` §5–8,
//! for development and end-to-end tests. Never deploy it: it holds the vendor's private key.
//! It is a crate of its own, depending on nothing of the server (the wire primitives come
//! from `ssencrypt`, the image check from `app::domain::images`), so the production `vouch`
//! binary cannot contain it; `cargo xtask test` checks that it does not.
//!
//! # What it does
//! - `POST /` (Vouch's `software_secure.api_url`): checks the request like a strict vendor
//!   would (JSON, `Authorization: SSI <access>:<sig>` over `Content-Type`, `Date` and the
//!   parsed body, a `Date` within 5 minutes, the seven required string fields). A refused
//!   request gets a JSON error (`400` or `401`) and only bumps the `refused` counter.
//!   A valid one is counted, answered `500` while `fail_first` lasts, otherwise answered
//!   `200 {"ok": true}` and processed in the background (see [`process`]).
//!   `delay` is slept before answering a valid request; processing starts only once the
//!   answer is due, so a client that gives up during the delay leaves the request counted
//!   but never processed (as if the vendor died before committing it).
//! - Processing fetches both photo URLs (retrying for 30 s while their host is unreachable
//!   or answers `5xx`), unwraps the AES keys with the private key,
//!   decrypts, checks the images, decides (deny marker → `FAIL`, system-fail marker →
//!   `SYSTEM FAIL`, unusable photo → `FAIL`, else `PASS`) and posts the signed result to
//!   `SendResponseTo`, retrying on connection errors and `5xx` (see [`callback`]).
//! - `GET /_fake/requests` reports what arrived, as one JSON object:
//!   ```json
//!   {"requests": [{"edx_id": "…", "received": 1, "result": "PASS",
//!                  "callback_status": 200, "expected_name": "…"}],
//!    "refused": 0}
//!   ```
//!   `requests` has one entry per distinct `EdX-ID`, in order of first arrival.
//!   `received` counts valid requests (fail-first ones included); `result` and
//!   `callback_status` are `null` until processing and the callback finish (the latest
//!   processing wins if an id is submitted again); `callback_status` stays `null` when no
//!   callback attempt ever got an HTTP answer.
//! - `GET /healthz` answers `200`.
//!
//! One key pair serves both directions, as in Open edX: the access/secret keys verify
//! incoming requests and sign the callbacks. Logs carry receipt ids and outcomes only,
//! never photos, keys or names. Callbacks still pending at shutdown are abandoned.

mod callback;
pub mod cli;
pub mod hosted;
mod intake;
mod process;
mod quality_rules;
mod registry;
#[cfg(test)]
mod tests;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::Context as _;
use tokio::task::JoinHandle;

use ssencrypt::{PrivateKey, parse_private_key};

/// Everything the fake vendor needs; [`cli::Args`] builds it from flags.
#[derive(Clone)]
pub struct FakeVendorConfig {
    /// Address to listen on; port `0` picks a free one (see the address [`spawn`] returns).
    pub bind: SocketAddr,
    /// API access key: expected in incoming `Authorization`, sent in callbacks.
    pub access_key: String,
    /// API secret key: HMAC key for verifying requests and signing callbacks.
    pub secret_key: String,
    /// The vendor's RSA private key (PEM or DER bytes), to unwrap the photo keys.
    pub private_key: Vec<u8>,
    /// An `ExpectedName` containing this is denied (`FAIL`); empty disables the rule.
    pub deny_marker: String,
    /// An `ExpectedName` containing this gets `SYSTEM FAIL`; empty disables the rule.
    pub system_fail_marker: String,
    /// Answer `500` to this many valid requests first (counted, not processed).
    pub fail_first: u32,
    /// Sleep this long before answering a valid request.
    pub delay: Duration,
    /// Sleep this long between deciding and the first callback attempt.
    pub callback_delay: Duration,
    /// Deny photos the live quality checks refuse (`--quality-rules`, see `quality_rules`).
    pub quality_rules: bool,
}

/// Hand-written so that keys never reach a log through `{:?}`.
impl std::fmt::Debug for FakeVendorConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FakeVendorConfig")
            .field("bind", &self.bind)
            .field("access_key", &"<redacted>")
            .field("secret_key", &"<redacted>")
            .field("private_key", &"<redacted>")
            .field("deny_marker", &self.deny_marker)
            .field("system_fail_marker", &self.system_fail_marker)
            .field("fail_first", &self.fail_first)
            .field("delay", &self.delay)
            .field("callback_delay", &self.callback_delay)
            .field("quality_rules", &self.quality_rules)
            .finish()
    }
}

/// State shared by the handlers and the background tasks.
struct Vendor {
    config: FakeVendorConfig,
    private_key: PrivateKey,
    /// One client for photo fetches and callbacks: no redirects (a vendor must not be
    /// bounced to other hosts), short timeouts so a stuck peer cannot pin a task forever.
    client: reqwest::Client,
    registry: Mutex<registry::Registry>,
}

/// Starts the fake vendor in the background with no shutdown signal (tests); it stops
/// when the runtime does or the handle is aborted. Returns the bound address.
pub async fn spawn(config: FakeVendorConfig) -> anyhow::Result<(SocketAddr, JoinHandle<()>)> {
    serve(config, std::future::pending()).await
}

/// Binds, then serves in a background task until `shutdown` completes (graceful: open
/// requests finish). Returns the bound address and the server task. Fails early on a bad
/// private key or an address that cannot be bound.
pub async fn serve(
    config: FakeVendorConfig,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<(SocketAddr, JoinHandle<()>)> {
    let private_key = parse_private_key(&config.private_key).context("reading the vendor private key")?;
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .connect_timeout(Duration::from_secs(3))
        .timeout(Duration::from_secs(10))
        .build()
        .context("building the HTTP client")?;
    let listener =
        tokio::net::TcpListener::bind(config.bind).await.with_context(|| format!("binding {}", config.bind))?;
    let addr = listener.local_addr()?;
    let vendor = Arc::new(Vendor { config, private_key, client, registry: Mutex::default() });
    let app = intake::router(vendor);
    let task = tokio::spawn(async move {
        if let Err(e) = axum::serve(listener, app).with_graceful_shutdown(shutdown).await {
            tracing::error!(error = %e, "fake-vendor server failed");
        }
    });
    tracing::info!(%addr, "fake-vendor started");
    Ok((addr, task))
}
