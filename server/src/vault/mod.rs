//! The photo vault: where photo bytes live, behind one interface over `object_store`
//! (a local folder by default). Only sealed photos ([`sealed`]) are ever written, and the
//! vendor reaches them through expiring signed URLs ([`urls`]).

pub mod sealed;
pub mod urls;

use bytes::Bytes;
use object_store::{ObjectStore, ObjectStoreExt, local::LocalFileSystem, path::Path};
use std::sync::Arc;

/// Vault failures.
#[derive(Debug, thiserror::Error)]
pub enum VaultError {
    /// No object under that key.
    #[error("photo not found")]
    NotFound,
    /// The backing store failed.
    #[error("photo store error")]
    Store(#[source] object_store::Error),
    /// The vault could not be set up.
    #[error("photo store setup: {0}")]
    Setup(String),
}

impl From<object_store::Error> for VaultError {
    fn from(e: object_store::Error) -> Self {
        match e {
            object_store::Error::NotFound { .. } => Self::NotFound,
            e => Self::Store(e),
        }
    }
}

/// Photo storage by key.
#[derive(Debug, Clone)]
pub struct Vault {
    store: Arc<dyn ObjectStore>,
}

impl Vault {
    /// A vault in a local folder (created if missing).
    pub fn local(dir: &std::path::Path) -> Result<Self, VaultError> {
        std::fs::create_dir_all(dir).map_err(|e| VaultError::Setup(format!("{}: {e}", dir.display())))?;
        let fs = LocalFileSystem::new_with_prefix(dir).map_err(|e| VaultError::Setup(e.to_string()))?;
        Ok(Self { store: Arc::new(fs) })
    }

    /// A vault over any object store (tests, S3).
    pub fn new(store: Arc<dyn ObjectStore>) -> Self {
        Self { store }
    }

    /// Stores `bytes` under `key`, replacing what was there.
    pub async fn put(&self, key: &str, bytes: Vec<u8>) -> Result<(), VaultError> {
        self.store.put(&Path::from(key), Bytes::from(bytes).into()).await?;
        Ok(())
    }

    /// The bytes under `key`.
    pub async fn get(&self, key: &str) -> Result<Bytes, VaultError> {
        Ok(self.store.get(&Path::from(key)).await?.bytes().await?)
    }

    /// Deletes `key`; deleting a missing key succeeds, so retries are safe.
    pub async fn delete(&self, key: &str) -> Result<(), VaultError> {
        match self.store.delete(&Path::from(key)).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(e.into()),
        }
    }
}
