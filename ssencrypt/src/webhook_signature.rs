//! Timestamped HMAC signatures of the hosted vendor's webhooks, in the style Stripe and
//! Persona use: `Webhook-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`.
//! Several `v1` values may be present (the vendor signs with old and new secrets while
//! rotating); one match is enough. The timestamp is part of what is signed, so an old
//! webhook cannot be re-dated, and one outside the tolerance window is refused.

use hmac::{Hmac, KeyInit as _, Mac as _};
use sha2::Sha256;
use subtle::ConstantTimeEq;

/// The header carrying the signature.
pub const HEADER: &str = "webhook-signature";

/// Why a signature was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    /// No `t=` or no `v1=`, or a timestamp that is not a number.
    #[error("malformed signature header")]
    Malformed,
    /// The timestamp is outside the tolerance window.
    #[error("signature timestamp outside the window")]
    Stale,
    /// No `v1` value matches.
    #[error("signature mismatch")]
    Mismatch,
}

fn hex_mac(secret: &[u8], t: i64, body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).expect("HMAC accepts keys of any length");
    mac.update(t.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    mac.finalize().into_bytes().iter().map(|b| format!("{b:02x}")).collect()
}

/// The header value signing `body` at unix time `t`.
pub fn sign(secret: &[u8], t: i64, body: &[u8]) -> String {
    format!("t={t},v1={}", hex_mac(secret, t, body))
}

/// Checks `header` over `body`: well-formed, `t` within `tolerance_secs` of `now` (either
/// way), and one `v1` equal (in constant time) to ours. Returns the signed timestamp.
pub fn verify(header: &str, secret: &[u8], body: &[u8], now: i64, tolerance_secs: i64) -> Result<i64, SignatureError> {
    let mut t = None;
    let mut candidates = Vec::new();
    for part in header.split(',') {
        match part.trim().split_once('=') {
            Some(("t", v)) => t = Some(v.parse::<i64>().map_err(|_| SignatureError::Malformed)?),
            Some(("v1", v)) => candidates.push(v),
            _ => {}
        }
    }
    let t = t.ok_or(SignatureError::Malformed)?;
    if candidates.is_empty() {
        return Err(SignatureError::Malformed);
    }
    if now.abs_diff(t) > tolerance_secs.unsigned_abs() {
        return Err(SignatureError::Stale);
    }
    let expected = hex_mac(secret, t, body);
    // Every candidate is compared, so the time taken does not tell which one matched.
    let matched = candidates.iter().fold(0u8, |acc, c| acc | c.as_bytes().ct_eq(expected.as_bytes()).unwrap_u8());
    if matched == 1 { Ok(t) } else { Err(SignatureError::Mismatch) }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &[u8] = b"whsec_test_secret_value";

    #[test]
    fn a_signature_verifies_and_is_stable() {
        let h = sign(SECRET, 1_700_000_000, b"{\"id\":\"evt_1\"}");
        assert!(h.starts_with("t=1700000000,v1="));
        assert_eq!(h.len(), "t=1700000000,v1=".len() + 64);
        assert_eq!(verify(&h, SECRET, b"{\"id\":\"evt_1\"}", 1_700_000_100, 300), Ok(1_700_000_000));
    }

    #[test]
    fn tampering_and_staleness_are_refused() {
        let body = b"{\"status\":\"approved\"}";
        let h = sign(SECRET, 1000, body);
        assert_eq!(verify(&h, SECRET, b"{\"status\":\"declined\"}", 1000, 300), Err(SignatureError::Mismatch));
        assert_eq!(verify(&h, b"another secret", body, 1000, 300), Err(SignatureError::Mismatch));
        assert_eq!(verify(&h, SECRET, body, 1301, 300), Err(SignatureError::Stale));
        assert_eq!(verify(&h, SECRET, body, 699, 300), Err(SignatureError::Stale));
        // Re-dating the signature breaks it: the timestamp is signed too.
        let redated = h.replacen("t=1000", "t=1200", 1);
        assert_eq!(verify(&redated, SECRET, body, 1200, 300), Err(SignatureError::Mismatch));
        assert_eq!(verify("v1=abc", SECRET, body, 1000, 300), Err(SignatureError::Malformed));
        assert_eq!(verify("t=1000", SECRET, body, 1000, 300), Err(SignatureError::Malformed));
        assert_eq!(verify("t=x,v1=ab", SECRET, body, 1000, 300), Err(SignatureError::Malformed));
    }

    #[test]
    fn any_of_several_v1_values_may_match() {
        let body = b"{}";
        let good = sign(SECRET, 5, body);
        let v1 = good.split("v1=").nth(1).expect("v1");
        let header = format!("t=5,v1={},v1={v1}", "0".repeat(64));
        assert_eq!(verify(&header, SECRET, body, 5, 300), Ok(5));
    }
}
