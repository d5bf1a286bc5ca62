//! The HTTP layer: routers, sessions, JSON errors. Handlers parse and authorise, then call
//! one service function.

pub mod auth;
pub mod bearer_bypass;
pub mod callbacks;
pub mod csp;
pub mod edge;
pub mod error;
pub mod handoff;
pub mod health;
pub mod identity;
pub mod input_guard;
pub mod jwt;
pub mod limits;
pub mod lti;
pub mod lti_link;
pub mod metrics;
pub mod openedx_form;
pub mod rest;
pub mod sfn;
pub mod spa;
pub mod staff_photos;
pub mod vendor_gate;
pub mod verified_names;
pub mod verify_student;
pub mod webhooks;

use crate::{
    config::Config,
    service::{Services, database},
    services_port::ServicesPort,
};
use app::idv_port::IdvPort;
use axum::http::Request;
use axum::{
    Router,
    routing::{get, post},
};
use std::sync::Arc;
use tower::ServiceBuilder;
use tower_http::{
    request_id::{MakeRequestUuid, PropagateRequestIdLayer, RequestId, SetRequestIdLayer},
    trace::TraceLayer,
};

/// The span of one request: method, route template and request id; never the raw path or
/// query, which may hold usernames, receipt ids or signatures.
fn request_span<B>(req: &Request<B>) -> tracing::Span {
    let id = req.extensions().get::<RequestId>().and_then(|id| id.header_value().to_str().ok()).unwrap_or("-");
    let route = req.extensions().get::<axum::extract::MatchedPath>().map_or("-", |p| p.as_str());
    tracing::info_span!("request", method = %req.method(), route = %route, request_id = %id)
}

/// Shared state of every handler: one pointer, because axum clones the state for every
/// extractor and middleware of every request. As a struct of a dozen `Arc`s, those clones
/// and their drops were a third of the server's CPU under the status-read benchmark (perf;
/// each is an atomic on a cache line both cores fight over).
#[derive(Clone)]
pub struct AppState(Arc<AppStateInner>);

impl std::ops::Deref for AppState {
    type Target = AppStateInner;

    fn deref(&self) -> &AppStateInner {
        &self.0
    }
}

/// What [`AppState`] points to.
pub struct AppStateInner {
    /// Configuration.
    pub cfg: Arc<Config>,
    /// The use cases.
    pub services: Services,
    /// The backend as server functions see it.
    pub port: Arc<dyn IdvPort>,
    /// Verifies the LMS's JWTs.
    pub jwt: Arc<jwt::JwtVerifier>,
    /// Request rate limits.
    pub limits: limits::RateLimits,
    /// When `/metrics` last read its database gauges.
    pub gauges: Arc<metrics::GaugeCache>,
}

impl AppState {
    /// State over `services`.
    pub fn new(services: Services) -> Self {
        let port: Arc<dyn IdvPort> = Arc::new(ServicesPort::new(services.clone()));
        // `vouch serve` checks the keys at start-up; here a bad key only disables JWT sign-in.
        let jwt = jwt::JwtVerifier::from_config(&services.cfg.auth).unwrap_or_else(|e| {
            tracing::error!(error = %e, "JWT sign-in disabled");
            jwt::JwtVerifier::from_config(&crate::config::AuthConfig::default()).expect("no keys always parse")
        });
        // Verified tokens are remembered within the status cache's bounds, and not at all
        // when the cache is off (the design before issue 18, which the benchmark compares).
        let cache = &services.cfg.cache;
        let jwt = if cache.enabled {
            jwt.remembering(
                cache.max_learners,
                std::time::Duration::from_secs(cache.ttl_secs),
                services.cfg.auth.sso_verification_claim.clone(),
            )
        } else {
            jwt
        };
        let jwt = Arc::new(jwt);
        spawn_token_sweeper(&jwt);
        let limits = limits::RateLimits::new(&services.cfg.limits);
        Self(Arc::new(AppStateInner { cfg: services.cfg.clone(), services, port, jwt, limits, gauges: Arc::default() }))
    }
}

/// Sweeps the remembered tokens older than their TTL while the state lives (a task holding
/// only a weak reference, so a dropped state, as in tests, ends it).
fn spawn_token_sweeper(jwt: &Arc<jwt::JwtVerifier>) {
    let (Some(every), Ok(runtime)) = (jwt.sweep_every(), tokio::runtime::Handle::try_current()) else {
        return;
    };
    let weak = Arc::downgrade(jwt);
    runtime.spawn(async move {
        let mut tick = tokio::time::interval(every);
        tick.tick().await;
        loop {
            tick.tick().await;
            let Some(jwt) = weak.upgrade() else { break };
            if tokio::task::spawn_blocking(move || jwt.sweep()).await.is_err() {
                tracing::warn!("the sweep of remembered LMS tokens failed");
            }
        }
    });
}

/// The largest server-function body: two photos as base64 plus room for the JSON around them.
pub(crate) fn sfn_body_limit(cfg: &Config) -> usize {
    cfg.server.max_photo_bytes.saturating_mul(2).saturating_mul(4) / 3 + 64 * 1024
}

/// The whole application router.
pub fn router(state: AppState, session_key: tower_sessions::cookie::Key) -> Router {
    router_with(state, session_key, Router::new())
}

/// [`router`] with `extra` routes (a build's, see `server::App`) merged in: they get the
/// state and every middleware the stock routes get, and they take precedence over the SPA
/// fallback. A path that clashes with a stock route panics at start-up (axum's merge rule).
pub fn router_with(state: AppState, session_key: tower_sessions::cookie::Key, extra: Router<AppState>) -> Router {
    let sessions = auth::session_layer(&state.cfg, database::session_store(&state.services), session_key);
    let static_dir = state.cfg.server.static_dir.clone();
    // Install the metrics recorder before the first request, so nothing is recorded into the void.
    metrics::handle();
    let (rest, doc) = rest::openapi::router(&state).split_for_parts();
    let edge = edge::Edge::new(csp::Csp::for_state(&state), state.cfg.server.public_url.starts_with("https://"));
    let openapi = Router::new()
        .route("/api/v1/openapi.json", get(rest::openapi::serve))
        .with_state(rest::openapi::OpenApiJson::new(&doc));
    Router::new()
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .route(app::routes::DEV_LOGIN, post(auth::dev_login))
        .route("/auth/logout", post(auth::logout))
        .route("/sfn/{*fn_name}", post(sfn::server_fns))
        .route("/verify_student/photos/{*object}", get(verify_student::photo))
        .route(app::routes::HANDOFF, get(handoff::desktop_page))
        .route("/handoff/status", get(handoff::status))
        .route("/handoff/cancel", post(handoff::cancel))
        .route("/handoff/follow.js", get(handoff::follow_js))
        .route("/handoff/handoff.css", get(handoff::css))
        .route("/handoff/{token}", get(handoff::phone_page).post(handoff::redeem))
        .route("/verify_student/start-flow/{*course_id}", get(verify_student::flow_page))
        .route("/verify_student/upgrade/{*course_id}", get(verify_student::flow_page))
        .route("/verify_student/verify-now/{*course_id}", get(verify_student::flow_page))
        .route("/verify_student/verify-later/{*course_id}", get(verify_student::flow_page))
        .route("/verify_student/payment-confirmation/{*course_id}", get(verify_student::flow_page))
        .merge(rest)
        .merge(openapi)
        .route("/metrics", get(metrics::render))
        .route_layer(axum::middleware::from_fn(metrics::track))
        // Open edX's reverification link: the SPA's flow, started afresh.
        .route("/verify_student/reverify", get(|| async { axum::response::Redirect::to(app::routes::REVERIFY) }))
        .route("/api/{*rest}", axum::routing::any(error::not_found))
        .merge(extra)
        // The staff console: its own bundle and index.html fallback under /staff.
        .nest_service("/staff", spa::service(&static_dir.join("staff")))
        .fallback_service(spa::service(&static_dir))
        // One `layer` call with the whole stack, outermost first: each `Router::layer` call
        // boxes every route again, and a middleware that clones its inner service per request
        // then cloned a chain of boxes (one allocation each). As twelve calls this was most
        // of the allocator's 15 % of a cached status read (perf).
        .layer(
            ServiceBuilder::new()
                .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
                .layer(TraceLayer::new_for_http().make_span_with(request_span))
                .layer(PropagateRequestIdLayer::x_request_id())
                .layer(axum::middleware::from_fn_with_state(edge, edge::edge))
                .layer(bearer_bypass::BearerBypassLayer::new(sessions)),
        )
        .with_state(state)
}
