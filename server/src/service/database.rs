//! The database as the entry points handle it as a whole: opening and migrating it for the
//! commands that need nothing else, the readiness probe, the session store, and closing it
//! when a command ends.

use super::{ServiceError, ServiceResult, Services, records::DbSessionStore};
use crate::{
    config::Config,
    store::{Store, StoreError},
};
use anyhow::Context as _;

/// Opens the database `cfg` names with at most `max_connections` and applies the
/// migrations. A database that cannot be opened is reported as the setting to fix.
pub async fn open_migrated(cfg: &Config, max_connections: u32) -> anyhow::Result<Store> {
    let store = Store::connect(&cfg.database.url, max_connections)
        .await
        .map_err(|e| anyhow::anyhow!(crate::config::database_unusable(&e)))?;
    store.migrate().await.context("applying migrations")?;
    Ok(store)
}

/// Opens the database at `url` as it is (no migrations): benchmark tools that run beside
/// a server which already migrated it.
pub async fn open(url: &str, max_connections: u32) -> ServiceResult<Store> {
    Ok(Store::connect(url, max_connections).await?)
}

/// Whether the database answers, for the readiness probe. Any failure reads as
/// "unavailable" (a 503 at the edge): a probe asks whether to send traffic, not why.
pub async fn ready(services: &Services) -> ServiceResult<()> {
    services.store.ping().await.map_err(|e| {
        ServiceError::Store(StoreError::Unavailable(match e {
            StoreError::Unavailable(s) | StoreError::Database(s) => s,
            _ => sqlx::Error::PoolClosed,
        }))
    })
}

/// The session store the HTTP layer's session middleware keeps sessions in.
pub fn session_store(services: &Services) -> DbSessionStore {
    DbSessionStore::new(services.store.clone())
}

/// Closes the pool once a command is done, so its connections end cleanly.
pub async fn close(services: &Services) {
    services.store.close().await;
}
