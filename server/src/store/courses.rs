//! Course runs as the LMS reports them: the name learners see in the flow, and the end a
//! non-explicit verification deadline follows.

use super::{
    Conn, StoreResult,
    time::{from_micros_opt, to_micros},
};
use chrono::{DateTime, Utc};

/// A course run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CourseRun {
    /// The course key.
    pub course_key: String,
    /// Its name (empty: not known).
    pub display_name: String,
    /// When the run ends, if it does.
    pub end: Option<DateTime<Utc>>,
}

/// The run of `course_key`, if the LMS reported it.
pub async fn by_key(conn: &mut Conn, course_key: &str) -> StoreResult<Option<CourseRun>> {
    let row: Option<(String, String, Option<i64>)> =
        sqlx::query_as("select course_key, display_name, end_at from course_run where course_key = $1")
            .bind(course_key)
            .fetch_optional(conn)
            .await?;
    row.map(|(course_key, display_name, end)| Ok(CourseRun { course_key, display_name, end: from_micros_opt(end)? }))
        .transpose()
}

/// Creates or replaces the run of `run.course_key`.
pub async fn put(conn: &mut Conn, run: &CourseRun, now: DateTime<Utc>) -> StoreResult<()> {
    sqlx::query(
        "insert into course_run (course_key, display_name, end_at, modified_at) values ($1, $2, $3, $4) \
         on conflict (course_key) do update set display_name = excluded.display_name, end_at = excluded.end_at, \
         modified_at = excluded.modified_at",
    )
    .bind(&run.course_key)
    .bind(&run.display_name)
    .bind(run.end.map(to_micros))
    .bind(to_micros(now))
    .execute(conn)
    .await?;
    Ok(())
}
