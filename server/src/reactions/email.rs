//! The subscriber that emails learners about their attempts: submitted (confirmation), approved
//! and denied with reasons. SSO verifications get none (the learner signed in; there is
//! nothing to tell). Runs from the durable event jobs, so an SMTP outage delays emails
//! instead of losing them.

use super::{Subscriber, SubscriberError};
use crate::{
    email::{
        EmailError,
        templates::{Context, Email, render},
    },
    events::{Event, EventType},
    service::{Services, emails::send_once},
    store::{attempt_lookup, attempts, transitions},
};
use app::domain::{
    AttemptId, AttemptKind, UserId,
    reasons::{self, DenialReason},
};

/// The subscriber.
pub struct Emails;

/// The reasons of a stored denial (Open edX's `parsed_error_msg`): the photo attempt's
/// vendor reasons, else the reason of the transition to `denied`.
async fn denial_reasons(services: &Services, uuid: &str) -> Result<Vec<DenialReason>, crate::store::StoreError> {
    let mut conn = services.store.conn().await?;
    let Some(found) = attempt_lookup::by_uuid(&mut conn, uuid).await? else { return Ok(Vec::new()) };
    let (kind, id) = (found.kind, found.id);
    if kind == AttemptKind::Photo
        && let Some(a) = attempts::by_id(&mut conn, AttemptId(id)).await?
        && !a.review.error_msg.is_empty()
    {
        return Ok(reasons::parse(&a.review.error_msg));
    }
    let history = transitions::history(&mut conn, kind, id).await?;
    Ok(history.iter().rev().find(|t| t.to == "denied").map(|t| reasons::parse(&t.reason)).unwrap_or_default())
}

#[async_trait::async_trait]
impl Subscriber for Emails {
    fn name(&self) -> &'static str {
        "emails"
    }

    fn wants(&self, event: EventType) -> bool {
        matches!(event, EventType::Submitted | EventType::Approved | EventType::Denied)
    }

    async fn handle(&self, services: &Services, _seq: i64, event: &Event) -> Result<(), SubscriberError> {
        if event.data.attempt_kind == AttemptKind::Sso {
            return Ok(());
        }
        let email = match event.event_type {
            EventType::Submitted => Email::Submitted,
            EventType::Approved => Email::Approved { expires: event.data.expiration },
            EventType::Denied => Email::Denied {
                reasons: denial_reasons(services, &event.data.attempt_uuid).await.map_err(SubscriberError::retry)?,
            },
            _ => return Ok(()),
        };
        let user = &event.data.user;
        let learner = if user.full_name.trim().is_empty() { &user.username } else { &user.full_name };
        let ctx = Context {
            learner,
            platform: &services.cfg.platform.name,
            public_url: &services.cfg.server.public_url,
            lang: &services.cfg.email.language,
        };
        let mail = render(&email, &ctx);
        match send_once(services, UserId(user.id), &user.email, email.kind(), &event.data.attempt_uuid, &mail).await {
            Ok(_) => Ok(()),
            // Nothing a retry can fix, and nothing staff can do for this one email either:
            // logged here, and the delivery counts as done (not `GiveUp`, which would leave a
            // failed job in the console for each such learner).
            Err(e @ (EmailError::Address(_) | EmailError::Build(_) | EmailError::NotConfigured)) => {
                tracing::warn!(error = %e, "a learner email could not be sent");
                Ok(())
            }
            Err(e) => Err(SubscriberError::retry(e)),
        }
    }
}
