//! Which database-only reactions handled which events (see migration 0019): the marker that
//! makes a second delivery of an event change nothing.

use super::{Conn, StoreResult, time::to_micros};
use chrono::{DateTime, Utc};

/// Records that `reaction` handled event `event_id`, in the caller's transaction; false
/// when it had already (the caller then writes nothing).
pub async fn claim(conn: &mut Conn, reaction: &str, event_id: &str, now: DateTime<Utc>) -> StoreResult<bool> {
    let done = sqlx::query(
        "insert into reaction_done (reaction, event_id, done_at) values ($1, $2, $3) \
         on conflict (reaction, event_id) do nothing",
    )
    .bind(reaction)
    .bind(event_id)
    .bind(to_micros(now))
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}
