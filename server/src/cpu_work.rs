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
    sync::{Mutex, OnceLock, mpsc},
};

type Work = Box<dyn FnOnce() + Send>;

/// The work did not finish: it panicked (logged with its message).
#[derive(Debug, thiserror::Error)]
#[error("a CPU work task panicked")]
pub struct Panicked;

/// Runs `f` on the CPU work threads and waits for its result without blocking an async
/// worker.
pub async fn run<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> Result<T, Panicked> {
    let (tx, rx) = tokio::sync::oneshot::channel();
    let work: Work = Box::new(move || {
        // A request dropped while its work waited (the client went away) costs nothing more.
        if tx.is_closed() {
            return;
        }
        let _ = tx.send(f());
    });
    if queue().send(work).is_err() {
        return Err(Panicked);
    }
    rx.await.map_err(|_| Panicked)
}

fn queue() -> &'static mpsc::Sender<Work> {
    static QUEUE: OnceLock<mpsc::Sender<Work>> = OnceLock::new();
    QUEUE.get_or_init(|| {
        let (tx, rx) = mpsc::channel::<Work>();
        let rx = std::sync::Arc::new(Mutex::new(rx));
        let threads = std::thread::available_parallelism().map_or(2, usize::from);
        for i in 0..threads {
            let rx = rx.clone();
            let spawned = std::thread::Builder::new().name(format!("vouch-cpu-{i}")).spawn(move || {
                lower_priority();
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
/// or if refused, the work runs at normal priority.
fn lower_priority() {
    #[cfg(target_os = "linux")]
    if let Err(e) = rustix::process::setpriority_process(Some(rustix::thread::gettid()), 10) {
        tracing::debug!(error = %e, "could not lower the CPU work thread's priority");
    }
}

#[cfg(test)]
mod tests {
    #[tokio::test]
    async fn runs_work_and_survives_a_panic() {
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

    #[cfg(target_os = "linux")]
    #[tokio::test]
    async fn work_runs_at_a_lower_priority() {
        let nice = super::run(|| rustix::process::getpriority_process(Some(rustix::thread::gettid())))
            .await
            .expect("ran")
            .expect("getpriority");
        assert_eq!(nice, 10);
    }
}
