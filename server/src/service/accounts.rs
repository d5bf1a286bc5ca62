//! Accounts as the edges see them: the REST API and staff tools (lookups, search), sign-in
//! (the LMS token's user, dev login, the session's user) and the operator's commands
//! (staff accounts, demo learners).

use super::{ServiceError, ServiceResult, Services};
use crate::store::{
    attempts,
    users::{self, LmsProfile, LmsUserError, User},
};
use app::domain::UserId;
use std::collections::HashMap;

/// The user named `username`.
pub async fn by_username(services: &Services, username: &str) -> ServiceResult<User> {
    let mut conn = services.store.conn().await?;
    users::by_username(&mut conn, username).await?.ok_or(ServiceError::NotFound)
}

/// The user with id `id`, if there is one (disabled accounts included: the caller decides).
pub async fn by_id(services: &Services, id: UserId) -> ServiceResult<Option<User>> {
    let mut conn = services.store.conn().await?;
    Ok(users::by_id(&mut conn, id).await?)
}

/// The accounts whose email is `email` (case-insensitive), oldest first. An email filled in
/// from an LTI launch matches none: the LMS never proved it.
pub async fn by_email(services: &Services, email: &str) -> ServiceResult<Vec<User>> {
    let mut conn = services.store.conn().await?;
    Ok(users::by_email(&mut conn, email).await?)
}

/// Users whose username or email starts with `prefix`, one page, and the total.
pub async fn search(services: &Services, prefix: &str, offset: i64, limit: i64) -> ServiceResult<(Vec<User>, i64)> {
    if prefix.chars().count() > 254 {
        return Err(ServiceError::Invalid("The search text is too long.".into()));
    }
    let mut conn = services.store.conn().await?;
    Ok(users::search(&mut conn, prefix, offset, limit).await?)
}

/// The receipt id of each of the learner's photo attempts, by attempt uuid. The receipt id
/// (not the uuid) is what the vendor knows (`EdX-ID`), what photo URLs and the staff decrypt
/// endpoints look up, so it is what support tools are given as `receipt_id`.
pub async fn photo_receipt_ids(services: &Services, user: UserId) -> ServiceResult<HashMap<String, String>> {
    let mut conn = services.store.conn().await?;
    Ok(attempts::for_user(&mut conn, user).await?.into_iter().map(|a| (a.uuid, a.receipt_id)).collect())
}

/// The message of a sign-in refused because the LMS's username is a local account's.
pub const LMS_USERNAME_TAKEN: &str = "This username belongs to another Vouch account, one the LMS did not create, so \
                                      the LMS cannot sign in as it. Ask the operator.";

/// The Vouch user of an LMS token's profile: created at the first sign-in, updated when the
/// profile changed, read only otherwise. A username held by an account the LMS did not
/// create is a conflict ([`LMS_USERNAME_TAKEN`]): the LMS never takes over a local account.
#[tracing::instrument(skip_all, fields(lms.user_id = profile.lms_user_id))]
pub async fn sign_in_from_lms(services: &Services, profile: &LmsProfile<'_>) -> ServiceResult<User> {
    let mut conn = services.store.conn().await?;
    let known = users::lms_user_if_unchanged(&mut conn, profile).await?;
    // Back to the pool before anything else asks for one: a request holding a connection
    // while it waits for a second starves the pool under a burst of sign-ins.
    drop(conn);
    if let Some(user) = known {
        return Ok(user);
    }
    // A first sign-in or a changed profile writes, in this process's write turn (SQLite),
    // so it neither waits in SQLite's busy handler nor makes others.
    let mut conn = services.store.write_conn().await?;
    users::upsert_from_lms(&mut conn, profile, services.clock.now()).await.map_err(|e| match e {
        LmsUserError::UsernameTaken => ServiceError::Conflict(super::Conflict::LmsUsernameTaken),
        LmsUserError::Store(s) => s.into(),
    })
}

/// What dev login may do with a username.
#[derive(Debug)]
pub enum DevLogin {
    /// Sign in as this learner (created if new).
    Learner(User),
    /// The account is staff: dev login never signs one in (staff sign in through the LMS),
    /// so a dev login left on cannot hand out staff rights.
    StaffRefused,
}

/// The learner dev login signs in as `username` (created if missing), unless it is staff.
pub async fn dev_login(services: &Services, username: &str) -> ServiceResult<DevLogin> {
    let mut conn = services.store.conn().await?;
    if users::by_username(&mut conn, username).await?.is_some_and(|u| u.is_staff) {
        return Ok(DevLogin::StaffRefused);
    }
    Ok(DevLogin::Learner(users::get_or_create(&mut conn, username, services.clock.now()).await?))
}

/// A staff account named `username` (created if missing, its email set when given): the
/// operator's `vouch create-staff` and the demo data.
#[tracing::instrument(skip_all)]
pub async fn ensure_staff(services: &Services, username: &str, email: Option<&str>) -> ServiceResult<User> {
    let mut conn = services.store.conn().await?;
    let user = users::ensure(&mut conn, username, email, services.clock.now()).await?;
    users::set_staff(&mut conn, user.id, true).await?;
    Ok(user)
}

/// An account named `username` with `email` and the profile name `full_name` (created if
/// missing, updated otherwise): the demo data's learners.
#[tracing::instrument(skip_all)]
pub async fn ensure_with_name(
    services: &Services,
    username: &str,
    email: &str,
    full_name: &str,
) -> ServiceResult<User> {
    let mut conn = services.store.conn().await?;
    let user = users::ensure(&mut conn, username, Some(email), services.clock.now()).await?;
    users::set_full_name(&mut conn, user.id, full_name).await?;
    Ok(user)
}
