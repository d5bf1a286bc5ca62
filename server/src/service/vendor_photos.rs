//! The vendor fetching a sealed photo through the URL it was given: the signature and the
//! expiry must hold, and an attempt that references the photo must still await the vendor's
//! verdict. So a URL stops working the moment the attempt is decided (not when it expires,
//! days later), or its photos are deleted, on the local store and on S3 alike.

use super::{ServiceError, ServiceResult, Services};
use crate::{
    store::photo_retention,
    vault::{VaultError, VaultObject, urls},
};

/// Whether `object` has the shape of a photo key (`face/<receipt>`, `photo_id/<receipt>`).
fn valid_name(object: &str) -> bool {
    object.split_once('/').is_some_and(|(kind, rid)| {
        matches!(kind, "face" | "photo_id")
            && !rid.is_empty()
            && rid.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
    })
}

/// Opens `object` for the vendor. Every refusal is the same [`ServiceError::NotFound`], so a
/// URL holder learns nothing about why (bad signature, expired, decided, deleted).
#[tracing::instrument(skip_all)]
pub async fn open(services: &Services, object: &str, expires: i64, signature: &str) -> ServiceResult<VaultObject> {
    let now = services.clock.now().timestamp();
    if !valid_name(object) || !urls::verify(&services.keys.url_secret, object, expires, signature, now) {
        return Err(ServiceError::NotFound);
    }
    let awaiting = {
        let mut conn = services.store.conn().await?;
        photo_retention::awaiting_vendor(&mut conn, object).await?
    };
    if !awaiting {
        tracing::info!("photo URL refused: no attempt that references it awaits the vendor");
        return Err(ServiceError::NotFound);
    }
    match services.vault.open(object).await {
        Ok(o) => Ok(o),
        Err(VaultError::NotFound) => Err(ServiceError::NotFound),
        Err(e) => Err(e.into()),
    }
}
