//! The job queue table. Enqueueing takes a connection, so a job is queued in the same
//! transaction as the state change that calls for it; committing that transaction wakes
//! the job runner (`Tx::commit`). Claiming is one statement per
//! backend: PostgreSQL skips rows other workers hold (`for update skip locked`); SQLite
//! serializes writers, so a single `update … returning` claims atomically.

use super::{
    Backend, Conn, StoreResult,
    time::{from_micros, to_micros},
};
use chrono::{DateTime, Duration, Utc};
use std::sync::atomic::{AtomicU64, Ordering};

/// How many jobs this process has queued (or queued again). A transaction that sees it move
/// between its start and its commit wakes the job runner; one of another transaction running
/// meanwhile wakes it too, needlessly but harmlessly (the runner finds nothing and waits).
static QUEUED: AtomicU64 = AtomicU64::new(0);

/// The count of [`QUEUED`].
pub fn queued_in_process() -> u64 {
    QUEUED.load(Ordering::Relaxed)
}

/// A claimed job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Job {
    /// Id.
    pub id: i64,
    /// Which handler runs it.
    pub kind: String,
    /// Its input (JSON).
    pub payload: String,
    /// How many times it has been claimed, this time included.
    pub attempts: i32,
    /// After this many failed tries it fails for good.
    pub max_attempts: i32,
}

/// Counts by status, for operators and metrics.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct JobCounts {
    /// Waiting to run.
    pub queued: i64,
    /// Claimed by a worker.
    pub running: i64,
    /// Finished.
    pub done: i64,
    /// Gave up after the last try.
    pub failed: i64,
}

/// Queues a job unless one with the same idempotency key exists; returns whether it was new.
pub async fn enqueue(
    conn: &mut Conn,
    kind: &str,
    payload: &str,
    idempotency_key: &str,
    max_attempts: i32,
    run_at: DateTime<Utc>,
) -> StoreResult<bool> {
    let t = to_micros(run_at);
    let done = sqlx::query(
        "insert into job (kind, payload, idempotency_key, status, max_attempts, run_at, created_at, updated_at) \
         values ($1, $2, $3, 'queued', $4, $5, $5, $5) on conflict (idempotency_key) do nothing",
    )
    .bind(kind)
    .bind(payload)
    .bind(idempotency_key)
    .bind(max_attempts)
    .bind(t)
    .execute(conn)
    .await?;
    if done.rows_affected() == 1 {
        QUEUED.fetch_add(1, Ordering::Relaxed);
    }
    Ok(done.rows_affected() == 1)
}

/// Claims up to `limit` due jobs for `worker` until `now + lease`: queued jobs whose time has
/// come, and running jobs whose lease ran out (their worker died), other than `worker`'s own:
/// a worker's name is its process's, so a job it holds past its lease is still running there
/// (a slow vendor, a long sweep), and taking it again would run it twice at once in one
/// process. Another worker may take it over, as when the process died.
pub async fn claim(
    conn: &mut Conn,
    backend: Backend,
    worker: &str,
    limit: i64,
    now: DateTime<Utc>,
    lease: Duration,
) -> StoreResult<Vec<Job>> {
    let lock = match backend {
        Backend::Postgres => "for update skip locked",
        Backend::Sqlite => "",
    };
    let sql = format!(
        "update job set status = 'running', locked_by = $1, locked_until = $2, attempts = attempts + 1, updated_at = $3 \
         where job_id in (select job_id from job \
             where (status = 'queued' and run_at <= $3) \
                or (status = 'running' and locked_until < $3 and locked_by <> $1) \
             order by run_at, job_id limit $4 {lock}) \
         returning job_id, kind, payload, attempts, max_attempts"
    );
    let rows: Vec<(i64, String, String, i32, i32)> = sqlx::query_as(&sql)
        .bind(worker)
        .bind(to_micros(now + lease))
        .bind(to_micros(now))
        .bind(limit)
        .fetch_all(conn)
        .await?;
    Ok(rows
        .into_iter()
        .map(|(id, kind, payload, attempts, max_attempts)| Job { id, kind, payload, attempts, max_attempts })
        .collect())
}

/// Marks a job this worker holds as done.
pub async fn complete(conn: &mut Conn, id: i64, worker: &str, now: DateTime<Utc>) -> StoreResult<bool> {
    release(conn, id, worker, "done", now, None, None).await
}

/// Marks the jobs in `ids` this worker holds as done, in one statement (per 500); returns how
/// many it marked (a job whose lease ran out and was taken over is not).
pub async fn complete_many(conn: &mut Conn, ids: &[i64], worker: &str, now: DateTime<Utc>) -> StoreResult<u64> {
    let mut marked = 0;
    // In chunks: `jobs.concurrency` bounds a batch, and a statement's parameters are bounded
    // (SQLite 32,766, PostgreSQL 65,535).
    for chunk in ids.chunks(500) {
        let placeholders: Vec<String> = (3..3 + chunk.len()).map(|n| format!("${n}")).collect();
        let sql = format!(
            "update job set status = 'done', locked_until = null, updated_at = $1 \
             where locked_by = $2 and status = 'running' and job_id in ({})",
            placeholders.join(", ")
        );
        let mut q = sqlx::query(&sql).bind(to_micros(now)).bind(worker);
        for id in chunk {
            q = q.bind(*id);
        }
        marked += q.execute(&mut *conn).await?.rows_affected();
    }
    Ok(marked)
}

/// Puts a job this worker holds back in the queue to run at `run_at`, keeping the error.
pub async fn retry_at(conn: &mut Conn, id: i64, worker: &str, run_at: DateTime<Utc>, error: &str) -> StoreResult<bool> {
    release(conn, id, worker, "queued", run_at, Some(run_at), Some(error)).await
}

/// Marks a job this worker holds as failed for good.
pub async fn fail(conn: &mut Conn, id: i64, worker: &str, now: DateTime<Utc>, error: &str) -> StoreResult<bool> {
    release(conn, id, worker, "failed", now, None, Some(error)).await
}

/// Ends this worker's hold on a running job: sets its status, drops the lease, and
/// optionally moves `run_at` and records the error. Only the holder can do it, so a worker
/// whose lease ran out (and whose job was taken over) changes nothing; returns whether it did.
async fn release(
    conn: &mut Conn,
    id: i64,
    worker: &str,
    status: &str,
    now: DateTime<Utc>,
    run_at: Option<DateTime<Utc>>,
    error: Option<&str>,
) -> StoreResult<bool> {
    let done = sqlx::query(
        "update job set status = $1, locked_until = null, updated_at = $2, \
         run_at = coalesce($3, run_at), last_error = coalesce($4, last_error) \
         where job_id = $5 and locked_by = $6 and status = 'running'",
    )
    .bind(status)
    .bind(to_micros(now))
    .bind(run_at.map(to_micros))
    .bind(error)
    .bind(id)
    .bind(worker)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// How many jobs are in each status.
pub async fn counts(conn: &mut Conn) -> StoreResult<JobCounts> {
    let rows: Vec<(String, i64)> =
        sqlx::query_as("select status, count(*) from job group by status").fetch_all(conn).await?;
    let mut c = JobCounts::default();
    for (status, n) in rows {
        match status.as_str() {
            "queued" => c.queued = n,
            "running" => c.running = n,
            "done" => c.done = n,
            "failed" => c.failed = n,
            _ => {}
        }
    }
    Ok(c)
}

/// When the next queued job is due, if any (lets an idle runner sleep until then).
pub async fn next_due(conn: &mut Conn) -> StoreResult<Option<DateTime<Utc>>> {
    let row: Option<(Option<i64>,)> =
        sqlx::query_as("select min(run_at) from job where status = 'queued'").fetch_optional(conn).await?;
    row.and_then(|(t,)| t).map(from_micros).transpose()
}

/// A job as operators see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobInfo {
    /// Id.
    pub id: i64,
    /// Handler kind.
    pub kind: String,
    /// `queued`, `running`, `done` or `failed`.
    pub status: String,
    /// Tries so far.
    pub attempts: i32,
    /// Tries allowed.
    pub max_attempts: i32,
    /// The last error (empty if none).
    pub last_error: String,
    /// When it runs (next).
    pub run_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
}

/// Jobs, newest change first, optionally of one status; one page and the total.
pub async fn list(conn: &mut Conn, status: Option<&str>, offset: i64, limit: i64) -> StoreResult<(Vec<JobInfo>, i64)> {
    let filter = "($1 is null or status = $1)";
    let (count,): (i64,) =
        sqlx::query_as(&format!("select count(*) from job where {filter}")).bind(status).fetch_one(&mut *conn).await?;
    type Row = (i64, String, String, i32, i32, String, i64, i64);
    let rows: Vec<Row> = sqlx::query_as(&format!(
        "select job_id, kind, status, attempts, max_attempts, last_error, run_at, updated_at from job \
         where {filter} order by updated_at desc, job_id desc limit $2 offset $3"
    ))
    .bind(status)
    .bind(limit)
    .bind(offset)
    .fetch_all(conn)
    .await?;
    let jobs = rows
        .into_iter()
        .map(|(id, kind, status, attempts, max_attempts, last_error, run_at, updated_at)| {
            Ok(JobInfo {
                id,
                kind,
                status,
                attempts,
                max_attempts,
                last_error,
                run_at: from_micros(run_at)?,
                updated_at: from_micros(updated_at)?,
            })
        })
        .collect::<StoreResult<_>>()?;
    Ok((jobs, count))
}

/// Queues a failed job again with a fresh allowance of tries; returns whether it was failed.
pub async fn requeue_failed(conn: &mut Conn, id: i64, now: DateTime<Utc>) -> StoreResult<bool> {
    let done = sqlx::query(
        "update job set status = 'queued', attempts = 0, run_at = $1, updated_at = $1, locked_by = '' \
         where job_id = $2 and status = 'failed'",
    )
    .bind(to_micros(now))
    .bind(id)
    .execute(conn)
    .await?;
    if done.rows_affected() == 1 {
        QUEUED.fetch_add(1, Ordering::Relaxed);
    }
    Ok(done.rows_affected() == 1)
}
