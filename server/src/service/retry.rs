//! Re-submitting attempts that must be retried (Open edX `retry_failed_photo_verifications`).

use super::{ServiceError, ServiceResult, Services, queue::ss_submit};
use crate::store::{StoreError, attempts, retry_config};
use app::domain::{AttemptId, AttemptStatus};

/// Which attempts to retry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Selection {
    /// Every attempt in must_retry (at most `limit`).
    AllMustRetry {
        /// The most to queue in one run.
        limit: i64,
    },
    /// These attempts (those not in must_retry, or unknown, are skipped).
    Ids(Vec<AttemptRef>),
    /// The ids stored in the retry configuration (`--verification-ids 1 2 3`).
    FromConfig,
}

/// One attempt named on the command line or in the stored arguments: its numeric id, or
/// the vendor receipt id Open edX's command filters by (`receipt_id__in`), which Vouch
/// shows as `receipt_id`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AttemptRef {
    /// The attempt id.
    Id(AttemptId),
    /// The receipt id (a UUID).
    Receipt(String),
}

impl std::str::FromStr for AttemptRef {
    type Err = String;

    fn from_str(w: &str) -> Result<Self, Self::Err> {
        if let Ok(id) = w.parse::<i64>() {
            return Ok(Self::Id(AttemptId(id)));
        }
        // Receipt ids are UUIDs; anything else cannot name an attempt.
        match uuid::Uuid::try_parse(w) {
            Ok(u) => Ok(Self::Receipt(u.hyphenated().to_string())),
            Err(_) => Err(format!("not an attempt id: {w} (give attempt ids or receipt ids)")),
        }
    }
}

/// What a run did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RetryReport {
    /// Submissions queued.
    pub queued: usize,
    /// Attempts skipped (not in must_retry, unknown, or already queued).
    pub skipped: usize,
}

/// Parses the stored arguments: `--verification-ids 1 2 3` (attempt ids or receipt ids).
pub fn parse_config_arguments(args: &str) -> ServiceResult<Vec<AttemptRef>> {
    let mut words = args.split_whitespace();
    match words.next() {
        Some("--verification-ids") => words.map(|w| w.parse::<AttemptRef>().map_err(ServiceError::Invalid)).collect(),
        _ => Err(ServiceError::Invalid("the stored arguments must be --verification-ids <ids>".into())),
    }
}

/// Queues a new submission for each selected attempt in must_retry, calling `progress`
/// after each one.
pub async fn retry_failed(
    services: &Services,
    selection: Selection,
    mut progress: impl FnMut(usize, usize),
) -> ServiceResult<RetryReport> {
    let ids: Vec<AttemptRef> = {
        let mut conn = services.store.conn().await?;
        match selection {
            Selection::AllMustRetry { limit } => attempts::with_status(&mut conn, AttemptStatus::MustRetry, limit)
                .await?
                .into_iter()
                .map(|a| AttemptRef::Id(a.id))
                .collect(),
            Selection::Ids(ids) => ids,
            Selection::FromConfig => {
                let args = retry_config::current(&mut conn)
                    .await?
                    .ok_or_else(|| ServiceError::Invalid("no retry configuration is stored".into()))?;
                parse_config_arguments(&args)?
            }
        }
    };
    let mut report = RetryReport::default();
    let total = ids.len();
    for (i, id) in ids.into_iter().enumerate() {
        let mut tx = services.store.begin().await?;
        let attempt = match &id {
            AttemptRef::Id(id) => attempts::by_id(&mut tx, *id).await?,
            AttemptRef::Receipt(r) => attempts::by_receipt_id(&mut tx, r).await?,
        };
        let queued = match attempt {
            Some(a) if a.status() == AttemptStatus::MustRetry => {
                ss_submit::enqueue(&mut tx, services, a.id, a.status_changed_at).await?
            }
            _ => false,
        };
        tx.commit().await.map_err(StoreError::from)?;
        if queued {
            report.queued += 1
        } else {
            report.skipped += 1
        }
        progress(i + 1, total);
    }
    Ok(report)
}

/// Retries one attempt by id, as staff do from the console: an unknown id is
/// [`ServiceError::NotFound`] (an attempt in another state is reported as skipped).
pub async fn retry_one(services: &Services, id: AttemptId) -> ServiceResult<RetryReport> {
    {
        let mut conn = services.store.conn().await?;
        attempts::by_id(&mut conn, id).await?.ok_or(ServiceError::NotFound)?;
    }
    retry_failed(services, Selection::Ids(vec![AttemptRef::Id(id)]), |_, _| {}).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_arguments() {
        let receipt = "6f1c2d3e-4b5a-4978-8a1b-0c2d3e4f5a6b";
        assert_eq!(
            parse_config_arguments(&format!("--verification-ids 1 2  3 {receipt}")).ok(),
            Some(vec![
                AttemptRef::Id(AttemptId(1)),
                AttemptRef::Id(AttemptId(2)),
                AttemptRef::Id(AttemptId(3)),
                AttemptRef::Receipt(receipt.into())
            ])
        );
        assert!(parse_config_arguments("--verification-ids 1 x").is_err());
        assert!(parse_config_arguments("--other 1").is_err());
        assert_eq!(parse_config_arguments("--verification-ids").ok(), Some(vec![]));
    }
}
