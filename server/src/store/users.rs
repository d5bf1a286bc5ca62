//! Users: learners and staff, created on first sign-in.

use super::{Conn, StoreResult, time::to_micros};
use app::domain::UserId;
use chrono::{DateTime, Utc};

/// A user as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    /// Id.
    pub id: UserId,
    /// Unique username.
    pub username: String,
    /// Email address (may be empty for dev and LTI users).
    pub email: String,
    /// Profile (full) name.
    pub full_name: String,
    /// May use staff tools.
    pub is_staff: bool,
    /// Can sign in.
    pub is_active: bool,
}

type UserRow = (i64, String, String, String, i64, i64);

const COLUMNS: &str = "user_id, username, email, full_name, is_staff, is_active";

fn from_row((id, username, email, full_name, is_staff, is_active): UserRow) -> User {
    User { id: UserId(id), username, email, full_name, is_staff: is_staff != 0, is_active: is_active != 0 }
}

/// The user with this id.
pub async fn by_id(conn: &mut Conn, id: UserId) -> StoreResult<Option<User>> {
    let row: Option<UserRow> = sqlx::query_as(&format!("select {COLUMNS} from app_user where user_id = $1"))
        .bind(id.0)
        .fetch_optional(conn)
        .await?;
    Ok(row.map(from_row))
}

/// The user with this username.
pub async fn by_username(conn: &mut Conn, username: &str) -> StoreResult<Option<User>> {
    let row: Option<UserRow> = sqlx::query_as(&format!("select {COLUMNS} from app_user where username = $1"))
        .bind(username)
        .fetch_optional(conn)
        .await?;
    Ok(row.map(from_row))
}

/// The user with this username, created (inactive-free, not staff) if missing.
pub async fn get_or_create(conn: &mut Conn, username: &str, now: DateTime<Utc>) -> StoreResult<User> {
    sqlx::query("insert into app_user (username, created_at) values ($1, $2) on conflict (username) do nothing")
        .bind(username)
        .bind(to_micros(now))
        .execute(&mut *conn)
        .await?;
    by_username(conn, username)
        .await?
        .ok_or_else(|| super::StoreError::Corrupt(format!("user {username:?} vanished after insert")))
}

/// Changes the user's profile (full) name.
pub async fn set_full_name(conn: &mut Conn, user: UserId, name: &str) -> StoreResult<()> {
    sqlx::query("update app_user set full_name = $1 where user_id = $2").bind(name).bind(user.0).execute(conn).await?;
    Ok(())
}

/// Grants (or revokes) the user's access to staff tools.
pub async fn set_staff(conn: &mut Conn, user: UserId, is_staff: bool) -> StoreResult<()> {
    sqlx::query("update app_user set is_staff = $1 where user_id = $2")
        .bind(i64::from(is_staff))
        .bind(user.0)
        .execute(conn)
        .await?;
    Ok(())
}

/// A new user for an LTI identity: a random unique username (`lti_` and 24 hex digits),
/// no email and no way to sign in but an LTI launch (Vouch keeps no passwords, so there
/// is none to make unusable). Never matched to an existing account by email.
pub async fn create_lti_user(conn: &mut Conn, now: DateTime<Utc>) -> StoreResult<User> {
    let username = format!("lti_{}", &uuid::Uuid::new_v4().simple().to_string()[..24]);
    let (id,): (i64,) = sqlx::query_as("insert into app_user (username, created_at) values ($1, $2) returning user_id")
        .bind(&username)
        .bind(to_micros(now))
        .fetch_one(&mut *conn)
        .await?;
    by_id(conn, UserId(id)).await?.ok_or_else(|| super::StoreError::Corrupt(format!("user {id} vanished after insert")))
}
