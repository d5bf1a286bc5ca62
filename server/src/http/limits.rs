//! Rate limits on the endpoints that cost the most or face the outside: photo submission
//! (per learner, whichever door they use) and the vendor callback (per client address).
//! In-process token buckets (`governor`): each server process limits on its own, which is
//! what a limit against accidental floods needs; a shared limit belongs in the proxy.

use super::error::ApiError;
use crate::config::LimitsConfig;
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

    /// Takes one submission from `user`'s allowance, or refuses with 429.
    pub fn submit(&self, user: UserId) -> Result<(), ApiError> {
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
