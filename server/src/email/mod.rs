//! Learner emails over SMTP (lettre): submitted, approved, denied with reasons, expiring
//! soon and expired. Each is sent once per attempt (`store::emails_sent`); the lifecycle
//! ones by a subscriber of the event bus (`reactions::email`, so they ride the durable event
//! jobs), the expiry ones by `vouch send-expiry-emails`.

pub mod templates;

use crate::{
    service::Services,
    store::{StoreResult, emails_sent},
};
use app::domain::UserId;
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

/// What [`send_once`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Sent now.
    Sent,
    /// Sent before; not sent again.
    AlreadySent,
    /// The learner has no email address.
    NoAddress,
}

/// Sends the email `kind` about `attempt_uuid` to the learner unless it was sent before.
/// Recorded after sending: a crash in between may send it twice, never zero times.
pub async fn send_once(
    services: &Services,
    user: UserId,
    to: &str,
    kind: &str,
    attempt_uuid: &str,
    mail: &Rendered,
) -> Result<Outcome, EmailError> {
    send_once_keyed(services, user, to, kind, attempt_uuid, &format!("{kind}:{attempt_uuid}"), mail).await
}

/// [`send_once`] under an explicit dedupe `key`: a repeat of an email about the same attempt
/// (the expired email's resends) has a key of its own.
pub async fn send_once_keyed(
    services: &Services,
    user: UserId,
    to: &str,
    kind: &str,
    attempt_uuid: &str,
    key: &str,
    mail: &Rendered,
) -> Result<Outcome, EmailError> {
    let store_err = |e: crate::store::StoreError| EmailError::Smtp(format!("database: {e}"));
    if emails_sent::was_sent(&mut *services.store.conn().await.map_err(store_err)?, key).await.map_err(store_err)? {
        return Ok(Outcome::AlreadySent);
    }
    if to.trim().is_empty() {
        return Ok(Outcome::NoAddress);
    }
    send(&services.cfg.email, to, mail).await?;
    let recorded: StoreResult<bool> = async {
        emails_sent::record(&mut *services.store.conn().await?, key, user, kind, attempt_uuid, services.clock.now())
            .await
    }
    .await;
    if let Err(e) = recorded {
        tracing::warn!(error = %e, "an email was sent but not recorded; it may be sent again");
    }
    tracing::info!(email.kind = kind, "email sent");
    Ok(Outcome::Sent)
}
