//! The Software Secure primitives of Open edX `ssencrypt.py`, byte-compatible with it.
//!
//! The contract is `shared/protocol/software-secure.md`; `tests/fixtures/ssencrypt.json`
//! pins every rule with known-answer vectors. The pieces:
//!
//! - [`aes`]: photo encryption (AES-CBC with the MD5 key-derived IV, PKCS#7) and the
//!   URL-safe base64 text that is stored as the photo object.
//! - [`rsa`]: RSA-OAEP (SHA-1) wrapping of the raw AES keys, and the two text forms
//!   of the wrapped key the vendor receives (`PhotoIDKey`, `UserPhotoKey`).
//! - [`signing`]: the canonical signing string, the HMAC-SHA256 signature and the
//!   `Authorization: SSI <access key>:<signature>` header, plus its verification.
//! - [`python`]: JSON parsed and rendered the way Python does it, because the signing
//!   string depends on Python's `str()`/`repr()` of the decoded body.
//! - [`b64`]: the base64 variants in play, including Python's lenient decoder.
//! - [`webhook_signature`]: not Software Secure's: the timestamped HMAC signature of the
//!   hosted vendor's webhooks (Stripe/Persona style), here so that every signature Vouch
//!   checks lives in one crate that depends on nothing of Vouch.
//!
//! These are compatibility primitives, not a modern design: the IV is deterministic, CBC
//! has no MAC and OAEP uses SHA-1 (spec §9). Callers add what the wire format cannot.
//! AES over a multi-megabyte photo is CPU work: call it from `spawn_blocking`.

pub mod aes;
pub mod b64;
pub mod python;
pub mod rsa;
pub mod signing;
pub mod webhook_signature;

#[cfg(test)]
mod tests;

pub use self::aes::{
    aes_decrypt, aes_encrypt, decode_and_decrypt, derive_iv, encrypt_and_encode, key_from_hex, pkcs7_pad, pkcs7_unpad,
};
pub use self::python::PyValue;
pub use self::rsa::{
    PrivateKey, PublicKey, parse_private_key, parse_public_key, photo_id_key, rsa_decrypt, rsa_encrypt,
    unwrap_photo_key, user_photo_key,
};
pub use self::signing::{
    SignedHeaders, authorization_header, body_string, http_date, legacy_access_key, sign_message, signing_string,
    verify_authorization,
};

/// Everything that can go wrong in this module.
///
/// Messages never include key material, plaintext or signatures: some of these errors
/// end up in logs, and a padding or signature detail there would help an attacker.
#[derive(Debug, thiserror::Error)]
pub enum CryptoError {
    /// An AES key must be 16, 24 or 32 bytes (AES-128/192/256).
    #[error("AES key must be 16, 24 or 32 bytes, not {0}")]
    InvalidKeyLength(usize),
    /// A hex key setting (`FACE_IMAGE_AES_KEY`) is not an even run of hex digits.
    #[error("AES key is not valid hex")]
    InvalidHexKey,
    /// A ciphertext is empty or not a whole number of 16-byte blocks.
    #[error("ciphertext length {0} is not a positive multiple of 16")]
    InvalidCiphertextLength(usize),
    /// The decrypted data does not end in valid PKCS#7 padding (wrong key or tampering).
    #[error("invalid padding")]
    BadPadding,
    /// Base64 text that Python's `urlsafe_b64decode` would also reject.
    #[error("invalid base64: {0}")]
    InvalidBase64(&'static str),
    /// A public key that is neither PEM, OpenSSH `ssh-rsa` nor DER RSA.
    #[error("invalid RSA public key: {0}")]
    InvalidPublicKey(String),
    /// A private key that is neither PEM (PKCS#1/PKCS#8) nor DER, or is encrypted.
    #[error("invalid RSA private key: {0}")]
    InvalidPrivateKey(String),
    /// An RSA-OAEP operation failed (message too long, or a ciphertext that does not
    /// decrypt under this key; OAEP deliberately does not say which part was wrong).
    #[error("RSA-OAEP failed: {0}")]
    Rsa(#[from] ::rsa::Error),
    /// Text that Python's `json.loads` would reject.
    #[error("invalid JSON at byte {offset}: {reason}")]
    InvalidJson {
        /// Byte offset of the problem in the input.
        offset: usize,
        /// What was wrong.
        reason: &'static str,
    },
    /// The body to sign is not a JSON object (Python's `body_string` calls `.items()`).
    #[error("JSON body is not an object")]
    NotAnObject,
    /// A signed header value that is not visible ASCII, so it has no exact text form.
    #[error("header {0} is not valid text")]
    InvalidHeader(&'static str),
    /// An `Authorization` header that does not have the `SSI <key>:<signature>` shape.
    #[error("malformed Authorization header")]
    MalformedAuthorization,
    /// The access key or the signature does not match (deliberately not saying which).
    #[error("invalid signature")]
    BadSignature,
}
