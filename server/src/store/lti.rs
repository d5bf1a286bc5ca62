//! LTI 1.1 records: consumers, their nonces, LTI users, outcome services and graded
//! assignments (with the state of their grade passback).

use super::{Conn, StoreError, StoreResult, time::to_micros};
use crate::{config::Secret, host_list::HostList};
use app::domain::UserId;
use chrono::{DateTime, Utc};

/// An LTI consumer (an LMS). `Debug` never shows the secret.
#[derive(Debug, Clone)]
pub struct Consumer {
    /// Id.
    pub id: i64,
    /// Display name.
    pub name: String,
    /// The OAuth consumer key (unique).
    pub key: String,
    /// The OAuth consumer secret.
    pub secret: Secret,
    /// The LMS instance's GUID, once known.
    pub instance_guid: Option<String>,
    /// Hosts its outcome URLs may use (empty: the global setting).
    pub allowed_outcome_hosts: Vec<String>,
    /// Its `frame-ancestors` policy (empty: the global setting).
    pub frame_ancestors: String,
    /// Open edX `use_lti_pii`: the launch's name and email fill an empty profile.
    pub use_lti_pii: bool,
    /// Open edX `require_user_account`: an unmapped learner signs in with the LMS, and that
    /// account is linked to the LTI user.
    pub require_user_account: bool,
}

/// A consumer to add.
#[derive(Debug, Clone)]
pub struct NewConsumer {
    /// Display name.
    pub name: String,
    /// The OAuth consumer key.
    pub key: String,
    /// The OAuth consumer secret.
    pub secret: Secret,
    /// The LMS instance's GUID, when known in advance.
    pub instance_guid: Option<String>,
    /// Hosts its outcome URLs may use.
    pub allowed_outcome_hosts: Vec<String>,
    /// Its `frame-ancestors` policy.
    pub frame_ancestors: String,
    /// See [`Consumer::use_lti_pii`].
    pub use_lti_pii: bool,
    /// See [`Consumer::require_user_account`].
    pub require_user_account: bool,
}

type ConsumerRow = (i64, String, String, String, Option<String>, String, String, i64, i64);

const CONSUMER_COLUMNS: &str = "lti_consumer_id, consumer_name, consumer_key, consumer_secret, instance_guid, \
     allowed_outcome_hosts, frame_ancestors, use_lti_pii, require_user_account";

fn consumer(row: ConsumerRow) -> Consumer {
    let (id, name, key, secret, instance_guid, hosts, frame_ancestors, use_lti_pii, require_user_account) = row;
    Consumer {
        id,
        name,
        key,
        secret: secret.into(),
        instance_guid,
        allowed_outcome_hosts: HostList::parse(&hosts).0,
        frame_ancestors,
        use_lti_pii: use_lti_pii != 0,
        require_user_account: require_user_account != 0,
    }
}

/// The consumer with this key.
pub async fn consumer_by_key(conn: &mut Conn, key: &str) -> StoreResult<Option<Consumer>> {
    let row: Option<ConsumerRow> =
        sqlx::query_as(&format!("select {CONSUMER_COLUMNS} from lti_consumer where consumer_key = $1"))
            .bind(key)
            .fetch_optional(conn)
            .await?;
    Ok(row.map(consumer))
}

/// Every consumer, by key.
pub async fn consumers(conn: &mut Conn) -> StoreResult<Vec<Consumer>> {
    let rows: Vec<ConsumerRow> =
        sqlx::query_as(&format!("select {CONSUMER_COLUMNS} from lti_consumer order by consumer_key"))
            .fetch_all(conn)
            .await?;
    Ok(rows.into_iter().map(consumer).collect())
}

/// Adds a consumer; a key or GUID already used is [`StoreError::Duplicate`].
pub async fn insert_consumer(conn: &mut Conn, new: &NewConsumer, now: DateTime<Utc>) -> StoreResult<i64> {
    let (id,): (i64,) = sqlx::query_as(
        "insert into lti_consumer (consumer_name, consumer_key, consumer_secret, instance_guid, \
         allowed_outcome_hosts, frame_ancestors, use_lti_pii, require_user_account, created_at) \
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9) returning lti_consumer_id",
    )
    .bind(&new.name)
    .bind(&new.key)
    .bind(new.secret.expose())
    .bind(new.instance_guid.as_deref())
    .bind(new.allowed_outcome_hosts.join(","))
    .bind(&new.frame_ancestors)
    .bind(i64::from(new.use_lti_pii))
    .bind(i64::from(new.require_user_account))
    .bind(to_micros(now))
    .fetch_one(conn)
    .await?;
    Ok(id)
}

/// Sets the consumer's opt-ins (`None`: unchanged); returns whether the consumer exists.
pub async fn set_consumer_flags(
    conn: &mut Conn,
    key: &str,
    use_lti_pii: Option<bool>,
    require_user_account: Option<bool>,
) -> StoreResult<bool> {
    let done = sqlx::query(
        "update lti_consumer set use_lti_pii = coalesce($1, use_lti_pii), \
         require_user_account = coalesce($2, require_user_account) where consumer_key = $3",
    )
    .bind(use_lti_pii.map(i64::from))
    .bind(require_user_account.map(i64::from))
    .bind(key)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// The consumer with this id.
pub async fn consumer_by_id(conn: &mut Conn, id: i64) -> StoreResult<Option<Consumer>> {
    let row: Option<ConsumerRow> =
        sqlx::query_as(&format!("select {CONSUMER_COLUMNS} from lti_consumer where lti_consumer_id = $1"))
            .bind(id)
            .fetch_optional(conn)
            .await?;
    Ok(row.map(consumer))
}

/// Removes the consumer with this key and everything recorded for it (its LTI users'
/// Vouch accounts stay); returns whether it existed.
pub async fn delete_consumer(conn: &mut Conn, key: &str) -> StoreResult<bool> {
    let Some(c) = consumer_by_key(&mut *conn, key).await? else { return Ok(false) };
    // Explicit deletes rather than relying on cascades, so SQLite connections without
    // foreign keys behave the same.
    sqlx::query(
        "delete from lti_graded_assignment where lti_outcome_service_id in \
         (select lti_outcome_service_id from lti_outcome_service where lti_consumer_id = $1)",
    )
    .bind(c.id)
    .execute(&mut *conn)
    .await?;
    for table in ["lti_outcome_service", "lti_user", "lti_nonce", "lti_consumer"] {
        sqlx::query(&format!("delete from {table} where lti_consumer_id = $1")).bind(c.id).execute(&mut *conn).await?;
    }
    Ok(true)
}

/// Records the consumer's instance GUID if it has none yet; returns whether it did.
pub async fn learn_instance_guid(conn: &mut Conn, consumer: i64, guid: &str) -> StoreResult<bool> {
    let done =
        sqlx::query("update lti_consumer set instance_guid = $1 where lti_consumer_id = $2 and instance_guid is null")
            .bind(guid)
            .bind(consumer)
            .execute(conn)
            .await?;
    Ok(done.rows_affected() == 1)
}

/// Records a launch nonce until `keep_until`; false when the consumer used it already.
pub async fn remember_nonce(
    conn: &mut Conn,
    consumer: i64,
    nonce: &str,
    now: DateTime<Utc>,
    keep_until: DateTime<Utc>,
) -> StoreResult<bool> {
    sqlx::query("delete from lti_nonce where expires_at < $1").bind(to_micros(now)).execute(&mut *conn).await?;
    let done = sqlx::query(
        "insert into lti_nonce (lti_consumer_id, nonce, expires_at) values ($1, $2, $3) \
         on conflict (lti_consumer_id, nonce) do nothing",
    )
    .bind(consumer)
    .bind(nonce)
    .bind(to_micros(keep_until))
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// The Vouch user of `lti_user_id` at `consumer`.
pub async fn user_for(conn: &mut Conn, consumer: i64, lti_user_id: &str) -> StoreResult<Option<UserId>> {
    let row: Option<(i64,)> =
        sqlx::query_as("select user_id from lti_user where lti_consumer_id = $1 and lti_user_id = $2")
            .bind(consumer)
            .bind(lti_user_id)
            .fetch_optional(conn)
            .await?;
    Ok(row.map(|(id,)| UserId(id)))
}

/// Links `lti_user_id` at `consumer` to `user`.
pub async fn link_user(
    conn: &mut Conn,
    consumer: i64,
    lti_user_id: &str,
    user: UserId,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    sqlx::query("insert into lti_user (lti_consumer_id, lti_user_id, user_id, created_at) values ($1, $2, $3, $4)")
        .bind(consumer)
        .bind(lti_user_id)
        .bind(user.0)
        .bind(to_micros(now))
        .execute(conn)
        .await?;
    Ok(())
}

/// Whether `user` is linked to an LTI user already (at any consumer).
pub async fn is_linked(conn: &mut Conn, user: UserId) -> StoreResult<bool> {
    let row: Option<(i64,)> =
        sqlx::query_as("select lti_user_pk from lti_user where user_id = $1").bind(user.0).fetch_optional(conn).await?;
    Ok(row.is_some())
}

/// Fills the user's profile name and email from an LTI launch, each only where it is empty
/// (the checks sit in the statements, so a name set meanwhile is never overwritten); returns
/// which of the two were filled. A filled email is marked as the launch's
/// (`email_from_lti`): [`super::users::by_email`] never finds an account by it.
pub async fn fill_empty_profile(
    conn: &mut Conn,
    user: UserId,
    full_name: Option<&str>,
    email: Option<&str>,
) -> StoreResult<(bool, bool)> {
    let mut filled = (false, false);
    if let Some(name) = full_name {
        let done = sqlx::query("update app_user set full_name = $1 where user_id = $2 and full_name = ''")
            .bind(name)
            .bind(user.0)
            .execute(&mut *conn)
            .await?;
        filled.0 = done.rows_affected() == 1;
    }
    if let Some(email) = email {
        // Remembered as the launch's: never an identity for lookups by email.
        let done = sqlx::query("update app_user set email = $1, email_from_lti = 1 where user_id = $2 and email = ''")
            .bind(email)
            .bind(user.0)
            .execute(&mut *conn)
            .await?;
        filled.1 = done.rows_affected() == 1;
    }
    Ok(filled)
}

/// Whether no result was ever queued for the assignment (its first grade is still owed).
pub async fn never_queued(conn: &mut Conn, assignment: i64) -> StoreResult<bool> {
    let (v,): (i64,) =
        sqlx::query_as("select version_number from lti_graded_assignment where lti_graded_assignment_id = $1")
            .bind(assignment)
            .fetch_one(conn)
            .await?;
    Ok(v == 0)
}

/// The id of the consumer's outcome service at `url`, created if new.
pub async fn outcome_service(conn: &mut Conn, consumer: i64, url: &str) -> StoreResult<i64> {
    sqlx::query(
        "insert into lti_outcome_service (lti_consumer_id, lis_outcome_service_url) values ($1, $2) \
         on conflict (lti_consumer_id, lis_outcome_service_url) do nothing",
    )
    .bind(consumer)
    .bind(url)
    .execute(&mut *conn)
    .await?;
    let (id,): (i64,) = sqlx::query_as(
        "select lti_outcome_service_id from lti_outcome_service where lti_consumer_id = $1 and lis_outcome_service_url = $2",
    )
    .bind(consumer)
    .bind(url)
    .fetch_one(conn)
    .await?;
    Ok(id)
}

/// A graded launch to record.
#[derive(Debug, Clone)]
pub struct NewAssignment<'a> {
    /// The learner.
    pub user: UserId,
    /// The course id of the launch URL.
    pub course_key: &'a str,
    /// The usage id of the launch URL.
    pub usage_key: &'a str,
    /// The outcome service.
    pub outcome_service: i64,
    /// `lis_result_sourcedid`.
    pub sourcedid: &'a str,
}

/// Records a graded assignment unless the (service, sourcedid) pair is known; returns its
/// id and whether it is new. A known pair keeps its first learner: a sourcedid names one
/// learner's grade cell, so a launch of another user with it changes nothing.
pub async fn record_assignment(
    conn: &mut Conn,
    new: &NewAssignment<'_>,
    now: DateTime<Utc>,
) -> StoreResult<(i64, UserId, bool)> {
    let t = to_micros(now);
    let done = sqlx::query(
        "insert into lti_graded_assignment (user_id, course_key, usage_key, lti_outcome_service_id, \
         lis_result_sourcedid, created_at, updated_at) values ($1, $2, $3, $4, $5, $6, $6) \
         on conflict (lti_outcome_service_id, lis_result_sourcedid) do nothing",
    )
    .bind(new.user.0)
    .bind(new.course_key)
    .bind(new.usage_key)
    .bind(new.outcome_service)
    .bind(new.sourcedid)
    .bind(t)
    .execute(&mut *conn)
    .await?;
    let (id, user): (i64, i64) = sqlx::query_as(
        "select lti_graded_assignment_id, user_id from lti_graded_assignment \
         where lti_outcome_service_id = $1 and lis_result_sourcedid = $2",
    )
    .bind(new.outcome_service)
    .bind(new.sourcedid)
    .fetch_one(conn)
    .await?;
    Ok((id, UserId(user), done.rows_affected() == 1))
}

/// The graded assignments of `user`.
pub async fn assignments_of(conn: &mut Conn, user: UserId) -> StoreResult<Vec<i64>> {
    let rows: Vec<(i64,)> = sqlx::query_as(
        "select lti_graded_assignment_id from lti_graded_assignment where user_id = $1 order by lti_graded_assignment_id",
    )
    .bind(user.0)
    .fetch_all(conn)
    .await?;
    Ok(rows.into_iter().map(|(id,)| id).collect())
}

/// The job kind that sends one version of an assignment's result (see `jobs::lti_outcome`).
pub const OUTCOME_JOB: &str = "lti.outcome";

/// The input of an [`OUTCOME_JOB`].
#[derive(Debug, serde::Serialize, serde::Deserialize)]
pub struct OutcomeJob {
    /// The assignment.
    pub assignment_id: i64,
    /// The version to send (superseded versions send nothing).
    pub version: i64,
}

/// Queues the passback of every graded assignment of `user` (a new version of each, each
/// sent by its own job of `max_tries` tries), in the caller's transaction; returns how
/// many. The job reads the learner's status when it runs, so it always sends the current
/// truth, and an older queued version that runs late sends nothing.
pub async fn queue_passbacks_of(
    conn: &mut Conn,
    user: UserId,
    max_tries: i32,
    now: DateTime<Utc>,
) -> StoreResult<usize> {
    let assignments = assignments_of(&mut *conn, user).await?;
    for a in &assignments {
        queue_passback(&mut *conn, *a, max_tries, now).await?;
    }
    Ok(assignments.len())
}

/// Queues the passback of one assignment: a new version of its result, and its job.
pub async fn queue_passback(conn: &mut Conn, assignment: i64, max_tries: i32, now: DateTime<Utc>) -> StoreResult<()> {
    let version = bump_version(&mut *conn, assignment, now).await?;
    queue_outcome_job(conn, assignment, version, max_tries, now).await?;
    Ok(())
}

/// Queues the job that sends `version` of `assignment`; false when it is queued already
/// (one job per version).
pub async fn queue_outcome_job(
    conn: &mut Conn,
    assignment: i64,
    version: i64,
    max_tries: i32,
    now: DateTime<Utc>,
) -> StoreResult<bool> {
    let payload = serde_json::to_string(&OutcomeJob { assignment_id: assignment, version })
        .map_err(|e| StoreError::Corrupt(format!("job JSON: {e}")))?;
    let key = format!("{OUTCOME_JOB}:{assignment}:{version}");
    super::jobs::enqueue(conn, OUTCOME_JOB, &payload, &key, max_tries.max(1), now).await
}

/// Raises the assignment's version (a new result is to be sent); returns the new version.
pub async fn bump_version(conn: &mut Conn, assignment: i64, now: DateTime<Utc>) -> StoreResult<i64> {
    let (v,): (i64,) = sqlx::query_as(
        "update lti_graded_assignment set version_number = version_number + 1, updated_at = $1 \
         where lti_graded_assignment_id = $2 returning version_number",
    )
    .bind(to_micros(now))
    .bind(assignment)
    .fetch_one(conn)
    .await?;
    Ok(v)
}

/// Everything needed to send an assignment's result.
#[derive(Debug, Clone)]
pub struct Delivery {
    /// The assignment.
    pub id: i64,
    /// The learner.
    pub user: UserId,
    /// `lis_result_sourcedid`.
    pub sourcedid: String,
    /// The current version.
    pub version: i64,
    /// The last version the consumer acknowledged.
    pub delivered_version: i64,
    /// Where to send it.
    pub url: String,
    /// The consumer (for its key, secret and allowed hosts).
    pub consumer: Consumer,
}

/// The delivery data of an assignment.
pub async fn delivery(conn: &mut Conn, assignment: i64) -> StoreResult<Option<Delivery>> {
    type Row = (i64, i64, String, i64, i64, String, String);
    let row: Option<Row> = sqlx::query_as(
        "select a.lti_graded_assignment_id, a.user_id, a.lis_result_sourcedid, a.version_number, \
         a.delivered_version, s.lis_outcome_service_url, c.consumer_key \
         from lti_graded_assignment a \
         join lti_outcome_service s on s.lti_outcome_service_id = a.lti_outcome_service_id \
         join lti_consumer c on c.lti_consumer_id = s.lti_consumer_id \
         where a.lti_graded_assignment_id = $1",
    )
    .bind(assignment)
    .fetch_optional(&mut *conn)
    .await?;
    let Some((id, user, sourcedid, version, delivered_version, url, key)) = row else { return Ok(None) };
    let consumer = consumer_by_key(conn, &key)
        .await?
        .ok_or_else(|| StoreError::Corrupt(format!("consumer of assignment {id} vanished")))?;
    Ok(Some(Delivery { id, user: UserId(user), sourcedid, version, delivered_version, url, consumer }))
}

/// Records that the consumer acknowledged `score` at `version`.
pub async fn mark_delivered(
    conn: &mut Conn,
    assignment: i64,
    version: i64,
    score: &str,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    sqlx::query(
        "update lti_graded_assignment set delivered_version = $1, last_score = $2, last_status = 'delivered', \
         last_error = '', updated_at = $3 where lti_graded_assignment_id = $4 and delivered_version < $1",
    )
    .bind(version)
    .bind(score)
    .bind(to_micros(now))
    .bind(assignment)
    .execute(conn)
    .await?;
    Ok(())
}

/// Records that sending `version` failed for good.
pub async fn mark_failed(
    conn: &mut Conn,
    assignment: i64,
    version: i64,
    error: &str,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    sqlx::query(
        "update lti_graded_assignment set last_status = 'failed', last_error = $1, updated_at = $2 \
         where lti_graded_assignment_id = $3 and delivered_version < $4",
    )
    .bind(error)
    .bind(to_micros(now))
    .bind(assignment)
    .bind(version)
    .execute(conn)
    .await?;
    Ok(())
}

/// An assignment's passback state, for operators and tests.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AssignmentState {
    /// The learner.
    pub user: UserId,
    /// Course id from the launch URL.
    pub course_key: String,
    /// Usage id from the launch URL.
    pub usage_key: String,
    /// `lis_result_sourcedid`.
    pub sourcedid: String,
    /// Current version.
    pub version: i64,
    /// Last acknowledged version.
    pub delivered_version: i64,
    /// Last score acknowledged.
    pub last_score: String,
    /// `delivered`, `failed` or empty.
    pub last_status: String,
    /// The last failure.
    pub last_error: String,
}

/// Every assignment's state, oldest first.
pub async fn assignment_states(conn: &mut Conn) -> StoreResult<Vec<AssignmentState>> {
    type Row = (i64, String, String, String, i64, i64, String, String, String);
    let rows: Vec<Row> = sqlx::query_as(
        "select user_id, course_key, usage_key, lis_result_sourcedid, version_number, delivered_version, \
         last_score, last_status, last_error from lti_graded_assignment order by lti_graded_assignment_id",
    )
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(
            |(
                user,
                course_key,
                usage_key,
                sourcedid,
                version,
                delivered_version,
                last_score,
                last_status,
                last_error,
            )| {
                AssignmentState {
                    user: UserId(user),
                    course_key,
                    usage_key,
                    sourcedid,
                    version,
                    delivered_version,
                    last_score,
                    last_status,
                    last_error,
                }
            },
        )
        .collect())
}
