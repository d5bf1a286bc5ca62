//! SQLite: the write-ahead log is copied back into the database file by a task of its own,
//! never by a learner's commit.
//!
//! Why: by default the commit that grows the WAL past 1,000 pages runs the checkpoint itself
//! before its `COMMIT` returns: it copies those pages into the database file and waits for two
//! `fsync`s (about 4 ms each on the benchmark machine, more under load). The transaction still
//! holds this process's write turn then (`write_turn`), so every writer queued behind it waited
//! for the disk too, every few hundred submissions (issue 18, the submit p99). A passive
//! checkpoint needs no write lock: run from here, writers keep appending to the WAL while it
//! copies, and no writer waits for the disk.
//!
//! Every process that opens the file runs one (each `Store` over SQLite); they take
//! SQLite's checkpoint lock in turn, and one that finds it taken simply tries again at the
//! next tick. When the last connection to the file closes, SQLite checkpoints what is left.

use sqlx::{AnyPool, Executor};
use std::time::Duration;

/// How often the WAL is checkpointed. At the submit benchmark's rate (~270 submissions/s,
/// each a few dozen WAL pages with its jobs) a tick copies a few hundred pages, which keeps
/// the WAL, and so every reader's lookups in its index, small.
pub const EVERY: Duration = Duration::from_millis(250);

/// The setting for every pooled connection: no checkpoint on commit (the task does them).
pub const NO_AUTOCHECKPOINT: &str = "pragma wal_autocheckpoint = 0";

/// Stops the task when the last clone of its `Store` goes (a test's store, a CLI command's).
pub struct Checkpointer(tokio::task::JoinHandle<()>);

impl Drop for Checkpointer {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Starts checkpointing `pool`'s database every [`EVERY`].
pub fn start(pool: AnyPool) -> Checkpointer {
    Checkpointer(tokio::spawn(async move {
        let mut tick = tokio::time::interval(EVERY);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut failing = false;
        loop {
            tick.tick().await;
            // The server closed the pool at shutdown while other tasks still hold the store.
            if pool.is_closed() {
                return;
            }
            match checkpoint(&pool).await {
                Ok(()) => failing = false,
                // Once per run of failures: a closed pool or a full disk says so in other ways too.
                Err(e) if !failing => {
                    failing = true;
                    tracing::warn!(error = %e, "SQLite WAL checkpoint failed; retrying every tick");
                }
                Err(_) => {}
            }
        }
    }))
}

/// One passive checkpoint: copies every WAL page no reader still needs, without waiting for
/// readers or writers. SQLite reports "busy" as a row, not an error, when another process's
/// checkpoint holds the lock.
async fn checkpoint(pool: &AnyPool) -> Result<(), sqlx::Error> {
    let mut conn = pool.acquire().await?;
    conn.execute("pragma wal_checkpoint(passive)").await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use crate::store::Store;
    use std::time::{Duration, Instant};

    /// A commit leaves its pages in the WAL (nothing checkpoints on commit), and the task
    /// copies them into the database file within a few ticks.
    #[tokio::test]
    async fn the_task_checkpoints_and_commits_do_not() {
        let dir = tempfile::tempdir().expect("tempdir");
        let file = dir.path().join("t.db");
        let url = format!("sqlite://{}?mode=rwc", file.display());
        let store = Store::connect(&url, 2).await.expect("connect");
        store.exec_admin("create table t (v blob)").await.expect("table");
        let autocheckpoint: i64 = sqlx::query_scalar("pragma wal_autocheckpoint")
            .fetch_one(&mut *store.conn().await.expect("conn"))
            .await
            .expect("pragma");
        assert_eq!(autocheckpoint, 0, "pooled connections never checkpoint on commit");

        // Wait for the table's pages to reach the file, so the next growth is the insert's.
        let settled = grows_past(&file, 0, Duration::from_secs(5)).await.expect("the table is checkpointed");
        let mut tx = store.begin().await.expect("begin");
        // 4 MB: more than the 1,000 pages at which a commit would have checkpointed itself.
        sqlx::query("insert into t values (zeroblob(4194304))").execute(&mut *tx).await.expect("insert");
        tx.commit().await.expect("commit");
        let grown = grows_past(&file, settled + 4_000_000, Duration::from_secs(5)).await;
        assert!(grown.is_some(), "the insert's pages reached the database file");
    }

    /// The database file's size once it exceeds `past` bytes, or `None` at `within`.
    async fn grows_past(file: &std::path::Path, past: u64, within: Duration) -> Option<u64> {
        let deadline = Instant::now() + within;
        while Instant::now() < deadline {
            let len = std::fs::metadata(file).map_or(0, |m| m.len());
            if len > past {
                return Some(len);
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        None
    }
}
