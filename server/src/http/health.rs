//! Liveness and readiness probes.

use super::{AppState, error::ApiError};
use axum::{Json, extract::State};
use serde_json::{Value, json};

/// `GET /healthz`: the process is up.
pub async fn healthz() -> Json<Value> {
    Json(json!({"status": "ok"}))
}

/// `GET /readyz`: the database answers (503 otherwise).
pub async fn readyz(State(state): State<AppState>) -> Result<Json<Value>, ApiError> {
    crate::service::database::ready(&state.services).await?;
    Ok(Json(json!({"status": "ready"})))
}
