//! The learner's verification status (read side).

use super::{ServiceResult, Services};
use crate::store::attempts;
use app::domain::{
    UserId, UserStatus,
    user_status::{AttemptFacts, user_status},
};

/// The status of `user` now.
#[tracing::instrument(skip_all, fields(user.id = %user))]
pub async fn for_user(services: &Services, user: UserId) -> ServiceResult<UserStatus> {
    let mut conn = services.store.conn().await?;
    let rows = attempts::for_user(&mut conn, user).await?;
    let facts: Vec<AttemptFacts> = rows
        .into_iter()
        .map(|a| AttemptFacts {
            status: a.status,
            created_at: a.created_at,
            expires_at: a.expires_at,
            error_msg: (!a.error_msg.is_empty()).then_some(a.error_msg),
        })
        .collect();
    Ok(user_status(&facts, services.clock.now()))
}
