//! The photo vault: where photo bytes live, behind one interface over `object_store`
//! (a local folder by default, or S3). Only sealed photos ([`sealed`]) are ever written, and
//! the vendor reaches them through expiring signed URLs ([`urls`]) that Vouch itself serves,
//! on every backend.
//!
//! Why not S3 presigned URLs: a presigned URL is a bearer token S3 honours until it expires
//! (the vendor's last five days), and nothing can revoke it short of rotating the access key.
//! A Vouch URL is checked on every fetch, so it stops working the moment the attempt is
//! decided or its photos are deleted, and the bucket stays private. The photo then streams
//! through Vouch, a few megabytes per attempt, once or twice.

mod failpoint;
pub mod sealed;
pub mod urls;

use crate::config::VaultConfig;
use bytes::Bytes;
use chrono::{DateTime, Utc};
use futures_util::{StreamExt, TryStreamExt, stream::BoxStream};
use object_store::{
    ObjectStore, ObjectStoreExt, aws::AmazonS3Builder, local::LocalFileSystem, path::Path, prefix::PrefixStore,
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
}

/// An object being read: its size and its bytes as they arrive.
pub struct VaultObject {
    /// Size in bytes.
    pub size: u64,
    /// The bytes.
    pub stream: BoxStream<'static, Result<Bytes, VaultError>>,
}

impl std::fmt::Debug for VaultObject {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VaultObject").field("size", &self.size).finish_non_exhaustive()
    }
}

/// An object as listed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectInfo {
    /// Its key (e.g. `face/<receipt id>`).
    pub key: String,
    /// When it was last written.
    pub last_modified: DateTime<Utc>,
}

impl Vault {
    /// A vault in a local folder (created if missing).
    pub fn local(dir: &std::path::Path) -> Result<Self, VaultError> {
        std::fs::create_dir_all(dir).map_err(|e| {
            VaultError::Setup(crate::config::invalid(
                "vault.local_dir",
                &format!("{} cannot be created ({e})", dir.display()),
                "point it at a folder this process may write",
            ))
        })?;
        let fs = LocalFileSystem::new_with_prefix(dir).map_err(|e| VaultError::Setup(e.to_string()))?;
        Ok(Self { store: Arc::new(fs) })
    }

    /// A vault in an S3 bucket (or an S3-compatible server), under `s3_prefix`.
    pub fn s3(cfg: &VaultConfig) -> Result<Self, VaultError> {
        if cfg.s3_bucket.is_empty() {
            return Err(VaultError::Setup(crate::config::missing(
                "vault.s3_bucket",
                "vault.backend is \"s3\"; set it to the bucket that keeps the photos",
            )));
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
        let s3 = b.build().map_err(|e| VaultError::Setup(e.to_string()))?;
        let prefix = cfg.s3_prefix.trim_matches('/');
        let store: Arc<dyn ObjectStore> =
            if prefix.is_empty() { Arc::new(s3) } else { Arc::new(PrefixStore::new(s3, prefix)) };
        Ok(Self { store })
    }

    /// The vault the configuration asks for.
    pub fn from_config(cfg: &VaultConfig) -> Result<Self, VaultError> {
        match cfg.backend {
            crate::config::VaultBackend::Local => Self::local(&cfg.local_dir),
            crate::config::VaultBackend::S3 => Self::s3(cfg),
        }
    }

    /// A URL through which the vendor can fetch `key` until `expires` (and only while the
    /// attempt awaits the vendor's verdict): a Vouch URL signed with `url_secret`, on every
    /// backend (see the module header and [`urls`]). `_now`, when the URL is issued, was the
    /// start of an S3 presigned URL's lifetime; the signature is async and fallible for the
    /// same reason, so callers need not change if a backend signs by itself again.
    pub async fn url(
        &self,
        key: &str,
        _now: DateTime<Utc>,
        expires: DateTime<Utc>,
        public_url: &str,
        url_secret: &[u8],
    ) -> Result<String, VaultError> {
        Ok(urls::photo_url(public_url, url_secret, key, expires.timestamp()))
    }

    /// Stores `bytes` under `key`, replacing what was there.
    pub async fn put(&self, key: &str, bytes: Vec<u8>) -> Result<(), VaultError> {
        self.store.put(&Path::from(key), Bytes::from(bytes).into()).await?;
        #[cfg(debug_assertions)]
        failpoint::after_put(key).await;
        Ok(())
    }

    /// Opens `key` for reading, streaming its bytes (a photo is not held whole in memory).
    pub async fn open(&self, key: &str) -> Result<VaultObject, VaultError> {
        let got = self.store.get(&Path::from(key)).await?;
        let size = got.meta.size;
        Ok(VaultObject { size, stream: got.into_stream().map_err(VaultError::from).boxed() })
    }

    /// Every object under `prefix` (e.g. `face`), with when it was written.
    pub async fn list(&self, prefix: &str) -> Result<Vec<ObjectInfo>, VaultError> {
        let mut out = Vec::new();
        let mut stream = self.store.list(Some(&Path::from(prefix)));
        while let Some(meta) = stream.next().await {
            match meta {
                Ok(m) => out.push(ObjectInfo { key: m.location.to_string(), last_modified: m.last_modified }),
                // A folder that does not exist yet holds nothing.
                Err(object_store::Error::NotFound { .. }) => {}
                Err(e) => return Err(e.into()),
            }
        }
        Ok(out)
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
