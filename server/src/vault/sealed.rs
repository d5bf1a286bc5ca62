//! Photos as they are stored and as the vendor fetches them: AES-CBC under a fresh random
//! key per photo, as the URL-safe base64 text of Open edX's `encrypt_and_encode`, with the
//! key wrapped for the vendor (RSA-OAEP). The raw key is never stored.
//!
//! Open edX encrypts every face photo under one site-wide key, which with the key-derived
//! IV makes equal photos encrypt to equal bytes; Vouch uses a fresh key for the face photo
//! too. The vendor unwraps `UserPhotoKey` either way, so the wire format is unchanged.

use ssencrypt::{CryptoError, PublicKey};

/// Which photo, deciding the text form of its wrapped key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PhotoKind {
    /// The learner's face (`UserPhotoKey`: one line of base64).
    Face,
    /// The learner's photo ID (`PhotoIDKey`: base64 wrapped at 76 characters).
    PhotoId,
}

impl PhotoKind {
    /// The object-name prefix Open edX uses (`face/<receipt>`, `photo_id/<receipt>`).
    pub fn prefix(self) -> &'static str {
        match self {
            Self::Face => "face",
            Self::PhotoId => "photo_id",
        }
    }
}

/// A sealed photo.
#[derive(Debug, Clone)]
pub struct Sealed {
    /// The stored object: `encrypt_and_encode` text.
    pub text: String,
    /// The photo's AES key wrapped for the vendor, in the form its request field takes.
    pub wrapped_key: String,
}

/// Encrypts `photo` under a fresh 256-bit key and wraps the key with `vendor_key`.
/// CPU-bound on large photos: call it from `crate::cpu_work::run` (or `spawn_blocking`).
pub fn seal(photo: &[u8], kind: PhotoKind, vendor_key: &PublicKey) -> Result<Sealed, CryptoError> {
    let key: [u8; 32] = rand::random();
    let text = ssencrypt::encrypt_and_encode(photo, &key)?;
    let wrapped_key = match kind {
        PhotoKind::Face => ssencrypt::user_photo_key(&key, vendor_key)?,
        PhotoKind::PhotoId => ssencrypt::photo_id_key(&key, vendor_key)?,
    };
    Ok(Sealed { text, wrapped_key })
}
