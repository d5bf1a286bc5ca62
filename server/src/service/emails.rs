//! Learner emails sent once: each email about an attempt is recorded in
//! `store::emails_sent` after it is sent (`crate::email` builds and sends it), so it is not
//! sent again.

use super::Services;
use crate::{
    email::{EmailError, send, templates::Rendered},
    store::{StoreResult, emails_sent},
};
use app::domain::UserId;

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
