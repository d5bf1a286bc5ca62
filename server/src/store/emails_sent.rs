//! The emails already sent, so that each (kind, attempt) email goes out once.

use super::{Conn, StoreResult, time::to_micros};
use app::domain::UserId;
use chrono::{DateTime, Utc};

/// Whether the email with this key was sent.
pub async fn was_sent(conn: &mut Conn, dedupe_key: &str) -> StoreResult<bool> {
    let row: Option<(i64,)> = sqlx::query_as("select email_sent_id from email_sent where dedupe_key = $1")
        .bind(dedupe_key)
        .fetch_optional(conn)
        .await?;
    Ok(row.is_some())
}

/// Records a sent email; false when it was already recorded.
pub async fn record(
    conn: &mut Conn,
    dedupe_key: &str,
    user: UserId,
    email_kind: &str,
    attempt_uuid: &str,
    now: DateTime<Utc>,
) -> StoreResult<bool> {
    let done = sqlx::query(
        "insert into email_sent (dedupe_key, user_id, email_kind, attempt_uuid, sent_at) values ($1, $2, $3, $4, $5) \
         on conflict (dedupe_key) do nothing",
    )
    .bind(dedupe_key)
    .bind(user.0)
    .bind(email_kind)
    .bind(attempt_uuid)
    .bind(to_micros(now))
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// The users with an approval of any kind expiring before `until` (photo, SSO and manual
/// approvals without a stored expiration expire `days_good_for` after creation), whose
/// expiration is after `since`: the candidates of the expiry emails.
pub async fn users_with_approvals_expiring(
    conn: &mut Conn,
    since: DateTime<Utc>,
    until: DateTime<Utc>,
    days_good_for: i64,
) -> StoreResult<Vec<UserId>> {
    let span = days_good_for.saturating_mul(86_400_000_000);
    let derived = "coalesce(expires_at, created_at + $3)";
    let sql = format!(
        "select user_id from photo_verification where status = 'approved' and {derived} > $1 and {derived} <= $2 \
         union select user_id from sso_verification where status = 'approved' and {derived} > $1 and {derived} <= $2 \
         union select user_id from manual_verification where status = 'approved' and {derived} > $1 and {derived} <= $2 \
         union select user_id from verification_attempt where status = 'approved' and expires_at > $1 \
         and expires_at <= $2 order by user_id"
    );
    let rows: Vec<(i64,)> =
        sqlx::query_as(&sql).bind(to_micros(since)).bind(to_micros(until)).bind(span).fetch_all(conn).await?;
    Ok(rows.into_iter().map(|(u,)| UserId(u)).collect())
}

/// When each `email_kind` email about `attempt_uuid` was sent, oldest first (the first
/// email and its resends).
pub async fn sent_times(conn: &mut Conn, email_kind: &str, attempt_uuid: &str) -> StoreResult<Vec<DateTime<Utc>>> {
    let rows: Vec<(i64,)> = sqlx::query_as(
        "select sent_at from email_sent where email_kind = $1 and attempt_uuid = $2 order by sent_at, email_sent_id",
    )
    .bind(email_kind)
    .bind(attempt_uuid)
    .fetch_all(conn)
    .await?;
    rows.into_iter().map(|(t,)| super::time::from_micros(t)).collect()
}

/// The users with an attempt whose `email_kind` emails number fewer than `max_emails`, the
/// last sent no later than `sent_before` and the first after `first_after`: the candidates
/// for a resend. (An "expired" email goes out after the expiry, so a first email at or
/// before `first_after` means the approval expired before it: past the resend bound.)
pub async fn users_due_a_resend(
    conn: &mut Conn,
    email_kind: &str,
    max_emails: i64,
    sent_before: DateTime<Utc>,
    first_after: DateTime<Utc>,
) -> StoreResult<Vec<UserId>> {
    let rows: Vec<(i64,)> = sqlx::query_as(
        "select distinct user_id from (select user_id from email_sent where email_kind = $1 \
         group by user_id, attempt_uuid having count(*) < $2 and max(sent_at) <= $3 and min(sent_at) > $4) due \
         order by user_id",
    )
    .bind(email_kind)
    .bind(max_emails)
    .bind(to_micros(sent_before))
    .bind(to_micros(first_after))
    .fetch_all(conn)
    .await?;
    Ok(rows.into_iter().map(|(u,)| UserId(u)).collect())
}
