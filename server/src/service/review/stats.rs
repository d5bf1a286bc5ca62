//! The queue's figures: for reviewers' counters, `/metrics`, the Operations page and
//! `vouch review stats`.

use super::ReviewResult;
use crate::{service::Services, store::reviews};
use chrono::Duration;
use serde::Serialize;

/// The queue now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct QueueNow {
    /// Attempts waiting for a decision (claimed or not).
    pub size: i64,
    /// How long the oldest has waited, in seconds (0 when the queue is empty).
    pub oldest_age_secs: i64,
}

/// Everything `GET /api/v1/reviews/stats` answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct ReviewStats {
    /// Attempts waiting for a decision.
    pub size: i64,
    /// How long the oldest has waited, in seconds (0 when empty).
    pub oldest_age_secs: i64,
    /// Of them, held by a live claim.
    pub claimed: i64,
    /// Final decisions in the last 24 hours.
    pub decided_last_24h: i64,
    /// Median time from queue to final decision over the last 24 hours, in seconds (null
    /// without decisions).
    pub time_to_decision_p50_secs: Option<i64>,
    /// 95th percentile of the same.
    pub time_to_decision_p95_secs: Option<i64>,
}

/// The queue's size and oldest age.
pub async fn queue_now(services: &Services) -> ReviewResult<QueueNow> {
    let s = stats(services).await?;
    Ok(QueueNow { size: s.size, oldest_age_secs: s.oldest_age_secs })
}

/// All figures at the clock's now.
pub async fn stats(services: &Services) -> ReviewResult<ReviewStats> {
    let now = services.clock.now();
    let mut conn = services.store.conn().await?;
    let q = reviews::queue_figures(&mut conn, now).await?;
    let mut secs = reviews::decision_secs_since(&mut conn, now - Duration::hours(24)).await?;
    secs.sort_unstable();
    Ok(ReviewStats {
        size: q.size,
        oldest_age_secs: q.oldest.map_or(0, |t| (now - t).num_seconds().max(0)),
        claimed: q.claimed,
        decided_last_24h: secs.len() as i64,
        time_to_decision_p50_secs: percentile(&secs, 50),
        time_to_decision_p95_secs: percentile(&secs, 95),
    })
}

/// The nearest-rank percentile `p` of sorted `values`.
pub fn percentile(sorted: &[i64], p: usize) -> Option<i64> {
    if sorted.is_empty() {
        return None;
    }
    let rank = (p * sorted.len()).div_ceil(100).max(1);
    sorted.get(rank - 1).copied()
}

#[cfg(test)]
mod tests {
    use super::percentile;

    #[test]
    fn nearest_rank() {
        assert_eq!(percentile(&[], 50), None);
        assert_eq!(percentile(&[7], 95), Some(7));
        let v: Vec<i64> = (1..=100).collect();
        assert_eq!(percentile(&v, 50), Some(50));
        assert_eq!(percentile(&v, 95), Some(95));
        assert_eq!(percentile(&[1, 2, 3, 4], 50), Some(2));
    }
}
