//! Rate limits on the endpoints that cost the most or face the outside: photo submission
//! (per learner, whichever door they use) and the vendor callback (per client address).
//! In-process token buckets (`governor`): each server process limits on its own, which is
//! what a limit against accidental floods needs; a shared limit belongs in the proxy.

use super::error::ApiError;
use crate::{config::LimitsConfig, cpu_work::CpuWorkError, service::ServiceError};
use app::{domain::UserId, error::ErrorCode};
use axum::{
    body::Body,
    extract::{ConnectInfo, State},
    http::Request,
    middleware::Next,
    response::{IntoResponse, Response},
};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use std::{hash::Hash, net::SocketAddr, num::NonZeroU32, sync::Arc};

/// Keys kept before forgetting those whose buckets are full again.
const MAX_KEYS: usize = 10_000;

/// The limiters of one process.
#[derive(Clone)]
pub struct RateLimits {
    submit: Option<Arc<DefaultKeyedRateLimiter<i64>>>,
    callback: Option<Arc<DefaultKeyedRateLimiter<String>>>,
    handoff: Arc<DefaultKeyedRateLimiter<i64>>,
}

/// "Continue on your phone" codes one learner may be shown: 10, then one more a minute (so
/// 10 in any 10 minutes), plenty for a learner and a brake on a script filling the table.
const HANDOFF_BURST: u32 = 10;

impl RateLimits {
    /// Limiters from `[limits]`; a zero turns one off.
    pub fn new(cfg: &LimitsConfig) -> Self {
        Self {
            submit: NonZeroU32::new(cfg.submit_per_user_per_minute)
                .map(|n| Arc::new(RateLimiter::keyed(Quota::per_minute(n)))),
            callback: NonZeroU32::new(cfg.callback_per_second)
                .map(|n| Arc::new(RateLimiter::keyed(Quota::per_second(n)))),
            handoff: Arc::new(RateLimiter::keyed(
                Quota::per_minute(NonZeroU32::MIN)
                    .allow_burst(NonZeroU32::new(HANDOFF_BURST).unwrap_or(NonZeroU32::MIN)),
            )),
        }
    }

    /// Takes one submission from `user`'s allowance, or refuses with 429; called before the
    /// request's body is read. While the photo work queue is already full it refuses with 503
    /// first, so the allowance is not spent and the body not read for a submission that could
    /// not run. Only a check of the moment: uploads still arriving are not counted, so a crowd
    /// arriving at once all pass it (an admission permit held from here to the response
    /// would bound those too).
    pub fn submit(&self, user: UserId) -> Result<(), ApiError> {
        self.submit_unless_full(user, crate::cpu_work::is_full())
    }

    fn submit_unless_full(&self, user: UserId, photo_queue_full: bool) -> Result<(), ApiError> {
        if photo_queue_full {
            return Err(ServiceError::CpuWork(CpuWorkError::Busy).into());
        }
        check(self.submit.as_deref(), &user.0, "Too many submissions; please wait a minute and try again.")
    }

    /// Takes one "Continue on your phone" code from `user`'s allowance, or refuses with 429.
    pub fn handoff(&self, user: UserId) -> Result<(), ApiError> {
        check(Some(&self.handoff), &user.0, "Too many codes shown; please wait a few minutes and try again.")
    }
}

fn check<K: Hash + Eq + Clone>(
    limiter: Option<&DefaultKeyedRateLimiter<K>>,
    key: &K,
    message: &str,
) -> Result<(), ApiError> {
    let Some(limiter) = limiter else { return Ok(()) };
    if limiter.len() > MAX_KEYS {
        limiter.retain_recent();
    }
    limiter.check_key(key).map_err(|_| {
        metrics::counter!("vouch_rate_limited_total").increment(1);
        ApiError::new(ErrorCode::RateLimited, message)
    })
}

/// Middleware for the callback route: per client address.
pub async fn callback(State(limits): State<RateLimits>, req: Request<Body>, next: Next) -> Response {
    let peer =
        req.extensions().get::<ConnectInfo<SocketAddr>>().map_or_else(|| "local".to_owned(), |c| c.0.ip().to_string());
    match check(limits.callback.as_deref(), &peer, "Too many callbacks; slow down.") {
        Ok(()) => next.run(req).await,
        Err(e) => e.into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits(per_minute: u32) -> RateLimits {
        RateLimits::new(&LimitsConfig { submit_per_user_per_minute: per_minute, ..LimitsConfig::default() })
    }

    #[test]
    fn a_full_photo_queue_refuses_without_spending_the_allowance() {
        let limits = limits(1);
        let ada = UserId(7);
        let refused = limits.submit_unless_full(ada, true).expect_err("the queue is full");
        assert_eq!((refused.0.code, refused.0.http_status()), (ErrorCode::Unavailable, 503));
        // The one submission a minute is still there once the queue has room.
        assert!(limits.submit_unless_full(ada, false).is_ok());
        let over = limits.submit_unless_full(ada, false).expect_err("one a minute");
        assert_eq!(over.0.code, ErrorCode::RateLimited);
    }
}
