//! Requests an LMS signs with its JWT in `Authorization` skip the session layer: they are
//! identified by the token alone, and reading the cookie jar, making a session and checking
//! it afterwards was 5 % of a cached status read's CPU (perf) for nothing.
//!
//! Only on the paths whose handlers never take a session (the REST API and Open edX's
//! status read). A handler that does take one (log-out, the phone hand-off, LTI) would fail
//! without the layer, so those keep it whatever the request carries.

use axum::http::{Request, header};
use futures_util::future::Either;
use std::task::{Context, Poll};
use tower::{Layer, Service};

/// Paths whose handlers identify the caller without a session.
fn sessionless(path: &str) -> bool {
    path.starts_with("/api/") || path == "/verify_student/status/" || path == "/verify_student/status"
}

/// Wraps a service twice: with `sessions` for most requests, bare for bearer requests to
/// [`sessionless`] paths.
#[derive(Clone)]
pub struct BearerBypassLayer<L> {
    sessions: L,
}

impl<L> BearerBypassLayer<L> {
    /// Bypasses `sessions` where a request cannot need it.
    pub fn new(sessions: L) -> Self {
        Self { sessions }
    }
}

impl<L: Layer<S>, S: Clone> Layer<S> for BearerBypassLayer<L> {
    type Service = BearerBypass<S, L::Service>;

    fn layer(&self, inner: S) -> Self::Service {
        BearerBypass { bare: inner.clone(), with_sessions: self.sessions.layer(inner) }
    }
}

/// See [`BearerBypassLayer`].
#[derive(Clone)]
pub struct BearerBypass<S, T> {
    bare: S,
    with_sessions: T,
}

impl<B, S, T> Service<Request<B>> for BearerBypass<S, T>
where
    S: Service<Request<B>>,
    T: Service<Request<B>, Response = S::Response, Error = S::Error>,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = Either<S::Future, T::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        // Both must be ready, since either may be called next (axum's routes always are).
        match self.bare.poll_ready(cx)? {
            Poll::Ready(()) => self.with_sessions.poll_ready(cx),
            Poll::Pending => Poll::Pending,
        }
    }

    fn call(&mut self, req: Request<B>) -> Self::Future {
        if req.headers().contains_key(header::AUTHORIZATION) && sessionless(req.uri().path()) {
            Either::Left(self.bare.call(req))
        } else {
            Either::Right(self.with_sessions.call(req))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::sessionless;

    #[test]
    fn only_paths_without_session_handlers_are_bypassed() {
        assert!(sessionless("/api/user/v1/accounts/ada/verification_status/"));
        assert!(sessionless("/verify_student/status/"));
        assert!(!sessionless("/auth/logout"));
        assert!(!sessionless("/handoff/status"));
        assert!(!sessionless("/lti/launch"));
        assert!(!sessionless("/sfn/submit_photos"));
    }
}
