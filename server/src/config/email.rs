//! The `[email]` configuration section.

use crate::config::Secret;
use serde::Deserialize;

/// How the SMTP connection is secured.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SmtpSecurity {
    /// Plain SMTP (a relay on the same host or a test sink only).
    None,
    /// Upgrade with STARTTLS (required), usually port 587.
    Starttls,
    /// TLS from the first byte, usually port 465.
    Tls,
}

/// `[email]`. Emails are off until `smtp_host` is set.
#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct EmailConfig {
    /// The SMTP server (`VOUCH_EMAIL__SMTP_HOST`); unset: no emails.
    pub smtp_host: Option<String>,
    /// Its port.
    pub smtp_port: u16,
    /// `starttls` (default), `tls` or `none`.
    pub smtp_security: SmtpSecurity,
    /// SMTP user, if the server wants one.
    pub smtp_username: Option<String>,
    /// SMTP password.
    pub smtp_password: Option<Secret>,
    /// The sender, e.g. `Vouch <no-reply@example.com>`.
    pub from: String,
    /// Timeout of one SMTP exchange, in seconds.
    pub timeout_secs: u64,
    /// The language of learner emails (`VOUCH_EMAIL__LANGUAGE`): `en` (default) or `fr`.
    /// Vouch does not know a learner's language outside the browser, so it is the site's.
    pub language: String,
}

impl Default for EmailConfig {
    fn default() -> Self {
        Self {
            smtp_host: None,
            smtp_port: 587,
            smtp_security: SmtpSecurity::Starttls,
            smtp_username: None,
            smtp_password: None,
            from: "Vouch <no-reply@localhost>".into(),
            timeout_secs: 30,
            language: "en".into(),
        }
    }
}

/// The languages learner emails are written in.
pub const LANGUAGES: [&str; 2] = ["en", "fr"];

impl EmailConfig {
    /// Whether emails are sent at all.
    pub fn enabled(&self) -> bool {
        self.smtp_host.as_deref().is_some_and(|h| !h.trim().is_empty())
    }
}
