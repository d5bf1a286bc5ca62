//! The in-house reviewer role, granted and taken away by the operator (`vouch review
//! grant|revoke`).

use super::{ServiceResult, Services};
use crate::store::{
    StoreError, reviews,
    staff_actions::{self, Action, NewStaffAction},
    users::{self, User},
};

/// Gives `username` the reviewer role (`on`) or takes it away, recording the change in the
/// staff audit log with `detail` (who asked, e.g. `cli`). `None` when there is no such user
/// (nothing changed).
///
/// The change, its audit row and (on revoke) the release of the user's claims commit
/// together: a revoked reviewer keeps nothing hidden from the queue.
#[tracing::instrument(skip_all, fields(reviewer.on = on))]
pub async fn set(services: &Services, username: &str, on: bool, detail: &str) -> ServiceResult<Option<User>> {
    let mut conn = services.store.conn().await?;
    let Some(user) = users::by_username(&mut conn, username).await? else {
        return Ok(None);
    };
    drop(conn);
    let mut tx = services.store.begin().await?;
    users::set_reviewer(&mut tx, user.id, on).await?;
    if !on {
        reviews::release_all_of(&mut tx, user.id).await?;
    }
    let target = user.id.0.to_string();
    let row = NewStaffAction {
        staff: user.id,
        action: if on { Action::ReviewGrant } else { Action::ReviewRevoke },
        target_kind: "app_user",
        target_id: &target,
        detail,
    };
    staff_actions::record(&mut tx, &row, services.clock.now()).await?;
    tx.commit().await.map_err(StoreError::from)?;
    Ok(Some(user))
}
