//! `[review]`: the in-house review queue (vendor `in_house`). Every key can be set from the
//! environment as `VOUCH_REVIEW__<KEY>`.

use crate::config::{Secret, invalid, missing};
use serde::Deserialize;

/// `[review]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct ReviewConfig {
    /// The review key pair's public key (PEM): wraps each in_house photo's AES key.
    pub rsa_public_key: Option<String>,
    /// The matching private key (PEM): decrypts photos for claim holders and staff only.
    pub rsa_private_key: Option<Secret>,
    /// How long a claim lasts, in seconds (default 600); a lapsed claim returns to the queue.
    pub claim_secs: i64,
    /// A denial is final only when a second, different reviewer confirms it.
    pub second_review_for_denials: bool,
    /// Alert when the oldest queued attempt has waited longer than this many minutes
    /// (0: never).
    pub alert_after_mins: i64,
    /// Where the alert goes: email addresses, separated by commas (sent through `[email]`).
    pub alert_emails: Option<String>,
    /// How often a job runner checks the queue's age, in seconds.
    pub alert_check_secs: u64,
}

impl Default for ReviewConfig {
    fn default() -> Self {
        Self {
            rsa_public_key: None,
            rsa_private_key: None,
            claim_secs: 600,
            second_review_for_denials: false,
            alert_after_mins: 60,
            alert_emails: None,
            alert_check_secs: 60,
        }
    }
}

impl ReviewConfig {
    /// The alert's addresses (trimmed, blanks dropped).
    pub fn alert_addresses(&self) -> Vec<String> {
        self.alert_emails
            .as_deref()
            .unwrap_or_default()
            .split(',')
            .map(str::trim)
            .filter(|a| !a.is_empty())
            .map(str::to_owned)
            .collect()
    }

    /// Refuses, at start-up, an `in_house` vendor without its key pair and numbers out of
    /// range. (Whether the keys parse and match is checked where they are parsed.)
    pub fn validate(&self, vendor: &str) -> Result<(), String> {
        if vendor == crate::config::vendors::IN_HOUSE {
            let blank = |k: Option<&str>| k.is_none_or(|k| k.trim().is_empty());
            if blank(self.rsa_public_key.as_deref()) {
                return Err(missing(
                    "review.rsa_public_key",
                    "idv.vendor is \"in_house\": learners' photos are sealed with the review key pair; make one with \
                     `vouch debug gen-keys --out keys` and set it to the public key (PEM)",
                ));
            }
            if blank(self.rsa_private_key.as_ref().map(Secret::expose)) {
                return Err(missing(
                    "review.rsa_private_key",
                    "idv.vendor is \"in_house\": reviewers see the photos through it; set it to the private key (PEM) \
                     matching review.rsa_public_key",
                ));
            }
        }
        if !(1..=MAX_CLAIM_SECS).contains(&self.claim_secs) {
            return Err(invalid(
                "review.claim_secs",
                &format!("it is {}, it must be 1 to {MAX_CLAIM_SECS} (a day)", self.claim_secs),
                "set how many seconds a reviewer holds a claimed attempt (default 600)",
            ));
        }
        if !(0..=MAX_ALERT_AFTER_MINS).contains(&self.alert_after_mins) {
            return Err(invalid(
                "review.alert_after_mins",
                &format!("it is {}, it must be 0 to {MAX_ALERT_AFTER_MINS} (a year)", self.alert_after_mins),
                "set a number of minutes, or 0 to never alert",
            ));
        }
        for address in self.alert_addresses() {
            if address.parse::<lettre::message::Mailbox>().is_err() {
                return Err(invalid(
                    "review.alert_emails",
                    &format!("{address:?} is not an email address"),
                    "set email addresses separated by commas",
                ));
            }
        }
        Ok(())
    }
}

/// The longest claim: a day (a longer one would hide an attempt from the queue for days,
/// and far larger values overflow the time arithmetic).
const MAX_CLAIM_SECS: i64 = 86_400;
/// The longest wait before the queue alert: a year.
const MAX_ALERT_AFTER_MINS: i64 = 525_600;

#[cfg(test)]
mod bounds_tests {
    use super::*;

    #[test]
    fn claim_secs_and_alert_after_mins_are_bounded() {
        let ok = ReviewConfig::default();
        assert!(ok.validate("software_secure").is_ok());
        for (claim, alert, good) in [
            (1, 0, true),
            (86_400, 525_600, true),
            (0, 60, false),
            (86_401, 60, false),
            (i64::MAX, 60, false),
            (600, 525_601, false),
            (600, -1, false),
        ] {
            let cfg = ReviewConfig { claim_secs: claim, alert_after_mins: alert, ..ReviewConfig::default() };
            assert_eq!(cfg.validate("software_secure").is_ok(), good, "claim_secs {claim}, alert_after_mins {alert}");
        }
    }
}
