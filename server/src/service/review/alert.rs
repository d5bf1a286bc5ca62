//! The "queue waits too long" alert: when the oldest queued attempt has waited longer than
//! `review.alert_after_mins`, the reviewers at `review.alert_emails` get one email per
//! episode (until the queue is back under the threshold). Checked by every job runner every
//! `review.alert_check_secs`; the episode flag in the database makes one runner queue the
//! alert, and the email itself is a durable job (`jobs::review_alert`, queued through
//! `service::queue::review_alert`), retried on failure.

use super::stats;
use crate::{
    service::{ServiceResult, Services, queue::review_alert},
    store::{StoreError, reviews},
};

/// What a check did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Checked {
    /// Alerts are off (no threshold or no address).
    Off,
    /// The queue is within the threshold (an episode, if any, ended).
    Fine,
    /// Too old, and this check queued the episode's alert.
    Alerted,
    /// Too old, alerted before in this episode.
    AlreadyAlerted,
}

/// Checks the queue's age now and queues the alert when an episode starts.
pub async fn check(services: &Services) -> ServiceResult<Checked> {
    let cfg = &services.cfg.review;
    if cfg.alert_after_mins <= 0 || cfg.alert_addresses().is_empty() {
        return Ok(Checked::Off);
    }
    let now = services.clock.now();
    let queue = stats::queue_now(services).await.map_err(|e| match e {
        super::ReviewError::Service(s) => s,
        other => crate::service::Conflict::Review(other.to_string()).into(),
    })?;
    let mut tx = services.store.begin().await?;
    if queue.size == 0 || queue.oldest_age_secs <= cfg.alert_after_mins * 60 {
        reviews::end_alert_episode(&mut tx, now).await?;
        tx.commit().await.map_err(StoreError::from)?;
        return Ok(Checked::Fine);
    }
    if !reviews::start_alert_episode(&mut tx, now).await? {
        tx.commit().await.map_err(StoreError::from)?;
        return Ok(Checked::AlreadyAlerted);
    }
    review_alert::enqueue(&mut tx, queue, now).await?;
    tx.commit().await.map_err(StoreError::from)?;
    Ok(Checked::Alerted)
}
