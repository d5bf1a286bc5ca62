//! Staff (manual) verification as an [`IdvVendor`]: learners do nothing online; staff
//! record verifications through `service::manual_verifications::create_manual_verification`.

use super::{Handoff, IdvVendor, MANUAL, VendorError};
use crate::service::Services;
use app::{
    domain::{GenericStatus, UserId},
    dto::SubmitPhotosRequest,
};
use axum::http::HeaderMap;

/// The manual plugin.
#[derive(Debug, Clone, Copy)]
pub struct Manual;

#[async_trait::async_trait]
impl IdvVendor for Manual {
    fn name(&self) -> &'static str {
        MANUAL
    }

    fn default_filler(&self) -> &'static str {
        app::slot::MANUAL
    }

    async fn start(
        &self,
        _services: &Services,
        _user: UserId,
        _course_id: Option<&str>,
    ) -> Result<Handoff, VendorError> {
        Ok(Handoff::Manual)
    }

    async fn submit(&self, _: &Services, _: UserId, _: SubmitPhotosRequest) -> Result<(), VendorError> {
        Err(VendorError::NotSupported("On this platform, staff verify identities; there is nothing to submit."))
    }

    async fn receive(&self, _: &Services, _: &HeaderMap, _: &[u8]) -> Result<&'static str, VendorError> {
        Err(VendorError::NotSupported("Manual verification has no vendor callback."))
    }

    /// The statuses staff set on a manual verification.
    fn map_status(&self, vendor_status: &str) -> Option<GenericStatus> {
        match vendor_status {
            "approved" => Some(GenericStatus::Approved),
            "denied" => Some(GenericStatus::Denied),
            _ => None,
        }
    }
}
