//! The HTTP layer: routers, sessions, JSON errors. Handlers parse and authorise, then call
//! one service function.

pub mod auth;
pub mod error;
pub mod health;
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
}

impl AppState {
    /// State over `services`.
    pub fn new(services: Services) -> Self {
        let port: Arc<dyn IdvPort> = Arc::new(ServerPort::new(services.clone()));
        Self { cfg: services.cfg.clone(), services, port }
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
    Router::new()
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .route("/auth/dev-login", post(auth::dev_login))
        .route("/auth/logout", post(auth::logout))
        .route("/sfn/{*fn_name}", post(sfn::server_fns))
        .route(
            "/verify_student/submit-photos/",
            post(verify_student::submit_photos).layer(axum::extract::DefaultBodyLimit::max(sfn_body_limit(&state.cfg))),
        )
        .route(
            "/verify_student/results_callback",
            post(verify_student::results_callback).layer(axum::extract::DefaultBodyLimit::max(64 * 1024)),
        )
        .route("/verify_student/photos/{*object}", get(verify_student::photo))
        .route("/verify_student/photo-urls/{receipt_id}", get(staff_photos::photo_urls))
        .route("/verify_student/decrypt-idv-images/face/{receipt_id}", get(staff_photos::decrypt_face))
        .route("/verify_student/decrypt-idv-images/photo-id/{receipt_id}", get(staff_photos::decrypt_photo_id))
        // Open edX's reverification link: the SPA's flow, started afresh.
        .route("/verify_student/reverify", get(|| async { axum::response::Redirect::to("/id-verification/reverify") }))
        .route("/api/{*rest}", axum::routing::any(error::not_found))
        .fallback_service(spa::service(&static_dir))
        .layer(sessions)
        .layer(axum::middleware::from_fn(error::json_errors))
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}
