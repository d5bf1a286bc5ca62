//! The job runner as `vouch serve` and `vouch worker` run it (`Runner::run_forever`).

use crate::{
    on_both_backends,
    support::{TestApp, TestDb},
};
use server::{
    jobs::{JobError, JobHandler, Runner},
    service::Services,
    store::jobs,
};
use std::{
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};
use tokio::sync::Semaphore;

/// Records each payload it runs; a payload `slow` first waits for the test's permit.
#[derive(Clone)]
struct Probe {
    ran: Arc<Mutex<Vec<String>>>,
    started_slow: Arc<Semaphore>,
    release_slow: Arc<Semaphore>,
}

#[async_trait::async_trait]
impl JobHandler for Probe {
    fn kind(&self) -> &'static str {
        "test.probe"
    }

    async fn run(&self, _: &Services, payload: &str) -> Result<(), JobError> {
        if payload == "slow" {
            self.started_slow.add_permits(1);
            let permit = self.release_slow.acquire().await.map_err(|e| JobError::Fail(e.to_string()))?;
            permit.forget();
        }
        self.ran.lock().expect("lock").push(payload.to_owned());
        Ok(())
    }

    async fn exhausted(&self, _: &Services, _: &str, _: &str) {}
}

async fn enqueue(services: &Services, payload: &str) {
    let mut tx = services.store.begin().await.expect("begin");
    let now = services.clock.now();
    jobs::enqueue(&mut tx, "test.probe", payload, &format!("probe:{payload}"), 1, now).await.expect("enqueue");
    tx.commit().await.expect("commit");
}

/// The statuses of the probe's jobs, by payload order of queueing (the runner also queues
/// its scheduled sweeps, which this runner has no handler for).
async fn probe_statuses(services: &Services) -> Vec<String> {
    let mut conn = services.store.conn().await.expect("conn");
    let (all, _) = jobs::list(&mut conn, None, 0, 100).await.expect("list");
    let mut probes: Vec<_> = all.into_iter().filter(|j| j.kind == "test.probe").collect();
    probes.sort_by_key(|j| j.id);
    probes.into_iter().map(|j| j.status).collect()
}

async fn wait_until(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting until {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// A long job (a retention sweep over a backlog, say) must not hold back the jobs queued
/// after it: the runner claims a job for each slot as it frees. Before, it claimed a batch and
/// waited for all of it, so a learner's vendor send queued behind a sweep waited for the sweep.
async fn a_long_job_does_not_hold_back_later_ones(db: &TestDb) {
    let mut cfg = db.config();
    cfg.jobs.concurrency = 2;
    // Long enough that only the commit's wake-up, not a poll, can pick the second job up.
    cfg.jobs.poll_interval_ms = 600_000;
    let app = TestApp::with_config(db, cfg).await;
    let s = app.services.clone();
    let probe = Probe {
        ran: Arc::default(),
        started_slow: Arc::new(Semaphore::new(0)),
        release_slow: Arc::new(Semaphore::new(0)),
    };
    enqueue(&s, "slow").await;
    let runner = tokio::spawn(Runner::new(s.clone(), "test", vec![Arc::new(probe.clone())]).run_forever());
    tokio::time::timeout(Duration::from_secs(20), probe.started_slow.acquire())
        .await
        .expect("the slow job started")
        .expect("semaphore open")
        .forget();

    enqueue(&s, "fast").await;
    wait_until("the fast job ran", || probe.ran.lock().expect("lock").contains(&"fast".to_owned())).await;
    assert!(!probe.ran.lock().expect("lock").contains(&"slow".to_owned()), "the slow job is still running");
    // Marked done as it finished, not when the slow one does.
    let deadline = Instant::now() + Duration::from_secs(20);
    while probe_statuses(&s).await != ["running", "done"] {
        assert!(Instant::now() < deadline, "the fast job was not marked done: {:?}", probe_statuses(&s).await);
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    probe.release_slow.add_permits(1);
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let statuses = probe_statuses(&s).await;
        if statuses == ["done", "done"] {
            break;
        }
        assert!(Instant::now() < deadline, "the slow job was not marked done: {statuses:?}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    runner.abort();
    assert_eq!(*probe.ran.lock().expect("lock"), ["fast", "slow"], "each job ran once");
}
on_both_backends!(a_long_job_does_not_hold_back_the_jobs_queued_after_it, a_long_job_does_not_hold_back_later_ones);

/// Panics on every run.
struct Panics;

#[async_trait::async_trait]
impl JobHandler for Panics {
    fn kind(&self) -> &'static str {
        "test.panics"
    }

    async fn run(&self, _: &Services, _: &str) -> Result<(), JobError> {
        panic!("a handler bug")
    }

    async fn exhausted(&self, _: &Services, _: &str, _: &str) {}
}

/// A handler that panics is a failed try: retried with backoff, then failed for good after
/// its last try. Before, the job stayed `running` under the worker's name and was taken again
/// after every lease, for ever.
async fn a_panicking_handler_fails_its_job(db: &TestDb) {
    let app = TestApp::new(db).await;
    let s = app.services.clone();
    let mut tx = s.store.begin().await.expect("begin");
    jobs::enqueue(&mut tx, "test.panics", "{}", "panics", 2, s.clock.now()).await.expect("enqueue");
    tx.commit().await.expect("commit");
    let runner = Runner::new(s.clone(), "test", vec![Arc::new(Panics)]);
    let job = || async {
        let (all, _) = jobs::list(&mut s.store.conn().await.expect("conn"), None, 0, 10).await.expect("list");
        all.into_iter().find(|j| j.kind == "test.panics").expect("the job")
    };
    assert_eq!(runner.run_once().await, 1);
    let first = job().await;
    assert_eq!((first.status.as_str(), first.attempts), ("queued", 1), "retried: {first:?}");
    assert!(first.last_error.contains("panicked: a handler bug"), "{first:?}");
    app.clock.advance(chrono::Duration::hours(2));
    assert_eq!(runner.run_once().await, 1);
    let last = job().await;
    assert_eq!((last.status.as_str(), last.attempts), ("failed", 2), "{last:?}");
}
on_both_backends!(a_handler_that_panics_fails_its_job_after_its_tries, a_panicking_handler_fails_its_job);

/// Fails every run with a retryable error.
struct AlwaysRetry;

#[async_trait::async_trait]
impl JobHandler for AlwaysRetry {
    fn kind(&self) -> &'static str {
        "test.always_retry"
    }

    async fn run(&self, _: &Services, _: &str) -> Result<(), JobError> {
        Err(JobError::Retry("down".into()))
    }

    async fn exhausted(&self, _: &Services, _: &str, _: &str) {}
}

/// A job that is not a vendor's send waits `jobs.retry_base_secs` before its retry, not the
/// vendor's `software_secure.retry_base_secs`; the vendor's send and webhook deliveries keep
/// their own policies.
async fn jobs_retry_on_their_own_delay(db: &TestDb) {
    let mut cfg = db.config();
    cfg.jobs.retry_base_secs = Some(100.0);
    cfg.software_secure.retry_base_secs = 1.0;
    cfg.events.webhook_retry_base_secs = 7.0;
    let app = TestApp::with_config(db, cfg).await;
    let s = app.services.clone();
    let mut tx = s.store.begin().await.expect("begin");
    jobs::enqueue(&mut tx, "test.always_retry", "{}", "always_retry", 2, s.clock.now()).await.expect("enqueue");
    tx.commit().await.expect("commit");
    let runner = Runner::new(s.clone(), "test", vec![Arc::new(AlwaysRetry)]);
    assert_eq!(runner.run_once().await, 1);
    // Past the vendor's delay (1 s, +20 % jitter at most), before the jobs' (100 s, -20 %).
    app.clock.advance(chrono::Duration::seconds(5));
    assert_eq!(runner.run_once().await, 0, "the retry waits for jobs.retry_base_secs");
    app.clock.advance(chrono::Duration::seconds(120));
    assert_eq!(runner.run_once().await, 1, "the retry is due after jobs.retry_base_secs");

    use server::{jobs::ss_submit::SubmitToSoftwareSecure, reactions::webhook_deliver::DeliverWebhook};
    assert_eq!(SubmitToSoftwareSecure.retry_base_secs(&s), 1.0, "the vendor's send keeps the vendor's policy");
    assert_eq!(DeliverWebhook.retry_base_secs(&s), 7.0, "webhooks keep theirs");
    assert_eq!(AlwaysRetry.retry_base_secs(&s), 100.0);
}
on_both_backends!(a_job_retries_after_jobs_retry_base_secs_not_the_vendors, jobs_retry_on_their_own_delay);
