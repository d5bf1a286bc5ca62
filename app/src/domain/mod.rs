//! The pure verification domain: statuses, legal transitions and status policy.
//! No I/O and no clock reads: callers pass `now`, so every rule is testable without waiting.

pub mod attempt_status;
pub mod ids;
pub mod user_status;

pub use attempt_status::{AttemptStatus, TransitionError};
pub use ids::{AttemptId, UserId};
pub use user_status::{UserStatus, UserStatusKind};
