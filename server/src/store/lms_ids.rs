//! Finding Vouch users by the ids an LMS holds: its own user ids (the `user_id` claim of
//! its JWT, stored as `lms_user_id` at sign-in) and usernames. Batches are read in chunks
//! of bound parameters, one query per chunk, never one per user.

use super::{Conn, StoreResult};
use app::domain::UserId;

/// Bound parameters per query: well under SQLite's (32,766) and PostgreSQL's (65,535) limits.
const CHUNK: usize = 500;

fn placeholders(n: usize) -> String {
    (1..=n).map(|i| format!("${i}")).collect::<Vec<_>>().join(", ")
}

/// `(lms_user_id, user)` for each id of `lms_ids` that belongs to a Vouch user; ids the LMS
/// never signed in with are left out.
pub async fn users_by_lms_ids(conn: &mut Conn, lms_ids: &[i64]) -> StoreResult<Vec<(i64, UserId)>> {
    let mut out = Vec::new();
    for chunk in lms_ids.chunks(CHUNK) {
        let sql =
            format!("select lms_user_id, user_id from app_user where lms_user_id in ({})", placeholders(chunk.len()));
        let mut q = sqlx::query_as::<_, (i64, i64)>(&sql);
        for id in chunk {
            q = q.bind(*id);
        }
        out.extend(q.fetch_all(&mut *conn).await?.into_iter().map(|(lms, user)| (lms, UserId(user))));
    }
    Ok(out)
}

/// `(username, user)` for each of `usernames` that names a Vouch user.
pub async fn users_by_usernames(conn: &mut Conn, usernames: &[&str]) -> StoreResult<Vec<(String, UserId)>> {
    let mut out = Vec::new();
    for chunk in usernames.chunks(CHUNK) {
        let sql = format!("select username, user_id from app_user where username in ({})", placeholders(chunk.len()));
        let mut q = sqlx::query_as::<_, (String, i64)>(&sql);
        for name in chunk {
            q = q.bind(*name);
        }
        out.extend(q.fetch_all(&mut *conn).await?.into_iter().map(|(name, user)| (name, UserId(user))));
    }
    Ok(out)
}
