//! The general lookup of an attempt of any kind by its uuid: deleting it, linking a verified
//! name to it, reading a denial's reasons all start here.

use super::{Conn, StoreResult, kinds};
use app::domain::{AttemptKind, UserId};

/// An attempt found by uuid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found {
    /// Its kind.
    pub kind: AttemptKind,
    /// Its id within the kind.
    pub id: i64,
    /// The learner.
    pub user: UserId,
    /// Its status name.
    pub status: String,
}

/// The attempt with this uuid, in any kind.
pub async fn by_uuid(conn: &mut Conn, uuid: &str) -> StoreResult<Option<Found>> {
    for kind in AttemptKind::ALL {
        let sql = format!("select attempt_id, user_id, status from {} where uuid = $1", kinds::table(kind));
        let row: Option<(i64, i64, String)> = sqlx::query_as(&sql).bind(uuid).fetch_optional(&mut *conn).await?;
        if let Some((id, user, status)) = row {
            return Ok(Some(Found { kind, id, user: UserId(user), status }));
        }
    }
    Ok(None)
}
