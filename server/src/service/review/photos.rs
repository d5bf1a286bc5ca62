//! The photos of an in_house attempt, decrypted on demand with the review private key for
//! its claim holder or staff. Only objects Vouch stored for an attempt in the queue are
//! ever decrypted (found by receipt id, never from anything the caller sends), nothing
//! decrypted is stored, and every view is audited before the photo is returned. Every
//! decryption failure is the same 404 with no detail, so the endpoint is no padding oracle.

use app::domain::images;

use super::{ReviewError, ReviewResult, ReviewerRole, queue};
use crate::{
    service::{ServiceError, Services, staff_photos::DecryptedPhoto},
    store::{attempts, reviews},
    vault::{VaultError, sealed::PhotoKind},
};

/// The decrypted `kind` photo of `receipt_id` when it is an in_house attempt (`None`
/// otherwise: the staff debugging tool handles other attempts).
#[tracing::instrument(skip_all, fields(user.id = %reviewer.id()))]
pub async fn decrypt(
    services: &Services,
    reviewer: ReviewerRole,
    kind: PhotoKind,
    receipt_id: &str,
) -> ReviewResult<Option<DecryptedPhoto>> {
    let (item, attempt) = {
        let mut conn = services.store.conn().await?;
        let Some(item) = reviews::by_receipt(&mut conn, receipt_id).await? else {
            return Ok(None);
        };
        let attempt = attempts::by_id(&mut conn, item.attempt_id).await?.ok_or(ReviewError::NotFound)?;
        (item, attempt)
    };
    queue::ensure_may_see(&item, reviewer, services.clock.now())?;
    let Some(private) = services.keys.review_private.clone() else {
        return Err(ReviewError::NotFound);
    };
    let (object, wrapped) = match kind {
        PhotoKind::Face => (attempt.face_image_ref, attempt.user_photo_key),
        PhotoKind::PhotoId => (attempt.photo_id_image_ref, attempt.photo_id_key),
    };
    let object = object.ok_or(ReviewError::NotFound)?;
    let text = match services.vault.get(&object).await {
        Ok(text) => text,
        Err(VaultError::NotFound) => return Err(ReviewError::NotFound),
        Err(e) => return Err(ServiceError::from(e).into()),
    };
    // RSA and AES over a multi-megabyte photo are CPU work: keep them off the async workers.
    let decrypted = tokio::task::spawn_blocking(move || -> Result<Vec<u8>, ssencrypt::CryptoError> {
        let aes_key = ssencrypt::unwrap_photo_key(&wrapped, &private)?;
        ssencrypt::decode_and_decrypt(&text, &aes_key)
    })
    .await
    .map_err(|_| ServiceError::NotConfigured("photo decryption task"))?;
    let bytes = decrypted.map_err(|_| {
        tracing::warn!(photo = kind.prefix(), "review: a photo does not decrypt");
        ReviewError::NotFound
    })?;
    queue::audit_photo(services, reviewer, receipt_id, kind.prefix()).await?;
    Ok(Some(DecryptedPhoto { kind: images::sniff(&bytes), bytes }))
}
