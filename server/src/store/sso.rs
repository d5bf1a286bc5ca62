//! Reads of SSO verifications that the sign-in rule needs (writes go through `kinds`).

use super::{Conn, StoreResult, time::to_micros};
use app::domain::UserId;
use chrono::{DateTime, Utc};

/// What `user` holds from one identity provider, read in one statement (one snapshot).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProviderRecords {
    /// SSO verifications from the provider, in any status.
    pub total: i64,
    /// Of those, approved ones still valid at the time asked (one without a stored
    /// expiration lasts `days_good_for` days).
    pub valid: i64,
    /// The newest of the valid ones, if any.
    pub newest_valid: Option<i64>,
}

/// The SSO verifications of `user` by this identity provider at `now`.
pub async fn provider_records(
    conn: &mut Conn,
    user: UserId,
    identity_provider_type: &str,
    identity_provider_slug: &str,
    now: DateTime<Utc>,
    days_good_for: i64,
) -> StoreResult<ProviderRecords> {
    let span = days_good_for.saturating_mul(86_400_000_000);
    let (total, valid, newest_valid): (i64, i64, Option<i64>) = sqlx::query_as(
        "select count(*), coalesce(sum(case when status = 'approved' and coalesce(expires_at, created_at + $4) > $5 \
         then 1 else 0 end), 0), \
         max(case when status = 'approved' and coalesce(expires_at, created_at + $4) > $5 then attempt_id end) \
         from sso_verification \
         where user_id = $1 and identity_provider_type = $2 and identity_provider_slug = $3",
    )
    .bind(user.0)
    .bind(identity_provider_type)
    .bind(identity_provider_slug)
    .bind(span)
    .bind(to_micros(now))
    .fetch_one(conn)
    .await?;
    Ok(ProviderRecords { total, valid, newest_valid })
}
