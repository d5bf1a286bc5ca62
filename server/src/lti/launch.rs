//! The launch use case (Open edX `lti_launch` + `authenticate_lti_user` +
//! `store_outcome_parameters`). Everything that needs no write is checked first, and the
//! signature before anything about the consumer is written: the nonce, a learnt instance
//! GUID, the user mapping and the graded assignment are written in one transaction only
//! for a launch that verified. For a consumer with `require_user_account`, an LTI user
//! without a mapping gets no account: the launch ends at the sign-in-and-link step
//! ([`super::account_link`]). The learner's status is then read through the attempts
//! filters, like every other read.

use super::{
    account_link::PendingLink,
    oauth,
    outcome_url::{self, UrlError},
    params::{self, ParamError},
    pii::{self, Pii},
};
use crate::{
    service::{ServiceError, Services, idv},
    store::{self, StoreError, lti, users},
};
use app::domain::{UserId, id_verification};
use chrono::{Duration, Utc};

/// A launch as received.
#[derive(Debug, Clone)]
pub struct LaunchRequest {
    /// The course id of the launch URL.
    pub course_id: String,
    /// The usage id of the launch URL.
    pub usage_id: String,
    /// The URL the consumer signed (our public URL and the request path).
    pub url: String,
    /// Every form (and query) parameter, in order, repeats kept.
    pub params: Vec<(String, String)>,
}

/// A learner signed in by a launch (or by linking their LMS account to one).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Launched {
    /// The Vouch user now to be signed in.
    pub user: UserId,
    /// Whether the user was created by this launch.
    pub new_user: bool,
    /// Whether the user is verified already.
    pub verified: bool,
    /// Whether the user is verified or has a verification under review (then the status
    /// page is shown rather than the flow).
    pub show_status: bool,
    /// The `frame-ancestors` policy for this consumer.
    pub frame_ancestors: String,
}

/// What a verified launch leads to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The launch's user is known (or was created): sign them in.
    SignedIn(Launched),
    /// The consumer requires a user account and this LTI user has none yet: the learner
    /// must sign in with the LMS, then confirm the link ([`super::account_link`]). Nothing
    /// was linked; only the nonce (and a learnt GUID) were recorded.
    NeedsAccount {
        /// What the link needs, to be kept in the browser's session until then.
        pending: Box<PendingLink>,
        /// The `frame-ancestors` policy for this consumer.
        frame_ancestors: String,
    },
}

/// Why a launch was refused. Nothing was written.
#[derive(Debug, thiserror::Error)]
pub enum LaunchError {
    /// A parameter is missing or unusable (400).
    #[error(transparent)]
    Params(#[from] ParamError),
    /// A signature method other than HMAC-SHA1 (400).
    #[error("Only HMAC-SHA1 signatures are accepted, not {0:?}.")]
    SignatureMethod(String),
    /// No consumer has this key (401).
    #[error("Unknown OAuth consumer key.")]
    UnknownConsumer,
    /// The signature does not verify with the consumer's secret (401).
    #[error("The OAuth signature is not valid.")]
    BadSignature,
    /// `oauth_timestamp` is outside the window (401).
    #[error("The OAuth timestamp is too far from the current time.")]
    Stale,
    /// The nonce was used before (401).
    #[error("This OAuth nonce was already used.")]
    Replayed,
    /// The consumer requires a user account and this launch, which would need a link,
    /// carries no usable learner email to check the LMS account against (400).
    #[error(
        "This LMS requires learners to link their LMS account, and a link is checked against the launch's \
         lis_person_contact_email_primary, which this launch does not carry (or is not an email address). \
         Ask the LMS administrator to send learners' emails with LTI launches."
    )]
    LinkEmailMissing,
    /// The launch's instance GUID is not the consumer's (403).
    #[error("The tool_consumer_instance_guid does not match this consumer.")]
    GuidMismatch,
    /// The outcome service URL may not be used (400).
    #[error("lis_outcome_service_url is refused: {0}.")]
    OutcomeUrl(#[from] UrlError),
    /// Our side failed.
    #[error(transparent)]
    Internal(#[from] ServiceError),
}

impl From<StoreError> for LaunchError {
    fn from(e: StoreError) -> Self {
        Self::Internal(e.into())
    }
}

/// Verifies and records a launch; the caller then switches the session to the user.
#[tracing::instrument(skip_all, fields(lti.course = %req.course_id))]
pub async fn launch(services: &Services, req: &LaunchRequest) -> Result<Outcome, LaunchError> {
    let launch = params::parse(&req.params)?;
    if launch.signature_method != oauth::HMAC_SHA1 {
        return Err(LaunchError::SignatureMethod(launch.signature_method));
    }
    let cfg = &services.cfg.lti;
    let now = services.clock.now();
    if (now.timestamp() - launch.timestamp).abs() > cfg.timestamp_window_secs {
        return Err(LaunchError::Stale);
    }
    let consumer = {
        let mut conn = services.store.conn().await?;
        lti::consumer_by_key(&mut conn, &launch.consumer_key).await?.ok_or(LaunchError::UnknownConsumer)?
    };
    let uri = oauth::base_string_uri(&req.url).ok_or(LaunchError::BadSignature)?;
    let base = oauth::base_string("POST", &uri, &req.params);
    if !oauth::verify(consumer.secret.expose(), &base, &launch.signature) {
        return Err(LaunchError::BadSignature);
    }
    tracing::debug!(lti.consumer = consumer.id, "launch signature verified");
    if let (Some(known), Some(sent)) = (&consumer.instance_guid, &launch.instance_guid)
        && known != sent
    {
        return Err(LaunchError::GuidMismatch);
    }
    let outcome = match (&launch.outcome_service_url, &launch.result_sourcedid) {
        (Some(url), Some(sourcedid)) => {
            outcome_url::check_form(url, cfg, &consumer.allowed_outcome_hosts)?;
            Some((url.as_str(), sourcedid.as_str()))
        }
        _ => None,
    };

    let frame_ancestors = if consumer.frame_ancestors.is_empty() {
        cfg.frame_ancestors.clone()
    } else {
        consumer.frame_ancestors.clone()
    };
    // Only a consumer that opted in has its learners' names and emails read at all.
    let pii = if consumer.use_lti_pii { pii::from_person(&launch.person) } else { Pii::default() };
    // `require_user_account`: the email the link is checked against (never a lookup), read
    // whatever `use_lti_pii` says and kept in the browser's session only.
    let link_email = if consumer.require_user_account { pii::from_person(&launch.person).email } else { None };

    // Two first launches of one LTI user at once: the loser's insert fails on the unique
    // mapping and its transaction wrote nothing; once more finds the winner's user.
    let mut tries = 0;
    let recorded = loop {
        tries += 1;
        match record(services, req, &launch, &consumer, &pii, outcome, now).await {
            Err(LaunchError::Internal(ServiceError::Store(StoreError::Duplicate(_)))) if tries < 3 => continue,
            other => break other,
        }
    }?;
    match recorded {
        Recorded::User { user, new_user, assignment } => {
            let (verified, show_status) = settle(services, user, assignment).await?;
            Ok(Outcome::SignedIn(Launched { user, new_user, verified, show_status, frame_ancestors }))
        }
        Recorded::NeedsAccount => Ok(Outcome::NeedsAccount {
            pending: Box::new(PendingLink {
                consumer: consumer.id,
                consumer_name: consumer.name.clone(),
                lti_user_id: launch.user_id.clone(),
                course_id: req.course_id.clone(),
                usage_id: req.usage_id.clone(),
                outcome: outcome.map(|(u, s)| (u.to_owned(), s.to_owned())),
                pii,
                email: link_email.unwrap_or_default(),
            }),
            frame_ancestors,
        }),
    }
}

/// What [`record`] wrote.
enum Recorded {
    /// The launch's user, and its graded assignment when the launch carried one.
    User { user: UserId, new_user: bool, assignment: Option<i64> },
    /// No user: the consumer requires an account, and the learner must link one.
    NeedsAccount,
}

/// After the launch's writes: the learner's status, read like every other read through the
/// `IDVerificationAttemptsRequested` filters ([`idv::verifications_for_user`]); and, for a
/// learner verified already, the grade a graded resource is owed when no result was ever
/// queued for it (its first launch; or a later one, if the process stopped between the
/// launch's commit and this). Returns (verified, show_status).
pub(super) async fn settle(
    services: &Services,
    user: UserId,
    assignment: Option<i64>,
) -> Result<(bool, bool), LaunchError> {
    let attempts = idv::verifications_for_user(services, user).await?;
    let (now, policy) = (services.clock.now(), services.policy());
    let verified = id_verification::user_is_verified(&attempts, now, &policy);
    let show_status = id_verification::user_has_valid_or_pending(&attempts, now, &policy);
    if verified && let Some(assignment) = assignment {
        let mut tx = services.store.begin().await?;
        if lti::never_queued(&mut tx, assignment).await? {
            lti::queue_passback(&mut tx, assignment, services.cfg.lti.outcome_max_attempts, now).await?;
        }
        tx.commit().await.map_err(StoreError::from)?;
    }
    Ok((verified, show_status))
}

/// Records the graded assignment of `user` (when the launch carried an outcome service) in
/// the caller's transaction; `None` when there is none, or the sourcedid is another
/// learner's.
pub(super) async fn record_assignment(
    tx: &mut store::Conn,
    consumer: i64,
    user: UserId,
    course_id: &str,
    usage_id: &str,
    outcome: Option<(&str, &str)>,
    now: chrono::DateTime<Utc>,
) -> Result<Option<i64>, LaunchError> {
    let Some((url, sourcedid)) = outcome else { return Ok(None) };
    let service = lti::outcome_service(&mut *tx, consumer, url).await?;
    let new =
        lti::NewAssignment { user, course_key: course_id, usage_key: usage_id, outcome_service: service, sourcedid };
    let (assignment, owner, _) = lti::record_assignment(&mut *tx, &new, now).await?;
    if owner != user {
        tracing::warn!(lti.assignment = assignment, "a launch reused another learner's sourcedid; ignored");
        return Ok(None);
    }
    Ok(Some(assignment))
}

/// Fills the empty parts of the user's profile from the launch (consumers with
/// `use_lti_pii` only: for the others `pii` is empty).
pub(super) async fn fill_profile(tx: &mut store::Conn, user: UserId, pii: &Pii) -> Result<(), LaunchError> {
    if pii.is_empty() {
        return Ok(());
    }
    let (name, email) = lti::fill_empty_profile(tx, user, pii.full_name.as_deref(), pii.email.as_deref()).await?;
    // Which fields, never their values (personal data stays out of logs).
    tracing::info!(user.id = %user, filled_name = name, filled_email = email, "LTI profile filled");
    Ok(())
}

/// The writes of a verified launch, in one transaction.
async fn record(
    services: &Services,
    req: &LaunchRequest,
    launch: &params::Launch,
    consumer: &lti::Consumer,
    pii: &Pii,
    outcome: Option<(&str, &str)>,
    now: chrono::DateTime<Utc>,
) -> Result<Recorded, LaunchError> {
    let cfg = &services.cfg.lti;
    let mut tx = services.store.begin().await?;
    // A nonce must be kept as long as its timestamp could still pass the window.
    let keep_until = now + Duration::seconds(2 * cfg.timestamp_window_secs.max(1));
    if !lti::remember_nonce(&mut tx, consumer.id, &launch.nonce, now, keep_until).await? {
        return Err(LaunchError::Replayed);
    }
    if consumer.instance_guid.is_none()
        && let Some(guid) = &launch.instance_guid
    {
        match lti::learn_instance_guid(&mut tx, consumer.id, guid).await {
            Ok(_) => {}
            // Another consumer already has this GUID: the launch is not who it claims.
            Err(StoreError::Duplicate(_)) => return Err(LaunchError::GuidMismatch),
            Err(e) => return Err(e.into()),
        }
    }
    let (user, new_user) = match lti::user_for(&mut tx, consumer.id, &launch.user_id).await? {
        Some(u) => (u, false),
        // Open edX `require_user_account`: never an anonymous account, and never a link
        // found by email; the learner signs in with the LMS and confirms the link.
        // Without the launch's email no LMS account could be checked against it: refused
        // before the commit, so nothing (not even the nonce) is stored.
        None if consumer.require_user_account && pii::from_person(&launch.person).email.is_none() => {
            return Err(LaunchError::LinkEmailMissing);
        }
        None if consumer.require_user_account => {
            tx.commit().await.map_err(StoreError::from)?;
            return Ok(Recorded::NeedsAccount);
        }
        None => {
            let user = users::create_lti_user(&mut tx, now).await?;
            lti::link_user(&mut tx, consumer.id, &launch.user_id, user.id, now).await?;
            (user.id, true)
        }
    };
    fill_profile(&mut tx, user, pii).await?;
    let assignment = record_assignment(&mut tx, consumer.id, user, &req.course_id, &req.usage_id, outcome, now).await?;
    tx.commit().await.map_err(StoreError::from)?;
    Ok(Recorded::User { user, new_user, assignment })
}
