//! Scrubbing a retired user's personal data from every attempt kind.

use super::{Conn, StoreResult};
use app::domain::UserId;

/// The vault keys of the user's photos (to delete before scrubbing the references).
pub async fn photo_refs(conn: &mut Conn, user: UserId) -> StoreResult<Vec<String>> {
    let rows: Vec<(Option<String>, Option<String>)> =
        sqlx::query_as("select face_image_ref, photo_id_image_ref from photo_verification where user_id = $1")
            .bind(user.0)
            .fetch_all(conn)
            .await?;
    Ok(rows.into_iter().flat_map(|(a, b)| [a, b]).flatten().collect())
}

/// Clears names, photo references and wrapped keys on every attempt of the user, and the
/// account's name and email. Returns how many attempt rows were scrubbed.
pub async fn scrub(conn: &mut Conn, user: UserId) -> StoreResult<u64> {
    let mut n = sqlx::query(
        "update photo_verification set name = '', face_image_ref = null, photo_id_image_ref = null, \
         photo_id_key = '' where user_id = $1",
    )
    .bind(user.0)
    .execute(&mut *conn)
    .await?
    .rows_affected();
    for table in ["sso_verification", "manual_verification", "verification_attempt"] {
        n += sqlx::query(&format!("update {table} set name = '' where user_id = $1"))
            .bind(user.0)
            .execute(&mut *conn)
            .await?
            .rows_affected();
    }
    sqlx::query("update app_user set full_name = '', email = '' where user_id = $1")
        .bind(user.0)
        .execute(&mut *conn)
        .await?;
    // Events and verified names carry names and the email too.
    super::outbox::scrub_user(conn, user).await?;
    super::verified_names::scrub_user(conn, user).await?;
    // Reviewers' notes are free text about the learner.
    super::reviews::scrub_user(conn, user).await?;
    Ok(n)
}
