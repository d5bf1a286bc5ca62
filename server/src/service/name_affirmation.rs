//! Name affirmation (edx-name-affirmation): a learner asks to have a new name verified; the
//! verified-name record then follows the lifecycle events of the attempt that verifies it,
//! whatever its kind, so a manual verification or a hosted vendor can approve a name as
//! well as Software Secure. An attempt is linked by uuid; a pending name with no attempt
//! yet is linked to the learner's next attempt for exactly that name.
//!
//! A name is only ever approved (or denied, or under review) by an attempt that verified
//! *that* name: a learner-created record starts `pending`, and an attempt's status reaches
//! it only while the attempt's name is the same (see [`same_name`]), both when the record
//! names the attempt and when the attempt's later events arrive.

use super::{ServiceError, ServiceResult, Services};
use crate::{
    events::{Event, EventType},
    store::{
        StoreError, attempt_lookup, kinds, users,
        verified_names::{self, NameChange, VerifiedName},
    },
};
use app::domain::{AnyStatus, UserId};

/// The longest verified name accepted.
const MAX_NAME: usize = 255;

/// Whether events of this type move verified names (the name-affirmation subscriber wants
/// only those).
pub fn moves_names(event: EventType) -> bool {
    name_status(event).is_some()
}

/// The name status an attempt event gives its names; None for an event that is no status
/// change (an approval that expired leaves its name approved: the name was verified).
fn name_status(event: EventType) -> Option<&'static str> {
    Some(match event {
        EventType::Created | EventType::Ready | EventType::MustRetry => "pending",
        EventType::Submitted => "submitted",
        EventType::Approved => "approved",
        EventType::Denied => "denied",
        EventType::Expired => return None,
    })
}

/// Whether an attempt for `attempt_name` verifies the name `verified_name`: equal after
/// trimming the ends, nothing looser. edx-name-affirmation matches a verified name to an
/// attempt's `photo_id_name` by plain equality; case and inner spacing are part of the name
/// printed on a certificate, so "ada  lovelace" is not proven by an ID reading "Ada Lovelace".
/// Only the ends are forgiven, because Vouch trims every name it stores and plugins may not.
pub fn same_name(attempt_name: &str, verified_name: &str) -> bool {
    attempt_name.trim() == verified_name.trim()
}

/// The learner asks to have `verified_name` verified (optionally by a known attempt). The
/// record starts `pending`. Naming an attempt links the record to it, and the attempt's
/// status (approved, say) then reaches the name as a second history entry, exactly as its
/// next event would; an attempt that verified a different name is refused, nothing stored.
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
    // The status the named attempt gives a name it verified.
    let linked_status = match attempt_uuid {
        Some(uuid) => {
            let found = attempt_lookup::by_uuid(&mut tx, uuid)
                .await?
                .ok_or_else(|| ServiceError::Invalid("No such verification attempt.".into()))?;
            let attempt = kinds::by_id(&mut tx, found.kind, found.id)
                .await?
                .ok_or_else(|| ServiceError::Invalid("No such verification attempt.".into()))?;
            if !same_name(&attempt.name, name) {
                return Err(ServiceError::Invalid(
                    "That verification attempt verified a different name; a name can only be verified by an \
                     attempt for that same name."
                        .into(),
                ));
            }
            let status = AnyStatus::parse(found.kind, &found.status).ok();
            Some(status.map(EventType::for_status).and_then(name_status).unwrap_or("pending"))
        }
        None => None,
    };
    let mut record =
        verified_names::insert(&mut tx, user, name, &profile.full_name, attempt_uuid, "pending", now).await?;
    if let Some(status) = linked_status.filter(|s| *s != "pending") {
        record = verified_names::set_linked_status(&mut tx, &record, status, "attempt_linked", now).await?;
    }
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
        match attempt_lookup::by_uuid(&mut conn, uuid).await? {
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
    let Some(status) = name_status(event.event_type) else { return Ok(()) };
    // Most events change no name (most learners never ask for one): decided on a read
    // connection first, so they take no write. On SQLite every write waits its turn in one
    // queue with the learners' submissions (issue 18). The transaction decides again.
    if names_to_change(&mut *services.store.conn().await?, seq, event, status).await?.is_empty() {
        return Ok(());
    }
    let mut tx = services.store.begin().await?;
    let cause = event.event_type.name();
    for name in names_to_change(&mut tx, seq, event, status).await? {
        verified_names::set_status(&mut tx, &name, status, &event.data.attempt_uuid, seq, cause, event.time).await?;
    }
    tx.commit().await.map_err(StoreError::from)?;
    Ok(())
}

/// The names `event` (number `seq`) moves to `status`.
async fn names_to_change(
    conn: &mut crate::store::Conn,
    seq: i64,
    event: &Event,
    status: &'static str,
) -> ServiceResult<Vec<VerifiedName>> {
    let user = UserId(event.data.user.id);
    let uuid = &event.data.attempt_uuid;
    let names = verified_names::for_event(conn, user, event.data.name.trim(), uuid).await?;
    let mut out = Vec::new();
    // A name linked to this attempt follows it only while the attempt verifies that very
    // name: an attempt renamed since (generic attempts can be), or a link made before names
    // were checked, changes nothing.
    for name in names.into_iter().filter(|n| same_name(&event.data.name, &n.verified_name)) {
        let last = verified_names::last_event_seq(conn, name.id).await?;
        if last.is_some_and(|l| l >= seq)
            || name.status == status && name.verification_attempt_uuid.as_ref() == Some(uuid)
        {
            continue;
        }
        out.push(name);
    }
    Ok(out)
}
