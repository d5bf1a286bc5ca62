//! The status cache's listener: one task per process that applies every change committed by
//! any process, and proves at least every `max_stale / 4` that it is up to date.
//!
//! - **PostgreSQL:** `LISTEN vouch_status` on a connection of its own. The triggers of
//!   migration 0020 send the learner's id at commit. The heartbeat is a `NOTIFY` of a token
//!   only this process knows, sent on the same connection: PostgreSQL delivers notifications
//!   in commit order, so receiving it proves that every change committed before it was sent
//!   has been received. A lost connection flushes the cache (changes may have been missed),
//!   and the listener reconnects with a back-off.
//! - **SQLite:** one machine, so processes sharing the file read `status_change` (filled by the
//!   same triggers) after the last sequence number they applied. A completed read is the proof.
//!   A gap (rows pruned before this process read them) flushes the cache.

use super::StatusCache;
use crate::store::{Backend, Store, status_changes};
use app::domain::UserId;
use std::time::{Duration, Instant};

/// The notification channel the triggers send on.
pub const CHANNEL: &str = "vouch_status";

/// Starts the listener for `store`'s backend (`database_url` is the same database, for the
/// PostgreSQL listener's own connection). Does nothing when the cache is off.
pub fn spawn(cache: StatusCache, store: Store, database_url: String) {
    if !cache.limits().enabled {
        return;
    }
    tokio::spawn(sweep(cache.clone()));
    match store.backend() {
        Backend::Postgres => {
            tokio::spawn(run_postgres(cache, database_url));
        }
        Backend::Sqlite => {
            tokio::spawn(run_sqlite(cache, store));
        }
    }
}

/// Drops entries older than `cache.ttl_secs`, four times a TTL (the slowest read waits for
/// it only if it shares a shard, and only that long: a scan of the shard under its lock).
async fn sweep(cache: StatusCache) {
    let every = (cache.limits().ttl / 4).max(Duration::from_secs(1));
    let mut tick = tokio::time::interval(every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    tick.tick().await;
    loop {
        tick.tick().await;
        let cache = cache.clone();
        if tokio::task::spawn_blocking(move || cache.sweep()).await.is_err() {
            tracing::warn!("status cache: the sweep of old entries failed");
        }
    }
}

fn beat(cache: &StatusCache) -> Duration {
    (cache.limits().max_stale / 4).max(Duration::from_millis(5))
}

async fn run_postgres(cache: StatusCache, url: String) {
    let token = uuid::Uuid::new_v4().simple().to_string();
    let mut backoff = Duration::from_millis(100);
    loop {
        match listen_postgres(&cache, &url, &token).await {
            Ok(()) => backoff = Duration::from_millis(100),
            Err(e) => {
                tracing::warn!(error = %e, "status cache listener: connection lost; cached answers are not served until it is back");
            }
        }
        // Whatever happened while not listening is unknown.
        cache.flush();
        tokio::time::sleep(backoff).await;
        backoff = (backoff * 2).min(Duration::from_secs(5));
    }
}

/// One connection's life: returns when it ends.
async fn listen_postgres(cache: &StatusCache, url: &str, token: &str) -> Result<(), sqlx::Error> {
    let mut listener = sqlx::postgres::PgListener::connect(url).await?;
    listener.listen(CHANNEL).await?;
    // Changes committed before LISTEN took effect were never seen.
    cache.flush();
    tracing::info!("status cache listener: listening");
    let mut tick = tokio::time::interval(beat(cache));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut sent: std::collections::VecDeque<(u64, Instant)> = Default::default();
    let mut next = 0u64;
    loop {
        tokio::select! {
            note = listener.try_recv() => {
                let Some(note) = note? else {
                    return Err(sqlx::Error::Protocol("the listener's connection closed".into()));
                };
                apply(cache, note.payload(), token, &mut sent);
            }
            _ = tick.tick() => {
                next += 1;
                let at = Instant::now();
                sqlx::query("select pg_notify($1, $2)")
                    .bind(CHANNEL)
                    .bind(format!("hb:{token}:{next}"))
                    .execute(&mut listener)
                    .await?;
                sent.push_back((next, at));
                // A heartbeat lost in transit must not grow the queue for ever.
                while sent.len() > 64 {
                    sent.pop_front();
                }
            }
        }
    }
}

fn apply(cache: &StatusCache, payload: &str, token: &str, sent: &mut std::collections::VecDeque<(u64, Instant)>) {
    if let Some(rest) = payload.strip_prefix("hb:") {
        // Another process's heartbeat proves nothing about our own queue position.
        let Some(n) = rest.strip_prefix(token).and_then(|r| r.strip_prefix(':')).and_then(|n| n.parse::<u64>().ok())
        else {
            return;
        };
        while let Some(&(m, at)) = sent.front() {
            if m > n {
                break;
            }
            sent.pop_front();
            if m == n {
                cache.mark_fresh(at);
            }
        }
        return;
    }
    match payload.parse::<i64>() {
        Ok(id) => cache.evict(UserId(id)),
        // Not ours: the safe answer to a payload we do not understand is to forget everything.
        Err(_) => cache.flush(),
    }
}

async fn run_sqlite(cache: StatusCache, store: Store) {
    let mut last: Option<i64> = None;
    let mut tick = tokio::time::interval(beat(&cache));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut warned = false;
    let mut pruned_at = Instant::now();
    loop {
        tick.tick().await;
        if pruned_at.elapsed() >= PRUNE_EVERY {
            pruned_at = Instant::now();
            // Beside the poll, not before it: the prune is a write and waits its turn behind
            // the process's writers, which under load could outlast the freshness promise.
            let store = store.clone();
            tokio::spawn(async move {
                if let Err(e) = prune_sqlite(&store).await {
                    tracing::warn!(error = %e, "status cache: could not prune the status-change log");
                }
            });
        }
        let started = Instant::now();
        match poll_sqlite(&cache, &store, &mut last).await {
            Ok(()) => {
                cache.mark_fresh(started);
                warned = false;
            }
            Err(e) => {
                if !warned {
                    tracing::warn!(error = %e, "status cache: could not read status changes; cached answers are not served until it can");
                    warned = true;
                }
            }
        }
    }
}

/// How often a process trims the SQLite status-change log, and how much it keeps: far more
/// than any reader's poll interval (`cache.max_stale_ms` is at most a minute), so only a
/// process stalled for minutes finds its position pruned, and it flushes.
const PRUNE_EVERY: Duration = Duration::from_secs(60);
const KEEP_FOR_SECS: i64 = 600;

async fn prune_sqlite(store: &Store) -> crate::store::StoreResult<()> {
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs() as i64);
    let mut tx = store.begin().await?;
    let gone = status_changes::prune(&mut tx, now - KEEP_FOR_SECS).await?;
    tx.commit().await?;
    if gone > 0 {
        tracing::debug!(rows = gone, "status cache: pruned the status-change log");
    }
    Ok(())
}

async fn poll_sqlite(cache: &StatusCache, store: &Store, last: &mut Option<i64>) -> crate::store::StoreResult<()> {
    let mut conn = store.conn().await?;
    let Some(after) = *last else {
        // First read: start from now, with nothing cached from before.
        let head = status_changes::head(&mut conn).await?;
        cache.flush();
        *last = Some(head);
        return Ok(());
    };
    // Read to the end of the log before claiming freshness: the caller marks the cache fresh
    // as of the poll's start, which is only true once every row written before it is applied.
    let mut after = after;
    for _ in 0..PAGES_PER_POLL {
        let page = status_changes::after(&mut conn, after, PAGE_ROWS).await?;
        if page.gap {
            cache.flush();
        } else {
            for user in &page.users {
                cache.evict(*user);
            }
        }
        after = page.head;
        if !page.full {
            *last = Some(after);
            return Ok(());
        }
    }
    // A backlog this long (a bulk change, a stalled process): forgetting everything is
    // cheaper than evicting learner by learner, and as correct.
    // The head first, then the flush: a change committed in between is either before the
    // head (and flushed) or after it (and read next time).
    let head = status_changes::head(&mut conn).await?;
    cache.flush();
    *last = Some(head);
    Ok(())
}

/// Rows read per query, and queries per poll before a long backlog becomes a flush.
const PAGE_ROWS: i64 = 10_000;
const PAGES_PER_POLL: usize = 5;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::status_cache::Limits;

    #[test]
    fn only_our_own_heartbeat_proves_freshness_and_a_user_id_evicts() {
        let cache = StatusCache::new(Limits {
            enabled: true,
            max_stale: Duration::from_secs(5),
            max_learners: 10,
            ttl: Duration::from_secs(60),
        });
        let mut sent = std::collections::VecDeque::from([(1, Instant::now()), (2, Instant::now())]);
        apply(&cache, "hb:other:2", "mine", &mut sent);
        assert!(!cache.serving(), "another process's heartbeat");
        apply(&cache, "hb:mine:1", "mine", &mut sent);
        assert!(cache.serving());
        assert_eq!(sent.len(), 1, "heartbeat 1 is done; 2 is still awaited");
        let t = cache.ticket();
        cache.store_records(UserId(9), t, std::sync::Arc::new(vec![]));
        assert!(cache.records(UserId(9)).is_some());
        apply(&cache, "9", "mine", &mut sent);
        assert!(cache.records(UserId(9)).is_none());
        let t = cache.ticket();
        cache.store_records(UserId(9), t, std::sync::Arc::new(vec![]));
        apply(&cache, "garbage", "mine", &mut sent);
        assert!(cache.records(UserId(9)).is_none(), "an unknown payload flushes");
    }
}
