//! The retry configuration operators set (Open edX `SSPVerificationRetryConfig`): the
//! arguments `vouch retry-failed --args-from-database` runs with. Set from the command
//! line (`vouch retry-config set`) or the staff console (`PUT /api/v1/retry-config`); each
//! change is a new row, so the table is its own history.

use super::{ServiceError, ServiceResult, Services, retry};
use crate::store::retry_config::{self, RetryConfigRow};

/// The longest arguments accepted (about a thousand ids).
pub const MAX_ARGUMENTS: usize = 10_000;

/// The configuration in force (the newest row), if one was ever stored.
pub async fn current(services: &Services) -> ServiceResult<Option<RetryConfigRow>> {
    let mut conn = services.store.conn().await?;
    Ok(retry_config::newest(&mut conn).await?)
}

/// Stores `arguments` (checked as `retry-failed` will read them: `--verification-ids` and
/// attempt ids or receipt ids) as the configuration in force, or disables it, recording `changed_by`.
/// Refused arguments change nothing.
#[tracing::instrument(skip_all)]
pub async fn set(
    services: &Services,
    arguments: &str,
    enabled: bool,
    changed_by: &str,
) -> ServiceResult<RetryConfigRow> {
    if arguments.chars().count() > MAX_ARGUMENTS || arguments.chars().any(char::is_control) {
        return Err(ServiceError::Invalid(format!(
            "The arguments must be at most {MAX_ARGUMENTS} characters without control characters."
        )));
    }
    let normalized = arguments.split_whitespace().collect::<Vec<_>>().join(" ");
    if retry::parse_config_arguments(&normalized)?.is_empty() {
        return Err(ServiceError::Invalid("Name at least one attempt: --verification-ids <ids>.".into()));
    }
    let now = services.clock.now();
    let mut conn = services.store.conn().await?;
    retry_config::set(&mut conn, &normalized, enabled, changed_by, now).await?;
    Ok(RetryConfigRow { arguments: normalized, enabled, changed_by: changed_by.to_owned(), changed_at: now })
}
