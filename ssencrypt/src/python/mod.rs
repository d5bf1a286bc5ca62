//! Python's view of JSON, for the signing string and the callback.
//!
//! The signing string (spec §6) is built from the *decoded* body with Python's `str()` and
//! `repr()`, so it depends on things `serde_json::Value` loses: integers beyond 64 bits,
//! whether a number was written as an int or a float, and the key order of nested
//! objects (Python dicts keep insertion order; `repr` shows it). [`PyValue`] keeps all of
//! that; [`loads`] parses like `json.loads`, and the `render` half writes `str()`,
//! `repr()` and `json.dumps()` like CPython.

mod parse;
mod render;

pub use self::parse::{MAX_DEPTH, loads, loads_bytes};
pub use self::render::float_repr;

/// A decoded JSON value with Python's data model.
#[derive(Debug, Clone, PartialEq)]
pub enum PyValue {
    /// `None` (JSON `null`).
    None,
    /// `True` / `False`.
    Bool(bool),
    /// A Python `int`, unbounded, as its canonical decimal text (`-0` is `0`).
    Int(String),
    /// A Python `float` (JSON numbers with a fraction or exponent, `NaN`, `Infinity`).
    Float(f64),
    /// A Python `str`.
    Str(String),
    /// A Python `list`.
    List(Vec<PyValue>),
    /// A Python `dict` in insertion order; keys are unique.
    Dict(Vec<(String, PyValue)>),
}

impl PyValue {
    /// The entries when this is a dict.
    pub fn as_dict(&self) -> Option<&[(String, PyValue)]> {
        match self {
            PyValue::Dict(entries) => Some(entries),
            _ => None,
        }
    }

    /// `dict.get(key)`: the value under `key` when this is a dict that has it.
    pub fn get(&self, key: &str) -> Option<&PyValue> {
        self.as_dict()?.iter().find_map(|(k, v)| (k == key).then_some(v))
    }

    /// The text when this is a str.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            PyValue::Str(s) => Some(s),
            _ => None,
        }
    }
}

/// Converts a value built in Rust. Objects keep `serde_json`'s iteration order (sorted
/// by key unless its `preserve_order` feature is on), which only matters for a dict
/// nested in a list nested in a list, the one place `repr` shows dict order.
impl From<&serde_json::Value> for PyValue {
    fn from(value: &serde_json::Value) -> Self {
        use serde_json::Value;
        match value {
            Value::Null => PyValue::None,
            Value::Bool(b) => PyValue::Bool(*b),
            Value::Number(n) if n.is_i64() || n.is_u64() => PyValue::Int(n.to_string()),
            Value::Number(n) => PyValue::Float(n.as_f64().unwrap_or(f64::NAN)),
            Value::String(s) => PyValue::Str(s.clone()),
            Value::Array(items) => PyValue::List(items.iter().map(PyValue::from).collect()),
            Value::Object(map) => PyValue::Dict(map.iter().map(|(k, v)| (k.clone(), PyValue::from(v))).collect()),
        }
    }
}
