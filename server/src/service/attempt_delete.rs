//! Deleting an attempt, with what depends on it: the verified names that refer to it are
//! deleted in the same transaction (as edx-name-affirmation's delete handler does), their
//! history kept.

use super::{ServiceError, ServiceResult, Services};
use crate::store::{StoreError, attempt_delete, verified_names};

/// What a deletion removed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Deleted {
    /// The attempt's kind.
    pub kind: app::domain::AttemptKind,
    /// Verified names removed with it.
    pub verified_names: usize,
}

/// Deletes the attempt with this uuid.
#[tracing::instrument(skip_all)]
pub async fn delete_attempt(services: &Services, uuid: &str) -> ServiceResult<Deleted> {
    let now = services.clock.now();
    let mut tx = services.store.begin().await?;
    let found = attempt_delete::find(&mut tx, uuid).await?.ok_or(ServiceError::NotFound)?;
    let (kind, id) = (found.kind, found.id);
    let names = verified_names::delete_for_attempt(&mut tx, uuid, now).await?;
    if !attempt_delete::delete(&mut tx, kind, id).await? {
        return Err(ServiceError::Raced);
    }
    tx.commit().await.map_err(StoreError::from)?;
    tracing::info!(attempt.kind = kind.as_str(), verified_names = names, "attempt deleted");
    Ok(Deleted { kind, verified_names: names })
}
