//! Name affirmation (edx-name-affirmation): a learner asks to have a new name verified; the
//! verified-name record then follows the lifecycle events of the attempt that verifies it,
//! whatever its kind, so a manual verification or a hosted vendor can approve a name as
//! well as Software Secure. An attempt is linked by uuid; a pending name with no attempt
//! yet is linked to the learner's next attempt for exactly that name.

use super::{ServiceError, ServiceResult, Services};
use crate::{
    events::{Event, EventHook, EventType},
    store::{
        StoreError, attempt_delete, users,
        verified_names::{self, NameChange, VerifiedName},
    },
};
use app::domain::UserId;

/// The longest verified name accepted.
const MAX_NAME: usize = 255;

/// A name status for an attempt event.
fn name_status(event: EventType) -> &'static str {
    match event {
        EventType::Created | EventType::Ready | EventType::MustRetry => "pending",
        EventType::Submitted => "submitted",
        EventType::Approved => "approved",
        EventType::Denied => "denied",
    }
}

/// The learner asks to have `verified_name` verified (optionally by a known attempt).
#[tracing::instrument(skip_all, fields(user.id = %user))]
pub async fn request_verified_name(
    services: &Services,
    user: UserId,
    verified_name: &str,
    attempt_uuid: Option<&str>,
) -> ServiceResult<VerifiedName> {
    let name = verified_name.trim();
    // Control characters (NUL above all, which PostgreSQL cannot store in text) are refused
    // like in the name on the ID.
    if name.is_empty() || name.chars().count() > MAX_NAME || name.chars().any(char::is_control) {
        return Err(ServiceError::Invalid(format!(
            "A verified name is 1 to {MAX_NAME} characters, without control characters."
        )));
    }
    let now = services.clock.now();
    let mut tx = services.store.begin().await?;
    let profile = users::by_id(&mut tx, user).await?.ok_or(ServiceError::NotFound)?;
    // A name for an attempt already under way starts in the status that attempt gives it.
    let status = match attempt_uuid {
        Some(uuid) => match attempt_delete::find(&mut tx, uuid).await? {
            Some(found) => EventType::for_status(found.kind, &found.status).map_or("pending", name_status),
            None => return Err(ServiceError::Invalid("No such verification attempt.".into())),
        },
        None => "pending",
    };
    let record = verified_names::insert(&mut tx, user, name, &profile.full_name, attempt_uuid, status, now).await?;
    tx.commit().await.map_err(StoreError::from)?;
    Ok(record)
}

/// [`request_verified_name`] on the learner's own behalf: an attempt named must be one of
/// theirs (another learner's is reported as not found, revealing nothing).
pub async fn request_verified_name_as_learner(
    services: &Services,
    user: UserId,
    verified_name: &str,
    attempt_uuid: Option<&str>,
) -> ServiceResult<VerifiedName> {
    if let Some(uuid) = attempt_uuid {
        if uuid.chars().any(char::is_control) {
            return Err(ServiceError::Invalid("No such verification attempt of yours.".into()));
        }
        let mut conn = services.store.conn().await?;
        match attempt_delete::find(&mut conn, uuid).await? {
            Some(found) if found.user == user => {}
            _ => return Err(ServiceError::Invalid("No such verification attempt of yours.".into())),
        }
    }
    request_verified_name(services, user, verified_name, attempt_uuid).await
}

/// The learner's verified names, newest first.
pub async fn verified_names(services: &Services, user: UserId) -> ServiceResult<Vec<VerifiedName>> {
    Ok(verified_names::for_user(&mut *services.store.conn().await?, user).await?)
}

/// Every change of the learner's verified names, oldest first.
pub async fn history(services: &Services, user: UserId) -> ServiceResult<Vec<NameChange>> {
    Ok(verified_names::history(&mut *services.store.conn().await?, user).await?)
}

/// Applies one attempt event to the names it concerns; idempotent, and an event older than
/// the one that last changed a name (delivery is at least once, in any order) is ignored.
pub async fn apply_event(services: &Services, seq: i64, event: &Event) -> ServiceResult<()> {
    let Some(kind) = event.kind() else { return Ok(()) };
    let status = name_status(kind);
    let user = UserId(event.data.user.id);
    let uuid = &event.data.attempt_uuid;
    let mut tx = services.store.begin().await?;
    let names = verified_names::for_event(&mut tx, user, event.data.name.trim(), uuid).await?;
    let cause = event.event_type.as_str();
    for name in names {
        let last = verified_names::last_event_seq(&mut tx, name.id).await?;
        if last.is_some_and(|l| l >= seq)
            || name.status == status && name.verification_attempt_uuid.as_ref() == Some(uuid)
        {
            continue;
        }
        verified_names::set_status(&mut tx, &name, status, uuid, seq, cause, event.time).await?;
    }
    tx.commit().await.map_err(StoreError::from)?;
    Ok(())
}

/// The hook that keeps verified names in step with attempts.
pub struct NameAffirmationHook;

#[async_trait::async_trait]
impl EventHook for NameAffirmationHook {
    fn name(&self) -> &'static str {
        "name_affirmation"
    }

    async fn handle(&self, services: &Services, seq: i64, event: &Event) -> Result<(), String> {
        apply_event(services, seq, event).await.map_err(|e| e.to_string())
    }
}
