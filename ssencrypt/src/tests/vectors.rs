//! The byte-level vectors: file coverage, keys, IV, AES, large AES, base64 and the
//! seeded RSA-OAEP key wrap.

use std::collections::BTreeSet;

use sha2::{Digest as _, Sha256};

use super::{assert_fields, doc, hex, list, s, sha256_hex, unhex};
use crate::b64::{b64encode, encodebytes, lenient_b64decode, urlsafe_b64encode};
use crate::rsa::rsa_encrypt_with_seed;
use crate::*;

/// `det_bytes(label, n)`: SHA-256(label || u32be(i)) blocks, truncated to `n`.
fn det_bytes(label: &str, n: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(n + 32);
    let mut i = 0u32;
    while out.len() < n {
        out.extend_from_slice(&Sha256::new().chain_update(label).chain_update(i.to_be_bytes()).finalize());
        i += 1;
    }
    out.truncate(n);
    out
}

#[test]
fn every_section_is_covered() {
    let d = doc();
    let sections: BTreeSet<&str> = d.as_object().unwrap().keys().map(String::as_str).collect();
    let covered = [
        "meta",
        "keys",
        "iv",
        "aes",
        "aes_large",
        "base64",
        "rsa_key_wrap",
        "signing",
        "full_request",
        "http_date",
        "callback",
    ];
    assert_eq!(sections, covered.into_iter().collect());
    // Counts promised by the spec (§10).
    let counts = [("aes", 60), ("aes_large", 6), ("rsa_key_wrap", 4), ("signing", 23)];
    for (section, n) in counts {
        assert_eq!(list(&d, section).len(), n, "{section}");
    }
    assert_eq!(list(&d["callback"], "cases").len(), 22);
    // `meta` is prose; it must describe what the other tests check.
    assert_fields(
        std::slice::from_ref(&d["meta"]),
        &["description", "generator", "det_bytes", "aes", "rsa", "signing", "callback_note"],
    );
    assert!(s(&d["meta"], "rsa").contains("SHA-1"));
}

#[test]
fn keys_section_all_forms_agree() {
    let d = doc();
    let k = &d["keys"];
    let publics = ["rsa_public_spki_pem", "rsa_public_pkcs1_pem", "rsa_public_openssh"]
        .map(|name| parse_public_key(s(k, name)).unwrap_or_else(|e| panic!("{name}: {e}")));
    let privates = ["rsa_private_pkcs8_pem", "rsa_private_pkcs1_pem"]
        .map(|name| parse_private_key(s(k, name)).unwrap_or_else(|e| panic!("{name}: {e}")));
    for public in &publics[1..] {
        assert_eq!(public, &publics[0]);
    }
    assert_eq!(privates[0], privates[1]);
    assert_eq!(privates[0].to_public_key(), publics[0]);
    // DER forms of the same keys (converted from the PEM bodies).
    let der = |pem: &str| {
        let body: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
        lenient_b64decode(body.as_bytes()).unwrap()
    };
    assert_eq!(parse_public_key(der(s(k, "rsa_public_spki_pem"))).unwrap(), publics[0]);
    assert_eq!(parse_public_key(der(s(k, "rsa_public_pkcs1_pem"))).unwrap(), publics[0]);
    assert_eq!(parse_private_key(der(s(k, "rsa_private_pkcs8_pem"))).unwrap(), privates[0]);
    assert_eq!(parse_private_key(der(s(k, "rsa_private_pkcs1_pem"))).unwrap(), privates[0]);
    // The settings: face key as hex, and the API keys the signing vectors use.
    assert_eq!(key_from_hex(s(k, "face_image_aes_key_setting")).unwrap(), vec![0xaa; 32]);
    for v in list(&d, "signing").iter().filter(|v| !s(v, "name").contains("unicode_keys")) {
        assert_eq!(s(v, "access_key"), s(k, "api_access_key"));
        assert_eq!(s(v, "secret_key"), s(k, "api_secret_key"));
    }
    assert_eq!(s(&d["callback"], "api_access_key"), s(k, "api_access_key"));
    assert_fields(
        std::slice::from_ref(k),
        &[
            "rsa_private_pkcs8_pem",
            "rsa_private_pkcs1_pem",
            "rsa_public_spki_pem",
            "rsa_public_pkcs1_pem",
            "rsa_public_openssh",
            "api_access_key",
            "api_secret_key",
            "face_image_aes_key_setting",
        ],
    );
}

#[test]
fn iv_vectors() {
    let d = doc();
    let items = list(&d, "iv");
    assert_fields(items, &["name", "key_hex", "md5_key_hex", "md5_key_plus_hex_hex", "iv_ascii", "iv_hex"]);
    for v in items {
        let key = unhex(s(v, "key_hex"));
        let inner = hex(&md5::Md5::digest(&key));
        assert_eq!(inner, s(v, "md5_key_hex"), "{}", s(v, "name"));
        let outer = md5::Md5::new().chain_update(&key).chain_update(&inner).finalize();
        assert_eq!(hex(&outer), s(v, "md5_key_plus_hex_hex"));
        let iv = derive_iv(&key);
        assert_eq!(iv.as_slice(), s(v, "iv_ascii").as_bytes());
        assert_eq!(hex(&iv), s(v, "iv_hex"));
    }
}

#[test]
fn aes_vectors() {
    let d = doc();
    let items = list(&d, "aes");
    let fields = ["name", "key_hex", "iv_hex", "plaintext_hex", "padded_hex", "ciphertext_hex", "encoded"];
    assert_fields(items, &fields);
    for v in items {
        let name = s(v, "name");
        let key = unhex(s(v, "key_hex"));
        let plaintext = unhex(s(v, "plaintext_hex"));
        assert_eq!(hex(&derive_iv(&key)), s(v, "iv_hex"), "{name}");
        assert_eq!(hex(&pkcs7_pad(&plaintext)), s(v, "padded_hex"), "{name}");
        let ciphertext = aes_encrypt(&plaintext, &key).unwrap();
        assert_eq!(hex(&ciphertext), s(v, "ciphertext_hex"), "{name}");
        assert_eq!(encrypt_and_encode(&plaintext, &key).unwrap(), s(v, "encoded"), "{name}");
        assert_eq!(aes_decrypt(&ciphertext, &key).unwrap(), plaintext, "{name}");
        assert_eq!(decode_and_decrypt(s(v, "encoded"), &key).unwrap(), plaintext, "{name}");
    }
}

#[test]
fn aes_large_vectors() {
    let d = doc();
    let items = list(&d, "aes_large");
    assert_fields(
        items,
        &[
            "name",
            "key_hex",
            "plaintext",
            "ciphertext_length",
            "ciphertext_sha256",
            "ciphertext_first32_hex",
            "ciphertext_last32_hex",
            "encoded_length",
            "encoded_sha256",
        ],
    );
    for v in items {
        let name = s(v, "name");
        let key = unhex(s(v, "key_hex"));
        let p = &v["plaintext"];
        assert_fields(std::slice::from_ref(p), &["det_bytes_label", "length", "sha256"]);
        let len = usize::try_from(p["length"].as_u64().unwrap()).unwrap();
        let plaintext = det_bytes(s(p, "det_bytes_label"), len);
        assert_eq!(sha256_hex(&plaintext), s(p, "sha256"), "{name}");
        let ct = aes_encrypt(&plaintext, &key).unwrap();
        assert_eq!(ct.len() as u64, v["ciphertext_length"].as_u64().unwrap(), "{name}");
        assert_eq!(sha256_hex(&ct), s(v, "ciphertext_sha256"), "{name}");
        assert_eq!(hex(&ct[..32]), s(v, "ciphertext_first32_hex"), "{name}");
        assert_eq!(hex(&ct[ct.len() - 32..]), s(v, "ciphertext_last32_hex"), "{name}");
        let encoded = encrypt_and_encode(&plaintext, &key).unwrap();
        assert_eq!(encoded.len() as u64, v["encoded_length"].as_u64().unwrap(), "{name}");
        assert_eq!(sha256_hex(encoded.as_bytes()), s(v, "encoded_sha256"), "{name}");
        assert!(decode_and_decrypt(&encoded, &key).unwrap() == plaintext, "{name}");
    }
}

#[test]
fn base64_vectors() {
    let d = doc();
    let b = &d["base64"];
    assert_fields(std::slice::from_ref(b), &["encodings", "lenient_decode"]);
    let url = "urlsafe_padded (encrypt_and_encode, image files)";
    let std_ = "standard_padded (UserPhotoKey, HMAC signature)";
    let mime = "mime_76_trailing_newline (PhotoIDKey)";
    let items = list(b, "encodings");
    assert_fields(items, &["raw_hex", url, std_, mime]);
    for v in items {
        let raw = unhex(s(v, "raw_hex"));
        assert_eq!(urlsafe_b64encode(&raw), s(v, url));
        assert_eq!(b64encode(&raw), s(v, std_));
        assert_eq!(encodebytes(&raw), s(v, mime));
        for form in [url, std_, mime] {
            assert_eq!(lenient_b64decode(s(v, form).as_bytes()).unwrap(), raw, "{form}");
        }
    }
    let l = &b["lenient_decode"];
    assert_fields(
        std::slice::from_ref(l),
        &["raw_hex", "accepted_inputs_all_decode_to_raw", "rejected_inputs", "rule"],
    );
    let raw = unhex(s(l, "raw_hex"));
    for input in list(l, "accepted_inputs_all_decode_to_raw") {
        let input = input.as_str().unwrap();
        assert_eq!(lenient_b64decode(input.as_bytes()).unwrap(), raw, "{input:?}");
        assert_eq!(lenient_b64decode(input.as_bytes()).unwrap(), raw);
    }
    for input in list(l, "rejected_inputs") {
        let input = input.as_str().unwrap();
        assert!(lenient_b64decode(input.as_bytes()).is_err(), "{input:?}");
    }
    assert!(s(l, "rule").contains("urlsafe_b64decode"));
}

#[test]
fn rsa_key_wrap_vectors() {
    let d = doc();
    let public = parse_public_key(s(&d["keys"], "rsa_public_spki_pem")).unwrap();
    let private = parse_private_key(s(&d["keys"], "rsa_private_pkcs8_pem")).unwrap();
    let items = list(&d, "rsa_key_wrap");
    assert_fields(
        items,
        &[
            "name",
            "plaintext_hex",
            "oaep_seed_hex",
            "ciphertext_hex",
            "photo_id_key_field",
            "user_photo_key_field",
            "urlsafe_b64",
        ],
    );
    for v in items {
        let name = s(v, "name");
        let plaintext = unhex(s(v, "plaintext_hex"));
        let ct = unhex(s(v, "ciphertext_hex"));
        let seeded = rsa_encrypt_with_seed(&plaintext, &public, &unhex(s(v, "oaep_seed_hex")));
        assert_eq!(hex(&seeded.unwrap()), s(v, "ciphertext_hex"), "{name}");
        assert_eq!(rsa_decrypt(&ct, &private).unwrap(), plaintext, "{name}");
        assert_eq!(encodebytes(&ct), s(v, "photo_id_key_field"), "{name}");
        assert_eq!(s(v, "photo_id_key_field").len(), 349);
        assert_eq!(b64encode(&ct), s(v, "user_photo_key_field"), "{name}");
        assert_eq!(s(v, "user_photo_key_field").len(), 344);
        assert_eq!(urlsafe_b64encode(&ct), s(v, "urlsafe_b64"), "{name}");
        for field in ["photo_id_key_field", "user_photo_key_field", "urlsafe_b64"] {
            assert_eq!(unwrap_photo_key(s(v, field), &private).unwrap(), plaintext, "{name}");
        }
        // Fresh randomness: a different ciphertext that still unwraps.
        let fresh = photo_id_key(&plaintext, &public).unwrap();
        assert_eq!(fresh.len(), 349);
        assert_ne!(fresh, s(v, "photo_id_key_field"));
        assert_eq!(unwrap_photo_key(&fresh, &private).unwrap(), plaintext);
        let fresh = user_photo_key(&plaintext, &public).unwrap();
        assert_eq!(fresh.len(), 344);
        assert_eq!(unwrap_photo_key(&fresh, &private).unwrap(), plaintext);
    }
}
