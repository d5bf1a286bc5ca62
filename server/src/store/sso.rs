//! Reads of SSO verifications that the sign-in rule needs (writes go through `kinds`).

use super::{Conn, StoreResult, time::to_micros};
use app::domain::UserId;
use chrono::{DateTime, Utc};

/// Whether `user` holds an approved SSO verification from this identity provider that is
/// still valid at `now` (one without a stored expiration lasts `days_good_for` days).
pub async fn has_valid(
    conn: &mut Conn,
    user: UserId,
    identity_provider_type: &str,
    identity_provider_slug: &str,
    now: DateTime<Utc>,
    days_good_for: i64,
) -> StoreResult<bool> {
    let span = days_good_for.saturating_mul(86_400_000_000);
    let row: Option<(i64,)> = sqlx::query_as(
        "select attempt_id from sso_verification where user_id = $1 and status = 'approved' \
         and identity_provider_type = $2 and identity_provider_slug = $3 \
         and coalesce(expires_at, created_at + $4) > $5 limit 1",
    )
    .bind(user.0)
    .bind(identity_provider_type)
    .bind(identity_provider_slug)
    .bind(span)
    .bind(to_micros(now))
    .fetch_optional(conn)
    .await?;
    Ok(row.is_some())
}
