//! In-house review as an [`IdvVendor`]: the learner uses Vouch's own camera flow, the photos
//! are sealed exactly as for Software Secure but for the review key pair
//! (`review.rsa_public_key`), and the submitted attempt waits in the review queue
//! (`service::review`) until a reviewer decides it. Nothing leaves Vouch, so there is no
//! vendor callback.

use super::{Handoff, IN_HOUSE, IdvVendor, VendorError};
use crate::service::{
    Services,
    submit::{self, Destination},
};
use app::{
    domain::{GenericStatus, UserId},
    dto::SubmitPhotosRequest,
};
use axum::http::HeaderMap;

/// The in-house plugin.
#[derive(Debug, Clone, Copy)]
pub struct InHouse;

#[async_trait::async_trait]
impl IdvVendor for InHouse {
    fn name(&self) -> &'static str {
        IN_HOUSE
    }

    fn default_filler(&self) -> &'static str {
        app::slot::BUILTIN
    }

    /// Vouch's own camera flow collects the photos; the attempt is created on submit.
    async fn start(
        &self,
        _services: &Services,
        _user: UserId,
        _course_id: Option<&str>,
    ) -> Result<Handoff, VendorError> {
        Ok(Handoff::BuiltIn)
    }

    async fn submit(&self, services: &Services, user: UserId, request: SubmitPhotosRequest) -> Result<(), VendorError> {
        submit::submit_photos_to(services, user, request, Destination::InHouse).await?;
        Ok(())
    }

    async fn receive(&self, _: &Services, _: &HeaderMap, _: &[u8]) -> Result<&'static str, VendorError> {
        Err(VendorError::NotSupported("In-house review has no vendor callback: reviewers decide in Vouch."))
    }

    /// The decisions reviewers record (the lifecycle's statuses).
    fn map_status(&self, vendor_status: &str) -> Option<GenericStatus> {
        match vendor_status {
            "approved" => Some(GenericStatus::Approved),
            "denied" => Some(GenericStatus::Denied),
            "submitted" => Some(GenericStatus::Pending),
            _ => None,
        }
    }
}
