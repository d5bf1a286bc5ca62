//! Benchmark support (`vouch debug churn`): flips a seeded learner's newest photo attempt
//! between approved and denied, so status reads of learners whose status just changed (cache
//! misses) can be measured. Never used by the product.

use super::{Conn, StoreResult, time::to_micros};
use app::domain::UserId;
use chrono::{DateTime, Utc};

/// Flips `user`'s newest photo attempt (approved ↔ denied); false when they have none.
pub async fn flip_newest(conn: &mut Conn, user: UserId, now: DateTime<Utc>) -> StoreResult<bool> {
    let done = sqlx::query(
        "update photo_verification set status = case when status = 'approved' then 'denied' else 'approved' end, \
         status_changed_at = $2, updated_at = $2 where attempt_id = (select max(attempt_id) from photo_verification \
         where user_id = $1)",
    )
    .bind(user.0)
    .bind(to_micros(now))
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected() > 0)
}
