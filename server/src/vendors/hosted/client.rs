//! Vouch's calls to the hosted vendor's API: create an inquiry for a learner, or resume one
//! (a fresh flow session for an inquiry the learner has not finished). Server to server,
//! authorised by `Authorization: Bearer <idv.hosted_api_key>`; never followed redirects.

use super::super::VendorError;
use crate::service::Services;
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// What Vouch sends to create an inquiry.
#[derive(Debug, Serialize)]
pub struct NewInquiry<'a> {
    /// Vouch's reference for the learner (never an email or a name).
    pub reference_id: &'a str,
    /// The name the learner's ID should show.
    pub name: &'a str,
    /// Where the vendor's page sends the learner when done (redirect display).
    pub redirect_uri: &'a str,
    /// Where the vendor posts its signed webhooks.
    pub webhook_url: &'a str,
}

/// An inquiry as the vendor reports it.
#[derive(Debug, Clone, Deserialize)]
pub struct Inquiry {
    /// The vendor's inquiry id.
    pub id: String,
    /// The learner's flow, with a session for this learner only.
    pub flow_url: String,
}

/// The outcome of a resume.
#[derive(Debug)]
pub enum Resumed {
    /// A fresh flow session.
    Flow(Inquiry),
    /// The vendor no longer has (or no longer resumes) it: start a new one.
    Gone,
}

fn endpoint(services: &Services, path: &str) -> String {
    format!("{}/{path}", services.cfg.idv.hosted_api_url.trim_end_matches('/'))
}

fn authorised(services: &Services, req: reqwest::RequestBuilder) -> Result<reqwest::RequestBuilder, VendorError> {
    let key = services.cfg.idv.hosted_api_key.as_ref().ok_or(VendorError::Unavailable("no API key".into()))?;
    Ok(req.bearer_auth(key.expose()).timeout(Duration::from_secs(services.cfg.idv.hosted_request_timeout_secs)))
}

/// The flow URL is shown in an iframe or navigated to: only http(s), nothing else
/// (a `javascript:` URL from a compromised vendor must never reach the page).
fn checked(inquiry: Inquiry) -> Result<Inquiry, VendorError> {
    let ok = (inquiry.flow_url.starts_with("https://") || inquiry.flow_url.starts_with("http://"))
        && !inquiry.id.is_empty()
        && inquiry.id.len() <= 200;
    if ok { Ok(inquiry) } else { Err(VendorError::Unavailable("the vendor answered an unusable inquiry".into())) }
}

async fn read(res: reqwest::Response) -> Result<Inquiry, VendorError> {
    let status = res.status();
    if !status.is_success() {
        return Err(VendorError::Unavailable(format!("the vendor answered HTTP {}", status.as_u16())));
    }
    let body = crate::outbound::read_capped(res, crate::outbound::MAX_ANSWER_BYTES)
        .await
        .map_err(|e| VendorError::Unavailable(e.to_string()))?;
    let inquiry =
        serde_json::from_slice::<Inquiry>(&body).map_err(|_| VendorError::Unavailable("unreadable answer".into()))?;
    checked(inquiry)
}

/// Creates an inquiry.
#[tracing::instrument(skip_all)]
pub async fn create(services: &Services, new: &NewInquiry<'_>) -> Result<Inquiry, VendorError> {
    let req = authorised(services, services.http.post(endpoint(services, "api/inquiries")))?.json(new);
    let res = req.send().await.map_err(|e| VendorError::Unavailable(connect_error(&e)))?;
    read(res).await
}

/// Asks for a fresh flow session of inquiry `id`.
#[tracing::instrument(skip_all)]
pub async fn resume(services: &Services, id: &str) -> Result<Resumed, VendorError> {
    let path = format!(
        "api/inquiries/{}/resume",
        percent_encoding::utf8_percent_encode(id, percent_encoding::NON_ALPHANUMERIC)
    );
    let req = authorised(services, services.http.post(endpoint(services, &path)))?;
    let res = req.send().await.map_err(|e| VendorError::Unavailable(connect_error(&e)))?;
    if matches!(res.status().as_u16(), 404 | 409 | 410) {
        return Ok(Resumed::Gone);
    }
    Ok(Resumed::Flow(read(res).await?))
}

/// A connection failure, without the URL (which may carry a key in a misconfiguration).
fn connect_error(e: &reqwest::Error) -> String {
    if e.is_timeout() { "timed out".into() } else { "could not connect".into() }
}
