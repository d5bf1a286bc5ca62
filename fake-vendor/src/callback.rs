//! The results callback (spec §8), signed the way the request was (spec §6–7).
//!
//! The body is rendered once with `wire_json` and the signature is computed over those bytes
//! parsed back with `loads_bytes`, i.e. over exactly what a receiver will parse and verify,
//! so no difference between our in-memory value and the wire text can break the signature.
//! Every attempt gets a fresh `Date` and signature: Vouch refuses stale dates and replays.

use std::time::{Duration, Instant};

use chrono::Utc;

use super::Vendor;
use super::intake::Submission;
use super::process::Decision;
use ssencrypt::python::{PyValue, loads_bytes};
use ssencrypt::{CryptoError, SignedHeaders, authorization_header, http_date, sign_message, signing_string};

/// First pause between attempts; it doubles up to [`MAX_BACKOFF`].
const FIRST_BACKOFF: Duration = Duration::from_millis(200);
/// Longest single pause, so a Vouch that comes back is noticed soon.
const MAX_BACKOFF: Duration = Duration::from_secs(5);
/// No new attempt starts after this long: enough for Vouch to restart, short enough that
/// a test with a dead receiver still ends.
const RETRY_BUDGET: Duration = Duration::from_secs(30);

/// Posts the decision to `SendResponseTo`, retrying on connection errors and `5xx`, and
/// returns the status of the last HTTP answer (`None` if there never was one).
pub(super) async fn deliver(vendor: &Vendor, submission: &Submission, decision: &Decision) -> Option<u16> {
    let edx_id = &submission.edx_id;
    let body = PyValue::Dict(vec![
        ("EdX-ID".to_owned(), PyValue::Str(edx_id.clone())),
        ("MessageType".to_owned(), PyValue::Str(decision.message_type.to_owned())),
        ("Reason".to_owned(), decision.reason.clone()),
        ("Result".to_owned(), PyValue::Str(decision.result.to_owned())),
    ])
    .wire_json();
    let parsed = match loads_bytes(body.as_bytes()) {
        Ok(parsed) => parsed,
        Err(e) => {
            tracing::error!(%edx_id, error = %e, "callback body does not parse back");
            return None;
        }
    };
    let started = Instant::now();
    let mut backoff = FIRST_BACKOFF;
    let mut last_status = None;
    for attempt in 1u32.. {
        match attempt_once(vendor, &submission.send_response_to, &body, &parsed).await {
            Ok(status) if !status.is_server_error() => {
                tracing::info!(%edx_id, attempt, status = status.as_u16(), "callback delivered");
                return Some(status.as_u16());
            }
            Ok(status) => {
                last_status = Some(status.as_u16());
                tracing::warn!(%edx_id, attempt, status = status.as_u16(), "callback answered with a server error");
            }
            Err(Failure::Http(e)) => tracing::warn!(%edx_id, attempt, error = %e, "callback not delivered"),
            Err(Failure::Signing(e)) => {
                tracing::error!(%edx_id, error = %e, "cannot sign the callback");
                return None;
            }
        }
        if started.elapsed() + backoff > RETRY_BUDGET {
            tracing::warn!(%edx_id, attempt, "giving up on the callback");
            break;
        }
        tokio::time::sleep(backoff).await;
        backoff = (backoff * 2).min(MAX_BACKOFF);
    }
    last_status
}

enum Failure {
    Http(reqwest::Error),
    Signing(CryptoError),
}

/// One signed POST; the HTTP status, whatever it is.
async fn attempt_once(
    vendor: &Vendor,
    url: &str,
    body: &str,
    parsed: &PyValue,
) -> Result<reqwest::StatusCode, Failure> {
    const CONTENT_TYPE: &str = "application/json";
    let date = http_date(Utc::now());
    let headers = SignedHeaders::from_pairs([("Content-Type", CONTENT_TYPE), ("Date", date.as_str())]);
    let message = signing_string("POST", &headers, parsed).map_err(Failure::Signing)?;
    let config = &vendor.config;
    let authorization = authorization_header(&config.access_key, &sign_message(&config.secret_key, &message));
    let response = vendor
        .client
        .post(url)
        .header("Content-Type", CONTENT_TYPE)
        .header("Date", &date)
        .header("Authorization", authorization)
        .body(body.to_owned())
        .send()
        .await
        // The URL may carry query parameters; keep it out of the logs.
        .map_err(|e| Failure::Http(e.without_url()))?;
    Ok(response.status())
}
