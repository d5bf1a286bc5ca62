//! Photo retention in the database: which decided attempts still keep photos past the
//! retention period, marking their photos deleted, whether a vault object is still
//! referenced (by whom, in which status), and the audit log of every photo deletion.
//!
//! Only photo verifications have photos: SSO, manual and generic attempts are never
//! touched here.

use super::{
    Conn, StoreResult,
    time::{from_micros, to_micros},
};
use chrono::{DateTime, Utc};

/// The statuses whose photos retention deletes: the vendor's verdict is in. `must_retry`
/// is not among them: the retry command sends the same photos again, and a late verdict of
/// the vendor may still arrive.
const DECIDED_SQL: &str = "status in ('approved', 'denied')";

/// A decided attempt whose photos are due for deletion.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DueAttempt {
    /// Id.
    pub id: i64,
    /// Public id (for the audit log).
    pub uuid: String,
    /// The status read (the deletion is recorded only if it is still decided).
    pub status: String,
    /// When it was decided.
    pub decided_at: DateTime<Utc>,
    /// Vault key of the face photo, if any.
    pub face_ref: Option<String>,
    /// Vault key of the ID photo, if any (possibly another attempt's, reused).
    pub photo_id_ref: Option<String>,
}

impl DueAttempt {
    /// The object keys it references.
    pub fn refs(&self) -> impl Iterator<Item = &str> {
        [self.face_ref.as_deref(), self.photo_id_ref.as_deref()].into_iter().flatten()
    }
}

/// How many decided attempts, decided at or before `cutoff`, still keep their photos.
pub async fn count_due(conn: &mut Conn, cutoff: DateTime<Utc>) -> StoreResult<i64> {
    let (n,): (i64,) = sqlx::query_as(&format!(
        "select count(*) from photo_verification \
         where photos_deleted_at is null and status_changed_at <= $1 and {DECIDED_SQL}"
    ))
    .bind(to_micros(cutoff))
    .fetch_one(conn)
    .await?;
    Ok(n)
}

/// Whether any decided attempt, decided at or before `cutoff`, still keeps its photos: the
/// scheduler's question every interval on every runner, answered at the first such row
/// instead of counting them all (a count reads every row the partial index holds).
pub async fn any_due(conn: &mut Conn, cutoff: DateTime<Utc>) -> StoreResult<bool> {
    let row: Option<(i64,)> = sqlx::query_as(&format!(
        "select attempt_id from photo_verification \
         where photos_deleted_at is null and status_changed_at <= $1 and {DECIDED_SQL} limit 1"
    ))
    .bind(to_micros(cutoff))
    .fetch_optional(conn)
    .await?;
    Ok(row.is_some())
}

/// Up to `limit` decided attempts, decided at or before `cutoff`, that still keep their
/// photos, in id order from above `after` (so a sweep that skips one, changed meanwhile,
/// moves on instead of reading it again).
pub async fn due(conn: &mut Conn, cutoff: DateTime<Utc>, after: i64, limit: i64) -> StoreResult<Vec<DueAttempt>> {
    type Row = (i64, String, String, i64, Option<String>, Option<String>);
    let rows: Vec<Row> = sqlx::query_as(&format!(
        "select attempt_id, uuid, status, status_changed_at, face_image_ref, photo_id_image_ref \
         from photo_verification \
         where photos_deleted_at is null and status_changed_at <= $1 and {DECIDED_SQL} and attempt_id > $2 \
         order by attempt_id limit $3"
    ))
    .bind(to_micros(cutoff))
    .bind(after)
    .bind(limit.max(1))
    .fetch_all(conn)
    .await?;
    rows.into_iter()
        .map(|(id, uuid, status, decided_at, face_ref, photo_id_ref)| {
            Ok(DueAttempt { id, uuid, status, decided_at: from_micros(decided_at)?, face_ref, photo_id_ref })
        })
        .collect()
}

/// Whether an attempt other than `except` references `object` (an ID photo that a later
/// attempt reuses through `copy_id_photo_from`).
pub async fn referenced_by_other(conn: &mut Conn, object: &str, except: i64) -> StoreResult<bool> {
    let row: Option<(i64,)> = sqlx::query_as(
        "select attempt_id from photo_verification \
         where (face_image_ref = $1 or photo_id_image_ref = $1) and attempt_id <> $2 limit 1",
    )
    .bind(object)
    .bind(except)
    .fetch_optional(conn)
    .await?;
    Ok(row.is_some())
}

/// Whether any attempt references `object`.
pub async fn referenced(conn: &mut Conn, object: &str) -> StoreResult<bool> {
    let row: Option<(i64,)> = sqlx::query_as(
        "select attempt_id from photo_verification where face_image_ref = $1 or photo_id_image_ref = $1 limit 1",
    )
    .bind(object)
    .fetch_optional(conn)
    .await?;
    Ok(row.is_some())
}

/// Whether the vendor may still fetch `object`: an attempt that references it is not decided
/// yet (ready, submitted, or must_retry and about to be sent again).
pub async fn awaiting_vendor(conn: &mut Conn, object: &str) -> StoreResult<bool> {
    let row: Option<(i64,)> = sqlx::query_as(
        "select attempt_id from photo_verification \
         where (face_image_ref = $1 or photo_id_image_ref = $1) and status in ('ready', 'submitted', 'must_retry') \
         and photos_deleted_at is null limit 1",
    )
    .bind(object)
    .fetch_optional(conn)
    .await?;
    Ok(row.is_some())
}

/// Records that the attempt's photos are gone: sets `photos_deleted_at` and clears the photo
/// references, only if the attempt is still as read (decided, same references, not already
/// marked). Returns whether it did.
pub async fn mark_deleted(conn: &mut Conn, attempt: &DueAttempt, now: DateTime<Utc>) -> StoreResult<bool> {
    let done = sqlx::query(&format!(
        "update photo_verification set photos_deleted_at = $1, face_image_ref = null, photo_id_image_ref = null \
         where attempt_id = $2 and photos_deleted_at is null and {DECIDED_SQL} \
         and coalesce(face_image_ref, '') = coalesce($3, '') and coalesce(photo_id_image_ref, '') = coalesce($4, '')"
    ))
    .bind(to_micros(now))
    .bind(attempt.id)
    .bind(attempt.face_ref.as_deref())
    .bind(attempt.photo_id_ref.as_deref())
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// When the attempt's photos were deleted by retention (none while they are kept).
pub async fn photos_deleted_at(conn: &mut Conn, uuid: &str) -> StoreResult<Option<DateTime<Utc>>> {
    let row: Option<(Option<i64>,)> =
        sqlx::query_as("select photos_deleted_at from photo_verification where uuid = $1")
            .bind(uuid)
            .fetch_optional(conn)
            .await?;
    row.and_then(|(t,)| t).map(from_micros).transpose()
}

/// Why a photo left the vault.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cause {
    /// The retention period after the decision ended.
    Retention,
    /// The attempt was deleted.
    DeleteAttempt,
    /// No attempt referenced it (garbage collection).
    Gc,
}

impl Cause {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Retention => "retention",
            Self::DeleteAttempt => "delete_attempt",
            Self::Gc => "gc",
        }
    }
}

/// What deleted it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Deleter {
    /// The scheduled background job.
    Job,
    /// An operator's command.
    Cli,
}

impl Deleter {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Job => "job",
            Self::Cli => "cli",
        }
    }
}

/// Records the deletion of `object` (of the attempt `attempt_uuid`, if any).
pub async fn record_deletion(
    conn: &mut Conn,
    object: &str,
    attempt_uuid: Option<&str>,
    cause: Cause,
    deleter: Deleter,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    sqlx::query(
        "insert into photo_deletion (object_key, attempt_uuid, cause, actor, created_at) values ($1, $2, $3, $4, $5)",
    )
    .bind(object)
    .bind(attempt_uuid)
    .bind(cause.as_str())
    .bind(deleter.as_str())
    .bind(to_micros(now))
    .execute(conn)
    .await?;
    Ok(())
}

/// A recorded photo deletion.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Deletion {
    /// The vault key.
    pub object: String,
    /// The attempt, if one referenced it.
    pub attempt_uuid: Option<String>,
    /// `retention`, `delete_attempt` or `gc`.
    pub cause: String,
    /// `job` or `cli`.
    pub actor: String,
    /// When.
    pub at: DateTime<Utc>,
}

/// The most recent `limit` photo deletions, newest first.
pub async fn recent_deletions(conn: &mut Conn, limit: i64) -> StoreResult<Vec<Deletion>> {
    let rows: Vec<(String, Option<String>, String, String, i64)> = sqlx::query_as(
        "select object_key, attempt_uuid, cause, actor, created_at from photo_deletion \
         order by photo_deletion_id desc limit $1",
    )
    .bind(limit.max(0))
    .fetch_all(conn)
    .await?;
    rows.into_iter()
        .map(|(object, attempt_uuid, cause, actor, at)| {
            Ok(Deletion { object, attempt_uuid, cause, actor, at: from_micros(at)? })
        })
        .collect()
}

/// How many jobs of `kind` are held right now (running, lease not run out), the caller's
/// own included: a sweep runs only when it is alone.
pub async fn running_jobs(conn: &mut Conn, kind: &str, now: DateTime<Utc>) -> StoreResult<i64> {
    let (n,): (i64,) =
        sqlx::query_as("select count(*) from job where kind = $1 and status = 'running' and locked_until > $2")
            .bind(kind)
            .bind(to_micros(now))
            .fetch_one(conn)
            .await?;
    Ok(n)
}
