//! Outbound webhook deliveries: one row per event and webhook URL. `pending` until the
//! receiver answers 2xx (`delivered`); `dead` after the last try, until staff queue it again.

use super::{
    Conn, StoreResult,
    time::{from_micros, from_micros_opt, to_micros},
};
use chrono::{DateTime, Utc};
use serde::Serialize;

/// The status of a delivery.
pub const PENDING: &str = "pending";
/// Delivered.
pub const DELIVERED: &str = "delivered";
/// Given up after the last try.
pub const DEAD: &str = "dead";

/// A delivery, as staff see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Delivery {
    /// Id.
    pub id: i64,
    /// The event delivered.
    pub event_id: String,
    /// Its versioned name.
    pub event_type: String,
    /// The receiver.
    pub url: String,
    /// `pending`, `delivered` or `dead`.
    pub status: String,
    /// POSTs made so far.
    pub tries: i64,
    /// Why the last try failed (empty if none did).
    pub last_error: String,
    /// The receiver's last HTTP status, if it answered.
    pub last_status_code: Option<i64>,
    /// How many times staff queued it again.
    pub manual_retries: i64,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
    /// When the receiver accepted it.
    pub delivered_at: Option<DateTime<Utc>>,
}

const COLUMNS: &str = "delivery_id, event_id, event_type, webhook_url, status, tries, last_error, last_status_code, \
                       manual_retries, created_at, updated_at, delivered_at";

type Row = (i64, String, String, String, String, i64, String, Option<i64>, i64, i64, i64, Option<i64>);

fn from_row(r: Row) -> StoreResult<Delivery> {
    let (id, event_id, event_type, url, status, tries, last_error, last_status_code, manual_retries, c, u, d) = r;
    Ok(Delivery {
        id,
        event_id,
        event_type,
        url,
        status,
        tries,
        last_error,
        last_status_code,
        manual_retries,
        created_at: from_micros(c)?,
        updated_at: from_micros(u)?,
        delivered_at: from_micros_opt(d)?,
    })
}

/// Creates the delivery of `event_id` to `url` unless it exists; returns its id either way.
pub async fn ensure(
    conn: &mut Conn,
    event_id: &str,
    event_type: &str,
    url: &str,
    now: DateTime<Utc>,
) -> StoreResult<i64> {
    let t = to_micros(now);
    sqlx::query(
        "insert into webhook_delivery (event_id, event_type, webhook_url, status, created_at, updated_at) \
         values ($1, $2, $3, $4, $5, $5) on conflict (event_id, webhook_url) do nothing",
    )
    .bind(event_id)
    .bind(event_type)
    .bind(url)
    .bind(PENDING)
    .bind(t)
    .execute(&mut *conn)
    .await?;
    let (id,): (i64,) =
        sqlx::query_as("select delivery_id from webhook_delivery where event_id = $1 and webhook_url = $2")
            .bind(event_id)
            .bind(url)
            .fetch_one(conn)
            .await?;
    Ok(id)
}

/// The delivery with this id.
pub async fn by_id(conn: &mut Conn, id: i64) -> StoreResult<Option<Delivery>> {
    let row: Option<Row> = sqlx::query_as(&format!("select {COLUMNS} from webhook_delivery where delivery_id = $1"))
        .bind(id)
        .fetch_optional(conn)
        .await?;
    row.map(from_row).transpose()
}

/// Records one try: its outcome (`delivered`, or still `pending`), the error and HTTP status.
pub async fn record_try(
    conn: &mut Conn,
    id: i64,
    delivered: bool,
    error: &str,
    status_code: Option<i64>,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    let t = to_micros(now);
    sqlx::query(
        "update webhook_delivery set tries = tries + 1, last_error = $1, last_status_code = $2, updated_at = $3, \
         status = case when $4 = 1 then 'delivered' else status end, \
         delivered_at = case when $4 = 1 then $3 else delivered_at end \
         where delivery_id = $5",
    )
    .bind(error)
    .bind(status_code)
    .bind(t)
    .bind(i64::from(delivered))
    .bind(id)
    .execute(conn)
    .await?;
    Ok(())
}

/// Dead-letters a delivery that is still pending.
pub async fn mark_dead(conn: &mut Conn, id: i64, error: &str, now: DateTime<Utc>) -> StoreResult<()> {
    sqlx::query(
        "update webhook_delivery set status = 'dead', last_error = $1, updated_at = $2 \
         where delivery_id = $3 and status = 'pending'",
    )
    .bind(error)
    .bind(to_micros(now))
    .bind(id)
    .execute(conn)
    .await?;
    Ok(())
}

/// Puts a dead delivery back to pending; returns its new manual retry count, or None when
/// it was not dead (nothing changed).
pub async fn revive(conn: &mut Conn, id: i64, now: DateTime<Utc>) -> StoreResult<Option<i64>> {
    let row: Option<(i64,)> = sqlx::query_as(
        "update webhook_delivery set status = 'pending', manual_retries = manual_retries + 1, updated_at = $1 \
         where delivery_id = $2 and status = 'dead' returning manual_retries",
    )
    .bind(to_micros(now))
    .bind(id)
    .fetch_optional(conn)
    .await?;
    Ok(row.map(|(n,)| n))
}

/// One page of deliveries (newest first), optionally of one status, and the total count.
pub async fn list(conn: &mut Conn, status: Option<&str>, offset: i64, limit: i64) -> StoreResult<(Vec<Delivery>, i64)> {
    let (total,): (i64,) = sqlx::query_as("select count(*) from webhook_delivery where ($1 is null or status = $1)")
        .bind(status)
        .fetch_one(&mut *conn)
        .await?;
    let rows: Vec<Row> = sqlx::query_as(&format!(
        "select {COLUMNS} from webhook_delivery where ($1 is null or status = $1) \
         order by delivery_id desc limit $2 offset $3"
    ))
    .bind(status)
    .bind(limit)
    .bind(offset)
    .fetch_all(conn)
    .await?;
    Ok((rows.into_iter().map(from_row).collect::<StoreResult<_>>()?, total))
}
