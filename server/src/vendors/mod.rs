//! Verification vendors as plugins. Each vendor implements [`IdvVendor`]; the one that
//! verifies learners on a deployment is chosen by `[idv] vendor` from [`REGISTRY`].
//! Adding a vendor is one module implementing the trait plus one line in [`REGISTRY`].

pub mod hosted;
pub mod in_house;
pub mod manual;
pub mod slot;
pub mod software_secure;
pub mod software_secure_plugin;

use crate::service::{ServiceError, Services};
use app::{
    domain::{GenericStatus, UserId},
    dto::SubmitPhotosRequest,
};
use axum::http::HeaderMap;

pub use crate::config::vendors::{HOSTED, IN_HOUSE, MANUAL, SOFTWARE_SECURE};

/// Every vendor compiled in, by the name `[idv] vendor` uses.
pub const REGISTRY: &[(&str, &dyn IdvVendor)] = &[
    (SOFTWARE_SECURE, &software_secure_plugin::SoftwareSecure),
    (HOSTED, &hosted::Hosted),
    (MANUAL, &manual::Manual),
    (IN_HOUSE, &in_house::InHouse),
];

/// The vendor registered as `name`.
pub fn by_name(name: &str) -> Option<&'static dyn IdvVendor> {
    REGISTRY.iter().find(|(n, _)| *n == name).map(|(_, v)| *v)
}

/// The registered names.
pub fn names() -> Vec<&'static str> {
    REGISTRY.iter().map(|(n, _)| *n).collect()
}

/// The vendor this deployment is configured with (validated at start-up, so present).
pub fn selected(services: &Services) -> &'static dyn IdvVendor {
    by_name(&services.cfg.idv.vendor).unwrap_or(&software_secure_plugin::SoftwareSecure)
}

/// Where the learner goes to verify, as a vendor decides when an attempt starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Handoff {
    /// Vouch's own camera flow collects the photos and submits them through the vendor.
    BuiltIn,
    /// The vendor's own flow at this URL, made for this learner.
    Hosted {
        /// The vendor's flow URL (carries a one-learner session).
        url: String,
    },
    /// Nothing to do online: staff verify learners.
    Manual,
}

/// Why a vendor operation failed. Nothing was changed.
#[derive(Debug, thiserror::Error)]
pub enum VendorError {
    /// The request to us is malformed.
    #[error("{0}")]
    BadRequest(String),
    /// Missing or wrong signature or credentials (no detail on purpose).
    #[error("invalid signature")]
    Unauthorized,
    /// The signature's timestamp is outside the accepted window.
    #[error("the signature timestamp is outside the accepted window")]
    Stale,
    /// This exact message was accepted before.
    #[error("this message was already received")]
    Replayed,
    /// The attempt's state does not allow it.
    #[error("{0}")]
    Conflict(String),
    /// This vendor has no such step (e.g. submitting photos to a hosted flow).
    #[error("{0}")]
    NotSupported(&'static str),
    /// The vendor's API failed or is unreachable; trying later may work.
    #[error("the verification vendor is unavailable: {0}")]
    Unavailable(String),
    /// Something failed on our side.
    #[error(transparent)]
    Service(#[from] ServiceError),
}

impl From<crate::store::StoreError> for VendorError {
    fn from(e: crate::store::StoreError) -> Self {
        Self::Service(e.into())
    }
}

/// A verification vendor.
#[async_trait::async_trait]
pub trait IdvVendor: Send + Sync + 'static {
    /// The registry name (also recorded as the generic attempts' `vendor`).
    fn name(&self) -> &'static str;

    /// The slot filler shown when `[idv] slot_filler` is not set.
    fn default_filler(&self) -> &'static str;

    /// Starts (or resumes) an attempt for `user` and says where the learner goes.
    async fn start(&self, services: &Services, user: UserId) -> Result<Handoff, VendorError>;

    /// Submits photos that Vouch's own flow collected.
    async fn submit(&self, services: &Services, user: UserId, request: SubmitPhotosRequest) -> Result<(), VendorError>;

    /// Receives the vendor's result (its callback or webhook, raw); returns the body that
    /// acknowledges it.
    async fn receive(&self, services: &Services, headers: &HeaderMap, body: &[u8])
    -> Result<&'static str, VendorError>;

    /// The generic status a vendor status word means (None: not a word of this vendor).
    fn map_status(&self, vendor_status: &str) -> Option<GenericStatus>;
}

impl From<VendorError> for app::error::AppError {
    fn from(e: VendorError) -> Self {
        use app::error::{AppError, ErrorCode};
        match e {
            VendorError::Service(e) => e.into(),
            VendorError::Unavailable(detail) => {
                tracing::warn!(detail = %detail, "verification vendor unavailable");
                AppError::new(
                    ErrorCode::Unavailable,
                    "The verification partner cannot be reached right now. Please try again.",
                )
            }
            VendorError::BadRequest(m) => AppError::new(ErrorCode::InvalidRequest, m),
            VendorError::Unauthorized | VendorError::Stale => AppError::new(ErrorCode::Unauthenticated, e.to_string()),
            VendorError::Replayed | VendorError::Conflict(_) => AppError::new(ErrorCode::Conflict, e.to_string()),
            VendorError::NotSupported(m) => AppError::new(ErrorCode::NotFound, m),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registry_names_are_unique_and_match_the_plugins() {
        let names = names();
        let mut sorted = names.clone();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(sorted.len(), names.len());
        for (name, vendor) in REGISTRY {
            assert_eq!(vendor.name(), *name);
        }
        assert!(by_name("persona").is_none());
        // `[idv] vendor` is validated against the configuration's list of these names.
        assert_eq!(names, crate::config::vendors::NAMES);
    }

    #[test]
    fn each_vendor_maps_its_words() {
        let ss = by_name(SOFTWARE_SECURE).expect("registered");
        assert_eq!(ss.map_status("PASS"), Some(GenericStatus::Approved));
        assert_eq!(ss.map_status("FAIL"), Some(GenericStatus::Denied));
        let hosted = by_name(HOSTED).expect("registered");
        assert_eq!(hosted.map_status("approved"), Some(GenericStatus::Approved));
        assert_eq!(hosted.map_status("declined"), Some(GenericStatus::Denied));
        assert_eq!(hosted.map_status("submitted"), Some(GenericStatus::Pending));
        assert_eq!(hosted.map_status("nonsense"), None);
        let manual = by_name(MANUAL).expect("registered");
        assert_eq!(manual.map_status("approved"), Some(GenericStatus::Approved));
    }
}
