//! Software Secure photo verification attempts.

use super::{
    Conn, StoreError, StoreResult,
    time::{from_micros, from_micros_opt, to_micros},
    transitions::{self, Actor},
};
use app::domain::{AttemptId, AttemptKind, AttemptStatus, UserId, photo_lifecycle::PhotoReview};
use chrono::{DateTime, Utc};
use sqlx::{Row, any::AnyRow};

/// A new photo verification, as the submit service creates it.
#[derive(Debug, Clone)]
pub struct NewPhotoVerification {
    /// Public, unguessable id of the attempt.
    pub uuid: String,
    /// The learner.
    pub user_id: UserId,
    /// The name to verify.
    pub name: String,
    /// The id the vendor knows the attempt by.
    pub receipt_id: String,
    /// Vault key of the face photo.
    pub face_image_ref: Option<String>,
    /// Vault key of the ID photo.
    pub photo_id_image_ref: Option<String>,
    /// The ID photo's AES key, RSA-wrapped for the vendor (`PhotoIDKey`).
    pub photo_id_key: String,
    /// The face photo's AES key, RSA-wrapped for the vendor (`UserPhotoKey`).
    pub user_photo_key: String,
    /// The earlier attempt whose ID photo is reused.
    pub copy_id_photo_from: Option<AttemptId>,
    /// The course the learner verified for, if they came from one.
    pub course_key: Option<String>,
}

/// A photo verification as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PhotoVerification {
    /// Id.
    pub id: AttemptId,
    /// Public id.
    pub uuid: String,
    /// The learner.
    pub user_id: UserId,
    /// The name to verify.
    pub name: String,
    /// Vendor-facing id.
    pub receipt_id: String,
    /// Vault key of the face photo.
    pub face_image_ref: Option<String>,
    /// Vault key of the ID photo.
    pub photo_id_image_ref: Option<String>,
    /// The wrapped ID-photo key (`PhotoIDKey`).
    pub photo_id_key: String,
    /// The wrapped face-photo key (`UserPhotoKey`).
    pub user_photo_key: String,
    /// The earlier attempt whose ID photo is reused.
    pub copy_id_photo_from: Option<AttemptId>,
    /// The course the learner verified for, if they came from one.
    pub course_key: Option<String>,
    /// Status and review fields.
    pub review: PhotoReview,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
    /// Last status change.
    pub status_changed_at: DateTime<Utc>,
}

impl PhotoVerification {
    /// The status.
    pub fn status(&self) -> AttemptStatus {
        self.review.status
    }
}

const COLUMNS: &str = "attempt_id, uuid, user_id, name, receipt_id, face_image_ref, photo_id_image_ref, \
                       photo_id_key, user_photo_key, copy_id_photo_from, status, error_msg, error_code, reviewing_user_id, \
                       reviewing_service, submitted_at, expires_at, created_at, updated_at, status_changed_at, course_key";

fn from_row(row: &AnyRow) -> StoreResult<PhotoVerification> {
    let status: String = row.try_get("status")?;
    Ok(PhotoVerification {
        id: AttemptId(row.try_get("attempt_id")?),
        uuid: row.try_get("uuid")?,
        user_id: UserId(row.try_get("user_id")?),
        name: row.try_get("name")?,
        receipt_id: row.try_get("receipt_id")?,
        face_image_ref: row.try_get("face_image_ref")?,
        photo_id_image_ref: row.try_get("photo_id_image_ref")?,
        photo_id_key: row.try_get("photo_id_key")?,
        user_photo_key: row.try_get("user_photo_key")?,
        copy_id_photo_from: row.try_get::<Option<i64>, _>("copy_id_photo_from")?.map(AttemptId),
        course_key: row.try_get("course_key")?,
        review: PhotoReview {
            status: status.parse().map_err(|e| StoreError::Corrupt(format!("{e}")))?,
            error_msg: row.try_get("error_msg")?,
            error_code: row.try_get("error_code")?,
            reviewing_user: row.try_get::<Option<i64>, _>("reviewing_user_id")?.map(UserId),
            reviewing_service: row.try_get("reviewing_service")?,
            submitted_at: from_micros_opt(row.try_get("submitted_at")?)?,
            expires_at: from_micros_opt(row.try_get("expires_at")?)?,
        },
        created_at: from_micros(row.try_get("created_at")?)?,
        updated_at: from_micros(row.try_get("updated_at")?)?,
        status_changed_at: from_micros(row.try_get("status_changed_at")?)?,
    })
}

/// Inserts an attempt in status `created` and audits it.
pub async fn insert(
    conn: &mut Conn,
    new: &NewPhotoVerification,
    actor: &Actor,
    now: DateTime<Utc>,
) -> StoreResult<AttemptId> {
    let t = to_micros(now);
    let (id,): (i64,) = sqlx::query_as(
        "insert into photo_verification (uuid, user_id, name, status, receipt_id, face_image_ref, \
         photo_id_image_ref, photo_id_key, user_photo_key, copy_id_photo_from, created_at, updated_at, status_changed_at, \
         course_key) values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11, $11, $12) returning attempt_id",
    )
    .bind(&new.uuid)
    .bind(new.user_id.0)
    .bind(&new.name)
    .bind(AttemptStatus::Created.as_str())
    .bind(&new.receipt_id)
    .bind(new.face_image_ref.as_deref())
    .bind(new.photo_id_image_ref.as_deref())
    .bind(&new.photo_id_key)
    .bind(&new.user_photo_key)
    .bind(new.copy_id_photo_from.map(|a| a.0))
    .bind(t)
    .bind(new.course_key.as_deref())
    .fetch_one(&mut *conn)
    .await?;
    transitions::append(conn, AttemptKind::Photo, id, None, AttemptStatus::Created.as_str(), actor, "", now).await?;
    Ok(AttemptId(id))
}

/// The attempt with this id.
pub async fn by_id(conn: &mut Conn, id: AttemptId) -> StoreResult<Option<PhotoVerification>> {
    let row = sqlx::query(&format!("select {COLUMNS} from photo_verification where attempt_id = $1"))
        .bind(id.0)
        .fetch_optional(conn)
        .await?;
    row.as_ref().map(from_row).transpose()
}

/// The attempt the vendor knows by `receipt_id`.
pub async fn by_receipt_id(conn: &mut Conn, receipt_id: &str) -> StoreResult<Option<PhotoVerification>> {
    let row = sqlx::query(&format!("select {COLUMNS} from photo_verification where receipt_id = $1"))
        .bind(receipt_id)
        .fetch_optional(conn)
        .await?;
    row.as_ref().map(from_row).transpose()
}

/// Writes the review fields decided by the lifecycle, if the attempt is still in status
/// `from` (so two racing writers cannot both apply a change), and audits the change.
/// Returns false when the attempt changed meanwhile (nothing written).
pub async fn save_review(
    conn: &mut Conn,
    id: AttemptId,
    from: AttemptStatus,
    next: &PhotoReview,
    actor: &Actor,
    reason: &str,
    now: DateTime<Utc>,
) -> StoreResult<bool> {
    let t = to_micros(now);
    let done = sqlx::query(
        "update photo_verification set status = $1, error_msg = $2, error_code = $3, reviewing_user_id = $4, \
         reviewing_service = $5, submitted_at = $6, expires_at = $7, updated_at = $8, \
         status_changed_at = case when status = $1 then status_changed_at else $8 end \
         where attempt_id = $9 and status = $10",
    )
    .bind(next.status.as_str())
    .bind(&next.error_msg)
    .bind(&next.error_code)
    .bind(next.reviewing_user.map(|u| u.0))
    .bind(&next.reviewing_service)
    .bind(next.submitted_at.map(to_micros))
    .bind(next.expires_at.map(to_micros))
    .bind(t)
    .bind(id.0)
    .bind(from.as_str())
    .execute(&mut *conn)
    .await?;
    if done.rows_affected() != 1 {
        return Ok(false);
    }
    transitions::append(conn, AttemptKind::Photo, id.0, Some(from.as_str()), next.status.as_str(), actor, reason, now)
        .await?;
    Ok(true)
}

/// Every photo verification of a user, newest first.
pub async fn for_user(conn: &mut Conn, user: UserId) -> StoreResult<Vec<PhotoVerification>> {
    let rows = sqlx::query(&format!(
        "select {COLUMNS} from photo_verification where user_id = $1 order by created_at desc, attempt_id desc"
    ))
    .bind(user.0)
    .fetch_all(conn)
    .await?;
    rows.iter().map(from_row).collect()
}

/// Attempts in `status`, oldest status change first, at most `limit`.
pub async fn with_status(conn: &mut Conn, status: AttemptStatus, limit: i64) -> StoreResult<Vec<PhotoVerification>> {
    let rows = sqlx::query(&format!(
        "select {COLUMNS} from photo_verification where status = $1 order by status_changed_at, attempt_id limit $2"
    ))
    .bind(status.as_str())
    .bind(limit)
    .fetch_all(conn)
    .await?;
    rows.iter().map(from_row).collect()
}

/// The user's most recent approved attempt that has its own ID photo, was created at or
/// after `since` (to reuse it: Open edX's `get_initial_verification` with its earliest
/// allowed date, `days_good_for` before now, so an ID photo older than an approval lasts is
/// never reused), and whose ID photo is sealed for the same key pair as a new attempt:
/// `in_house` attempts (those with a `review_item` row) are sealed for the review key,
/// every other one for Software Secure's. A photo wrapped for the other key pair is never
/// reused: neither its reader could open it.
pub async fn latest_approved_with_photo_id(
    conn: &mut Conn,
    user: UserId,
    since: DateTime<Utc>,
    in_house: bool,
) -> StoreResult<Option<PhotoVerification>> {
    let sealed_for = if in_house { "exists" } else { "not exists" };
    let row = sqlx::query(&format!(
        "select {COLUMNS} from photo_verification where user_id = $1 and status = 'approved' \
         and photo_id_image_ref is not null and photo_id_key <> '' and created_at >= $2 \
         and {sealed_for} (select 1 from review_item r where r.attempt_id = photo_verification.attempt_id) \
         order by created_at desc, attempt_id desc limit 1"
    ))
    .bind(user.0)
    .bind(to_micros(since))
    .fetch_optional(conn)
    .await?;
    row.as_ref().map(from_row).transpose()
}

/// How many photo verifications exist (all users).
pub async fn count(conn: &mut Conn) -> StoreResult<i64> {
    let (n,): (i64,) = sqlx::query_as("select count(*) from photo_verification").fetch_one(conn).await?;
    Ok(n)
}

/// Takes the attempt's row lock for the rest of the transaction (PostgreSQL; SQLite's
/// write transactions are already exclusive): a no-op update, the same SQL on both.
pub async fn lock(conn: &mut Conn, id: AttemptId) -> StoreResult<()> {
    sqlx::query("update photo_verification set attempt_id = attempt_id where attempt_id = $1")
        .bind(id.0)
        .execute(conn)
        .await?;
    Ok(())
}
