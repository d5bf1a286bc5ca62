//! Command-line flags of the `fake-vendor` binary; each has a `FAKE_VENDOR_<FLAG>` fallback.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context as _;
use clap::Parser;

use super::FakeVendorConfig;

/// Plays Software Secure for development and end-to-end tests.
#[derive(Debug, Clone, Parser)]
#[command(name = "fake-vendor", version)]
pub struct Args {
    /// Address to listen on (port 0 picks a free one; the chosen one is printed).
    #[arg(long, env = "FAKE_VENDOR_BIND", default_value = "127.0.0.1:8090")]
    pub bind: SocketAddr,
    /// API access key, checked in requests and sent in callbacks.
    #[arg(long, env = "FAKE_VENDOR_ACCESS_KEY")]
    pub access_key: String,
    /// API secret key, to verify requests and sign callbacks.
    #[arg(long, env = "FAKE_VENDOR_SECRET_KEY", hide_env_values = true)]
    pub secret_key: String,
    /// Path to the vendor's RSA private key (PEM or DER), to unwrap the photo keys.
    #[arg(long, env = "FAKE_VENDOR_PRIVATE_KEY")]
    pub private_key: PathBuf,
    /// An ExpectedName containing this text is denied (FAIL).
    #[arg(long, env = "FAKE_VENDOR_DENY_MARKER", default_value = "DENY")]
    pub deny_marker: String,
    /// An ExpectedName containing this text gets SYSTEM FAIL.
    #[arg(long, env = "FAKE_VENDOR_SYSTEM_FAIL_MARKER", default_value = "SYSFAIL")]
    pub system_fail_marker: String,
    /// Answer HTTP 500 to the first N valid requests (counted, not processed).
    #[arg(long, env = "FAKE_VENDOR_FAIL_FIRST", default_value_t = 0)]
    pub fail_first: u32,
    /// Milliseconds to wait before answering a valid request.
    #[arg(long, env = "FAKE_VENDOR_DELAY_MS", default_value_t = 0)]
    pub delay_ms: u64,
    /// Milliseconds to wait before the first callback attempt.
    #[arg(long, env = "FAKE_VENDOR_CALLBACK_DELAY_MS", default_value_t = 0)]
    pub callback_delay_ms: u64,
    /// Judge the photos like the learner's live checks: deny dark, washed-out or blurred
    /// photos and faces out of view, with Open edX's reason codes.
    #[arg(long, env = "FAKE_VENDOR_QUALITY_RULES")]
    pub quality_rules: bool,
}

impl Args {
    /// Reads the private key file and builds the configuration.
    pub fn into_config(self) -> anyhow::Result<FakeVendorConfig> {
        let private_key = std::fs::read(&self.private_key)
            .with_context(|| format!("reading the private key {}", self.private_key.display()))?;
        Ok(FakeVendorConfig {
            bind: self.bind,
            access_key: self.access_key,
            secret_key: self.secret_key,
            private_key,
            deny_marker: self.deny_marker,
            system_fail_marker: self.system_fail_marker,
            fail_first: self.fail_first,
            delay: Duration::from_millis(self.delay_ms),
            callback_delay: Duration::from_millis(self.callback_delay_ms),
            quality_rules: self.quality_rules,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_and_flags() {
        let args = Args::try_parse_from([
            "fake-vendor",
            "--access-key",
            "ak",
            "--secret-key",
            "sk",
            "--private-key",
            "/nonexistent/key.pem",
            "--fail-first",
            "2",
            "--callback-delay-ms",
            "150",
        ])
        .unwrap();
        assert_eq!(args.bind, "127.0.0.1:8090".parse().unwrap());
        assert_eq!((args.deny_marker.as_str(), args.system_fail_marker.as_str()), ("DENY", "SYSFAIL"));
        assert_eq!((args.fail_first, args.delay_ms, args.callback_delay_ms), (2, 0, 150));
        assert!(!args.quality_rules, "the quality rules are off unless asked for");
        assert!(args.into_config().is_err(), "a missing key file is an error");
        assert!(Args::try_parse_from(["fake-vendor", "--access-key", "ak"]).is_err(), "keys are required");
    }
}
