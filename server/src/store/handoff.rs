//! "Continue on your phone" links: one row per link a desktop showed, found by the SHA-256
//! of its token (the token itself is never stored). Redemption and revocation are
//! conditional updates, so two phones racing for one link cannot both win.

use super::{
    Conn, StoreResult,
    time::{from_micros, from_micros_opt, to_micros},
};
use app::domain::UserId;
use chrono::{DateTime, Utc};

/// A stored hand-off link.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Handoff {
    /// Its id (what the desktop and the phone sessions hold).
    pub id: i64,
    /// The learner whose flow it opens.
    pub user_id: UserId,
    /// When the desktop showed it.
    pub created_at: DateTime<Utc>,
    /// After this, it can no longer be redeemed.
    pub expires_at: DateTime<Utc>,
    /// When a phone redeemed it (at most once).
    pub redeemed_at: Option<DateTime<Utc>>,
    /// When the desktop cancelled it (or replaced it, or signed out).
    pub revoked_at: Option<DateTime<Utc>>,
}

type Row = (i64, i64, i64, i64, Option<i64>, Option<i64>);

const COLUMNS: &str = "handoff_id, user_id, created_at, expires_at, redeemed_at, revoked_at";

fn from_row((id, user, created, expires, redeemed, revoked): Row) -> StoreResult<Handoff> {
    Ok(Handoff {
        id,
        user_id: UserId(user),
        created_at: from_micros(created)?,
        expires_at: from_micros(expires)?,
        redeemed_at: from_micros_opt(redeemed)?,
        revoked_at: from_micros_opt(revoked)?,
    })
}

/// Records a new link for `user`; returns its id.
pub async fn insert(
    conn: &mut Conn,
    user: UserId,
    token_hash: &str,
    now: DateTime<Utc>,
    expires_at: DateTime<Utc>,
) -> StoreResult<i64> {
    let (id,): (i64,) = sqlx::query_as(
        "insert into handoff (user_id, token_hash, created_at, expires_at) values ($1, $2, $3, $4) \
         returning handoff_id",
    )
    .bind(user.0)
    .bind(token_hash)
    .bind(to_micros(now))
    .bind(to_micros(expires_at))
    .fetch_one(conn)
    .await?;
    Ok(id)
}

/// The link with this id.
pub async fn by_id(conn: &mut Conn, id: i64) -> StoreResult<Option<Handoff>> {
    let row: Option<Row> = sqlx::query_as(&format!("select {COLUMNS} from handoff where handoff_id = $1"))
        .bind(id)
        .fetch_optional(conn)
        .await?;
    row.map(from_row).transpose()
}

/// The link whose token hashes to `token_hash`.
pub async fn by_token_hash(conn: &mut Conn, token_hash: &str) -> StoreResult<Option<Handoff>> {
    let row: Option<Row> = sqlx::query_as(&format!("select {COLUMNS} from handoff where token_hash = $1"))
        .bind(token_hash)
        .fetch_optional(conn)
        .await?;
    row.map(from_row).transpose()
}

/// Marks link `id` redeemed at `now` if it still may be (not redeemed, not revoked, not
/// expired); whether this call did it.
pub async fn redeem(conn: &mut Conn, id: i64, now: DateTime<Utc>) -> StoreResult<bool> {
    let done = sqlx::query(
        "update handoff set redeemed_at = $2 \
         where handoff_id = $1 and redeemed_at is null and revoked_at is null and expires_at > $2",
    )
    .bind(id)
    .bind(to_micros(now))
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Revokes link `id` at `now` (a no-op when already revoked).
pub async fn revoke(conn: &mut Conn, id: i64, now: DateTime<Utc>) -> StoreResult<()> {
    sqlx::query("update handoff set revoked_at = $2 where handoff_id = $1 and revoked_at is null")
        .bind(id)
        .bind(to_micros(now))
        .execute(conn)
        .await?;
    Ok(())
}

/// Deletes links revoked before `cutoff`, links that expired unused before it, and used
/// links redeemed before `session_cutoff` (their phone session has ended); how many.
pub async fn purge(conn: &mut Conn, cutoff: DateTime<Utc>, session_cutoff: DateTime<Utc>) -> StoreResult<u64> {
    let done = sqlx::query(
        "delete from handoff where revoked_at < $1 \
         or (redeemed_at is null and expires_at < $1) or redeemed_at < $2",
    )
    .bind(to_micros(cutoff))
    .bind(to_micros(session_cutoff))
    .execute(conn)
    .await?;
    Ok(done.rows_affected())
}

/// The status (as stored) of `user`'s newest photo attempt created at or after `since`.
pub async fn attempt_status_since(conn: &mut Conn, user: UserId, since: DateTime<Utc>) -> StoreResult<Option<String>> {
    let row: Option<(String,)> = sqlx::query_as(
        "select status from photo_verification where user_id = $1 and created_at >= $2 \
         order by created_at desc, attempt_id desc limit 1",
    )
    .bind(user.0)
    .bind(to_micros(since))
    .fetch_optional(conn)
    .await?;
    Ok(row.map(|(s,)| s))
}
