//! Deciding a photo attempt by hand, as the operator does from the command line (`vouch
//! approve|deny`, the demo data): test set-ups and support, where no vendor answers.

use super::{ServiceError, ServiceResult, Services, lifecycle};
use crate::store::{attempts, transitions::Actor};
use app::domain::{
    AttemptId, AttemptStatus,
    photo_lifecycle::{PhotoOp, Reviewer},
};

/// Approves the photo attempt with receipt id `receipt_id`, or denies it when
/// `deny_reason` is given (the reason the learner is shown). A ready attempt is first
/// marked submitted, as the vendor would have it. The inner error is a refusal to report
/// (no such receipt, or the lifecycle does not allow it); nothing changed then.
#[tracing::instrument(skip_all, fields(deny = deny_reason.is_some()))]
pub async fn decide(
    services: &Services,
    receipt_id: &str,
    deny_reason: Option<&str>,
) -> ServiceResult<Result<AttemptStatus, String>> {
    let attempt = {
        let mut conn = services.store.conn().await?;
        attempts::by_receipt_id(&mut conn, receipt_id).await?
    };
    let Some(attempt) = attempt else {
        return Ok(Err(format!("no photo attempt with receipt id {receipt_id:?}")));
    };
    let actor = Actor::System;
    let reviewer = Reviewer { user: None, service: "cli".into() };
    if attempt.status() == AttemptStatus::Ready {
        lifecycle::apply(services, attempt.id, &PhotoOp::MarkSubmit, &actor, "decided from the command line").await?;
    }
    let op = match deny_reason {
        Some(reason) => {
            PhotoOp::Deny { error_msg: reason.to_owned(), error_code: String::new(), reviewer: reviewer.clone() }
        }
        None => PhotoOp::Approve { reviewer },
    };
    let reason = deny_reason.unwrap_or("approved from the command line");
    match lifecycle::apply(services, attempt.id, &op, &actor, reason).await {
        Ok(s) => Ok(Ok(s)),
        Err(ServiceError::Conflict(m)) => Ok(Err(m.to_string())),
        Err(e) => Err(e),
    }
}

/// The receipt id of photo attempt `id` (empty when there is none).
pub async fn receipt_id(services: &Services, id: AttemptId) -> ServiceResult<String> {
    let mut conn = services.store.conn().await?;
    Ok(attempts::by_id(&mut conn, id).await?.map(|a| a.receipt_id).unwrap_or_default())
}
