//! The api module of the pluggable design (Open edX `verify_student.api`): vendor plugins
//! create and update generic attempts; staff and SSO pipelines create the other kinds.

use super::{ServiceError, ServiceResult, Services};
use crate::store::{
    StoreError,
    kinds::{self, AttemptUpdate, KindFields, NewAttempt},
    transitions::Actor,
    users,
};
use app::domain::{AttemptKind, AttemptStatus, GenericStatus, UserId};
use chrono::{DateTime, Duration, Utc};

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

async fn ensure_user(services: &Services, user: UserId) -> ServiceResult<()> {
    let mut conn = services.store.conn().await?;
    users::by_id(&mut conn, user).await?.map(|_| ()).ok_or(ServiceError::NotFound)
}

/// Creates a generic attempt (`create_verification_attempt`); returns its id. When the
/// actor is the learner, refused unless they may verify now (`submit::ensure_can_start`).
pub async fn create_verification_attempt(
    services: &Services,
    new: GenericAttempt,
    actor: &Actor,
) -> ServiceResult<i64> {
    let status = parse_generic(&new.status)?;
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
        status: status.as_str().to_owned(),
        expires_at: new.expiration,
        fields: KindFields::Generic {
            hide_status_from_user: new.hide_status_from_user,
            vendor: new.vendor,
            vendor_reference: new.vendor_reference,
        },
    };
    insert(services, &attempt, actor, "").await
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
    let status = to.filter(|t| *t != from).map(|t| (t.as_str().to_owned(), from.as_str().to_owned()));
    let update = AttemptUpdate { name, status, expires_at: expiration };
    if !kinds::update(&mut tx, AttemptKind::Generic, id, &update, actor, "", now).await? {
        return Err(ServiceError::Raced);
    }
    tx.commit().await.map_err(StoreError::from)?;
    Ok(())
}

/// Records that an identity provider verified `user` (approved, expiring after `days_good_for`).
pub async fn create_sso_verification(
    services: &Services,
    user: UserId,
    name: &str,
    identity_provider_type: &str,
    identity_provider_slug: &str,
    platform_name: &str,
) -> ServiceResult<i64> {
    let uuid = uuid::Uuid::new_v4().to_string();
    create_sso_verification_as(
        services,
        uuid,
        user,
        name,
        identity_provider_type,
        identity_provider_slug,
        platform_name,
    )
    .await
}

/// [`create_sso_verification`] under a uuid the caller chose: two writers deriving the same
/// uuid for the same fact make one record (the second gets [`StoreError::Duplicate`]).
pub async fn create_sso_verification_as(
    services: &Services,
    uuid: String,
    user: UserId,
    name: &str,
    identity_provider_type: &str,
    identity_provider_slug: &str,
    platform_name: &str,
) -> ServiceResult<i64> {
    ensure_user(services, user).await?;
    let attempt = NewAttempt {
        uuid,
        user_id: user,
        name: name.to_owned(),
        status: AttemptStatus::Approved.as_str().to_owned(),
        expires_at: Some(services.clock.now() + Duration::days(services.policy().days_good_for)),
        fields: KindFields::Sso {
            identity_provider_type: identity_provider_type.to_owned(),
            identity_provider_slug: identity_provider_slug.to_owned(),
            platform_name: platform_name.to_owned(),
        },
    };
    insert(services, &attempt, &Actor::Vendor(identity_provider_slug.to_owned()), "verified by identity provider").await
}

/// Staff verify `user` by hand (approved, expiring after `days_good_for`).
pub async fn create_manual_verification(
    services: &Services,
    user: UserId,
    name: &str,
    reason: &str,
    staff: Option<UserId>,
) -> ServiceResult<i64> {
    if reason.trim().is_empty() {
        return Err(ServiceError::Invalid("A manual verification needs a reason.".into()));
    }
    ensure_user(services, user).await?;
    let attempt = NewAttempt {
        uuid: uuid::Uuid::new_v4().to_string(),
        user_id: user,
        name: name.to_owned(),
        status: AttemptStatus::Approved.as_str().to_owned(),
        expires_at: Some(services.clock.now() + Duration::days(services.policy().days_good_for)),
        fields: KindFields::Manual { reason: reason.to_owned(), created_by: staff },
    };
    let actor = staff.map_or(Actor::System, Actor::Staff);
    insert(services, &attempt, &actor, reason).await
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
    if current.status != AttemptStatus::Approved.as_str() {
        return Err(ServiceError::Conflict(format!(
            "a manual verification in status {} cannot be revoked",
            current.status
        )));
    }
    let update = AttemptUpdate {
        status: Some((AttemptStatus::Denied.as_str().to_owned(), current.status)),
        ..Default::default()
    };
    if !kinds::update(&mut tx, AttemptKind::Manual, id, &update, &actor, reason, now).await? {
        return Err(ServiceError::Raced);
    }
    tx.commit().await.map_err(StoreError::from)?;
    Ok(())
}

async fn insert(services: &Services, attempt: &NewAttempt, actor: &Actor, reason: &str) -> ServiceResult<i64> {
    let mut tx = services.store.begin().await?;
    let id = kinds::insert(&mut tx, attempt, actor, reason, services.clock.now()).await?;
    tx.commit().await.map_err(StoreError::from)?;
    Ok(id)
}
