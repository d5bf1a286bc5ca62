//! Submitting photos: validate, seal and store the photos, create the attempt in `ready`
//! and queue its submission to the vendor, in one transaction.

use app::domain::images;

use super::{Conflict, ServiceError, ServiceResult, Services, idv, photo_data_url, queue::ss_submit};
use crate::{
    config::vendors::IN_HOUSE,
    store::{
        StoreError,
        attempts::{self, NewPhotoVerification},
        transitions::Actor,
        users, verifications,
    },
    vault::sealed::{self, PhotoKind, Sealed},
};
use app::{
    domain::{
        AttemptId, AttemptKind, UserId,
        photo_lifecycle::{self, PhotoOp, PhotoReview},
        reverify::verify_now,
        user_status::user_status,
    },
    dto::{NameError, SubmitPhotosRequest, validate_full_name},
};
use chrono::Duration;

pub use app::dto::MAX_NAME_CHARS;

/// The check every door that starts a verification for a learner makes first, before it
/// reads a photo, stores anything or calls a vendor: Open edX's `can_verify_now` (from the
/// pure domain, the same answer the SPA's status page shows), then the per-learner daily
/// cap `limits.submit_per_user_per_day`, counted from the attempts stored in the last 24
/// hours (so it holds across restarts and replicas, unlike the per-process rate limit).
#[tracing::instrument(skip_all, fields(user.id = %user))]
pub async fn ensure_can_start(services: &Services, user: UserId) -> ServiceResult<()> {
    let now = services.clock.now();
    let policy = services.policy();
    // The status as every reader sees it (after the filter pipeline).
    let seen = idv::verifications_for_user(services, user).await?;
    let status = user_status(&seen, now, &policy, &services.cfg.platform.name);
    if let Some(why) = verify_now(&status, now, &policy).refusal() {
        return Err(ServiceError::CannotVerifyNow(why));
    }
    let cap = services.cfg.limits.submit_per_user_per_day;
    if cap == 0 {
        return Ok(());
    }
    // The stored attempts themselves: a filter step may hide records, never the learner's own submissions.
    let stored = verifications::for_user(&mut *services.store.conn().await?, user).await?;
    let since = now - Duration::hours(24);
    let recent = stored
        .iter()
        .filter(|v| matches!(v.kind, AttemptKind::Photo | AttemptKind::Generic) && v.created_at > since)
        .count();
    if recent >= cap as usize {
        return Err(ServiceError::TooManyAttempts(format!(
            "You have started {recent} verifications in the last 24 hours, the most allowed. Please try again tomorrow."
        )));
    }
    Ok(())
}

/// Validates the photos and the name, refuses a learner who may not verify now
/// ([`ensure_can_start`]), seals and stores the photos, and creates an attempt
/// for `user` that is `ready`, with its submission queued. Either everything is stored or
/// nothing is: on a database failure the photos just written are removed again.
///
/// Without `photo_id_image`, the ID photo of the learner's latest approved attempt is
/// reused (`copy_id_photo_from`); without one, the request is refused. A `full_name`
/// different from the account's updates the account's name.
#[tracing::instrument(skip_all, fields(user.id = %user))]
pub async fn submit_photos(
    services: &Services,
    user: UserId,
    request: SubmitPhotosRequest,
) -> ServiceResult<AttemptId> {
    submit_photos_to(services, user, request, Destination::SoftwareSecure).await
}

/// Who decides a submitted attempt, which decides the key its photos are sealed for and
/// what happens once it is stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Destination {
    /// Software Secure: sealed for the vendor's key, its submission queued as a job.
    SoftwareSecure,
    /// In-house review: sealed for the review key pair, `submitted` at once and queued for
    /// a reviewer (`service::review`).
    InHouse,
}

/// [`submit_photos`] for `destination`.
#[tracing::instrument(skip_all, fields(user.id = %user))]
pub async fn submit_photos_to(
    services: &Services,
    user: UserId,
    request: SubmitPhotosRequest,
    destination: Destination,
) -> ServiceResult<AttemptId> {
    // A course whose verification deadline has passed takes nothing: refused before a photo
    // is even decoded.
    let course_key = request.course_key.clone().filter(|c| !c.is_empty());
    if let Some(course) = &course_key {
        super::courses::ensure_open(services, course).await?;
    }
    let max = services.cfg.server.max_photo_bytes;
    let (face_url, id_url) = (request.face_image, request.photo_id_image.filter(|s| !s.is_empty()));
    // Decoding a megabyte of base64 and checking the image is CPU work too: off the async
    // workers, like the sealing below.
    let (face, photo_id) = crate::cpu_work::run(move || -> Result<_, images::ImageError> {
        let (_, face) = photo_data_url::decode("face photo", &face_url, max)?;
        let id = id_url.map(|url| photo_data_url::decode("ID photo", &url, max).map(|(_, bytes)| bytes)).transpose()?;
        Ok((face, id))
    })
    .await?
    .map_err(image_error)?;
    let name = request.full_name.as_deref().map(validate_name).transpose()?;
    let sealing_key = match destination {
        Destination::SoftwareSecure => services.keys.vendor_public.clone(),
        Destination::InHouse => services.keys.review_public.clone(),
    };
    let Some(vendor_key) = sealing_key else {
        return Err(ServiceError::NotConfigured(match destination {
            Destination::SoftwareSecure => {
                "software_secure.rsa_public_key (VOUCH_SOFTWARE_SECURE__RSA_PUBLIC_KEY) is missing: photos are \
                 encrypted for the vendor with it; set it to the vendor's RSA public key (PEM)"
            }
            Destination::InHouse => {
                "review.rsa_public_key (VOUCH_REVIEW__RSA_PUBLIC_KEY) is missing: in_house photos are sealed with it"
            }
        }));
    };

    let (account, earlier) = {
        let mut conn = services.store.conn().await?;
        let account =
            users::by_id(&mut conn, user).await?.filter(|u| u.is_active).ok_or(ServiceError::Unauthenticated)?;
        let earlier = match photo_id {
            Some(_) => None,
            None => Some(reusable_id_photo(services, &mut conn, user, destination).await?.ok_or_else(|| {
                ServiceError::InvalidImage(
                    "the ID photo is missing, and there is no earlier approved one recent enough to reuse".into(),
                )
            })?),
        };
        (account, earlier)
    };
    // A well-formed request from a learner who may not verify now stops here: nothing sealed,
    // stored or sent.
    ensure_can_start(services, user).await?;
    let name_changed = name.as_ref().is_some_and(|n| *n != account.full_name);
    let name = name.unwrap_or_else(|| {
        if account.full_name.is_empty() { account.username.clone() } else { account.full_name.clone() }
    });

    // Sealing a multi-megabyte photo is CPU work: off the async workers, at a lower priority
    // than the database's turn holders (`cpu_work`).
    let (face, id) = crate::cpu_work::run(move || -> Result<(Sealed, Option<Sealed>), ssencrypt::CryptoError> {
        let face = sealed::seal(&face, PhotoKind::Face, &vendor_key)?;
        let id = photo_id.map(|p| sealed::seal(&p, PhotoKind::PhotoId, &vendor_key)).transpose()?;
        Ok((face, id))
    })
    .await??;

    let receipt_id = uuid::Uuid::new_v4().to_string();
    let face_key = format!("{}/{receipt_id}", PhotoKind::Face.prefix());
    let id_key = id.as_ref().map(|_| format!("{}/{receipt_id}", PhotoKind::PhotoId.prefix()));
    services.vault.put(&face_key, face.text.into_bytes()).await?;
    if let (Some(key), Some(sealed)) = (&id_key, &id)
        && let Err(e) = services.vault.put(key, sealed.text.clone().into_bytes()).await
    {
        remove_photos(services, &[Some(&face_key)]).await;
        return Err(e.into());
    }

    let (photo_id_image_ref, photo_id_key, copy_id_photo_from) = match (id_key.clone(), id, earlier) {
        (Some(key), Some(sealed), _) => (Some(key), sealed.wrapped_key, None),
        (_, _, Some(old)) => (old.photo_id_image_ref, old.photo_id_key, Some(old.id)),
        _ => return Err(ServiceError::InvalidImage("the ID photo is missing".into())),
    };
    let new = NewPhotoVerification {
        uuid: uuid::Uuid::new_v4().to_string(),
        user_id: user,
        name: name.clone(),
        receipt_id,
        face_image_ref: Some(face_key.clone()),
        photo_id_image_ref,
        photo_id_key,
        user_photo_key: face.wrapped_key,
        copy_id_photo_from,
        course_key,
    };
    match create_ready(services, &new, name_changed.then_some(name.as_str()), destination).await {
        Ok(id) => Ok(id),
        Err(e) => {
            remove_photos(services, &[Some(&face_key), id_key.as_ref()]).await;
            Err(e)
        }
    }
}

/// The approved attempt whose ID photo a new attempt may reuse: the newest approved one with
/// its own ID photo, created within `days_good_for` (Open edX's `get_initial_verification`
/// with its earliest allowed date), sealed for `destination`'s key pair. An older ID photo,
/// or one sealed for the other key pair (the operator switched vendors since), is never
/// reused: the learner takes a new one.
pub async fn reusable_id_photo(
    services: &Services,
    conn: &mut crate::store::Conn,
    user: UserId,
    destination: Destination,
) -> ServiceResult<Option<attempts::PhotoVerification>> {
    let since = services.clock.now() - Duration::days(services.policy().days_good_for);
    Ok(attempts::latest_approved_with_photo_id(conn, user, since, destination == Destination::InHouse).await?)
}

/// The destination of a camera-flow attempt submitted now: in-house review when the
/// deployment's vendor is `in_house`, Software Secure otherwise.
pub fn configured_destination(services: &Services) -> Destination {
    if services.cfg.idv.vendor == IN_HOUSE { Destination::InHouse } else { Destination::SoftwareSecure }
}

async fn create_ready(
    services: &Services,
    new: &NewPhotoVerification,
    new_name: Option<&str>,
    destination: Destination,
) -> ServiceResult<AttemptId> {
    let now = services.clock.now();
    let actor = Actor::Learner(new.user_id);
    let created = PhotoReview::created();
    let ready = photo_lifecycle::apply(&PhotoOp::MarkReady, &created, now, &services.policy())
        .map_err(Conflict::from)?
        .ok_or(Conflict::NewAttemptNotReady)?;
    let mut tx = services.store.begin().await?;
    let id = attempts::insert(&mut tx, new, &actor, now).await?;
    if !attempts::save_review(&mut tx, id, created.status, &ready, &actor, "photos uploaded", now).await? {
        return Err(Conflict::ChangedBeforeReady.into());
    }
    if let Some(name) = new_name {
        users::set_full_name(&mut tx, new.user_id, name).await?;
    }
    match destination {
        Destination::SoftwareSecure => {
            ss_submit::enqueue(&mut tx, services, id, now).await?;
        }
        Destination::InHouse => {
            // Nothing to send anywhere: the attempt is with its reviewers as soon as it is stored.
            let submitted = photo_lifecycle::apply(&PhotoOp::MarkSubmit, &ready, now, &services.policy())
                .map_err(Conflict::from)?
                .ok_or(Conflict::ReadyAttemptNotSubmitted)?;
            let vendor = Actor::Vendor(IN_HOUSE.into());
            if !attempts::save_review(&mut tx, id, ready.status, &submitted, &vendor, "queued for review", now).await? {
                return Err(Conflict::ChangedBeforeQueued.into());
            }
            crate::store::reviews::enqueue(&mut tx, id, &new.receipt_id, new.user_id, now).await?;
        }
    }
    tx.commit().await.map_err(StoreError::from)?;
    Ok(id)
}

async fn remove_photos(services: &Services, keys: &[Option<&String>]) {
    for key in keys.iter().flatten() {
        if let Err(e) = services.vault.delete(key).await {
            tracing::error!(error = %e, "could not remove an orphaned photo");
        }
    }
}

fn image_error(e: images::ImageError) -> ServiceError {
    match e {
        images::ImageError::TooLarge { .. } => ServiceError::TooLarge(e.to_string()),
        _ => ServiceError::InvalidImage(e.to_string()),
    }
}

/// The name as on the ID: trimmed, 1 to [`MAX_NAME_CHARS`] characters, no control characters
/// (the rule lives in `app::dto` so the SPA checks names the same way before submitting).
pub fn validate_name(name: &str) -> ServiceResult<String> {
    validate_full_name(name).map_err(|e| {
        ServiceError::Invalid(match e {
            NameError::Empty => "The name cannot be empty.".into(),
            NameError::TooLong => format!("The name must be at most {MAX_NAME_CHARS} characters."),
            NameError::BadChars => "The name contains characters that are not allowed.".into(),
        })
    })
}

#[cfg(test)]
mod tests {
    use super::validate_name;

    #[test]
    fn names() {
        assert_eq!(validate_name("  Ada Lovelace ").ok().as_deref(), Some("Ada Lovelace"));
        assert!(validate_name("   ").is_err());
        assert!(validate_name(&"x".repeat(256)).is_err());
        assert!(validate_name("a\u{0}b").is_err());
        assert_eq!(validate_name("Zoë Ñúñez 李").ok().as_deref(), Some("Zoë Ñúñez 李"));
    }
}
