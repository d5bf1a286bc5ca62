//! Which vendor callback routes answer. Every registered vendor's `/callbacks/{vendor}` stays
//! reachable while it can authenticate what arrives, so attempts started before an operator
//! switched vendors still get their results. The hosted vendor's webhook is authenticated by
//! `idv.hosted_webhook_secret` alone: the route answers only when the hosted vendor is the
//! configured one or that key is set (and, being set, at least 32 bytes); otherwise it is
//! 404, not a signature check against a key nobody chose.

use super::{AppState, error::ApiError};
use crate::vendors::HOSTED;
use app::error::ErrorCode;
use axum::{
    body::Body,
    extract::{Path, State},
    http::Request,
    middleware::Next,
    response::{IntoResponse, Response},
};

/// Route middleware of `/callbacks/{vendor}`: 404 for `hosted` unless it is configured.
pub async fn only_configured_hosted(
    State(state): State<AppState>,
    Path(vendor): Path<String>,
    req: Request<Body>,
    next: Next,
) -> Response {
    let idv = &state.cfg.idv;
    if vendor == HOSTED && idv.vendor != HOSTED && idv.hosted_webhook_secret.is_none() {
        return ApiError::new(ErrorCode::NotFound, "No such vendor.").into_response();
    }
    next.run(req).await
}
