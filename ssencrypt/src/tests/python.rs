//! Python compatibility of [`PyValue`]: parsing like `json.loads`, rendering like
//! CPython's `str()`, `repr()` and `json.dumps()`. Expected texts were produced by
//! CPython 3.11.

use crate::python::{MAX_DEPTH, PyValue, float_repr, loads, loads_bytes};

fn int(s: &str) -> PyValue {
    PyValue::Int(s.to_owned())
}

#[test]
fn numbers_keep_python_types() {
    assert_eq!(loads("12345678901234567890123").unwrap(), int("12345678901234567890123"));
    assert_eq!(loads("-0").unwrap(), int("0"));
    assert_eq!(loads("1.0").unwrap(), PyValue::Float(1.0));
    assert_eq!(loads("1E2").unwrap(), PyValue::Float(100.0));
    assert_eq!(loads("1e400").unwrap(), PyValue::Float(f64::INFINITY));
    assert_eq!(loads("-Infinity").unwrap(), PyValue::Float(f64::NEG_INFINITY));
    assert!(matches!(loads("NaN").unwrap(), PyValue::Float(f) if f.is_nan()));
    for bad in ["01", "1.", ".5", "+1", "1e", "-", "1.e5", "0x10"] {
        assert!(loads(bad).is_err(), "{bad}");
    }
    assert!(loads(&"9".repeat(4301)).is_err());
    assert!(loads(&"9".repeat(4300)).is_ok());
}

#[test]
fn strings_and_escapes() {
    let v = loads(r#""a\"\\\/\b\f\n\r\t\u00e9\ud83d\ude00é""#).unwrap();
    assert_eq!(v, PyValue::Str("a\"\\/\u{8}\u{c}\n\r\té😀é".to_owned()));
    assert!(loads("\"raw\nnewline\"").is_err());
    assert!(loads(r#""\ud800""#).is_err());
    assert!(loads(r#""\x41""#).is_err());
    assert!(loads(r#""\u12G4""#).is_err());
    assert!(loads("\"open").is_err());
}

#[test]
fn objects_keep_order_and_last_duplicate() {
    let v = loads(r#" {"b": 1, "a": [true, false, null], "b": 2} "#).unwrap();
    let keys: Vec<&str> = v.as_dict().unwrap().iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(keys, ["b", "a"]);
    assert_eq!(v.get("b"), Some(&int("2")));
    assert_eq!(loads("{}").unwrap(), PyValue::Dict(vec![]));
    for bad in ["{1: 2}", "{\"a\" 1}", "{\"a\": 1,}", "[1,]", "[1 2]", "{} x", "\u{feff}{}", "\x0c{}"] {
        assert!(loads(bad).is_err(), "{bad:?}");
    }
}

#[test]
fn depth_is_limited_and_utf8_checked() {
    let deep = format!("{}{}", "[".repeat(MAX_DEPTH + 1), "]".repeat(MAX_DEPTH + 1));
    assert!(loads(&deep).is_ok());
    let deeper = format!("{}{}", "[".repeat(MAX_DEPTH + 2), "]".repeat(MAX_DEPTH + 2));
    assert!(loads(&deeper).is_err());
    assert!(loads_bytes(b"\xff\xfe{}").is_err());
}

#[test]
fn floats_like_python() {
    let cases = [
        (1.0, "1.0"),
        (1.5, "1.5"),
        (1e16, "1e+16"),
        (1e15, "1000000000000000.0"),
        (1e-5, "1e-05"),
        (0.0001, "0.0001"),
        (1.0 / 3.0, "0.3333333333333333"),
        (-0.0, "-0.0"),
        (1.5e300, "1.5e+300"),
        (-2.5e-7, "-2.5e-07"),
        (123456789.125, "123456789.125"),
        (1.2345678901234568e20, "1.2345678901234568e+20"),
        (5e-324, "5e-324"),
        (f64::INFINITY, "inf"),
    ];
    for (value, text) in cases {
        assert_eq!(float_repr(value), text, "{value:e}");
    }
}

#[test]
fn repr_picks_quotes_and_escapes_like_cpython() {
    let v =
        loads(r#"["x", "it's", "say \"hi\"", "both ' \"", "\u00e9\n\\", "\u0007\u00a0\u200b\ud83d\ude00"]"#).unwrap();
    assert_eq!(v.repr(), r#"['x', "it's", 'say "hi"', 'both \' "', 'é\n\\', '\x07\xa0\u200b😀']"#);
    let v = loads(r#"[{"b": 1, "a": [null, true, 2.0]}]"#).unwrap();
    assert_eq!(v.repr(), "[{'b': 1, 'a': [None, True, 2.0]}]");
    assert_eq!(PyValue::Str("raw 'x'".into()).py_str(), "raw 'x'");
}

#[test]
fn dumps_like_python_json() {
    let v = loads(r#"[{"photoIdReasons": ["Not provided"]}, "Nom incohérent 😀", 1.0, null, NaN]"#).unwrap();
    assert_eq!(
        v.json_dumps(),
        r#"[{"photoIdReasons": ["Not provided"]}, "Nom incoh\u00e9rent \ud83d\ude00", 1.0, null, NaN]"#
    );
}

#[test]
fn wire_json_is_indented_and_sorted() {
    let v = loads(r#"{"b": [1, {}], "a": "é\u2028", "c": []}"#).unwrap();
    assert_eq!(v.wire_json(), "{\n  \"a\": \"é\\u2028\",\n  \"b\": [\n    1,\n    {}\n  ],\n  \"c\": []\n}");
}
