//! Per-course verification deadlines, with every change kept in a history table.

use super::{
    Conn, StoreResult,
    time::{from_micros, from_micros_opt, to_micros},
};
use chrono::{DateTime, Utc};
use std::collections::HashMap;

/// A course's verification deadline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Deadline {
    /// The course.
    pub course_key: String,
    /// After this, learners may no longer submit photos for initial verification.
    pub deadline: DateTime<Utc>,
    /// Set by staff (explicit) rather than derived from the course's dates.
    pub is_explicit: bool,
}

/// One recorded change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeadlineChange {
    /// The new deadline (None: removed).
    pub deadline: Option<DateTime<Utc>>,
    /// Explicit or not.
    pub is_explicit: bool,
    /// Who changed it.
    pub changed_by: String,
    /// When.
    pub changed_at: DateTime<Utc>,
}

/// The deadline of one course.
pub async fn for_course(conn: &mut Conn, course_key: &str) -> StoreResult<Option<Deadline>> {
    let row: Option<(String, i64, i64)> = sqlx::query_as(
        "select course_key, deadline, deadline_is_explicit from verification_deadline where course_key = $1",
    )
    .bind(course_key)
    .fetch_optional(conn)
    .await?;
    row.map(|(course_key, d, e)| Ok(Deadline { course_key, deadline: from_micros(d)?, is_explicit: e != 0 }))
        .transpose()
}

/// The deadlines of many courses at once (courses without one are absent).
pub async fn for_courses(conn: &mut Conn, course_keys: &[String]) -> StoreResult<HashMap<String, DateTime<Utc>>> {
    let mut out = HashMap::new();
    for chunk in course_keys.chunks(500) {
        let list: Vec<String> = (1..=chunk.len()).map(|i| format!("${i}")).collect();
        let sql =
            format!("select course_key, deadline from verification_deadline where course_key in ({})", list.join(", "));
        let mut q = sqlx::query_as::<_, (String, i64)>(&sql);
        for k in chunk {
            q = q.bind(k);
        }
        for (k, d) in q.fetch_all(&mut *conn).await? {
            out.insert(k, from_micros(d)?);
        }
    }
    Ok(out)
}

/// Sets (or with `None` removes) a course's deadline and records the change.
pub async fn set(
    conn: &mut Conn,
    course_key: &str,
    deadline: Option<DateTime<Utc>>,
    is_explicit: bool,
    changed_by: &str,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    let t = to_micros(now);
    match deadline {
        Some(d) => {
            sqlx::query(
                "insert into verification_deadline (course_key, deadline, deadline_is_explicit, created_at, modified_at) \
                 values ($1, $2, $3, $4, $4) on conflict (course_key) do update set deadline = excluded.deadline, \
                 deadline_is_explicit = excluded.deadline_is_explicit, modified_at = excluded.modified_at",
            )
            .bind(course_key)
            .bind(to_micros(d))
            .bind(i64::from(is_explicit))
            .bind(t)
            .execute(&mut *conn)
            .await?;
        }
        None => {
            sqlx::query("delete from verification_deadline where course_key = $1")
                .bind(course_key)
                .execute(&mut *conn)
                .await?;
        }
    }
    sqlx::query(
        "insert into verification_deadline_history (course_key, deadline, deadline_is_explicit, changed_by, changed_at) \
         values ($1, $2, $3, $4, $5)",
    )
    .bind(course_key)
    .bind(deadline.map(to_micros))
    .bind(i64::from(is_explicit))
    .bind(changed_by)
    .bind(t)
    .execute(conn)
    .await?;
    Ok(())
}

/// Every change of a course's deadline, oldest first.
pub async fn history(conn: &mut Conn, course_key: &str) -> StoreResult<Vec<DeadlineChange>> {
    let rows: Vec<(Option<i64>, i64, String, i64)> = sqlx::query_as(
        "select deadline, deadline_is_explicit, changed_by, changed_at from verification_deadline_history \
         where course_key = $1 order by history_id",
    )
    .bind(course_key)
    .fetch_all(conn)
    .await?;
    rows.into_iter()
        .map(|(d, e, by, at)| {
            Ok(DeadlineChange {
                deadline: from_micros_opt(d)?,
                is_explicit: e != 0,
                changed_by: by,
                changed_at: from_micros(at)?,
            })
        })
        .collect()
}
