//! A reviewer's decision. It goes through `lifecycle::apply_in` like a vendor's verdict
//! (the results callback), so the transition, its event (and through the outbox the
//! emails, webhooks and name affirmation) and the LTI passback are exactly a vendor's.

use super::{ReviewError, ReviewResult, ReviewerRole, audit_in, reasons};
use crate::{
    config::vendors::IN_HOUSE,
    service::{ServiceError, Services, lifecycle},
    store::{
        StoreError, attempts,
        reviews::{self, NewDecision},
        staff_actions::Action,
        transitions::Actor,
    },
};
use app::domain::{
    AttemptStatus,
    photo_lifecycle::{PhotoOp, Reviewer},
};

/// The longest note a reviewer may leave (for other reviewers; never shown to learners).
pub const MAX_NOTE_CHARS: usize = 2000;

/// Approve or deny.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Approve.
    Approve,
    /// Deny (with reasons).
    Deny,
}

impl Verdict {
    /// `approve` or `deny` (anything else is refused).
    pub fn parse(s: &str) -> ReviewResult<Self> {
        match s {
            "approve" => Ok(Self::Approve),
            "deny" => Ok(Self::Deny),
            other => Err(ReviewError::Invalid(format!("decision must be \"approve\" or \"deny\", not {other:?}."))),
        }
    }

    fn as_str(self) -> &'static str {
        match self {
            Self::Approve => "approve",
            Self::Deny => "deny",
        }
    }
}

/// What a decision did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decided {
    /// Receipt id.
    pub receipt_id: String,
    /// The attempt's status afterwards.
    pub status: AttemptStatus,
    /// Whether the attempt is decided (false: a first denial awaiting a second look).
    pub final_: bool,
}

/// Records `reviewer`'s verdict on `receipt_id`, which they must hold a live claim on.
/// A denial needs at least one of Open edX's reasons. Under
/// `review.second_review_for_denials` a first denial is recorded and the attempt goes back
/// to the queue for a different reviewer; their denial (or approval) is final.
#[tracing::instrument(skip_all, fields(user.id = %reviewer.id()))]
pub async fn decide(
    services: &Services,
    reviewer: ReviewerRole,
    receipt_id: &str,
    verdict: Verdict,
    given: &[reasons::ReasonInput],
    note: &str,
) -> ReviewResult<Decided> {
    // Everything about the request is checked before anything is read or written.
    let error_msg = match verdict {
        Verdict::Deny => reasons::to_error_msg(given)?,
        Verdict::Approve if given.is_empty() => String::new(),
        Verdict::Approve => return Err(ReviewError::InvalidReasons("An approval takes no reasons.".into())),
    };
    if note.chars().count() > MAX_NOTE_CHARS {
        return Err(ReviewError::Invalid(format!("The note may be at most {MAX_NOTE_CHARS} characters.")));
    }
    // A NUL cannot be stored in PostgreSQL text; other control characters are never meant.
    // Format characters (bidi overrides and isolates, zero-width ones) would let a note show
    // other reviewers something else than what it says.
    let format_char =
        |c: char| matches!(c, '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}');
    if note.chars().any(|c| (c.is_control() && c != '\n' && c != '\t') || format_char(c)) {
        return Err(ReviewError::Invalid("The note contains characters that are not allowed.".into()));
    }
    let now = services.clock.now();
    let me = reviewer.id();
    let mut tx = services.store.begin().await?;
    let item = reviews::by_receipt(&mut tx, receipt_id).await?.ok_or(ReviewError::NotFound)?;
    let attempt = attempts::by_id(&mut tx, item.attempt_id).await?.ok_or(ReviewError::NotFound)?;
    if item.decided_at.is_some() || attempt.status() != AttemptStatus::Submitted {
        return Err(ReviewError::AlreadyDecided);
    }
    if item.user_id == me {
        return Err(ReviewError::OwnAttempt);
    }
    if !item.held_by(me, now) || item.first_reviewer == Some(me) {
        return Err(ReviewError::NotClaimHolder);
    }
    let mut decision = NewDecision {
        attempt: item.attempt_id,
        reviewer: me,
        decision: verdict.as_str(),
        reasons: &error_msg,
        note,
        final_: true,
        queued_at: item.queued_at,
    };

    if verdict == Verdict::Deny && services.cfg.review.second_review_for_denials && item.first_reviewer.is_none() {
        if !reviews::record_first_denial(&mut tx, item.attempt_id, me, &error_msg, note, now).await? {
            return Err(ReviewError::NotClaimHolder);
        }
        decision.final_ = false;
        reviews::record_decision(&mut tx, &decision, now).await?;
        audit_in(&mut tx, services, me, Action::ReviewDecide, receipt_id, "deny_first").await?;
        tx.commit().await.map_err(StoreError::from)?;
        metrics::counter!("vouch_review_decisions_total", "decision" => "deny_first").increment(1);
        return Ok(Decided { receipt_id: item.receipt_id, status: AttemptStatus::Submitted, final_: false });
    }

    let status = if verdict == Verdict::Approve { "approved" } else { "denied" };
    if !reviews::mark_decided(&mut tx, item.attempt_id, me, status, now).await? {
        return Err(ReviewError::NotClaimHolder);
    }
    let by = Reviewer { user: Some(me), service: IN_HOUSE.into() };
    let op = match verdict {
        Verdict::Approve => PhotoOp::Approve { reviewer: by },
        Verdict::Deny => PhotoOp::Deny { error_msg: error_msg.clone(), error_code: String::new(), reviewer: by },
    };
    let status =
        match lifecycle::apply_in(&mut tx, services, item.attempt_id, &op, &Actor::Reviewer(me), "in-house review")
            .await
        {
            Ok(s) => s,
            Err(ServiceError::Conflict(_) | ServiceError::Raced) => return Err(ReviewError::AlreadyDecided),
            Err(e) => return Err(e.into()),
        };
    reviews::record_decision(&mut tx, &decision, now).await?;
    audit_in(&mut tx, services, me, Action::ReviewDecide, receipt_id, verdict.as_str()).await?;
    tx.commit().await.map_err(StoreError::from)?;
    metrics::counter!("vouch_review_decisions_total", "decision" => verdict.as_str()).increment(1);
    Ok(Decided { receipt_id: item.receipt_id, status, final_: true })
}
