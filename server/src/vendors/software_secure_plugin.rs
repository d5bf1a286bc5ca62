//! Software Secure as an [`IdvVendor`]: a thin wrapper that delegates to the existing
//! pipeline (submit service, submission job, results callback), so the protocol code stays
//! where it is and behaves exactly as before.

use super::{Handoff, IdvVendor, SOFTWARE_SECURE, VendorError};
use crate::service::{
    Services,
    results::{self, CallbackError},
    submit,
};
use app::{
    domain::{GenericStatus, UserId},
    dto::SubmitPhotosRequest,
};
use axum::http::HeaderMap;

/// The Software Secure plugin.
#[derive(Debug, Clone, Copy)]
pub struct SoftwareSecure;

#[async_trait::async_trait]
impl IdvVendor for SoftwareSecure {
    fn name(&self) -> &'static str {
        SOFTWARE_SECURE
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
        submit::submit_photos(services, user, request).await?;
        Ok(())
    }

    async fn receive(
        &self,
        services: &Services,
        headers: &HeaderMap,
        body: &[u8],
    ) -> Result<&'static str, VendorError> {
        results::handle(services, headers, body).await.map_err(|e| match e {
            CallbackError::BadRequest(m) => VendorError::BadRequest(m),
            CallbackError::Unauthorized => VendorError::Unauthorized,
            CallbackError::Stale => VendorError::Stale,
            CallbackError::Replayed => VendorError::Replayed,
            CallbackError::Conflict(c) => VendorError::Conflict(c.to_string()),
            CallbackError::Internal(e) => VendorError::Service(e),
        })?;
        // Software Secure expects exactly this acknowledgement (Open edX's answer).
        Ok("OK!")
    }

    /// The `Result` words of a callback. A system failure is retried by Vouch, so the
    /// attempt is still pending as far as the generic view goes.
    fn map_status(&self, vendor_status: &str) -> Option<GenericStatus> {
        match vendor_status {
            "PASS" => Some(GenericStatus::Approved),
            "FAIL" => Some(GenericStatus::Denied),
            "SYSTEM FAIL" => Some(GenericStatus::Pending),
            _ => None,
        }
    }
}
