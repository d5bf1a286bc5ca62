//! Accounts as the REST API and staff tools see them.

use super::{ServiceError, ServiceResult, Services};
use crate::store::users::{self, User};

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
