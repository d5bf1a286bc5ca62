//! The bulk CPU work of requests (decoding, checking and sealing photos): on a few threads of
//! its own, one per core, at a lower scheduling priority (nice +10 on Linux).
//!
//! Why not tokio's blocking pool: a submission seals two megabyte-sized photos, and under load
//! that work filled every core. The short steps that everyone else waits for then waited for
//! a core too: on SQLite, the transaction holding the process's write turn sat between its
//! statements while photos were sealed, and every learner's write queued behind it (the
//! submit p99, BENCHMARKS.md, issue 18). At a lower priority the photo work takes the cores
//! the async workers and the database leave idle, which is all of them when the machine is
//! not saturated; throughput is the same work on the same cores. One thread per core also
//! queues the work instead of time-slicing sixteen half-done seals.

use std::{
    panic::AssertUnwindSafe,
    sync::{
        Mutex, OnceLock,
        atomic::{AtomicUsize, Ordering},
        mpsc,
    },
};

type Work = Box<dyn FnOnce() + Send>;

/// Why work did not run to its result.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum CpuWorkError {
    /// [`QUEUE_PER_THREAD`] items per thread already wait: refused, not queued.
    #[error("too much CPU work is queued")]
    Busy,
    /// It panicked (logged with its message).
    #[error("a CPU work task panicked")]
    Panicked,
}

/// How many items may wait per work thread before more are refused ([`CpuWorkError::Busy`],
/// a `503` to the learner). Each waiting item holds a submission's photos in memory, a few
/// megabytes, and at ~4 ms of work per item, 64 waiting items on two cores are over 100 ms of
/// queue: past that, a learner is better told to try again than kept waiting while the
/// process's memory grows with the crowd.
pub const QUEUE_PER_THREAD: usize = 32;

/// Items queued and not yet started.
static WAITING: AtomicUsize = AtomicUsize::new(0);

/// Whether work would be refused now ([`CpuWorkError::Busy`]): the submit doors ask before
/// reading a request's body or spending the learner's per-minute allowance on it. Only a
/// hint (the queue may fill between this and [`run`], which checks again).
pub fn is_full() -> bool {
    WAITING.load(Ordering::Acquire) >= QUEUE_PER_THREAD * threads()
}

/// Runs `f` on the CPU work threads and waits for its result without blocking an async
/// worker; refused at once when the queue is full.
pub async fn run<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> Result<T, CpuWorkError> {
    let limit = QUEUE_PER_THREAD * threads();
    if WAITING.fetch_add(1, Ordering::AcqRel) >= limit {
        WAITING.fetch_sub(1, Ordering::AcqRel);
        return Err(CpuWorkError::Busy);
    }
    let (tx, rx) = tokio::sync::oneshot::channel();
    let work: Work = Box::new(move || {
        WAITING.fetch_sub(1, Ordering::AcqRel);
        // A request dropped while its work waited (the client went away) costs nothing more.
        if tx.is_closed() {
            return;
        }
        let _ = tx.send(f());
    });
    if queue().send(work).is_err() {
        WAITING.fetch_sub(1, Ordering::AcqRel);
        return Err(CpuWorkError::Panicked);
    }
    rx.await.map_err(|_| CpuWorkError::Panicked)
}

/// One work thread per core.
fn threads() -> usize {
    static THREADS: OnceLock<usize> = OnceLock::new();
    *THREADS.get_or_init(|| std::thread::available_parallelism().map_or(2, usize::from))
}

fn queue() -> &'static mpsc::Sender<Work> {
    static QUEUE: OnceLock<mpsc::Sender<Work>> = OnceLock::new();
    QUEUE.get_or_init(|| {
        let (tx, rx) = mpsc::channel::<Work>();
        let rx = std::sync::Arc::new(Mutex::new(rx));
        for i in 0..threads() {
            let rx = rx.clone();
            let spawned = std::thread::Builder::new().name(format!("vouch-cpu-{i}")).spawn(move || {
                lower_thread_priority();
                loop {
                    // The lock is held only while taking the next item, never while working.
                    let next = match rx.lock() {
                        Ok(rx) => rx.recv(),
                        Err(poisoned) => poisoned.into_inner().recv(),
                    };
                    let Ok(work) = next else { return };
                    // A panic loses that request's result (its sender is dropped, so the caller
                    // gets `Panicked`), not the thread.
                    if let Err(panic) = std::panic::catch_unwind(AssertUnwindSafe(work)) {
                        tracing::error!(panic = panic_message(panic.as_ref()), "a CPU work task panicked");
                    }
                }
            });
            if let Err(e) = spawned {
                tracing::error!(error = %e, "could not start a CPU work thread");
            }
        }
        tx
    })
}

/// The message a panic carried (`panic!` with a literal or a formatted string), or nothing.
pub fn panic_message(panic: &(dyn std::any::Any + Send)) -> String {
    panic
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_default()
}

/// Nice +10 for the calling thread (Linux applies nice per thread). Best effort: elsewhere,
/// or if refused, the work runs at normal priority. Also the job runner's threads
/// (`crate::job_thread`).
pub fn lower_thread_priority() {
    #[cfg(target_os = "linux")]
    if let Err(e) = rustix::process::setpriority_process(Some(rustix::thread::gettid()), 10) {
        tracing::debug!(error = %e, "could not lower the CPU work thread's priority");
    }
}

/// Serialises this module's tests, which share the process-wide queue.
#[cfg(test)]
fn tests_alone() -> &'static tokio::sync::Mutex<()> {
    static ALONE: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());
    &ALONE
}

#[cfg(test)]
mod tests {
    #[tokio::test]
    async fn runs_work_and_survives_a_panic() {
        let _alone = super::tests_alone().lock().await;
        assert_eq!(super::run(|| 6 * 7).await.ok(), Some(42));
        assert!(super::run(|| -> u8 { panic!("boom") }).await.is_err());
        // Every thread is still there after a panic.
        let all: Vec<_> = (0..16).map(|i| super::run(move || i * 2)).collect();
        let mut sum = 0;
        for r in all {
            sum += r.await.expect("ran");
        }
        assert_eq!(sum, (0..16).map(|i| i * 2).sum::<i32>());
    }

    /// Past the bound, work is refused at once instead of queued; the queue takes work again
    /// as it drains. The queue is process-wide and a test binary's tests run at once, hence
    /// the lock shared with this module's other tests.
    #[tokio::test]
    async fn a_full_queue_refuses_work() {
        let _alone = super::tests_alone().lock().await;
        let (release, gate) = std::sync::mpsc::channel::<()>();
        let gate = std::sync::Arc::new(std::sync::Mutex::new(gate));
        // Occupy every thread, so the next items wait.
        let started = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let mut running = Vec::new();
        for _ in 0..super::threads() {
            let (gate, started) = (gate.clone(), started.clone());
            running.push(tokio::spawn(super::run(move || {
                started.fetch_add(1, std::sync::atomic::Ordering::AcqRel);
                let _ = gate.lock().map(|g| g.recv());
            })));
        }
        // Every thread holds a blocked item; then fill the queue behind them.
        while started.load(std::sync::atomic::Ordering::Acquire) < super::threads() {
            tokio::task::yield_now().await;
        }
        let limit = super::QUEUE_PER_THREAD * super::threads();
        let waiting: Vec<_> = (0..limit).map(|i| tokio::spawn(super::run(move || i))).collect();
        while super::WAITING.load(std::sync::atomic::Ordering::Acquire) < limit {
            tokio::task::yield_now().await;
        }
        assert_eq!(super::run(|| 1).await, Err(super::CpuWorkError::Busy));
        assert!(super::is_full());
        for _ in 0..super::threads() {
            release.send(()).expect("a blocked item");
        }
        for (i, w) in waiting.into_iter().enumerate() {
            assert_eq!(w.await.expect("joined"), Ok(i));
        }
        for r in running {
            assert_eq!(r.await.expect("joined"), Ok(()));
        }
        assert!(!super::is_full());
        assert_eq!(super::run(|| 2).await, Ok(2), "takes work again once drained");
    }

    #[cfg(target_os = "linux")]
    #[tokio::test]
    async fn work_runs_at_a_lower_priority() {
        let _alone = super::tests_alone().lock().await;
        let nice = super::run(|| rustix::process::getpriority_process(Some(rustix::thread::gettid())))
            .await
            .expect("ran")
            .expect("getpriority");
        assert_eq!(nice, 10);
    }
}
