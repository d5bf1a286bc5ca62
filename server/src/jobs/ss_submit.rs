//! Sending a ready attempt to Software Secure. 2xx → submitted; anything else → retried
//! with backoff; after the last try → must_retry with the vendor's answer kept.
//!
//! Idempotent: an attempt that is no longer ready or must_retry (already submitted or
//! decided) is not sent again, so a job re-run after a crash does not resend it.

use super::{JobError, JobHandler, parse_payload};
use crate::{
    service::{
        Services, lifecycle,
        queue::ss_submit::{KIND, Payload},
    },
    store::{
        attempts,
        transitions::{self, Actor},
    },
    vendors::software_secure::{self, SERVICE_NAME},
};
use app::domain::{AttemptId, AttemptKind, AttemptStatus, photo_lifecycle::PhotoOp};

/// The longest part of a vendor's answer kept in the job record.
const MAX_KEPT: usize = 2000;

/// What a learner is told when their photos could not be sent to the vendor.
pub const LEARNER_SUBMIT_ERROR: &str =
    "Your photos could not be sent for verification because of a problem on our side. Please try again.";

fn parse(payload: &str) -> Result<AttemptId, JobError> {
    parse_payload::<Payload>(payload).map(|p| AttemptId(p.attempt_id))
}

fn truncate(s: &str) -> String {
    s.chars().take(MAX_KEPT).collect()
}

/// Records the vendor's acceptance, unless the attempt changed since the job read it: the
/// vendor's verdict (e.g. a fast system-failure callback) may already have moved it, and
/// marking it submitted then would undo that verdict.
async fn mark_submitted(
    services: &Services,
    id: AttemptId,
    changes_seen: usize,
    actor: &Actor,
) -> crate::service::ServiceResult<()> {
    let mut tx = services.store.begin().await?;
    attempts::lock(&mut tx, id).await?;
    if transitions::history(&mut tx, AttemptKind::Photo, id.0).await?.len() != changes_seen {
        return Ok(());
    }
    lifecycle::apply_in(&mut tx, services, id, &PhotoOp::MarkSubmit, actor, "accepted by the vendor").await?;
    tx.commit().await.map_err(crate::store::StoreError::from)?;
    Ok(())
}

/// The job handler.
pub struct SubmitToSoftwareSecure;

#[async_trait::async_trait]
impl JobHandler for SubmitToSoftwareSecure {
    fn kind(&self) -> &'static str {
        KIND
    }

    /// The vendor's own retry policy, not the other jobs' (`jobs.retry_base_secs`).
    fn retry_base_secs(&self, services: &Services) -> f64 {
        services.cfg.software_secure.retry_base_secs
    }

    async fn run(&self, services: &Services, payload: &str) -> Result<(), JobError> {
        let id = parse(payload)?;
        // The attempt and how many status changes it has had: if a callback moves it while
        // we talk to the vendor, the count tells us, even when it lands on the same status.
        let (attempt, changes) = {
            let mut conn = services.store.conn().await.map_err(|e| JobError::Retry(e.to_string()))?;
            let attempt = attempts::by_id(&mut conn, id).await.map_err(|e| JobError::Retry(e.to_string()))?;
            let changes = transitions::history(&mut conn, AttemptKind::Photo, id.0)
                .await
                .map_err(|e| JobError::Retry(e.to_string()))?
                .len();
            (attempt, changes)
        };
        let Some(attempt) = attempt else { return Err(JobError::Fail("the attempt no longer exists".into())) };
        if !matches!(attempt.status(), AttemptStatus::Ready | AttemptStatus::MustRetry) {
            return Ok(());
        }
        let request = match software_secure::build_request(services, &attempt, services.clock.now()).await {
            Ok(r) => r,
            // The store could not presign: perhaps briefly unreachable.
            Err(e @ software_secure::RequestError::Url(_)) => return Err(JobError::Retry(e.to_string())),
            Err(e) => return Err(JobError::Fail(e.to_string())),
        };
        let started = std::time::Instant::now();
        let response = services
            .http
            .post(&request.url)
            .header("Content-Type", "application/json")
            .header("Date", &request.date)
            .header("Authorization", &request.authorization)
            .body(request.body)
            .send()
            .await
            .map_err(|e| JobError::Retry(format!("could not reach the vendor: {e}")))?;
        let status = response.status();
        metrics::histogram!("vouch_vendor_request_duration_seconds", "vendor" => "software_secure",
            "status" => format!("{}xx", status.as_u16() / 100))
        .record(started.elapsed().as_secs_f64());
        if !status.is_success() {
            let text = crate::outbound::error_prefix(response).await;
            return Err(JobError::Retry(truncate(&format!("vendor answered {status}: {text}"))));
        }
        let actor = Actor::Vendor(SERVICE_NAME.into());
        match mark_submitted(services, id, changes, &actor).await {
            Ok(()) => Ok(()),
            // The vendor's callback may already have decided it (it answered before we
            // recorded the submission): nothing left to do.
            Err(crate::service::ServiceError::Conflict(_) | crate::service::ServiceError::Raced) => Ok(()),
            Err(e) => Err(JobError::Retry(e.to_string())),
        }
    }

    /// The learner sees the attempt's `error_msg`, so it gets a sentence, never the HTTP
    /// client's error (which names the vendor's URL) or the vendor's body: the detail stays
    /// in the job's `last_error`, which staff see in the jobs console and `vouch jobs`.
    async fn exhausted(&self, services: &Services, payload: &str, _last_error: &str) {
        let Ok(id) = parse(payload) else { return };
        tracing::warn!(attempt.id = %id, "the vendor did not accept the photos after the last try");
        let op = PhotoOp::MarkMustRetry { error: LEARNER_SUBMIT_ERROR.into() };
        if let Err(e) = lifecycle::apply(services, id, &op, &Actor::System, "submission failed").await {
            tracing::warn!(error = %e, attempt.id = %id, "could not mark the attempt must_retry");
        }
    }
}
