//! Tests of the crypto module beyond each file's unit tests.
//!
//! `vectors` and `vectors_signing` reproduce every vector of
//! `ssencrypt/tests/fixtures/ssencrypt.json` (a copy of `shared/vectors/ssencrypt.json`,
//! generated against edx-platform's `ssencrypt.py`). Each section has one test, and each
//! test first asserts the exact field names of its entries, so a field or section added
//! to the file fails until it is checked. `props` holds the property tests and `python`
//! the Python-compatibility cases.

mod props;
mod python;
mod vectors;
mod vectors_signing;

use std::collections::BTreeSet;

use serde_json::Value;
use sha2::{Digest as _, Sha256};

pub(super) const FILE: &str = include_str!("../../tests/fixtures/ssencrypt.json");

pub(super) fn doc() -> Value {
    serde_json::from_str(FILE).expect("fixture is JSON")
}

pub(super) fn s<'a>(v: &'a Value, key: &str) -> &'a str {
    v[key].as_str().unwrap_or_else(|| panic!("{key} is not a string in {v}"))
}

pub(super) fn list<'a>(v: &'a Value, key: &str) -> &'a Vec<Value> {
    v[key].as_array().unwrap_or_else(|| panic!("{key} is not a list"))
}

pub(super) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

pub(super) fn unhex(text: &str) -> Vec<u8> {
    (0..text.len()).step_by(2).map(|i| u8::from_str_radix(&text[i..i + 2], 16).expect("hex")).collect()
}

pub(super) fn sha256_hex(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

/// Every entry of `items` has exactly the field names `fields`.
pub(super) fn assert_fields(items: &[Value], fields: &[&str]) {
    let want: BTreeSet<&str> = fields.iter().copied().collect();
    for item in items {
        let got: BTreeSet<&str> = item.as_object().expect("entry is an object").keys().map(String::as_str).collect();
        assert_eq!(got, want, "fields of {item}");
    }
}
