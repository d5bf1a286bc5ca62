//! Open edX's staff-only photo debugging endpoints: the photo URLs of an attempt and its
//! decrypted photos. Anonymous callers get 401 and signed-in learners 403, both as JSON;
//! the service checks staff rights, enablement and audits every successful use.

use app::domain::images::ImageKind;

use super::{AppState, error::ApiError, identity::Identity};
use crate::{service::staff_photos, vault::sealed::PhotoKind};
use axum::{
    Json,
    extract::{Path, State},
    http::header,
    response::{IntoResponse, Response},
};

/// Photos and their URLs are personal data: no cache, proxy or browser may keep them.
const NO_STORE: (header::HeaderName, &str) = (header::CACHE_CONTROL, "no-store");

/// The vendor request of a photo attempt, with fresh expiring photo URLs (staff only).
///
/// Open edX's `PhotoUrlsView`: `{"EdX-ID", "ExpectedName", "PhotoID", "PhotoIDKey",
/// "UserPhoto", "UserPhotoKey"}`. Every use is written to the staff audit log.
#[utoipa::path(get, path = "/verify_student/photo-urls/{receipt_id}", tag = "open edx",
    params(("receipt_id" = String, Path, description = "The attempt's receipt id")),
    responses((status = 200, description = "The request fields"), (status = 401, description = "Not signed in"),
        (status = 403, description = "Not staff"), (status = 404, description = "No such attempt")))]
pub async fn photo_urls(
    State(state): State<AppState>,
    who: Identity,
    Path(receipt_id): Path<String>,
) -> Result<Response, ApiError> {
    let staff = who.require_staff()?;
    let urls = staff_photos::photo_urls(&state.services, staff, &receipt_id).await?;
    Ok(([NO_STORE], Json(urls)).into_response())
}

/// The decrypted face photo of an attempt (staff only, when decryption is allowed).
///
/// Open edX's decrypt view; every use is written to the staff audit log.
#[utoipa::path(get, path = "/verify_student/decrypt-idv-images/face/{receipt_id}", tag = "open edx",
    params(("receipt_id" = String, Path, description = "The attempt's receipt id")),
    responses((status = 200, description = "The photo (JPEG or PNG)"), (status = 401, description = "Not signed in"),
        (status = 403, description = "Not staff, nor the claim holder of an in_house attempt"), (status = 404, description = "No such photo or decryption off")))]
pub async fn decrypt_face(
    State(state): State<AppState>,
    who: Identity,
    Path(receipt_id): Path<String>,
) -> Result<Response, ApiError> {
    decrypt(&state, &who, PhotoKind::Face, &receipt_id).await
}

/// The decrypted ID photo of an attempt (staff only, when decryption is allowed).
///
/// Open edX's decrypt view; every use is written to the staff audit log.
#[utoipa::path(get, path = "/verify_student/decrypt-idv-images/photo-id/{receipt_id}", tag = "open edx",
    params(("receipt_id" = String, Path, description = "The attempt's receipt id")),
    responses((status = 200, description = "The photo (JPEG or PNG)"), (status = 401, description = "Not signed in"),
        (status = 403, description = "Not staff, nor the claim holder of an in_house attempt"), (status = 404, description = "No such photo or decryption off")))]
pub async fn decrypt_photo_id(
    State(state): State<AppState>,
    who: Identity,
    Path(receipt_id): Path<String>,
) -> Result<Response, ApiError> {
    decrypt(&state, &who, PhotoKind::PhotoId, &receipt_id).await
}

async fn decrypt(state: &AppState, who: &Identity, kind: PhotoKind, receipt_id: &str) -> Result<Response, ApiError> {
    // An in_house attempt's photos are for its claim holder or staff (review key pair);
    // any other attempt's are the staff debugging tool's (vendor key pair).
    let reviewer = who
        .require_reviewer()
        .map_err(|_| ApiError::new(app::error::ErrorCode::Forbidden, "Only staff may do this."))?;
    let photo = match crate::service::review::photos::decrypt(&state.services, reviewer, kind, receipt_id)
        .await
        .map_err(|e| ApiError(e.into()))?
    {
        Some(photo) => photo,
        None => staff_photos::decrypt_photo(&state.services, who.require_staff()?, kind, receipt_id).await?,
    };
    let content_type = match photo.kind {
        Some(ImageKind::Jpeg) => "image/jpeg",
        Some(ImageKind::Png) => "image/png",
        // Photos from before the upload checks: served as bytes, never rendered as markup.
        None => "application/octet-stream",
    };
    let headers = [(header::CONTENT_TYPE, content_type), NO_STORE, (header::X_CONTENT_TYPE_OPTIONS, "nosniff")];
    Ok((headers, photo.bytes).into_response())
}
