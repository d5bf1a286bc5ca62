//! Prometheus metrics at `/metrics`: request latency by route, attempts by status, the job
//! queue, and vendor latency (recorded where the vendor is called). Gauges that come from
//! the database are read when scraped, so they are right whichever process changed them.

use super::AppState;
use crate::store::{self, jobs};
use axum::{
    body::Body,
    extract::{MatchedPath, State},
    http::{Request, StatusCode, header},
    middleware::Next,
    response::{IntoResponse, Response},
};
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use std::{sync::OnceLock, time::Instant};

/// Latency buckets in seconds: from a cached status read to a slow vendor.
const BUCKETS: &[f64] = &[0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0];

/// The process-wide recorder (metrics has one global recorder per process).
pub fn handle() -> &'static PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE.get_or_init(|| {
        let builder = PrometheusBuilder::new().set_buckets(BUCKETS).expect("buckets are not empty");
        match builder.install_recorder() {
            Ok(handle) => handle,
            // Another recorder is installed (embedding): render ours, record into theirs.
            Err(_) => PrometheusBuilder::new().build_recorder().handle(),
        }
    })
}

/// Records every request's latency, labelled by route template (never the raw path, which
/// holds usernames and receipt ids), method and status class.
pub async fn track(req: Request<Body>, next: Next) -> Response {
    let route = req.extensions().get::<MatchedPath>().map_or("unmatched", |p| p.as_str()).to_owned();
    let method = req.method().as_str().to_owned();
    let started = Instant::now();
    let res = next.run(req).await;
    let status = format!("{}xx", res.status().as_u16() / 100);
    metrics::histogram!("vouch_http_request_duration_seconds", "route" => route, "method" => method, "status" => status)
        .record(started.elapsed().as_secs_f64());
    res
}

/// `GET /metrics` in Prometheus text format. When `server.metrics_token` is set, the
/// scraper must send it as a bearer token.
pub async fn render(State(state): State<AppState>, req: Request<Body>) -> Response {
    if let Some(token) = &state.cfg.server.metrics_token {
        let sent = req.headers().get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()).unwrap_or_default();
        let expected = format!("Bearer {}", token.expose());
        if !bool::from(subtle::ConstantTimeEq::ct_eq(sent.as_bytes(), expected.as_bytes())) {
            return super::error::ApiError::new(app::error::ErrorCode::Unauthenticated, "A metrics token is required.")
                .into_response();
        }
    }
    handle();
    if let Err(e) = record_database_gauges(&state).await {
        tracing::warn!(error = %e, "metrics: database gauges unavailable");
        metrics::counter!("vouch_metrics_database_errors_total").increment(1);
    }
    (StatusCode::OK, [(header::CONTENT_TYPE, "text/plain; version=0.0.4")], handle().render()).into_response()
}

async fn record_database_gauges(state: &AppState) -> Result<(), store::StoreError> {
    let mut conn = state.services.store.conn().await?;
    let counts = jobs::counts(&mut conn).await?;
    for (status, n) in
        [("queued", counts.queued), ("running", counts.running), ("done", counts.done), ("failed", counts.failed)]
    {
        metrics::gauge!("vouch_jobs", "status" => status).set(n as f64);
    }
    for (kind, status, n) in store::verifications::counts_by_status(&mut conn).await? {
        metrics::gauge!("vouch_attempts", "kind" => kind, "status" => status).set(n as f64);
    }
    Ok(())
}
