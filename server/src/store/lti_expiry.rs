//! Approvals of LTI learners that expired: found by the expiry sweep, and noticed once each
//! (`lti_expiry_notice`), so that their 0.0 grade is queued exactly once. Only expiries
//! from the moment the sweep started watching count (`lti_expiry_watch`): an approval that
//! lapsed before the feature existed is history, not news.

use super::{
    Conn, StoreError, StoreResult,
    time::{from_micros, to_micros},
};
use app::domain::{AttemptKind, UserId};
use chrono::{DateTime, Duration, Utc};

/// An approval that expired and was not noticed yet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExpiredApproval {
    /// Its kind.
    pub kind: AttemptKind,
    /// Its id within the kind.
    pub attempt_id: i64,
    /// The learner.
    pub user: UserId,
    /// When it expired.
    pub expired_at: DateTime<Utc>,
}

/// When the sweep started watching: recorded as `now` by the first caller (of any process;
/// a concurrent first caller's insert does nothing and both read the same row), then never
/// moved.
pub async fn watching_since(conn: &mut Conn, now: DateTime<Utc>) -> StoreResult<DateTime<Utc>> {
    sqlx::query(
        "insert into lti_expiry_watch (watch_id, watching_since) values (1, $1) on conflict (watch_id) do nothing",
    )
    .bind(to_micros(now))
    .execute(&mut *conn)
    .await?;
    let (since,): (i64,) =
        sqlx::query_as("select watching_since from lti_expiry_watch where watch_id = 1").fetch_one(conn).await?;
    from_micros(since)
}

/// Up to `limit` approved attempts of learners with a graded LTI assignment whose expiration
/// is at or after `since` (see [`watching_since`]: an approval still standing then lapses
/// later) and before `now` (at `now` it still counts, as `user_is_verified` says) and that
/// were not noticed yet, the earliest expiry first. Photo, SSO and manual approvals without a stored
/// expiration expire `days_good_for` after creation (as `Verification::expiration_datetime`
/// says); generic ones without one never do.
pub async fn unnoticed(
    conn: &mut Conn,
    since: DateTime<Utc>,
    now: DateTime<Utc>,
    days_good_for: i64,
    limit: i64,
) -> StoreResult<Vec<ExpiredApproval>> {
    let span = to_micros(DateTime::<Utc>::UNIX_EPOCH + Duration::days(days_good_for));
    // $1 = now, $2 = the derived lifetime, $3 = the limit, $4 = since.
    let branch = |kind: &str, table: &str, expiry: &str| {
        format!(
            "select '{kind}' as kind, t.attempt_id, t.user_id, {expiry} as expired_at from {table} t \
             where t.status = 'approved' and {expiry} < $1 and {expiry} >= $4 \
             and exists (select 1 from lti_graded_assignment a where a.user_id = t.user_id) \
             and not exists (select 1 from lti_expiry_notice n where n.attempt_kind = '{kind}' \
             and n.attempt_id = t.attempt_id)"
        )
    };
    let derived = "coalesce(t.expires_at, t.created_at + $2)";
    let sql = format!(
        "{} union all {} union all {} union all {} order by expired_at, attempt_id limit $3",
        branch("photo", "photo_verification", derived),
        branch("sso", "sso_verification", derived),
        branch("manual", "manual_verification", derived),
        branch("generic", "verification_attempt", "t.expires_at"),
    );
    let rows: Vec<(String, i64, i64, i64)> =
        sqlx::query_as(&sql).bind(to_micros(now)).bind(span).bind(limit).bind(to_micros(since)).fetch_all(conn).await?;
    rows.into_iter()
        .map(|(kind, attempt_id, user, expired_at)| {
            let kind = AttemptKind::ALL
                .into_iter()
                .find(|k| k.as_str() == kind)
                .ok_or_else(|| StoreError::Corrupt(format!("kind {kind:?}")))?;
            Ok(ExpiredApproval { kind, attempt_id, user: UserId(user), expired_at: from_micros(expired_at)? })
        })
        .collect()
}

/// Records that `approval`'s expiry was noticed; false when it was already (another runner,
/// or an earlier run whose transaction committed).
pub async fn notice(conn: &mut Conn, approval: &ExpiredApproval, now: DateTime<Utc>) -> StoreResult<bool> {
    let done = sqlx::query(
        "insert into lti_expiry_notice (attempt_kind, attempt_id, user_id, expired_at, noticed_at) \
         values ($1, $2, $3, $4, $5) on conflict (attempt_kind, attempt_id) do nothing",
    )
    .bind(approval.kind.as_str())
    .bind(approval.attempt_id)
    .bind(approval.user.0)
    .bind(to_micros(approval.expired_at))
    .bind(to_micros(now))
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}
