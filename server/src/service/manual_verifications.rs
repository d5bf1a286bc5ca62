//! Manual verifications (Open edX `ManualVerification`): staff verify a learner by hand,
//! and may revoke it. The pure `manual_lifecycle` decides; this writes.

use super::{Conflict, ServiceError, ServiceResult, Services, ensure_user, lifecycle};
use crate::store::{
    StoreError,
    kinds::{self, AttemptUpdate, KindFields, NewAttempt, StatusChange},
    transitions::Actor,
};
use app::domain::{
    AnyStatus, AttemptKind, UserId,
    manual_lifecycle::{self, ManualOp},
};

/// Staff verify `user` by hand (approved, expiring after `days_good_for`).
pub async fn create_manual_verification(
    services: &Services,
    user: UserId,
    name: &str,
    reason: &str,
    staff: Option<UserId>,
) -> ServiceResult<i64> {
    manual_lifecycle::check_reason(reason).map_err(|e| ServiceError::Invalid(e.to_string()))?;
    ensure_user(services, user).await?;
    let grant = manual_lifecycle::grant(services.clock.now(), &services.policy());
    let attempt = NewAttempt {
        uuid: uuid::Uuid::new_v4().to_string(),
        user_id: user,
        name: name.to_owned(),
        status: AnyStatus::Attempt(grant.status),
        expires_at: Some(grant.expires_at),
        fields: KindFields::Manual { reason: reason.to_owned(), created_by: staff },
    };
    let actor = staff.map_or(Actor::System, Actor::Staff);
    lifecycle::create(services, &attempt, &actor, reason).await
}

/// Revokes a manual verification (approved → denied), with the reason audited.
pub async fn revoke_manual_verification(
    services: &Services,
    id: i64,
    staff: Option<UserId>,
    reason: &str,
) -> ServiceResult<()> {
    let now = services.clock.now();
    let actor = staff.map_or(Actor::System, Actor::Staff);
    let mut tx = services.store.begin().await?;
    let current = kinds::by_id(&mut tx, AttemptKind::Manual, id).await?.ok_or(ServiceError::NotFound)?;
    let change = manual_lifecycle::apply(ManualOp::Revoke, &current.status).map_err(Conflict::from)?;
    let update = AttemptUpdate {
        status: Some(StatusChange { from: AnyStatus::Attempt(change.from), to: AnyStatus::Attempt(change.to) }),
        ..Default::default()
    };
    if !kinds::update(&mut tx, AttemptKind::Manual, id, &update, &actor, reason, now).await? {
        return Err(ServiceError::Raced);
    }
    tx.commit().await.map_err(StoreError::from)?;
    Ok(())
}
