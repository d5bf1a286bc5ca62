//! Prometheus metrics at `/metrics`: request latency by route, attempts by status, the job
//! queue, the in-house review queue, and vendor latency (recorded where the vendor is called). Gauges that come from
//! the database are read when scraped, so they are right whichever process changed them,
//! but at most once per [`GAUGE_TTL`] and by one request at a time: the counts are a
//! `GROUP BY` over every attempt table, which a flood of scrapes must not turn into a
//! drained connection pool.
//!
//! Closed by default: attempt counts are business data. On the main listener `/metrics`
//! needs `Authorization: Bearer <server.metrics_token>` (401 otherwise, and always when no
//! token is configured); `server.metrics_bind` serves it without a token on a listener of
//! its own, for scrapers on a private network.

use super::AppState;
use crate::service::{ServiceError, gauges, review::ReviewError};
use axum::{
    body::Body,
    extract::{MatchedPath, State},
    http::{Request, StatusCode, header},
    middleware::Next,
    response::{IntoResponse, Response},
};
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use std::{
    collections::HashSet,
    sync::OnceLock,
    time::{Duration, Instant},
};

/// How long database gauges are reused before a scrape reads them again.
pub const GAUGE_TTL: Duration = Duration::from_secs(5);

/// When the database gauges were last read; the lock makes concurrent scrapes wait for one
/// read instead of each running its own.
#[derive(Debug, Default)]
pub struct GaugeCache {
    read_at: tokio::sync::Mutex<Option<Instant>>,
}

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
///
/// The labels are `'static` strings (route templates interned once, methods and status
/// classes from tables): three strings allocated per request were measurable under the
/// status read benchmark.
pub async fn track(req: Request<Body>, next: Next) -> Response {
    let route = req.extensions().get::<MatchedPath>().map_or("unmatched", |p| intern_route(p.as_str()));
    let method = static_method(req.method());
    let started = Instant::now();
    let res = next.run(req).await;
    let status = STATUS_CLASSES.get(usize::from(res.status().as_u16() / 100)).copied().unwrap_or("other");
    metrics::histogram!("vouch_http_request_duration_seconds", "route" => route, "method" => method, "status" => status)
        .record(started.elapsed().as_secs_f64());
    res
}

/// Status classes by hundreds.
const STATUS_CLASSES: [&str; 6] = ["0xx", "1xx", "2xx", "3xx", "4xx", "5xx"];

/// The method as a `'static` label; methods outside the standard set share one label, so
/// a client cannot grow the metrics with made-up verbs.
fn static_method(m: &axum::http::Method) -> &'static str {
    use axum::http::Method;
    match *m {
        Method::GET => "GET",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::DELETE => "DELETE",
        Method::PATCH => "PATCH",
        Method::HEAD => "HEAD",
        Method::OPTIONS => "OPTIONS",
        _ => "other",
    }
}

/// A route template as a `'static` string. Templates come from the router's own table (a
/// few dozen, never from the request), so keeping each once for the process is bounded.
fn intern_route(route: &str) -> &'static str {
    static ROUTES: OnceLock<std::sync::RwLock<HashSet<&'static str>>> = OnceLock::new();
    let routes = ROUTES.get_or_init(Default::default);
    if let Some(known) = routes.read().unwrap_or_else(|e| e.into_inner()).get(route) {
        return known;
    }
    let mut routes = routes.write().unwrap_or_else(|e| e.into_inner());
    if let Some(known) = routes.get(route) {
        return known;
    }
    let leaked: &'static str = Box::leak(route.to_owned().into_boxed_str());
    routes.insert(leaked);
    leaked
}

/// `GET /metrics` on the main listener, in Prometheus text format: only with the scraper's
/// bearer token (`server.metrics_token`, compared in constant time).
pub async fn render(State(state): State<AppState>, req: Request<Body>) -> Response {
    let Some(token) = &state.cfg.server.metrics_token else {
        return refused("Metrics are closed here: set server.metrics_token, or serve them on server.metrics_bind.");
    };
    let sent = req.headers().get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()).unwrap_or_default();
    let expected = format!("Bearer {}", token.expose());
    if !bool::from(subtle::ConstantTimeEq::ct_eq(sent.as_bytes(), expected.as_bytes())) {
        return refused("A metrics token is required.");
    }
    exposition(&state).await
}

/// `GET /metrics` on `server.metrics_bind`: whoever reaches that address may scrape.
async fn render_open(State(state): State<AppState>) -> Response {
    exposition(&state).await
}

/// The router of the `server.metrics_bind` listener: `/metrics` and nothing else.
pub fn listener_router(state: AppState) -> axum::Router {
    handle();
    axum::Router::new()
        .route("/metrics", axum::routing::get(render_open))
        .layer(axum::middleware::map_response(|res: Response| async move { super::error::json_errors(res) }))
        .with_state(state)
}

fn refused(message: &str) -> Response {
    super::error::ApiError::new(app::error::ErrorCode::Unauthenticated, message).into_response()
}

async fn exposition(state: &AppState) -> Response {
    handle();
    record_cache_gauges(state);
    refresh_database_gauges(state).await;
    (StatusCode::OK, [(header::CONTENT_TYPE, "text/plain; version=0.0.4")], handle().render()).into_response()
}

/// This process's status cache: hits and misses since start, learners held, and whether it
/// serves now (0 while its listener has not proved it current within `cache.max_stale_ms`).
fn record_cache_gauges(state: &AppState) {
    let cache = &state.services.status_cache;
    let (hits, misses) = cache.counts();
    metrics::gauge!("vouch_status_cache_hits").set(hits as f64);
    metrics::gauge!("vouch_status_cache_misses").set(misses as f64);
    metrics::gauge!("vouch_status_cache_learners").set(cache.learners() as f64);
    metrics::gauge!("vouch_status_cache_serving").set(if cache.serving() { 1.0 } else { 0.0 });
}

/// Reads the database gauges unless another scrape did within [`GAUGE_TTL`]. A failed read
/// counts as a read too, so an unreachable database is not asked again on every scrape.
async fn refresh_database_gauges(state: &AppState) {
    let mut read_at = state.gauges.read_at.lock().await;
    if read_at.is_some_and(|at| at.elapsed() < GAUGE_TTL) {
        return;
    }
    if let Err(e) = record_database_gauges(state).await {
        tracing::warn!(error = %e, "metrics: database gauges unavailable");
        metrics::counter!("vouch_metrics_database_errors_total").increment(1);
    }
    *read_at = Some(Instant::now());
}

async fn record_database_gauges(state: &AppState) -> Result<(), ServiceError> {
    let figures = gauges::database_figures(&state.services).await?;
    let counts = figures.jobs;
    for (status, n) in
        [("queued", counts.queued), ("running", counts.running), ("done", counts.done), ("failed", counts.failed)]
    {
        metrics::gauge!("vouch_jobs", "status" => status).set(n as f64);
    }
    for (kind, status, n) in figures.attempts {
        metrics::gauge!("vouch_attempts", "kind" => kind, "status" => status).set(n as f64);
    }
    record_review_gauges(state).await
}

/// The in-house review queue: size, oldest age, live claims, and the time from queue to
/// decision over the last 24 hours (p50, p95; absent until something was decided).
async fn record_review_gauges(state: &AppState) -> Result<(), ServiceError> {
    let s = match crate::service::review::stats::stats(&state.services).await {
        Ok(s) => s,
        Err(ReviewError::Service(e @ ServiceError::Store(_))) => return Err(e),
        Err(e) => {
            tracing::warn!(error = %e, "metrics: review gauges unavailable");
            return Ok(());
        }
    };
    metrics::gauge!("vouch_review_queue_size").set(s.size as f64);
    metrics::gauge!("vouch_review_queue_oldest_age_seconds").set(s.oldest_age_secs as f64);
    metrics::gauge!("vouch_review_queue_claimed").set(s.claimed as f64);
    metrics::gauge!("vouch_review_decided_last_24h").set(s.decided_last_24h as f64);
    for (quantile, v) in [("0.5", s.time_to_decision_p50_secs), ("0.95", s.time_to_decision_p95_secs)] {
        // No decision in 24 h: NaN (Prometheus' "no value"), not the last figure seen, which
        // would read as a current time to decision.
        metrics::gauge!("vouch_review_time_to_decision_seconds", "quantile" => quantile)
            .set(v.map_or(f64::NAN, |v| v as f64));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_are_interned_and_bounded() {
        let a = intern_route(&String::from("/verify_student/status/"));
        let b = intern_route(&String::from("/verify_student/status/"));
        assert!(std::ptr::eq(a, b), "one copy a template");
        assert_eq!(a, "/verify_student/status/");
        assert_eq!(static_method(&axum::http::Method::GET), "GET");
        let made_up = axum::http::Method::from_bytes(b"BREW").unwrap();
        assert_eq!(static_method(&made_up), "other");
        assert_eq!(STATUS_CLASSES[usize::from(StatusCode::NOT_FOUND.as_u16() / 100)], "4xx");
    }
}
