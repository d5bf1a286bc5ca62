//! Figures read from the database for the metrics endpoint: the job queue by status and
//! the attempts by kind and status.

use super::{ServiceResult, Services};
use crate::store::{jobs, verifications};

/// The database's figures at one read.
#[derive(Debug)]
pub struct DatabaseFigures {
    /// Jobs by status.
    pub jobs: jobs::JobCounts,
    /// `(kind, status, count)` of every attempt table.
    pub attempts: Vec<(&'static str, String, i64)>,
}

/// Reads the figures on one connection.
pub async fn database_figures(services: &Services) -> ServiceResult<DatabaseFigures> {
    let mut conn = services.store.conn().await?;
    let jobs = jobs::counts(&mut conn).await?;
    let attempts = verifications::counts_by_status(&mut conn).await?;
    Ok(DatabaseFigures { jobs, attempts })
}
