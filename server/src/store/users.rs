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
    /// Holds the `reviewer` role (in-house review queue); staff are reviewers without it.
    pub is_reviewer: bool,
}

type UserRow = (i64, String, String, String, i64, i64, i64);

const COLUMNS: &str = "user_id, username, email, full_name, is_staff, is_active, is_reviewer";

fn from_row((id, username, email, full_name, is_staff, is_active, is_reviewer): UserRow) -> User {
    User {
        id: UserId(id),
        username,
        email,
        full_name,
        is_staff: is_staff != 0,
        is_active: is_active != 0,
        is_reviewer: is_reviewer != 0,
    }
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

/// Grants (or revokes) the `reviewer` role; returns whether the user exists.
pub async fn set_reviewer(conn: &mut Conn, user: UserId, is_reviewer: bool) -> StoreResult<bool> {
    let done = sqlx::query("update app_user set is_reviewer = $1 where user_id = $2")
        .bind(i64::from(is_reviewer))
        .bind(user.0)
        .execute(conn)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// What the LMS says about a user (the claims of its JWT).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LmsProfile<'a> {
    /// The LMS's user id.
    pub lms_user_id: i64,
    /// The LMS username.
    pub username: &'a str,
    /// Email address.
    pub email: &'a str,
    /// Profile name.
    pub full_name: &'a str,
}

/// Why an LMS user could not be mapped.
#[derive(Debug, thiserror::Error)]
pub enum LmsUserError {
    /// The username is taken by a user linked to another LMS user id.
    #[error("the username belongs to another account")]
    UsernameTaken,
    /// The store failed.
    #[error(transparent)]
    Store(#[from] super::StoreError),
}

/// The profile name to store: the LMS's only while Vouch's is empty (the learner may have
/// corrected it to match their ID).
fn profile_name<'a>(user: &'a User, lms: &LmsProfile<'a>) -> &'a str {
    if user.full_name.is_empty() { lms.full_name } else { user.full_name.as_str() }
}

/// Whether [`upsert_from_lms`] would write nothing for `user`.
fn unchanged(user: &User, lms: &LmsProfile<'_>) -> bool {
    user.username == lms.username && user.email == lms.email && user.full_name == profile_name(user, lms)
}

/// The user of an LMS profile when signing in needs no write (they exist and nothing
/// changed), read without a write; `None` when [`upsert_from_lms`] must run. Lets a caller
/// take the write turn only for a sign-in that writes.
pub async fn lms_user_if_unchanged(conn: &mut Conn, lms: &LmsProfile<'_>) -> StoreResult<Option<User>> {
    let row: Option<UserRow> = sqlx::query_as(&format!("select {COLUMNS} from app_user where lms_user_id = $1"))
        .bind(lms.lms_user_id)
        .fetch_optional(&mut *conn)
        .await?;
    Ok(row.map(from_row).filter(|u| unchanged(u, lms)))
}

/// The Vouch user of an LMS user: found by LMS id, else created. Never found by username:
/// an account the LMS did not create (dev login, `vouch create-staff`, an LTI user) is not
/// the LMS's to sign in as, even under the same name, so a taken username is
/// [`LmsUserError::UsernameTaken`] rather than a take-over. (A renamed shadow account would
/// not do either: the LMS asks about its learners by username.) The email follows the LMS;
/// the profile name is only filled when empty, because the learner may correct it in Vouch
/// to match their ID. Writes only when something changed.
pub async fn upsert_from_lms(conn: &mut Conn, lms: &LmsProfile<'_>, now: DateTime<Utc>) -> Result<User, LmsUserError> {
    let by_lms: Option<UserRow> = sqlx::query_as(&format!("select {COLUMNS} from app_user where lms_user_id = $1"))
        .bind(lms.lms_user_id)
        .fetch_optional(&mut *conn)
        .await
        .map_err(super::StoreError::from)?;
    let user = match by_lms.map(from_row) {
        Some(user) => user,
        None => {
            let inserted = sqlx::query(
                "insert into app_user (username, email, full_name, lms_user_id, created_at) \
                 values ($1, $2, $3, $4, $5) on conflict do nothing",
            )
            .bind(lms.username)
            .bind(lms.email)
            .bind(lms.full_name)
            .bind(lms.lms_user_id)
            .bind(to_micros(now))
            .execute(&mut *conn)
            .await
            .map_err(super::StoreError::from)?;
            // Nothing inserted: the username is someone else's, or a concurrent first
            // sign-in of this LMS user inserted it a moment ago (then it is found by LMS id).
            let row: Option<UserRow> =
                sqlx::query_as(&format!("select {COLUMNS} from app_user where lms_user_id = $1"))
                    .bind(lms.lms_user_id)
                    .fetch_optional(&mut *conn)
                    .await
                    .map_err(super::StoreError::from)?;
            return match (inserted.rows_affected(), row) {
                (_, Some(row)) => Ok(from_row(row)),
                (0, None) => Err(LmsUserError::UsernameTaken),
                (_, None) => {
                    Err(LmsUserError::Store(super::StoreError::Corrupt("LMS user vanished after insert".into())))
                }
            };
        }
    };
    let full_name = profile_name(&user, lms);
    if !unchanged(&user, lms) {
        // The email is now the LMS's word, no longer a launch's.
        sqlx::query(
            "update app_user set username = $1, email = $2, full_name = $3, email_from_lti = 0 where user_id = $4",
        )
        .bind(lms.username)
        .bind(lms.email)
        .bind(full_name)
        .bind(user.id.0)
        .execute(&mut *conn)
        .await
        .map_err(|e| match super::StoreError::from(e) {
            super::StoreError::Duplicate(_) => LmsUserError::UsernameTaken,
            other => LmsUserError::Store(other),
        })?;
        return Ok(User {
            username: lms.username.to_owned(),
            email: lms.email.to_owned(),
            full_name: full_name.to_owned(),
            ..user
        });
    }
    Ok(user)
}

/// Users whose username or email starts with `prefix` (case-insensitive), by username,
/// one page, and how many match in all.
pub async fn search(conn: &mut Conn, prefix: &str, offset: i64, limit: i64) -> StoreResult<(Vec<User>, i64)> {
    // `like` wildcards in the prefix are escaped so that `_` and `%` match themselves.
    let escaped: String = prefix
        .to_lowercase()
        .chars()
        .flat_map(|c| if matches!(c, '%' | '_' | '\\') { vec!['\\', c] } else { vec![c] })
        .collect();
    let pattern = format!("{escaped}%");
    let filter = "lower(username) like $1 escape '\\' or lower(email) like $1 escape '\\'";
    let (count,): (i64,) = sqlx::query_as(&format!("select count(*) from app_user where {filter}"))
        .bind(&pattern)
        .fetch_one(&mut *conn)
        .await?;
    let rows: Vec<UserRow> =
        sqlx::query_as(&format!("select {COLUMNS} from app_user where {filter} order by username limit $2 offset $3"))
            .bind(&pattern)
            .bind(limit)
            .bind(offset)
            .fetch_all(conn)
            .await?;
    Ok((rows.into_iter().map(from_row).collect(), count))
}

/// The users with this email (case-insensitive), by id: an identity lookup, so an email
/// that came from an LTI launch (`email_from_lti`: the consumer's word, or a learner's where
/// the LMS lets them edit it) never matches; it is still the address mail goes to.
pub async fn by_email(conn: &mut Conn, email: &str) -> StoreResult<Vec<User>> {
    let rows: Vec<UserRow> = sqlx::query_as(&format!(
        "select {COLUMNS} from app_user where lower(email) = lower($1) and email_from_lti = 0 order by user_id"
    ))
    .bind(email)
    .fetch_all(conn)
    .await?;
    Ok(rows.into_iter().map(from_row).collect())
}

/// Creates the user (or finds them) and sets their email when given.
pub async fn ensure(conn: &mut Conn, username: &str, email: Option<&str>, now: DateTime<Utc>) -> StoreResult<User> {
    let user = get_or_create(conn, username, now).await?;
    match email {
        Some(email) if email != user.email => {
            // Set by the operator: no longer a launch's.
            sqlx::query("update app_user set email = $1, email_from_lti = 0 where user_id = $2")
                .bind(email)
                .bind(user.id.0)
                .execute(&mut *conn)
                .await?;
            Ok(User { email: email.to_owned(), ..user })
        }
        _ => Ok(user),
    }
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
