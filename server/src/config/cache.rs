//! `[cache]`: the status cache (issue 18). Every key can be set from the environment as
//! `VOUCH_CACHE__<KEY>`.

use crate::config::invalid;
use serde::Deserialize;

/// `[cache]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct CacheConfig {
    /// Serve status reads from the cache (default true; false: every read asks the database).
    pub enabled: bool,
    /// The promise: a status read never lags a committed change by more than this many
    /// milliseconds, even when a notification is lost (default 1000, at most 60000).
    pub max_stale_ms: u64,
    /// The most learners (and as many LMS sign-ins) one process keeps (default 100000).
    pub max_learners: u64,
    /// How long a learner stays cached without being asked about, in seconds (default 600):
    /// bounds memory, not staleness.
    pub ttl_secs: u64,
}

impl Default for CacheConfig {
    fn default() -> Self {
        Self { enabled: true, max_stale_ms: 1000, max_learners: 100_000, ttl_secs: 600 }
    }
}

impl CacheConfig {
    /// Refuses numbers that make no cache or no promise.
    pub fn validate(&self) -> Result<(), String> {
        // Below 100 ms the heartbeat (every max_stale / 4) could not come back in time, so the
        // cache would never serve while each process still sent a NOTIFY every few milliseconds.
        if !(100..=60_000).contains(&self.max_stale_ms) {
            return Err(invalid(
                "cache.max_stale_ms",
                &format!("it is {}, it must be between 100 and 60000", self.max_stale_ms),
                "set the longest a status read may lag a change, in milliseconds (default 1000), or set cache.enabled = false",
            ));
        }
        if self.max_learners == 0 || self.ttl_secs == 0 {
            return Err(invalid(
                "cache.max_learners / cache.ttl_secs",
                "one of them is 0",
                "set both above 0, or set cache.enabled = false to turn the cache off",
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounds_that_make_no_cache_or_no_promise_are_refused() {
        let with = |max_stale_ms, max_learners, ttl_secs| CacheConfig {
            max_stale_ms,
            max_learners,
            ttl_secs,
            ..CacheConfig::default()
        };
        assert!(CacheConfig::default().validate().is_ok());
        assert!(with(100, 1, 1).validate().is_ok());
        assert!(with(60_000, 1, 1).validate().is_ok());
        for bad in [with(0, 1, 1), with(99, 1, 1), with(60_001, 1, 1), with(1000, 0, 1), with(1000, 1, 0)] {
            assert!(bad.validate().is_err(), "{bad:?}");
        }
    }
}
