//! Why the state of things refuses a request ([`super::ServiceError::Conflict`], HTTP 409
//! `conflict`). Each case is typed; its `Display` is the message clients receive, a contract
//! the API tests pin byte for byte.

use app::domain::{TransitionError, manual_lifecycle::ManualTransitionError};

/// A refusal because of the current state; nothing was changed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Conflict {
    /// The photo or generic lifecycle does not allow the operation.
    #[error(transparent)]
    Transition(#[from] TransitionError),
    /// The manual-verification lifecycle does not allow the operation (revoking one that is
    /// not approved).
    #[error(transparent)]
    Manual(#[from] ManualTransitionError),
    /// A new photo attempt did not become ready (the lifecycle gave no change).
    #[error("a new attempt must become ready")]
    NewAttemptNotReady,
    /// A ready photo attempt did not become submitted (the lifecycle gave no change).
    #[error("a ready attempt must become submitted")]
    ReadyAttemptNotSubmitted,
    /// A new photo attempt was changed by another writer before it was marked ready.
    #[error("the new attempt changed before it was ready")]
    ChangedBeforeReady,
    /// A new photo attempt was changed by another writer before it was queued for review.
    #[error("the new attempt changed before it was queued")]
    ChangedBeforeQueued,
    /// A verdict kept racing other writers of its attempt.
    #[error("the attempt kept changing; try again")]
    KeptChanging,
    /// Only a failed job can be queued again.
    #[error("only a failed job can be retried")]
    JobNotFailed,
    /// Only a dead webhook delivery can be queued again.
    #[error("only a dead delivery can be retried; this one is {status}")]
    DeliveryNotDead {
        /// The delivery's status.
        status: String,
    },
    /// The LMS signed in a username that belongs to a local account.
    #[error("{}", super::accounts::LMS_USERNAME_TAKEN)]
    LmsUsernameTaken,
    /// An LTI consumer with this key or instance GUID exists.
    #[error("A consumer with this key or instance GUID exists.")]
    LtiConsumerExists,
    /// A review-queue refusal met where only the queue's figures were read (its message).
    #[error("{0}")]
    Review(String),
    /// A plugin's own refusal (a vendor or step of a build): its message is the wire text.
    /// Vouch's own code uses the typed cases above.
    #[error("{0}")]
    Other(String),
}

/// A vendor plugin's callback handler that meets a conflict from a service answers the
/// vendor with it (`ServiceError::Conflict(c) => VendorError::from(c)`), as it did while
/// conflicts were strings.
impl From<Conflict> for super::plugins::VendorError {
    fn from(c: Conflict) -> Self {
        Self::Conflict(c.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A plugin's own conflict reads as its message, and a vendor callback answers with it.
    #[test]
    fn a_plugins_conflict_and_a_vendors_answer_keep_the_message() {
        assert_eq!(Conflict::Other("held by Acme".into()).to_string(), "held by Acme");
        let vendor = crate::service::plugins::VendorError::from(Conflict::JobNotFailed);
        assert!(
            matches!(vendor, crate::service::plugins::VendorError::Conflict(m) if m == "only a failed job can be retried")
        );
    }
    use app::domain::manual_lifecycle::ManualOp;

    /// The messages are a contract: each must read as the string it replaced.
    #[test]
    fn messages_are_the_wire_texts() {
        let cases: Vec<(Conflict, &str)> = vec![
            (
                TransitionError { from: "approved".into(), op: "mark_submit" }.into(),
                "an attempt in status approved cannot mark_submit",
            ),
            (
                ManualTransitionError { from: "denied".into(), op: ManualOp::Revoke }.into(),
                "a manual verification in status denied cannot be revoked",
            ),
            (Conflict::NewAttemptNotReady, "a new attempt must become ready"),
            (Conflict::ReadyAttemptNotSubmitted, "a ready attempt must become submitted"),
            (Conflict::ChangedBeforeReady, "the new attempt changed before it was ready"),
            (Conflict::ChangedBeforeQueued, "the new attempt changed before it was queued"),
            (Conflict::KeptChanging, "the attempt kept changing; try again"),
            (Conflict::JobNotFailed, "only a failed job can be retried"),
            (
                Conflict::DeliveryNotDead { status: "pending".into() },
                "only a dead delivery can be retried; this one is pending",
            ),
            (Conflict::LmsUsernameTaken, crate::service::accounts::LMS_USERNAME_TAKEN),
            (Conflict::LtiConsumerExists, "A consumer with this key or instance GUID exists."),
            (Conflict::Review("this attempt was decided already".into()), "this attempt was decided already"),
        ];
        for (conflict, text) in cases {
            assert_eq!(conflict.to_string(), text, "{conflict:?}");
            let wire: app::error::AppError = crate::service::ServiceError::from(conflict).into();
            assert_eq!(wire.message, text);
            assert_eq!(wire.code, app::error::ErrorCode::Conflict);
        }
    }
}
