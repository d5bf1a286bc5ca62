//! Retiring a user: their photos leave the vault and their names leave every attempt.

use super::{ServiceResult, Services};
use crate::store::{StoreError, retire, reviews};
use app::domain::UserId;

/// Deletes the user's photos, then scrubs names and photo references from every attempt
/// kind and the account. Safe to run twice: a crash after the deletions leaves the
/// references in place, so the next run deletes (already-missing objects succeed) and scrubs.
/// Returns how many attempt rows were scrubbed.
#[tracing::instrument(skip_all, fields(user.id = %user))]
pub async fn retire_user(services: &Services, user: UserId) -> ServiceResult<u64> {
    let refs = {
        let mut conn = services.store.conn().await?;
        retire::photo_refs(&mut conn, user).await?
    };
    for key in &refs {
        services.vault.delete(key).await?;
    }
    let mut tx = services.store.begin().await?;
    let n = retire::scrub(&mut tx, user).await?;
    // Their undecided attempts leave the review queue with them: the photos are gone.
    reviews::close_for_retired(&mut tx, user, services.clock.now()).await?;
    tx.commit().await.map_err(StoreError::from)?;
    Ok(n)
}
