//! Photo uploads as data URLs (`data:image/jpeg;base64,…`), as Open edX's submit endpoint
//! takes them. The declared media type is not trusted: the bytes must be a JPEG or a PNG.
//! Pure, so that the server's submit endpoint and the fake vendor (which checks what it
//! decrypted) judge an image by the same rule.

use base64::{Engine, engine::general_purpose::STANDARD};

/// The image formats Vouch accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImageKind {
    /// JPEG.
    Jpeg,
    /// PNG.
    Png,
}

/// Why an upload was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ImageError {
    /// Not a `data:…;base64,` URL, or bad base64.
    #[error("the {0} is not a valid image upload")]
    Undecodable(&'static str),
    /// The bytes are not a JPEG or PNG image.
    #[error("the {0} must be a JPEG or PNG image")]
    WrongType(&'static str),
    /// Bigger than the limit.
    #[error("the {field} is larger than {limit} bytes")]
    TooLarge {
        /// Which photo.
        field: &'static str,
        /// The limit.
        limit: usize,
    },
    /// Empty.
    #[error("the {0} is empty")]
    Empty(&'static str),
}

/// Decodes and checks the data URL of the photo named `field`, at most `max` bytes decoded.
pub fn decode_data_url(field: &'static str, url: &str, max: usize) -> Result<(ImageKind, Vec<u8>), ImageError> {
    let rest = url.trim().strip_prefix("data:").ok_or(ImageError::Undecodable(field))?;
    let (meta, payload) = rest.split_once(',').ok_or(ImageError::Undecodable(field))?;
    if !meta.ends_with(";base64") {
        return Err(ImageError::Undecodable(field));
    }
    if payload.is_empty() {
        return Err(ImageError::Empty(field));
    }
    // Refuse before decoding: base64 carries 3 bytes per 4 characters.
    if payload.len() / 4 * 3 > max + 3 {
        return Err(ImageError::TooLarge { field, limit: max });
    }
    let bytes = STANDARD.decode(payload).map_err(|_| ImageError::Undecodable(field))?;
    if bytes.len() > max {
        return Err(ImageError::TooLarge { field, limit: max });
    }
    let kind = sniff(&bytes).ok_or(ImageError::WrongType(field))?;
    Ok((kind, bytes))
}

/// The format of `bytes`, judged by structure, not by name: a JPEG starts with an SOI
/// marker followed by another marker and ends with EOI; a PNG has the signature, an IHDR
/// chunk first and an IEND chunk last.
pub fn sniff(bytes: &[u8]) -> Option<ImageKind> {
    const PNG_SIG: &[u8] = b"\x89PNG\r\n\x1a\n";
    if bytes.len() >= 4 && bytes[..3] == [0xFF, 0xD8, 0xFF] && bytes.ends_with(&[0xFF, 0xD9]) {
        return Some(ImageKind::Jpeg);
    }
    if bytes.len() >= 8 + 25 + 12
        && bytes.starts_with(PNG_SIG)
        && &bytes[12..16] == b"IHDR"
        && &bytes[bytes.len() - 8..bytes.len() - 4] == b"IEND"
    {
        return Some(ImageKind::Png);
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    const JPEG: &[u8] = &[0xFF, 0xD8, 0xFF, 0xE0, 0, 16, b'J', b'F', b'I', b'F', 0, 0xFF, 0xD9];

    fn url(bytes: &[u8]) -> String {
        format!("data:image/jpeg;base64,{}", STANDARD.encode(bytes))
    }

    #[test]
    fn accepts_a_jpeg() {
        assert_eq!(decode_data_url("face photo", &url(JPEG), 1000).map(|r| r.0), Ok(ImageKind::Jpeg));
    }

    #[test]
    fn refuses_what_is_not_an_image() {
        let cases = [
            ("", ImageError::Undecodable("f")),
            ("hello", ImageError::Undecodable("f")),
            ("data:image/jpeg,plain", ImageError::Undecodable("f")),
            ("data:image/jpeg;base64,", ImageError::Empty("f")),
            ("data:image/jpeg;base64,!!!!", ImageError::Undecodable("f")),
            ("data:image/jpeg;base64,aGVsbG8gd29ybGQ=", ImageError::WrongType("f")),
        ];
        for (input, expected) in cases {
            assert_eq!(decode_data_url("f", input, 1000).map(|r| r.0), Err(expected), "{input}");
        }
    }

    #[test]
    fn refuses_too_large_before_and_after_decoding() {
        let big = vec![0xFFu8; 5000];
        assert_eq!(
            decode_data_url("f", &url(&big), 1000).map(|r| r.0),
            Err(ImageError::TooLarge { field: "f", limit: 1000 })
        );
        assert_eq!(
            decode_data_url("f", &url(JPEG), JPEG.len() - 1).map(|r| r.0),
            Err(ImageError::TooLarge { field: "f", limit: JPEG.len() - 1 })
        );
    }

    #[test]
    fn a_truncated_jpeg_is_refused() {
        assert_eq!(sniff(&JPEG[..JPEG.len() - 2]), None);
    }
}
