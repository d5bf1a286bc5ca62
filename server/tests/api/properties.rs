//! Property tests of the parsers and codecs that face the outside: callback JSON, hosted
//! webhook signatures, LTI parameters and the OAuth1 base string, photo data URLs, and
//! Software Secure's signing strings (against the shared vectors, in any key order). Each
//! runs proptest's default 256 cases; arbitrary input must never panic.

use app::domain::images::{ImageError, ImageKind, decode_data_url};
use base64::Engine;
use proptest::prelude::*;
use serde_json::Value;
use server::lti::{oauth, params};
use ssencrypt::webhook_signature::{self as signature, SignatureError};
use ssencrypt::{PyValue, SignedHeaders};

/// JSON scalars as a vendor sends them.
fn scalar() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i32>().prop_map(Value::from),
        ".{0,24}".prop_map(Value::String),
    ]
}

/// A JSON object of scalars, lists and nested objects (a callback body).
fn object() -> impl Strategy<Value = serde_json::Map<String, Value>> {
    let leaf = scalar();
    let value = leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map("[a-zA-Z_-]{1,8}", inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    });
    prop::collection::btree_map("[a-zA-Z_-]{1,12}", value, 0..6).prop_map(|m| m.into_iter().collect())
}

/// `map` as JSON text with its top-level keys in the order of `order` (a permutation).
fn with_key_order(map: &serde_json::Map<String, Value>, order: &[usize]) -> String {
    let entries: Vec<(&String, &Value)> = map.iter().collect();
    let fields: Vec<String> =
        order.iter().map(|&i| format!("{}:{}", Value::from(entries[i].0.as_str()), entries[i].1)).collect();
    format!("{{{}}}", fields.join(","))
}

fn lookup<'a>(v: &'a PyValue, k: &str) -> Option<&'a PyValue> {
    v.get(k)
}

proptest! {
    /// Arbitrary bytes as a callback body: parsed or refused, never a panic.
    #[test]
    fn callback_json_never_panics(bytes in prop::collection::vec(any::<u8>(), 0..256)) {
        let _ = ssencrypt::python::loads_bytes(&bytes);
    }

    /// Arbitrary text shaped like JSON: parsed or refused, never a panic.
    #[test]
    fn json_like_text_never_panics(text in r#"[\[\]{}",:0-9a-z\\.eE+ -]{0,64}"#) {
        if let Ok(v) = ssencrypt::python::loads(&text) {
            let _ = ssencrypt::signing::body_string(&v);
        }
    }

    /// A valid callback object parses, keeps every top-level string field, and its wire
    /// JSON reads back to the same value.
    #[test]
    fn valid_callbacks_round_trip(map in object()) {
        let text = Value::Object(map.clone()).to_string();
        let parsed = ssencrypt::python::loads(&text).expect("valid JSON parses");
        prop_assert!(parsed.as_dict().is_some());
        for (k, v) in &map {
            if let Value::String(s) = v {
                prop_assert_eq!(lookup(&parsed, k).and_then(PyValue::as_str), Some(s.as_str()));
            }
        }
        let again: Value = serde_json::from_str(&parsed.wire_json()).expect("wire JSON is JSON");
        prop_assert_eq!(again, Value::Object(map));
    }

    /// Software Secure's body string does not depend on the order keys arrive in.
    #[test]
    fn body_string_ignores_key_order(map in object(), seed in any::<u64>()) {
        let mut order: Vec<usize> = (0..map.len()).collect();
        // A deterministic shuffle from the seed.
        let mut s = seed;
        for i in (1..order.len()).rev() {
            s = s.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            order.swap(i, (s >> 33) as usize % (i + 1));
        }
        let a = ssencrypt::python::loads(&Value::Object(map.clone()).to_string()).expect("parses");
        let b = ssencrypt::python::loads(&with_key_order(&map, &order)).expect("parses");
        prop_assert_eq!(ssencrypt::signing::body_string(&a).expect("dict"), ssencrypt::signing::body_string(&b).expect("dict"));
    }

    /// A hosted webhook signature verifies for any secret, time and body; any change to the
    /// body, the secret or the time beyond the window is refused.
    #[test]
    fn webhook_signatures(secret in prop::collection::vec(any::<u8>(), 1..64),
                          body in prop::collection::vec(any::<u8>(), 0..512),
                          t in 1_000_000_000i64..3_000_000_000, skew in -300i64..=300, flip in any::<prop::sample::Index>()) {
        let header = signature::sign(&secret, t, &body);
        prop_assert_eq!(signature::verify(&header, &secret, &body, t + skew, 300), Ok(t));
        prop_assert_eq!(signature::verify(&header, &secret, &body, t + 301, 300), Err(SignatureError::Stale));
        prop_assert_eq!(signature::verify(&header, &secret, &body, t - 301, 300), Err(SignatureError::Stale));
        let mut other = body.clone();
        if other.is_empty() { other.push(0) } else { let i = flip.index(other.len()); other[i] ^= 0x01; }
        prop_assert_eq!(signature::verify(&header, &secret, &other, t, 300), Err(SignatureError::Mismatch));
        let mut wrong = secret.clone();
        wrong.push(b'x');
        prop_assert_eq!(signature::verify(&header, &wrong, &body, t, 300), Err(SignatureError::Mismatch));
    }

    /// Arbitrary signature headers: refused or accepted, never a panic.
    #[test]
    fn webhook_headers_never_panic(header in ".{0,80}", body in ".{0,40}") {
        let _ = signature::verify(&header, b"secret", body.as_bytes(), 1_700_000_000, 300);
    }

    /// OAuth percent-encoding leaves only unreserved characters and %XX escapes, and
    /// decodes back to the input.
    #[test]
    fn oauth_encoding(s in "\\PC{0,40}") {
        let e = oauth::encode(&s);
        let mut chars = e.chars();
        while let Some(c) = chars.next() {
            if c == '%' {
                let hex: String = chars.by_ref().take(2).collect();
                prop_assert!(hex.len() == 2 && hex.chars().all(|h| h.is_ascii_digit() || ('A'..='F').contains(&h)), "{e}");
            } else {
                prop_assert!(c.is_ascii_alphanumeric() || "-._~".contains(c), "{e}");
            }
        }
        let back = percent_encoding::percent_decode_str(&e).decode_utf8().expect("utf-8");
        prop_assert_eq!(back.as_ref(), s.as_str());
    }

    /// The base string does not depend on parameter order or on `oauth_signature`, and a
    /// signature over it verifies only for the same parameters and secret.
    #[test]
    fn oauth_base_string(pairs in prop::collection::vec(("[a-z_]{1,10}", "\\PC{0,16}"), 1..10),
                         secret in "\\PC{1,20}", rot in any::<prop::sample::Index>()) {
        let uri = "https://vouch.example/lti_provider/courses/c/u";
        let mut shuffled = pairs.clone();
        let k = rot.index(shuffled.len());
        shuffled.rotate_left(k);
        shuffled.reverse();
        shuffled.push(("oauth_signature".into(), "ignored".into()));
        let base = oauth::base_string("post", uri, &pairs);
        prop_assert_eq!(&base, &oauth::base_string("POST", uri, &shuffled));
        prop_assert!(base.starts_with("POST&https%3A%2F%2Fvouch.example%2Flti_provider"));
        let sig = oauth::sign(&secret, &base);
        prop_assert!(oauth::verify(&secret, &base, &sig));
        let other_secret = format!("{secret}x");
        prop_assert!(!oauth::verify(&other_secret, &base, &sig));
        let mut changed = pairs.clone();
        changed[0].1.push('!');
        prop_assert!(!oauth::verify(&secret, &oauth::base_string("POST", uri, &changed), &sig));
    }

    /// Launch parameters in any order parse to the same launch (or the same refusal), and
    /// arbitrary parameter lists never panic.
    #[test]
    fn launch_params_order_independent(extra in prop::collection::btree_map("(custom_|oauth_|lti_|roles|user_id)[a-z_]{0,8}", ".{0,12}", 0..6),
                                       rot in any::<prop::sample::Index>()) {
        let mut list: Vec<(String, String)> = [
            ("lti_message_type", "basic-lti-launch-request"), ("lti_version", "LTI-1p0"),
            ("resource_link_id", "r1"), ("user_id", "u1"), ("roles", "Learner,Instructor"),
            ("oauth_consumer_key", "k"), ("oauth_signature_method", "HMAC-SHA1"), ("oauth_timestamp", "1700000000"),
            ("oauth_nonce", "n"), ("oauth_signature", "c2ln"), ("oauth_version", "1.0"),
        ].iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
        list.extend(extra);
        let first = params::parse(&list);
        let k = rot.index(list.len());
        list.rotate_left(k);
        prop_assert_eq!(first, params::parse(&list));
    }

    /// A JPEG as a data URL decodes to its bytes, whatever the declared type says.
    #[test]
    fn data_urls_round_trip(padding in 0usize..2000, mime in "image/(jpeg|png|gif)|text/plain") {
        let mut jpeg = vec![0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10, b'J', b'F', b'I', b'F', 0];
        jpeg.extend(std::iter::repeat_n(0x42, padding));
        jpeg.extend([0xFF, 0xD9]);
        let url = format!("data:{mime};base64,{}", base64::engine::general_purpose::STANDARD.encode(&jpeg));
        prop_assert_eq!(decode_data_url("face_image", &url, 10_000), Ok((ImageKind::Jpeg, jpeg)));
    }

    /// Garbage is refused with an error, never a panic and never an image.
    #[test]
    fn data_url_garbage_refused(s in "(data:)?[a-z/;=,+0-9A-Z]{0,60}") {
        prop_assert!(decode_data_url("face_image", &s, 10_000).is_err());
    }

    /// Random bytes behind a valid data URL are not taken for a photo unless they are one.
    #[test]
    fn data_url_random_bytes(bytes in prop::collection::vec(any::<u8>(), 1..300)) {
        let url = format!("data:image/jpeg;base64,{}", base64::engine::general_purpose::STANDARD.encode(&bytes));
        match decode_data_url("face_image", &url, 10_000) {
            Ok((_, decoded)) => prop_assert_eq!(decoded, bytes),
            Err(e) => prop_assert_eq!(e, ImageError::WrongType("face_image")),
        }
    }
}

/// The shared vectors' signing cases, each with its top-level keys in every rotation:
/// the signing string and the signature stay the vector's.
#[test]
fn signing_vectors_hold_in_any_key_order() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../ssencrypt/tests/fixtures/ssencrypt.json");
    let json: Value = serde_json::from_slice(&std::fs::read(path).expect("vectors")).expect("json");
    let cases = json["signing"].as_array().expect("signing vectors");
    let mut checked = 0;
    for case in cases {
        let Some(body) = case["body"].as_object() else { continue };
        // serde_json cannot carry integers beyond 64 bits out of the vector file; that case
        // is checked from the raw text in the crypto module's own vector test.
        if case["name"].as_str().is_some_and(|n| n.contains("python_only")) {
            continue;
        }
        let headers: Vec<(&str, &str)> = case["headers"]
            .as_object()
            .expect("headers")
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str().expect("header value")))
            .collect();
        let headers = SignedHeaders::from_pairs(headers);
        let method = case["method"].as_str().expect("method");
        for r in 0..body.len().max(1) {
            let order: Vec<usize> = (0..body.len()).map(|i| (i + r) % body.len()).collect();
            let parsed = ssencrypt::python::loads(&with_key_order(body, &order)).expect("body parses");
            let signing = ssencrypt::signing::signing_string(method, &headers, &parsed).expect("dict body");
            assert_eq!(signing, case["signing_string"].as_str().expect("string"), "{}", case["name"]);
            let secret = case["secret_key"].as_str().expect("secret");
            assert_eq!(ssencrypt::signing::sign_message(secret, &signing), case["signature"].as_str().expect("sig"));
            checked += 1;
        }
    }
    assert!(checked >= 20, "only {checked} vector orderings checked");
}

mod state_machine {
    //! The photo lifecycle under random operation sequences, against a table written here
    //! from Open edX's guards (independently of `photo_lifecycle`'s own).

    use app::domain::{
        AttemptStatus::{self, *},
        GenericStatus, Policy, UserId,
        photo_lifecycle::{self, PhotoOp, PhotoReview, Reviewer},
    };
    use proptest::prelude::*;

    /// Where each operation may start (Open edX's `status_before_must_be`).
    fn allowed(op: &PhotoOp, from: AttemptStatus) -> bool {
        match op {
            PhotoOp::MarkReady => from == Created,
            PhotoOp::MarkSubmit => matches!(from, Ready | MustRetry),
            PhotoOp::MarkMustRetry { .. } => matches!(from, Ready | Submitted | MustRetry),
            PhotoOp::Approve { .. } | PhotoOp::Deny { .. } | PhotoOp::SystemError { .. } => {
                matches!(from, Submitted | MustRetry | Approved | Denied)
            }
        }
    }

    fn op() -> impl Strategy<Value = PhotoOp> {
        let reviewer = (any::<bool>(), "[a-z]{0,6}")
            .prop_map(|(staff, service)| Reviewer { user: staff.then_some(UserId(7)), service });
        prop_oneof![
            Just(PhotoOp::MarkReady),
            Just(PhotoOp::MarkSubmit),
            ".{0,8}".prop_map(|error| PhotoOp::MarkMustRetry { error }),
            reviewer.clone().prop_map(|reviewer| PhotoOp::Approve { reviewer }),
            (".{0,8}", "[A-Z0-9]{0,4}", reviewer.clone()).prop_map(|(error_msg, error_code, reviewer)| PhotoOp::Deny {
                error_msg,
                error_code,
                reviewer
            }),
            (".{0,8}", "[A-Z0-9]{0,4}", reviewer).prop_map(|(error_msg, error_code, reviewer)| PhotoOp::SystemError {
                error_msg,
                error_code,
                reviewer
            }),
        ]
    }

    proptest! {
        /// Refused operations are exactly those the table forbids and change nothing; every
        /// accepted change is an edge of the lifecycle; an attempt never returns to created
        /// or ready once sent; a decision (approved/denied) is only ever replaced by the other
        /// decision, never undone into a pending state; the first approval's expiry stands.
        #[test]
        fn random_sequences_keep_the_invariants(ops in prop::collection::vec(op(), 0..60)) {
            let policy = Policy::default();
            let start = chrono::DateTime::from_timestamp(1_800_000_000, 0).expect("valid");
            let mut current = PhotoReview::created();
            let mut sent = false;
            for (i, op) in ops.iter().enumerate() {
                let now = start + chrono::Duration::hours(i as i64);
                let result = photo_lifecycle::apply(op, &current, now, &policy);
                prop_assert_eq!(result.is_ok(), allowed(op, current.status), "{} from {}", op.name(), current.status);
                let Ok(Some(next)) = result else { continue };
                prop_assert!(current.status.can_move_to(next.status), "{} -> {}", current.status, next.status);
                if sent {
                    prop_assert!(!matches!(next.status, Created | Ready), "back to {} after sending", next.status);
                }
                if matches!(current.status, Approved | Denied) {
                    prop_assert!(matches!(next.status, Approved | Denied), "{} undone into {}", current.status, next.status);
                }
                if current.status == Approved {
                    prop_assert_ne!(next.status, Approved, "a second approval is a no-op");
                }
                if next.status == Approved {
                    prop_assert_eq!(next.expires_at, Some(now + chrono::Duration::days(policy.days_good_for)));
                }
                sent |= next.status == Submitted;
                current = next;
            }
        }

        /// Generic attempts may move between any two different statuses, never to themselves.
        #[test]
        fn generic_moves(a in 0usize..4, b in 0usize..4) {
            let (a, b) = (GenericStatus::ALL[a], GenericStatus::ALL[b]);
            prop_assert_eq!(a.can_move_to(b), a != b);
        }
    }
}
