//! Synthetic data for benchmarks: seeded learners and photo attempts (`vouch
//! seed-attempts`), and statuses flipped at a steady rate (`vouch debug churn`).

use super::ServiceResult;
use crate::store::{Store, StoreError, churn, seed};
use app::domain::UserId;

pub use crate::store::seed::{DEFAULT_BATCH, Seeded};

/// Seeds `users` LMS users and `attempts` photo attempts over them, `batch` rows per
/// statement, decided attempts past `retention_days` already swept; `progress` is told the
/// attempts written so far.
pub async fn seed_attempts(
    store: &Store,
    users: u64,
    attempts: u64,
    batch: usize,
    retention_days: u32,
    progress: impl FnMut(u64),
) -> ServiceResult<Seeded> {
    Ok(seed::seed_attempts_batched(store, users, attempts, batch, chrono::Utc::now(), retention_days, progress).await?)
}

/// Flips the newest attempt of `user` between approved and denied, in a transaction of its
/// own (so the status cache hears of it as of any change).
pub async fn flip_newest(store: &Store, user: UserId) -> ServiceResult<()> {
    let mut tx = store.begin().await?;
    churn::flip_newest(&mut tx, user, chrono::Utc::now()).await?;
    tx.commit().await.map_err(StoreError::from)?;
    Ok(())
}
