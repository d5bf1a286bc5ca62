//! Deleting an attempt of any kind (an operator removing a record made in error), once
//! [`super::attempt_lookup::by_uuid`] found it.

use super::{Conn, StoreResult, kinds};
use app::domain::AttemptKind;

/// The old name of the general lookup ([`super::attempt_lookup`]); kept for builds written
/// against it.
#[deprecated(note = "renamed: store::attempt_lookup::{by_uuid, Found}")]
pub use super::attempt_lookup::{Found, by_uuid as find};

/// The vault keys a photo attempt references (none for the other kinds, which have no photos).
pub async fn photo_refs(conn: &mut Conn, kind: AttemptKind, id: i64) -> StoreResult<Vec<String>> {
    if kind != AttemptKind::Photo {
        return Ok(Vec::new());
    }
    let row: Option<(Option<String>, Option<String>)> =
        sqlx::query_as("select face_image_ref, photo_id_image_ref from photo_verification where attempt_id = $1")
            .bind(id)
            .fetch_optional(conn)
            .await?;
    Ok(row.into_iter().flat_map(|(face, photo_id)| [face, photo_id]).flatten().collect())
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
