//! The in-house review queue: one `review_item` per in_house attempt, claims that lapse,
//! and the `review_decision` log.
//!
//! A claim is one conditional `update … where <unclaimed> … returning`, so two reviewers
//! can never hold the same attempt: on PostgreSQL the candidate is picked `for update skip
//! locked` (a row another reviewer is claiming is passed over, and the outer condition is
//! checked again on the row's newest version); on SQLite the statement runs under the
//! database's single write lock. A claim is live while `claimed_until > now`.

use super::{
    Backend, Conn, StoreResult,
    time::{from_micros, from_micros_opt, to_micros},
};
use app::domain::{AttemptId, UserId};
use chrono::{DateTime, Utc};
use sqlx::{Row, any::AnyRow};

/// One in_house attempt in (or once in) the queue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReviewItem {
    /// The attempt.
    pub attempt_id: AttemptId,
    /// Its receipt id (the reviewers' handle on it).
    pub receipt_id: String,
    /// The learner.
    pub user_id: UserId,
    /// When it entered the queue.
    pub queued_at: DateTime<Utc>,
    /// Who claimed it last (the claim may have lapsed).
    pub claimed_by: Option<UserId>,
    /// Until when.
    pub claimed_until: Option<DateTime<Utc>>,
    /// The reviewer of a first denial waiting for a second look.
    pub first_reviewer: Option<UserId>,
    /// That denial's reasons (the vendor's error format).
    pub first_reasons: Option<String>,
    /// That reviewer's note.
    pub first_note: String,
    /// The final decision's reviewer.
    pub decided_by: Option<UserId>,
    /// When it was decided for good (out of the queue).
    pub decided_at: Option<DateTime<Utc>>,
}

impl ReviewItem {
    /// Whether `reviewer` holds a live claim on it at `now`.
    pub fn held_by(&self, reviewer: UserId, now: DateTime<Utc>) -> bool {
        self.claimed_by == Some(reviewer) && self.claimed_until.is_some_and(|t| t > now)
    }
}

const COLUMNS: &str = "attempt_id, receipt_id, user_id, queued_at, claimed_by, claimed_until, first_reviewer, \
                       first_reasons, first_note, decided_by, decided_at";

fn from_row(row: &AnyRow) -> StoreResult<ReviewItem> {
    Ok(ReviewItem {
        attempt_id: AttemptId(row.try_get("attempt_id")?),
        receipt_id: row.try_get("receipt_id")?,
        user_id: UserId(row.try_get("user_id")?),
        queued_at: from_micros(row.try_get("queued_at")?)?,
        claimed_by: row.try_get::<Option<i64>, _>("claimed_by")?.map(UserId),
        claimed_until: from_micros_opt(row.try_get("claimed_until")?)?,
        first_reviewer: row.try_get::<Option<i64>, _>("first_reviewer")?.map(UserId),
        first_reasons: row.try_get("first_reasons")?,
        first_note: row.try_get("first_note")?,
        decided_by: row.try_get::<Option<i64>, _>("decided_by")?.map(UserId),
        decided_at: from_micros_opt(row.try_get("decided_at")?)?,
    })
}

/// Puts a submitted in_house attempt in the queue (the submitting transaction).
pub async fn enqueue(
    conn: &mut Conn,
    attempt: AttemptId,
    receipt_id: &str,
    user: UserId,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    sqlx::query("insert into review_item (attempt_id, receipt_id, user_id, queued_at) values ($1, $2, $3, $4)")
        .bind(attempt.0)
        .bind(receipt_id)
        .bind(user.0)
        .bind(to_micros(now))
        .execute(conn)
        .await?;
    Ok(())
}

/// The queue item of `receipt_id`.
pub async fn by_receipt(conn: &mut Conn, receipt_id: &str) -> StoreResult<Option<ReviewItem>> {
    let row = sqlx::query(&format!("select {COLUMNS} from review_item where receipt_id = $1"))
        .bind(receipt_id)
        .fetch_optional(conn)
        .await?;
    row.as_ref().map(from_row).transpose()
}

/// In the queue: undecided, and the attempt still waiting (`submitted`; one decided
/// another way, e.g. `vouch approve`, has left the queue).
const IN_QUEUE: &str = "r.decided_at is null and exists (select 1 from photo_verification p \
                        where p.attempt_id = r.attempt_id and p.status = 'submitted')";

/// The item `reviewer` holds a live claim on at `now`, if any.
pub async fn held(conn: &mut Conn, reviewer: UserId, now: DateTime<Utc>) -> StoreResult<Option<ReviewItem>> {
    let row = sqlx::query(&format!(
        "select {COLUMNS} from review_item r where r.claimed_by = $1 and r.claimed_until > $2 and {IN_QUEUE} \
         order by r.queued_at, r.attempt_id limit 1"
    ))
    .bind(reviewer.0)
    .bind(to_micros(now))
    .fetch_optional(conn)
    .await?;
    row.as_ref().map(from_row).transpose()
}

/// Claims for `reviewer` until `until` the oldest item nobody holds at `now` (a lapsed claim
/// is no claim) that is not the reviewer's own attempt nor one whose first denial they
/// made, and only while the reviewer holds no other live claim (one at a time, even under
/// concurrent claims). `None` when the claim found nothing or lost a race (the caller may
/// try again).
pub async fn claim_next(
    conn: &mut Conn,
    backend: Backend,
    reviewer: UserId,
    until: DateTime<Utc>,
    now: DateTime<Utc>,
) -> StoreResult<Option<AttemptId>> {
    let lock = match backend {
        Backend::Postgres => {
            // One claim at a time per reviewer: concurrent claims by the same reviewer queue
            // on their account row, so the "holds no live claim" test below sees the claim
            // the other one committed (SQLite's write transactions are already exclusive).
            sqlx::query("select user_id from app_user where user_id = $1 for update")
                .bind(reviewer.0)
                .fetch_optional(&mut *conn)
                .await?;
            "for update skip locked"
        }
        Backend::Sqlite => "",
    };
    let sql = format!(
        "update review_item set claimed_by = $1, claimed_until = $2 \
         where attempt_id = (select r.attempt_id from review_item r \
             where {IN_QUEUE} and (r.claimed_until is null or r.claimed_until <= $3) and r.user_id <> $1 \
             and (r.first_reviewer is null or r.first_reviewer <> $1) \
             and not exists (select 1 from review_item h where h.claimed_by = $1 and h.claimed_until > $3 \
                 and h.decided_at is null and exists (select 1 from photo_verification p \
                 where p.attempt_id = h.attempt_id and p.status = 'submitted')) \
             order by r.queued_at, r.attempt_id limit 1 {lock}) \
         and decided_at is null and (claimed_until is null or claimed_until <= $3) \
         returning attempt_id"
    );
    let row: Option<(i64,)> =
        sqlx::query_as(&sql).bind(reviewer.0).bind(to_micros(until)).bind(to_micros(now)).fetch_optional(conn).await?;
    Ok(row.map(|(id,)| AttemptId(id)))
}

/// Gives back a claim: `holder`'s live one, or anyone's when `holder` is `None` (staff).
/// Returns whether a claim was dropped.
pub async fn release(
    conn: &mut Conn,
    attempt: AttemptId,
    holder: Option<UserId>,
    now: DateTime<Utc>,
) -> StoreResult<bool> {
    let done = sqlx::query(
        "update review_item set claimed_by = null, claimed_until = null where attempt_id = $1 and decided_at is null \
         and claimed_until > $2 and ($3 = 0 or claimed_by = $4)",
    )
    .bind(attempt.0)
    .bind(to_micros(now))
    .bind(i64::from(holder.is_some()))
    .bind(holder.map_or(0, |u| u.0))
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Records a first denial by `reviewer` (who must hold the claim at `now`) and puts the
/// item back in the queue for someone else. Returns false when the claim was not held.
pub async fn record_first_denial(
    conn: &mut Conn,
    attempt: AttemptId,
    reviewer: UserId,
    reasons: &str,
    note: &str,
    now: DateTime<Utc>,
) -> StoreResult<bool> {
    let done = sqlx::query(
        "update review_item set first_reviewer = $1, first_reasons = $2, first_note = $3, claimed_by = null, \
         claimed_until = null where attempt_id = $4 and decided_at is null and first_reviewer is null \
         and claimed_by = $1 and claimed_until > $5",
    )
    .bind(reviewer.0)
    .bind(reasons)
    .bind(note)
    .bind(attempt.0)
    .bind(to_micros(now))
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Takes the item out of the queue, decided by `reviewer` (who must hold the claim at
/// `now`). Returns false when the claim was not held or it was decided already.
pub async fn mark_decided(
    conn: &mut Conn,
    attempt: AttemptId,
    reviewer: UserId,
    decision: &str,
    now: DateTime<Utc>,
) -> StoreResult<bool> {
    let done = sqlx::query(
        "update review_item set decided_by = $1, decided_at = $2, decision = $3, claimed_by = null, \
         claimed_until = null where attempt_id = $4 and decided_at is null and claimed_by = $1 and claimed_until > $2",
    )
    .bind(reviewer.0)
    .bind(to_micros(now))
    .bind(decision)
    .bind(attempt.0)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// A reviewer's decision to record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewDecision<'a> {
    /// The attempt.
    pub attempt: AttemptId,
    /// Who.
    pub reviewer: UserId,
    /// `approve` or `deny`.
    pub decision: &'a str,
    /// The reasons in the vendor's error format (empty for an approval).
    pub reasons: &'a str,
    /// The reviewer's note (for reviewers, never shown to the learner).
    pub note: &'a str,
    /// Whether it decided the attempt (false: a first denial awaiting a second look).
    pub final_: bool,
    /// When the attempt entered the queue (for the time to decision).
    pub queued_at: DateTime<Utc>,
}

/// A recorded decision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    /// The attempt.
    pub attempt: AttemptId,
    /// Who.
    pub reviewer: UserId,
    /// `approve` or `deny`.
    pub decision: String,
    /// The reasons (vendor error format).
    pub reasons: String,
    /// Final or first of two.
    pub final_: bool,
    /// When.
    pub at: DateTime<Utc>,
}

/// Appends a decision to the log.
pub async fn record_decision(conn: &mut Conn, d: &NewDecision<'_>, now: DateTime<Utc>) -> StoreResult<()> {
    sqlx::query(
        "insert into review_decision (attempt_id, reviewer_id, decision, reasons, note, final, queued_at, created_at) \
         values ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(d.attempt.0)
    .bind(d.reviewer.0)
    .bind(d.decision)
    .bind(d.reasons)
    .bind(d.note)
    .bind(i64::from(d.final_))
    .bind(to_micros(d.queued_at))
    .bind(to_micros(now))
    .execute(conn)
    .await?;
    Ok(())
}

/// Every decision about the attempts of `user`, oldest first.
pub async fn decisions_for_user(conn: &mut Conn, user: UserId) -> StoreResult<Vec<Decision>> {
    let rows: Vec<(i64, i64, String, String, i64, i64)> = sqlx::query_as(
        "select d.attempt_id, d.reviewer_id, d.decision, d.reasons, d.final, d.created_at from review_decision d \
         join review_item r on r.attempt_id = d.attempt_id where r.user_id = $1 order by d.review_decision_id",
    )
    .bind(user.0)
    .fetch_all(conn)
    .await?;
    rows.into_iter()
        .map(|(attempt, reviewer, decision, reasons, final_, at)| {
            Ok(Decision {
                attempt: AttemptId(attempt),
                reviewer: UserId(reviewer),
                decision,
                reasons,
                final_: final_ != 0,
                at: from_micros(at)?,
            })
        })
        .collect()
}

/// The queue at a moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct QueueFigures {
    /// Attempts waiting (claimed or not).
    pub size: i64,
    /// When the oldest of them entered the queue.
    pub oldest: Option<DateTime<Utc>>,
    /// Of them, held by a live claim.
    pub claimed: i64,
}

/// The queue's size, oldest entry and live claims at `now`.
pub async fn queue_figures(conn: &mut Conn, now: DateTime<Utc>) -> StoreResult<QueueFigures> {
    let (size, oldest, claimed): (i64, Option<i64>, Option<i64>) = sqlx::query_as(&format!(
        "select count(*), min(r.queued_at), sum(case when r.claimed_until > $1 then 1 else 0 end) \
         from review_item r where {IN_QUEUE}"
    ))
    .bind(to_micros(now))
    .fetch_one(conn)
    .await?;
    Ok(QueueFigures { size, oldest: from_micros_opt(oldest)?, claimed: claimed.unwrap_or(0) })
}

/// How long each final decision since `since` took from queue to decision, in seconds.
pub async fn decision_secs_since(conn: &mut Conn, since: DateTime<Utc>) -> StoreResult<Vec<i64>> {
    let rows: Vec<(i64, i64)> = sqlx::query_as(
        "select queued_at, created_at from review_decision where final = 1 and created_at >= $1 order by created_at",
    )
    .bind(to_micros(since))
    .fetch_all(conn)
    .await?;
    Ok(rows.into_iter().map(|(q, c)| (c - q).max(0) / 1_000_000).collect())
}

/// Marks the current too-old episode alerted; false when it already was (so exactly one
/// runner queues its alert).
pub async fn start_alert_episode(conn: &mut Conn, now: DateTime<Utc>) -> StoreResult<bool> {
    sqlx::query(
        "insert into review_alert (review_alert_id, alerted, changed_at) values (1, 0, $1) \
         on conflict (review_alert_id) do nothing",
    )
    .bind(to_micros(now))
    .execute(&mut *conn)
    .await?;
    let done =
        sqlx::query("update review_alert set alerted = 1, changed_at = $1 where review_alert_id = 1 and alerted = 0")
            .bind(to_micros(now))
            .execute(conn)
            .await?;
    Ok(done.rows_affected() == 1)
}

/// Ends the too-old episode (the queue is back under the threshold).
pub async fn end_alert_episode(conn: &mut Conn, now: DateTime<Utc>) -> StoreResult<()> {
    sqlx::query("update review_alert set alerted = 0, changed_at = $1 where review_alert_id = 1 and alerted = 1")
        .bind(to_micros(now))
        .execute(conn)
        .await?;
    Ok(())
}

/// Clears reviewers' notes about a retired learner's attempts (free text that may name them).
pub async fn scrub_user(conn: &mut Conn, user: UserId) -> StoreResult<()> {
    sqlx::query(
        "update review_decision set note = '' where attempt_id in (select attempt_id from review_item where user_id = $1)",
    )
    .bind(user.0)
    .execute(&mut *conn)
    .await?;
    sqlx::query("update review_item set first_note = '' where user_id = $1").bind(user.0).execute(conn).await?;
    Ok(())
}

/// What `review_item.decision` says of an item closed because its learner was retired (no
/// reviewer decided it).
pub const RETIRED: &str = "retired";

/// Takes a retired learner's undecided items out of the queue (the retiring transaction):
/// their photos are gone, so nobody could review them. Closed at `now` with the
/// [`RETIRED`] marker and no claim; returns how many were closed.
pub async fn close_for_retired(conn: &mut Conn, user: UserId, now: DateTime<Utc>) -> StoreResult<u64> {
    let done = sqlx::query(
        "update review_item set decided_at = $2, decision = $3, claimed_by = null, claimed_until = null \
         where user_id = $1 and decided_at is null",
    )
    .bind(user.0)
    .bind(to_micros(now))
    .bind(RETIRED)
    .execute(conn)
    .await?;
    Ok(done.rows_affected())
}

/// Drops every claim `reviewer` holds on an undecided item (their role was revoked): the
/// items return to the queue at once. Returns how many were dropped.
pub async fn release_all_of(conn: &mut Conn, reviewer: UserId) -> StoreResult<u64> {
    let done = sqlx::query(
        "update review_item set claimed_by = null, claimed_until = null where claimed_by = $1 and decided_at is null",
    )
    .bind(reviewer.0)
    .execute(conn)
    .await?;
    Ok(done.rows_affected())
}
