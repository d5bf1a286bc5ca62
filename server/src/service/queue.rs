//! The jobs the use cases queue in their own transactions: each kind's name, payload and
//! `enqueue`. Their handlers run above the services, in `crate::jobs` under the same module
//! names.

/// Sending a ready attempt to Software Secure (`jobs::ss_submit`).
pub mod ss_submit {
    use crate::{
        service::Services,
        store::{Conn, StoreResult, jobs},
    };
    use app::domain::AttemptId;
    use serde::{Deserialize, Serialize};

    /// The job kind.
    pub const KIND: &str = "software_secure.submit";

    /// The job's payload.
    #[derive(Debug, Serialize, Deserialize)]
    pub struct Payload {
        /// The attempt to send.
        pub attempt_id: i64,
    }

    /// Queues the submission of `attempt` in the caller's transaction. The idempotency key is
    /// the attempt plus the time of its last status change, so each submission round (the
    /// first, and each retry after must_retry) is queued once however often it is asked for.
    pub async fn enqueue(
        conn: &mut Conn,
        services: &Services,
        attempt: AttemptId,
        round: chrono::DateTime<chrono::Utc>,
    ) -> StoreResult<bool> {
        let payload = serde_json::to_string(&Payload { attempt_id: attempt.0 }).unwrap_or_default();
        let key = format!("{KIND}:{}:{}", attempt.0, round.timestamp_micros());
        let max = services.cfg.software_secure.max_attempts.max(1);
        jobs::enqueue(conn, KIND, &payload, &key, max, services.clock.now()).await
    }
}

/// The review queue's "waits too long" email (`jobs::review_alert`).
pub mod review_alert {
    use crate::{
        service::review::stats::QueueNow,
        store::{Conn, StoreResult, jobs},
    };
    use serde::{Deserialize, Serialize};

    /// The job kind.
    pub const KIND: &str = "review.alert";

    /// Tries before the alert is given up.
    const MAX_ATTEMPTS: i32 = 5;

    /// The job's payload: the queue's figures when the episode started.
    #[derive(Debug, Serialize, Deserialize)]
    pub struct Payload {
        /// Attempts waiting.
        pub size: i64,
        /// How long the oldest has waited, in seconds.
        pub oldest_age_secs: i64,
    }

    /// Queues the alert about `queue` (keyed by the moment, so each episode's is queued once).
    pub async fn enqueue(conn: &mut Conn, queue: QueueNow, now: chrono::DateTime<chrono::Utc>) -> StoreResult<bool> {
        let payload = serde_json::to_string(&Payload { size: queue.size, oldest_age_secs: queue.oldest_age_secs })
            .unwrap_or_default();
        jobs::enqueue(conn, KIND, &payload, &format!("{KIND}:{}", now.timestamp_micros()), MAX_ATTEMPTS, now).await
    }
}
