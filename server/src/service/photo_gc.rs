//! Garbage collection of the vault: objects no attempt references, left by a process that
//! died between writing an attempt's photos and committing the attempt (a submission writes
//! the photos first, so the vendor's URLs never point at nothing).
//!
//! An object is removed only when it is older than a grace period: a submission in flight
//! right now has written its photos but not committed yet, and its objects are unreferenced
//! until it does. The default grace, [`DEFAULT_GRACE_SECS`] (one hour), is far longer than a
//! submission takes from its first photo write to its commit (seconds; a stalled database
//! makes the request fail within the pool's acquire timeout, and the failed submission
//! removes its own photos). Only keys Vouch writes (`face/<receipt>`, `photo_id/<receipt>`)
//! are considered; anything else in the bucket or folder is left alone.

use super::{ServiceResult, Services};
use crate::{
    store::{
        StoreError,
        photo_retention::{self, Cause, Deleter},
    },
    vault::sealed::PhotoKind,
};
use chrono::{DateTime, Duration, Utc};
use serde::Serialize;

/// The default grace period, in seconds.
pub const DEFAULT_GRACE_SECS: u64 = 3600;

/// What a collection did (or, dry, would do).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GcReport {
    /// Nothing was changed.
    pub dry_run: bool,
    /// Objects written after this time were left alone (maybe in flight).
    pub older_than: DateTime<Utc>,
    /// Photo objects in the vault.
    pub objects: u64,
    /// Objects an attempt references.
    pub referenced: u64,
    /// Unreferenced objects younger than the grace period, kept.
    pub too_young: u64,
    /// Unreferenced objects deleted (would be, dry).
    pub deleted: u64,
    /// Their keys (no personal data: `face/<receipt id>`).
    pub deleted_keys: Vec<String>,
}

/// Whether `key` is one Vouch writes: a photo kind's prefix and a receipt id.
fn is_photo_key(key: &str) -> bool {
    key.split_once('/').is_some_and(|(kind, rid)| {
        [PhotoKind::Face.prefix(), PhotoKind::PhotoId.prefix()].contains(&kind)
            && !rid.is_empty()
            && rid.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
    })
}

/// Deletes every photo object no attempt references that is older than `grace`, calling
/// `progress(done, total)` after each object looked at.
#[tracing::instrument(skip_all, fields(dry_run = dry_run))]
pub async fn collect(
    services: &Services,
    grace: std::time::Duration,
    dry_run: bool,
    mut progress: impl FnMut(u64, u64),
) -> ServiceResult<GcReport> {
    let now = services.clock.now();
    let older_than =
        Duration::from_std(grace).ok().and_then(|g| now.checked_sub_signed(g)).unwrap_or(DateTime::<Utc>::MIN_UTC);
    let mut objects = Vec::new();
    for kind in [PhotoKind::Face, PhotoKind::PhotoId] {
        objects.extend(services.vault.list(kind.prefix()).await?.into_iter().filter(|o| is_photo_key(&o.key)));
    }
    let total = objects.len() as u64;
    let mut report = GcReport {
        dry_run,
        older_than,
        objects: total,
        referenced: 0,
        too_young: 0,
        deleted: 0,
        deleted_keys: Vec::new(),
    };
    for (i, object) in objects.into_iter().enumerate() {
        let referenced = {
            let mut conn = services.store.conn().await?;
            photo_retention::referenced(&mut conn, &object.key).await?
        };
        if referenced {
            report.referenced += 1;
        } else if object.last_modified > older_than {
            report.too_young += 1;
        } else {
            if !dry_run {
                services.vault.delete(&object.key).await?;
                let mut tx = services.store.begin().await?;
                photo_retention::record_deletion(
                    &mut tx,
                    &object.key,
                    None,
                    Cause::Gc,
                    Deleter::Cli,
                    services.clock.now(),
                )
                .await?;
                tx.commit().await.map_err(StoreError::from)?;
            }
            report.deleted += 1;
            report.deleted_keys.push(object.key);
        }
        progress(i as u64 + 1, total);
    }
    if !dry_run && report.deleted > 0 {
        tracing::info!(deleted = report.deleted, "unreferenced photos deleted");
    }
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::is_photo_key;

    #[test]
    fn only_keys_vouch_writes_are_collected() {
        assert!(is_photo_key("face/0b6c1a5e-8f7a-4c1e-9d51-3f0f4f1e2a77"));
        assert!(is_photo_key("photo_id/abc123"));
        for other in ["face/", "face", "other/abc", "face/a#1", "face/a/b", "photo_id/../x", "README"] {
            assert!(!is_photo_key(other), "{other}");
        }
    }
}
