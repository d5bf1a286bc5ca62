//! Sends the review queue's "waits too long" email to every `review.alert_emails` address
//! (queued once per episode by `service::review::alert`). A retried job may mail an address
//! twice, never none.

use super::{JobError, JobHandler, parse_payload};
use crate::{
    email::{self, templates::Rendered},
    service::{
        Services,
        queue::review_alert::{KIND, Payload},
    },
};

/// The email: no learner data, only the queue's figures and where to review.
fn render(services: &Services, p: &Payload) -> Rendered {
    let minutes = p.oldest_age_secs / 60;
    let url = format!("{}/staff/review", services.cfg.server.public_url.trim_end_matches('/'));
    let subject = format!("Review queue: the oldest verification has waited {minutes} minutes");
    let text = format!(
        "{} verifications are waiting for review; the oldest has waited {minutes} minutes (the alert threshold is \
         {} minutes).\n\nReview them at {url}\n",
        p.size, services.cfg.review.alert_after_mins
    );
    let html = format!("<p>{}</p>", email::templates::escape(&text).replace('\n', "<br>"));
    Rendered { subject, text, html }
}

/// The job handler.
pub struct ReviewAlert;

#[async_trait::async_trait]
impl JobHandler for ReviewAlert {
    fn kind(&self) -> &'static str {
        KIND
    }

    async fn run(&self, services: &Services, payload: &str) -> Result<(), JobError> {
        let p: Payload = parse_payload(payload)?;
        if !services.cfg.email.enabled() {
            return Err(JobError::Fail("email is not configured (email.smtp_host)".into()));
        }
        let mail = render(services, &p);
        for to in services.cfg.review.alert_addresses() {
            email::send(&services.cfg.email, &to, &mail).await.map_err(|e| JobError::Retry(e.to_string()))?;
        }
        tracing::info!(review.queue = p.size, "review queue alert sent");
        Ok(())
    }

    async fn exhausted(&self, _services: &Services, _payload: &str, last_error: &str) {
        tracing::warn!(error = last_error, "the review queue alert could not be sent");
    }
}
