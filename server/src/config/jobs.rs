//! The `[jobs]` configuration section: the durable job runner and the retry policy of the
//! jobs that have none of their own.

use crate::config::invalid;
use serde::Deserialize;

/// `[jobs]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct JobsConfig {
    /// Run jobs inside `vouch serve` (otherwise only `vouch worker` runs them).
    pub run_in_server: bool,
    /// Jobs run at once per process.
    pub concurrency: usize,
    /// How often an idle runner looks for due jobs, in milliseconds.
    pub poll_interval_ms: u64,
    /// How long a claimed job is reserved before another worker may take it over, in seconds.
    pub lease_secs: i64,
    /// First retry delay in seconds (doubling each time, with jitter, capped at an hour) of
    /// every job that is neither a vendor's send nor a webhook delivery: the event fan-out
    /// and subscriber deliveries, LTI grade passback, the sweeps and the review alert. The
    /// Software Secure send follows `software_secure.retry_base_secs` (that vendor's retry
    /// policy) and webhook deliveries `events.webhook_retry_base_secs`.
    ///
    /// Unset, it is `software_secure.retry_base_secs`, which every job followed before this
    /// key existed: an operator who slowed every retry through it keeps that on upgrade
    /// ([`crate::config::Config::job_retry_base_secs`]).
    pub retry_base_secs: Option<f64>,
}

impl Default for JobsConfig {
    fn default() -> Self {
        Self { run_in_server: true, concurrency: 4, poll_interval_ms: 500, lease_secs: 120, retry_base_secs: None }
    }
}

/// The most jobs one process may run at once.
pub const MAX_CONCURRENCY: usize = 256;

impl JobsConfig {
    /// Refuses a retry delay that is negative, infinite or not a number: the backoff would
    /// otherwise turn it silently into "at once" or "in an hour".
    pub fn validate(&self) -> Result<(), String> {
        if let Some(base) = self.retry_base_secs
            && !(base.is_finite() && base >= 0.0)
        {
            return Err(invalid(
                "jobs.retry_base_secs",
                &format!("it is {base}, it must be a number of seconds, 0 or more"),
                "set the first retry delay of background jobs in seconds (unset: software_secure.retry_base_secs)",
            ));
        }
        // The in-server runner opens a PostgreSQL pool of 2 × concurrency + 1 connections
        // (`job_thread`), and each slot is a task: a typo of a few zeros would exhaust the
        // database's connections.
        if !(1..=MAX_CONCURRENCY).contains(&self.concurrency) {
            return Err(invalid(
                "jobs.concurrency",
                &format!("it is {}, it must be 1 to {MAX_CONCURRENCY}", self.concurrency),
                "set how many jobs one process runs at once (default 4)",
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use crate::config::{Config, ConfigError, vendors::NAMES};

    /// Loads a configuration file as `vouch` does (the environment as the test runs it).
    fn load(toml: &str) -> Result<Config, ConfigError> {
        let dir = tempfile::tempdir().expect("temp dir");
        let file = dir.path().join("vouch.toml");
        std::fs::write(&file, toml).expect("write the file");
        Config::load_with(Some(&file), NAMES)
    }

    #[test]
    fn jobs_have_their_own_retry_delay_apart_from_the_vendors() {
        let cfg = load("").expect("defaults load");
        assert_eq!(cfg.job_retry_base_secs(), 30.0);
        let cfg = load("[jobs]\nretry_base_secs = 0.5\n[software_secure]\nretry_base_secs = 7\n").expect("loads");
        assert_eq!((cfg.job_retry_base_secs(), cfg.software_secure.retry_base_secs), (0.5, 7.0));
        // Zero is allowed (retry at once, as tests and soaks want).
        assert_eq!(load("[jobs]\nretry_base_secs = 0\n").expect("zero").job_retry_base_secs(), 0.0);
        // Unset, the jobs keep following the vendor's key, as before the jobs had their own.
        let cfg = load("[software_secure]\nretry_base_secs = 300\n").expect("loads");
        assert_eq!(cfg.job_retry_base_secs(), 300.0);
    }

    #[test]
    fn a_blank_negative_or_non_numeric_jobs_retry_delay_stops_the_start() {
        for bad in ["-1", "-0.5", "nan", "inf", "\" \"", "\"soon\""] {
            let e = load(&format!("[jobs]\nretry_base_secs = {bad}\n")).expect_err(bad).to_string();
            assert!(e.contains("jobs.retry_base_secs") && e.contains("VOUCH_JOBS__RETRY_BASE_SECS"), "{bad}: {e}");
            assert!(e.contains("invalid"), "{bad}: {e}");
        }
        // An empty value is unset, as everywhere in the configuration: the default applies.
        assert_eq!(load("[jobs]\nretry_base_secs = \"\"\n").expect("unset").jobs.retry_base_secs, None);
    }

    #[test]
    fn jobs_concurrency_is_bounded() {
        for bad in ["0", "257", "100000"] {
            let e = load(&format!("[jobs]\nconcurrency = {bad}\n")).expect_err(bad).to_string();
            assert!(e.contains("jobs.concurrency"), "{bad}: {e}");
        }
        assert_eq!(load("[jobs]\nconcurrency = 256\n").expect("the most").jobs.concurrency, 256);
    }
}
