//! Flags of `fake-vendor hosted`; each has a `FAKE_HOSTED_<FLAG>` fallback.

use std::net::SocketAddr;
use std::time::Duration;

use clap::Parser;

use super::{HostedConfig, Outcome};

/// Plays a hosted-flow identity vendor (inquiries, a camera page, signed webhooks).
#[derive(Debug, Clone, Parser)]
#[command(name = "fake-vendor hosted", version)]
pub struct Args {
    /// Address to listen on (port 0 picks a free one; the chosen one is printed).
    #[arg(long, env = "FAKE_HOSTED_BIND", default_value = "127.0.0.1:8091")]
    pub bind: SocketAddr,
    /// The bearer key Vouch sends (Vouch's `idv.hosted_api_key`).
    #[arg(long, env = "FAKE_HOSTED_API_KEY", hide_env_values = true)]
    pub api_key: String,
    /// The webhook signing secret (Vouch's `idv.hosted_webhook_secret`).
    #[arg(long, env = "FAKE_HOSTED_WEBHOOK_SECRET", hide_env_values = true)]
    pub webhook_secret: String,
    /// The decision: approve or deny.
    #[arg(long, env = "FAKE_HOSTED_OUTCOME", value_enum, default_value_t = Outcome::Approve)]
    pub outcome: Outcome,
    /// A name containing this text is declined.
    #[arg(long, env = "FAKE_HOSTED_DENY_MARKER", default_value = "DENY")]
    pub deny_marker: String,
    /// Milliseconds between the submitted webhook and the decision.
    #[arg(long, env = "FAKE_HOSTED_DECISION_DELAY_MS", default_value_t = 500)]
    pub decision_delay_ms: u64,
}

impl Args {
    /// The configuration.
    pub fn into_config(self) -> HostedConfig {
        HostedConfig {
            bind: self.bind,
            api_key: self.api_key,
            webhook_secret: self.webhook_secret,
            outcome: self.outcome,
            deny_marker: self.deny_marker,
            decision_delay: Duration::from_millis(self.decision_delay_ms),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags() {
        let a = Args::try_parse_from(["x", "--api-key", "k", "--webhook-secret", "s", "--outcome", "deny"]).unwrap();
        assert_eq!(a.outcome, Outcome::Deny);
        assert_eq!(a.bind, "127.0.0.1:8091".parse().unwrap());
        assert!(Args::try_parse_from(["x", "--api-key", "k"]).is_err(), "the secret is required");
    }
}
