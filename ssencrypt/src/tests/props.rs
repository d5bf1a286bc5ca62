//! Property tests: round trips over random data and keys, and Python-compatible
//! renderings that must hold for any input.

use proptest::prelude::*;

use crate::b64::{encodebytes, lenient_b64decode, urlsafe_b64encode};
use crate::python::{self, PyValue, float_repr};
use crate::*;

/// A random AES key of each allowed length.
fn aes_key() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        prop::collection::vec(any::<u8>(), 16),
        prop::collection::vec(any::<u8>(), 24),
        prop::collection::vec(any::<u8>(), 32),
    ]
}

/// The test-only RSA key pair of the vectors file (never used outside tests).
fn test_keys() -> (PublicKey, PrivateKey) {
    let doc: serde_json::Value = serde_json::from_str(include_str!("../../tests/fixtures/ssencrypt.json")).unwrap();
    let keys = &doc["keys"];
    (
        parse_public_key(keys["rsa_public_spki_pem"].as_str().unwrap()).unwrap(),
        parse_private_key(keys["rsa_private_pkcs1_pem"].as_str().unwrap()).unwrap(),
    )
}

proptest! {
    #[test]
    fn aes_round_trip(data in prop::collection::vec(any::<u8>(), 0..2048), key in aes_key()) {
        let encoded = encrypt_and_encode(&data, &key).unwrap();
        let ciphertext_len = (data.len() / 16 + 1) * 16;
        prop_assert_eq!(encoded.len(), ciphertext_len.div_ceil(3) * 4);
        prop_assert_eq!(decode_and_decrypt(&encoded, &key).unwrap(), data);
    }

    #[test]
    fn base64_forms_all_decode(data in prop::collection::vec(any::<u8>(), 0..300)) {
        prop_assert_eq!(lenient_b64decode(urlsafe_b64encode(&data).as_bytes()).unwrap(), data.clone());
        prop_assert_eq!(lenient_b64decode(encodebytes(&data).as_bytes()).unwrap(), data);
    }

    #[test]
    fn float_repr_round_trips(bits in any::<u64>()) {
        let value = f64::from_bits(bits);
        prop_assume!(value.is_finite());
        let text = float_repr(value);
        prop_assert_eq!(text.parse::<f64>().unwrap().to_bits(), bits, "{}", text);
        // It is also what Python's parser would read back as a float.
        prop_assert_eq!(python::loads(&text).unwrap(), PyValue::Float(value));
    }

    #[test]
    fn body_string_never_panics(text in ".{0,64}") {
        let json = serde_json::json!({ "k": text, "l": [text, [text], { "d": text }] });
        let body = PyValue::from(&json);
        let flat = body_string(&body).unwrap();
        let expected_start = format!("k:{text}\nl.0:{text}\nl.1:");
        prop_assert!(flat.starts_with(&expected_start));
        prop_assert!(flat.ends_with(&format!("l.2.d:{text}\n")), "a dict in a list gets key.i.");
    }
}

proptest! {
    // RSA private-key operations are slow in debug builds: fewer cases.
    #![proptest_config(ProptestConfig::with_cases(12))]

    #[test]
    fn rsa_wrap_round_trip(key in aes_key()) {
        let (public, private) = test_keys();
        let photo_id = photo_id_key(&key, &public).unwrap();
        prop_assert_eq!(photo_id.len(), 349);
        prop_assert_eq!(unwrap_photo_key(&photo_id, &private).unwrap(), key.clone());
        let user = user_photo_key(&key, &public).unwrap();
        prop_assert_eq!(user.len(), 344);
        prop_assert_eq!(unwrap_photo_key(&user, &private).unwrap(), key);
    }
}
