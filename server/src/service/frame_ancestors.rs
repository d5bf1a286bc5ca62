//! Who may frame the learner pages: the LTI consumers' own `frame_ancestors` lists, read for
//! the Content Security Policy (`http::csp`).

use super::{ServiceResult, Services};
use crate::store::lti;

/// Each LTI consumer's `frame_ancestors` as stored, or `default` for one whose list is
/// empty (the deployment's `lti.frame_ancestors`).
pub async fn of_consumers(services: &Services, default: &str) -> ServiceResult<Vec<String>> {
    let mut conn = services.store.conn().await?;
    let consumers = lti::consumers(&mut conn).await?;
    Ok(consumers
        .into_iter()
        .map(|c| if c.frame_ancestors.trim().is_empty() { default.to_owned() } else { c.frame_ancestors })
        .collect())
}
