//! Staff views of the job queue: failed jobs and retrying them.

use super::{ServiceError, ServiceResult, Services};
use crate::store::jobs::{self, JobInfo};

/// The statuses a job can be in.
const STATUSES: [&str; 4] = ["queued", "running", "done", "failed"];

/// Jobs of `status` (any when None), one page, and the total.
pub async fn list(
    services: &Services,
    status: Option<&str>,
    offset: i64,
    limit: i64,
) -> ServiceResult<(Vec<JobInfo>, i64)> {
    if let Some(s) = status
        && !STATUSES.contains(&s)
    {
        return Err(ServiceError::Invalid("status is one of queued, running, done, failed.".into()));
    }
    let mut conn = services.store.conn().await?;
    Ok(jobs::list(&mut conn, status, offset, limit).await?)
}

/// Queues a failed job again; a job that is not failed is a conflict.
pub async fn retry(services: &Services, id: i64) -> ServiceResult<()> {
    let mut tx = services.store.begin().await?;
    if !jobs::requeue_failed(&mut tx, id, services.clock.now()).await? {
        return Err(super::Conflict::JobNotFailed.into());
    }
    tx.commit().await.map_err(crate::store::StoreError::from)?;
    Ok(())
}
