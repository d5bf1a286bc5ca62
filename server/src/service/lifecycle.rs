//! Moving attempts through their lifecycles: the pure domain decides (`photo_lifecycle`,
//! `manual_lifecycle`, `generic_lifecycle`), the change and its audit row are written in
//! the caller's transaction (or one of its own).

use super::{Conflict, ServiceError, ServiceResult, Services};
use crate::store::{
    Conn, StoreError, attempts,
    kinds::{self, NewAttempt},
    transitions::Actor,
};
use app::domain::{
    AttemptId, AttemptStatus,
    photo_lifecycle::{self, PhotoOp},
};

/// Applies `op` to photo attempt `id` in its own transaction; returns the status
/// afterwards. A refused operation is a conflict and changes nothing; an allowed no-op
/// (e.g. approving twice) changes nothing and succeeds.
#[tracing::instrument(skip_all, fields(attempt.id = %id, op = op.name()))]
pub async fn apply(
    services: &Services,
    id: AttemptId,
    op: &PhotoOp,
    actor: &Actor,
    reason: &str,
) -> ServiceResult<AttemptStatus> {
    let mut tx = services.store.begin().await?;
    let status = apply_in(&mut tx, services, id, op, actor, reason).await?;
    tx.commit().await.map_err(StoreError::from)?;
    Ok(status)
}

/// [`apply`] inside the caller's transaction.
pub async fn apply_in(
    conn: &mut Conn,
    services: &Services,
    id: AttemptId,
    op: &PhotoOp,
    actor: &Actor,
    reason: &str,
) -> ServiceResult<AttemptStatus> {
    let now = services.clock.now();
    let attempt = attempts::by_id(conn, id).await?.ok_or(ServiceError::NotFound)?;
    let from = attempt.status();
    let Some(next) = photo_lifecycle::apply(op, &attempt.review, now, &services.policy()).map_err(Conflict::from)?
    else {
        return Ok(from);
    };
    if !attempts::save_review(conn, id, from, &next, actor, reason, now).await? {
        return Err(ServiceError::Raced);
    }
    Ok(next.status)
}

/// Records a new SSO, manual or generic attempt in the initial status its lifecycle gave it,
/// with its creation audited, in a transaction of its own; returns its id.
pub(crate) async fn create(
    services: &Services,
    attempt: &NewAttempt,
    actor: &Actor,
    reason: &str,
) -> ServiceResult<i64> {
    let mut tx = services.store.begin().await?;
    let id = kinds::insert(&mut tx, attempt, actor, reason, services.clock.now()).await?;
    tx.commit().await.map_err(StoreError::from)?;
    Ok(id)
}
