//! Request signing as `ssencrypt.generate_signed_message` does it (spec §6–7).
//!
//! `message = method + "\n\n" + header_string + body_string`, signed with
//! HMAC-SHA256 under the UTF-8 secret key and sent as `Authorization: SSI <access
//! key>:<base64 signature>`. The canonical form is lossy (ancestor keys dropped, no
//! escaping, Python renderings), and that is reproduced exactly: the vendor computes
//! the same string. Only the three header values and the decoded body are signed, never
//! the URL, the path or the JSON bytes, so callers must not rely on the signature for those.

use std::fmt::Write as _;

use chrono::{DateTime, Utc};
use hmac::{Hmac, KeyInit as _, Mac as _};
use sha2::Sha256;
use subtle::ConstantTimeEq as _;

use super::CryptoError;
use super::b64::b64encode;
use super::python::PyValue;

/// The three headers whose values are signed, in signing order. Everything else
/// (`Authorization`, `Host`, ...) is ignored.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SignedHeaders<'a> {
    /// `Content-Type`, e.g. `application/json`.
    pub content_type: Option<&'a str>,
    /// `Date`, byte-identical to the header sent (see [`http_date`]).
    pub date: Option<&'a str>,
    /// `Content-MD5`; Open edX never sends it, but it is signed when present.
    pub content_md5: Option<&'a str>,
}

impl<'a> SignedHeaders<'a> {
    /// From a Python-style headers dict: names match exactly, case included
    /// (`content-type` is not `Content-Type`); a repeated name keeps the last value.
    pub fn from_pairs(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> Self {
        let mut headers = Self::default();
        for (name, value) in pairs {
            match name {
                "Content-Type" => headers.content_type = Some(value),
                "Date" => headers.date = Some(value),
                "Content-MD5" => headers.content_md5 = Some(value),
                _ => {}
            }
        }
        headers
    }

    /// From received HTTP headers, where names are case-insensitive. A value that is
    /// not visible ASCII has no exact text to sign, so it is an error.
    pub fn from_header_map(map: &'a http::HeaderMap) -> Result<Self, CryptoError> {
        let get = |name: &'static str| {
            map.get(name).map(|v| v.to_str().map_err(|_| CryptoError::InvalidHeader(name))).transpose()
        };
        Ok(Self { content_type: get("Content-Type")?, date: get("Date")?, content_md5: get("Content-MD5")? })
    }

    /// `ssencrypt.header_string`: each present value followed by `\n`, in the fixed order
    /// Content-Type, Date, Content-MD5; a missing header leaves no blank line.
    pub fn header_string(&self) -> String {
        [self.content_type, self.date, self.content_md5].into_iter().flatten().fold(String::new(), |mut out, value| {
            out.push_str(value);
            out.push('\n');
            out
        })
    }
}

/// `ssencrypt.body_string`: the flattened body. Keys sorted by code point; a scalar is
/// `{prefix}{key}:{str(value)}\n` with `None` as `null`; a dict recurses with prefix
/// `key:` (replacing, not extending, the prefix); a list item that is a dict recurses with
/// prefix `key.i.`, any other item is `key.i:{str(item)}\n` with no prefix and Python's
/// `None`/`repr` renderings. Errors when the body is not a dict.
pub fn body_string(body: &PyValue) -> Result<String, CryptoError> {
    let entries = body.as_dict().ok_or(CryptoError::NotAnObject)?;
    let mut out = String::new();
    write_body(&mut out, entries, "");
    Ok(out)
}

fn write_body(out: &mut String, entries: &[(String, PyValue)], prefix: &str) {
    let mut sorted: Vec<&(String, PyValue)> = entries.iter().collect();
    // Keys are unique and byte order of UTF-8 is code point order, as Python sorts.
    sorted.sort_unstable_by(|a, b| a.0.cmp(&b.0));
    for (key, value) in sorted {
        match value {
            PyValue::List(items) => {
                for (i, item) in items.iter().enumerate() {
                    match item {
                        PyValue::Dict(inner) => write_body(out, inner, &format!("{key}.{i}.")),
                        other => {
                            let _ = writeln!(out, "{key}.{i}:{}", other.py_str());
                        }
                    }
                }
            }
            PyValue::Dict(inner) => write_body(out, inner, &format!("{key}:")),
            PyValue::None => {
                let _ = writeln!(out, "{prefix}{key}:null");
            }
            other => {
                let _ = writeln!(out, "{prefix}{key}:{}", other.py_str());
            }
        }
    }
}

/// `ssencrypt.signing_format_message`: `"{method}\n\n" + header_string + body_string`,
/// with no trailing newline (Open edX appends one to its return value, unsigned).
pub fn signing_string(method: &str, headers: &SignedHeaders<'_>, body: &PyValue) -> Result<String, CryptoError> {
    Ok(format!("{method}\n\n{}{}", headers.header_string(), body_string(body)?))
}

/// HMAC-SHA256 of the UTF-8 `message` under the UTF-8 `secret_key`, as padded standard
/// base64 (44 characters), like `b2a_base64(...).rstrip(b"\n")`.
pub fn sign_message(secret_key: &str, message: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret_key.as_bytes()).expect("HMAC accepts keys of any length");
    mac.update(message.as_bytes());
    b64encode(&mac.finalize().into_bytes())
}

/// The `Authorization` header value: `SSI {access_key}:{signature}`.
pub fn authorization_header(access_key: &str, signature: &str) -> String {
    format!("SSI {access_key}:{signature}")
}

/// Checks a received `Authorization` header against the signature Vouch computes for
/// the request. The header must be exactly `SSI <access key>:<signature>`: the scheme
/// word, one space, a key without whitespace, one colon and the signature. Open edX's
/// (unused) `has_valid_signature` ignored the scheme and collapsed whitespace, which made
/// one signed callback spellable many ways; one spelling means the replay guard, keyed on
/// the signature, sees every copy. The access key and the signature are compared in
/// constant time, and both always, so the time taken does not reveal which one (or how
/// much of it) was wrong.
pub fn verify_authorization(
    authorization: &str,
    method: &str,
    headers: &SignedHeaders<'_>,
    body: &PyValue,
    access_key: &str,
    secret_key: &str,
) -> Result<(), CryptoError> {
    let credentials = authorization.strip_prefix("SSI ").ok_or(CryptoError::MalformedAuthorization)?;
    let (their_key, their_signature) = credentials
        .split_once(':')
        .filter(|(key, signature)| {
            !key.is_empty() && !signature.contains(':') && !credentials.contains(|c: char| c.is_whitespace())
        })
        .ok_or(CryptoError::MalformedAuthorization)?;
    let our_signature = sign_message(secret_key, &signing_string(method, headers, body)?);
    let key_ok = their_key.as_bytes().ct_eq(access_key.as_bytes());
    let signature_ok = their_signature.as_bytes().ct_eq(our_signature.as_bytes());
    if bool::from(key_ok & signature_ok) { Ok(()) } else { Err(CryptoError::BadSignature) }
}

/// The access key as Open edX's `results_callback` reads it (Vouch's legacy mode): the
/// header must split on single spaces into exactly two parts (so a missing header, no
/// space, or a double space fail), and the key is the second part up to its first `:`.
/// The scheme and the signature are ignored, which is why legacy mode is off by default.
pub fn legacy_access_key(authorization: &str) -> Result<&str, CryptoError> {
    let mut parts = authorization.split(' ');
    let (Some(_scheme), Some(credentials), None) = (parts.next(), parts.next(), parts.next()) else {
        return Err(CryptoError::MalformedAuthorization);
    };
    Ok(credentials.split(':').next().unwrap_or(credentials))
}

/// The `Date` header as Python's `formatdate(usegmt=True)` writes it (IMF-fixdate),
/// e.g. `Tue, 15 Nov 1994 08:12:31 GMT`. Sign exactly the string you send.
pub fn http_date(at: DateTime<Utc>) -> String {
    at.format("%a, %d %b %Y %H:%M:%S GMT").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::python::loads;

    const DATE: &str = "Tue, 15 Nov 1994 08:12:31 GMT";

    fn headers() -> SignedHeaders<'static> {
        SignedHeaders::from_pairs([("Content-Type", "application/json"), ("Date", DATE)])
    }

    #[test]
    fn spec_example() {
        let body = loads(r#"{"b":"2","a":{"x":null},"l":[1,{"k":"v"}]}"#).unwrap();
        assert_eq!(
            signing_string("POST", &headers(), &body).unwrap(),
            format!("POST\n\napplication/json\n{DATE}\na:x:null\nb:2\nl.0:1\nl.1.k:v\n")
        );
        assert!(matches!(body_string(&loads("[1]").unwrap()), Err(CryptoError::NotAnObject)));
    }

    #[test]
    fn header_map_lookup_is_case_insensitive() {
        let mut map = http::HeaderMap::new();
        map.insert("content-type", "application/json".parse().unwrap());
        map.insert("date", DATE.parse().unwrap());
        assert_eq!(SignedHeaders::from_header_map(&map).unwrap(), headers());
        map.insert("content-md5", http::HeaderValue::from_bytes(b"\xff").unwrap());
        assert!(SignedHeaders::from_header_map(&map).is_err());
    }

    #[test]
    fn verify_round_trip_and_rejections() {
        let body = loads(r#"{"EdX-ID": "r1", "Result": "PASS"}"#).unwrap();
        let message = signing_string("POST", &headers(), &body).unwrap();
        let good = authorization_header("ak", &sign_message("sk", &message));
        let verify = |auth: &str| verify_authorization(auth, "POST", &headers(), &body, "ak", "sk");
        assert!(verify(&good).is_ok());
        for respelled in [
            good.replacen("SSI ", "SIS ", 1),
            good.replacen("SSI ", "X ", 1),
            good.replacen("SSI ", "SSI  ", 1),
            good.replacen("SSI ", "SSI\t", 1),
            good.replacen("SSI ", "ssi ", 1),
            format!(" {good}"),
            format!("{good} "),
        ] {
            assert!(matches!(verify(&respelled), Err(CryptoError::MalformedAuthorization)), "{respelled:?}");
        }
        assert!(matches!(verify(&good.replace("ak:", "ax:")), Err(CryptoError::BadSignature)));
        assert!(matches!(verify("SSI ak:AAAA"), Err(CryptoError::BadSignature)));
        for bad in ["", "SSI ak", "ak:sig", "SSI ak x:sig", "SSI ak:sig:x", "SSI :sig", "SSI ak: sig"] {
            assert!(matches!(verify(bad), Err(CryptoError::MalformedAuthorization)), "{bad:?}");
        }
        let other = verify_authorization(&good, "POST", &SignedHeaders::default(), &body, "ak", "sk");
        assert!(other.is_err(), "headers are signed");
    }

    #[test]
    fn legacy_parse_matches_edx() {
        assert_eq!(legacy_access_key("SSI key:sig").unwrap(), "key");
        assert_eq!(legacy_access_key("SIS key:0000:x").unwrap(), "key");
        assert_eq!(legacy_access_key("SSI key").unwrap(), "key");
        for bad in ["", "SSIkey", "SSI  key:sig", "SSI key:sig extra"] {
            assert!(legacy_access_key(bad).is_err(), "{bad:?}");
        }
    }
}
