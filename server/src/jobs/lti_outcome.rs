//! Sending a learner's verification result to an LTI consumer as a grade: an IMS POX
//! `replaceResultRequest`, signed with OAuth1 HMAC-SHA1 and an `oauth_body_hash`. The
//! answer must say `imsx_codeMajor` = `success`; anything else is retried with backoff and,
//! after the last try, recorded as failed on the assignment.
//!
//! Idempotent: each job carries the assignment's version; a version already delivered, or
//! superseded by a newer one (whose own job sends the newer result), is not sent. The score
//! is read when the job runs, so a late run never sends a stale grade; and replaceResult
//! itself overwrites, so sending the same score twice leaves the LMS as it was.

use super::{JobError, JobHandler, parse_payload};
use crate::{
    config::lti::LtiConfig,
    lti::{oauth, outcome_url, outcomes},
    service::{Services, idv},
    store::{Conn, StoreResult, lti},
};
use chrono::{DateTime, Utc};
use std::time::Duration;

/// The job kind (queued by `store::lti::queue_passback`).
pub const KIND: &str = lti::OUTCOME_JOB;

/// The longest part of a consumer's answer kept as the error.
const MAX_KEPT: usize = 500;

/// Queues the passback of `version` of `assignment`, in the caller's transaction; false
/// when that version is queued already.
pub async fn enqueue(
    conn: &mut Conn,
    cfg: &LtiConfig,
    assignment: i64,
    version: i64,
    now: DateTime<Utc>,
) -> StoreResult<bool> {
    lti::queue_outcome_job(conn, assignment, version, cfg.outcome_max_attempts, now).await
}

fn parse(payload: &str) -> Result<lti::OutcomeJob, JobError> {
    parse_payload(payload)
}

fn truncate(s: &str) -> String {
    s.chars().take(MAX_KEPT).collect()
}

fn retry(e: impl std::fmt::Display) -> JobError {
    JobError::Retry(truncate(&e.to_string()))
}

/// The job handler.
pub struct SendLtiOutcome;

#[async_trait::async_trait]
impl JobHandler for SendLtiOutcome {
    fn kind(&self) -> &'static str {
        KIND
    }

    async fn run(&self, services: &Services, payload: &str) -> Result<(), JobError> {
        let job = parse(payload)?;
        let delivery = {
            let mut conn = services.store.conn().await.map_err(retry)?;
            lti::delivery(&mut conn, job.assignment_id).await.map_err(retry)?
        };
        // The consumer was removed with its assignments: nobody to tell.
        let Some(d) = delivery else { return Ok(()) };
        if job.version < d.version || d.delivered_version >= job.version {
            return Ok(());
        }
        let verified = idv::user_is_verified(services, d.user).await.map_err(retry)?;
        let score = if verified { outcomes::VERIFIED } else { outcomes::NOT_VERIFIED };
        let cfg = &services.cfg.lti;
        let target = match outcome_url::resolve(&d.url, cfg, &d.consumer.allowed_outcome_hosts).await {
            Ok(t) => t,
            Err(e @ outcome_url::UrlError::Unresolved(_)) => return Err(retry(e)),
            Err(e) => return Err(JobError::Fail(e.to_string())),
        };
        let body = outcomes::replace_result_xml(&uuid::Uuid::new_v4().to_string(), &d.sourcedid, score);
        let authorization = sign(&d.consumer, &target.url, body.as_bytes(), services.clock.now().timestamp())
            .ok_or_else(|| JobError::Fail("the outcome service URL cannot be signed".into()))?;
        // A client per request, pinned to the address that was checked, so the name cannot
        // resolve elsewhere between check and connect. Redirects are never followed.
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(cfg.outcome_timeout_secs.max(1)))
            .connect_timeout(Duration::from_secs(cfg.outcome_timeout_secs.clamp(1, 5)))
            .resolve(&target.host, target.addr)
            .build()
            .map_err(|e| JobError::Fail(e.to_string()))?;
        let response = client
            .post(target.url.as_str())
            .header("Content-Type", "application/xml")
            .header("Authorization", authorization)
            .body(body)
            .send()
            .await
            .map_err(|e| retry(format!("could not reach the outcome service: {e}")))?;
        let status = response.status();
        if !status.is_success() {
            let text = crate::outbound::error_prefix(response).await;
            return Err(retry(format!("outcome service answered {status}: {text}")));
        }
        let text = crate::outbound::text_capped(response, crate::outbound::MAX_ANSWER_BYTES)
            .await
            .map_err(|e| retry(format!("outcome service: {e}")))?;
        if !outcomes::is_success(&text) {
            return Err(retry(format!("outcome service did not answer success: {text}")));
        }
        let mut conn = services.store.write_conn().await.map_err(retry)?;
        lti::mark_delivered(&mut conn, d.id, job.version, score, services.clock.now()).await.map_err(retry)?;
        tracing::info!(lti.assignment = d.id, lti.version = job.version, "grade delivered");
        Ok(())
    }

    async fn exhausted(&self, services: &Services, payload: &str, last_error: &str) {
        let Ok(job) = parse(payload) else { return };
        let res = async {
            let mut conn = services.store.write_conn().await?;
            lti::mark_failed(&mut conn, job.assignment_id, job.version, last_error, services.clock.now()).await
        };
        if let Err(e) = res.await {
            tracing::warn!(error = %e, lti.assignment = job.assignment_id, "could not record a failed passback");
        }
    }
}

/// The `Authorization` header of a passback: OAuth1 HMAC-SHA1 over the oauth parameters,
/// the body hash and the URL's query parameters.
fn sign(consumer: &lti::Consumer, url: &url::Url, body: &[u8], timestamp: i64) -> Option<String> {
    let mut oauth_params = vec![
        ("oauth_body_hash".to_owned(), oauth::body_hash(body)),
        ("oauth_consumer_key".to_owned(), consumer.key.clone()),
        ("oauth_nonce".to_owned(), uuid::Uuid::new_v4().simple().to_string()),
        ("oauth_signature_method".to_owned(), oauth::HMAC_SHA1.to_owned()),
        ("oauth_timestamp".to_owned(), timestamp.to_string()),
        ("oauth_version".to_owned(), "1.0".to_owned()),
    ];
    let mut signed = oauth_params.clone();
    signed.extend(url.query_pairs().map(|(k, v)| (k.into_owned(), v.into_owned())));
    let base = oauth::base_string("POST", &oauth::base_string_uri(url.as_str())?, &signed);
    oauth_params.push(("oauth_signature".to_owned(), oauth::sign(consumer.secret.expose(), &base)));
    Some(oauth::authorization_header(&oauth_params))
}
