//! `json.loads` with Python's rules, into a [`PyValue`].
//!
//! It accepts exactly what `json.loads` accepts, with two documented exceptions: lone
//! UTF-16 surrogates (`"\ud800"`) and nesting deeper than [`MAX_DEPTH`] are errors here.

use std::collections::HashMap;

use super::PyValue;
use crate::CryptoError;

/// Deepest nesting [`loads`] accepts. CPython stops near 1000 with a `RecursionError`
/// (a 500 in Open edX); a fixed, lower limit keeps our stack safe on hostile bodies.
pub const MAX_DEPTH: usize = 128;

/// CPython 3.11+ refuses to convert integers longer than this many digits
/// (`sys.int_info.default_max_str_digits`), so `json.loads` raises `ValueError`.
const MAX_INT_DIGITS: usize = 4300;

/// `json.loads(body.decode("utf-8"))`: a UTF-8 error is an error, as in the callback
/// (Python raises `UnicodeDecodeError`, a `ValueError`).
pub fn loads_bytes(body: &[u8]) -> Result<PyValue, CryptoError> {
    let text = std::str::from_utf8(body)
        .map_err(|e| CryptoError::InvalidJson { offset: e.valid_up_to(), reason: "not UTF-8" })?;
    loads(text)
}

/// `json.loads(text)` with Python's rules: whitespace is only space, tab, CR and LF;
/// `NaN`, `Infinity` and `-Infinity` are accepted; raw control characters inside
/// strings are not; a repeated key keeps its first position and its last value.
pub fn loads(text: &str) -> Result<PyValue, CryptoError> {
    let mut parser = Parser { text, bytes: text.as_bytes(), pos: 0 };
    parser.skip_ws();
    let value = parser.value(0)?;
    parser.skip_ws();
    if parser.pos != parser.bytes.len() {
        return Err(parser.error("extra data"));
    }
    Ok(value)
}

/// A recursive-descent parser over the input bytes.
struct Parser<'a> {
    text: &'a str,
    bytes: &'a [u8],
    pos: usize,
}

impl Parser<'_> {
    fn error(&self, reason: &'static str) -> CryptoError {
        CryptoError::InvalidJson { offset: self.pos, reason }
    }

    fn skip_ws(&mut self) {
        while matches!(self.bytes.get(self.pos), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.pos += 1;
        }
    }

    /// Consumes `word` if the input continues with it.
    fn eat(&mut self, word: &str) -> bool {
        let found = self.bytes[self.pos..].starts_with(word.as_bytes());
        if found {
            self.pos += word.len();
        }
        found
    }

    fn value(&mut self, depth: usize) -> Result<PyValue, CryptoError> {
        if depth > MAX_DEPTH {
            return Err(self.error("nested too deeply"));
        }
        match self.bytes.get(self.pos) {
            Some(b'{') => self.object(depth),
            Some(b'[') => self.array(depth),
            Some(b'"') => self.string().map(PyValue::Str),
            Some(b'n') if self.eat("null") => Ok(PyValue::None),
            Some(b't') if self.eat("true") => Ok(PyValue::Bool(true)),
            Some(b'f') if self.eat("false") => Ok(PyValue::Bool(false)),
            Some(b'N') if self.eat("NaN") => Ok(PyValue::Float(f64::NAN)),
            Some(b'I') if self.eat("Infinity") => Ok(PyValue::Float(f64::INFINITY)),
            Some(b'-') if self.eat("-Infinity") => Ok(PyValue::Float(f64::NEG_INFINITY)),
            Some(b'-' | b'0'..=b'9') => self.number(),
            _ => Err(self.error("expecting value")),
        }
    }

    fn object(&mut self, depth: usize) -> Result<PyValue, CryptoError> {
        self.pos += 1;
        let mut entries: Vec<(String, PyValue)> = Vec::new();
        // Index of each key, so repeated keys stay O(1) even in a hostile body.
        let mut index: HashMap<String, usize> = HashMap::new();
        self.skip_ws();
        if self.eat("}") {
            return Ok(PyValue::Dict(entries));
        }
        loop {
            if self.bytes.get(self.pos) != Some(&b'"') {
                return Err(self.error("expecting property name"));
            }
            let key = self.string()?;
            self.skip_ws();
            if !self.eat(":") {
                return Err(self.error("expecting ':'"));
            }
            self.skip_ws();
            let value = self.value(depth + 1)?;
            match index.get(&key) {
                Some(&at) => entries[at].1 = value,
                None => {
                    index.insert(key.clone(), entries.len());
                    entries.push((key, value));
                }
            }
            self.skip_ws();
            if self.eat("}") {
                return Ok(PyValue::Dict(entries));
            }
            if !self.eat(",") {
                return Err(self.error("expecting ',' or '}'"));
            }
            self.skip_ws();
        }
    }

    fn array(&mut self, depth: usize) -> Result<PyValue, CryptoError> {
        self.pos += 1;
        let mut items = Vec::new();
        self.skip_ws();
        if self.eat("]") {
            return Ok(PyValue::List(items));
        }
        loop {
            items.push(self.value(depth + 1)?);
            self.skip_ws();
            if self.eat("]") {
                return Ok(PyValue::List(items));
            }
            if !self.eat(",") {
                return Err(self.error("expecting ',' or ']'"));
            }
            self.skip_ws();
        }
    }

    /// Python's number grammar: `-?(0|[1-9]\d*)(\.\d+)?([eE][-+]?\d+)?`; an int unless
    /// a fraction or exponent is present.
    fn number(&mut self) -> Result<PyValue, CryptoError> {
        let start = self.pos;
        self.eat("-");
        let int_start = self.pos;
        if !self.eat("0") && self.digits() == 0 {
            return Err(self.error("expecting value"));
        }
        let int_digits = self.pos - int_start;
        let mut is_float = false;
        if self.bytes.get(self.pos) == Some(&b'.') && self.bytes.get(self.pos + 1).is_some_and(u8::is_ascii_digit) {
            self.pos += 1;
            self.digits();
            is_float = true;
        }
        if matches!(self.bytes.get(self.pos), Some(b'e' | b'E')) {
            let mark = self.pos;
            self.pos += 1;
            if matches!(self.bytes.get(self.pos), Some(b'+' | b'-')) {
                self.pos += 1;
            }
            if self.digits() == 0 {
                // Not an exponent after all: Python's regex stops before the `e`.
                self.pos = mark;
            } else {
                is_float = true;
            }
        }
        let lexeme = &self.text[start..self.pos];
        if is_float {
            // Rust and Python both round decimal text to the nearest double (and
            // overflow to infinity), so the values agree bit for bit.
            let value = lexeme.parse::<f64>().map_err(|_| self.error("invalid number"))?;
            return Ok(PyValue::Float(value));
        }
        if int_digits > MAX_INT_DIGITS {
            return Err(self.error("integer exceeds 4300 digits"));
        }
        Ok(PyValue::Int(if lexeme == "-0" { "0" } else { lexeme }.to_owned()))
    }

    fn digits(&mut self) -> usize {
        let start = self.pos;
        while self.bytes.get(self.pos).is_some_and(u8::is_ascii_digit) {
            self.pos += 1;
        }
        self.pos - start
    }

    fn string(&mut self) -> Result<String, CryptoError> {
        self.pos += 1;
        let mut out = String::new();
        loop {
            let run_start = self.pos;
            while let Some(&b) = self.bytes.get(self.pos) {
                if b == b'"' || b == b'\\' || b < 0x20 {
                    break;
                }
                self.pos += 1;
            }
            // The run stops at ASCII bytes only, so it ends on a char boundary.
            out.push_str(&self.text[run_start..self.pos]);
            match self.bytes.get(self.pos) {
                Some(b'"') => {
                    self.pos += 1;
                    return Ok(out);
                }
                Some(b'\\') => {
                    self.pos += 1;
                    out.push(self.escape()?);
                }
                Some(_) => return Err(self.error("invalid control character in string")),
                None => return Err(self.error("unterminated string")),
            }
        }
    }

    /// One escape after the backslash; `\uXXXX` pairs combine into one code point.
    fn escape(&mut self) -> Result<char, CryptoError> {
        let Some(&kind) = self.bytes.get(self.pos) else {
            return Err(self.error("unterminated string"));
        };
        self.pos += 1;
        let simple = match kind {
            b'"' => '"',
            b'\\' => '\\',
            b'/' => '/',
            b'b' => '\u{8}',
            b'f' => '\u{c}',
            b'n' => '\n',
            b'r' => '\r',
            b't' => '\t',
            b'u' => return self.unicode_escape(),
            _ => return Err(self.error("invalid \\escape")),
        };
        Ok(simple)
    }

    fn unicode_escape(&mut self) -> Result<char, CryptoError> {
        let first = self.hex4()?;
        let code = if (0xd800..0xdc00).contains(&first) && self.eat("\\u") {
            let second = self.hex4()?;
            if !(0xdc00..0xe000).contains(&second) {
                return Err(self.error("lone surrogate in string"));
            }
            0x10000 + ((first - 0xd800) << 10) + (second - 0xdc00)
        } else {
            first
        };
        char::from_u32(code).ok_or_else(|| self.error("lone surrogate in string"))
    }

    fn hex4(&mut self) -> Result<u32, CryptoError> {
        let digits = self
            .bytes
            .get(self.pos..self.pos + 4)
            .filter(|d| d.iter().all(u8::is_ascii_hexdigit))
            .ok_or_else(|| self.error("invalid \\uXXXX escape"))?;
        let text = std::str::from_utf8(digits).map_err(|_| self.error("invalid \\uXXXX escape"))?;
        let value = u32::from_str_radix(text, 16).map_err(|_| self.error("invalid \\uXXXX escape"))?;
        self.pos += 4;
        Ok(value)
    }
}
