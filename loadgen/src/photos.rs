//! The body of Open edX's `POST /verify_student/submit-photos/`: two JPEG photos as data
//! URLs in a form-urlencoded body, as a browser would send them.

use base64::{Engine as _, engine::general_purpose::STANDARD};

/// A JPEG-shaped photo of `bytes` bytes: SOI and a JFIF APP0 marker, high-entropy filler
/// (as compressed image data is, so nothing downstream compresses it away), then EOI.
/// Each call gives different filler, from `seed`.
pub fn jpeg(bytes: usize, seed: u64) -> Vec<u8> {
    const HEAD: [u8; 11] = [0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10, b'J', b'F', b'I', b'F', 0];
    let mut photo = Vec::with_capacity(bytes.max(HEAD.len() + 2));
    photo.extend_from_slice(&HEAD);
    // xorshift64*: fast, and good enough to be incompressible.
    let mut x = seed | 1;
    while photo.len() + 2 < bytes {
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        let word = x.wrapping_mul(0x2545_F491_4F6C_DD1D).to_le_bytes();
        let room = bytes - 2 - photo.len();
        photo.extend_from_slice(&word[..room.min(8)]);
    }
    photo.extend_from_slice(&[0xFF, 0xD9]);
    photo
}

/// `face_image=…&photo_id_image=…`, each a `data:image/jpeg;base64,` URL of `bytes`.
pub fn submit_form(bytes: usize) -> Vec<u8> {
    let field = |name: &str, seed: u64| {
        let url = format!("data:image/jpeg;base64,{}", STANDARD.encode(jpeg(bytes, seed)));
        format!("{name}={}", form_escape(&url))
    };
    format!("{}&{}", field("face_image", 0x5EED), field("photo_id_image", 0xFACE)).into_bytes()
}

/// Form-urlencodes a data URL (only `+`, `/`, `=`, `:` , `;` and `,` occur besides
/// letters and digits).
fn form_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + text.len() / 8);
    for c in text.chars() {
        match c {
            'A'..='Z' | 'a'..='z' | '0'..='9' | '-' | '_' | '.' | '*' => out.push(c),
            other => {
                let mut buf = [0u8; 4];
                for b in other.encode_utf8(&mut buf).bytes() {
                    out.push_str(&format!("%{b:02X}"));
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn photos_are_jpeg_shaped_and_sized() {
        let p = jpeg(500_000, 1);
        assert_eq!(p.len(), 500_000);
        assert_eq!(&p[..3], &[0xFF, 0xD8, 0xFF]);
        assert!(p.ends_with(&[0xFF, 0xD9]));
        assert_ne!(jpeg(64, 1), jpeg(64, 2));
    }

    #[test]
    fn the_form_round_trips() {
        let body = String::from_utf8(submit_form(1000)).expect("ascii");
        let fields: Vec<(String, String)> = body
            .split('&')
            .map(|kv| {
                let (k, v) = kv.split_once('=').expect("k=v");
                let mut bytes = Vec::new();
                let v = v.as_bytes();
                let mut i = 0;
                while i < v.len() {
                    if v[i] == b'%' {
                        bytes.push(
                            u8::from_str_radix(std::str::from_utf8(&v[i + 1..i + 3]).expect("hex"), 16).expect("hex"),
                        );
                        i += 3;
                    } else {
                        bytes.push(v[i]);
                        i += 1;
                    }
                }
                (k.to_owned(), String::from_utf8(bytes).expect("utf-8"))
            })
            .collect();
        assert_eq!(fields[0].0, "face_image");
        assert_eq!(fields[1].0, "photo_id_image");
        let b64 = fields[0].1.strip_prefix("data:image/jpeg;base64,").expect("data url");
        assert_eq!(STANDARD.decode(b64).expect("base64"), jpeg(1000, 0x5EED));
    }
}
