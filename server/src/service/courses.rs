//! Course runs and the deadline rule that binds every submit door.
//!
//! The LMS reports a course run (`PUT /api/v1/courses/{course_key}`): its name, which the
//! flow shows, and its end. As in Open edX (`verify_student` listens for course publishes),
//! a verification deadline that was not set explicitly follows the course's end, and an
//! explicit one (staff, `PUT …/deadline`) is never overwritten by it.

use super::{ServiceError, ServiceResult, Services, deadlines};
use crate::store::{
    StoreError,
    courses::{self, CourseRun},
    deadlines as deadline_store,
};
use chrono::{DateTime, Utc};

/// The longest course name kept (Open edX's `display_name` is free text; this bounds it).
pub const MAX_NAME_CHARS: usize = 255;

/// A course's verification deadline after a run update.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DeadlineState {
    /// The deadline, if any.
    pub deadline: Option<DateTime<Utc>>,
    /// Whether staff set it explicitly.
    pub is_explicit: bool,
}

/// Stores the run of `course_key` and lets a non-explicit deadline follow its end (a run
/// without an end removes a non-explicit deadline); returns the deadline as it is now.
pub async fn update_run(
    services: &Services,
    course_key: &str,
    display_name: &str,
    end: Option<DateTime<Utc>>,
    changed_by: &str,
) -> ServiceResult<DeadlineState> {
    deadlines::check_course_key(course_key)?;
    let display_name = display_name.trim();
    if display_name.chars().count() > MAX_NAME_CHARS || display_name.chars().any(char::is_control) {
        return Err(ServiceError::Invalid(format!(
            "display_name must be at most {MAX_NAME_CHARS} characters, without control characters."
        )));
    }
    let now = services.clock.now();
    let mut tx = services.store.begin().await?;
    let run = CourseRun { course_key: course_key.to_owned(), display_name: display_name.to_owned(), end };
    courses::put(&mut tx, &run, now).await?;
    let current = deadline_store::for_course(&mut tx, course_key).await?;
    let state = match current {
        Some(d) if d.is_explicit => DeadlineState { deadline: Some(d.deadline), is_explicit: true },
        Some(d) if Some(d.deadline) == end => DeadlineState { deadline: end, is_explicit: false },
        None if end.is_none() => DeadlineState { deadline: None, is_explicit: false },
        _ => {
            deadline_store::set(&mut tx, course_key, end, false, changed_by, now).await?;
            DeadlineState { deadline: end, is_explicit: false }
        }
    };
    tx.commit().await.map_err(StoreError::from)?;
    services.deadline_cache.invalidate(course_key);
    Ok(state)
}

/// The run of `course_key`, if the LMS reported it.
pub async fn run(services: &Services, course_key: &str) -> ServiceResult<Option<CourseRun>> {
    deadlines::check_course_key(course_key)?;
    let mut conn = services.store.conn().await?;
    Ok(courses::by_key(&mut conn, course_key).await?)
}

/// Refuses a verification for `course_key` once its verification deadline has passed
/// (Open edX's `VerificationDeadline`); a course without one is always open. Every submit
/// door calls this before it reads a photo.
pub async fn ensure_open(services: &Services, course_key: &str) -> ServiceResult<()> {
    match deadlines::deadline_for_course(services, course_key).await? {
        Some(deadline) if deadline < services.clock.now() => Err(ServiceError::DeadlinePassed(deadline)),
        _ => Ok(()),
    }
}
