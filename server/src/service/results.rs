//! The vendor's verdict (Open edX `results_callback`): authenticate, parse, decide, all or
//! nothing. Where Open edX compares only the access key, Vouch by default verifies the HMAC
//! signature, refuses a `Date` outside the window and refuses a replayed callback.

use super::{Conflict, ServiceError, Services, lifecycle};
use crate::{
    config::CallbackAuth,
    store::{StoreError, attempts, replay, transitions::Actor},
};
use app::domain::{
    AttemptStatus,
    photo_lifecycle::{self, PhotoOp, Reviewer},
};
use axum::http::HeaderMap;
use chrono::Duration;
use sha2::{Digest, Sha256};
use ssencrypt::{PyValue, SignedHeaders};
use subtle::ConstantTimeEq;

/// The name Vouch records as the reviewing service of Software Secure decisions.
pub const SERVICE_NAME: &str = "SoftwareSecure";

/// Open edX keeps at most 50 characters of `MessageType` as the error code.
const MAX_CODE_CHARS: usize = 50;

/// Why a callback was refused. Nothing was changed.
#[derive(Debug, thiserror::Error)]
pub enum CallbackError {
    /// The body is not JSON, or not an object.
    #[error("{0}")]
    BadRequest(String),
    /// Missing or wrong credentials (no detail, to give an attacker nothing).
    #[error("invalid credentials")]
    Unauthorized,
    /// The `Date` is missing or outside the accepted window.
    #[error("the Date header is missing or outside the accepted window")]
    Stale,
    /// This exact callback was accepted before.
    #[error("this callback was already received")]
    Replayed,
    /// The attempt's state does not allow it (e.g. never submitted).
    #[error(transparent)]
    Conflict(Conflict),
    /// Something failed on our side.
    #[error(transparent)]
    Internal(#[from] ServiceError),
}

impl From<StoreError> for CallbackError {
    fn from(e: StoreError) -> Self {
        Self::Internal(e.into())
    }
}

fn field<'a>(body: &'a PyValue, name: &str) -> Option<&'a str> {
    body.get(name).and_then(PyValue::as_str)
}

/// Whether any key or string in `v` holds a NUL.
fn holds_nul(v: &PyValue) -> bool {
    match v {
        PyValue::Str(s) => s.contains('\0'),
        PyValue::List(items) => items.iter().any(holds_nul),
        PyValue::Dict(entries) => entries.iter().any(|(k, v)| k.contains('\0') || holds_nul(v)),
        PyValue::None | PyValue::Bool(_) | PyValue::Int(_) | PyValue::Float(_) => false,
    }
}

/// Handles one callback (`headers` and the raw `body`).
#[tracing::instrument(skip_all)]
pub async fn handle(services: &Services, headers: &HeaderMap, body: &[u8]) -> Result<(), CallbackError> {
    let cfg = &services.cfg.software_secure;
    let parsed = ssencrypt::python::loads_bytes(body).map_err(|_| CallbackError::BadRequest("Invalid JSON.".into()))?;
    if parsed.as_dict().is_none() {
        return Err(CallbackError::BadRequest("JSON should be dict.".into()));
    }
    // A NUL cannot be stored in PostgreSQL text (the reason and code are kept): refuse it
    // here as bad input rather than fail on the write.
    if holds_nul(&parsed) {
        return Err(CallbackError::BadRequest("The callback holds a NUL character.".into()));
    }
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    let authorization = header("authorization").ok_or(CallbackError::Unauthorized)?;
    let now = services.clock.now();

    let replay_digest = match cfg.callback_auth {
        CallbackAuth::Hmac => {
            let date = header("date").ok_or(CallbackError::Stale)?;
            let sent = httpdate::parse_http_date(date).map_err(|_| CallbackError::Stale)?;
            let sent = chrono::DateTime::<chrono::Utc>::from(sent);
            if (now - sent).num_seconds().abs() > cfg.callback_window_secs {
                return Err(CallbackError::Stale);
            }
            let secret = cfg.api_secret_key.as_ref().ok_or(CallbackError::Unauthorized)?;
            let signed = SignedHeaders::from_header_map(headers).map_err(|_| CallbackError::Unauthorized)?;
            ssencrypt::verify_authorization(
                authorization,
                "POST",
                &signed,
                &parsed,
                &cfg.api_access_key,
                secret.expose(),
            )
            .map_err(|_| CallbackError::Unauthorized)?;
            // Keyed on what was verified, not on the header's spelling: the signature (one
            // valid spelling, byte-equal to ours) and the instant the `Date` names.
            let signature = authorization.rsplit_once(':').map_or("", |(_, s)| s);
            let digest = Sha256::digest(format!("{signature}\n{}", sent.timestamp()).as_bytes());
            Some(digest.iter().map(|b| format!("{b:02x}")).collect::<String>())
        }
        CallbackAuth::AccessKey => {
            let key = ssencrypt::legacy_access_key(authorization).map_err(|_| CallbackError::Unauthorized)?;
            let ok: bool = key.as_bytes().ct_eq(cfg.api_access_key.as_bytes()).into();
            if !ok || cfg.api_access_key.is_empty() {
                return Err(CallbackError::Unauthorized);
            }
            None
        }
    };

    let receipt = field(&parsed, "EdX-ID").ok_or_else(|| CallbackError::BadRequest("EdX-ID is missing.".into()))?;
    let result = field(&parsed, "Result").unwrap_or_default();
    let reason = parsed.get("Reason").cloned().unwrap_or(PyValue::Str(String::new()));
    let code: String = field(&parsed, "MessageType").unwrap_or_default().chars().take(MAX_CODE_CHARS).collect();
    let reviewer = Reviewer { user: None, service: SERVICE_NAME.into() };
    let op = match result {
        "PASS" => PhotoOp::Approve { reviewer },
        "FAIL" => PhotoOp::Deny { error_msg: reason.json_dumps(), error_code: code, reviewer },
        "SYSTEM FAIL" => PhotoOp::SystemError { error_msg: reason.json_dumps(), error_code: code, reviewer },
        other => {
            return Err(CallbackError::BadRequest(format!(
                "Result {other:?} not understood. Known results: PASS, FAIL, SYSTEM FAIL"
            )));
        }
    };

    // The submission job may record `submitted` at the same moment: on such a race the
    // transaction wrote nothing, so read again and retry rather than lose the verdict.
    for _ in 0..MAX_RACE_RETRIES {
        match decide(services, receipt, &op, replay_digest.as_deref(), now).await {
            Err(CallbackError::Internal(ServiceError::Raced)) => continue,
            other => return other,
        }
    }
    Err(CallbackError::Conflict(Conflict::KeptChanging))
}

/// How often a verdict is retried when it races another writer.
const MAX_RACE_RETRIES: usize = 5;

/// Records the verdict `op` for `receipt` in one transaction (replay guard included).
async fn decide(
    services: &Services,
    receipt: &str,
    op: &PhotoOp,
    replay_digest: Option<&str>,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<(), CallbackError> {
    let cfg = &services.cfg.software_secure;
    let mut tx = services.store.begin().await?;
    let attempt = attempts::by_receipt_id(&mut tx, receipt)
        .await?
        .ok_or_else(|| CallbackError::BadRequest(format!("edX ID {receipt} not found")))?;
    // An in_house attempt (one with a review item) was never sent to Software Secure and
    // only a reviewer decides it: to the vendor it does not exist, so it is refused exactly
    // like an unknown receipt, whatever the signature.
    if crate::store::reviews::by_receipt(&mut tx, receipt).await?.is_some() {
        return Err(CallbackError::BadRequest(format!("edX ID {receipt} not found")));
    }
    if let Some(digest) = replay_digest {
        let keep_until = now + Duration::seconds(2 * cfg.callback_window_secs);
        if !replay::remember(&mut tx, digest, now, keep_until).await? {
            return Err(CallbackError::Replayed);
        }
    }
    let actor = Actor::Vendor(SERVICE_NAME.into());
    // A decided attempt keeps its decision: a late or repeated verdict is acknowledged and
    // changes nothing (only staff may overturn a decision, through the lifecycle).
    if !photo_lifecycle::vendor_verdict_applies(attempt.status()) {
        tx.commit().await.map_err(StoreError::from)?;
        tracing::info!(attempt.id = %attempt.id, "verdict for an already decided attempt ignored");
        return Ok(());
    }
    // The vendor may answer before our job recorded the submission: it evidently has it.
    if attempt.status() == AttemptStatus::Ready {
        let step = lifecycle::apply_in(&mut tx, services, attempt.id, &PhotoOp::MarkSubmit, &actor, "vendor answered");
        match step.await {
            Ok(_) => {}
            // The job recorded the submission between our reads: start over with a fresh read.
            Err(ServiceError::Conflict(_)) => return Err(CallbackError::Internal(ServiceError::Raced)),
            Err(e) => return Err(e.into()),
        }
    }
    match lifecycle::apply_in(&mut tx, services, attempt.id, op, &actor, "vendor result").await {
        Ok(_) => {}
        Err(ServiceError::Conflict(m)) => return Err(CallbackError::Conflict(m)),
        Err(e) => return Err(e.into()),
    }
    tx.commit().await.map_err(StoreError::from)?;
    Ok(())
}
