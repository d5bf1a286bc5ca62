//! The stored arguments of the retry command (Open edX `SSPVerificationRetryConfig`): the
//! newest enabled row is the current configuration; older rows are its history.

use super::{Conn, StoreResult, time::to_micros};
use chrono::{DateTime, Utc};

/// The current arguments, if any are configured and enabled.
pub async fn current(conn: &mut Conn) -> StoreResult<Option<String>> {
    let row: Option<(String, i64)> =
        sqlx::query_as("select arguments, enabled from ssp_retry_config order by config_id desc limit 1")
            .fetch_optional(conn)
            .await?;
    Ok(row.and_then(|(args, enabled)| (enabled != 0).then_some(args)))
}

/// Stores new arguments (or disables the configuration with `enabled = false`).
pub async fn set(
    conn: &mut Conn,
    arguments: &str,
    enabled: bool,
    changed_by: &str,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    sqlx::query("insert into ssp_retry_config (arguments, enabled, changed_by, changed_at) values ($1, $2, $3, $4)")
        .bind(arguments)
        .bind(i64::from(enabled))
        .bind(changed_by)
        .bind(to_micros(now))
        .execute(conn)
        .await?;
    Ok(())
}

/// The newest stored configuration row, enabled or not.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryConfigRow {
    /// The stored arguments (`--verification-ids 1 2 3`).
    pub arguments: String,
    /// Whether `retry-failed --args-from-database` uses it.
    pub enabled: bool,
    /// Who stored it (`cli`, `staff:<username>`).
    pub changed_by: String,
    /// When.
    pub changed_at: DateTime<Utc>,
}

/// The newest row, if any was ever stored.
pub async fn newest(conn: &mut Conn) -> StoreResult<Option<RetryConfigRow>> {
    let row: Option<(String, i64, String, i64)> = sqlx::query_as(
        "select arguments, enabled, changed_by, changed_at from ssp_retry_config order by config_id desc limit 1",
    )
    .fetch_optional(conn)
    .await?;
    row.map(|(arguments, enabled, changed_by, changed_at)| {
        Ok(RetryConfigRow {
            arguments,
            enabled: enabled != 0,
            changed_by,
            changed_at: super::time::from_micros(changed_at)?,
        })
    })
    .transpose()
}
