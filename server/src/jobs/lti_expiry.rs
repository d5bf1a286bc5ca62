//! The expiry of an approval sends a 0.0 grade to every graded LTI assignment of its
//! learner (Open edX sends grades on decisions only; an approval that lapses with time has
//! no decision, so nothing would tell the LMS).
//!
//! Every job runner (`vouch serve` with `jobs.run_in_server`, `vouch worker`) calls
//! [`schedule`] every `lti.expiry_check_interval_secs`: when some approval of an LTI learner
//! expired and was not noticed yet, it queues a sweep job keyed by the interval's number, so
//! each interval queues at most one sweep whatever the number of runners. The sweep notices
//! each expired approval once (`lti_expiry_notice`) and records an `expired` event in the
//! outbox in the same transaction: a sweep that dies before its commit leaves nothing
//! noticed and the next one records it; one that committed is never repeated, across
//! restarts and replicas. The grade passback is the event bus's (`reactions::lti_passback`),
//! as for decisions; the passback job reads the learner's status when it runs (through the
//! attempts filters), so a learner verified again meanwhile is sent 1.0, never a stale 0.0.
//!
//! Only expiries from the first check on are noticed ([`lti_expiry::watching_since`]): the
//! first check after an upgrade must not send 0.0 for every approval that ever lapsed
//! (years ago, in courses long closed, whose grades are final).

use super::{JobError, JobHandler, parse_payload};
use crate::{
    service::{ServiceResult, Services},
    store::{StoreError, jobs, lti_expiry, outbox},
};
use serde::Deserialize;

/// The job kind.
pub const KIND: &str = "lti.expiry_sweep";

/// Tries before a sweep is given up (the next interval queues a new one anyway).
const MAX_ATTEMPTS: i32 = 3;

/// Expired approvals handled per batch (one transaction each).
const BATCH: i64 = 200;

#[derive(Debug, Deserialize)]
struct Payload {
    /// The interval's number (Unix seconds divided by the interval).
    slot: i64,
}

/// The interval between checks, at least a second.
pub fn interval(services: &Services) -> std::time::Duration {
    std::time::Duration::from_secs(services.cfg.lti.expiry_check_interval_secs.max(1))
}

/// Queues this interval's sweep if some approval of an LTI learner expired unnoticed and it
/// is not queued yet; returns whether it queued one.
pub async fn schedule(services: &Services) -> ServiceResult<bool> {
    let now = services.clock.now();
    let mut conn = services.store.conn().await?;
    let since = lti_expiry::watching_since(&mut conn, now).await?;
    if lti_expiry::unnoticed(&mut conn, since, now, services.cfg.verification.days_good_for, 1).await?.is_empty() {
        return Ok(false);
    }
    let every = i64::try_from(interval(services).as_secs()).unwrap_or(i64::MAX);
    let slot = now.timestamp().div_euclid(every);
    let payload = serde_json::json!({ "slot": slot }).to_string();
    drop(conn);
    let mut tx = services.store.begin().await?;
    let queued = jobs::enqueue(&mut tx, KIND, &payload, &format!("{KIND}:{slot}"), MAX_ATTEMPTS, now).await?;
    tx.commit().await.map_err(StoreError::from)?;
    Ok(queued)
}

/// Notices every expired approval of an LTI learner and records its `expired` event;
/// returns how many approvals it noticed.
pub async fn sweep(services: &Services) -> ServiceResult<usize> {
    let mut noticed = 0;
    loop {
        let now = services.clock.now();
        let found = {
            let mut conn = services.store.conn().await?;
            let since = lti_expiry::watching_since(&mut conn, now).await?;
            lti_expiry::unnoticed(&mut conn, since, now, services.cfg.verification.days_good_for, BATCH).await?
        };
        if found.is_empty() {
            return Ok(noticed);
        }
        for approval in &found {
            let mut tx = services.store.begin().await?;
            if lti_expiry::notice(&mut tx, approval, now).await? {
                outbox::record_expiry(&mut tx, approval.kind, approval.attempt_id, now).await?;
                tracing::info!(user.id = %approval.user, "approval expired: event recorded");
            }
            tx.commit().await.map_err(StoreError::from)?;
            noticed += 1;
        }
        if found.len() < usize::try_from(BATCH).unwrap_or(usize::MAX) {
            return Ok(noticed);
        }
    }
}

/// The handler.
pub struct LtiExpirySweep;

#[async_trait::async_trait]
impl JobHandler for LtiExpirySweep {
    fn kind(&self) -> &'static str {
        KIND
    }

    async fn run(&self, services: &Services, payload: &str) -> Result<(), JobError> {
        let Payload { slot } = parse_payload(payload)?;
        let noticed = sweep(services).await.map_err(|e| JobError::Retry(e.to_string()))?;
        tracing::info!(slot, noticed, "LTI expiry sweep done");
        Ok(())
    }

    async fn exhausted(&self, _: &Services, _: &str, last_error: &str) {
        tracing::error!(error = last_error, "an LTI expiry sweep failed; the next interval tries again");
    }
}
