//! The pure verification domain: statuses, legal transitions, status policy and the read
//! side of the verification service. No I/O and no clock reads: callers pass `now`, so every
//! rule is tested without waiting.

pub mod attempt_status;
pub mod generic_lifecycle;
pub mod generic_status;
pub mod id_verification;
pub mod ids;
pub mod images;
pub mod manual_lifecycle;
pub mod pay_and_verify;
pub mod photo_lifecycle;
pub mod policy;
pub mod reasons;
pub mod reverify;
pub mod timestamp;
pub mod user_status;
pub mod verification;

pub use attempt_status::{AttemptStatus, TransitionError, UnknownStatus};
pub use generic_status::GenericStatus;
pub use ids::{AttemptId, UserId};
pub use policy::Policy;
pub use user_status::{UserStatus, UserStatusKind};
pub use verification::{AnyStatus, AttemptKind, Verification};

#[cfg(test)]
mod tests;
