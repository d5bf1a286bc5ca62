//! `[idv]`: which vendor plugin verifies learners, the hosted-flow vendor's API and webhook
//! keys, and what the SPA renders in `id_verification_slot`. Every key can be set from the
//! environment as `VOUCH_IDV__<KEY>` (`VOUCH_IDV__SLOT_PROPS__<PROP>` for one slot prop).

use crate::config::{MIN_SECRET, Secret, check_secret_len, missing};
use serde::Deserialize;
use std::collections::BTreeMap;

/// The registry name of Software Secure.
pub const SOFTWARE_SECURE: &str = "software_secure";
/// The registry name of the hosted-flow vendor.
pub const HOSTED: &str = "hosted";
/// The registry name of staff (manual) verification.
pub const MANUAL: &str = "manual";
/// The registry name of in-house review (Vouch's camera flow, decided by reviewers).
pub const IN_HOUSE: &str = "in_house";

/// The built-in vendors' names, in the order of `crate::vendors::builtin` (a unit test there
/// keeps the two equal). The configuration is checked against them when it is loaded
/// without a registry (`Config::load`); a process built with `server::App` checks it
/// against its own registry, which adds the vendors the build registered.
pub const NAMES: &[&str] = &[SOFTWARE_SECURE, HOSTED, MANUAL, IN_HOUSE];

/// How the hosted vendor's flow is shown to the learner.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HostedDisplay {
    /// Inside the Vouch page, in an iframe (the default: the learner never leaves Vouch).
    Iframe,
    /// The browser goes to the vendor's page, which sends the learner back when done.
    Redirect,
}

impl HostedDisplay {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Iframe => "iframe",
            Self::Redirect => "redirect",
        }
    }
}

/// `[idv]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct IdvConfig {
    /// The vendor plugin: `software_secure` (default), `hosted` or `manual`.
    pub vendor: String,
    /// The filler of `id_verification_slot` by name; unset: the vendor's own
    /// (`builtin` for Software Secure, `hosted` for the hosted vendor, `manual`).
    pub slot_filler: Option<String>,
    /// Per-operator props handed to the filler (e.g. `headline`, `message`).
    pub slot_props: BTreeMap<String, String>,
    /// Base URL of the hosted vendor's API (inquiries are created under `api/inquiries`).
    pub hosted_api_url: String,
    /// Bearer key of Vouch's server-to-server calls to the hosted vendor.
    pub hosted_api_key: Option<Secret>,
    /// HMAC key of the hosted vendor's webhooks (`t=…,v1=…` signatures).
    pub hosted_webhook_secret: Option<Secret>,
    /// Accepted age (either way) of a webhook's signature timestamp, in seconds.
    pub hosted_webhook_tolerance_secs: i64,
    /// `iframe` (default) or `redirect`.
    pub hosted_display: HostedDisplay,
    /// Timeout of one call to the hosted vendor's API, in seconds.
    pub hosted_request_timeout_secs: u64,
    /// How long a "Continue on your phone" link may be opened, in seconds, counted from
    /// when the desktop shows it.
    pub handoff_ttl_secs: i64,
    /// How long a phone session started by such a link lasts at most, in seconds, counted
    /// from when the phone opened the link (the desktop may end it sooner).
    pub handoff_session_secs: i64,
    /// Live photo quality checks and auto-capture in the learner's camera steps (and the
    /// same checks on uploads, as a warning). Off: the plain camera and capture button.
    pub quality_checks: bool,
}

impl Default for IdvConfig {
    fn default() -> Self {
        Self {
            vendor: SOFTWARE_SECURE.into(),
            slot_filler: None,
            slot_props: BTreeMap::new(),
            hosted_api_url: "http://127.0.0.1:8091/".into(),
            hosted_api_key: None,
            hosted_webhook_secret: None,
            hosted_webhook_tolerance_secs: 300,
            hosted_display: HostedDisplay::Iframe,
            hosted_request_timeout_secs: 10,
            handoff_ttl_secs: 600,
            handoff_session_secs: 3600,
            quality_checks: true,
        }
    }
}

/// The longest a hand-off link or phone session may be configured to last: a day.
const MAX_HANDOFF_SECS: i64 = 86_400;

impl IdvConfig {
    /// Refuses a vendor that is not built in, and a hosted vendor without its keys, at
    /// start-up rather than at the first learner.
    pub fn validate(&self) -> Result<(), String> {
        self.validate_with(NAMES)
    }

    /// [`Self::validate`] against the vendors a process has registered (`vendors`, the
    /// built-in ones included).
    pub fn validate_with(&self, vendors: &[&str]) -> Result<(), String> {
        if !vendors.contains(&self.vendor.as_str()) {
            return Err(crate::config::invalid(
                "idv.vendor",
                &format!("{:?} is not one of: {}", self.vendor, vendors.join(", ")),
                "set it to one of those vendors (the default is software_secure)",
            ));
        }
        if self.vendor == HOSTED {
            if self.hosted_api_key.is_none() {
                return Err(missing("idv.hosted_api_key", "idv.vendor is \"hosted\"; set it to the vendor's API key"));
            }
            if self.hosted_webhook_secret.is_none() {
                return Err(missing(
                    "idv.hosted_webhook_secret",
                    "the hosted vendor's webhooks are verified with it; set it to the signing secret the \
                     vendor shows (at least 32 bytes)",
                ));
            }
            if !(self.hosted_api_url.starts_with("http://") || self.hosted_api_url.starts_with("https://")) {
                return Err(crate::config::invalid(
                    "idv.hosted_api_url",
                    "it is not an http(s) URL",
                    "set it to the hosted vendor's API address (https://…)",
                ));
            }
        }
        // Checked whatever the vendor: a short key is a mistake even while unused.
        check_secret_len("idv.hosted_webhook_secret", self.hosted_webhook_secret.as_ref(), MIN_SECRET)?;
        if self.hosted_webhook_tolerance_secs <= 0 {
            return Err(crate::config::invalid(
                "idv.hosted_webhook_tolerance_secs",
                &format!("it is {}, it must be positive", self.hosted_webhook_tolerance_secs),
                "set it to how many seconds a webhook's timestamp may be off (default 300)",
            ));
        }
        // A day at most: a link or a phone session that outlives the learner's sitting is a
        // standing key to their flow. (The link's lower bound stays 1 s so tests can see it expire.)
        if !(1..=MAX_HANDOFF_SECS).contains(&self.handoff_ttl_secs) {
            return Err(crate::config::invalid(
                "idv.handoff_ttl_secs",
                &format!("it is {}, it must be between 1 and {MAX_HANDOFF_SECS}", self.handoff_ttl_secs),
                "set it to how many seconds a \"Continue on your phone\" link stays valid (default 600)",
            ));
        }
        if !(60..=MAX_HANDOFF_SECS).contains(&self.handoff_session_secs) {
            return Err(crate::config::invalid(
                "idv.handoff_session_secs",
                &format!("it is {}, it must be between 60 and {MAX_HANDOFF_SECS}", self.handoff_session_secs),
                "set it to how many seconds a phone signed in by a \"Continue on your phone\" link stays \
                 signed in (default 3600)",
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_handoff_ttl_defaults_to_ten_minutes_and_must_be_positive() {
        let mut cfg = super::IdvConfig::default();
        assert_eq!(cfg.handoff_ttl_secs, 600);
        assert!(cfg.validate().is_ok());
        for bad in [0, -5, 86_401, i64::MAX] {
            cfg.handoff_ttl_secs = bad;
            let e = cfg.validate().expect_err("refused");
            assert!(e.contains("idv.handoff_ttl_secs"), "{e}");
        }
        cfg.handoff_ttl_secs = 86_400;
        assert!(cfg.validate().is_ok());
        // The phone session's cap: an hour by default, between a minute and a day.
        assert_eq!(cfg.handoff_session_secs, 3600);
        for bad in [0, 59, 86_401, i64::MAX, i64::MIN] {
            cfg.handoff_session_secs = bad;
            let e = cfg.validate().expect_err("refused");
            assert!(e.contains("idv.handoff_session_secs"), "{e}");
        }
    }
}
