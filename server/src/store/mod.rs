//! Persistence: one backend-agnostic API over SQLite and PostgreSQL.
//!
//! Queries are written once, in the SQL both dialects share (`$n` placeholders, which SQLite
//! also reads by number), and run through sqlx's `Any` driver. Timestamps are stored as
//! integer microseconds and flags as 0/1 integers, the representation both backends and the
//! `Any` driver carry without loss. Functions that change state take a connection, so the
//! service layer owns the transaction; nothing outside this module writes SQL.

pub mod attempt_delete;
pub mod attempt_lookup;
pub mod attempts;
pub mod churn;
pub mod courses;
pub mod deadlines;
pub mod emails_sent;
pub mod handoff;
pub mod hosted;
pub mod jobs;
pub mod kinds;
pub mod lms_ids;
pub mod lti;
pub mod lti_expiry;
pub mod outbox;
pub mod photo_retention;
pub mod reactions_done;
pub mod replay;
pub mod retire;
pub mod retry_config;
pub mod reviews;
pub mod seed;
pub mod sessions;
pub mod sso;
pub mod staff_actions;
pub mod status_changes;
pub mod time;
pub mod transitions;
pub mod users;
pub mod verifications;
pub mod verified_names;
pub mod wal_checkpoint;
pub mod webhook_deliveries;
pub mod write_turn;

use sqlx::{
    AnyConnection, AnyPool, Executor, Transaction,
    any::{Any, AnyPoolOptions},
    migrate::Migrator,
};
use std::{
    ops::{Deref, DerefMut},
    path::Path,
    sync::Arc,
    time::Duration,
};
use tokio::sync::Notify;

static SQLITE_MIGRATIONS: Migrator = sqlx::migrate!("../migrations/sqlite");
static POSTGRES_MIGRATIONS: Migrator = sqlx::migrate!("../migrations/postgres");

/// Which database is behind the pool.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// SQLite (the default: a file under `./data`).
    Sqlite,
    /// PostgreSQL.
    Postgres,
}

/// Errors of the persistence layer.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database cannot be reached right now (pool timeout, connection refused).
    #[error("the database is unavailable")]
    Unavailable(#[source] sqlx::Error),
    /// A unique constraint refused the write.
    #[error("a record with the same key already exists")]
    Duplicate(#[source] sqlx::Error),
    /// Any other database failure.
    #[error("database error")]
    Database(#[source] sqlx::Error),
    /// Migrations could not be applied.
    #[error("migrations failed")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// The URL is neither `sqlite:` nor `postgres:`.
    #[error("unsupported database URL: use sqlite: or postgres:")]
    UnsupportedUrl,
    /// A stored value is not one the code knows (a bad status, a bad timestamp).
    #[error("stored data is invalid: {0}")]
    Corrupt(String),
}

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        match &e {
            sqlx::Error::PoolTimedOut
            | sqlx::Error::PoolClosed
            | sqlx::Error::Io(_)
            | sqlx::Error::Tls(_)
            | sqlx::Error::WorkerCrashed
            // A connection closed under us mid-handshake (a proxy or a restarting server
            // accepted and dropped it): the database is away, not the request wrong.
            | sqlx::Error::Protocol(_) => Self::Unavailable(e),
            sqlx::Error::Database(d) if d.is_unique_violation() => Self::Duplicate(e),
            sqlx::Error::Database(d) if d.code().as_deref().is_some_and(is_transient_code) => Self::Unavailable(e),
            _ => Self::Database(e),
        }
    }
}

/// Database error codes that say "not now" rather than "wrong": the caller should try
/// again, so they become `503 unavailable`, never `500`. PostgreSQL class `08` (connection
/// exception) and `57P01`–`57P03` (the server is shutting down or not accepting
/// connections); SQLite `5`/`6` and their extended codes (`SQLITE_BUSY`, `SQLITE_LOCKED`:
/// another process holds the lock past the busy timeout).
fn is_transient_code(code: &str) -> bool {
    code.starts_with("08")
        || matches!(code, "57P01" | "57P02" | "57P03")
        || code.parse::<i32>().is_ok_and(|c| matches!(c & 0xff, 5 | 6))
}

/// Result of a store operation.
pub type StoreResult<T> = Result<T, StoreError>;

/// A write transaction on the store. Committing one that queued jobs wakes this process's
/// job runner: the one place the runner is woken, so whoever queues a job (a status change's
/// event, a passback, a webhook delivery) need not remember to.
///
/// Committing one also tells this process's status hook (the status cache) which learners it
/// changed, after the commit, so the same process never serves its own write as stale.
pub struct Tx {
    /// Always `Some` until commit, rollback or drop takes it.
    inner: Option<Transaction<'static, Any>>,
    wake: Arc<Notify>,
    queued_before: u64,
    status_hook: Option<StatusHook>,
    /// SQLite: the status-change log's head when the transaction took the write lock.
    status_mark: Option<i64>,
    /// SQLite: this process's turn to write, held until the transaction has ended (see the
    /// `Drop`).
    turn: Option<write_turn::Turn>,
}

impl Tx {
    /// Commits; wakes the job runner when jobs were queued meanwhile, and reports the
    /// learners whose records changed to the status hook.
    pub async fn commit(mut self) -> Result<(), sqlx::Error> {
        let touched = match &self.status_hook {
            None => None,
            // The list is read inside the transaction; a failure to read it must not lose
            // the write, so it becomes "everything changed".
            Some(_) => Some(
                match self.status_mark {
                    Some(mark) => status_changes::touched_since(self.tx(), mark).await,
                    None => status_changes::touched_in_transaction(self.tx()).await,
                }
                .unwrap_or(status_changes::Touched::All),
            ),
        };
        let committed = self.inner.take().expect("a live transaction").commit().await;
        // The turn goes once SQLite's lock is free (committed, or rolled back by the failure).
        drop(self.turn.take());
        committed?;
        if let (Some(hook), Some(touched)) = (&self.status_hook, touched) {
            hook(&touched);
        }
        if jobs::queued_in_process() != self.queued_before {
            self.wake.notify_one();
        }
        Ok(())
    }

    /// Rolls back (as dropping does).
    pub async fn rollback(mut self) -> Result<(), sqlx::Error> {
        let done = self.inner.take().expect("a live transaction").rollback().await;
        drop(self.turn.take());
        done
    }

    fn tx(&mut self) -> &mut Transaction<'static, Any> {
        self.inner.as_mut().expect("a live transaction")
    }
}

/// A transaction dropped without commit (an early return with `?`) is rolled back by sqlx
/// later, on the connection's worker. Its write turn must not pass before that, or the next
/// writer would meet the lock in SQLite's busy handler: both go to a task that rolls back,
/// then lets the turn go.
impl Drop for Tx {
    fn drop(&mut self) {
        if let (Some(tx), Some(turn)) = (self.inner.take(), self.turn.take()) {
            match tokio::runtime::Handle::try_current() {
                Ok(rt) => {
                    rt.spawn(async move {
                        let _ = tx.rollback().await;
                        drop(turn);
                    });
                }
                // No runtime (the process is ending): sqlx's own rollback on drop.
                Err(_) => drop((tx, turn)),
            }
        }
    }
}

impl Deref for Tx {
    type Target = Conn;

    fn deref(&self) -> &Conn {
        self.inner.as_ref().expect("a live transaction")
    }
}

impl DerefMut for Tx {
    fn deref_mut(&mut self) -> &mut Conn {
        self.tx()
    }
}

/// A pooled connection holding this process's SQLite write turn ([`Store::write_conn`]).
pub struct WriteConn {
    conn: sqlx::pool::PoolConnection<Any>,
    _turn: Option<write_turn::Turn>,
}

impl Deref for WriteConn {
    type Target = Conn;

    fn deref(&self) -> &Conn {
        &self.conn
    }
}

impl DerefMut for WriteConn {
    fn deref_mut(&mut self) -> &mut Conn {
        &mut self.conn
    }
}

/// Told, after each commit, which learners' attempts or accounts the transaction changed.
pub type StatusHook = Arc<dyn Fn(&status_changes::Touched) + Send + Sync>;

/// The database: a pool and the backend it talks to.
#[derive(Clone)]
pub struct Store {
    pool: AnyPool,
    backend: Backend,
    wake: Arc<Notify>,
    status_hook: Arc<std::sync::OnceLock<StatusHook>>,
    /// SQLite: the writers of this process, requests first in the order they asked, then
    /// background work (see [`Store::begin`] and [`write_turn`]).
    writers: Arc<write_turn::WriteTurns>,
    /// How long a SQLite writer waits for its turn in this process: the operator's one
    /// setting for waiting on the database (`database.acquire_timeout_secs`), like the wait
    /// for a pooled connection, rather than a fixed time of its own.
    turn_timeout: Duration,
    /// SQLite: the task that checkpoints the WAL ([`wal_checkpoint`]), stopped with the last clone.
    _checkpointer: Option<Arc<wal_checkpoint::Checkpointer>>,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store").field("backend", &self.backend).finish_non_exhaustive()
    }
}

impl Store {
    /// Connects to `url` (`sqlite:…` or `postgres:…`). For SQLite the folder is created and
    /// WAL mode, a busy timeout and foreign keys are switched on for every connection, and a
    /// task checkpoints the WAL instead of the commits ([`wal_checkpoint`]).
    pub async fn connect(url: &str, max_connections: u32) -> StoreResult<Self> {
        Self::connect_with_timeout(url, max_connections, Duration::from_secs(5)).await
    }

    /// [`Store::connect`] with the time a caller waits for a pooled connection before
    /// getting [`StoreError::Unavailable`] (while the database is unreachable, the pool keeps
    /// trying to connect until then).
    pub async fn connect_with_timeout(url: &str, max_connections: u32, acquire: Duration) -> StoreResult<Self> {
        sqlx::any::install_default_drivers();
        let backend = backend_of(url)?;
        if backend == Backend::Sqlite {
            ensure_sqlite_dir(url);
        }
        let mut options = AnyPoolOptions::new().max_connections(max_connections.max(1)).acquire_timeout(acquire);
        if backend == Backend::Sqlite {
            options = options.after_connect(|conn, _meta| {
                Box::pin(async move {
                    conn.execute("pragma journal_mode = wal").await?;
                    conn.execute("pragma busy_timeout = 5000").await?;
                    conn.execute("pragma foreign_keys = on").await?;
                    conn.execute("pragma synchronous = normal").await?;
                    conn.execute(wal_checkpoint::NO_AUTOCHECKPOINT).await?;
                    // Reads through a memory map instead of a read() call per page not in the
                    // connection's small cache: at 1M attempts the status read touched ~10 such
                    // pages and ran 2.6× slower than at 10k (cargo xtask bench). Address space
                    // only; the OS shares the pages between connections.
                    conn.execute("pragma mmap_size = 1073741824").await?;
                    Ok(())
                })
            });
        }
        let pool = options.connect(url).await?;
        let checkpointer = (backend == Backend::Sqlite).then(|| Arc::new(wal_checkpoint::start(pool.clone())));
        Ok(Self {
            pool,
            backend,
            wake: Arc::default(),
            status_hook: Arc::default(),
            writers: Arc::default(),
            turn_timeout: acquire,
            _checkpointer: checkpointer,
        })
    }

    /// Applies the migrations of this backend.
    pub async fn migrate(&self) -> StoreResult<()> {
        match self.backend {
            Backend::Sqlite => SQLITE_MIGRATIONS.run(&self.pool).await?,
            Backend::Postgres => POSTGRES_MIGRATIONS.run(&self.pool).await?,
        }
        Ok(())
    }

    /// Checks that the database answers.
    pub async fn ping(&self) -> StoreResult<()> {
        sqlx::query("select 1").execute(&self.pool).await?;
        Ok(())
    }

    /// Runs one statement outside any transaction, for administration (creating or
    /// dropping a database in tests and tools). Never called with user input.
    pub async fn exec_admin(&self, sql: &str) -> StoreResult<()> {
        sqlx::raw_sql(sql).execute(&self.pool).await?;
        Ok(())
    }

    /// Starts a write transaction.
    ///
    /// On SQLite a deferred transaction that reads first and writes later fails at once with
    /// `SQLITE_BUSY` (the busy timeout is not applied to a lock upgrade) when another writer
    /// committed in between. So the transaction takes the write lock as it begins (`BEGIN
    /// IMMEDIATE`, which waits under the busy timeout instead; it replaced a first statement
    /// that wrote nothing, one round trip fewer inside the write turn).
    ///
    /// The writers of one process take turns in a queue before that (requests' writers ahead
    /// of background work's, see [`write_turn`]): a writer that finds
    /// SQLite's lock taken sleeps in SQLite's busy handler (1, 2, 5 … 100 ms between tries,
    /// whenever the lock frees in between), and under the submit benchmark those sleeps
    /// behind the job runner's writes made the SQLite p99. A turn is woken the moment the
    /// previous writer ends. It is taken before a pooled connection, so waiting writers hold
    /// none that readers need. Other processes sharing the file still meet at the busy timeout.
    pub async fn begin(&self) -> StoreResult<Tx> {
        let turn = self.write_turn().await?;
        // Counted once it is our turn: jobs queued by the writers before us are theirs to wake for.
        let queued_before = jobs::queued_in_process();
        let mut tx = match self.backend {
            Backend::Sqlite => self.pool.begin_with("BEGIN IMMEDIATE").await?,
            Backend::Postgres => self.pool.begin().await?,
        };
        let status_hook = self.status_hook.get().cloned();
        let mut status_mark = None;
        if self.backend == Backend::Sqlite {
            // Holding the write lock now, every log row after this head will be ours.
            if status_hook.is_some() {
                status_mark = Some(status_changes::mark(&mut tx).await?);
            }
        }
        Ok(Tx { inner: Some(tx), wake: self.wake.clone(), queued_before, status_hook, status_mark, turn })
    }

    /// This database through a pool of its own, for work driven by another tokio runtime
    /// (`vouch serve`'s job runner, `crate::job_thread`): a PostgreSQL connection's socket is
    /// served by the runtime that opened it, so a pool shared with requests would have some of
    /// their queries woken by the jobs' low-priority threads. It shares this store's job
    /// wake-up, status hook and write turns, so commits through it behave as through this one.
    /// SQLite keeps one pool per process (its connections are threads of their own, which no
    /// runtime serves): this store itself.
    pub async fn with_own_pool(&self, url: &str, max_connections: u32) -> StoreResult<Self> {
        match self.backend {
            Backend::Sqlite => Ok(self.clone()),
            Backend::Postgres => {
                let own = Self::connect_with_timeout(url, max_connections, self.turn_timeout).await?;
                Ok(Self {
                    wake: self.wake.clone(),
                    status_hook: self.status_hook.clone(),
                    writers: self.writers.clone(),
                    ..own
                })
            }
        }
    }

    /// Sets the hook told after each commit which learners changed (once per store; the
    /// status cache of the process that owns this store).
    pub fn on_status_change(&self, hook: StatusHook) {
        if self.status_hook.set(hook).is_err() {
            tracing::warn!("a second status hook was refused: one cache per store");
        }
    }

    /// Signalled when a committed transaction of this store queued jobs (the job runner
    /// waits on it between polls).
    pub fn jobs_queued(&self) -> &Notify {
        &self.wake
    }

    /// A connection from the pool, for reads.
    pub async fn conn(&self) -> StoreResult<sqlx::pool::PoolConnection<Any>> {
        Ok(self.pool.acquire().await?)
    }

    /// A connection for writes outside a transaction (each statement commits alone), taking
    /// this process's SQLite write turn like [`Store::begin`], so they do not meet its
    /// writers in SQLite's busy handler either. The job runner's lease writes use it.
    pub async fn write_conn(&self) -> StoreResult<WriteConn> {
        let turn = self.write_turn().await?;
        Ok(WriteConn { conn: self.pool.acquire().await?, _turn: turn })
    }

    async fn write_turn(&self) -> StoreResult<Option<write_turn::Turn>> {
        match self.backend {
            Backend::Sqlite => match self.writers.take(self.turn_timeout).await {
                Some(turn) => Ok(Some(turn)),
                None => {
                    // Its own line: the database answers, but this process's writers queue
                    // behind a slow write (a long transaction, a slow disk), which a pool or
                    // connection timeout would not say. At most once every 10 s: in a burst
                    // every waiting writer times out, and one line says it.
                    static LAST_WARNED: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
                    let now =
                        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs());
                    let last = LAST_WARNED.load(std::sync::atomic::Ordering::Relaxed);
                    let due = now >= last.saturating_add(10)
                        && LAST_WARNED
                            .compare_exchange(
                                last,
                                now,
                                std::sync::atomic::Ordering::Relaxed,
                                std::sync::atomic::Ordering::Relaxed,
                            )
                            .is_ok();
                    if due {
                        tracing::warn!(
                            waited_ms = self.turn_timeout.as_millis() as u64,
                            "SQLite write turn not granted in time: this process's writers are queued behind a slow write"
                        );
                    }
                    Err(StoreError::Unavailable(sqlx::Error::PoolTimedOut))
                }
            },
            Backend::Postgres => Ok(None),
        }
    }

    /// The backend behind this store.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Closes the pool, waiting for connections to be returned.
    pub async fn close(&self) {
        self.pool.close().await;
    }
}

/// A connection or a transaction: what the repository functions take.
pub type Conn = AnyConnection;

fn backend_of(url: &str) -> StoreResult<Backend> {
    if url.starts_with("sqlite:") {
        Ok(Backend::Sqlite)
    } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
        Ok(Backend::Postgres)
    } else {
        Err(StoreError::UnsupportedUrl)
    }
}

/// Creates the folder of a SQLite file URL, so `sqlite://data/vouch.db` works on a fresh clone.
fn ensure_sqlite_dir(url: &str) {
    let path = url.trim_start_matches("sqlite:").trim_start_matches("//");
    let path = path.split('?').next().unwrap_or_default();
    if path.is_empty() || path == ":memory:" {
        return;
    }
    if let Some(parent) = Path::new(path).parent()
        && !parent.as_os_str().is_empty()
    {
        // A failure here shows up as a clear connection error right after.
        let _ = std::fs::create_dir_all(parent);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// SQLite writers of one process take turns: the second waits for the first without
    /// touching SQLite's lock (no busy-handler sleep), and gets its turn as soon as the
    /// first commits; a lease write (`write_conn`) queues the same way. PostgreSQL has none.
    #[tokio::test]
    async fn sqlite_writers_take_turns_in_order() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}?mode=rwc", dir.path().join("t.db").display());
        let store = Store::connect(&url, 4).await.unwrap();
        store.migrate().await.unwrap();
        store.exec_admin("create table t (v integer)").await.unwrap();
        let mut first = store.begin().await.unwrap();
        sqlx::query("insert into t values (1)").execute(&mut *first).await.unwrap();
        let (order_tx, mut order) = tokio::sync::mpsc::unbounded_channel();
        let s2 = store.clone();
        let o2 = order_tx.clone();
        let second = tokio::spawn(async move {
            let mut tx = s2.begin().await.unwrap();
            o2.send(2).unwrap();
            sqlx::query("insert into t values (2)").execute(&mut *tx).await.unwrap();
            tx.commit().await.unwrap();
        });
        tokio::time::sleep(Duration::from_millis(30)).await;
        let s3 = store.clone();
        let third = tokio::spawn(async move {
            let mut conn = s3.write_conn().await.unwrap();
            order_tx.send(3).unwrap();
            sqlx::query("insert into t values (3)").execute(&mut *conn).await.unwrap();
        });
        tokio::time::sleep(Duration::from_millis(100)).await;
        assert!(order.try_recv().is_err(), "no writer gets a turn while the first holds it");
        let released = std::time::Instant::now();
        first.commit().await.unwrap();
        assert_eq!(order.recv().await, Some(2), "turns go in the order they were asked for");
        assert_eq!(order.recv().await, Some(3));
        second.await.unwrap();
        third.await.unwrap();
        // Woken at once, not after a busy-handler sleep (and 5 s would mean a lost wake-up).
        assert!(released.elapsed() < Duration::from_secs(2), "{:?}", released.elapsed());
        let n: i64 =
            sqlx::query_scalar("select count(*) from t").fetch_one(&mut *store.conn().await.unwrap()).await.unwrap();
        assert_eq!(n, 3);
        // A rolled-back (dropped) transaction gives its turn back too.
        drop(store.begin().await.unwrap());
        tokio::time::timeout(Duration::from_secs(2), store.begin()).await.expect("turn released on drop").unwrap();
    }

    #[test]
    fn backends_from_urls() {
        assert_eq!(backend_of("sqlite://data/v.db?mode=rwc").ok(), Some(Backend::Sqlite));
        assert_eq!(backend_of("postgres://u@h/db").ok(), Some(Backend::Postgres));
        assert_eq!(backend_of("postgresql://u@h/db").ok(), Some(Backend::Postgres));
        assert!(backend_of("mysql://h/db").is_err());
    }

    #[test]
    fn transient_codes_are_told_apart() {
        for code in ["08006", "08001", "57P01", "57P03", "5", "6", "517", "262"] {
            assert!(is_transient_code(code), "{code}");
        }
        for code in ["23505", "42P01", "40001", "19", "2067", "1"] {
            assert!(!is_transient_code(code), "{code}");
        }
    }
}
