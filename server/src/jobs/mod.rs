//! The durable job runner. Jobs live in the database (see `store::jobs`), so they survive
//! restarts; a claimed job is leased, so a job whose worker died is taken over when the
//! lease ends. Handlers must be idempotent: a job may run again after a crash.
//!
//! `vouch serve` runs a runner in-process by default; `vouch worker` runs one alone, and
//! several workers may share one PostgreSQL database.

pub mod lti_expiry;
pub mod lti_outcome;
pub mod photo_retention;
pub mod review_alert;
pub mod ss_submit;

use crate::{
    service::Services,
    store::{jobs, write_turn::as_background},
};
use chrono::Duration;
use std::{collections::HashMap, sync::Arc};

/// How a job run ended, when it did not succeed. The runner branches on the variant
/// ([`JobError::is_retryable`]); the text (`Display`) is kept as the job's `last_error` and
/// handed to [`JobHandler::exhausted`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JobError {
    /// Worth trying again later (the vendor is down, a timeout).
    #[error("{0}")]
    Retry(String),
    /// Trying again cannot help (the attempt is gone, configuration is missing).
    #[error("{0}")]
    Fail(String),
    /// The payload does not parse (queued by another version of Vouch, or damaged): no try
    /// can read it, so it fails for good ([`parse_payload`]).
    #[error("bad payload: {0}")]
    BadPayload(String),
    /// The handler panicked: a failed try like `Retry` (the bug may depend on the data of
    /// the moment), given up after the last try like any other.
    #[error("the handler panicked: {0}")]
    Panicked(String),
}

impl JobError {
    /// Whether the job is tried again (while it has tries left).
    pub fn is_retryable(&self) -> bool {
        matches!(self, Self::Retry(_) | Self::Panicked(_))
    }
}

/// A job's payload as its handler's type, or [`JobError::BadPayload`].
pub fn parse_payload<T: serde::de::DeserializeOwned>(payload: &str) -> Result<T, JobError> {
    serde_json::from_str(payload).map_err(|e| JobError::BadPayload(e.to_string()))
}

/// A kind of job.
#[async_trait::async_trait]
pub trait JobHandler: Send + Sync + 'static {
    /// The kind name stored with the job.
    fn kind(&self) -> &'static str;
    /// Runs one job.
    async fn run(&self, services: &Services, payload: &str) -> Result<(), JobError>;
    /// Called once when the job fails for good (after its last try, or a `Fail`).
    async fn exhausted(&self, services: &Services, payload: &str, last_error: &str);
    /// The first retry delay in seconds (doubling after each try): `jobs.retry_base_secs`
    /// unless the job kind has a policy of its own (a vendor's send, webhook deliveries).
    fn retry_base_secs(&self, services: &Services) -> f64 {
        services.cfg.job_retry_base_secs()
    }
}

/// The handlers of this module's jobs. The event bus's jobs (fan-out, subscribers,
/// webhooks) are `reactions`', which hands them to the runner with these
/// (`reactions::runner`).
pub fn handlers() -> Vec<Arc<dyn JobHandler>> {
    vec![
        Arc::new(ss_submit::SubmitToSoftwareSecure),
        Arc::new(lti_outcome::SendLtiOutcome),
        Arc::new(photo_retention::PhotoRetentionSweep),
        Arc::new(lti_expiry::LtiExpirySweep),
        Arc::new(review_alert::ReviewAlert),
    ]
}

/// Claims and runs jobs.
#[derive(Clone)]
pub struct Runner {
    services: Services,
    handlers: Arc<HashMap<&'static str, Arc<dyn JobHandler>>>,
    worker: String,
}

impl Runner {
    /// A runner with these handlers, named `worker` in job leases.
    pub fn new(services: Services, worker: impl Into<String>, handlers: Vec<Arc<dyn JobHandler>>) -> Self {
        let handlers = handlers.into_iter().map(|h| (h.kind(), h)).collect();
        Self { services, handlers: Arc::new(handlers), worker: worker.into() }
    }

    /// Claims up to the configured concurrency of due jobs and runs them to their outcome;
    /// returns how many it ran.
    pub async fn run_once(&self) -> usize {
        let claimed = self.claim(self.services.cfg.jobs.concurrency.max(1)).await;
        let n = claimed.len();
        let mut set = tokio::task::JoinSet::new();
        for job in claimed {
            let this = self.clone();
            set.spawn(as_background(async move { this.execute(job).await }));
        }
        while !set.is_empty() {
            self.reap(&mut set).await;
        }
        n
    }

    /// Claims up to `limit` due jobs (none when the database cannot be reached: logged).
    async fn claim(&self, limit: usize) -> Vec<jobs::Job> {
        // Background also when called by `run_once` (tests and one-shot commands).
        let mut conn = match as_background(self.services.store.write_conn()).await {
            Ok(c) => c,
            Err(e) => {
                tracing::warn!(error = %e, "job runner cannot reach the database");
                return Vec::new();
            }
        };
        let now = self.services.clock.now();
        let backend = self.services.store.backend();
        let lease = Duration::seconds(self.services.cfg.jobs.lease_secs);
        match jobs::claim(&mut conn, backend, &self.worker, limit as i64, now, lease).await {
            Ok(j) => j,
            Err(e) => {
                tracing::warn!(error = %e, "could not claim jobs");
                Vec::new()
            }
        }
    }

    /// Waits for the next job of `set` to finish, then marks it and every other job that has
    /// finished by then done in one write: on SQLite every write takes the process's write
    /// turn, and a submission's jobs (the vendor send, the event fan-outs and deliveries)
    /// made half of its writes their completions, one each, which queued the learners' own
    /// writes behind them (BENCHMARKS.md, issue 18). Never held back for a slower job, so no
    /// finished job's lease runs out waiting and lets another worker run it again.
    async fn reap(&self, set: &mut tokio::task::JoinSet<Option<i64>>) {
        if let Some(first) = set.join_next().await {
            self.reap_after(first, set).await;
        }
    }

    /// [`Runner::reap`] once `first` has finished.
    async fn reap_after(
        &self,
        first: Result<Option<i64>, tokio::task::JoinError>,
        set: &mut tokio::task::JoinSet<Option<i64>>,
    ) {
        let mut done: Vec<i64> = first.ok().flatten().into_iter().collect();
        while let Some(more) = set.try_join_next() {
            done.extend(more.ok().flatten());
        }
        self.mark_done(&done).await;
    }

    /// Marks `done` (this worker's finished jobs) done in one write. A crash before it runs
    /// them again, as a crash before any completion always could: handlers are idempotent.
    async fn mark_done(&self, done: &[i64]) {
        if done.is_empty() {
            return;
        }
        let now = self.services.clock.now();
        let res =
            async { jobs::complete_many(&mut *self.services.store.write_conn().await?, done, &self.worker, now).await };
        if let Err(e) = as_background(res).await {
            tracing::warn!(error = %e, jobs = done.len(), "could not mark jobs done; they will run again");
        }
    }

    /// Runs until no job is due (for tests and one-shot commands).
    pub async fn run_until_idle(&self) {
        while self.run_once().await > 0 {}
    }

    /// Runs forever: keeps up to `jobs.concurrency` jobs running, claiming more as each slot
    /// frees, so a long job (a retention sweep over a backlog) never holds back the jobs queued
    /// after it (a learner's photos waiting for the vendor), as a claim-a-batch-then-wait-for-
    /// all loop did. Sleeps the poll interval when nothing is due, woken early when a
    /// transaction of this process that queued jobs commits (`store::Tx::commit`); queues the
    /// scheduled jobs when their interval comes.
    pub async fn run_forever(self) {
        // Its writes (and its jobs', each spawned as background too) let requests go first.
        as_background(self.keep_running()).await;
    }

    async fn keep_running(self) {
        let idle = std::time::Duration::from_millis(self.services.cfg.jobs.poll_interval_ms.max(10));
        let slots = self.services.cfg.jobs.concurrency.max(1);
        let mut next_retention = tokio::time::Instant::now();
        let mut next_lti_expiry = tokio::time::Instant::now();
        let mut next_review_check = tokio::time::Instant::now();
        let mut running = tokio::task::JoinSet::new();
        loop {
            if tokio::time::Instant::now() >= next_review_check {
                let every = self.services.cfg.review.alert_check_secs.max(1);
                next_review_check = tokio::time::Instant::now() + std::time::Duration::from_secs(every);
                if let Err(e) = crate::service::review::alert::check(&self.services).await {
                    tracing::warn!(error = %e, "could not check the review queue's age");
                }
            }
            if tokio::time::Instant::now() >= next_lti_expiry {
                next_lti_expiry = tokio::time::Instant::now() + lti_expiry::interval(&self.services);
                if let Err(e) = lti_expiry::schedule(&self.services).await {
                    tracing::warn!(error = %e, "could not schedule the LTI expiry sweep");
                }
            }
            if tokio::time::Instant::now() >= next_retention {
                next_retention = tokio::time::Instant::now() + photo_retention::interval(&self.services);
                if let Err(e) = photo_retention::schedule(&self.services).await {
                    tracing::warn!(error = %e, "could not schedule the photo retention sweep");
                }
            }
            let free = slots.saturating_sub(running.len());
            let claimed = if free > 0 { self.claim(free).await } else { Vec::new() };
            let filled = claimed.len() == free;
            for job in claimed {
                let this = self.clone();
                running.spawn(as_background(async move { this.execute(job).await }));
            }
            if filled && free > 0 {
                // Every free slot found a job: more may be due at once.
                continue;
            }
            // Wait for a slot to free (when one is busy), for a commit that queued jobs (when
            // one is free), or for the poll interval (retries and other processes' jobs).
            // Only `join_next` is raced (it is cancel-safe): the completions are written after,
            // so a timer that fires meanwhile cannot drop a finished job's mark.
            let finished = tokio::select! {
                first = running.join_next(), if !running.is_empty() => first,
                () = self.services.store.jobs_queued().notified(), if running.len() < slots => None,
                () = tokio::time::sleep(idle) => None,
            };
            if let Some(first) = finished {
                self.reap_after(first, &mut running).await;
            }
        }
    }

    /// Runs `job` and records a retry or a failure; returns its id when it succeeded (the
    /// caller marks successes done, those that finished together in one write).
    #[tracing::instrument(skip_all, fields(job.id = job.id, job.kind = %job.kind, job.attempt = job.attempts))]
    async fn execute(&self, job: jobs::Job) -> Option<i64> {
        let Some(handler) = self.handlers.get(job.kind.as_str()).cloned() else {
            self.finish_failed(&job, None, "no handler for this job kind").await;
            return None;
        };
        if job.attempts > job.max_attempts {
            // Its worker stopped during its last try (the lease ran out): given up, not run.
            self.finish_failed(&job, Some(handler), "its worker stopped during its last try").await;
            return None;
        }
        // A panic is a failed try like an error: retried with backoff and, after the last
        // try, given up. Uncaught, it left the job running under this worker's name, taken
        // again after every lease, for ever.
        let outcome = futures_util::FutureExt::catch_unwind(std::panic::AssertUnwindSafe(
            handler.run(&self.services, &job.payload),
        ))
        .await
        .unwrap_or_else(|panic| Err(JobError::Panicked(crate::cpu_work::panic_message(panic.as_ref()))));
        let label = match &outcome {
            Ok(()) => "done",
            Err(e) if e.is_retryable() && job.attempts < job.max_attempts => "retry",
            Err(_) => "failed",
        };
        metrics::counter!("vouch_job_runs_total", "kind" => handler.kind(), "outcome" => label).increment(1);
        match outcome {
            Ok(()) => return Some(job.id),
            Err(e) if e.is_retryable() && job.attempts < job.max_attempts => {
                let error = e.to_string();
                let delay = backoff(handler.retry_base_secs(&self.services), job.attempts);
                tracing::info!(retry_in_ms = delay.num_milliseconds(), "job will be retried");
                let run_at = self.services.clock.now() + delay;
                let res = async {
                    jobs::retry_at(&mut *self.services.store.write_conn().await?, job.id, &self.worker, run_at, &error)
                        .await
                };
                if let Err(e) = res.await {
                    tracing::warn!(error = %e, "could not reschedule a job; its lease will expire");
                }
            }
            Err(e) => {
                self.finish_failed(&job, Some(handler), &e.to_string()).await;
            }
        }
        None
    }

    async fn finish_failed(&self, job: &jobs::Job, handler: Option<Arc<dyn JobHandler>>, error: &str) {
        tracing::warn!(error, "job failed for good");
        if let Some(h) = handler {
            h.exhausted(&self.services, &job.payload, error).await;
        }
        let now = self.services.clock.now();
        let res =
            async { jobs::fail(&mut *self.services.store.write_conn().await?, job.id, &self.worker, now, error).await };
        if let Err(e) = res.await {
            tracing::warn!(error = %e, "could not mark a job failed");
        }
    }
}

/// The delay before retry number `attempt` (1-based): `base` doubled each time, capped at
/// an hour, with ±20% jitter so that many failed jobs do not return in lockstep.
pub fn backoff(base_secs: f64, attempt: i32) -> Duration {
    let exp = base_secs * 2f64.powi(attempt.clamp(1, 30) - 1);
    let jitter = 0.8 + 0.4 * rand::random::<f64>();
    let secs = (exp.min(3600.0) * jitter).max(0.001);
    Duration::milliseconds((secs * 1000.0) as i64)
}

#[cfg(test)]
mod tests {
    use super::{JobError, backoff, parse_payload};

    #[test]
    fn a_bad_payload_fails_for_good_and_a_panic_is_retried_with_their_messages_kept() {
        #[derive(Debug, serde::Deserialize)]
        struct Payload {
            #[expect(dead_code, reason = "only parsed")]
            attempt_id: i64,
        }
        let bad = parse_payload::<Payload>("{\"attempt_id\": \"seven\"}").expect_err("not a number");
        assert!(matches!(bad, JobError::BadPayload(_)) && !bad.is_retryable(), "{bad:?}");
        assert!(bad.to_string().starts_with("bad payload: invalid type"), "{bad}");
        let panicked = JobError::Panicked("a handler bug".into());
        assert!(panicked.is_retryable());
        assert_eq!(panicked.to_string(), "the handler panicked: a handler bug");
        assert!(JobError::Retry("down".into()).is_retryable() && !JobError::Fail("gone".into()).is_retryable());
    }

    #[test]
    fn backoff_doubles_with_jitter_and_a_cap() {
        for attempt in 1..=8 {
            let d = backoff(30.0, attempt).num_milliseconds() as f64 / 1000.0;
            let nominal = (30.0 * 2f64.powi(attempt - 1)).min(3600.0);
            assert!(d >= nominal * 0.8 - 0.01 && d <= nominal * 1.2 + 0.01, "attempt {attempt}: {d}");
        }
        assert!(backoff(30.0, 50).num_seconds() <= 4320);
    }
}
