//! Course verification deadlines, read through a small per-process cache that a write
//! through this process invalidates at once, and that expires after a minute so changes
//! made by another process (a worker, the CLI) show up soon.
//!
//! The cache is bounded (an LRU-like moka cache) and holds only deadlines the database
//! has: a course key that any signed-in caller makes up is answered from the database
//! and never stored, so strangers cannot grow the process's memory with invented keys.

use super::{ServiceError, ServiceResult, Services};
use crate::store::{StoreError, deadlines};
use chrono::{DateTime, Utc};
use std::{collections::HashMap, time::Duration};

/// How long a cached deadline is trusted.
const TTL: Duration = Duration::from_secs(60);

/// The most deadlines one process keeps (a platform's active courses fit many times over).
pub const CAPACITY: u64 = 10_000;

/// The cache: course key → its deadline, for courses that have one.
#[derive(Debug, Clone)]
pub struct DeadlineCache {
    entries: moka::sync::Cache<String, DateTime<Utc>>,
}

impl Default for DeadlineCache {
    fn default() -> Self {
        Self::with_capacity(CAPACITY)
    }
}

impl DeadlineCache {
    /// A cache of at most `capacity` deadlines.
    pub fn with_capacity(capacity: u64) -> Self {
        Self { entries: moka::sync::Cache::builder().max_capacity(capacity).time_to_live(TTL).build() }
    }

    fn get(&self, course: &str) -> Option<DateTime<Utc>> {
        self.entries.get(course)
    }

    fn put(&self, course: &str, deadline: DateTime<Utc>) {
        self.entries.insert(course.to_owned(), deadline);
    }

    pub(crate) fn invalidate(&self, course: &str) {
        self.entries.invalidate(course);
    }

    /// How many deadlines are cached now (after pending evictions are applied).
    pub fn len(&self) -> u64 {
        self.entries.run_pending_tasks();
        self.entries.entry_count()
    }

    /// Whether nothing is cached.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
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
        return Ok(Some(hit));
    }
    let mut conn = services.store.conn().await?;
    let deadline = deadlines::for_course(&mut conn, course_key).await?.map(|d| d.deadline);
    if let Some(d) = deadline {
        services.deadline_cache.put(course_key, d);
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cache_is_bounded() {
        let cache = DeadlineCache::with_capacity(100);
        let now = Utc::now();
        for i in 0..5_000 {
            cache.put(&format!("course-{i}"), now);
        }
        assert!(cache.len() <= 100, "{} entries kept", cache.len());
        cache.put("course-kept", now);
        assert_eq!(cache.get("course-kept"), Some(now));
        cache.invalidate("course-kept");
        assert_eq!(cache.get("course-kept"), None);
    }
}
