//! `vouch serve`'s in-process job runner, on a tokio runtime of its own whose threads run at a
//! lower CPU priority (nice +10, like the photo work of `cpu_work`).
//!
//! Why: under the submit benchmark on PostgreSQL, the jobs a burst of submissions queues (the
//! vendor sends, the event fan-outs and deliveries, their transactions) took a third of the
//! throughput from the submissions themselves once the runner kept every slot busy (issue 18,
//! BENCHMARKS.md). SQLite gives the learners' writes priority at its write turn; PostgreSQL has
//! no such turn, so the jobs' own CPU goes behind the requests' here instead. A job still runs
//! as soon as a core is idle, which on a machine that is not saturated is at once.
//!
//! On PostgreSQL the runner gets its own pool ([`Store::with_own_pool`]): a connection's
//! socket is served by the runtime that opened it, so sharing the requests' pool would leave
//! some requests' queries waiting for these low-priority threads to wake them. That pool holds
//! up to `2 × jobs.concurrency + 1` connections (a job may hold a read connection while it
//! writes), beside `database.max_connections` for requests.

use crate::{jobs::Runner, service::Services, vault::Vault};
use anyhow::Context;

/// Threads of the job runtime: jobs mostly wait on the network and the database.
const THREADS: usize = 2;

/// The running job runtime; it stops when this is dropped (the server stopped, or the future
/// that started it was dropped).
pub struct JobThread {
    _stop: tokio::sync::oneshot::Sender<()>,
}

/// The job runtime: [`THREADS`] threads at the lower priority.
fn runtime() -> std::io::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(THREADS)
        .thread_name("vouch-jobs")
        .on_thread_start(crate::cpu_work::lower_thread_priority)
        .enable_all()
        .build()
}

/// Starts `runner` (made from the job runtime's own [`Services`]) on the job runtime.
/// Returns once the runner's connections are open, or with the error that kept them closed.
pub async fn start(
    services: &Services,
    runner: impl FnOnce(Services) -> Runner + Send + 'static,
) -> anyhow::Result<JobThread> {
    let services = services.clone();
    let (ready_tx, ready) = tokio::sync::oneshot::channel::<anyhow::Result<()>>();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    std::thread::Builder::new()
        .name("vouch-jobs-main".into())
        .spawn(move || {
            // This thread drives the runner's own loop (`block_on`): lower too.
            crate::cpu_work::lower_thread_priority();
            // Built here, not in the caller: a runtime may not be dropped inside another one.
            let runtime = match runtime() {
                Ok(runtime) => runtime,
                Err(e) => {
                    let _ = ready_tx.send(Err(anyhow::Error::new(e).context("starting the job runner's threads")));
                    return;
                }
            };
            runtime.block_on(async move {
                let own = match own_services(services).await {
                    Ok(own) => {
                        let _ = ready_tx.send(Ok(()));
                        own
                    }
                    Err(e) => {
                        let _ = ready_tx.send(Err(e));
                        return;
                    }
                };
                // Its own pool (PostgreSQL) is closed here; SQLite's is the server's to close.
                let own_pool = (own.store.backend() == crate::store::Backend::Postgres).then(|| own.store.clone());
                tokio::select! {
                    () = runner(own).run_forever() => {}
                    // The sender went: the server stopped.
                    _ = stopped => {}
                }
                if let Some(store) = own_pool {
                    store.close().await;
                }
            });
            // Jobs still running are dropped with the runtime; their leases let another
            // worker (or this server's next start) take them over.
            runtime.shutdown_timeout(std::time::Duration::from_secs(1));
        })
        .context("starting the job runner's thread")?;
    ready.await.context("the job runner's thread ended at start")??;
    Ok(JobThread { _stop: stop })
}

/// The services the jobs use, opened on the job runtime: the database through a pool of its
/// own (PostgreSQL), and the HTTP and photo store clients anew, so their connections are this
/// runtime's too. Everything else (configuration, keys, registries, the status cache) is the
/// server's.
async fn own_services(services: Services) -> anyhow::Result<Services> {
    let cfg = services.cfg.clone();
    let connections = u32::try_from(cfg.jobs.concurrency.max(1) * 2 + 1).unwrap_or(u32::MAX);
    let store = services
        .store
        .with_own_pool(&cfg.database.url, connections)
        .await
        .map_err(|e| anyhow::anyhow!(crate::config::database_unusable(&e)))?;
    let http = crate::outbound::client(&cfg).context("building the HTTP client")?;
    Ok(Services { store, http, vault: Vault::from_config(&cfg.vault)?, ..services })
}

#[cfg(test)]
mod tests {
    /// The job runtime's threads run at the lower priority.
    #[cfg(target_os = "linux")]
    #[test]
    fn its_threads_run_at_a_lower_priority() {
        let runtime = super::runtime().expect("runtime");
        let nice = runtime
            .block_on(async {
                tokio::spawn(async { rustix::process::getpriority_process(Some(rustix::thread::gettid())) }).await
            })
            .expect("joined");
        assert_eq!(nice.ok(), Some(10));
    }
}
