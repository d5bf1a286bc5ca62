//! The event outbox: one row per status change, written by `transitions::append` in the
//! transaction of the change, with the job that fans it out queued in the same transaction.
//! If the transaction rolls back, neither the event nor its job exists. The fan-out and the
//! subscribers are `crate::reactions`; the store knows only the job's kind.

use super::{
    Conn, StoreError, StoreResult, jobs, kinds,
    time::{from_micros_opt, to_micros},
};
use crate::events::{Event, EventData, EventType, EventUser};
use app::domain::{AnyStatus, AttemptKind};
use chrono::{DateTime, Utc};

/// The job kind that fans an event out to the subscribers (see `reactions::dispatch`).
pub const DISPATCH_JOB: &str = "events.dispatch";

/// Tries of the fan-out job; it only writes rows, so failures are brief database trouble.
const DISPATCH_MAX_ATTEMPTS: i32 = 20;

/// An event as stored, with its position in the outbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredEvent {
    /// Position: later changes have larger numbers.
    pub seq: i64,
    /// The event.
    pub event: Event,
    /// The exact JSON sent to webhooks (what their signature covers).
    pub payload: String,
    /// When it was fanned out, if it was.
    pub dispatched_at: Option<DateTime<Utc>>,
}

/// uuid, name, expires_at, user_id, username, email, full_name.
type AttemptAndUser = (String, String, Option<i64>, i64, String, String, String);

/// Writes the event of attempt `id` of `kind` entering status `to` (from `from`), reading
/// the attempt and learner as they are now in this transaction, and queues its fan-out.
/// A write that leaves the status unchanged is not a transition and records nothing.
pub async fn record_transition(
    conn: &mut Conn,
    kind: AttemptKind,
    id: i64,
    from: Option<&str>,
    to: &str,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    if from == Some(to) {
        return Ok(());
    }
    let status = |s: &str| {
        AnyStatus::parse(kind, s)
            .map_err(|_| StoreError::Corrupt(format!("status {s:?} of a {} attempt", kind.as_str())))
    };
    let to = status(to)?;
    let from = from.map(status).transpose()?;
    append(conn, EventType::for_status(to), kind, id, from, to, now).await
}

/// Writes the event that the approval of attempt `id` of `kind` expired (its status stays
/// approved), and queues its fan-out.
pub async fn record_expiry(conn: &mut Conn, kind: AttemptKind, id: i64, now: DateTime<Utc>) -> StoreResult<()> {
    let approved = AnyStatus::parse(kind, "approved").map_err(|e| StoreError::Corrupt(e.to_string()))?;
    append(conn, EventType::Expired, kind, id, Some(approved), approved, now).await
}

/// Writes one event about attempt `id` of `kind`, now in `status`.
async fn append(
    conn: &mut Conn,
    event_type: EventType,
    kind: AttemptKind,
    id: i64,
    from: Option<AnyStatus>,
    status: AnyStatus,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    let sql = format!(
        "select a.uuid, a.name, a.expires_at, u.user_id, u.username, u.email, u.full_name \
         from {} a join app_user u on u.user_id = a.user_id where a.attempt_id = $1",
        kinds::table(kind)
    );
    let row: Option<AttemptAndUser> = sqlx::query_as(&sql).bind(id).fetch_optional(&mut *conn).await?;
    let Some((uuid, name, expires_at, user_id, username, email, full_name)) = row else {
        return Err(StoreError::Corrupt(format!("{} attempt {id} vanished in its own transaction", kind.as_str())));
    };
    let event = Event {
        event_type,
        event_id: uuid::Uuid::new_v4().to_string(),
        time: now,
        data: EventData {
            attempt_uuid: uuid,
            attempt_kind: kind,
            previous_status: from,
            status,
            name,
            expiration: from_micros_opt(expires_at)?,
            user: EventUser { id: user_id, username, email, full_name },
        },
    };
    let payload = serde_json::to_string(&event).map_err(|e| StoreError::Corrupt(format!("event JSON: {e}")))?;
    sqlx::query(
        "insert into event_outbox (event_id, event_type, attempt_kind, attempt_id, attempt_uuid, user_id, payload, \
         created_at) values ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(&event.event_id)
    .bind(event.event_type.name())
    .bind(kind.as_str())
    .bind(id)
    .bind(&event.data.attempt_uuid)
    .bind(user_id)
    .bind(&payload)
    .bind(to_micros(now))
    .execute(&mut *conn)
    .await?;
    let job = serde_json::json!({ "event_id": event.event_id }).to_string();
    let key = format!("{DISPATCH_JOB}:{}", event.event_id);
    jobs::enqueue(conn, DISPATCH_JOB, &job, &key, DISPATCH_MAX_ATTEMPTS, now).await?;
    Ok(())
}

type Row = (i64, String, Option<i64>);

fn from_row((seq, payload, dispatched_at): Row) -> StoreResult<StoredEvent> {
    let event: Event = serde_json::from_str(&payload).map_err(|e| StoreError::Corrupt(format!("event JSON: {e}")))?;
    Ok(StoredEvent { seq, event, payload, dispatched_at: from_micros_opt(dispatched_at)? })
}

/// The event with this id.
pub async fn by_event_id(conn: &mut Conn, event_id: &str) -> StoreResult<Option<StoredEvent>> {
    let row: Option<Row> =
        sqlx::query_as("select event_row_id, payload, dispatched_at from event_outbox where event_id = $1")
            .bind(event_id)
            .fetch_optional(conn)
            .await?;
    row.map(from_row).transpose()
}

/// The events of one attempt, oldest first.
pub async fn for_attempt(conn: &mut Conn, attempt_uuid: &str) -> StoreResult<Vec<StoredEvent>> {
    let rows: Vec<Row> = sqlx::query_as(
        "select event_row_id, payload, dispatched_at from event_outbox where attempt_uuid = $1 order by event_row_id",
    )
    .bind(attempt_uuid)
    .fetch_all(conn)
    .await?;
    rows.into_iter().map(from_row).collect()
}

/// Every event, oldest first, at most `limit` after position `after`.
pub async fn page(conn: &mut Conn, after: i64, limit: i64) -> StoreResult<Vec<StoredEvent>> {
    let rows: Vec<Row> = sqlx::query_as(
        "select event_row_id, payload, dispatched_at from event_outbox where event_row_id > $1 \
         order by event_row_id limit $2",
    )
    .bind(after)
    .bind(limit)
    .fetch_all(conn)
    .await?;
    rows.into_iter().map(from_row).collect()
}

/// Event `event_id` if it is not fanned out yet, locked for this transaction on PostgreSQL
/// (waiting while another transaction holds it: that one is fanning it out).
pub async fn lock_undispatched(
    conn: &mut Conn,
    backend: super::Backend,
    event_id: &str,
) -> StoreResult<Option<StoredEvent>> {
    let lock = match backend {
        super::Backend::Postgres => "for update",
        super::Backend::Sqlite => "",
    };
    let row: Option<Row> = sqlx::query_as(&format!(
        "select event_row_id, payload, dispatched_at from event_outbox where event_id = $1 and dispatched_at is null \
         {lock}"
    ))
    .bind(event_id)
    .fetch_optional(conn)
    .await?;
    row.map(from_row).transpose()
}

/// Events not fanned out yet, oldest first, at most `limit`. On PostgreSQL each is locked
/// for this transaction, and those another transaction holds (another worker fanning them
/// out) are skipped.
pub async fn undispatched(conn: &mut Conn, backend: super::Backend, limit: i64) -> StoreResult<Vec<StoredEvent>> {
    let lock = match backend {
        super::Backend::Postgres => "for update skip locked",
        super::Backend::Sqlite => "",
    };
    let rows: Vec<Row> = sqlx::query_as(&format!(
        "select event_row_id, payload, dispatched_at from event_outbox where dispatched_at is null \
         order by event_row_id limit $1 {lock}"
    ))
    .bind(limit)
    .fetch_all(conn)
    .await?;
    // An event that does not decode (written by a newer version during a rolling upgrade, say)
    // is left to its own fan-out job to fail on, rather than stopping every batch it is in.
    Ok(rows
        .into_iter()
        .filter_map(|row| {
            let seq = row.0;
            from_row(row).map_err(|e| tracing::warn!(event.seq = seq, error = %e, "an event is unreadable")).ok()
        })
        .collect())
}

/// Marks an event as fanned out (once; later calls change nothing). Returns whether this
/// call did.
pub async fn mark_dispatched(conn: &mut Conn, event_id: &str, now: DateTime<Utc>) -> StoreResult<bool> {
    let done = sqlx::query("update event_outbox set dispatched_at = $1 where event_id = $2 and dispatched_at is null")
        .bind(to_micros(now))
        .bind(event_id)
        .execute(conn)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// How many events the outbox holds.
pub async fn count(conn: &mut Conn) -> StoreResult<i64> {
    let (n,): (i64,) = sqlx::query_as("select count(*) from event_outbox").fetch_one(conn).await?;
    Ok(n)
}

/// Removes a retired learner's name, email and profile name from their stored events (so
/// deliveries still waiting send no personal data). Returns how many events changed.
pub async fn scrub_user(conn: &mut Conn, user: app::domain::UserId) -> StoreResult<u64> {
    let rows: Vec<(i64, String)> = sqlx::query_as("select event_row_id, payload from event_outbox where user_id = $1")
        .bind(user.0)
        .fetch_all(&mut *conn)
        .await?;
    let mut n = 0;
    for (seq, payload) in rows {
        let mut event: Event =
            serde_json::from_str(&payload).map_err(|e| StoreError::Corrupt(format!("event JSON: {e}")))?;
        event.data.name.clear();
        event.data.user.email.clear();
        event.data.user.full_name.clear();
        let scrubbed = serde_json::to_string(&event).map_err(|e| StoreError::Corrupt(format!("event JSON: {e}")))?;
        sqlx::query("update event_outbox set payload = $1 where event_row_id = $2")
            .bind(scrubbed)
            .bind(seq)
            .execute(&mut *conn)
            .await?;
        n += 1;
    }
    Ok(n)
}
