//! The base64 variants of the Software Secure protocol (spec §4).
//!
//! Encoders are the `base64` crate's padded engines (SIMD for photos), plus the MIME form of Python's
//! `base64.encodebytes`. The decoder is hand-written because no engine reproduces
//! Python's lenient `urlsafe_b64decode`, which the stored photos and `PhotoIDKey` rely on.

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE};

use super::CryptoError;

/// Python's `base64.urlsafe_b64encode`: `-_` alphabet, `=` padding, no line breaks.
/// This is the stored form of an encrypted photo.
///
/// SIMD-encoded: for a 5 MiB photo this is the difference between base64 costing a
/// third of AES-CBC's time and a twentieth of it.
pub fn urlsafe_b64encode(data: &[u8]) -> String {
    base64_simd::URL_SAFE.encode_to_string(data)
}

/// Python's `base64.b64encode`: standard `+/` alphabet, padded, no line breaks
/// (`UserPhotoKey`, the HMAC signature).
pub fn b64encode(data: &[u8]) -> String {
    STANDARD.encode(data)
}

/// Python's `base64.encodebytes` (`codecs.encode(b, "base64")`): standard alphabet, padded,
/// a `\n` after every 76 characters and after the last line (`PhotoIDKey`).
/// Empty input gives empty output, as in Python.
pub fn encodebytes(data: &[u8]) -> String {
    // 57 input bytes make exactly one 76-character line, so encode line by line.
    const LINE_INPUT: usize = 57;
    let mut out = String::with_capacity(data.len().div_ceil(LINE_INPUT) * 77);
    for chunk in data.chunks(LINE_INPUT) {
        STANDARD.encode_string(chunk, &mut out);
        out.push('\n');
    }
    out
}

/// Python's `base64.urlsafe_b64decode` over bytes, quirk for quirk (CPython's non-strict
/// `binascii.a2b_base64` after mapping `-`→`+` and `_`→`/`):
///
/// - both alphabets decode, even mixed; any other byte (`\n`, `\r`, spaces, non-ASCII)
///   is skipped;
/// - a `=` that completes a quantum ends decoding and the rest is ignored; a `=` too
///   early in a quantum is skipped;
/// - an unfinished quantum (missing padding) is an error;
/// - unused low bits of the last character are not checked.
pub fn lenient_b64decode(input: &[u8]) -> Result<Vec<u8>, CryptoError> {
    // Fast path: canonical URL-safe text (what `encrypt_and_encode` writes) decodes the
    // same under both rules, and the engine is several times faster than the loop below.
    if let Ok(bytes) = URL_SAFE.decode(input) {
        return Ok(bytes);
    }
    let mut out = Vec::with_capacity(input.len() / 4 * 3 + 3);
    let mut quad_pos = 0u8;
    let mut left = 0u8;
    let mut pads = 0u8;
    for &byte in input {
        if byte == b'=' {
            // CPython only counts pads once two data characters of the quantum are in.
            if quad_pos >= 2 {
                pads += 1;
                if quad_pos + pads >= 4 {
                    return Ok(out);
                }
            }
            continue;
        }
        let Some(value) = sextet(byte) else {
            continue;
        };
        pads = 0;
        match quad_pos {
            0 => {
                left = value;
                quad_pos = 1;
            }
            1 => {
                out.push((left << 2) | (value >> 4));
                left = value & 0x0f;
                quad_pos = 2;
            }
            2 => {
                out.push((left << 4) | (value >> 2));
                left = value & 0x03;
                quad_pos = 3;
            }
            _ => {
                out.push((left << 6) | value);
                quad_pos = 0;
            }
        }
    }
    match quad_pos {
        0 => Ok(out),
        1 => Err(CryptoError::InvalidBase64("number of data characters is 1 more than a multiple of 4")),
        _ => Err(CryptoError::InvalidBase64("incorrect padding")),
    }
}

/// The 6-bit value of a base64 character in either alphabet (`+`/`-` and `/`/`_`).
fn sextet(byte: u8) -> Option<u8> {
    match byte {
        b'A'..=b'Z' => Some(byte - b'A'),
        b'a'..=b'z' => Some(byte - b'a' + 26),
        b'0'..=b'9' => Some(byte - b'0' + 52),
        b'+' | b'-' => Some(62),
        b'/' | b'_' => Some(63),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodebytes_wraps_at_76_and_ends_with_newline() {
        let text = encodebytes(&[0xAB; 256]);
        assert_eq!(text.len(), 349, "2048-bit RSA ciphertext gives 349 chars");
        let lines: Vec<&str> = text.split_terminator('\n').collect();
        assert_eq!(lines.len(), 5);
        assert!(lines[..4].iter().all(|l| l.len() == 76));
        assert!(text.ends_with("==\n"));
        assert_eq!(encodebytes(b""), "");
    }

    #[test]
    fn lenient_decode_follows_cpython() {
        assert_eq!(lenient_b64decode(b"vg==").unwrap(), [0xbe]);
        // Unused low bits are ignored ("vh" carries a stray bit).
        assert_eq!(lenient_b64decode(b"vh==").unwrap(), [0xbe]);
        // Everything after a completed pad sequence is ignored.
        assert_eq!(lenient_b64decode(b"vg==garbage!").unwrap(), [0xbe]);
        // A pad too early in the quantum is skipped.
        assert_eq!(lenient_b64decode(b"=v=g==").unwrap(), [0xbe]);
        // Mixed alphabets and noise.
        assert_eq!(lenient_b64decode(b"-_+/\r\n \xff").unwrap(), [0xfb, 0xff, 0xbf]);
        assert_eq!(lenient_b64decode(b"").unwrap(), b"");
        assert!(lenient_b64decode(b"vg").is_err());
        assert!(lenient_b64decode(b"vg=").is_err());
        assert!(lenient_b64decode(b"v").is_err());
        assert!(lenient_b64decode(b"AAAAv").is_err());
    }
}
