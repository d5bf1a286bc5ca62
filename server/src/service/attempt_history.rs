//! An attempt's audit history: every recorded status change, oldest first.

use super::{ServiceResult, Services};
use crate::store::transitions::{self, Transition};
use app::domain::AttemptKind;

/// The recorded changes of attempt `id` of `kind`, oldest first (empty: no such attempt).
pub async fn history(services: &Services, kind: AttemptKind, id: i64) -> ServiceResult<Vec<Transition>> {
    let mut conn = services.store.conn().await?;
    Ok(transitions::history(&mut conn, kind, id).await?)
}
