//! Python's text forms of a [`PyValue`]: `str()`, `repr()`, `json.dumps()`.
//!
//! The signing string embeds `str(value)` (and `repr` for lists nested in lists), the
//! callback stores `json.dumps(reason)`, and the outbound body is `simplejson.dumps(body,
//! indent=2, sort_keys=True, ensure_ascii=False)`. Each must match CPython byte for byte.

use std::fmt::Write as _;

use super::PyValue;

impl PyValue {
    /// Python's `str(value)`: strings raw, everything else as [`PyValue::repr`].
    pub fn py_str(&self) -> String {
        match self {
            PyValue::Str(s) => s.clone(),
            other => other.repr(),
        }
    }

    /// Python's `repr(value)`: `None`, `True`, `1.0`, `'text'`, `[1, 'x']`, `{'k': 2}`.
    pub fn repr(&self) -> String {
        let mut out = String::new();
        write_repr(&mut out, self);
        out
    }

    /// Python's `json.dumps(value)` with default arguments: ASCII only (`\uXXXX`, UTF-16
    /// pairs above the BMP), separators `", "` and `": "`, dicts in insertion order,
    /// `NaN`/`Infinity` allowed. The callback stores this as the attempt's error message.
    pub fn json_dumps(&self) -> String {
        let mut out = String::new();
        write_dumps(&mut out, self);
        out
    }

    /// `simplejson.dumps(value, indent=2, sort_keys=True, ensure_ascii=False)`: the
    /// outbound request body (spec §5). simplejson, unlike the standard `json`, also
    /// escapes U+2028 and U+2029 when `ensure_ascii` is off.
    pub fn wire_json(&self) -> String {
        let mut out = String::new();
        write_wire(&mut out, self, 0);
        out
    }
}

/// Python's `float.__repr__`: the shortest text that round-trips, in fixed notation when
/// the decimal exponent is in `-4..16`, else `d.ddde+XX` with at least two exponent digits.
pub fn float_repr(value: f64) -> String {
    if value.is_nan() {
        return "nan".to_owned();
    }
    if value.is_infinite() {
        return if value > 0.0 { "inf" } else { "-inf" }.to_owned();
    }
    let sign = if value.is_sign_negative() { "-" } else { "" };
    if value == 0.0 {
        return format!("{sign}0.0");
    }
    // Rust's `{:e}` also prints the shortest round-tripping digits: `d[.ddd]e<exp>`.
    let sci = format!("{:e}", value.abs());
    let (mantissa, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    // Python's `decpt`: where the decimal point falls relative to the digits.
    let decpt = exp + 1;
    if !(-3..=16).contains(&decpt) {
        let (first, rest) = digits.split_at(1);
        let dot = if rest.is_empty() { "" } else { "." };
        let exp_sign = if exp < 0 { '-' } else { '+' };
        return format!("{sign}{first}{dot}{rest}e{exp_sign}{:02}", exp.abs());
    }
    let len = digits.len() as i32;
    if decpt <= 0 {
        let zeros = "0".repeat(decpt.unsigned_abs() as usize);
        format!("{sign}0.{zeros}{digits}")
    } else if decpt >= len {
        let zeros = "0".repeat((decpt - len) as usize);
        format!("{sign}{digits}{zeros}.0")
    } else {
        let (int_part, frac) = digits.split_at(decpt as usize);
        format!("{sign}{int_part}.{frac}")
    }
}

fn write_repr(out: &mut String, value: &PyValue) {
    match value {
        PyValue::None => out.push_str("None"),
        PyValue::Bool(true) => out.push_str("True"),
        PyValue::Bool(false) => out.push_str("False"),
        PyValue::Int(digits) => out.push_str(digits),
        PyValue::Float(f) => out.push_str(&float_repr(*f)),
        PyValue::Str(s) => write_str_repr(out, s),
        PyValue::List(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write_repr(out, item);
            }
            out.push(']');
        }
        PyValue::Dict(entries) => {
            out.push('{');
            for (i, (key, item)) in entries.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write_str_repr(out, key);
                out.push_str(": ");
                write_repr(out, item);
            }
            out.push('}');
        }
    }
}

/// CPython's `unicode_repr`: single quotes unless the text has `'` and no `"`;
/// backslash, the quote, `\t`, `\n`, `\r` escaped; other non-printables as
/// `\xhh`, `\uhhhh` or `\Uhhhhhhhh`.
fn write_str_repr(out: &mut String, s: &str) {
    let quote = if s.contains('\'') && !s.contains('"') { '"' } else { '\'' };
    out.push(quote);
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            c if c == quote => {
                out.push('\\');
                out.push(c);
            }
            c if is_printable(c) => out.push(c),
            c if u32::from(c) <= 0xff => {
                let _ = write!(out, "\\x{:02x}", u32::from(c));
            }
            c if u32::from(c) <= 0xffff => {
                let _ = write!(out, "\\u{:04x}", u32::from(c));
            }
            c => {
                let _ = write!(out, "\\U{:08x}", u32::from(c));
            }
        }
    }
    out.push(quote);
}

/// An approximation of Python's `str.isprintable` for one character: false for the
/// categories Cc, Zs (except space), Zl, Zp, Co, the common Cf characters and the
/// unassigned planes and noncharacters. Python also escapes every other unassigned
/// code point, which needs the Unicode database; signed bodies never contain them.
fn is_printable(c: char) -> bool {
    let cp = u32::from(c);
    let not_printable = matches!(cp,
        0x00..=0x1f | 0x7f..=0xa0 | 0xad
        | 0x600..=0x605 | 0x61c | 0x6dd | 0x70f | 0x890..=0x891 | 0x8e2 | 0x1680 | 0x180e
        | 0x2000..=0x200f | 0x2028..=0x202f | 0x205f..=0x206f | 0x3000
        | 0xd800..=0xf8ff | 0xfdd0..=0xfdef | 0xfeff | 0xfff9..=0xfffb
        | 0x110bd | 0x110cd | 0x13430..=0x1343f | 0x1bca0..=0x1bca3 | 0x1d173..=0x1d17a
        | 0x40000..=0xdffff | 0xe0000..=0xe00ff | 0xe01f0..=0x10ffff)
        || cp & 0xfffe == 0xfffe;
    !not_printable
}

fn write_dumps(out: &mut String, value: &PyValue) {
    match value {
        PyValue::None => out.push_str("null"),
        PyValue::Bool(true) => out.push_str("true"),
        PyValue::Bool(false) => out.push_str("false"),
        PyValue::Float(f) => out.push_str(&json_float(*f)),
        PyValue::Int(digits) => out.push_str(digits),
        PyValue::Str(s) => write_json_str(out, s, true),
        PyValue::List(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write_dumps(out, item);
            }
            out.push(']');
        }
        PyValue::Dict(entries) => {
            out.push('{');
            for (i, (key, item)) in entries.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write_json_str(out, key, true);
                out.push_str(": ");
                write_dumps(out, item);
            }
            out.push('}');
        }
    }
}

/// The body as simplejson writes it with `indent=2`: items on their own lines, `,`
/// without a trailing space, `": "` after keys, empty containers as `[]` and `{}`.
fn write_wire(out: &mut String, value: &PyValue, level: usize) {
    let newline = |out: &mut String, level: usize| {
        out.push('\n');
        out.extend(std::iter::repeat_n(' ', 2 * level));
    };
    match value {
        PyValue::List(items) if !items.is_empty() => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                newline(out, level + 1);
                write_wire(out, item, level + 1);
            }
            newline(out, level);
            out.push(']');
        }
        PyValue::Dict(entries) if !entries.is_empty() => {
            let mut sorted: Vec<&(String, PyValue)> = entries.iter().collect();
            sorted.sort_by(|a, b| a.0.cmp(&b.0));
            out.push('{');
            for (i, (key, item)) in sorted.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                newline(out, level + 1);
                write_json_str(out, key, false);
                out.push_str(": ");
                write_wire(out, item, level + 1);
            }
            newline(out, level);
            out.push('}');
        }
        PyValue::Str(s) => write_json_str(out, s, false),
        other => write_dumps(out, other),
    }
}

/// Floats in JSON output: `float.__repr__`, except the non-finite spellings of Python.
fn json_float(f: f64) -> String {
    if f.is_nan() {
        "NaN".to_owned()
    } else if f.is_infinite() {
        if f > 0.0 { "Infinity" } else { "-Infinity" }.to_owned()
    } else {
        float_repr(f)
    }
}

/// A JSON string literal. With `ascii_only` (Python's default `ensure_ascii=True`) every
/// character outside `' '..='~'` is escaped; without it only what JSON requires, plus
/// U+2028/U+2029 as simplejson does.
fn write_json_str(out: &mut String, s: &str, ascii_only: bool) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            ' '..='~' => out.push(c),
            c if !ascii_only && c >= ' ' && c != '\u{2028}' && c != '\u{2029}' => out.push(c),
            c => {
                let mut units = [0u16; 2];
                for unit in c.encode_utf16(&mut units) {
                    let _ = write!(out, "\\u{unit:04x}");
                }
            }
        }
    }
    out.push('"');
}
