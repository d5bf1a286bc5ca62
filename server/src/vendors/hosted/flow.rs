//! The hosted-flow vendor's use cases: start (or resume) a learner's inquiry, and apply the
//! vendor's signed webhooks to the generic attempt. Generic attempt statuses change only
//! through `service::generic_attempts`, where the lifecycle hooks live.

use super::{
    Hosted,
    client::{self, NewInquiry, Resumed},
};
use crate::{
    service::{ServiceError, Services, generic_attempts, submit},
    store::{hosted as store, replay, transitions::Actor, users},
    vendors::{HOSTED, Handoff, IdvVendor as _, VendorError},
};
use app::domain::{GenericStatus, UserId};
use axum::http::HeaderMap;
use chrono::Duration;
use serde::Deserialize;
use ssencrypt::webhook_signature;

/// The path of the vendors' callbacks, under `server.public_url` (`{vendor}` is the name).
pub const CALLBACK_PATH: &str = "/callbacks/hosted";

/// Where the learner lands after the vendor's flow.
pub const RETURN_PATH: &str = app::routes::STATUS;

/// Starts the learner's hosted flow: resumes the newest inquiry they have not finished, or,
/// when the learner may verify now (`submit::ensure_can_start`), creates a new inquiry and
/// its generic attempt (`created`).
#[tracing::instrument(skip_all, fields(user.id = %user))]
pub async fn start(services: &Services, user: UserId) -> Result<Handoff, VendorError> {
    let (account, open) = {
        let mut conn = services.store.conn().await?;
        let account =
            users::by_id(&mut conn, user).await?.filter(|u| u.is_active).ok_or(ServiceError::Unauthenticated)?;
        let latest = store::latest_for_user(&mut conn, user, HOSTED).await?;
        (account, latest.filter(|a| a.status == GenericStatus::Created.as_str()))
    };
    if let Some(open) = open {
        let reference = current_reference(services, open.id).await?;
        if let Resumed::Flow(inquiry) = client::resume(services, &reference).await? {
            return Ok(Handoff::Hosted { url: inquiry.flow_url });
        }
    }
    // A new inquiry is billed by the vendor: the learner must be allowed to verify now.
    submit::ensure_can_start(services, user).await?;
    let base = services.cfg.server.public_url.trim_end_matches('/');
    let name = if account.full_name.is_empty() { account.username.clone() } else { account.full_name.clone() };
    let reference_id = format!("user-{}", user.0);
    let redirect_uri = format!("{base}{RETURN_PATH}");
    let webhook_url = format!("{base}{CALLBACK_PATH}");
    let new =
        NewInquiry { reference_id: &reference_id, name: &name, redirect_uri: &redirect_uri, webhook_url: &webhook_url };
    let inquiry = client::create(services, &new).await?;
    let attempt = generic_attempts::GenericAttempt {
        user,
        name,
        status: GenericStatus::Created.as_str().into(),
        expiration: None,
        hide_status_from_user: false,
        vendor: HOSTED.into(),
        vendor_reference: inquiry.id.clone(),
    };
    let id = generic_attempts::create_verification_attempt(services, attempt, &Actor::Learner(user)).await?;
    tracing::info!(attempt.id = id, "hosted inquiry created");
    Ok(Handoff::Hosted { url: inquiry.flow_url })
}

async fn current_reference(services: &Services, id: i64) -> Result<String, VendorError> {
    let mut conn = services.store.conn().await?;
    Ok(store::vendor_reference(&mut conn, id).await?.ok_or(ServiceError::NotFound)?)
}

/// A webhook event as the vendor sends it.
#[derive(Debug, Deserialize)]
struct Event {
    id: String,
    #[serde(rename = "type")]
    kind: String,
    data: EventData,
}

#[derive(Debug, Deserialize)]
struct EventData {
    inquiry_id: String,
    status: String,
}

/// How often a webhook is re-applied when it races another writer of the same attempt.
const MAX_RACE_RETRIES: usize = 5;

/// Applies one signed webhook. Unknown event types and statuses are acknowledged and
/// ignored (the vendor should not retry what we will never understand); a decided attempt
/// keeps its decision; a status never moves back to `created`.
#[tracing::instrument(skip_all)]
pub async fn receive_webhook(services: &Services, headers: &HeaderMap, body: &[u8]) -> Result<(), VendorError> {
    let cfg = &services.cfg.idv;
    let secret = cfg.hosted_webhook_secret.as_ref().ok_or(VendorError::Unauthorized)?;
    let header =
        headers.get(webhook_signature::HEADER).and_then(|v| v.to_str().ok()).ok_or(VendorError::Unauthorized)?;
    let now = services.clock.now();
    webhook_signature::verify(
        header,
        secret.expose().as_bytes(),
        body,
        now.timestamp(),
        cfg.hosted_webhook_tolerance_secs,
    )
    .map_err(|e| match e {
        webhook_signature::SignatureError::Stale => VendorError::Stale,
        _ => VendorError::Unauthorized,
    })?;
    let event: Event =
        serde_json::from_slice(body).map_err(|_| VendorError::BadRequest("Invalid event JSON.".into()))?;
    if event.id.is_empty() || event.id.len() > 200 {
        return Err(VendorError::BadRequest("The event id is missing or too long.".into()));
    }
    // Ids and statuses are looked up and stored as text, which cannot hold a NUL in PostgreSQL.
    if [&event.id, &event.data.inquiry_id, &event.data.status].iter().any(|s| s.chars().any(char::is_control)) {
        return Err(VendorError::BadRequest("The event holds a control character.".into()));
    }
    let Some(to) = Hosted.map_status(&event.data.status) else {
        tracing::info!(event.kind = %event.kind, "hosted webhook with an unknown status ignored");
        return Ok(());
    };
    let attempt = {
        let mut conn = services.store.conn().await?;
        store::by_reference(&mut conn, HOSTED, &event.data.inquiry_id).await?
    }
    .ok_or_else(|| VendorError::BadRequest("Unknown inquiry.".into()))?;

    // The event id is remembered for twice the window: older copies fail the timestamp check.
    let digest = format!("hosted:{}", event.id);
    {
        let mut conn = services.store.conn().await?;
        let keep_until = now + Duration::seconds(2 * cfg.hosted_webhook_tolerance_secs);
        if !replay::remember(&mut conn, &digest, now, keep_until).await? {
            return Err(VendorError::Replayed);
        }
    }
    let applied = apply(services, attempt.id, to).await;
    if applied.is_err() {
        // Nothing changed: let the vendor's retry of this event through.
        let mut conn = services.store.conn().await?;
        store::forget_replay(&mut conn, &digest).await?;
    }
    applied
}

/// Serialises this process's webhook decisions: the policy check below reads the status
/// before `update_verification_attempt` writes it, and two concurrent webhooks of one
/// attempt (a late `submitted` beside `approved`) must not interleave between the two.
static APPLYING: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// Moves attempt `id` to `to` unless that would undo a decision or go back to `created`.
async fn apply(services: &Services, id: i64, to: GenericStatus) -> Result<(), VendorError> {
    let _one_at_a_time = APPLYING.lock().await;
    let actor = Actor::Vendor(HOSTED.into());
    for _ in 0..MAX_RACE_RETRIES {
        let current = {
            let mut conn = services.store.conn().await?;
            crate::store::kinds::by_id(&mut conn, app::domain::AttemptKind::Generic, id).await?
        }
        .ok_or(ServiceError::NotFound)?;
        let from: GenericStatus =
            current.status.parse().map_err(|_| ServiceError::BadStatus(current.status.clone()))?;
        if !app::domain::generic_lifecycle::vendor_report_applies(from, to) {
            if from != to {
                tracing::info!(attempt.id = id, from = %from, to = %to, "hosted status change ignored");
            }
            return Ok(());
        }
        let expiration = (to == GenericStatus::Approved)
            .then(|| Some(services.clock.now() + Duration::days(services.policy().days_good_for)));
        match generic_attempts::update_verification_attempt(services, id, None, Some(to.as_str()), expiration, &actor)
            .await
        {
            Err(ServiceError::Raced) => continue,
            other => return Ok(other?),
        }
    }
    Err(VendorError::Conflict("the attempt kept changing; try again".into()))
}
