//! The submitted photos' data URLs, decoded with SIMD base64.
//!
//! [`images::decode_data_url`] is the rule. A well-formed photo (no surrounding whitespace,
//! `data:…;base64,`, canonical base64, within the limit, a JPEG or PNG) takes the fast path
//! here; anything else goes to the rule itself, so every refusal keeps its exact wording.
//! The fast path only says yes where the rule says yes with the same bytes: its checks are
//! the rule's, and `base64_simd`'s standard engine is as strict as the `base64` one
//! (padding required, no stray bits), which the property test below checks.

use app::domain::images::{self, ImageError, ImageKind};

/// Decodes and checks the data URL of the photo named `field`, at most `max` bytes decoded,
/// exactly as [`images::decode_data_url`] does.
pub fn decode(field: &'static str, url: &str, max: usize) -> Result<(ImageKind, Vec<u8>), ImageError> {
    match fast(url, max) {
        Some(photo) => Ok(photo),
        None => images::decode_data_url(field, url, max),
    }
}

/// The photo when the URL is well formed and needs no trimming; `None` for the rule to judge.
fn fast(url: &str, max: usize) -> Option<(ImageKind, Vec<u8>)> {
    // Printable ASCII at both ends: `trim` would change nothing (whitespace is ASCII
    // whitespace or a multi-byte character, whose bytes are all ≥ 0x80).
    let printable = |b: &u8| (0x21..=0x7e).contains(b);
    if !url.as_bytes().first().is_some_and(printable) || !url.as_bytes().last().is_some_and(printable) {
        return None;
    }
    let (meta, payload) = url.strip_prefix("data:")?.split_once(',')?;
    if !meta.ends_with(";base64") || payload.is_empty() || payload.len() / 4 * 3 > max + 3 {
        return None;
    }
    let bytes = base64_simd::STANDARD.decode_to_vec(payload).ok()?;
    if bytes.len() > max {
        return None;
    }
    Some((images::sniff(&bytes)?, bytes))
}

#[cfg(test)]
mod tests {
    use super::decode;
    use app::domain::images::decode_data_url;
    use base64::{Engine as _, engine::general_purpose::STANDARD};
    use proptest::prelude::*;

    const JPEG: &[u8] = &[0xFF, 0xD8, 0xFF, 0xE0, 0, 16, b'J', b'F', b'I', b'F', 0, 0xFF, 0xD9];

    #[test]
    fn a_jpeg_takes_the_fast_path_and_the_same_bytes_come_out() {
        let url = format!("data:image/jpeg;base64,{}", STANDARD.encode(JPEG));
        assert_eq!(super::fast(&url, 1000).map(|p| p.1), Some(JPEG.to_vec()));
        assert_eq!(decode("f", &url, 1000), decode_data_url("f", &url, 1000));
    }

    /// Payloads near valid base64: padding in and out of place, stray bits, bad bytes.
    fn payload() -> impl Strategy<Value = String> {
        let good = prop::collection::vec(any::<u8>(), 0..40).prop_map(|mut b| {
            b.splice(0..0, JPEG[..3].iter().copied());
            b.extend_from_slice(&[0xFF, 0xD9]);
            STANDARD.encode(b)
        });
        let noise = prop_oneof![
            Just("=".to_owned()),
            Just("==".to_owned()),
            Just("A".to_owned()),
            Just("AB".to_owned()),
            Just("-".to_owned()),
            Just(" ".to_owned()),
            Just("\u{a0}".to_owned()),
            Just("é".to_owned()),
            "[A-Za-z0-9+/]{1,4}",
        ];
        (good, prop::collection::vec((any::<prop::sample::Index>(), noise), 0..3)).prop_map(|(mut p, edits)| {
            for (at, text) in edits {
                let mut i = at.index(p.len() + 1);
                while !p.is_char_boundary(i) {
                    i -= 1;
                }
                p.insert_str(i, &text);
            }
            p
        })
    }

    fn url() -> impl Strategy<Value = String> {
        // Mostly well-formed, so that the fast path is taken often enough to be judged.
        let head = prop_oneof![
            6 => Just("data:image/jpeg;base64,"),
            1 => Just("data:image/png;base64,"),
            1 => Just("data:;base64,"),
            1 => Just("data:image/jpeg,"),
            1 => Just(" data:image/jpeg;base64,"),
            1 => Just("data:image/jpeg;BASE64,"),
            1 => Just("image/jpeg;base64,"),
        ];
        let tail = prop_oneof![8 => Just(""), 1 => Just(" "), 1 => Just("\n"), 1 => Just("\u{3000}"), 1 => Just("=")];
        (head, payload(), tail).prop_map(|(h, p, t)| format!("{h}{p}{t}"))
    }

    /// Limits around the photos' sizes, and one above them all.
    fn limit() -> impl Strategy<Value = usize> {
        prop_oneof![0usize..64, Just(1000)]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2048))]

        #[test]
        fn agrees_with_the_rule(url in url(), max in limit()) {
            prop_assert_eq!(decode("f", &url, max), decode_data_url("f", &url, max));
        }

        #[test]
        fn agrees_on_any_text(url in "data:[a-z/;]{0,12}(;base64)?,[A-Za-z0-9+/= é]{0,24}") {
            prop_assert_eq!(decode("f", &url, 100), decode_data_url("f", &url, 100));
        }
    }
}
