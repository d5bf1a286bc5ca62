//! Open edX's staff-only photo debugging endpoints: the photo URLs of an attempt and its
//! decrypted photos. Anonymous callers get 401 and signed-in learners 403, both as JSON;
//! the service checks staff rights, enablement and audits every successful use.

use super::{AppState, auth, error::ApiError};
use crate::{
    service::{images::ImageKind, staff_photos},
    vault::sealed::PhotoKind,
};
use app::{domain::UserId, error::ErrorCode};
use axum::{
    Json,
    extract::{Path, State},
    http::header,
    response::{IntoResponse, Response},
};
use tower_sessions::Session;

/// Photos and their URLs are personal data: no cache, proxy or browser may keep them.
const NO_STORE: (header::HeaderName, &str) = (header::CACHE_CONTROL, "no-store");

async fn signed_in(session: &Session) -> Result<UserId, ApiError> {
    auth::session_user(session).await?.ok_or_else(|| ApiError::new(ErrorCode::Unauthenticated, "You need to sign in."))
}

/// `GET /verify_student/photo-urls/{receipt_id}`: `{"EdX-ID", "ExpectedName", "PhotoID",
/// "PhotoIDKey", "UserPhoto", "UserPhotoKey"}` with fresh expiring URLs.
pub async fn photo_urls(
    State(state): State<AppState>,
    session: Session,
    Path(receipt_id): Path<String>,
) -> Result<Response, ApiError> {
    let staff = signed_in(&session).await?;
    let urls = staff_photos::photo_urls(&state.services, staff, &receipt_id).await?;
    Ok(([NO_STORE], Json(urls)).into_response())
}

/// `GET /verify_student/decrypt-idv-images/face/{receipt_id}`: the decrypted face photo.
pub async fn decrypt_face(
    State(state): State<AppState>,
    session: Session,
    Path(receipt_id): Path<String>,
) -> Result<Response, ApiError> {
    decrypt(&state, &session, PhotoKind::Face, &receipt_id).await
}

/// `GET /verify_student/decrypt-idv-images/photo-id/{receipt_id}`: the decrypted ID photo.
pub async fn decrypt_photo_id(
    State(state): State<AppState>,
    session: Session,
    Path(receipt_id): Path<String>,
) -> Result<Response, ApiError> {
    decrypt(&state, &session, PhotoKind::PhotoId, &receipt_id).await
}

async fn decrypt(state: &AppState, session: &Session, kind: PhotoKind, receipt_id: &str) -> Result<Response, ApiError> {
    let staff = signed_in(session).await?;
    let photo = staff_photos::decrypt_photo(&state.services, staff, kind, receipt_id).await?;
    let content_type = match photo.kind {
        Some(ImageKind::Jpeg) => "image/jpeg",
        Some(ImageKind::Png) => "image/png",
        // Photos from before the upload checks: served as bytes, never rendered as markup.
        None => "application/octet-stream",
    };
    let headers = [(header::CONTENT_TYPE, content_type), NO_STORE, (header::X_CONTENT_TYPE_OPTIONS, "nosniff")];
    Ok((headers, photo.bytes).into_response())
}
