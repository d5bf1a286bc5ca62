//! The one error type that crosses the wire to the SPA. Its JSON form is the envelope
//! every Vouch endpoint uses: `{"error": {"code": "...", "message": "..."}}`.

use leptos::server_fn::{
    codec::JsonEncoding,
    error::{FromServerFnError, ServerFnErrorErr},
};
use serde::{Deserialize, Serialize};

/// Stable, machine-readable error codes. Clients and scripts match on these strings,
/// so a variant's serialized name never changes once released.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// No valid session or credentials.
    Unauthenticated,
    /// Signed in, but not allowed to do this.
    Forbidden,
    /// The thing (or the route) does not exist.
    NotFound,
    /// The HTTP method is not allowed on this route.
    MethodNotAllowed,
    /// The request is malformed or fails validation.
    InvalidRequest,
    /// An uploaded image is missing, undecodable or of the wrong type.
    InvalidImage,
    /// The learner may not start a verification now: an attempt is under review, or they
    /// are verified and the approval is not expiring soon (Open edX's `can_verify_now`).
    CannotVerifyNow,
    /// The body or an uploaded image is larger than allowed.
    PayloadTooLarge,
    /// The request conflicts with the current state (e.g. an illegal transition).
    Conflict,
    /// Too many requests.
    RateLimited,
    /// A dependency (database, vendor) is unavailable for the moment.
    Unavailable,
    /// Something went wrong on our side; details are in the server log only.
    Internal,
    /// The course's verification deadline has passed: nothing can be submitted for it.
    DeadlinePassed,
    /// In-house review: the caller does not hold a live claim on the attempt.
    NotClaimHolder,
    /// In-house review: a denial's reasons are missing or not Open edX's reason codes.
    InvalidReasons,
    /// In-house review: a reviewer may not claim or decide their own attempt.
    OwnAttempt,
    /// In-house review: the attempt was decided already.
    AlreadyDecided,
}

impl ErrorCode {
    /// The HTTP status that goes with this code.
    pub fn http_status(self) -> u16 {
        match self {
            Self::Unauthenticated => 401,
            Self::Forbidden => 403,
            Self::NotFound => 404,
            Self::MethodNotAllowed => 405,
            Self::InvalidRequest
            | Self::InvalidImage
            | Self::CannotVerifyNow
            | Self::DeadlinePassed
            | Self::InvalidReasons => 400,
            Self::NotClaimHolder | Self::OwnAttempt => 403,
            Self::AlreadyDecided => 409,
            Self::PayloadTooLarge => 413,
            Self::Conflict => 409,
            Self::RateLimited => 429,
            Self::Unavailable => 503,
            Self::Internal => 500,
        }
    }

    /// The code for an HTTP status produced outside our handlers (a body limit, a router).
    pub fn from_http_status(status: u16) -> Self {
        match status {
            401 => Self::Unauthenticated,
            403 => Self::Forbidden,
            404 => Self::NotFound,
            405 => Self::MethodNotAllowed,
            409 => Self::Conflict,
            413 => Self::PayloadTooLarge,
            429 => Self::RateLimited,
            503 => Self::Unavailable,
            400..=499 => Self::InvalidRequest,
            _ => Self::Internal,
        }
    }
}

/// An error as the client sees it: a code and a human-readable message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
#[serde(from = "Envelope", into = "Envelope")]
#[error("{message}")]
pub struct AppError {
    /// What kind of error it is.
    pub code: ErrorCode,
    /// What to tell the person.
    pub message: String,
}

impl AppError {
    /// An error with the given code and message.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self { code, message: message.into() }
    }

    /// The request needs a signed-in user.
    pub fn unauthenticated() -> Self {
        Self::new(ErrorCode::Unauthenticated, "You need to sign in first.")
    }

    /// A failure whose details must stay on the server.
    pub fn internal() -> Self {
        Self::new(ErrorCode::Internal, "Something went wrong on our side. Please try again.")
    }

    /// The HTTP status for this error.
    pub fn http_status(&self) -> u16 {
        self.code.http_status()
    }
}

#[derive(Serialize, Deserialize)]
struct Envelope {
    error: Body,
}

#[derive(Serialize, Deserialize)]
struct Body {
    code: ErrorCode,
    message: String,
}

impl From<Envelope> for AppError {
    fn from(e: Envelope) -> Self {
        Self { code: e.error.code, message: e.error.message }
    }
}

impl From<AppError> for Envelope {
    fn from(e: AppError) -> Self {
        Self { error: Body { code: e.code, message: e.message } }
    }
}

impl FromServerFnError for AppError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        match value {
            // The request could not be read: the caller's fault.
            ServerFnErrorErr::Args(_) | ServerFnErrorErr::MissingArg(_) | ServerFnErrorErr::Deserialization(_) => {
                Self::new(ErrorCode::InvalidRequest, "The request could not be read.")
            }
            // The browser could not reach us, or we could not answer.
            ServerFnErrorErr::Request(_) => {
                Self::new(ErrorCode::Unavailable, "Vouch could not be reached. Check your connection and try again.")
            }
            _ => Self::internal(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serializes_as_the_envelope() {
        let e = AppError::new(ErrorCode::InvalidImage, "not an image");
        let json = serde_json::to_value(&e).expect("serializable");
        assert_eq!(json, serde_json::json!({"error": {"code": "invalid_image", "message": "not an image"}}));
        let back: AppError = serde_json::from_value(json).expect("round trip");
        assert_eq!(back, e);
    }

    #[test]
    fn statuses_round_trip_through_codes() {
        for code in [
            ErrorCode::Unauthenticated,
            ErrorCode::Forbidden,
            ErrorCode::NotFound,
            ErrorCode::MethodNotAllowed,
            ErrorCode::PayloadTooLarge,
            ErrorCode::Conflict,
            ErrorCode::RateLimited,
            ErrorCode::Unavailable,
            ErrorCode::Internal,
        ] {
            assert_eq!(ErrorCode::from_http_status(code.http_status()), code);
        }
        assert_eq!(ErrorCode::from_http_status(422), ErrorCode::InvalidRequest);
    }
}
