//! Verified names (name affirmation): the names learners asked to have verified, each
//! following the attempt it refers to by uuid, with every change kept in a history.

use super::{
    Conn, StoreResult,
    time::{from_micros, to_micros},
};
use app::domain::UserId;
use chrono::{DateTime, Utc};
use serde::Serialize;

/// A verified name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VerifiedName {
    /// Id.
    pub id: i64,
    /// The learner.
    pub user_id: i64,
    /// The name to verify.
    pub verified_name: String,
    /// The learner's profile name when they asked.
    pub profile_name: String,
    /// The attempt that verifies it, by uuid.
    pub verification_attempt_uuid: Option<String>,
    /// `pending`, `submitted`, `approved` or `denied`.
    pub status: String,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
}

/// One change of a verified name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NameChange {
    /// The verified name's id.
    pub verified_name_id: i64,
    /// The name.
    pub verified_name: String,
    /// The status after the change (`deleted` when the name was removed).
    pub status: String,
    /// The attempt referred to.
    pub verification_attempt_uuid: Option<String>,
    /// What caused it (`requested`, an event name, `attempt_deleted`).
    pub cause: String,
    /// When.
    pub at: DateTime<Utc>,
}

const COLUMNS: &str =
    "verified_name_id, user_id, verified_name, profile_name, verification_attempt_uuid, status, created_at, updated_at";

type Row = (i64, i64, String, String, Option<String>, String, i64, i64);

fn from_row((id, user_id, verified_name, profile_name, uuid, status, c, u): Row) -> StoreResult<VerifiedName> {
    Ok(VerifiedName {
        id,
        user_id,
        verified_name,
        profile_name,
        verification_attempt_uuid: uuid,
        status,
        created_at: from_micros(c)?,
        updated_at: from_micros(u)?,
    })
}

async fn log(conn: &mut Conn, name: &VerifiedName, cause: &str, status: &str, now: DateTime<Utc>) -> StoreResult<()> {
    sqlx::query(
        "insert into verified_name_history (verified_name_id, user_id, verified_name, status, \
         verification_attempt_uuid, cause, created_at) values ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(name.id)
    .bind(name.user_id)
    .bind(&name.verified_name)
    .bind(status)
    .bind(name.verification_attempt_uuid.as_deref())
    .bind(cause)
    .bind(to_micros(now))
    .execute(conn)
    .await?;
    Ok(())
}

/// Records a new verified name in `status` and its first history row.
pub async fn insert(
    conn: &mut Conn,
    user: UserId,
    verified_name: &str,
    profile_name: &str,
    attempt_uuid: Option<&str>,
    status: &str,
    now: DateTime<Utc>,
) -> StoreResult<VerifiedName> {
    let t = to_micros(now);
    let row: Row = sqlx::query_as(&format!(
        "insert into verified_name (user_id, verified_name, profile_name, verification_attempt_uuid, status, \
         created_at, updated_at) values ($1, $2, $3, $4, $5, $6, $6) returning {COLUMNS}"
    ))
    .bind(user.0)
    .bind(verified_name)
    .bind(profile_name)
    .bind(attempt_uuid)
    .bind(status)
    .bind(t)
    .fetch_one(&mut *conn)
    .await?;
    let name = from_row(row)?;
    log(conn, &name, "requested", status, now).await?;
    Ok(name)
}

/// The learner's verified names, newest first.
pub async fn for_user(conn: &mut Conn, user: UserId) -> StoreResult<Vec<VerifiedName>> {
    let rows: Vec<Row> = sqlx::query_as(&format!(
        "select {COLUMNS} from verified_name where user_id = $1 order by verified_name_id desc"
    ))
    .bind(user.0)
    .fetch_all(conn)
    .await?;
    rows.into_iter().map(from_row).collect()
}

/// The verified names that refer to an attempt.
pub async fn for_attempt(conn: &mut Conn, attempt_uuid: &str) -> StoreResult<Vec<VerifiedName>> {
    let rows: Vec<Row> = sqlx::query_as(&format!(
        "select {COLUMNS} from verified_name where verification_attempt_uuid = $1 order by verified_name_id"
    ))
    .bind(attempt_uuid)
    .fetch_all(conn)
    .await?;
    rows.into_iter().map(from_row).collect()
}

/// The names an event of attempt `attempt_uuid` (for `verified_name`) concerns: those that
/// refer to the attempt, else the learner's newest pending name for exactly that name that
/// refers to no attempt yet. One statement, so it sees one snapshot: a concurrent hook
/// linking the name cannot make it vanish from both halves.
pub async fn for_event(
    conn: &mut Conn,
    user: UserId,
    verified_name: &str,
    attempt_uuid: &str,
) -> StoreResult<Vec<VerifiedName>> {
    let rows: Vec<Row> = sqlx::query_as(&format!(
        "select {COLUMNS} from verified_name where verification_attempt_uuid = $3 \
         or (user_id = $1 and verified_name = $2 and status = 'pending' and verification_attempt_uuid is null) \
         order by verified_name_id desc"
    ))
    .bind(user.0)
    .bind(verified_name)
    .bind(attempt_uuid)
    .fetch_all(conn)
    .await?;
    let names = rows.into_iter().map(from_row).collect::<StoreResult<Vec<_>>>()?;
    let (linked, unlinked): (Vec<_>, Vec<_>) =
        names.into_iter().partition(|n| n.verification_attempt_uuid.as_deref() == Some(attempt_uuid));
    Ok(if linked.is_empty() { unlinked.into_iter().take(1).collect() } else { linked })
}

/// The outbox position of the event that last changed the name, if an event did.
pub async fn last_event_seq(conn: &mut Conn, id: i64) -> StoreResult<Option<i64>> {
    let row: Option<(Option<i64>,)> =
        sqlx::query_as("select last_event_seq from verified_name where verified_name_id = $1")
            .bind(id)
            .fetch_optional(conn)
            .await?;
    Ok(row.and_then(|(s,)| s))
}

/// Sets a name's status and attempt as event `seq` says, with a history row naming the
/// cause, unless an event at or after `seq` already changed it (checked in the update
/// itself, so two hooks racing on one name cannot let the older event win). Returns the
/// updated name, or None when nothing changed.
#[allow(clippy::too_many_arguments)]
pub async fn set_status(
    conn: &mut Conn,
    name: &VerifiedName,
    status: &str,
    attempt_uuid: &str,
    seq: i64,
    cause: &str,
    now: DateTime<Utc>,
) -> StoreResult<Option<VerifiedName>> {
    let done = sqlx::query(
        "update verified_name set status = $1, verification_attempt_uuid = $2, updated_at = $3, last_event_seq = $4 \
         where verified_name_id = $5 and (last_event_seq is null or last_event_seq < $4)",
    )
    .bind(status)
    .bind(attempt_uuid)
    .bind(to_micros(now))
    .bind(seq)
    .bind(name.id)
    .execute(&mut *conn)
    .await?;
    if done.rows_affected() != 1 {
        return Ok(None);
    }
    let updated = VerifiedName {
        status: status.to_owned(),
        verification_attempt_uuid: Some(attempt_uuid.to_owned()),
        updated_at: now,
        ..name.clone()
    };
    log(conn, &updated, cause, status, now).await?;
    Ok(Some(updated))
}

/// Gives a just-created name the status of the attempt it names (already checked to have
/// verified that name), with a history row naming the cause. No event is involved, so the
/// event position stays unset and the attempt's next event applies as usual.
pub async fn set_linked_status(
    conn: &mut Conn,
    name: &VerifiedName,
    status: &str,
    cause: &str,
    now: DateTime<Utc>,
) -> StoreResult<VerifiedName> {
    sqlx::query("update verified_name set status = $1, updated_at = $2 where verified_name_id = $3")
        .bind(status)
        .bind(to_micros(now))
        .bind(name.id)
        .execute(&mut *conn)
        .await?;
    let updated = VerifiedName { status: status.to_owned(), updated_at: now, ..name.clone() };
    log(conn, &updated, cause, status, now).await?;
    Ok(updated)
}

/// Deletes the names that refer to a deleted attempt, keeping their history; returns how many.
pub async fn delete_for_attempt(conn: &mut Conn, attempt_uuid: &str, now: DateTime<Utc>) -> StoreResult<usize> {
    let names = for_attempt(conn, attempt_uuid).await?;
    for n in &names {
        log(conn, n, "attempt_deleted", "deleted", now).await?;
        sqlx::query("delete from verified_name where verified_name_id = $1").bind(n.id).execute(&mut *conn).await?;
    }
    Ok(names.len())
}

/// The history of the learner's names, oldest first.
pub async fn history(conn: &mut Conn, user: UserId) -> StoreResult<Vec<NameChange>> {
    let rows: Vec<(i64, String, String, Option<String>, String, i64)> = sqlx::query_as(
        "select verified_name_id, verified_name, status, verification_attempt_uuid, cause, created_at \
         from verified_name_history where user_id = $1 order by history_id",
    )
    .bind(user.0)
    .fetch_all(conn)
    .await?;
    rows.into_iter()
        .map(|(verified_name_id, verified_name, status, verification_attempt_uuid, cause, at)| {
            Ok(NameChange {
                verified_name_id,
                verified_name,
                status,
                verification_attempt_uuid,
                cause,
                at: from_micros(at)?,
            })
        })
        .collect()
}

/// Clears a retired learner's names from their verified names and their history.
pub async fn scrub_user(conn: &mut Conn, user: UserId) -> StoreResult<()> {
    sqlx::query("update verified_name set verified_name = '', profile_name = '' where user_id = $1")
        .bind(user.0)
        .execute(&mut *conn)
        .await?;
    sqlx::query("update verified_name_history set verified_name = '' where user_id = $1")
        .bind(user.0)
        .execute(conn)
        .await?;
    Ok(())
}
