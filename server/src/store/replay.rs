//! The replay guard of vendor callbacks: digests of callbacks already accepted.

use super::{Conn, StoreResult, time::to_micros};
use chrono::{DateTime, Utc};

/// Records `digest` until `keep_until`; false when it was already recorded (a replay).
/// Expired digests are removed first, so the table stays as small as the window.
pub async fn remember(
    conn: &mut Conn,
    digest: &str,
    now: DateTime<Utc>,
    keep_until: DateTime<Utc>,
) -> StoreResult<bool> {
    let now = to_micros(now);
    sqlx::query("delete from callback_replay where expires_at < $1").bind(now).execute(&mut *conn).await?;
    let done =
        sqlx::query("insert into callback_replay (digest, expires_at) values ($1, $2) on conflict (digest) do nothing")
            .bind(digest)
            .bind(to_micros(keep_until))
            .execute(conn)
            .await?;
    Ok(done.rows_affected() == 1)
}
