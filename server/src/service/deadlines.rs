//! Course verification deadlines, read through a small per-process cache that a write
//! through this process invalidates at once, and that expires after a minute so changes
//! made by another process (a worker, the CLI) show up soon.

use super::{ServiceError, ServiceResult, Services};
use crate::store::{StoreError, deadlines};
use chrono::{DateTime, Utc};
use std::{
    collections::HashMap,
    sync::RwLock,
    time::{Duration, Instant},
};

/// How long a cached deadline is trusted.
const TTL: Duration = Duration::from_secs(60);

/// A cached read: the deadline (or none) and when it was read.
type Entry = (Option<DateTime<Utc>>, Instant);

/// The cache: course key → entry.
#[derive(Debug, Default)]
pub struct DeadlineCache {
    entries: RwLock<HashMap<String, Entry>>,
}

impl DeadlineCache {
    fn get(&self, course: &str) -> Option<Option<DateTime<Utc>>> {
        let entries = self.entries.read().unwrap_or_else(std::sync::PoisonError::into_inner);
        entries.get(course).filter(|(_, at)| at.elapsed() < TTL).map(|(d, _)| *d)
    }

    fn put(&self, course: &str, deadline: Option<DateTime<Utc>>) {
        let mut entries = self.entries.write().unwrap_or_else(std::sync::PoisonError::into_inner);
        entries.insert(course.to_owned(), (deadline, Instant::now()));
    }

    fn invalidate(&self, course: &str) {
        let mut entries = self.entries.write().unwrap_or_else(std::sync::PoisonError::into_inner);
        entries.remove(course);
    }
}

pub(crate) fn check_course_key(course_key: &str) -> ServiceResult<()> {
    let ok = !course_key.is_empty() && course_key.len() <= 255 && !course_key.chars().any(char::is_control);
    if ok { Ok(()) } else { Err(ServiceError::Invalid("That is not a course key.".into())) }
}

/// The verification deadline of a course (`deadline_for_course`), None when it has none.
pub async fn deadline_for_course(services: &Services, course_key: &str) -> ServiceResult<Option<DateTime<Utc>>> {
    // A key with a NUL would reach PostgreSQL as text it cannot hold (a 500): refuse it.
    check_course_key(course_key)?;
    if let Some(hit) = services.deadline_cache.get(course_key) {
        return Ok(hit);
    }
    let mut conn = services.store.conn().await?;
    let deadline = deadlines::for_course(&mut conn, course_key).await?.map(|d| d.deadline);
    services.deadline_cache.put(course_key, deadline);
    Ok(deadline)
}

/// The deadlines of many courses in one query (`deadlines_for_enrollments`).
pub async fn deadlines_for_courses(
    services: &Services,
    course_keys: &[String],
) -> ServiceResult<HashMap<String, DateTime<Utc>>> {
    let mut conn = services.store.conn().await?;
    Ok(deadlines::for_courses(&mut conn, course_keys).await?)
}

/// Sets or removes a course's deadline (`set_deadline`), recording who changed it.
pub async fn set_deadline(
    services: &Services,
    course_key: &str,
    deadline: Option<DateTime<Utc>>,
    is_explicit: bool,
    changed_by: &str,
) -> ServiceResult<()> {
    check_course_key(course_key)?;
    let mut tx = services.store.begin().await?;
    deadlines::set(&mut tx, course_key, deadline, is_explicit, changed_by, services.clock.now()).await?;
    tx.commit().await.map_err(StoreError::from)?;
    services.deadline_cache.invalidate(course_key);
    Ok(())
}

/// Every change of a course's deadline, oldest first.
pub async fn history(services: &Services, course_key: &str) -> ServiceResult<Vec<deadlines::DeadlineChange>> {
    check_course_key(course_key)?;
    let mut conn = services.store.conn().await?;
    Ok(deadlines::history(&mut conn, course_key).await?)
}
