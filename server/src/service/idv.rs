//! The verification service (Open edX `IDVerificationService`): what every other part —
//! REST, LTI, certificates — asks about a learner. Loads the learner's verifications of
//! every kind and lets the pure domain decide.

use super::{ServiceResult, Services};
use crate::{
    service::filters::{AttemptsRequested, UrlRequested},
    store::verifications,
};
use app::domain::{
    UserId, UserStatus, Verification,
    id_verification::{self, Expiration},
    user_status::user_status as decide_status,
};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use std::{borrow::Cow, sync::Arc};

/// What Open edX's `urllib.parse.quote()` encodes in a course id: all but letters, digits,
/// `-._~` and `/` (`course-v1:Org+X+1` becomes `course-v1%3AOrg%2BX%2B1`), so the LMS
/// gets the URL it would build itself.
pub const OPEN_EDX_QUOTE: &AsciiSet =
    &NON_ALPHANUMERIC.remove(b'-').remove(b'.').remove(b'_').remove(b'~').remove(b'/');

/// Whether a read may be answered from the status cache.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Read {
    /// From the database: what a decision that writes (a job, a door check, a grade sent to
    /// an LMS) must read. Reports (the batch endpoints, the grade report) may read cached.
    Fresh,
    /// From the status cache when it may serve (within `cache.max_stale_ms` of every
    /// change): what a status read over HTTP may show.
    Cached,
}

/// `user`'s records as stored, from the cache when `read` allows and it has them. Every
/// database read stores what it found, unless a change to `user` raced it.
/// Shared, not copied: copying a learner's records (a handful of strings each) on every
/// cached read was most of its allocations (perf).
async fn records(services: &Services, user: UserId, read: Read) -> ServiceResult<Arc<Vec<Verification>>> {
    let cache = &services.status_cache;
    if read == Read::Cached
        && let Some(found) = cache.records(user)
    {
        return Ok(found);
    }
    let ticket = cache.ticket();
    let found = {
        let mut conn = services.store.conn().await?;
        Arc::new(verifications::for_user(&mut conn, user).await?)
    };
    cache.store_records(user, ticket, found.clone());
    Ok(found)
}

/// Every verification of `user`, of every kind, newest first, after the
/// `IDVerificationAttemptsRequested` pipeline (every read below goes through here).
pub async fn verifications_for_user(services: &Services, user: UserId) -> ServiceResult<Vec<Verification>> {
    verifications_read(services, user, Read::Fresh).await.map(Arc::unwrap_or_clone)
}

async fn verifications_read(services: &Services, user: UserId, read: Read) -> ServiceResult<Arc<Vec<Verification>>> {
    let found = records(services, user, read).await?;
    if services.cfg.filters.attempts_requested.is_empty() {
        return Ok(found);
    }
    let request =
        AttemptsRequested { verifications: Arc::unwrap_or_clone(found), users: vec![user], ..Default::default() };
    let mut out = services.filters.attempts_requested(services, request).await.data.verifications;
    // Steps may add records: keep the newest-first order every reader expects.
    out.sort_by_key(|v| std::cmp::Reverse((v.created_at, v.id)));
    Ok(Arc::new(out))
}

/// [`verifications_for_user`] as a reader sees them: a learner (`staff` false) never sees a
/// generic attempt a plugin hid (`hide_status_from_user`); staff see every one. The one
/// place every learner-facing read (`/api/v1`, `/verify_student/status/`, the accounts
/// endpoints) applies that rule.
pub async fn verifications_visible_to(
    services: &Services,
    user: UserId,
    staff: bool,
) -> ServiceResult<Vec<Verification>> {
    visible_read(services, user, staff, Read::Fresh).await
}

async fn visible_read(services: &Services, user: UserId, staff: bool, read: Read) -> ServiceResult<Vec<Verification>> {
    let mut all = Arc::unwrap_or_clone(verifications_read(services, user, read).await?);
    all.retain(|v| v.visible_to(staff));
    Ok(all)
}

/// The learner's status (`user_status`).
#[tracing::instrument(skip_all, fields(user.id = %user))]
pub async fn user_status(services: &Services, user: UserId) -> ServiceResult<UserStatus> {
    status_read(services, user, Read::Fresh).await
}

async fn status_read(services: &Services, user: UserId, read: Read) -> ServiceResult<UserStatus> {
    let attempts = verifications_read(services, user, read).await?;
    Ok(decide_status(&attempts, services.clock.now(), &services.policy(), &services.cfg.platform.name))
}

/// What the learner themself is told (`GET /verify_student/status/`), from one read of
/// their verifications (reading twice was one of its three database round trips, see
/// BENCHMARKS.md): the status and the expiration of the newest verification in one of
/// `statuses`, both judged on the records the learner may see
/// ([`verifications_visible_to`]), and whether they may verify now, judged on every record
/// as the submit doors judge it, so it is never offered when a door would refuse.
#[tracing::instrument(skip_all, fields(user.id = %user))]
pub async fn user_status_and_expiration(
    services: &Services,
    user: UserId,
    statuses: &[&str],
) -> ServiceResult<(UserStatus, Option<Expiration>, bool)> {
    status_and_expiration_read(services, user, statuses, Read::Fresh).await
}

async fn status_and_expiration_read(
    services: &Services,
    user: UserId,
    statuses: &[&str],
    read: Read,
) -> ServiceResult<(UserStatus, Option<Expiration>, bool)> {
    let all = verifications_read(services, user, read).await?;
    let (now, policy, platform) = (services.clock.now(), services.policy(), &services.cfg.platform.name);
    let door = decide_status(&all, now, &policy, platform).can_verify;
    // What the learner may see: usually everything, then no copy.
    let seen: Cow<'_, [Verification]> = if all.iter().all(|v| v.visible_to(false)) {
        Cow::Borrowed(&all)
    } else {
        Cow::Owned(all.iter().filter(|v| v.visible_to(false)).cloned().collect())
    };
    let status = decide_status(&seen, now, &policy, platform);
    Ok((status, id_verification::get_expiration_datetime(&seen, statuses, &policy), door))
}

/// The reads an HTTP status request makes, answered from the status cache when it may serve
/// (see `crate::status_cache`): the same functions, the same filters and visibility rules,
/// the same decisions at the current time, only the learner's stored records may come from
/// memory. Never for a decision that writes (a door check, a job, a grade): those use the
/// functions above, which always read the database.
pub mod cached {
    use super::*;

    /// [`super::user_status`], from the cache when it may serve.
    pub async fn user_status(services: &Services, user: UserId) -> ServiceResult<UserStatus> {
        status_read(services, user, Read::Cached).await
    }

    /// [`super::user_status_and_expiration`], from the cache when it may serve.
    pub async fn user_status_and_expiration(
        services: &Services,
        user: UserId,
        statuses: &[&str],
    ) -> ServiceResult<(UserStatus, Option<Expiration>, bool)> {
        status_and_expiration_read(services, user, statuses, Read::Cached).await
    }

    /// [`super::verifications_visible_to`], from the cache when it may serve.
    pub async fn verifications_visible_to(
        services: &Services,
        user: UserId,
        staff: bool,
    ) -> ServiceResult<Vec<Verification>> {
        visible_read(services, user, staff, Read::Cached).await
    }

    /// [`super::get_verified_user_ids`]: learners the cache holds are decided from it, the
    /// rest in the batched queries.
    pub async fn get_verified_user_ids(services: &Services, users: &[UserId]) -> ServiceResult<Vec<UserId>> {
        if !services.cfg.filters.attempts_requested.is_empty() || !services.status_cache.serving() {
            return super::get_verified_user_ids(services, users).await;
        }
        let (now, policy) = (services.clock.now(), services.policy());
        let mut out = Vec::new();
        let mut missing = Vec::new();
        for &u in users {
            match services.status_cache.records(u) {
                Some(r) => {
                    // The batch question's own rule (any unexpired approval, as the SQL of the
                    // uncached path and Open edX's `get_verified_user_ids`), not the learner's
                    // status rule, so a cached learner answers as an uncached one.
                    if !id_verification::verified_user_ids(&r, now, &policy).is_empty() {
                        out.push(u);
                    }
                }
                None => missing.push(u),
            }
        }
        if !missing.is_empty() {
            out.extend(super::get_verified_user_ids(services, &missing).await?);
        }
        out.sort_unstable();
        out.dedup();
        Ok(out)
    }
}

/// Whether the learner is verified now (`user_is_verified`).
pub async fn user_is_verified(services: &Services, user: UserId) -> ServiceResult<bool> {
    let attempts = verifications_for_user(services, user).await?;
    Ok(id_verification::user_is_verified(&attempts, services.clock.now(), &services.policy()))
}

/// Whether the learner has a valid or pending verification (`user_has_valid_or_pending`).
pub async fn user_has_valid_or_pending(services: &Services, user: UserId) -> ServiceResult<bool> {
    let attempts = verifications_for_user(services, user).await?;
    Ok(id_verification::user_has_valid_or_pending(&attempts, services.clock.now(), &services.policy()))
}

/// The expiration of the newest verification in one of `statuses` (`get_expiration_datetime`).
pub async fn get_expiration_datetime(
    services: &Services,
    user: UserId,
    statuses: &[&str],
) -> ServiceResult<Option<Expiration>> {
    let attempts = verifications_for_user(services, user).await?;
    Ok(id_verification::get_expiration_datetime(&attempts, statuses, &services.policy()))
}

/// The users among `users` who are verified now, in batched queries (`get_verified_user_ids`).
pub async fn get_verified_user_ids(services: &Services, users: &[UserId]) -> ServiceResult<Vec<UserId>> {
    if !services.cfg.filters.attempts_requested.is_empty() {
        // Filters work on records, not SQL: decide learner by learner (slower, but exact).
        let mut out = Vec::new();
        for &u in users {
            if user_is_verified(services, u).await? {
                out.push(u);
            }
        }
        out.sort_unstable();
        out.dedup();
        return Ok(out);
    }
    let mut conn = services.store.conn().await?;
    Ok(verifications::verified_user_ids(&mut conn, users, services.clock.now(), services.policy().days_good_for)
        .await?)
}

/// The grade-report string for a learner enrolled in `mode` (`verification_status_for_user`).
pub async fn verification_status_for_user(
    services: &Services,
    user: UserId,
    mode: &str,
    is_verified: Option<bool>,
) -> ServiceResult<&'static str> {
    if !id_verification::VERIFIED_MODES.contains(&mode) {
        return Ok(id_verification::verification_status_for_user(false, mode));
    }
    let verified = match is_verified {
        Some(v) => v,
        None => user_is_verified(services, user).await?,
    };
    Ok(id_verification::verification_status_for_user(verified, mode))
}

/// Where a learner verifies (`get_verify_location`): the SPA's entry, with the course,
/// after the `IDVerificationURLRequested` pipeline (which may point elsewhere).
pub async fn get_verify_location(services: &Services, course_id: Option<&str>) -> String {
    get_verify_location_for(services, None, course_id).await
}

/// [`get_verify_location`] for a known learner (filter steps may answer per learner).
pub async fn get_verify_location_for(services: &Services, user: Option<UserId>, course_id: Option<&str>) -> String {
    let base = services.cfg.server.public_url.trim_end_matches('/');
    let url = match course_id {
        Some(c) => format!("{base}{}?course_id={}", app::routes::HOME, utf8_percent_encode(c, OPEN_EDX_QUOTE)),
        None => format!("{base}{}", app::routes::HOME),
    };
    let request = UrlRequested { url, course_id: course_id.map(str::to_owned), user };
    services.filters.url_requested(services, request).await.data.url
}
