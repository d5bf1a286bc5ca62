//! What an LMS asks about many learners at once (Open edX `IDVerificationService`'s batch
//! answers), in the LMS's own id space: its user ids (the `user_id` claim of its JWT, kept
//! as `lms_user_id` when the learner first signs in) or usernames. An id Vouch has never
//! seen belongs to a learner who never verified here, so it is simply not verified.

use super::{ServiceError, ServiceResult, Services, idv};
use crate::store::{lms_ids, users};
use app::domain::{
    UserId,
    id_verification::{self, VERIFIED_MODES},
};
use std::collections::{HashMap, HashSet};

/// The most ids or items one call may carry (Open edX's callers batch by the thousand;
/// a bound keeps one request's work and memory small).
pub const MAX_BATCH: usize = 10_000;

/// Refuses a batch of more than [`MAX_BATCH`] `what`s, saying how to split it.
pub fn check_batch(n: usize, what: &str) -> ServiceResult<()> {
    if n > MAX_BATCH {
        return Err(ServiceError::Invalid(format!(
            "At most {MAX_BATCH} {what} per call; this one has {n}. Split the list into several calls."
        )));
    }
    Ok(())
}

/// The LMS user ids among `lms_ids` whose learner is verified now (`get_verified_user_ids`,
/// attempt filters applied), ascending and without repeats.
#[tracing::instrument(skip_all, fields(batch.len = lms_ids.len()))]
pub async fn verified_lms_user_ids(services: &Services, lms_ids: &[i64]) -> ServiceResult<Vec<i64>> {
    check_batch(lms_ids.len(), "user ids")?;
    let known = {
        let mut conn = services.store.conn().await?;
        lms_ids::users_by_lms_ids(&mut conn, lms_ids).await?
    };
    let users: Vec<UserId> = known.iter().map(|(_, u)| *u).collect();
    let verified: HashSet<UserId> = idv::cached::get_verified_user_ids(services, &users).await?.into_iter().collect();
    let mut out: Vec<i64> = known.into_iter().filter(|(_, u)| verified.contains(u)).map(|(lms, _)| lms).collect();
    out.sort_unstable();
    out.dedup();
    Ok(out)
}

/// Who a grade-report row is about.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum LmsLearner {
    /// The LMS's user id.
    LmsUserId(i64),
    /// The username.
    Username(String),
}

/// One grade-report row to answer: a learner enrolled in a course in a mode.
#[derive(Debug, Clone)]
pub struct StatusItem {
    /// The learner.
    pub learner: LmsLearner,
    /// The enrollment mode (`verified`, `professional`, `audit`, ...).
    pub mode: String,
}

/// The grade-report string of each item, in order (`verification_status_for_user`):
/// `N/A` outside the verified modes, else `ID Verified` or `Not ID Verified`. Who is
/// verified is read once for the whole batch, with the attempt filters applied.
#[tracing::instrument(skip_all, fields(batch.len = items.len()))]
pub async fn verification_statuses(services: &Services, items: &[StatusItem]) -> ServiceResult<Vec<&'static str>> {
    check_batch(items.len(), "items")?;
    let needed: Vec<&StatusItem> = items.iter().filter(|i| VERIFIED_MODES.contains(&i.mode.as_str())).collect();
    let lms: Vec<i64> = needed
        .iter()
        .filter_map(|i| match i.learner {
            LmsLearner::LmsUserId(id) => Some(id),
            LmsLearner::Username(_) => None,
        })
        .collect();
    let names: Vec<&str> = needed
        .iter()
        .filter_map(|i| match &i.learner {
            LmsLearner::Username(n) => Some(n.as_str()),
            LmsLearner::LmsUserId(_) => None,
        })
        .collect();
    let mut who: HashMap<LmsLearner, UserId> = HashMap::new();
    {
        let mut conn = services.store.conn().await?;
        for (id, user) in lms_ids::users_by_lms_ids(&mut conn, &lms).await? {
            who.insert(LmsLearner::LmsUserId(id), user);
        }
        for (name, user) in lms_ids::users_by_usernames(&mut conn, &names).await? {
            who.insert(LmsLearner::Username(name), user);
        }
    }
    let users: Vec<UserId> = who.values().copied().collect();
    let verified: HashSet<UserId> = idv::cached::get_verified_user_ids(services, &users).await?.into_iter().collect();
    Ok(items
        .iter()
        .map(|item| {
            let is_verified = who.get(&item.learner).is_some_and(|u| verified.contains(u));
            id_verification::verification_status_for_user(is_verified, &item.mode)
        })
        .collect())
}

/// Retires the user named `username` (`vouch retire-user`'s effect) for the LMS's
/// retirement pipeline: `Some(attempts scrubbed)`, or `None` when Vouch holds no such user,
/// which the pipeline may treat as done (nothing of theirs is here). Running it again
/// scrubs again and deletes nothing more, so a retried pipeline step is harmless.
pub async fn retire_by_username(services: &Services, username: &str) -> ServiceResult<Option<u64>> {
    let user = {
        let mut conn = services.store.conn().await?;
        users::by_username(&mut conn, username).await?
    };
    match user {
        Some(u) => Ok(Some(super::retire::retire_user(services, u.id).await?)),
        None => Ok(None),
    }
}
