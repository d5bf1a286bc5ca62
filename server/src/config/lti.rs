//! `[lti]`: the LTI 1.1 tool provider's section (the provider itself is `crate::lti`).

use crate::host_list::HostList;
use serde::Deserialize;

/// `[lti]`: the LTI 1.1 tool provider. Env: `VOUCH_LTI__<KEY>`.
#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct LtiConfig {
    /// How far a launch's `oauth_timestamp` may be from our clock, in seconds (±).
    pub timestamp_window_secs: i64,
    /// Allow outcome service URLs on loopback and private addresses (dev and tests only).
    pub allow_private_outcome_urls: bool,
    /// Hosts that outcome service URLs may point at, for consumers without their own list;
    /// empty: any public host. A list, or one comma-separated string (for the environment).
    pub allowed_outcome_hosts: HostList,
    /// The `frame-ancestors` of launches for consumers without their own.
    pub frame_ancestors: String,
    /// Send the session cookie with `SameSite=None`, so it works in a cross-site LMS iframe
    /// (browsers then also require `Secure`, i.e. HTTPS). See the README on CSRF.
    pub cross_site_cookies: bool,
    /// Timeout of one grade passback request, in seconds.
    pub outcome_timeout_secs: u64,
    /// Tries of one grade passback before it is recorded as failed.
    pub outcome_max_attempts: i32,
    /// The LMS's sign-in page, linked from the sign-in step of consumers with
    /// `require_user_account` (e.g. `https://lms.example.edu/login`); unset: no link.
    pub lms_login_url: Option<String>,
    /// How often the job runners look for approvals of LTI learners that expired, to send
    /// their 0.0 grade, in seconds.
    pub expiry_check_interval_secs: u64,
}

impl Default for LtiConfig {
    fn default() -> Self {
        Self {
            timestamp_window_secs: 300,
            allow_private_outcome_urls: false,
            allowed_outcome_hosts: HostList::default(),
            frame_ancestors: "'self' https:".into(),
            cross_site_cookies: false,
            outcome_timeout_secs: 10,
            outcome_max_attempts: 6,
            lms_login_url: None,
            expiry_check_interval_secs: 300,
        }
    }
}

#[cfg(test)]
mod tests {
    fn from_toml(toml: &str) -> crate::config::Config {
        config::Config::builder()
            .add_source(config::File::from_str(toml, config::FileFormat::Toml))
            .build()
            .and_then(config::Config::try_deserialize)
            .expect("config")
    }

    #[test]
    fn lti_section_defaults_and_keys() {
        let d = from_toml("").lti;
        assert_eq!(d.timestamp_window_secs, 300);
        assert!(!d.allow_private_outcome_urls && !d.cross_site_cookies);
        assert!(d.allowed_outcome_hosts.0.is_empty());
        assert_eq!(d.frame_ancestors, "'self' https:");
        let c = from_toml(
            "[lti]\ntimestamp_window_secs = 60\nallow_private_outcome_urls = true\n\
             allowed_outcome_hosts = [\"LMS.example.edu\", \"canvas.example.com\"]\n\
             frame_ancestors = \"https://lms.example.edu\"\ncross_site_cookies = true\n\
             outcome_timeout_secs = 3\noutcome_max_attempts = 2\n",
        )
        .lti;
        assert_eq!(c.timestamp_window_secs, 60);
        assert!(c.allow_private_outcome_urls && c.cross_site_cookies);
        assert_eq!(c.allowed_outcome_hosts.0, ["lms.example.edu", "canvas.example.com"]);
        assert_eq!((c.outcome_timeout_secs, c.outcome_max_attempts), (3, 2));
        // The environment gives one string: a comma-separated list.
        let e = from_toml("[lti]\nallowed_outcome_hosts = \"a.example, b.example ,\"\n").lti;
        assert_eq!(e.allowed_outcome_hosts.0, ["a.example", "b.example"]);
    }
}
