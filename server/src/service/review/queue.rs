//! Claiming from the queue and giving claims back.

use super::{ReviewError, ReviewResult, ReviewerRole, audit, audit_in, stats};
use crate::{
    service::Services,
    store::{StoreError, reviews, staff_actions::Action},
};
use chrono::{DateTime, Duration, Utc};

/// How often a claim that lost a race to another reviewer is tried again (each try picks
/// the next candidate, so this bounds work, not correctness).
const CLAIM_TRIES: usize = 8;

/// A claimed attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claimed {
    /// Its receipt id.
    pub receipt_id: String,
    /// Until when the claim holds.
    pub claimed_until: DateTime<Utc>,
    /// The queue after the claim.
    pub queue: stats::QueueNow,
}

/// Claims the oldest attempt nobody holds for `reviewer`, for `review.claim_secs`; the
/// reviewer's live claim instead when they hold one (claiming is idempotent). `None` when
/// nothing is left for this reviewer.
#[tracing::instrument(skip_all, fields(user.id = %reviewer.id()))]
pub async fn claim(services: &Services, reviewer: ReviewerRole) -> ReviewResult<Option<Claimed>> {
    let now = services.clock.now();
    let held = reviews::held(&mut *services.store.conn().await?, reviewer.id(), now).await?;
    if let Some(item) = held {
        let claimed_until = item.claimed_until.unwrap_or(now);
        let queue = stats::queue_now(services).await?;
        return Ok(Some(Claimed { receipt_id: item.receipt_id, claimed_until, queue }));
    }
    let until = now + Duration::seconds(services.cfg.review.claim_secs);
    for _ in 0..CLAIM_TRIES {
        let mut tx = services.store.begin().await?;
        let Some(attempt) = reviews::claim_next(&mut tx, services.store.backend(), reviewer.id(), until, now).await?
        else {
            // Nothing claimable, or another reviewer took the candidate between our pick and
            // our write: look again (a truly empty queue answers the same way every time).
            drop(tx);
            // A concurrent claim of the same reviewer won: that claim is theirs.
            if let Some(item) = reviews::held(&mut *services.store.conn().await?, reviewer.id(), now).await? {
                let claimed_until = item.claimed_until.unwrap_or(now);
                let queue = stats::queue_now(services).await?;
                return Ok(Some(Claimed { receipt_id: item.receipt_id, claimed_until, queue }));
            }
            if stats::queue_now(services).await?.size == 0 {
                break;
            }
            continue;
        };
        let receipt_id = receipt_of(&mut tx, attempt).await?;
        audit_in(&mut tx, services, reviewer.id(), Action::ReviewClaim, &receipt_id, "").await?;
        tx.commit().await.map_err(StoreError::from)?;
        metrics::counter!("vouch_review_claims_total").increment(1);
        let queue = stats::queue_now(services).await?;
        return Ok(Some(Claimed { receipt_id, claimed_until: until, queue }));
    }
    Ok(None)
}

async fn receipt_of(conn: &mut crate::store::Conn, attempt: app::domain::AttemptId) -> ReviewResult<String> {
    let row = crate::store::attempts::by_id(conn, attempt).await?;
    Ok(row.ok_or(ReviewError::NotFound)?.receipt_id)
}

/// Gives the claim on `receipt_id` back: the holder's, or any live claim for staff.
#[tracing::instrument(skip_all, fields(user.id = %reviewer.id()))]
pub async fn release(services: &Services, reviewer: ReviewerRole, receipt_id: &str) -> ReviewResult<()> {
    let now = services.clock.now();
    let item = {
        let mut conn = services.store.conn().await?;
        reviews::by_receipt(&mut conn, receipt_id).await?.ok_or(ReviewError::NotFound)?
    };
    if item.decided_at.is_some() {
        return Err(ReviewError::AlreadyDecided);
    }
    let holder = if reviewer.is_staff() { None } else { Some(reviewer.id()) };
    let mut tx = services.store.begin().await?;
    if !reviews::release(&mut tx, item.attempt_id, holder, now).await? {
        if reviewer.is_staff() {
            // Nothing held it: nothing to give back.
            return Ok(());
        }
        return Err(ReviewError::NotClaimHolder);
    }
    audit_in(&mut tx, services, reviewer.id(), Action::ReviewRelease, receipt_id, "").await?;
    tx.commit().await.map_err(StoreError::from)?;
    Ok(())
}

/// Refuses `reviewer` unless they hold a live claim on `item` or are staff; refuses
/// anyone on their own attempt.
pub(crate) fn ensure_may_see(
    item: &reviews::ReviewItem,
    reviewer: ReviewerRole,
    now: DateTime<Utc>,
) -> ReviewResult<()> {
    if item.user_id == reviewer.id() {
        return Err(ReviewError::OwnAttempt);
    }
    if reviewer.is_staff() || item.held_by(reviewer.id(), now) { Ok(()) } else { Err(ReviewError::NotClaimHolder) }
}

/// Audits a photo view (the photo endpoint calls it before returning the photo).
pub(crate) async fn audit_photo(
    services: &Services,
    reviewer: ReviewerRole,
    receipt_id: &str,
    photo: &str,
) -> ReviewResult<()> {
    audit(services, reviewer.id(), Action::DecryptPhoto, receipt_id, photo).await
}
