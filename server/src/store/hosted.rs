//! Lookups of a vendor's generic attempts (by the vendor's reference and by learner), for
//! the hosted-flow vendor and the vendors a build adds, and the undo of a replay-guard entry
//! when the change it guarded failed.

use super::{
    Conn, StoreResult,
    kinds::{self, SimpleAttempt},
};
use app::domain::{AttemptKind, UserId};

/// The generic attempt `vendor` knows as `reference`.
pub async fn by_reference(conn: &mut Conn, vendor: &str, reference: &str) -> StoreResult<Option<SimpleAttempt>> {
    let row: Option<(i64,)> =
        sqlx::query_as("select attempt_id from verification_attempt where vendor = $1 and vendor_reference = $2")
            .bind(vendor)
            .bind(reference)
            .fetch_optional(&mut *conn)
            .await?;
    match row {
        Some((id,)) => kinds::by_id(conn, AttemptKind::Generic, id).await,
        None => Ok(None),
    }
}

/// The newest generic attempt of `user` with `vendor`.
pub async fn latest_for_user(conn: &mut Conn, user: UserId, vendor: &str) -> StoreResult<Option<SimpleAttempt>> {
    let row: Option<(i64,)> = sqlx::query_as(
        "select attempt_id from verification_attempt where user_id = $1 and vendor = $2 \
         order by created_at desc, attempt_id desc limit 1",
    )
    .bind(user.0)
    .bind(vendor)
    .fetch_optional(&mut *conn)
    .await?;
    match row {
        Some((id,)) => kinds::by_id(conn, AttemptKind::Generic, id).await,
        None => Ok(None),
    }
}

/// The vendor's reference of generic attempt `id` (None: no such attempt).
pub async fn vendor_reference(conn: &mut Conn, id: i64) -> StoreResult<Option<String>> {
    Ok(sqlx::query_scalar("select vendor_reference from verification_attempt where attempt_id = $1")
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?)
}

/// Removes `digest` from the replay guard, so that the sender's retry of a message whose
/// processing failed on our side is accepted rather than refused as a replay.
pub async fn forget_replay(conn: &mut Conn, digest: &str) -> StoreResult<()> {
    sqlx::query("delete from callback_replay where digest = $1").bind(digest).execute(conn).await?;
    Ok(())
}
