//! Deleting an attempt, with what depends on it: the verified names that refer to it are
//! deleted in the same transaction (as edx-name-affirmation's delete handler does), their
//! history kept, and its photos leave the vault.
//!
//! The row goes first, then the photos: a crash in between leaves objects no attempt
//! references, which `vouch gc-photos` removes; the other order would leave an attempt
//! whose photos are gone. An ID photo that a later attempt reuses stays for that attempt.

use super::{ServiceError, ServiceResult, Services};
use crate::store::{
    StoreError, attempt_delete, attempt_lookup,
    photo_retention::{self, Cause, Deleter},
    verified_names,
};

/// What a deletion removed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Deleted {
    /// The attempt's kind.
    pub kind: app::domain::AttemptKind,
    /// Verified names removed with it.
    pub verified_names: usize,
    /// Photos deleted from the vault.
    pub photos: usize,
    /// Photos that could not be deleted from the vault (no attempt references them any
    /// more: `vouch gc-photos` removes them).
    pub photos_left: usize,
}

/// Deletes the attempt with this uuid, and its photos.
#[tracing::instrument(skip_all)]
pub async fn delete_attempt(services: &Services, uuid: &str) -> ServiceResult<Deleted> {
    let now = services.clock.now();
    let mut tx = services.store.begin().await?;
    let found = attempt_lookup::by_uuid(&mut tx, uuid).await?.ok_or(ServiceError::NotFound)?;
    let (kind, id) = (found.kind, found.id);
    let names = verified_names::delete_for_attempt(&mut tx, uuid, now).await?;
    let refs = attempt_delete::photo_refs(&mut tx, kind, id).await?;
    if !attempt_delete::delete(&mut tx, kind, id).await? {
        return Err(ServiceError::Raced);
    }
    let mut objects = Vec::new();
    for object in refs {
        // Checked after the row is gone: any reference left is another attempt's.
        if !photo_retention::referenced(&mut tx, &object).await? {
            photo_retention::record_deletion(&mut tx, &object, Some(uuid), Cause::DeleteAttempt, Deleter::Cli, now)
                .await?;
            objects.push(object);
        }
    }
    tx.commit().await.map_err(StoreError::from)?;
    let mut photos_left = 0;
    for object in &objects {
        if let Err(e) = services.vault.delete(object).await {
            tracing::error!(error = %e, "a photo of a deleted attempt could not be deleted (vouch gc-photos removes it)");
            photos_left += 1;
        }
    }
    let photos = objects.len() - photos_left;
    tracing::info!(attempt.kind = kind.as_str(), verified_names = names, photos, photos_left, "attempt deleted");
    Ok(Deleted { kind, verified_names: names, photos, photos_left })
}
