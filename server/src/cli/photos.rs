//! Photo housekeeping commands: `vouch purge-photos` (the retention sweep, by hand) and
//! `vouch gc-photos` (vault objects no attempt references). Both draw a progress bar on a
//! terminal (none with `--json` or when stderr is not one), then print a summary: a line of
//! text, or the report as one JSON document.

use crate::{
    config::Config,
    serve::Extensions,
    service::{
        database, photo_gc,
        records::Deleter,
        retention::{self, SweepOptions},
    },
};

/// `vouch purge-photos [--dry-run] [--json]`: deletes the photos of every attempt decided
/// more than `verification.photo_retention_days` ago, as the scheduled job does.
pub async fn purge(cfg: Config, ext: &Extensions, dry_run: bool, json: bool) -> anyhow::Result<()> {
    let services = super::system_services(cfg, ext).await?;
    let bar = progress(json, if dry_run { "purge-photos (dry run)" } else { "purge-photos" });
    let options = SweepOptions { dry_run, deleter: Deleter::Cli, budget: None };
    let report = retention::sweep(&services, options, |done, total| {
        bar.set_length(total);
        bar.set_position(done);
    })
    .await?;
    bar.finish_and_clear();
    if json {
        println!("{}", serde_json::to_string(&report)?);
    } else {
        let verb = if dry_run { "would delete" } else { "deleted" };
        println!(
            "purge-photos: {verb} the photos of {} attempts decided before {} ({} objects; {} ID photos kept for \
             attempts that reuse them; {} attempts changed meanwhile)",
            report.attempts,
            report.cutoff.to_rfc3339(),
            report.objects_deleted,
            report.objects_kept_shared,
            report.skipped
        );
    }
    database::close(&services).await;
    Ok(())
}

/// `vouch gc-photos [--dry-run] [--grace-secs N] [--json]`: deletes vault objects that no
/// attempt references and that are older than the grace period.
pub async fn gc(cfg: Config, ext: &Extensions, dry_run: bool, grace_secs: u64, json: bool) -> anyhow::Result<()> {
    let services = super::system_services(cfg, ext).await?;
    let bar = progress(json, if dry_run { "gc-photos (dry run)" } else { "gc-photos" });
    let grace = std::time::Duration::from_secs(grace_secs);
    let report = photo_gc::collect(&services, grace, dry_run, |done, total| {
        bar.set_length(total);
        bar.set_position(done);
    })
    .await?;
    bar.finish_and_clear();
    if json {
        println!("{}", serde_json::to_string(&report)?);
    } else {
        let verb = if dry_run { "would delete" } else { "deleted" };
        println!(
            "gc-photos: {} objects, {} referenced, {} unreferenced but newer than {} (kept), {verb} {}",
            report.objects,
            report.referenced,
            report.too_young,
            report.older_than.to_rfc3339(),
            report.deleted
        );
    }
    database::close(&services).await;
    Ok(())
}

fn progress(json: bool, what: &str) -> indicatif::ProgressBar {
    if json { indicatif::ProgressBar::hidden() } else { super::admin::progress(0, what) }
}
