//! Key material, parsed once at start from the configuration.

use crate::config::{Config, ConfigError, invalid};
use ssencrypt::{PrivateKey, PublicKey};

/// The keys the services use.
pub struct Keys {
    /// The vendor's public key: wraps photo keys. Without it photos cannot be submitted.
    pub vendor_public: Option<PublicKey>,
    /// The vendor's private key: staff decrypt tools only.
    pub vendor_private: Option<PrivateKey>,
    /// Signs the local store's photo URLs.
    pub url_secret: Vec<u8>,
}

impl Keys {
    /// Parses the configured keys; a malformed key is a configuration error at start.
    pub fn from_config(cfg: &Config) -> Result<Self, ConfigError> {
        let ss = &cfg.software_secure;
        let vendor_public = ss
            .rsa_public_key
            .as_deref()
            .filter(|k| !k.trim().is_empty())
            .map(|k| ssencrypt::parse_public_key(k.trim()))
            .transpose()
            .map_err(|e| {
                ConfigError::Invalid(invalid(
                    "software_secure.rsa_public_key",
                    &format!("it is not an RSA public key in PEM ({e})"),
                    "set it to the vendor's public key, -----BEGIN PUBLIC KEY----- to -----END PUBLIC KEY-----",
                ))
            })?;
        let vendor_private = ss
            .rsa_private_key
            .as_ref()
            .filter(|k| !k.expose().trim().is_empty())
            .map(|k| ssencrypt::parse_private_key(k.expose().trim()))
            .transpose()
            .map_err(|e| {
                ConfigError::Invalid(invalid(
                    "software_secure.rsa_private_key",
                    &format!("it is not an RSA private key in PEM ({e})"),
                    "set it to the PEM private key matching rsa_public_key, or unset it (staff decrypt tools only)",
                ))
            })?;
        let url_secret = match &cfg.vault.url_secret {
            Some(s) => s.expose().as_bytes().to_vec(),
            None => {
                tracing::warn!("vault.url_secret is not set: photo URLs are signed with a random key of this process");
                rand::random::<[u8; 32]>().to_vec()
            }
        };
        Ok(Self { vendor_public, vendor_private, url_secret })
    }
}
