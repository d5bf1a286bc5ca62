//! The scheduled photo retention sweep (see `service::retention`).
//!
//! Every job runner (`vouch serve` with `jobs.run_in_server`, `vouch worker`) calls
//! [`schedule`] every `verification.photo_retention_interval_secs`: when some attempt's
//! photos are due, it queues a sweep job keyed by the interval's number, so however many
//! runners there are, each interval queues at most one sweep and one runner claims it
//! (the job table's claim and lease). A sweep that finds another sweep job holding a live
//! lease (a long catch-up still running) stops at once, so sweeps never overlap; a sweep
//! stops by itself after half its lease, leaving the rest to the next interval, so its
//! lease never runs out under it. A runner that dies mid-sweep leaves the job to be taken
//! over when its lease ends; the sweep is idempotent, so running it again is safe.

use super::{JobError, JobHandler, parse_payload};
use crate::{
    service::{
        ServiceResult, Services,
        retention::{self, SweepOptions},
    },
    store::{jobs, photo_retention::Deleter},
};
use serde::Deserialize;

/// The job kind.
pub const KIND: &str = "photos.retention_sweep";

/// Tries before a sweep is given up (the next interval queues a new one anyway).
const MAX_ATTEMPTS: i32 = 3;

#[derive(Debug, Deserialize)]
struct Payload {
    /// The interval's number (Unix seconds divided by the interval).
    slot: i64,
}

/// The interval between sweeps, at least a second.
pub fn interval(services: &Services) -> std::time::Duration {
    std::time::Duration::from_secs(services.cfg.verification.photo_retention_interval_secs.max(1))
}

/// Queues this interval's sweep if some photos are due and it is not queued yet; returns
/// whether it queued one.
pub async fn schedule(services: &Services) -> ServiceResult<bool> {
    if !retention::any_due(services).await? {
        return Ok(false);
    }
    let now = services.clock.now();
    let every = i64::try_from(interval(services).as_secs()).unwrap_or(i64::MAX);
    let slot = now.timestamp().div_euclid(every);
    let payload = serde_json::json!({ "slot": slot }).to_string();
    let mut tx = services.store.begin().await?;
    let queued = jobs::enqueue(&mut tx, KIND, &payload, &format!("{KIND}:{slot}"), MAX_ATTEMPTS, now).await?;
    tx.commit().await.map_err(crate::store::StoreError::from)?;
    Ok(queued)
}

/// The handler.
pub struct PhotoRetentionSweep;

#[async_trait::async_trait]
impl JobHandler for PhotoRetentionSweep {
    fn kind(&self) -> &'static str {
        KIND
    }

    async fn run(&self, services: &Services, payload: &str) -> Result<(), JobError> {
        let Payload { slot } = parse_payload(payload)?;
        let running = {
            let mut conn = services.store.conn().await.map_err(|e| JobError::Retry(e.to_string()))?;
            crate::store::photo_retention::running_jobs(&mut conn, KIND, services.clock.now())
                .await
                .map_err(|e| JobError::Retry(e.to_string()))?
        };
        if running > 1 {
            tracing::info!(slot, "another photo retention sweep is running; this one stops");
            return Ok(());
        }
        let lease = services.cfg.jobs.lease_secs.max(2);
        let budget = std::time::Duration::from_secs(u64::try_from(lease / 2).unwrap_or(1));
        let options = SweepOptions { dry_run: false, deleter: Deleter::Job, budget: Some(budget) };
        retention::sweep(services, options, |_, _| {}).await.map_err(|e| JobError::Retry(e.to_string()))?;
        Ok(())
    }

    async fn exhausted(&self, _: &Services, _: &str, last_error: &str) {
        tracing::error!(error = last_error, "a photo retention sweep failed; the next interval tries again");
    }
}
