//! Deleting an attempt of any kind by uuid (an operator removing a record made in error).

use super::{Conn, StoreResult, kinds};
use app::domain::{AttemptKind, UserId};

/// Finds the attempt with this uuid in any kind: its kind, id and learner.
pub async fn find(conn: &mut Conn, uuid: &str) -> StoreResult<Option<(AttemptKind, i64, UserId)>> {
    for kind in AttemptKind::ALL {
        let sql = format!("select attempt_id, user_id from {} where uuid = $1", kinds::table(kind));
        let row: Option<(i64, i64)> = sqlx::query_as(&sql).bind(uuid).fetch_optional(&mut *conn).await?;
        if let Some((id, user)) = row {
            return Ok(Some((kind, id, UserId(user))));
        }
    }
    Ok(None)
}

/// Deletes attempt `id` of `kind`. A photo attempt whose ID photo later attempts reuse
/// stops being their source first (they keep their own copy of the reference's key).
/// The audit log and the outbox keep their rows: they record what happened.
pub async fn delete(conn: &mut Conn, kind: AttemptKind, id: i64) -> StoreResult<bool> {
    if kind == AttemptKind::Photo {
        sqlx::query("update photo_verification set copy_id_photo_from = null where copy_id_photo_from = $1")
            .bind(id)
            .execute(&mut *conn)
            .await?;
    }
    let sql = format!("delete from {} where attempt_id = $1", kinds::table(kind));
    Ok(sqlx::query(&sql).bind(id).execute(conn).await?.rows_affected() == 1)
}
