//! The request vectors: signing strings and signatures, the full outbound request,
//! `Date` formatting and Open edX's callback behaviour (Vouch's legacy mode).

use std::collections::BTreeMap;

use serde_json::Value;

use super::{FILE, assert_fields, doc, list, s, sha256_hex, unhex};
use crate::python::{self, PyValue};
use crate::*;

/// The signing vectors' bodies as Python decoded them: parsed with [`python::loads`]
/// from the file text, because `serde_json` turns integers beyond 64 bits into floats.
fn py_signing_bodies() -> Vec<PyValue> {
    let whole = python::loads(FILE).expect("fixture parses as Python JSON");
    let Some(PyValue::List(items)) = whole.get("signing") else {
        panic!("signing is a list");
    };
    items.iter().map(|v| v.get("body").expect("body").clone()).collect()
}

#[test]
fn signing_vectors() {
    let d = doc();
    let items = list(&d, "signing");
    assert_fields(
        items,
        &[
            "name",
            "method",
            "headers",
            "body",
            "access_key",
            "secret_key",
            "header_string",
            "body_string",
            "signing_string",
            "signing_string_utf8_sha256",
            "signature",
            "authorization",
        ],
    );
    for (v, body) in items.iter().zip(py_signing_bodies()) {
        let name = s(v, "name");
        let pairs: Vec<(&str, &str)> =
            v["headers"].as_object().unwrap().iter().map(|(k, v)| (k.as_str(), v.as_str().unwrap())).collect();
        let headers = SignedHeaders::from_pairs(pairs);
        let (method, access, secret) = (s(v, "method"), s(v, "access_key"), s(v, "secret_key"));
        assert_eq!(headers.header_string(), s(v, "header_string"), "{name}");
        assert_eq!(body_string(&body).unwrap(), s(v, "body_string"), "{name}");
        let message = signing_string(method, &headers, &body).unwrap();
        assert_eq!(message, s(v, "signing_string"), "{name}");
        assert_eq!(sha256_hex(message.as_bytes()), s(v, "signing_string_utf8_sha256"));
        let signature = sign_message(secret, &message);
        assert_eq!(signature, s(v, "signature"), "{name}");
        let auth = authorization_header(access, &signature);
        assert_eq!(auth, s(v, "authorization"), "{name}");
        verify_authorization(&auth, method, &headers, &body, access, secret).unwrap();
        let forged = authorization_header(access, &sign_message("not the secret", &message));
        assert!(verify_authorization(&forged, method, &headers, &body, access, secret).is_err());
        // A body built in Rust (serde_json) signs the same, except beyond 64-bit ints.
        let from_serde = body_string(&PyValue::from(&v["body"])).unwrap();
        if name.starts_with("big_int") {
            assert_ne!(from_serde, s(v, "body_string"), "{name}");
        } else {
            assert_eq!(from_serde, s(v, "body_string"), "{name}");
        }
    }
}

#[test]
fn full_request_vector() {
    let d = doc();
    let r = &d["full_request"];
    assert_fields(std::slice::from_ref(r), &["method", "url", "headers", "body_json_utf8", "body_sha256", "note"]);
    let json = s(r, "body_json_utf8");
    assert_eq!(sha256_hex(json.as_bytes()), s(r, "body_sha256"));
    let body = python::loads(json).unwrap();
    assert_eq!(body.wire_json(), json, "simplejson indent=2 sort_keys");
    let h = &r["headers"];
    let headers = SignedHeaders::from_pairs([("Content-Type", s(h, "Content-Type")), ("Date", s(h, "Date"))]);
    let (access, secret) = (s(&d["keys"], "api_access_key"), s(&d["keys"], "api_secret_key"));
    let message = signing_string(s(r, "method"), &headers, &body).unwrap();
    let auth = authorization_header(access, &sign_message(secret, &message));
    assert_eq!(auth, s(h, "Authorization"));
    verify_authorization(&auth, s(r, "method"), &headers, &body, access, secret).unwrap();
    // The URL is not signed: nothing above depends on it.
    assert!(s(r, "url").starts_with("https://"));
    assert!(s(r, "note").contains("not these bytes"));
}

#[test]
fn http_date_vectors() {
    let d = doc();
    let items = list(&d, "http_date");
    assert_fields(items, &["unix", "http_date"]);
    for v in items {
        let at = chrono::DateTime::from_timestamp(v["unix"].as_i64().unwrap(), 0).unwrap();
        assert_eq!(http_date(at), s(v, "http_date"));
    }
}

/// Python's `repr(bytes)`, which Open edX echoes in its 400 bodies (Vouch does not).
fn py_bytes_repr(bytes: &[u8]) -> String {
    let quote = if bytes.contains(&b'\'') && !bytes.contains(&b'"') { '"' } else { '\'' };
    let mut out = format!("b{quote}");
    for &b in bytes {
        match b {
            b'\\' => out.push_str("\\\\"),
            b'\t' => out.push_str("\\t"),
            b'\n' => out.push_str("\\n"),
            b'\r' => out.push_str("\\r"),
            b if char::from(b) == quote => out.extend(['\\', quote]),
            0x20..=0x7e => out.push(char::from(b)),
            b => out.push_str(&format!("\\x{b:02x}")),
        }
    }
    out.push(quote);
    out
}

/// What Open edX's `results_callback` answers: (status, text, new status, error_msg,
/// error_code). Only the parsing steps come from this module (JSON, the legacy access
/// key, `json.dumps` of the reason); the state rules are a model of `models.py`, so the
/// real callback handler must be checked against these same cases in its own tests.
type Outcome = (u16, String, Option<String>, Option<String>, Option<String>);

fn legacy_callback(case: &Value, access_key: &str, attempts: &BTreeMap<&str, &str>) -> Outcome {
    let fail = |status, text: String| (status, text, None, None, None);
    if s(case, "method") != "POST" {
        return fail(405, String::new());
    }
    let raw = unhex(s(case, "body_hex"));
    let body = match python::loads_bytes(&raw) {
        Err(_) => return fail(400, format!("Invalid JSON. Received:\n\n{}", py_bytes_repr(&raw))),
        Ok(body) if body.as_dict().is_none() => {
            return fail(400, format!("JSON should be dict. Received:\n\n{}", py_bytes_repr(&raw)));
        }
        Ok(body) => body,
    };
    match legacy_access_key(case["authorization"].as_str().unwrap_or("")) {
        Err(_) => return fail(500, "ValueError unpacking Authorization".into()),
        Ok(key) if key != access_key => return fail(400, "Access key invalid".into()),
        Ok(_) => {}
    }
    let none = PyValue::None;
    let empty = PyValue::Str(String::new());
    let receipt = body.get("EdX-ID").unwrap_or(&none).py_str();
    let result = body.get("Result").unwrap_or(&none).py_str();
    let reason = body.get("Reason").unwrap_or(&empty).json_dumps();
    let code = body.get("MessageType").unwrap_or(&empty).py_str();
    let Some(&status) = attempts.get(receipt.as_str()) else {
        return fail(400, format!("edX ID {receipt} not found"));
    };
    let known = ["PASS", "FAIL", "SYSTEM FAIL"];
    if !known.contains(&result.as_str()) {
        let text = format!("Result {result} not understood. Known results: PASS, FAIL, SYSTEM FAIL");
        return fail(400, text);
    }
    if !["must_retry", "submitted", "approved", "denied"].contains(&status) {
        return fail(500, "VerificationException".into());
    }
    let ok =
        |new: &str, msg: Option<String>, code: Option<String>| (200, "OK!".to_owned(), Some(new.to_owned()), msg, code);
    match (result.as_str(), status) {
        ("PASS", "approved") => ok("approved", None, None),
        ("PASS", _) => ok("approved", Some(String::new()), Some(String::new())),
        ("FAIL", _) => ok("denied", Some(reason), Some(code)),
        (_, "approved" | "denied") => ok(status, None, None),
        _ => ok("must_retry", Some(reason), Some(code)),
    }
}

#[test]
fn callback_vectors() {
    let d = doc();
    let c = &d["callback"];
    assert_fields(std::slice::from_ref(c), &["api_access_key", "attempts", "cases"]);
    let attempts: BTreeMap<&str, &str> =
        c["attempts"].as_object().unwrap().iter().map(|(k, v)| (k.as_str(), v.as_str().unwrap())).collect();
    let items = list(c, "cases");
    assert_fields(
        items,
        &["name", "method", "authorization", "body_hex", "body_text", "attempt_status_before", "expected"],
    );
    for case in items {
        let name = s(case, "name");
        let raw = unhex(s(case, "body_hex"));
        assert_eq!(String::from_utf8_lossy(&raw), s(case, "body_text"), "{name}");
        let before = case["attempt_status_before"].as_str();
        let receipt = python::loads_bytes(&raw).ok().and_then(|b| b.get("EdX-ID").cloned());
        if let (Some(before), Some(PyValue::Str(receipt))) = (before, receipt) {
            assert_eq!(attempts.get(receipt.as_str()), Some(&before), "{name}");
        }
        let e = &case["expected"];
        assert_fields(std::slice::from_ref(e), &["status", "text", "new_status", "error_msg", "error_code"]);
        let opt = |key: &str| e[key].as_str().map(str::to_owned);
        let want: Outcome = (
            u16::try_from(e["status"].as_u64().unwrap()).unwrap(),
            s(e, "text").to_owned(),
            opt("new_status"),
            opt("error_msg"),
            opt("error_code"),
        );
        assert_eq!(legacy_callback(case, s(c, "api_access_key"), &attempts), want, "{name}");
    }
}
