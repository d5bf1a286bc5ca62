//! The vendor plugin contract ([`IdvVendor`]) and the vendors of this process
//! ([`VendorRegistry`]), carried in [`Services`]. The trait lives here, below every layer
//! that calls it, so the services can hold the registry without importing `crate::vendors`
//! (which builds on the services); `crate::vendors` re-exports it with the built-in vendors.

use crate::service::{ServiceError, Services};
use app::{
    domain::{GenericStatus, UserId},
    dto::SubmitPhotosRequest,
};
use axum::http::HeaderMap;
use std::sync::Arc;

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

/// A verification vendor. One value serves every request of the process (it is shared
/// behind an `Arc`), so per-learner state belongs in the database, never in `self`.
#[async_trait::async_trait]
pub trait IdvVendor: Send + Sync + 'static {
    /// The registry name: what `[idv] vendor` and `/callbacks/{name}` use, and what the
    /// vendor records as the generic attempts' `vendor`. Lowercase ASCII, digits and `_`.
    fn name(&self) -> &'static str;

    /// The slot filler shown when this vendor serves the learner and `[idv] slot_filler`
    /// does not apply (it applies to the default vendor only).
    fn default_filler(&self) -> &'static str;

    /// Starts (or resumes) an attempt for `user` and says where the learner goes.
    /// `course_id` is the course the learner opened the verification page for (checked for
    /// form, as every door checks course keys, but not against enrolment), `None` without
    /// one: a vendor may tag its session with it; resuming an open attempt should not depend
    /// on it, since the learner verifies once for every course.
    async fn start(&self, services: &Services, user: UserId, course_id: Option<&str>) -> Result<Handoff, VendorError>;

    /// Submits photos that Vouch's own flow collected.
    async fn submit(&self, services: &Services, user: UserId, request: SubmitPhotosRequest) -> Result<(), VendorError>;

    /// Receives the vendor's result (its callback or webhook, raw); returns the body that
    /// acknowledges it.
    async fn receive(&self, services: &Services, headers: &HeaderMap, body: &[u8])
    -> Result<&'static str, VendorError>;

    /// The generic status a vendor status word means (None: not a word of this vendor).
    fn map_status(&self, vendor_status: &str) -> Option<GenericStatus>;

    /// A URL on the origin of the vendor's own page, when Vouch may show it in an iframe
    /// (`idv.hosted_display = "iframe"`): the learner pages' CSP then allows framing that
    /// origin. Read once when the server starts. `None` (the default): never framed.
    fn frame_url(&self, cfg: &crate::config::Config) -> Option<String> {
        let _ = cfg;
        None
    }
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

/// Why a set of vendors cannot be a registry.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RegistryError {
    /// Two vendors share a name: callbacks could not tell them apart.
    #[error("two vendors are registered as {0:?}; each vendor needs its own name")]
    Duplicate(String),
    /// A name that cannot be a path segment of `/callbacks/{name}` or a config value.
    #[error("the vendor name {0:?} is not lowercase ASCII letters, digits and _")]
    BadName(String),
    /// No vendor at all.
    #[error("no vendor is registered")]
    Empty,
}

/// The vendors of this process, by name, in registration order. Built once at start-up
/// (by `server::App`'s builder, or the stock set) and never changed afterwards.
pub struct VendorRegistry {
    vendors: Vec<Arc<dyn IdvVendor>>,
}

impl VendorRegistry {
    /// A registry of `vendors` (at least one, names unique and well-formed).
    pub fn new(vendors: Vec<Arc<dyn IdvVendor>>) -> Result<Self, RegistryError> {
        if vendors.is_empty() {
            return Err(RegistryError::Empty);
        }
        for (i, v) in vendors.iter().enumerate() {
            let name = v.name();
            if name.is_empty() || !name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_') {
                return Err(RegistryError::BadName(name.to_owned()));
            }
            if vendors[..i].iter().any(|o| o.name() == name) {
                return Err(RegistryError::Duplicate(name.to_owned()));
            }
        }
        Ok(Self { vendors })
    }

    /// The vendor registered as `name`.
    pub fn get(&self, name: &str) -> Option<Arc<dyn IdvVendor>> {
        self.vendors.iter().find(|v| v.name() == name).cloned()
    }

    /// The registered names, in registration order.
    pub fn names(&self) -> Vec<&'static str> {
        self.vendors.iter().map(|v| v.name()).collect()
    }

    /// The configured default vendor (`[idv] vendor`). The name is validated against this
    /// registry at start-up; a hand-built configuration that skipped that check gets the
    /// first registered vendor rather than a panic.
    pub fn default_vendor(&self, configured: &str) -> Arc<dyn IdvVendor> {
        self.get(configured).unwrap_or_else(|| self.vendors[0].clone())
    }
}

impl std::fmt::Debug for VendorRegistry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VendorRegistry").field("vendors", &self.names()).finish()
    }
}
