//! Key wrap as `ssencrypt.rsa_encrypt`/`rsa_decrypt` do it (spec §3): RSAES-OAEP with
//! SHA-1, MGF1-SHA-1 and an empty label, over the raw AES key bytes.
//!
//! SHA-1 in OAEP is what the vendor expects; it is still sound there (OAEP needs no
//! collision resistance). Security note (RUSTSEC-2023-0071, the "Marvin" timing attack):
//! `rsa` 0.10 is the release with constant-time private-key arithmetic. Even so, Vouch
//! only runs private-key operations in staff tools and the fake vendor, never on a path
//! an outside client can time; the server itself only encrypts with the vendor's public key.

use ::rsa::BoxedUint;
use ::rsa::pkcs1::{DecodeRsaPrivateKey as _, DecodeRsaPublicKey as _};
use ::rsa::pkcs8::{DecodePrivateKey as _, DecodePublicKey as _};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use sha1::Sha1;

use super::CryptoError;
use super::b64::{b64encode, encodebytes, lenient_b64decode};

pub use ::rsa::{PrivateKey, PublicKey};

/// Parses a public key the way `ssencrypt.rsa_encrypt` picks a loader: text starting
/// with `-----` is PEM (SPKI `PUBLIC KEY` or PKCS#1 `RSA PUBLIC KEY`), text starting with
/// `ssh-rsa ` is an OpenSSH public key line, anything else is DER (SPKI, then PKCS#1).
/// Surrounding whitespace around PEM and OpenSSH text is ignored (settings often carry
/// a trailing newline). Keys are 1024 to 8192 bits.
pub fn parse_public_key(key: impl AsRef<[u8]>) -> Result<PublicKey, CryptoError> {
    let bytes = key.as_ref();
    let invalid = |e: &dyn std::fmt::Display| CryptoError::InvalidPublicKey(e.to_string());
    match std::str::from_utf8(bytes).map(str::trim) {
        Ok(text) if text.starts_with("-----") => {
            PublicKey::from_public_key_pem(text).or_else(|_| PublicKey::from_pkcs1_pem(text)).map_err(|e| invalid(&e))
        }
        Ok(text) if text.starts_with("ssh-rsa ") => parse_openssh(text),
        _ => {
            PublicKey::from_public_key_der(bytes).or_else(|_| PublicKey::from_pkcs1_der(bytes)).map_err(|e| invalid(&e))
        }
    }
}

/// Parses a private key like `ssencrypt.rsa_decrypt`: text starting with `-----` is PEM
/// (PKCS#8 `PRIVATE KEY` or PKCS#1 `RSA PRIVATE KEY`), anything else DER (PKCS#8, then
/// PKCS#1). Passphrase-protected keys are refused, as in Open edX.
pub fn parse_private_key(key: impl AsRef<[u8]>) -> Result<PrivateKey, CryptoError> {
    let bytes = key.as_ref();
    let invalid = |e: &dyn std::fmt::Display| CryptoError::InvalidPrivateKey(e.to_string());
    match std::str::from_utf8(bytes).map(str::trim) {
        Ok(text) if text.starts_with("-----BEGIN ENCRYPTED PRIVATE KEY-----") => {
            Err(CryptoError::InvalidPrivateKey("encrypted keys are not supported".to_owned()))
        }
        Ok(text) if text.starts_with("-----") => {
            PrivateKey::from_pkcs8_pem(text).or_else(|_| PrivateKey::from_pkcs1_pem(text)).map_err(|e| invalid(&e))
        }
        _ => PrivateKey::from_pkcs8_der(bytes).or_else(|_| PrivateKey::from_pkcs1_der(bytes)).map_err(|e| invalid(&e)),
    }
}

/// `ssencrypt.rsa_encrypt`: RSA-OAEP (SHA-1, MGF1-SHA-1, empty label) of `data`, with
/// fresh randomness from the operating system. A 2048-bit key gives 256 bytes.
pub fn rsa_encrypt(data: &[u8], key: &PublicKey) -> Result<Vec<u8>, CryptoError> {
    Ok(key.oaep_encrypt::<Sha1>(data)?)
}

/// `ssencrypt.rsa_decrypt`: the inverse of [`rsa_encrypt`]. Only for staff tools and the
/// fake vendor (see the module note on RUSTSEC-2023-0071).
pub fn rsa_decrypt(ciphertext: &[u8], key: &PrivateKey) -> Result<Vec<u8>, CryptoError> {
    Ok(key.oaep_decrypt::<Sha1>(ciphertext)?)
}

/// The `PhotoIDKey` request field: the photo-ID AES key wrapped with [`rsa_encrypt`] and
/// encoded like Python's `encodebytes` (standard base64, `\n` after every 76 characters
/// and at the end): 349 characters for a 2048-bit key.
pub fn photo_id_key(aes_key: &[u8], vendor_key: &PublicKey) -> Result<String, CryptoError> {
    Ok(encodebytes(&rsa_encrypt(aes_key, vendor_key)?))
}

/// The `UserPhotoKey` request field: the face AES key wrapped with [`rsa_encrypt`] in
/// standard padded base64 without newlines (344 characters for a 2048-bit key).
/// Wrap again for every request, as Open edX does.
pub fn user_photo_key(aes_key: &[u8], vendor_key: &PublicKey) -> Result<String, CryptoError> {
    Ok(b64encode(&rsa_encrypt(aes_key, vendor_key)?))
}

/// Recovers the raw AES key from a `PhotoIDKey` or `UserPhotoKey` field: Python's lenient
/// `urlsafe_b64decode` (so either form, wrapped or not), then [`rsa_decrypt`].
pub fn unwrap_photo_key(field: &str, key: &PrivateKey) -> Result<Vec<u8>, CryptoError> {
    rsa_decrypt(&lenient_b64decode(field.as_bytes())?, key)
}

/// Test hook for the seeded OAEP vectors: encrypts with `seed` as the OAEP seed
/// (RFC 8017 §7.1.1), so the ciphertext is reproducible.
#[cfg(test)]
pub(crate) fn rsa_encrypt_with_seed(data: &[u8], key: &PublicKey, seed: &[u8]) -> Result<Vec<u8>, CryptoError> {
    let mut rng = seeded::SeedRng(seed.to_vec());
    Ok(key.encrypt(&mut rng, ::rsa::Oaep::<Sha1>::new(), data)?)
}

#[cfg(test)]
mod seeded {
    use ::rsa::rand_core::{TryCryptoRng, TryRng};

    /// Hands out exactly the given bytes once; OAEP draws its whole seed in one call.
    pub(super) struct SeedRng(pub(super) Vec<u8>);

    impl TryRng for SeedRng {
        type Error = ::rsa::Error;

        fn try_next_u32(&mut self) -> Result<u32, Self::Error> {
            Err(::rsa::Error::Rng)
        }

        fn try_next_u64(&mut self) -> Result<u64, Self::Error> {
            Err(::rsa::Error::Rng)
        }

        fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Self::Error> {
            if dst.len() != self.0.len() {
                return Err(::rsa::Error::Rng);
            }
            dst.copy_from_slice(&self.0);
            self.0.clear();
            Ok(())
        }
    }

    impl TryCryptoRng for SeedRng {}
}

/// An OpenSSH `ssh-rsa <base64> [comment]` line: the blob is the strings `ssh-rsa`,
/// `e` and `n` (RFC 4253 §6.6), each with a 32-bit big-endian length.
fn parse_openssh(line: &str) -> Result<PublicKey, CryptoError> {
    let invalid = |why: &str| CryptoError::InvalidPublicKey(format!("OpenSSH key: {why}"));
    let blob_text = line.split_ascii_whitespace().nth(1).ok_or_else(|| invalid("no key data"))?;
    let blob = STANDARD.decode(blob_text).map_err(|_| invalid("bad base64"))?;
    let mut rest = blob.as_slice();
    let mut field = || take_field(&mut rest).ok_or_else(|| invalid("truncated"));
    if field()? != b"ssh-rsa" {
        return Err(invalid("not an ssh-rsa key"));
    }
    let e = mpint(field()?).ok_or_else(|| invalid("bad exponent"))?;
    let n = mpint(field()?).ok_or_else(|| invalid("bad modulus"))?;
    if !rest.is_empty() {
        return Err(invalid("trailing data"));
    }
    PublicKey::new(n, e).map_err(|e| CryptoError::InvalidPublicKey(e.to_string()))
}

/// Splits one length-prefixed SSH string off the front of `rest`.
fn take_field<'a>(rest: &mut &'a [u8]) -> Option<&'a [u8]> {
    let (len, tail) = rest.split_first_chunk::<4>()?;
    let len = usize::try_from(u32::from_be_bytes(*len)).ok()?;
    if tail.len() < len {
        return None;
    }
    let (value, tail) = tail.split_at(len);
    *rest = tail;
    Some(value)
}

/// A non-negative SSH `mpint` (big-endian two's complement) as a `BoxedUint`.
fn mpint(bytes: &[u8]) -> Option<BoxedUint> {
    if bytes.first().is_some_and(|b| b & 0x80 != 0) {
        return None;
    }
    let start = bytes.iter().position(|&b| b != 0)?;
    let digits = &bytes[start..];
    let bits = u32::try_from(digits.len() * 8).ok()?;
    BoxedUint::from_be_slice(digits, bits).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn garbage_keys_are_rejected_with_a_clear_error() {
        assert!(matches!(
            parse_public_key("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----"),
            Err(CryptoError::InvalidPublicKey(_))
        ));
        assert!(parse_public_key(b"\x30\x03\x02\x01\x01").is_err());
        assert!(parse_public_key("ssh-rsa").is_err());
        assert!(parse_public_key("ssh-rsa !!!").is_err());
        // A valid blob header for another key type.
        let ed = format!("ssh-rsa {}", STANDARD.encode(b"\0\0\0\x0bssh-ed25519"));
        assert!(parse_public_key(ed).is_err());
        assert!(matches!(
            parse_private_key("-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAAA\n"),
            Err(CryptoError::InvalidPrivateKey(_))
        ));
        assert!(parse_private_key(b"not a key").is_err());
    }

    #[test]
    fn mpint_rules() {
        assert!(mpint(&[0x80, 1]).is_none(), "negative");
        assert!(mpint(&[0, 0]).is_none(), "zero");
        assert!(mpint(&[0, 0x80, 1]).is_some());
    }
}
