//! `POST /callbacks/{vendor}`: a vendor's result (callback or webhook), handed raw to the
//! vendor plugin of that name, which authenticates it. Every registered vendor is
//! reachable, not only the configured one, so attempts started before an operator switched
//! vendors still get their results.

use super::{AppState, error::ApiError};
use crate::vendors::VendorError;
use app::error::ErrorCode;
use axum::{
    body::Bytes,
    extract::{Path, State},
    http::{HeaderMap, StatusCode, header},
    response::{IntoResponse, Response},
};

/// The largest callback body accepted.
pub const MAX_BODY: usize = 64 * 1024;

/// Receives one vendor result (callback or webhook), authenticated by the vendor plugin.
///
/// `software_secure` takes Software Secure's signed callback; `hosted` the hosted vendor's
/// webhook signed `Webhook-Signature: t=…,v1=…`; a vendor a build registered, what it
/// documents.
#[utoipa::path(post, path = "/callbacks/{vendor}", tag = "vendor",
    params(("vendor" = String, Path, description = "software_secure or hosted")),
    request_body(content_type = "application/json", description = "The vendor's result"),
    responses((status = 200, description = "Recorded"), (status = 400, description = "Bad body"),
        (status = 401, description = "Bad or stale signature"), (status = 404, description = "No such vendor"),
        (status = 409, description = "Replayed")))]
pub async fn vendor(
    State(state): State<AppState>,
    Path(name): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let plugin =
        state.services.vendors.get(&name).ok_or_else(|| ApiError::new(ErrorCode::NotFound, "No such vendor."))?;
    match plugin.receive(&state.services, &headers, &body).await {
        Ok(ack) => {
            let content_type = if ack.starts_with('{') { "application/json" } else { "text/plain" };
            Ok((StatusCode::OK, [(header::CONTENT_TYPE, content_type)], ack).into_response())
        }
        Err(e) => {
            if !matches!(e, VendorError::Service(_) | VendorError::Unavailable(_)) {
                tracing::info!(vendor = %name, error = %e, "vendor callback refused");
            }
            Err(ApiError(e.into()))
        }
    }
}
