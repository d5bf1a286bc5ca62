//! Staff tools for debugging photo verifications, as Open edX's `PhotoUrlsView` and
//! `DecryptFaceImageView` / `DecryptPhotoIDImageView` offer them: the request fields the
//! vendor gets (with fresh expiring photo URLs), and the decrypted photos themselves.
//!
//! Only staff may use them (a [`Staff`] the HTTP layer checked), and every successful use is written to the staff audit
//! log before anything is returned, so no learner data leaves unaudited; a refusal writes
//! nothing. Decryption needs `software_secure.allow_decrypt` and the vendor's private key
//! (a staging setup): the private key is used nowhere else in Vouch, which keeps the RSA
//! timing side channel of RUSTSEC-2023-0071 behind staff sign-in. Every decryption failure
//! is the same 404 with no detail, so the endpoint is no padding oracle.

use app::domain::images::{self, ImageKind};

use super::{ServiceError, ServiceResult, Services, staff::Staff};
use crate::{
    store::{
        attempts::{self, PhotoVerification},
        staff_actions::{self, Action, NewStaffAction},
    },
    vault::{VaultError, sealed::PhotoKind},
};
use chrono::Duration;
use serde::Serialize;

/// The audit log's name for photo verification attempts.
const TARGET_KIND: &str = "photo_verification";

/// `GET /verify_student/photo-urls/{receipt_id}`: the vendor request's fields without
/// `SendResponseTo`, as Open edX answers it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PhotoUrls {
    /// The receipt id.
    #[serde(rename = "EdX-ID")]
    pub receipt_id: String,
    /// The name to verify.
    #[serde(rename = "ExpectedName")]
    pub expected_name: String,
    /// Expiring URL of the sealed ID photo (none once the learner is retired).
    #[serde(rename = "PhotoID")]
    pub photo_id: Option<String>,
    /// The ID photo's key, wrapped for the vendor.
    #[serde(rename = "PhotoIDKey")]
    pub photo_id_key: String,
    /// Expiring URL of the sealed face photo (none once the learner is retired).
    #[serde(rename = "UserPhoto")]
    pub user_photo: Option<String>,
    /// The face photo's key, wrapped for the vendor.
    #[serde(rename = "UserPhotoKey")]
    pub user_photo_key: String,
}

/// A decrypted photo.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecryptedPhoto {
    /// Its format, when it is a JPEG or PNG.
    pub kind: Option<ImageKind>,
    /// The image bytes.
    pub bytes: Vec<u8>,
}

async fn attempt_by_receipt(services: &Services, receipt_id: &str) -> ServiceResult<PhotoVerification> {
    let mut conn = services.store.conn().await?;
    attempts::by_receipt_id(&mut conn, receipt_id).await?.ok_or(ServiceError::NotFound)
}

/// Writes the audit row in its own transaction; the caller returns data only after it.
async fn audit(services: &Services, staff: Staff, action: Action, receipt_id: &str, detail: &str) -> ServiceResult<()> {
    let mut tx = services.store.begin().await?;
    let row = NewStaffAction { staff: staff.id(), action, target_kind: TARGET_KIND, target_id: receipt_id, detail };
    staff_actions::record(&mut tx, &row, services.clock.now()).await?;
    tx.commit().await.map_err(crate::store::StoreError::from)?;
    Ok(())
}

/// The photo URLs (valid for `software_secure.photo_url_ttl_secs`) and wrapped keys of
/// the attempt `receipt_id`, for `staff`.
pub async fn photo_urls(services: &Services, staff: Staff, receipt_id: &str) -> ServiceResult<PhotoUrls> {
    let attempt = attempt_by_receipt(services, receipt_id).await?;
    let now = services.clock.now();
    let expires = now + Duration::seconds(services.cfg.software_secure.photo_url_ttl_secs);
    let public_url = services.cfg.server.public_url.trim_end_matches('/');
    let url = |object: Option<String>| async move {
        match object {
            Some(o) => services.vault.url(&o, now, expires, public_url, &services.keys.url_secret).await.map(Some),
            None => Ok(None),
        }
    };
    let photo_id = url(attempt.photo_id_image_ref.clone()).await?;
    let user_photo = url(attempt.face_image_ref.clone()).await?;
    let detail = match (&photo_id, &user_photo) {
        (Some(_), Some(_)) => "photo_id,face",
        (Some(_), None) => "photo_id",
        (None, Some(_)) => "face",
        (None, None) => "",
    };
    let user_photo_key = user_photo_key(services, &attempt);
    audit(services, staff, Action::ViewPhotoUrls, receipt_id, detail).await?;
    Ok(PhotoUrls {
        receipt_id: attempt.receipt_id,
        expected_name: attempt.name,
        photo_id,
        photo_id_key: attempt.photo_id_key,
        user_photo,
        user_photo_key,
    })
}

/// The wrapped face key as the vendor gets it: the attempt's own, or for a face photo
/// migrated from Open edX the site-wide key wrapped afresh (empty when not configured).
fn user_photo_key(services: &Services, attempt: &PhotoVerification) -> String {
    if !attempt.user_photo_key.is_empty() {
        return attempt.user_photo_key.clone();
    }
    let cfg = &services.cfg.software_secure;
    let (Some(hex), Some(vendor)) = (cfg.face_image_aes_key.as_ref(), services.keys.vendor_public.as_ref()) else {
        return String::new();
    };
    ssencrypt::key_from_hex(hex.expose()).and_then(|k| ssencrypt::user_photo_key(&k, vendor)).unwrap_or_default()
}

/// The decrypted `kind` photo of the attempt `receipt_id`, for `staff`. Not found unless
/// decryption is enabled and the private key configured, and whenever the photo is
/// missing or does not decrypt.
pub async fn decrypt_photo(
    services: &Services,
    staff: Staff,
    kind: PhotoKind,
    receipt_id: &str,
) -> ServiceResult<DecryptedPhoto> {
    if !services.cfg.software_secure.allow_decrypt || services.keys.vendor_private.is_none() {
        return Err(ServiceError::NotFound);
    }
    let attempt = attempt_by_receipt(services, receipt_id).await?;
    let (object, wrapped) = match kind {
        PhotoKind::Face => (attempt.face_image_ref, attempt.user_photo_key),
        PhotoKind::PhotoId => (attempt.photo_id_image_ref, attempt.photo_id_key),
    };
    let object = object.ok_or(ServiceError::NotFound)?;
    let text = match services.vault.get(&object).await {
        Ok(text) => text,
        Err(VaultError::NotFound) => return Err(ServiceError::NotFound),
        Err(e) => return Err(e.into()),
    };
    // A migrated Open edX face photo has no wrapped key: it is under the site-wide key.
    let legacy_face_key = match (kind, wrapped.is_empty()) {
        (PhotoKind::Face, true) => {
            services.cfg.software_secure.face_image_aes_key.as_ref().map(|k| k.expose().to_owned())
        }
        _ => None,
    };
    let keys = services.keys.clone();
    // RSA and AES over a multi-megabyte photo are CPU work: keep them off the async workers.
    let decrypted = tokio::task::spawn_blocking(move || -> Result<Vec<u8>, ssencrypt::CryptoError> {
        let aes_key = match (legacy_face_key, keys.vendor_private.as_ref()) {
            (Some(hex), _) => ssencrypt::key_from_hex(&hex)?,
            (None, Some(private)) => ssencrypt::unwrap_photo_key(&wrapped, private)?,
            (None, None) => return Err(ssencrypt::CryptoError::InvalidPrivateKey("not configured".into())),
        };
        ssencrypt::decode_and_decrypt(&text, &aes_key)
    })
    .await
    .map_err(|_| ServiceError::NotConfigured("photo decryption task"))?;
    let bytes = decrypted.map_err(|_| {
        // The error kind stays out of the log too: which step failed is what an oracle needs.
        tracing::warn!(receipt_id, photo = kind.prefix(), "staff decrypt: the photo does not decrypt");
        ServiceError::NotFound
    })?;
    audit(services, staff, Action::DecryptPhoto, receipt_id, kind.prefix()).await?;
    Ok(DecryptedPhoto { kind: images::sniff(&bytes), bytes })
}
