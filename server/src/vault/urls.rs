//! Expiring photo URLs for the local store: Vouch serves `GET /verify_student/photos/{object}`
//! only with an `expires` time and an HMAC over the object and that time, so a URL given to
//! the vendor works until it expires and cannot be altered to reach another photo.

use hmac::{Hmac, KeyInit as _, Mac as _};
use sha2::Sha256;
use subtle::ConstantTimeEq;

fn mac(secret: &[u8], object: &str, expires: i64) -> Vec<u8> {
    let mut m = Hmac::<Sha256>::new_from_slice(secret).expect("HMAC accepts keys of any length");
    m.update(object.as_bytes());
    m.update(b"\n");
    m.update(expires.to_string().as_bytes());
    m.finalize().into_bytes().to_vec()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The URL of `object` (e.g. `face/<receipt>`) under `public_url`, valid until `expires`
/// (Unix seconds).
pub fn photo_url(public_url: &str, secret: &[u8], object: &str, expires: i64) -> String {
    format!(
        "{}/verify_student/photos/{object}?expires={expires}&signature={}",
        public_url.trim_end_matches('/'),
        hex(&mac(secret, object, expires))
    )
}

/// Whether `signature` is right for `object` and `expires`, and `expires` is after `now`
/// (Unix seconds). Compared in constant time.
pub fn verify(secret: &[u8], object: &str, expires: i64, signature: &str, now: i64) -> bool {
    if expires < now {
        return false;
    }
    let expected = hex(&mac(secret, object, expires));
    expected.as_bytes().ct_eq(signature.as_bytes()).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_verify_until_they_expire() {
        let url = photo_url("http://vouch.test/", b"k", "face/r1", 1000);
        let sig = url.rsplit_once("signature=").map(|(_, s)| s).unwrap_or_default();
        assert!(url.starts_with("http://vouch.test/verify_student/photos/face/r1?expires=1000&signature="));
        assert!(verify(b"k", "face/r1", 1000, sig, 999));
        assert!(!verify(b"k", "face/r1", 1000, sig, 1001), "expired");
        assert!(!verify(b"k", "face/r2", 1000, sig, 999), "another photo");
        assert!(!verify(b"k", "face/r1", 2000, sig, 999), "extended expiry");
        assert!(!verify(b"other", "face/r1", 1000, sig, 999), "another key");
    }
}
