//! Generic verification attempts (Open edX `verify_student.api`'s
//! `create_verification_attempt` and `update_verification_attempt`): the attempts vendor
//! plugins record. The pure `generic_lifecycle` decides every status; this writes.

use super::{Conflict, ServiceError, ServiceResult, Services, ensure_user, lifecycle};
use crate::store::{
    StoreError,
    kinds::{self, AttemptUpdate, KindFields, NewAttempt, StatusChange},
    transitions::Actor,
};
use app::domain::{
    AnyStatus, AttemptKind, GenericStatus, UserId,
    generic_lifecycle::{self, GenericOp},
};
use chrono::{DateTime, Utc};

/// A generic attempt to create.
#[derive(Debug, Clone)]
pub struct GenericAttempt {
    /// The learner.
    pub user: UserId,
    /// The name being verified.
    pub name: String,
    /// Initial status name: created, pending, approved or denied.
    pub status: String,
    /// When it expires (None: never).
    pub expiration: Option<DateTime<Utc>>,
    /// Hide its status from the learner.
    pub hide_status_from_user: bool,
    /// The vendor plugin's name.
    pub vendor: String,
    /// The vendor's id for it.
    pub vendor_reference: String,
}

fn parse_generic(status: &str) -> ServiceResult<GenericStatus> {
    status.parse().map_err(|_| ServiceError::BadStatus(status.to_owned()))
}

/// Creates a generic attempt (`create_verification_attempt`); returns its id. When the
/// actor is the learner, refused unless they may verify now (`submit::ensure_can_start`).
pub async fn create_verification_attempt(
    services: &Services,
    new: GenericAttempt,
    actor: &Actor,
) -> ServiceResult<i64> {
    let requested = parse_generic(&new.status)?;
    let status =
        generic_lifecycle::apply(GenericOp::Create(requested), None).map_err(Conflict::from)?.unwrap_or(requested);
    ensure_user(services, new.user).await?;
    // A learner starting an attempt goes through the same door check as photo submissions;
    // plugins and staff recording an outcome do not.
    if matches!(actor, Actor::Learner(_)) {
        super::submit::ensure_can_start(services, new.user).await?;
    }
    let attempt = NewAttempt {
        uuid: uuid::Uuid::new_v4().to_string(),
        user_id: new.user,
        name: new.name,
        status: AnyStatus::Generic(status),
        expires_at: new.expiration,
        fields: KindFields::Generic {
            hide_status_from_user: new.hide_status_from_user,
            vendor: new.vendor,
            vendor_reference: new.vendor_reference,
        },
    };
    lifecycle::create(services, &attempt, actor, "").await
}

/// Updates a generic attempt (`update_verification_attempt`): any of name, status and
/// expiration. An unknown attempt or status is an error and changes nothing.
pub async fn update_verification_attempt(
    services: &Services,
    id: i64,
    name: Option<String>,
    status: Option<&str>,
    expiration: Option<Option<DateTime<Utc>>>,
    actor: &Actor,
) -> ServiceResult<()> {
    let to = status.map(parse_generic).transpose()?;
    let now = services.clock.now();
    let mut tx = services.store.begin().await?;
    let current = kinds::by_id(&mut tx, AttemptKind::Generic, id).await?.ok_or(ServiceError::NotFound)?;
    let from = parse_generic(&current.status)?;
    // Setting the status it already has is not a transition: only the other fields change.
    let status = match to {
        Some(to) => generic_lifecycle::apply(GenericOp::SetStatus(to), Some(from)).map_err(Conflict::from)?,
        None => None,
    }
    .map(|to| StatusChange { from: AnyStatus::Generic(from), to: AnyStatus::Generic(to) });
    let update = AttemptUpdate { name, status, expires_at: expiration };
    if !kinds::update(&mut tx, AttemptKind::Generic, id, &update, actor, "", now).await? {
        return Err(ServiceError::Raced);
    }
    tx.commit().await.map_err(StoreError::from)?;
    Ok(())
}
