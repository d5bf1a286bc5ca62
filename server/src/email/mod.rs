//! Learner emails over SMTP (lettre): submitted, approved, denied with reasons, expiring
//! soon and expired. Each is sent once per attempt (`service::emails`, over
//! `store::emails_sent`); the lifecycle ones by a subscriber of the event bus
//! (`reactions::email`, so they ride the durable event jobs), the expiry ones by
//! `vouch send-expiry-emails`.

pub mod templates;

use crate::config::email::{EmailConfig, SmtpSecurity};
use lettre::{
    AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor,
    message::{Mailbox, MultiPart},
    transport::smtp::authentication::Credentials,
};
use templates::Rendered;

/// Why an email was not sent.
#[derive(Debug, thiserror::Error)]
pub enum EmailError {
    /// Emails are not configured.
    #[error(
        "email.smtp_host (VOUCH_EMAIL__SMTP_HOST) is missing: emails are sent through it; set it to your SMTP \
         server's host name"
    )]
    NotConfigured,
    /// An address cannot be used.
    #[error("bad address: {0}")]
    Address(String),
    /// The message could not be built.
    #[error("could not build the message: {0}")]
    Build(String),
    /// The SMTP server refused or could not be reached (worth retrying).
    #[error("SMTP: {0}")]
    Smtp(String),
}

fn transport(cfg: &EmailConfig) -> Result<AsyncSmtpTransport<Tokio1Executor>, EmailError> {
    let host = cfg.smtp_host.as_deref().filter(|h| !h.trim().is_empty()).ok_or(EmailError::NotConfigured)?;
    let builder = match cfg.smtp_security {
        SmtpSecurity::None => AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host),
        SmtpSecurity::Starttls => {
            AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(host).map_err(|e| EmailError::Smtp(e.to_string()))?
        }
        SmtpSecurity::Tls => {
            AsyncSmtpTransport::<Tokio1Executor>::relay(host).map_err(|e| EmailError::Smtp(e.to_string()))?
        }
    };
    let mut builder =
        builder.port(cfg.smtp_port).timeout(Some(std::time::Duration::from_secs(cfg.timeout_secs.max(1))));
    if let (Some(user), Some(pass)) = (&cfg.smtp_username, &cfg.smtp_password) {
        builder = builder.credentials(Credentials::new(user.clone(), pass.expose().to_owned()));
    }
    Ok(builder.build())
}

/// Sends one email (plain text and HTML alternatives) to `to`.
pub async fn send(cfg: &EmailConfig, to: &str, mail: &Rendered) -> Result<(), EmailError> {
    let from: Mailbox = cfg.from.parse().map_err(|_| EmailError::Address("email.from".into()))?;
    let to: Mailbox = to.parse().map_err(|_| EmailError::Address("the learner's address".into()))?;
    let message = Message::builder()
        .from(from)
        .to(to)
        .subject(&mail.subject)
        .multipart(MultiPart::alternative_plain_html(mail.text.clone(), mail.html.clone()))
        .map_err(|e| EmailError::Build(e.to_string()))?;
    transport(cfg)?.send(message).await.map_err(|e| EmailError::Smtp(e.to_string()))?;
    Ok(())
}
