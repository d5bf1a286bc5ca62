//! What a reviewer sees of a claimed attempt: the names, whether the ID photo is reused,
//! the learner's other attempts and earlier decisions, and where the two photos are.

use super::{
    ReviewError, ReviewResult, ReviewerRole, audit,
    queue::ensure_may_see,
    reasons::{ReasonInput, from_error_msg},
};
use crate::{
    service::Services,
    store::{attempts, reviews, staff_actions::Action, users},
};
use app::domain::{AttemptStatus, UserId};
use chrono::{DateTime, Utc};
use std::collections::HashMap;

/// A first denial waiting for a second look.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FirstDenial {
    /// The first reviewer's username.
    pub first_reviewer: String,
    /// Their reasons.
    pub reasons: Vec<ReasonInput>,
    /// Their note.
    pub note: String,
}

/// Another attempt of the learner, with its decision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PastAttempt {
    /// Its receipt id.
    pub receipt_id: String,
    /// Its status.
    pub status: AttemptStatus,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// When it was decided, if it was.
    pub decided_at: Option<DateTime<Utc>>,
    /// Who decided it: a reviewer's username, or the vendor or service that did.
    pub decided_by: Option<String>,
    /// The denial's reasons.
    pub reasons: Vec<ReasonInput>,
}

/// The review page's data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReviewDetail {
    /// Receipt id.
    pub receipt_id: String,
    /// The learner's username.
    pub username: String,
    /// The name on the account.
    pub account_name: String,
    /// The name the learner says is on their ID.
    pub expected_name: String,
    /// When it was submitted.
    pub submitted_at: Option<DateTime<Utc>>,
    /// Its status.
    pub status: AttemptStatus,
    /// The claim holder's username (the claim may have lapsed).
    pub claimed_by: Option<String>,
    /// Until when.
    pub claimed_until: Option<DateTime<Utc>>,
    /// The ID photo is an earlier approved attempt's.
    pub id_photo_reused: bool,
    /// A first denial awaiting a second look.
    pub awaiting_second_review: Option<FirstDenial>,
    /// The learner's other attempts, newest first.
    pub history: Vec<PastAttempt>,
}

/// The detail of `receipt_id` for its claim holder or staff; audited.
#[tracing::instrument(skip_all, fields(user.id = %reviewer.id()))]
pub async fn detail(services: &Services, reviewer: ReviewerRole, receipt_id: &str) -> ReviewResult<ReviewDetail> {
    let now = services.clock.now();
    let mut conn = services.store.conn().await?;
    let item = reviews::by_receipt(&mut conn, receipt_id).await?.ok_or(ReviewError::NotFound)?;
    ensure_may_see(&item, reviewer, now)?;
    let attempt = attempts::by_id(&mut conn, item.attempt_id).await?.ok_or(ReviewError::NotFound)?;
    let learner = users::by_id(&mut conn, item.user_id).await?.ok_or(ReviewError::NotFound)?;
    let mut names: HashMap<UserId, String> = HashMap::new();
    let mut name_of = async |conn: &mut crate::store::Conn, id: UserId| -> ReviewResult<String> {
        if let Some(n) = names.get(&id) {
            return Ok(n.clone());
        }
        let n = users::by_id(conn, id).await?.map_or_else(|| id.to_string(), |u| u.username);
        names.insert(id, n.clone());
        Ok(n)
    };
    let claimed_by = match item.claimed_by {
        Some(id) => Some(name_of(&mut conn, id).await?),
        None => None,
    };
    let awaiting_second_review = match item.first_reviewer {
        Some(id) if item.decided_at.is_none() => Some(FirstDenial {
            first_reviewer: name_of(&mut conn, id).await?,
            reasons: from_error_msg(item.first_reasons.as_deref().unwrap_or_default()),
            note: item.first_note.clone(),
        }),
        _ => None,
    };
    let decisions = reviews::decisions_for_user(&mut conn, item.user_id).await?;
    let mut history = Vec::new();
    for other in attempts::for_user(&mut conn, item.user_id).await? {
        if other.id == attempt.id {
            continue;
        }
        let decided = matches!(other.status(), AttemptStatus::Approved | AttemptStatus::Denied);
        let final_reviewer = decisions.iter().rev().find(|d| d.attempt == other.id && d.final_).map(|d| d.reviewer);
        let decided_by = match (decided, final_reviewer, other.review.reviewing_user) {
            (false, _, _) => None,
            (true, Some(id), _) | (true, None, Some(id)) => Some(name_of(&mut conn, id).await?),
            (true, None, None) => Some(other.review.reviewing_service.clone()).filter(|s| !s.is_empty()),
        };
        history.push(PastAttempt {
            receipt_id: other.receipt_id.clone(),
            status: other.status(),
            created_at: other.created_at,
            decided_at: decided.then_some(other.status_changed_at),
            decided_by,
            reasons: if other.status() == AttemptStatus::Denied {
                from_error_msg(&other.review.error_msg)
            } else {
                Vec::new()
            },
        });
    }
    drop(conn);
    audit(services, reviewer.id(), Action::ReviewView, receipt_id, "").await?;
    Ok(ReviewDetail {
        receipt_id: item.receipt_id,
        username: learner.username,
        account_name: learner.full_name,
        expected_name: attempt.name.clone(),
        submitted_at: attempt.review.submitted_at,
        status: attempt.status(),
        claimed_by,
        claimed_until: item.claimed_until,
        id_photo_reused: attempt.copy_id_photo_from.is_some(),
        awaiting_second_review,
        history,
    })
}
