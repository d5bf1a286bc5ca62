//! The `[events]` and `[filters]` configuration sections.

use crate::config::{MIN_SECRET, Secret, check_secret_len, invalid, missing};
use serde::{Deserialize, Deserializer};

/// One outbound webhook.
#[derive(Debug, Clone, Deserialize)]
pub struct WebhookConfig {
    /// Where events are POSTed.
    pub url: String,
    /// The HMAC key of the `Vouch-Signature` header.
    pub secret: Secret,
}

/// `[events]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct EventsConfig {
    /// One webhook's URL (`VOUCH_EVENTS__WEBHOOK_URL`); needs `webhook_secret`.
    pub webhook_url: Option<String>,
    /// That webhook's signing key (`VOUCH_EVENTS__WEBHOOK_SECRET`).
    pub webhook_secret: Option<Secret>,
    /// More webhooks (`[[events.webhooks]]` tables with `url` and `secret`).
    pub webhooks: Vec<WebhookConfig>,
    /// Tries of one delivery before it is dead-lettered.
    pub webhook_max_attempts: i32,
    /// First retry delay of a delivery, in seconds (doubles each time, with jitter).
    pub webhook_retry_base_secs: f64,
    /// Timeout of one delivery, in seconds.
    pub webhook_timeout_secs: u64,
}

impl Default for EventsConfig {
    fn default() -> Self {
        Self {
            webhook_url: None,
            webhook_secret: None,
            webhooks: Vec::new(),
            webhook_max_attempts: 8,
            webhook_retry_base_secs: 30.0,
            webhook_timeout_secs: 10,
        }
    }
}

impl EventsConfig {
    /// Every configured webhook: the single one from `webhook_url`, then the list.
    pub fn all_webhooks(&self) -> Vec<WebhookConfig> {
        let mut out = Vec::new();
        if let (Some(url), Some(secret)) = (&self.webhook_url, &self.webhook_secret)
            && !url.trim().is_empty()
        {
            out.push(WebhookConfig { url: url.trim().to_owned(), secret: secret.clone() });
        }
        out.extend(self.webhooks.iter().cloned());
        out
    }

    /// Checks what a start-up should refuse: a URL without its secret, a bad URL, a secret
    /// shorter than [`MIN_SECRET`] bytes (empty ones are unset by the loader).
    pub fn validate(&self) -> Result<(), String> {
        if self.webhook_url.as_deref().is_some_and(|u| !u.trim().is_empty()) && self.webhook_secret.is_none() {
            return Err(missing(
                "events.webhook_secret",
                "events.webhook_url is set and its deliveries are signed with this key; set it to at least \
                 32 random bytes, shared with the receiver",
            ));
        }
        check_secret_len("events.webhook_secret", self.webhook_secret.as_ref(), MIN_SECRET)?;
        for (i, w) in self.webhooks.iter().enumerate() {
            check_secret_len(&format!("events.webhooks[{i}].secret"), Some(&w.secret), MIN_SECRET)?;
        }
        let http = |u: &str| u.starts_with("http://") || u.starts_with("https://");
        if let Some(url) = self.webhook_url.as_deref().filter(|u| !u.trim().is_empty() && !http(u)) {
            return Err(invalid(
                "events.webhook_url",
                &format!("{url:?} is not an http(s) URL"),
                "set it to the receiver's http(s) URL, or unset it",
            ));
        }
        for (i, w) in self.webhooks.iter().enumerate() {
            if !http(&w.url) {
                // A list is set in the configuration file only.
                return Err(format!(
                    "events.webhooks[{i}].url (configuration file) is invalid: {:?} is not an http(s) URL; set it \
                     to the receiver's http(s) URL",
                    w.url
                ));
            }
        }
        if self.webhook_max_attempts < 1 {
            return Err(invalid(
                "events.webhook_max_attempts",
                &format!("it is {}, it must be at least 1", self.webhook_max_attempts),
                "set it to how many times a delivery is tried (default 8)",
            ));
        }
        Ok(())
    }
}

/// `[filters]`: the ordered steps of each pipeline, by registered name.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct FiltersConfig {
    /// Steps of `IDVerificationAttemptsRequested` (a list, or a comma-separated string in
    /// `VOUCH_FILTERS__ATTEMPTS_REQUESTED`).
    #[serde(deserialize_with = "names")]
    pub attempts_requested: Vec<String>,
    /// Steps of `IDVerificationURLRequested`.
    #[serde(deserialize_with = "names")]
    pub url_requested: Vec<String>,
    /// Steps of `VendorRequested`, which picks the vendor serving a learner (empty: always
    /// `idv.vendor`).
    #[serde(deserialize_with = "names")]
    pub vendor_requested: Vec<String>,
    /// The built-in `vendor_by_course` step's routes: course key → vendor name (each a
    /// registered vendor; checked at start-up).
    pub vendor_by_course: std::collections::BTreeMap<String, String>,
    /// The URL the built-in `verify_url_override` step answers (`{course_id}` is replaced by
    /// the URL-encoded course, or removed).
    pub verify_url: Option<String>,
}

/// A list of names, from a TOML array or a comma-separated string (environment variables).
fn names<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Names {
        List(Vec<String>),
        One(String),
    }
    let list = match Names::deserialize(d)? {
        Names::List(l) => l,
        Names::One(s) => s.split(',').map(str::to_owned).collect(),
    };
    Ok(list.into_iter().map(|s| s.trim().to_owned()).filter(|s| !s.is_empty()).collect())
}

#[cfg(test)]
mod tests {
    use crate::config::Config;

    fn load(toml: &str, overrides: &[(&str, &str)]) -> Config {
        let mut b = config::Config::builder().add_source(config::File::from_str(toml, config::FileFormat::Toml));
        for (k, v) in overrides {
            b = b.set_override(*k, *v).expect("override");
        }
        b.build().expect("build").try_deserialize().expect("deserialize")
    }

    #[test]
    fn webhooks_from_keys_and_list() {
        let cfg = load(
            r#"
            [events]
            webhook_url = "https://a.example/hook"
            webhook_secret = "0123456789abcdef0123456789abcdef"
            [[events.webhooks]]
            url = "https://b.example/hook"
            secret = "fedcba9876543210fedcba9876543210"
            "#,
            &[],
        );
        let all = cfg.events.all_webhooks();
        assert_eq!(
            all.iter().map(|w| w.url.as_str()).collect::<Vec<_>>(),
            ["https://a.example/hook", "https://b.example/hook"]
        );
        assert!(cfg.events.validate().is_ok());
        assert!(!format!("{:?}", cfg.events).contains("0123456789abcdef0123456789abcdef"), "secrets are redacted");
        assert_eq!((cfg.events.webhook_max_attempts, cfg.events.webhook_retry_base_secs), (8, 30.0));
    }

    #[test]
    fn bad_webhooks_are_refused() {
        let no_secret = load("[events]\nwebhook_url = \"https://a.example/\"\n", &[]);
        assert!(no_secret.events.validate().is_err());
        let short = load("[events]\nwebhook_url = \"https://a.example/\"\nwebhook_secret = \"short\"\n", &[]);
        assert!(short.events.validate().is_err());
        let not_http = load(
            "[events]\nwebhook_url = \"ftp://a.example/\"\nwebhook_secret = \"0123456789abcdef0123456789abcdef\"\n",
            &[],
        );
        assert!(not_http.events.validate().is_err());
        // Sixteen bytes was the old minimum; a webhook key is now at least 32.
        let sixteen =
            load("[events]\nwebhook_url = \"https://a.example/\"\nwebhook_secret = \"0123456789abcdef\"\n", &[]);
        let message = sixteen.events.validate().expect_err("too short");
        assert!(message.contains("VOUCH_EVENTS__WEBHOOK_SECRET") && message.contains("invalid"), "{message}");
    }

    #[test]
    fn filter_steps_from_a_list_or_a_comma_separated_string() {
        let cfg = load("[filters]\nattempts_requested = [\"exclude_sso\", \"match_request\"]\n", &[]);
        assert_eq!(cfg.filters.attempts_requested, ["exclude_sso", "match_request"]);
        // The environment gives strings: VOUCH_FILTERS__URL_REQUESTED="a, b".
        let cfg = load("", &[("filters.url_requested", "verify_url_override, other ,")]);
        assert_eq!(cfg.filters.url_requested, ["verify_url_override", "other"]);
        assert!(cfg.filters.attempts_requested.is_empty());
    }
}
