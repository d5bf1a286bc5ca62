//! Open edX `require_user_account`: a consumer that sets it never gets anonymous accounts
//! for its learners. A launch by an LTI user without a mapping records nothing about them
//! and sends the browser to a step where the learner signs in with the LMS (its JWT) and
//! confirms; only then is that LMS account linked to the LTI user.
//!
//! Why a confirmation rather than linking at the launch: a launch is a cross-site form
//! POST that anyone holding a signed launch can make a victim's browser send. Linking the
//! browser's LMS account there would let a learner attach someone else's account to their
//! own LTI identity and then be signed in as them by their next launch. The confirmation
//! is a same-site write the victim must make themself, and it shows which LMS and course
//! asked. Never by email: the address the launch carries is the consumer's word, not proof.
//!
//! The confirmation alone does not stop a planted launch: an attacker can make the victim's
//! browser POST the attacker's own launch, and the victim, signed in to the LMS, may well
//! click "Link". So, as Open edX does, the launch must carry the learner's email
//! (`lis_person_contact_email_primary`) and the link is made only when it is the email of
//! the LMS account signed in (its JWT's `email` claim). This is a check, never a lookup:
//! the email never chooses the account, it only refuses an account that is not the
//! launch's learner.
//!
//! One LTI identity per account and one account per LTI identity: linking an account that
//! is linked already, or an LTI user linked to another account, is a conflict. Staff
//! accounts are never linked (a launch would then sign a browser in with staff rights).

use super::{
    launch::{self, LaunchError, Launched},
    pii::Pii,
};
use crate::{
    service::Services,
    store::{StoreError, lti, users::User},
};
use serde::{Deserialize, Serialize};

/// A launch waiting for its learner's LMS account, kept in the browser's session.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingLink {
    /// The consumer's id.
    pub consumer: i64,
    /// Its name (shown on the confirmation step).
    pub consumer_name: String,
    /// The LTI user id at the consumer.
    pub lti_user_id: String,
    /// The course id of the launch URL.
    pub course_id: String,
    /// The usage id of the launch URL.
    pub usage_id: String,
    /// The outcome service URL and sourcedid, when the launch was graded (checked at launch).
    pub outcome: Option<(String, String)>,
    /// The name and email the launch carried (empty unless the consumer uses LTI PII).
    pub pii: Pii,
    /// The launch's `lis_person_contact_email_primary` (trimmed): only the LMS account with
    /// this email may be linked. Empty (a session kept before it existed) links nobody.
    #[serde(default)]
    pub email: String,
}

impl PendingLink {
    /// Whether `account` is the launch's learner by email (trimmed, case-insensitive; an
    /// empty email on either side never matches).
    pub fn is_for(&self, account: &User) -> bool {
        let norm = |e: &str| e.trim().to_lowercase();
        let (launch, lms) = (norm(&self.email), norm(&account.email));
        !launch.is_empty() && launch == lms
    }
}

/// Why a link was refused. Nothing was written.
#[derive(Debug, thiserror::Error)]
pub enum LinkError {
    /// The consumer was removed since the launch (404).
    #[error("The LMS of this launch is no longer allowed to launch Vouch.")]
    ConsumerGone,
    /// The account is linked to an LTI user already (409).
    #[error("This account is already linked to another LTI identity.")]
    AccountLinked,
    /// The LTI user is linked to another account (409).
    #[error("This LTI identity is already linked to another account.")]
    LtiUserLinked,
    /// Staff accounts are not linked (403).
    #[error("Staff accounts cannot be linked to an LTI identity.")]
    Staff,
    /// The LMS account signed in is not the launch's learner: its email is not the one the
    /// launch carried (403).
    #[error(
        "This launch was made for another learner: the email of the LMS account you are signed in with is not \
         the launch's. Sign in to your LMS as yourself and launch the activity again from your course."
    )]
    NotTheLaunchLearner,
    /// Our side failed.
    #[error(transparent)]
    Launch(#[from] LaunchError),
}

impl From<StoreError> for LinkError {
    fn from(e: StoreError) -> Self {
        Self::Launch(e.into())
    }
}

/// Links `account` (signed in with the LMS) to the pending launch's LTI user, records the
/// launch's graded assignment, fills an empty profile when the consumer uses LTI PII, and
/// reads the learner's status (through the attempts filters). Linking the same pair again
/// is not an error: the learner just continues.
#[tracing::instrument(skip_all, fields(user.id = %account.id, lti.consumer = pending.consumer))]
pub async fn link(services: &Services, pending: &PendingLink, account: &User) -> Result<Launched, LinkError> {
    if account.is_staff {
        return Err(LinkError::Staff);
    }
    if !pending.is_for(account) {
        tracing::warn!("LTI link refused: the LMS account's email is not the launch's");
        return Err(LinkError::NotTheLaunchLearner);
    }
    let now = services.clock.now();
    let mut tx = services.store.begin().await?;
    let consumer = lti::consumer_by_id(&mut tx, pending.consumer).await?.ok_or(LinkError::ConsumerGone)?;
    match lti::user_for(&mut tx, consumer.id, &pending.lti_user_id).await? {
        Some(linked) if linked == account.id => {}
        Some(_) => return Err(LinkError::LtiUserLinked),
        None => {
            if lti::is_linked(&mut tx, account.id).await? {
                return Err(LinkError::AccountLinked);
            }
            match lti::link_user(&mut tx, consumer.id, &pending.lti_user_id, account.id, now).await {
                Ok(()) => {}
                // A concurrent link took the account or the LTI user: the same refusals.
                Err(StoreError::Duplicate(_)) => return Err(LinkError::AccountLinked),
                Err(e) => return Err(e.into()),
            }
            tracing::info!("LMS account linked to an LTI user");
        }
    }
    // The opt-in is read again: it may have been turned off since the launch.
    if consumer.use_lti_pii {
        launch::fill_profile(&mut tx, account.id, &pending.pii).await?;
    }
    let outcome = pending.outcome.as_ref().map(|(u, s)| (u.as_str(), s.as_str()));
    let assignment = launch::record_assignment(
        &mut tx,
        consumer.id,
        account.id,
        &pending.course_id,
        &pending.usage_id,
        outcome,
        now,
    )
    .await?;
    tx.commit().await.map_err(StoreError::from)?;
    let (verified, show_status) = launch::settle(services, account.id, assignment).await?;
    let frame_ancestors = if consumer.frame_ancestors.is_empty() {
        services.cfg.lti.frame_ancestors.clone()
    } else {
        consumer.frame_ancestors
    };
    Ok(Launched { user: account.id, new_user: false, verified, show_status, frame_ancestors })
}
