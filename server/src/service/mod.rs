//! The use cases. Each owns its transaction, calls the pure domain for decisions and the
//! store and vault for I/O. HTTP handlers and server functions call these and nothing lower.

pub mod accounts;
pub mod attempt_delete;
pub mod attempt_history;
pub mod commerce;
mod conflict;
pub mod course_flow;
pub mod courses;
pub mod database;
pub mod deadlines;
pub mod emails;
pub mod expiry_emails;
pub mod filters;
pub mod frame_ancestors;
pub mod gauges;
pub mod generic_attempts;
pub mod handoff;
pub mod idv;
pub mod jobs_admin;
pub mod keys;
pub mod lifecycle;
pub mod lms;
pub mod manual_decision;
pub mod manual_verifications;
pub mod name_affirmation;
pub mod operator;
pub mod photo_data_url;
pub mod photo_gc;
pub mod plugins;
pub mod queue;
pub mod records;
pub mod results;
pub mod retention;
pub mod retire;
pub mod retry;
pub mod retry_config;
pub mod review;
pub mod reviewer_role;
pub mod sso;
pub mod staff;
pub mod staff_photos;
pub mod submit;
pub mod synthetic;
pub mod vendor_photos;

/// The former home of the generic, manual and SSO attempt use cases, kept for plugins built
/// against it.
#[deprecated(note = "use `service::generic_attempts`, `service::manual_verifications` or `service::sso`")]
pub mod api {
    pub use super::generic_attempts::{GenericAttempt, create_verification_attempt, update_verification_attempt};
    pub use super::manual_verifications::{create_manual_verification, revoke_manual_verification};
    pub use super::sso::{create_sso_verification, create_sso_verification_as};
}

pub use conflict::Conflict;

use crate::{
    clock::Clock,
    config::Config,
    store::{Store, StoreError},
    vault::{Vault, VaultError},
};
use app::error::{AppError, ErrorCode};
use std::sync::Arc;

/// Everything a use case needs.
#[derive(Clone)]
pub struct Services {
    /// Configuration.
    pub cfg: Arc<Config>,
    /// The database.
    pub store: Store,
    /// The photo store.
    pub vault: Vault,
    /// The time.
    pub clock: Arc<dyn Clock>,
    /// Course deadlines read recently.
    pub deadline_cache: Arc<deadlines::DeadlineCache>,
    /// Vendor keys and URL-signing key.
    pub keys: Arc<keys::Keys>,
    /// The HTTP client for vendors and webhooks (timeouts set, no redirects followed).
    pub http: reqwest::Client,
    /// The filter steps of the verification service, by name.
    pub filters: Arc<filters::FilterRegistry>,
    /// The verification vendors of this process, by name (built-in and added by the build).
    pub vendors: Arc<plugins::VendorRegistry>,
    /// Learners' records and LMS sign-ins kept in this process (see `crate::status_cache`).
    pub status_cache: crate::status_cache::StatusCache,
}

impl Services {
    /// The verification policy numbers from the configuration.
    pub fn policy(&self) -> app::domain::Policy {
        app::domain::Policy {
            days_good_for: self.cfg.verification.days_good_for,
            expiring_soon_window: self.cfg.verification.expiring_soon_window,
        }
    }
}

/// Errors of the service layer.
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    /// Nobody is signed in.
    #[error("not signed in")]
    Unauthenticated,
    /// Signed in but not allowed.
    #[error("not allowed")]
    Forbidden,
    /// The thing does not exist.
    #[error("not found")]
    NotFound,
    /// A field is invalid; the message says which and why.
    #[error("{0}")]
    Invalid(String),
    /// An image is missing, undecodable or not a JPEG/PNG.
    #[error("{0}")]
    InvalidImage(String),
    /// An image is larger than allowed.
    #[error("{0}")]
    TooLarge(String),
    /// A status name that the attempt kind does not have.
    #[error("unknown status {0:?}")]
    BadStatus(String),
    /// Another writer changed the record between our read and our write; nothing was
    /// written, and trying again (with a fresh read) is the fix.
    #[error("the record changed meanwhile")]
    Raced,
    /// The current state does not allow it (the lifecycle, or another record); typed, its
    /// message is the one clients receive.
    #[error(transparent)]
    Conflict(#[from] Conflict),
    /// The database failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The photo store failed.
    #[error(transparent)]
    Vault(#[from] VaultError),
    /// Encryption or signing failed.
    #[error(transparent)]
    Crypto(#[from] ssencrypt::CryptoError),
    /// A feature is not configured on this deployment.
    #[error("{0}")]
    NotConfigured(&'static str),
    /// The learner may not start a verification now; the message says why.
    #[error("{0}")]
    CannotVerifyNow(String),
    /// The learner reached the daily number of verification attempts.
    #[error("{0}")]
    TooManyAttempts(String),
    /// The course's verification deadline has passed (at the time given).
    #[error("the verification deadline passed")]
    DeadlinePassed(chrono::DateTime<chrono::Utc>),
    /// The photo work threads refused or lost the work (`crate::cpu_work`).
    #[error(transparent)]
    CpuWork(#[from] crate::cpu_work::CpuWorkError),
}

/// Result of a use case.
pub type ServiceResult<T> = Result<T, ServiceError>;

/// Not found unless `user` exists.
pub(crate) async fn ensure_user(services: &Services, user: app::domain::UserId) -> ServiceResult<()> {
    let mut conn = services.store.conn().await?;
    crate::store::users::by_id(&mut conn, user).await?.map(|_| ()).ok_or(ServiceError::NotFound)
}

impl From<ServiceError> for AppError {
    fn from(e: ServiceError) -> Self {
        match e {
            ServiceError::Unauthenticated => AppError::unauthenticated(),
            ServiceError::Forbidden => AppError::new(ErrorCode::Forbidden, "You are not allowed to do this."),
            ServiceError::NotFound => AppError::new(ErrorCode::NotFound, "Not found."),
            ServiceError::Invalid(m) => AppError::new(ErrorCode::InvalidRequest, m),
            ServiceError::BadStatus(s) => AppError::new(ErrorCode::InvalidRequest, format!("Unknown status {s:?}.")),
            ServiceError::InvalidImage(m) => AppError::new(ErrorCode::InvalidImage, m),
            ServiceError::TooLarge(m) => AppError::new(ErrorCode::PayloadTooLarge, m),
            ServiceError::Conflict(c) => AppError::new(ErrorCode::Conflict, c.to_string()),
            ServiceError::CannotVerifyNow(m) => AppError::new(ErrorCode::CannotVerifyNow, m),
            ServiceError::TooManyAttempts(m) => AppError::new(ErrorCode::RateLimited, m),
            ServiceError::DeadlinePassed(at) => AppError::new(
                ErrorCode::DeadlinePassed,
                format!(
                    "The verification deadline for this course passed on {}. You can no longer verify for it.",
                    at.format("%Y-%m-%d %H:%M UTC")
                ),
            ),
            ServiceError::Raced => AppError::new(ErrorCode::Conflict, "The record changed meanwhile; try again."),
            ServiceError::Store(StoreError::Unavailable(_)) => {
                tracing::warn!(error = %e, "database unavailable");
                AppError::new(ErrorCode::Unavailable, "The service is unavailable for a moment. Please try again.")
            }
            ServiceError::CpuWork(crate::cpu_work::CpuWorkError::Busy) => {
                // A counter, not a log line per refusal: a crowd (or a script) would otherwise
                // write one warning per request it sends.
                metrics::counter!("vouch_photo_queue_refused_total").increment(1);
                tracing::debug!("photo work queue full: a submission was refused");
                AppError::new(
                    ErrorCode::Unavailable,
                    "Too many photos are being processed right now. Please try again in a moment.",
                )
            }
            ServiceError::NotConfigured(what) => {
                tracing::error!(what, "not configured");
                AppError::new(ErrorCode::Unavailable, "Identity verification is not available right now.")
            }
            ServiceError::Store(_)
            | ServiceError::Vault(_)
            | ServiceError::Crypto(_)
            | ServiceError::CpuWork(crate::cpu_work::CpuWorkError::Panicked) => {
                // Logged once here, at the boundary; the client gets no internals.
                tracing::error!(error = ?e, "internal error");
                AppError::internal()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    /// Plugins built against `service::api` still compile (with a deprecation warning).
    #[test]
    #[allow(deprecated)]
    fn the_old_api_paths_still_resolve() {
        use super::api;
        let _ = (api::create_verification_attempt, api::update_verification_attempt);
        let _ = (api::create_manual_verification, api::revoke_manual_verification);
        let _ = (api::create_sso_verification, api::create_sso_verification_as);
        let _: Option<api::GenericAttempt> = None;
    }
}
