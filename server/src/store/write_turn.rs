//! This process's SQLite writers take turns (see `Store::begin` for why), and learners go
//! first: a writer running as background work ([`as_background`]: the job runner's claims,
//! completions and jobs) takes the turn only when it is free and no request's writer waits
//! for it, for at most [`BACKGROUND_YIELD`]; then it queues like anyone.
//!
//! Why: under the submit benchmark the write turn was busy 85 % of the time, and the jobs a
//! burst of submissions queues (the vendor sends, the event fan-outs, the completions, a
//! retention sweep) took a third of it, so a learner's submission queued behind writes no
//! learner was waiting for (issue 18). Background work that yields drains after the burst
//! instead; the cap keeps it moving under a load that never lets up.

use std::{
    sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
    },
    time::{Duration, Instant},
};
use tokio::sync::{Mutex, Notify, OwnedMutexGuard};

/// The longest a background writer lets waiting requests go first.
pub const BACKGROUND_YIELD: Duration = Duration::from_millis(500);

tokio::task_local! {
    static BACKGROUND: ();
}

/// Runs `work` as background work: its SQLite writes let the requests' writes go first.
pub async fn as_background<F: Future>(work: F) -> F::Output {
    BACKGROUND.scope((), work).await
}

fn is_background() -> bool {
    BACKGROUND.try_with(|()| ()).is_ok()
}

/// The turns of one process.
#[derive(Default)]
pub struct WriteTurns {
    turn: Arc<Mutex<()>>,
    /// Requests' writers waiting for the turn.
    foreground_waiting: AtomicUsize,
    /// Told when no request's writer is waiting any more.
    foreground_gone: Notify,
    /// Told when a turn ends.
    released: Arc<Notify>,
}

/// One writer's turn, until dropped.
pub struct Turn {
    guard: Option<OwnedMutexGuard<()>>,
    released: Arc<Notify>,
    work: &'static str,
    since: Instant,
}

impl Drop for Turn {
    fn drop(&mut self) {
        drop(self.guard.take());
        self.released.notify_waiters();
        metrics::histogram!(HOLD_METRIC, "work" => self.work).record(self.since.elapsed().as_secs_f64());
    }
}

/// How long writers waited for their turn, by `work` (`request` or `background`): the queue
/// a learner's write meets (`deploy.md`, "SQLite").
pub const WAIT_METRIC: &str = "vouch_sqlite_write_turn_wait_seconds";
/// How long writers held their turn, by `work`.
pub const HOLD_METRIC: &str = "vouch_sqlite_write_turn_hold_seconds";

/// Counts a request's writer as waiting until it has the turn (or gave up).
struct Waiting<'a>(&'a WriteTurns);

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        if self.0.foreground_waiting.fetch_sub(1, Ordering::AcqRel) == 1 {
            self.0.foreground_gone.notify_waiters();
        }
    }
}

impl WriteTurns {
    /// Waits for this task's turn; `None` when `timeout` passed first.
    pub async fn take(&self, timeout: Duration) -> Option<Turn> {
        let asked = Instant::now();
        let deadline = tokio::time::Instant::now() + timeout;
        let background = is_background();
        let guard = if background {
            match self.when_no_request_waits(deadline.min(tokio::time::Instant::now() + BACKGROUND_YIELD)).await {
                Some(guard) => guard,
                None => tokio::time::timeout_at(deadline, self.turn.clone().lock_owned()).await.ok()?,
            }
        } else {
            self.foreground_waiting.fetch_add(1, Ordering::AcqRel);
            let _waiting = Waiting(self);
            tokio::time::timeout_at(deadline, self.turn.clone().lock_owned()).await.ok()?
        };
        let work = if background { "background" } else { "request" };
        let since = Instant::now();
        metrics::histogram!(WAIT_METRIC, "work" => work).record(since.duration_since(asked).as_secs_f64());
        Some(Turn { guard: Some(guard), released: self.released.clone(), work, since })
    }

    /// The turn, taken the moment it is free while no request's writer waits; `None` at
    /// `until`. Never queues: a queued writer would be served before requests that come later.
    async fn when_no_request_waits(&self, until: tokio::time::Instant) -> Option<OwnedMutexGuard<()>> {
        loop {
            let (released, gone) = (self.released.notified(), self.foreground_gone.notified());
            tokio::pin!(released, gone);
            // Registered before the state is read, so a turn ending or a last request's writer
            // leaving in between is not missed.
            released.as_mut().enable();
            gone.as_mut().enable();
            if self.foreground_waiting.load(Ordering::Acquire) == 0
                && let Ok(guard) = self.turn.clone().try_lock_owned()
            {
                return Some(guard);
            }
            tokio::select! {
                () = released => {}
                () = gone => {}
                () = tokio::time::sleep_until(until) => return None,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex as StdMutex;

    /// A request's writer that arrives while a background writer waits for the turn goes
    /// first; the background writer still gets its turn once no request waits.
    // Paused time: the sleeps below advance a virtual clock once every task waits, so the
    // order of arrival is exact and nothing waits on the real clock.
    #[tokio::test(start_paused = true)]
    async fn requests_go_before_background_writers() {
        let turns = Arc::new(WriteTurns::default());
        let order = Arc::new(StdMutex::new(Vec::new()));
        let held = turns.take(Duration::from_secs(5)).await.expect("first turn");

        let (t, o) = (turns.clone(), order.clone());
        let background = tokio::spawn(as_background(async move {
            let _turn = t.take(Duration::from_secs(5)).await.expect("background turn");
            o.lock().expect("lock").push("background");
        }));
        tokio::time::sleep(Duration::from_millis(50)).await;
        let (t, o) = (turns.clone(), order.clone());
        let request = tokio::spawn(async move {
            let _turn = t.take(Duration::from_secs(5)).await.expect("request turn");
            o.lock().expect("lock").push("request");
        });
        tokio::time::sleep(Duration::from_millis(50)).await;
        drop(held);
        request.await.expect("request");
        background.await.expect("background");
        assert_eq!(*order.lock().expect("lock"), ["request", "background"]);
    }

    /// Background work is not starved: after [`BACKGROUND_YIELD`] it queues like anyone, so
    /// a request that arrives later goes after it.
    // Paused time: the sleeps below advance a virtual clock once every task waits, so the
    // order of arrival is exact and nothing waits on the real clock.
    #[tokio::test(start_paused = true)]
    async fn a_background_writer_yields_at_most_the_cap() {
        let turns = Arc::new(WriteTurns::default());
        let order = Arc::new(StdMutex::new(Vec::new()));
        let writer = |name: &'static str, background: bool| {
            let (t, o) = (turns.clone(), order.clone());
            let work = async move {
                let _turn = t.take(Duration::from_secs(60)).await.expect("turn");
                o.lock().expect("lock").push(name);
            };
            if background { tokio::spawn(as_background(work)) } else { tokio::spawn(work) }
        };
        let held = turns.take(Duration::from_secs(60)).await.expect("held");
        let early = writer("early request", false);
        tokio::task::yield_now().await;
        let background = writer("background", true);
        tokio::time::sleep(BACKGROUND_YIELD + Duration::from_millis(200)).await;
        let late = writer("late request", false);
        tokio::time::sleep(Duration::from_millis(200)).await;
        drop(held);
        for w in [early, background, late] {
            w.await.expect("writer");
        }
        assert_eq!(*order.lock().expect("lock"), ["early request", "background", "late request"]);
    }

    // Paused time: the sleeps below advance a virtual clock once every task waits, so the
    // order of arrival is exact and nothing waits on the real clock.
    #[tokio::test(start_paused = true)]
    async fn a_request_that_gives_up_is_no_longer_waiting() {
        let turns = WriteTurns::default();
        let _held = turns.take(Duration::from_secs(5)).await.expect("held");
        assert!(turns.take(Duration::from_millis(20)).await.is_none());
        assert_eq!(turns.foreground_waiting.load(Ordering::Acquire), 0);
    }
}
