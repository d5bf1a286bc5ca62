//! The HTTP layer: routers, sessions, JSON errors. Handlers parse and authorise, then call
//! one service function.

pub mod auth;
pub mod error;
pub mod health;
pub mod identity;
pub mod jwt;
pub mod rest;
pub mod sfn;
pub mod spa;
pub mod staff_photos;
pub mod verify_student;

use crate::{config::Config, port::ServerPort, service::Services, store::sessions::DbSessionStore};
use app::ports::IdvPort;
use axum::{
    Router,
    routing::{get, post},
};
use std::sync::Arc;
use tower_http::trace::TraceLayer;

/// Shared state of every handler.
#[derive(Clone)]
pub struct AppState {
    /// Configuration.
    pub cfg: Arc<Config>,
    /// The use cases.
    pub services: Services,
    /// The backend as server functions see it.
    pub port: Arc<dyn IdvPort>,
    /// Verifies the LMS's JWTs.
    pub jwt: Arc<jwt::JwtVerifier>,
}

impl AppState {
    /// State over `services`.
    pub fn new(services: Services) -> Self {
        let port: Arc<dyn IdvPort> = Arc::new(ServerPort::new(services.clone()));
        // `vouch serve` checks the keys at start-up; here a bad key only disables JWT sign-in.
        let jwt = jwt::JwtVerifier::from_config(&services.cfg.auth).unwrap_or_else(|e| {
            tracing::error!(error = %e, "JWT sign-in disabled");
            jwt::JwtVerifier::from_config(&crate::config::AuthConfig::default()).expect("no keys always parse")
        });
        Self { cfg: services.cfg.clone(), services, port, jwt: Arc::new(jwt) }
    }
}

/// The largest server-function body: two photos as base64 plus room for the JSON around them.
pub(crate) fn sfn_body_limit(cfg: &Config) -> usize {
    cfg.server.max_photo_bytes.saturating_mul(2).saturating_mul(4) / 3 + 64 * 1024
}

/// The whole application router.
pub fn router(state: AppState, session_key: tower_sessions::cookie::Key) -> Router {
    let sessions = auth::session_layer(&state.cfg, DbSessionStore::new(state.services.store.clone()), session_key);
    let static_dir = state.cfg.server.static_dir.clone();
    let (rest, doc) = rest::openapi::router(&state).split_for_parts();
    let openapi = Router::new()
        .route("/api/v1/openapi.json", get(rest::openapi::serve))
        .with_state(rest::openapi::OpenApiJson::new(&doc));
    Router::new()
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .route("/auth/dev-login", post(auth::dev_login))
        .route("/auth/logout", post(auth::logout))
        .route("/sfn/{*fn_name}", post(sfn::server_fns))
        .route("/verify_student/photos/{*object}", get(verify_student::photo))
        .merge(rest)
        .merge(openapi)
        .route("/api/{*rest}", axum::routing::any(error::not_found))
        .fallback_service(spa::service(&static_dir))
        .layer(sessions)
        .layer(axum::middleware::from_fn(error::json_errors))
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}
