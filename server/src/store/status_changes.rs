//! `status_change` (SQLite only): the log of learners whose attempts or account changed,
//! written by the triggers of migration 0020, that processes sharing the database file read to
//! keep their status caches current (PostgreSQL sends the same ids with `NOTIFY` instead).

use super::{Conn, StoreResult};
use app::domain::UserId;

/// What changed after a position.
#[derive(Debug, Default)]
pub struct Page {
    /// The learners, once each, in no particular order.
    pub users: Vec<UserId>,
    /// The position to read after next time.
    pub head: i64,
    /// Rows after the position were pruned before they were read: the reader missed changes.
    pub gap: bool,
    /// The page stopped at its limit: more rows may follow.
    pub full: bool,
}

/// The newest position (0 when the log is empty).
pub async fn head(conn: &mut Conn) -> StoreResult<i64> {
    let (head,): (Option<i64>,) = sqlx::query_as("select max(seq) from status_change").fetch_one(&mut *conn).await?;
    Ok(head.unwrap_or(0))
}

/// Up to `limit` changes after position `after`. A page that stops at `limit` reports the
/// position of its last row, so the next read continues from there.
pub async fn after(conn: &mut Conn, after: i64, limit: i64) -> StoreResult<Page> {
    let rows: Vec<(i64, i64)> =
        sqlx::query_as("select seq, user_id from status_change where seq > $1 order by seq limit $2")
            .bind(after)
            .bind(limit)
            .fetch_all(&mut *conn)
            .await?;
    // The rows are contiguous unless some were pruned: the first one must follow `after`,
    // or, when there is none, nothing may have been pruned past `after`.
    let gap = match rows.first() {
        Some(&(first, _)) => first > after + 1 && pruned_past(conn, after).await?,
        None => pruned_past(conn, after).await?,
    };
    let full = rows.len() as i64 >= limit;
    let head = rows.last().map_or(after, |&(seq, _)| seq);
    let mut users: Vec<UserId> = rows.into_iter().map(|(_, u)| UserId(u)).collect();
    users.sort_unstable();
    users.dedup();
    Ok(Page { users, head, gap, full })
}

/// Whether rows after `after` were pruned: the prune mark records the highest position ever
/// deleted.
async fn pruned_past(conn: &mut Conn, after: i64) -> StoreResult<bool> {
    let (mark,): (i64,) =
        sqlx::query_as("select pruned_through from status_change_pruned").fetch_one(&mut *conn).await?;
    Ok(mark > after)
}

/// Deletes changes older than `before_secs` (Unix seconds), keeping the newest row so that
/// positions keep growing; returns how many went.
pub async fn prune(conn: &mut Conn, before_secs: i64) -> StoreResult<u64> {
    let (through,): (Option<i64>,) = sqlx::query_as(
        "select max(seq) from status_change where changed_at < $1 and seq < (select max(seq) from status_change)",
    )
    .bind(before_secs)
    .fetch_one(&mut *conn)
    .await?;
    let Some(through) = through else { return Ok(0) };
    let gone = sqlx::query("delete from status_change where seq <= $1").bind(through).execute(&mut *conn).await?;
    sqlx::query("update status_change_pruned set pruned_through = $1 where pruned_through < $1")
        .bind(through)
        .execute(&mut *conn)
        .await?;
    Ok(gone.rows_affected())
}

/// Which learners a transaction touched, read inside it just before its commit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Touched {
    /// These learners (possibly none).
    Users(Vec<UserId>),
    /// Too many to list: forget everything.
    All,
}

/// SQLite: the newest position, read right after the transaction took the write lock, so
/// every row after it is this transaction's own.
pub async fn mark(conn: &mut Conn) -> StoreResult<i64> {
    head(conn).await
}

/// SQLite: the learners this transaction logged after `mark`.
pub async fn touched_since(conn: &mut Conn, mark: i64) -> StoreResult<Touched> {
    let rows: Vec<(i64,)> = sqlx::query_as("select distinct user_id from status_change where seq > $1")
        .bind(mark)
        .fetch_all(&mut *conn)
        .await?;
    Ok(Touched::Users(rows.into_iter().map(|(u,)| UserId(u)).collect()))
}

/// PostgreSQL: the learners the triggers noted in this transaction's `vouch.touched`.
pub async fn touched_in_transaction(conn: &mut Conn) -> StoreResult<Touched> {
    let (seen,): (Option<String>,) =
        sqlx::query_as("select current_setting('vouch.touched', true)").fetch_one(&mut *conn).await?;
    Ok(parse_touched(seen.as_deref().unwrap_or_default()))
}

fn parse_touched(seen: &str) -> Touched {
    if seen == "*" {
        return Touched::All;
    }
    let mut users = Vec::new();
    for part in seen.split(',').filter(|p| !p.is_empty()) {
        match part.parse() {
            Ok(id) => users.push(UserId(id)),
            Err(_) => return Touched::All,
        }
    }
    Touched::Users(users)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn touched_lists_parse_and_anything_odd_means_everything() {
        assert_eq!(parse_touched(""), Touched::Users(vec![]));
        assert_eq!(parse_touched("3,17,"), Touched::Users(vec![UserId(3), UserId(17)]));
        assert_eq!(parse_touched("*"), Touched::All);
        assert_eq!(parse_touched("3,x,"), Touched::All);
    }
}
