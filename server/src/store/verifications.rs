//! Reads across every attempt kind: a learner's verifications as the status policy sees
//! them, and the batch "who is verified" query.

use super::{
    Conn, StoreError, StoreResult,
    time::{from_micros, from_micros_opt, to_micros},
};
use app::domain::{AnyStatus, AttemptKind, UserId, Verification};
use chrono::{DateTime, Duration, Utc};
use sqlx::Row;

/// One `union all` branch per kind, projecting the common columns; `$1` is the user.
const FOR_USER: &str = "\
    select 'photo' as kind, attempt_id, uuid, user_id, name, status, created_at, updated_at, status_changed_at, \
           expires_at, error_msg, 0 as hide from photo_verification where user_id = $1 \
    union all \
    select 'sso', attempt_id, uuid, user_id, name, status, created_at, updated_at, status_changed_at, \
           expires_at, '', 0 from sso_verification where user_id = $1 \
    union all \
    select 'manual', attempt_id, uuid, user_id, name, status, created_at, updated_at, status_changed_at, \
           expires_at, '', 0 from manual_verification where user_id = $1 \
    union all \
    select 'generic', attempt_id, uuid, user_id, name, status, created_at, updated_at, status_changed_at, \
           expires_at, '', hide_status_from_user from verification_attempt where user_id = $1 \
    order by created_at desc, attempt_id desc";

fn kind_of(s: &str) -> StoreResult<AttemptKind> {
    AttemptKind::ALL.into_iter().find(|k| k.as_str() == s).ok_or_else(|| StoreError::Corrupt(format!("kind {s:?}")))
}

fn status_of(kind: AttemptKind, s: &str) -> StoreResult<AnyStatus> {
    let bad = |e| StoreError::Corrupt(format!("{e}"));
    Ok(match kind {
        AttemptKind::Generic => AnyStatus::Generic(s.parse().map_err(bad)?),
        _ => AnyStatus::Attempt(s.parse().map_err(bad)?),
    })
}

/// Every verification of `user`, of every kind, newest first.
pub async fn for_user(conn: &mut Conn, user: UserId) -> StoreResult<Vec<Verification>> {
    let rows = sqlx::query(FOR_USER).bind(user.0).fetch_all(conn).await?;
    rows.iter()
        .map(|r| {
            let kind = kind_of(&r.try_get::<String, _>(0)?)?;
            let status: String = r.try_get(5)?;
            Ok(Verification {
                kind,
                id: r.try_get(1)?,
                uuid: r.try_get(2)?,
                user_id: UserId(r.try_get(3)?),
                name: r.try_get(4)?,
                status: status_of(kind, &status)?,
                created_at: from_micros(r.try_get(6)?)?,
                updated_at: from_micros(r.try_get(7)?)?,
                status_changed_at: from_micros(r.try_get(8)?)?,
                expiration: from_micros_opt(r.try_get(9)?)?,
                error_msg: r.try_get(10)?,
                hide_status_from_user: r.try_get::<i64, _>(11)? != 0,
            })
        })
        .collect()
}

/// The users among `users` with an unexpired approval of any kind, in one query per 500
/// users (not one per user). Photo, SSO and manual approvals without a stored expiration
/// expire `days_good_for` after creation; generic ones without expiration never expire.
pub async fn verified_user_ids(
    conn: &mut Conn,
    users: &[UserId],
    now: DateTime<Utc>,
    days_good_for: i64,
) -> StoreResult<Vec<UserId>> {
    let mut out = Vec::new();
    let span = to_micros(DateTime::<Utc>::UNIX_EPOCH + Duration::days(days_good_for));
    for chunk in users.chunks(500) {
        // $1 = now, $2 = the derived lifetime, $3.. = the users.
        let list: Vec<String> = (0..chunk.len()).map(|i| format!("${}", i + 3)).collect();
        let list = list.join(", ");
        let derived = "coalesce(expires_at, created_at + $2) > $1";
        let sql = format!(
            "select user_id from photo_verification where status = 'approved' and {derived} and user_id in ({list}) \
             union select user_id from sso_verification where status = 'approved' and {derived} and user_id in ({list}) \
             union select user_id from manual_verification where status = 'approved' and {derived} and user_id in ({list}) \
             union select user_id from verification_attempt where status = 'approved' \
             and (expires_at is null or expires_at > $1) and user_id in ({list})"
        );
        let mut q = sqlx::query_as::<_, (i64,)>(&sql).bind(to_micros(now)).bind(span);
        for u in chunk {
            q = q.bind(u.0);
        }
        out.extend(q.fetch_all(&mut *conn).await?.into_iter().map(|(id,)| UserId(id)));
    }
    out.sort_unstable();
    out.dedup();
    Ok(out)
}

/// How many attempts of each kind are in each status, for metrics.
pub async fn counts_by_status(conn: &mut Conn) -> StoreResult<Vec<(&'static str, String, i64)>> {
    let mut out = Vec::new();
    for (kind, table) in [
        ("photo", "photo_verification"),
        ("sso", "sso_verification"),
        ("manual", "manual_verification"),
        ("generic", "verification_attempt"),
    ] {
        let rows: Vec<(String, i64)> =
            sqlx::query_as(&format!("select status, count(*) from {table} group by status order by status"))
                .fetch_all(&mut *conn)
                .await?;
        out.extend(rows.into_iter().map(|(status, n)| (kind, status, n)));
    }
    Ok(out)
}
