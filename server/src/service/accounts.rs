//! Accounts as the REST API and staff tools see them.

use super::{ServiceError, ServiceResult, Services};
use crate::store::{
    attempts,
    users::{self, User},
};
use app::domain::UserId;
use std::collections::HashMap;

/// The user named `username`.
pub async fn by_username(services: &Services, username: &str) -> ServiceResult<User> {
    let mut conn = services.store.conn().await?;
    users::by_username(&mut conn, username).await?.ok_or(ServiceError::NotFound)
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
