//! Background processing of an accepted submission: fetch, decrypt, check, decide, call back.
//!
//! Both photos are always fetched and checked, even when a marker already fixes the result,
//! so that every end-to-end run exercises Vouch's photo URLs and key wrapping. The fake
//! vendor fetches whatever URLs it is given: a development tool, not a hardened service.

use std::sync::Arc;

use app::domain::images::sniff;

use serde_json::json;

use super::intake::Submission;
use super::{FakeVendorConfig, Vendor, callback, quality_rules};
use ssencrypt::python::PyValue;
use ssencrypt::{PrivateKey, decode_and_decrypt, unwrap_photo_key};

/// Larger photo objects are refused: real ones are a few megabytes of base64 at most.
const MAX_PHOTO_BYTES: usize = 32 * 1024 * 1024;

/// Why a photo was unusable; only this (never the content) is logged.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum PhotoProblem {
    /// Connection error, non-2xx answer, or too large.
    Fetch,
    /// The wrapped AES key did not unwrap with our private key.
    Key,
    /// Bad base64, wrong key or bad padding.
    Decrypt,
    /// Decrypted, but not a JPEG or PNG.
    NotAnImage,
}

/// The vendor's verdict, as sent in the callback.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Decision {
    /// `PASS`, `FAIL` or `SYSTEM FAIL`.
    pub result: &'static str,
    /// `Reason`: `""`, a string, or a list of `{"…Reasons": [...]}` objects.
    pub reason: PyValue,
    /// `MessageType` (Open edX stores it as the error code, at most 50 characters).
    pub message_type: &'static str,
}

/// Processes one accepted submission to the end, recording the outcome.
pub(super) async fn run(vendor: Arc<Vendor>, submission: Submission) {
    let (photo_id, user_photo) = tokio::join!(
        fetch(&vendor.client, &submission.photo_id_url),
        fetch(&vendor.client, &submission.user_photo_url)
    );
    // RSA private-key operations and AES over megabytes are CPU work: off the reactor.
    let worker = Arc::clone(&vendor);
    let keys = (submission.photo_id_key.clone(), submission.user_photo_key.clone());
    let checked = tokio::task::spawn_blocking(move || {
        let key = &worker.private_key;
        let (photo_id, user_photo) = (check(photo_id, &keys.0, key), check(user_photo, &keys.1, key));
        // The quality rules look only at photos that decrypted to images.
        let quality = match (&photo_id, &user_photo) {
            (Ok(id), Ok(face)) if worker.config.quality_rules => {
                Some((quality_rules::id_reasons(id), quality_rules::face_reasons(face)))
            }
            _ => None,
        };
        (photo_id.map(drop), user_photo.map(drop), quality)
    })
    .await;
    let (photo_id, user_photo, quality) = match checked {
        Ok(results) => results,
        Err(e) => {
            tracing::error!(edx_id = %submission.edx_id, error = %e, "photo check task failed");
            (Err(PhotoProblem::Decrypt), Err(PhotoProblem::Decrypt), None)
        }
    };
    let mut decision = decide(&vendor.config, &submission.expected_name, photo_id.err(), user_photo.err());
    if let Some((id_reasons, face_reasons)) = quality
        && decision.result == "PASS"
    {
        decision = quality_decision(&id_reasons, &face_reasons).unwrap_or(decision);
    }
    vendor.registry().decided(&submission.edx_id, decision.result);
    tracing::info!(
        edx_id = %submission.edx_id,
        result = decision.result,
        photo_id_problem = ?photo_id.err(),
        user_photo_problem = ?user_photo.err(),
        "submission decided"
    );
    if !vendor.config.callback_delay.is_zero() {
        tokio::time::sleep(vendor.config.callback_delay).await;
    }
    let status = callback::deliver(&vendor, &submission, &decision).await;
    vendor.registry().called_back(&submission.edx_id, status);
}

/// Keep re-fetching a photo whose host is unreachable or answers `5xx` this long: a real
/// vendor retries a storage hiccup (a restarting app server in development) instead of
/// failing the learner for it.
const FETCH_RETRY_BUDGET: std::time::Duration = std::time::Duration::from_secs(30);

/// GETs a photo object (the `encrypt_and_encode` text), retrying for [`FETCH_RETRY_BUDGET`]
/// what a storage hiccup looks like: a connection error, a `5xx`, or a body cut off
/// mid-stream (Vouch restarted while sending it). Any other answer is final.
async fn fetch(client: &reqwest::Client, url: &str) -> Result<Vec<u8>, PhotoProblem> {
    let started = std::time::Instant::now();
    let mut pause = std::time::Duration::from_millis(100);
    loop {
        match fetch_once(client, url).await {
            Ok(body) => return Ok(body),
            Err(Fetched::Retry) if started.elapsed() < FETCH_RETRY_BUDGET => {
                tokio::time::sleep(pause).await;
                pause = (pause * 2).min(std::time::Duration::from_secs(2));
            }
            Err(_) => return Err(PhotoProblem::Fetch),
        }
    }
}

/// Why one GET of a photo gave no photo.
enum Fetched {
    /// Worth another try: no connection, a `5xx`, or a body cut off.
    Retry,
    /// The answer itself says no (`4xx`, too large).
    Final,
}

async fn fetch_once(client: &reqwest::Client, url: &str) -> Result<Vec<u8>, Fetched> {
    let response = client.get(url).send().await.map_err(|_| Fetched::Retry)?;
    if response.status().is_server_error() {
        return Err(Fetched::Retry);
    }
    if !response.status().is_success() || response.content_length().is_some_and(|n| n > MAX_PHOTO_BYTES as u64) {
        return Err(Fetched::Final);
    }
    let body = response.bytes().await.map_err(|_| Fetched::Retry)?;
    if body.len() > MAX_PHOTO_BYTES {
        return Err(Fetched::Final);
    }
    Ok(body.to_vec())
}

/// Unwraps the key, decrypts the photo and checks it is an image; returns the image.
fn check(fetched: Result<Vec<u8>, PhotoProblem>, key_field: &str, key: &PrivateKey) -> Result<Vec<u8>, PhotoProblem> {
    let encoded = fetched?;
    let aes_key = unwrap_photo_key(key_field, key).map_err(|_| PhotoProblem::Key)?;
    let photo = decode_and_decrypt(&encoded, &aes_key).map_err(|_| PhotoProblem::Decrypt)?;
    sniff(&photo).ok_or(PhotoProblem::NotAnImage)?;
    Ok(photo)
}

/// The denial for photos the quality rules refuse (`None`: both acceptable).
fn quality_decision(id_reasons: &[&str], face_reasons: &[&str]) -> Option<Decision> {
    let mut reasons = Vec::new();
    if !face_reasons.is_empty() {
        reasons.push(json!({"userPhotoReasons": face_reasons}));
    }
    if !id_reasons.is_empty() {
        reasons.push(json!({"photoIdReasons": id_reasons}));
    }
    (!reasons.is_empty()).then(|| Decision {
        result: "FAIL",
        reason: PyValue::from(&serde_json::Value::Array(reasons)),
        message_type: "DENIED",
    })
}

/// The rules, in priority order: deny marker, system-fail marker, unusable photos, pass.
fn decide(
    config: &FakeVendorConfig,
    expected_name: &str,
    photo_id: Option<PhotoProblem>,
    user_photo: Option<PhotoProblem>,
) -> Decision {
    // An empty marker would match every name; treat it as "rule off".
    let marked = |marker: &str| !marker.is_empty() && expected_name.contains(marker);
    if marked(&config.deny_marker) {
        let reason = json!([{"userPhotoReasons": ["Face out of view"]}, {"photoIdReasons": ["Photo hidden/No photo"]}]);
        return Decision { result: "FAIL", reason: PyValue::from(&reason), message_type: "DENIED" };
    }
    if marked(&config.system_fail_marker) {
        let reason = PyValue::Str("Simulated vendor system failure".to_owned());
        return Decision { result: "SYSTEM FAIL", reason, message_type: "SYSTEM_ERROR" };
    }
    if photo_id.is_some() || user_photo.is_some() {
        let mut reasons = Vec::new();
        if user_photo.is_some() {
            reasons.push(json!({"userPhotoReasons": ["Image not clear"]}));
        }
        if photo_id.is_some() {
            reasons.push(json!({"photoIdReasons": ["Not provided"]}));
        }
        let reason = PyValue::from(&serde_json::Value::Array(reasons));
        return Decision { result: "FAIL", reason, message_type: "PHOTO_UNUSABLE" };
    }
    Decision { result: "PASS", reason: PyValue::Str(String::new()), message_type: "VERIFIED" }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config() -> FakeVendorConfig {
        FakeVendorConfig {
            bind: ([127, 0, 0, 1], 0).into(),
            access_key: String::new(),
            secret_key: String::new(),
            private_key: Vec::new(),
            deny_marker: "DENY".to_owned(),
            system_fail_marker: "SYSFAIL".to_owned(),
            fail_first: 0,
            delay: std::time::Duration::ZERO,
            callback_delay: std::time::Duration::ZERO,
            quality_rules: false,
        }
    }

    #[test]
    fn quality_reasons_become_a_denial() {
        assert_eq!(quality_decision(&[], &[]), None);
        let d = quality_decision(&["Text not clear"], &["Image not clear", "Face out of view"]).expect("denied");
        assert_eq!((d.result, d.message_type), ("FAIL", "DENIED"));
        assert_eq!(
            d.reason.json_dumps(),
            r#"[{"userPhotoReasons": ["Image not clear", "Face out of view"]}, {"photoIdReasons": ["Text not clear"]}]"#
        );
    }

    #[test]
    fn rules_in_priority_order() {
        let c = config();
        let bad = Some(PhotoProblem::Fetch);
        assert_eq!(decide(&c, "Ada DENY SYSFAIL", bad, bad).result, "FAIL");
        assert_eq!(decide(&c, "Ada DENY", None, None).message_type, "DENIED");
        assert_eq!(decide(&c, "Ada SYSFAIL", bad, None).result, "SYSTEM FAIL");
        let both = decide(&c, "Ada", bad, Some(PhotoProblem::NotAnImage));
        assert_eq!(
            both.reason.json_dumps(),
            r#"[{"userPhotoReasons": ["Image not clear"]}, {"photoIdReasons": ["Not provided"]}]"#
        );
        let pass = decide(&c, "Ada", None, None);
        assert_eq!((pass.result, pass.reason), ("PASS", PyValue::Str(String::new())));
        let off = FakeVendorConfig { deny_marker: String::new(), ..c };
        assert_eq!(decide(&off, "Ada", None, None).result, "PASS", "an empty marker matches nothing");
    }
}
