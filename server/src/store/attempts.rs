//! Software Secure photo verification attempts and the transition audit log.

use super::{
    Conn, StoreError, StoreResult,
    time::{from_micros, from_micros_opt, to_micros},
};
use app::domain::{AttemptId, AttemptStatus, UserId};
use chrono::{DateTime, Utc};

/// Who caused a status change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Actor {
    /// The learner themself.
    Learner(UserId),
    /// A staff user.
    Staff(UserId),
    /// A vendor, by name.
    Vendor(String),
    /// Vouch itself (jobs, expiry).
    System,
}

impl Actor {
    fn kind_and_id(&self) -> (&'static str, String) {
        match self {
            Self::Learner(u) => ("learner", u.to_string()),
            Self::Staff(u) => ("staff", u.to_string()),
            Self::Vendor(v) => ("vendor", v.clone()),
            Self::System => ("system", String::new()),
        }
    }
}

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
    /// Status.
    pub status: AttemptStatus,
    /// Vendor-facing id.
    pub receipt_id: String,
    /// Vault key of the face photo.
    pub face_image_ref: Option<String>,
    /// Vault key of the ID photo.
    pub photo_id_image_ref: Option<String>,
    /// Reviewer's message on denial.
    pub error_msg: String,
    /// When an approval expires.
    pub expires_at: Option<DateTime<Utc>>,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Last status change.
    pub status_changed_at: DateTime<Utc>,
}

type Row = (
    i64,
    String,
    i64,
    String,
    String,
    String,
    Option<String>,
    Option<String>,
    String,
    Option<i64>,
    i64,
    i64,
);

const COLUMNS: &str = "attempt_id, uuid, user_id, name, status, receipt_id, face_image_ref, \
                       photo_id_image_ref, error_msg, expires_at, created_at, status_changed_at";

fn from_row(r: Row) -> StoreResult<PhotoVerification> {
    let (
        id,
        uuid,
        user_id,
        name,
        status,
        receipt_id,
        face,
        photo_id,
        error_msg,
        expires,
        created,
        changed,
    ) = r;
    Ok(PhotoVerification {
        id: AttemptId(id),
        uuid,
        user_id: UserId(user_id),
        name,
        status: status
            .parse()
            .map_err(|e| StoreError::Corrupt(format!("{e}")))?,
        receipt_id,
        face_image_ref: face,
        photo_id_image_ref: photo_id,
        error_msg,
        expires_at: from_micros_opt(expires)?,
        created_at: from_micros(created)?,
        status_changed_at: from_micros(changed)?,
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
         photo_id_image_ref, created_at, updated_at, status_changed_at) \
         values ($1, $2, $3, $4, $5, $6, $7, $8, $8, $8) returning attempt_id",
    )
    .bind(&new.uuid)
    .bind(new.user_id.0)
    .bind(&new.name)
    .bind(AttemptStatus::Created.as_str())
    .bind(&new.receipt_id)
    .bind(new.face_image_ref.as_deref())
    .bind(new.photo_id_image_ref.as_deref())
    .bind(t)
    .fetch_one(&mut *conn)
    .await?;
    let id = AttemptId(id);
    append_transition(conn, id, None, AttemptStatus::Created, actor, "", now).await?;
    Ok(id)
}

/// Moves an attempt to `to` if the lifecycle allows it from its current status, and audits
/// the change. The update is conditional on the status read, so two racing writers cannot
/// both apply a transition from the same status.
pub async fn transition(
    conn: &mut Conn,
    id: AttemptId,
    to: AttemptStatus,
    actor: &Actor,
    reason: &str,
    now: DateTime<Utc>,
) -> Result<AttemptStatus, TransitionFailure> {
    let (from,): (String,) =
        sqlx::query_as("select status from photo_verification where attempt_id = $1")
            .bind(id.0)
            .fetch_optional(&mut *conn)
            .await
            .map_err(StoreError::from)?
            .ok_or(TransitionFailure::NotFound)?;
    let from: AttemptStatus = from
        .parse()
        .map_err(|e| StoreError::Corrupt(format!("{e}")))?;
    from.transition(to)?;
    let t = to_micros(now);
    let done = sqlx::query(
        "update photo_verification set status = $1, updated_at = $2, status_changed_at = $2 \
         where attempt_id = $3 and status = $4",
    )
    .bind(to.as_str())
    .bind(t)
    .bind(id.0)
    .bind(from.as_str())
    .execute(&mut *conn)
    .await
    .map_err(StoreError::from)?;
    if done.rows_affected() != 1 {
        return Err(TransitionFailure::Raced);
    }
    append_transition(conn, id, Some(from), to, actor, reason, now).await?;
    Ok(from)
}

/// Why a transition was not applied (nothing was changed).
#[derive(Debug, thiserror::Error)]
pub enum TransitionFailure {
    /// No such attempt.
    #[error("attempt not found")]
    NotFound,
    /// The lifecycle forbids it.
    #[error(transparent)]
    Illegal(#[from] app::domain::TransitionError),
    /// Another writer changed the status first.
    #[error("the attempt changed while it was being updated")]
    Raced,
    /// The database failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

async fn append_transition(
    conn: &mut Conn,
    id: AttemptId,
    from: Option<AttemptStatus>,
    to: AttemptStatus,
    actor: &Actor,
    reason: &str,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    let (kind, actor_id) = actor.kind_and_id();
    sqlx::query(
        "insert into attempt_transition (attempt_kind, attempt_id, from_status, to_status, actor_kind, \
         actor_id, reason, created_at) values ('photo', $1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(id.0)
    .bind(from.map(AttemptStatus::as_str))
    .bind(to.as_str())
    .bind(kind)
    .bind(actor_id)
    .bind(reason)
    .bind(to_micros(now))
    .execute(conn)
    .await?;
    Ok(())
}

/// Every photo verification of a user, newest first.
pub async fn for_user(conn: &mut Conn, user: UserId) -> StoreResult<Vec<PhotoVerification>> {
    let rows: Vec<Row> = sqlx::query_as(&format!(
        "select {COLUMNS} from photo_verification where user_id = $1 order by created_at desc, attempt_id desc"
    ))
    .bind(user.0)
    .fetch_all(conn)
    .await?;
    rows.into_iter().map(from_row).collect()
}

/// The statuses an attempt went through, oldest first: `(from, to)`.
pub async fn history(
    conn: &mut Conn,
    id: AttemptId,
) -> StoreResult<Vec<(Option<AttemptStatus>, AttemptStatus)>> {
    let rows: Vec<(Option<String>, String)> = sqlx::query_as(
        "select from_status, to_status from attempt_transition \
         where attempt_kind = 'photo' and attempt_id = $1 order by transition_id",
    )
    .bind(id.0)
    .fetch_all(conn)
    .await?;
    let parse = |s: &str| {
        s.parse::<AttemptStatus>()
            .map_err(|e| StoreError::Corrupt(format!("{e}")))
    };
    rows.iter()
        .map(|(f, t)| Ok((f.as_deref().map(parse).transpose()?, parse(t)?)))
        .collect()
}

/// How many photo verifications exist (all users).
pub async fn count(conn: &mut Conn) -> StoreResult<i64> {
    let (n,): (i64,) = sqlx::query_as("select count(*) from photo_verification")
        .fetch_one(conn)
        .await?;
    Ok(n)
}
