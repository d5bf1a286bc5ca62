//! Photo retention: the sealed photos of a decided attempt (approved or denied) leave the
//! vault `verification.photo_retention_days` after the decision. The attempt keeps its row,
//! statuses and history; its photo references are cleared and `photos_deleted_at` set.
//!
//! What counts as decided, and from when: the attempt's status is approved or denied, and
//! the time is its last status change (a later approve ↔ deny change restarts the clock; an
//! expired approval is still approved, decided long ago). `must_retry` is not a decision:
//! the retry command sends the same photos again and a late verdict may still come. SSO,
//! manual and generic attempts have no photos and are never touched.
//!
//! One attempt at a time: its objects are deleted, then one transaction marks it and writes
//! the audit rows (`photo_deletion`). A crash in between leaves the references in place, so
//! the next sweep deletes again (a missing object counts as deleted) and marks it: the sweep
//! is idempotent and resumes where it stopped. An ID photo that another attempt still
//! references (reused through `copy_id_photo_from`) is kept for it; it goes with the last
//! attempt that references it.
//!
//! Runs from the scheduled job (`jobs::photo_retention`) and `vouch purge-photos`.

use super::{ServiceResult, Services};
use crate::store::{
    StoreError,
    photo_retention::{self, Cause, Deleter, DueAttempt},
};
use chrono::{DateTime, Duration, Utc};
use serde::Serialize;

/// Attempts read per query.
const BATCH: i64 = 200;

/// How to sweep.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SweepOptions {
    /// Count what would be deleted; change nothing.
    pub dry_run: bool,
    /// Who sweeps (recorded in the audit log).
    pub deleter: Deleter,
    /// Stop after about this long (a job must finish well within its lease); the rest is
    /// left for the next sweep.
    pub budget: Option<std::time::Duration>,
}

/// What a sweep did (or, dry, would do).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SweepReport {
    /// Nothing was changed.
    pub dry_run: bool,
    /// Attempts decided at or before this time were due.
    pub cutoff: DateTime<Utc>,
    /// Attempts due when the sweep started.
    pub due: u64,
    /// Attempts whose photos were deleted (would be, dry).
    pub attempts: u64,
    /// Vault objects deleted (would be, dry).
    pub objects_deleted: u64,
    /// ID photos kept because another attempt still references them.
    pub objects_kept_shared: u64,
    /// Attempts that changed while being swept (left for the next sweep).
    pub skipped: u64,
    /// False when the sweep stopped at its time budget with attempts left.
    pub complete: bool,
}

/// The decision time at or before which an attempt's photos are due at `now`.
pub fn cutoff(services: &Services, now: DateTime<Utc>) -> DateTime<Utc> {
    now - Duration::days(i64::from(services.cfg.verification.photo_retention_days))
}

/// Whether any attempt's photos are due now (a cheap check before queueing a sweep).
pub async fn any_due(services: &Services) -> ServiceResult<bool> {
    let cutoff = cutoff(services, services.clock.now());
    let mut conn = services.store.conn().await?;
    Ok(photo_retention::any_due(&mut conn, cutoff).await?)
}

/// Deletes the photos of every attempt due now, calling `progress(done, due)` after each.
#[tracing::instrument(skip_all, fields(dry_run = options.dry_run, deleter = options.deleter.as_str()))]
pub async fn sweep(
    services: &Services,
    options: SweepOptions,
    mut progress: impl FnMut(u64, u64),
) -> ServiceResult<SweepReport> {
    let started = std::time::Instant::now();
    let cutoff = cutoff(services, services.clock.now());
    let due = {
        let mut conn = services.store.conn().await?;
        u64::try_from(photo_retention::count_due(&mut conn, cutoff).await?).unwrap_or_default()
    };
    let mut report = SweepReport {
        dry_run: options.dry_run,
        cutoff,
        due,
        attempts: 0,
        objects_deleted: 0,
        objects_kept_shared: 0,
        skipped: 0,
        complete: true,
    };
    let mut after = 0;
    'batches: loop {
        let batch = {
            let mut conn = services.store.conn().await?;
            photo_retention::due(&mut conn, cutoff, after, BATCH).await?
        };
        if batch.is_empty() {
            break;
        }
        for attempt in batch {
            if options.budget.is_some_and(|b| started.elapsed() >= b) {
                report.complete = false;
                break 'batches;
            }
            after = attempt.id;
            purge(services, &attempt, options, &mut report).await?;
            progress(report.attempts + report.skipped, due.max(report.attempts + report.skipped));
        }
    }
    if !options.dry_run && report.attempts > 0 {
        tracing::info!(
            attempts = report.attempts,
            objects = report.objects_deleted,
            kept_shared = report.objects_kept_shared,
            complete = report.complete,
            "photos past retention deleted"
        );
    }
    Ok(report)
}

/// Deletes one attempt's photos and marks it, adding to `report`.
async fn purge(
    services: &Services,
    attempt: &DueAttempt,
    options: SweepOptions,
    report: &mut SweepReport,
) -> ServiceResult<()> {
    let mut deleted = Vec::new();
    let mut kept = 0u64;
    {
        let mut conn = services.store.conn().await?;
        for object in attempt.refs() {
            if photo_retention::referenced_by_other(&mut conn, object, attempt.id).await? {
                kept += 1;
            } else {
                deleted.push(object);
            }
        }
    }
    if options.dry_run {
        report.attempts += 1;
        report.objects_deleted += deleted.len() as u64;
        report.objects_kept_shared += kept;
        return Ok(());
    }
    for object in &deleted {
        services.vault.delete(object).await?;
    }
    let now = services.clock.now();
    let mut tx = services.store.begin().await?;
    if !photo_retention::mark_deleted(&mut tx, attempt, now).await? {
        // Changed since it was read (its user retired meanwhile, say): the next sweep reads
        // it afresh. The objects deleted above are gone either way.
        report.skipped += 1;
        return Ok(());
    }
    for object in &deleted {
        photo_retention::record_deletion(&mut tx, object, Some(&attempt.uuid), Cause::Retention, options.deleter, now)
            .await?;
    }
    tx.commit().await.map_err(StoreError::from)?;
    report.attempts += 1;
    report.objects_deleted += deleted.len() as u64;
    report.objects_kept_shared += kept;
    Ok(())
}
