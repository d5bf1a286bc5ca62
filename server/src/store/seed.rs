//! Bulk seeding for benchmarks: many users and photo attempts in batched multi-row inserts.

use super::{Store, StoreResult, time::to_micros};
use chrono::{DateTime, Duration, Utc};

/// Rows per insert statement (9 parameters each, well under both backends' limits).
const BATCH: usize = 1000;

/// The status of the `i`-th seeded attempt: mostly approved, some of every other kind.
fn status_for(i: u64) -> &'static str {
    match i % 10 {
        0..=5 => "approved",
        6 => "denied",
        7 => "submitted",
        8 => "must_retry",
        _ => "ready",
    }
}

/// Inserts `users` users (`seed_<n>`, after any existing ones) and `attempts` photo
/// attempts spread evenly over them, calling `progress` with the attempts written so far.
pub async fn seed_attempts(
    store: &Store,
    users: u64,
    attempts: u64,
    now: DateTime<Utc>,
    mut progress: impl FnMut(u64),
) -> StoreResult<()> {
    let users = users.max(1);
    let t = to_micros(now);
    let (start,): (i64,) =
        sqlx::query_as("select coalesce(max(user_id), 0) from app_user").fetch_one(&mut *store.conn().await?).await?;
    let mut ids = Vec::with_capacity(users as usize);
    let mut next = 0u64;
    while next < users {
        let n = (users - next).min(BATCH as u64) as usize;
        let values: Vec<String> = (0..n).map(|i| format!("(${}, ${})", 2 * i + 1, 2 * i + 2)).collect();
        let sql = format!("insert into app_user (username, created_at) values {} returning user_id", values.join(", "));
        let mut q = sqlx::query_as::<_, (i64,)>(&sql);
        for i in 0..n {
            q = q.bind(format!("seed_{}_{}", start, next + i as u64)).bind(t);
        }
        let mut tx = store.begin().await?;
        ids.extend(q.fetch_all(&mut *tx).await?.into_iter().map(|(id,)| id));
        tx.commit().await?;
        next += n as u64;
    }
    let mut written = 0u64;
    while written < attempts {
        let mut tx = store.begin().await?;
        for _ in 0..10 {
            let n = (attempts - written).min(BATCH as u64) as usize;
            if n == 0 {
                break;
            }
            let values: Vec<String> = (0..n)
                .map(|i| {
                    let b = 9 * i;
                    format!(
                        "(${}, ${}, ${}, ${}, ${}, ${}, ${}, ${}, ${})",
                        b + 1,
                        b + 2,
                        b + 3,
                        b + 4,
                        b + 5,
                        b + 6,
                        b + 7,
                        b + 8,
                        b + 9
                    )
                })
                .collect();
            let sql = format!(
                "insert into photo_verification (uuid, receipt_id, user_id, name, status, created_at, updated_at, \
                 status_changed_at, expires_at) values {}",
                values.join(", ")
            );
            let mut q = sqlx::query(&sql);
            for i in 0..n as u64 {
                let k = written + i;
                let user = ids[(k % ids.len() as u64) as usize];
                // Spread creation over the past two years so some approvals have expired.
                let created = now - Duration::minutes((k % 1_051_200) as i64);
                let status = status_for(k);
                let expires = (status == "approved").then(|| to_micros(created + Duration::days(365)));
                q = q
                    .bind(uuid::Uuid::new_v4().to_string())
                    .bind(uuid::Uuid::new_v4().to_string())
                    .bind(user)
                    .bind("Seeded Learner")
                    .bind(status)
                    .bind(to_micros(created))
                    .bind(to_micros(created))
                    .bind(to_micros(created))
                    .bind(expires);
            }
            q.execute(&mut *tx).await?;
            written += n as u64;
        }
        tx.commit().await?;
        progress(written);
    }
    Ok(())
}
