//! The photo vault: where photo bytes live, behind one interface over `object_store`
//! (a local folder by default). Only sealed photos ([`sealed`]) are ever written, and the
//! vendor reaches them through expiring signed URLs ([`urls`]).

pub mod sealed;
pub mod urls;

use crate::config::VaultConfig;
use bytes::Bytes;
use chrono::{DateTime, Utc};
use object_store::{
    ObjectStore, ObjectStoreExt, aws::AmazonS3Builder, local::LocalFileSystem, path::Path, prefix::PrefixStore,
    signer::Signer,
};
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
    /// S3 presigns URLs itself; the local store has none (Vouch signs and serves them).
    signer: Option<(Arc<dyn Signer>, String)>,
}

impl Vault {
    /// A vault in a local folder (created if missing).
    pub fn local(dir: &std::path::Path) -> Result<Self, VaultError> {
        std::fs::create_dir_all(dir).map_err(|e| VaultError::Setup(format!("{}: {e}", dir.display())))?;
        let fs = LocalFileSystem::new_with_prefix(dir).map_err(|e| VaultError::Setup(e.to_string()))?;
        Ok(Self { store: Arc::new(fs), signer: None })
    }

    /// A vault in an S3 bucket (or an S3-compatible server), under `s3_prefix`.
    pub fn s3(cfg: &VaultConfig) -> Result<Self, VaultError> {
        if cfg.s3_bucket.is_empty() {
            return Err(VaultError::Setup("vault.s3_bucket is required with vault.backend = \"s3\"".into()));
        }
        let mut b = AmazonS3Builder::from_env()
            .with_bucket_name(&cfg.s3_bucket)
            .with_region(&cfg.s3_region)
            .with_allow_http(cfg.s3_allow_http);
        if let Some(e) = &cfg.s3_endpoint {
            b = b.with_endpoint(e);
        }
        if let Some(k) = &cfg.s3_access_key_id {
            b = b.with_access_key_id(k);
        }
        if let Some(s) = &cfg.s3_secret_access_key {
            b = b.with_secret_access_key(s.expose());
        }
        let s3 = Arc::new(b.build().map_err(|e| VaultError::Setup(e.to_string()))?);
        let prefix = cfg.s3_prefix.trim_matches('/').to_owned();
        let store: Arc<dyn ObjectStore> =
            if prefix.is_empty() { s3.clone() } else { Arc::new(PrefixStore::new(s3.clone(), prefix.as_str())) };
        Ok(Self { store, signer: Some((s3, prefix)) })
    }

    /// The vault the configuration asks for.
    pub fn from_config(cfg: &VaultConfig) -> Result<Self, VaultError> {
        match cfg.backend {
            crate::config::VaultBackend::Local => Self::local(&cfg.local_dir),
            crate::config::VaultBackend::S3 => Self::s3(cfg),
        }
    }

    /// A URL through which the vendor can fetch `key` until `expires`: an S3 presigned URL,
    /// or for the local store a Vouch URL signed with `url_secret` (see [`urls`]).
    pub async fn url(
        &self,
        key: &str,
        now: DateTime<Utc>,
        expires: DateTime<Utc>,
        public_url: &str,
        url_secret: &[u8],
    ) -> Result<String, VaultError> {
        match &self.signer {
            Some((signer, prefix)) => {
                let path = if prefix.is_empty() { Path::from(key) } else { Path::from(format!("{prefix}/{key}")) };
                let ttl = (expires - now).to_std().unwrap_or_default();
                Ok(signer.signed_url(object_store::signer::Method::GET, &path, ttl).await?.to_string())
            }
            None => Ok(urls::photo_url(public_url, url_secret, key, expires.timestamp())),
        }
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
