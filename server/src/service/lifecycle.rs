//! Moving a photo verification through its lifecycle: one transaction per operation, the
//! pure domain deciding, the audit row written with the change.

use super::{ServiceError, ServiceResult, Services};
use crate::store::{StoreError, attempts, transitions::Actor};
use app::domain::{
    AttemptId, AttemptStatus,
    photo_lifecycle::{self, PhotoOp},
};

/// Applies `op` to photo attempt `id`; returns the status afterwards. A refused operation
/// is a conflict and changes nothing; an allowed no-op (e.g. approving twice) changes
/// nothing and succeeds.
#[tracing::instrument(skip_all, fields(attempt.id = %id, op = op.name()))]
pub async fn apply(
    services: &Services,
    id: AttemptId,
    op: &PhotoOp,
    actor: &Actor,
    reason: &str,
) -> ServiceResult<AttemptStatus> {
    let now = services.clock.now();
    let mut tx = services.store.begin().await?;
    let attempt = attempts::by_id(&mut tx, id).await?.ok_or(ServiceError::NotFound)?;
    let from = attempt.status();
    let Some(next) = photo_lifecycle::apply(op, &attempt.review, now, &services.policy())
        .map_err(|e| ServiceError::Conflict(e.to_string()))?
    else {
        return Ok(from);
    };
    if !attempts::save_review(&mut tx, id, from, &next, actor, reason, now).await? {
        return Err(ServiceError::Conflict("the attempt changed meanwhile; try again".into()));
    }
    tx.commit().await.map_err(StoreError::from)?;
    Ok(next.status)
}
