//! A hosted-flow vendor in the style of Persona or Stripe Identity: the vendor runs the
//! whole capture flow on its own pages.
//!
//! 1. Vouch creates an inquiry through the vendor's API (`POST <hosted_api_url>/api/inquiries`,
//!    bearer key; see [`client`]) and records a generic attempt (`created`, vendor `hosted`,
//!    the inquiry id as `vendor_reference`). Opening the page again resumes the same inquiry.
//! 2. The learner completes the vendor's flow, in an iframe or after a redirect.
//! 3. The vendor posts webhooks to `POST /callbacks/hosted`, signed with a timestamped HMAC
//!    ([`signature`]): `{"id": "evt_…", "type": "inquiry.status_changed", "created_at": <unix>,
//!    "data": {"inquiry_id": "inq_…", "status": "submitted" | "approved" | "declined" | …}}`.
//!    Vouch verifies the signature and the window, refuses a replayed event id, and moves the
//!    attempt through `service::generic_attempts::update_verification_attempt`.

pub mod client;
pub mod flow;

use super::{HOSTED, Handoff, IdvVendor, VendorError};
use crate::service::Services;
use app::{
    domain::{GenericStatus, UserId},
    dto::SubmitPhotosRequest,
};
use axum::http::HeaderMap;

/// The hosted-flow plugin.
#[derive(Debug, Clone, Copy)]
pub struct Hosted;

#[async_trait::async_trait]
impl IdvVendor for Hosted {
    fn name(&self) -> &'static str {
        HOSTED
    }

    fn default_filler(&self) -> &'static str {
        app::slot::HOSTED
    }

    /// The course is not sent: the inquiry is the learner's, whatever course they came from.
    async fn start(&self, services: &Services, user: UserId, _course_id: Option<&str>) -> Result<Handoff, VendorError> {
        flow::start(services, user).await
    }

    async fn submit(&self, _: &Services, _: UserId, _: SubmitPhotosRequest) -> Result<(), VendorError> {
        Err(VendorError::NotSupported("The verification partner collects the photos on its own page."))
    }

    async fn receive(
        &self,
        services: &Services,
        headers: &HeaderMap,
        body: &[u8],
    ) -> Result<&'static str, VendorError> {
        flow::receive_webhook(services, headers, body).await?;
        Ok("{}")
    }

    /// The vendor's API origin serves its flow; framed only while it is the default vendor
    /// (as before vendors could be routed).
    fn frame_url(&self, cfg: &crate::config::Config) -> Option<String> {
        (cfg.idv.vendor == HOSTED).then(|| cfg.idv.hosted_api_url.clone())
    }

    /// The inquiry statuses of hosted vendors (Persona's words and their common synonyms).
    fn map_status(&self, vendor_status: &str) -> Option<GenericStatus> {
        match vendor_status {
            "created" | "pending" | "started" | "expired" => Some(GenericStatus::Created),
            "submitted" | "completed" | "needs_review" | "processing" => Some(GenericStatus::Pending),
            "approved" | "verified" => Some(GenericStatus::Approved),
            "declined" | "failed" | "denied" => Some(GenericStatus::Denied),
            _ => None,
        }
    }
}
