//! What a subscriber says when it could not handle an event, and so what the job runner does
//! with the delivery: try it again later, or give it up now.

use crate::jobs::JobError;
use std::{error::Error, fmt};

/// Any error a subscriber hands back as the cause (`String` and `&str` convert too).
pub type BoxError = Box<dyn Error + Send + Sync + 'static>;

/// Why a subscriber did not handle an event. The variant is the subscriber's decision; the
/// error inside says what went wrong and is kept as the delivery job's `last_error` (staff
/// see it in the jobs console), so it must not hold secrets or a learner's data.
#[derive(Debug)]
pub enum SubscriberError {
    /// Worth trying again later (the database, the mail server or an API is unreachable, a
    /// timeout, another writer raced): the delivery is retried alone, with backoff
    /// (`jobs.retry_base_secs`, doubling), and given up and logged after its last try.
    Retry(BoxError),
    /// Trying again cannot help (the event is unusable for this subscriber, a setting it
    /// needs is missing or wrong): the delivery is given up at once and logged, without
    /// waiting for its remaining tries.
    GiveUp(BoxError),
}

impl SubscriberError {
    /// A failure worth trying again: `SubscriberError::retry(e)` for any error or message.
    pub fn retry(error: impl Into<BoxError>) -> Self {
        Self::Retry(error.into())
    }

    /// A failure no retry can fix.
    pub fn give_up(error: impl Into<BoxError>) -> Self {
        Self::GiveUp(error.into())
    }

    /// Whether the delivery is tried again.
    pub fn is_retryable(&self) -> bool {
        matches!(self, Self::Retry(_))
    }

    fn cause(&self) -> &(dyn Error + Send + Sync + 'static) {
        match self {
            Self::Retry(e) | Self::GiveUp(e) => e.as_ref(),
        }
    }
}

/// The cause's own message: the variant says what happens next, the message what went wrong.
impl fmt::Display for SubscriberError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self.cause(), f)
    }
}

/// Transparent: the cause's causes, not the cause itself (already in `Display`), so a chain
/// printed from here does not repeat it.
impl Error for SubscriberError {
    fn source(&self) -> Option<&(dyn Error + 'static)> {
        self.cause().source()
    }
}

/// `Retry` is a retried try, `GiveUp` a failure for good, with the subscriber's message.
impl From<SubscriberError> for JobError {
    fn from(e: SubscriberError) -> Self {
        let message = e.to_string();
        if e.is_retryable() { JobError::Retry(message) } else { JobError::Fail(message) }
    }
}

#[cfg(test)]
mod tests {
    use super::SubscriberError;
    use crate::jobs::JobError;

    #[test]
    fn retry_is_retried_and_give_up_fails_for_good_with_the_message() {
        let io = std::io::Error::other("smtp down");
        assert_eq!(JobError::from(SubscriberError::retry(io)), JobError::Retry("smtp down".into()));
        let gone = SubscriberError::give_up("no such course");
        assert!(!gone.is_retryable());
        assert_eq!(JobError::from(gone), JobError::Fail("no such course".into()));
    }
}
