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
    /// The review key pair's public key (`review.rsa_public_key`): seals in_house photos.
    pub review_public: Option<PublicKey>,
    /// Its private key (`review.rsa_private_key`): decrypts in_house photos for claim
    /// holders and staff, and nothing else.
    pub review_private: Option<PrivateKey>,
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
        let (review_public, review_private) = review_keys(cfg)?;
        Ok(Self { vendor_public, vendor_private, url_secret, review_public, review_private })
    }
}

/// The review key pair, parsed; when both are set they must belong together (a wrong pair
/// would seal photos no reviewer can open, found out only at the first review).
fn review_keys(cfg: &Config) -> Result<(Option<PublicKey>, Option<PrivateKey>), ConfigError> {
    let r = &cfg.review;
    let public = r
        .rsa_public_key
        .as_deref()
        .filter(|k| !k.trim().is_empty())
        .map(|k| ssencrypt::parse_public_key(k.trim()))
        .transpose()
        .map_err(|e| {
            ConfigError::Invalid(invalid(
                "review.rsa_public_key",
                &format!("it is not an RSA public key in PEM ({e})"),
                "set it to the review public key, e.g. from `vouch debug gen-keys --out keys`",
            ))
        })?;
    let private = r
        .rsa_private_key
        .as_ref()
        .filter(|k| !k.expose().trim().is_empty())
        .map(|k| ssencrypt::parse_private_key(k.expose().trim()))
        .transpose()
        .map_err(|e| {
            ConfigError::Invalid(invalid(
                "review.rsa_private_key",
                &format!("it is not an RSA private key in PEM ({e})"),
                "set it to the PEM private key matching review.rsa_public_key",
            ))
        })?;
    if let (Some(public), Some(private)) = (&public, &private) {
        let probe = [7u8; 32];
        let matches = ssencrypt::user_photo_key(&probe, public)
            .and_then(|wrapped| ssencrypt::unwrap_photo_key(&wrapped, private))
            .is_ok_and(|k| k == probe);
        if !matches {
            return Err(ConfigError::Invalid(invalid(
                "review.rsa_private_key",
                "it does not match review.rsa_public_key",
                "set both keys from the same pair",
            )));
        }
    }
    Ok((public, private))
}
