//! Submitting photos: validate, store the photos, create the attempt in `ready`.

use super::{ServiceError, ServiceResult, Services, images};
use crate::store::{
    StoreError,
    attempts::{self, NewPhotoVerification},
    transitions::Actor,
    users,
};
use app::{
    domain::{
        AttemptId, UserId,
        photo_lifecycle::{self, PhotoOp, PhotoReview},
    },
    dto::SubmitPhotosRequest,
};

/// The longest name accepted, in characters (Open edX's profile name limit).
pub const MAX_NAME_CHARS: usize = 255;

/// Validates the photos and the name, stores the photos, and creates an attempt for `user`
/// that is `ready` to be sent. Either everything is stored or nothing is: on a database
/// failure the photos just written are removed again.
#[tracing::instrument(skip_all, fields(user.id = %user))]
pub async fn submit_photos(
    services: &Services,
    user: UserId,
    request: SubmitPhotosRequest,
) -> ServiceResult<AttemptId> {
    let max = services.cfg.server.max_photo_bytes;
    let (_, face) = images::decode_data_url("face photo", &request.face_image, max).map_err(image_error)?;
    let photo_id = request
        .photo_id_image
        .as_deref()
        .map(|url| images::decode_data_url("ID photo", url, max).map(|(_, b)| b).map_err(image_error))
        .transpose()?;
    let name = request.full_name.as_deref().map(validate_name).transpose()?;

    let account = {
        let mut conn = services.store.conn().await?;
        users::by_id(&mut conn, user).await?.filter(|u| u.is_active).ok_or(ServiceError::Unauthenticated)?
    };
    let name = name.unwrap_or_else(|| {
        if account.full_name.is_empty() { account.username.clone() } else { account.full_name.clone() }
    });

    let uuid = uuid::Uuid::new_v4().to_string();
    let face_key = format!("photos/{uuid}/face");
    let id_key = photo_id.as_ref().map(|_| format!("photos/{uuid}/photo_id"));
    services.vault.put(&face_key, face).await?;
    if let (Some(key), Some(bytes)) = (&id_key, photo_id)
        && let Err(e) = services.vault.put(key, bytes).await
    {
        remove_photos(services, &[Some(&face_key)]).await;
        return Err(e.into());
    }

    let new = NewPhotoVerification {
        uuid: uuid.clone(),
        user_id: user,
        name,
        receipt_id: uuid::Uuid::new_v4().to_string(),
        face_image_ref: Some(face_key.clone()),
        photo_id_image_ref: id_key.clone(),
        photo_id_key: String::new(),
        copy_id_photo_from: None,
    };
    match create_ready(services, &new).await {
        Ok(id) => Ok(id),
        Err(e) => {
            remove_photos(services, &[Some(&face_key), id_key.as_ref()]).await;
            Err(e)
        }
    }
}

async fn create_ready(services: &Services, new: &NewPhotoVerification) -> ServiceResult<AttemptId> {
    let now = services.clock.now();
    let actor = Actor::Learner(new.user_id);
    let created = PhotoReview::created();
    let ready = photo_lifecycle::apply(&PhotoOp::MarkReady, &created, now, &services.policy())
        .map_err(|e| ServiceError::Conflict(e.to_string()))?
        .ok_or_else(|| ServiceError::Conflict("a new attempt must become ready".into()))?;
    let mut tx = services.store.begin().await?;
    let id = attempts::insert(&mut tx, new, &actor, now).await?;
    if !attempts::save_review(&mut tx, id, created.status, &ready, &actor, "photos uploaded", now).await? {
        return Err(ServiceError::Conflict("the new attempt changed before it was ready".into()));
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

/// The name as on the ID: trimmed, 1 to [`MAX_NAME_CHARS`] characters, no control characters.
pub fn validate_name(name: &str) -> ServiceResult<String> {
    let name = name.trim();
    if name.is_empty() {
        return Err(ServiceError::Invalid("The name cannot be empty.".into()));
    }
    if name.chars().count() > MAX_NAME_CHARS {
        return Err(ServiceError::Invalid(format!("The name must be at most {MAX_NAME_CHARS} characters.")));
    }
    if name.chars().any(char::is_control) {
        return Err(ServiceError::Invalid("The name contains characters that are not allowed.".into()));
    }
    Ok(name.to_owned())
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
