//! Pure text helpers of the console (tested natively): URL path segments, the server's
//! RFC 3339 times to and from `<input type="datetime-local">` (read as UTC), and labels.

use serde_json::Value;
use std::fmt::Write;

/// Percent-encodes one URL path segment or query value: usernames may hold `@` and `+`,
/// course keys `:` and `+` (`course-v1:edX+DemoX+2024`).
pub fn segment(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(char::from(b));
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

fn digits_and(s: &str, seps: &[(usize, u8)]) -> bool {
    s.bytes().enumerate().all(|(i, b)| match seps.iter().find(|(at, _)| *at == i) {
        Some((_, sep)) => b == *sep,
        None => b.is_ascii_digit(),
    })
}

/// `2027-01-31T23:59` (what a datetime-local input gives; the console says it is UTC) as
/// RFC 3339, `2027-01-31T23:59:00Z`; `None` when it is not that shape. The server checks
/// that the date exists.
pub fn local_input_to_rfc3339(value: &str) -> Option<String> {
    let (date, time) = value.trim().split_once('T')?;
    let time = match time.len() {
        5 => format!("{time}:00"),
        8 => time.to_owned(),
        _ => return None,
    };
    let ok =
        date.len() == 10 && digits_and(date, &[(4, b'-'), (7, b'-')]) && digits_and(&time, &[(2, b':'), (5, b':')]);
    ok.then(|| format!("{date}T{time}Z"))
}

/// A server time as a datetime-local value (minutes), for editing.
pub fn rfc3339_to_local_input(t: &str) -> String {
    t.get(..16).unwrap_or_default().to_owned()
}

/// A server time for people: `2027-01-31 23:59:00 UTC` (fractions of seconds dropped).
pub fn show_time(t: &str) -> String {
    match t.strip_suffix('Z') {
        Some(rest) => {
            let whole = rest.split('.').next().unwrap_or(rest);
            format!("{} UTC", whole.replacen('T', " ", 1))
        }
        None => t.to_owned(),
    }
}

/// An optional server time for people.
pub fn show_opt_time(v: &Value) -> String {
    v.as_str().map(show_time).unwrap_or_else(|| "—".to_owned())
}

/// A status for people (`must_retry` → `Must retry`).
pub fn status_label(status: &str) -> String {
    let mut words = status.replace('_', " ");
    if let Some(first) = words.get_mut(..1) {
        first.make_ascii_uppercase();
    }
    words
}

/// A string field of a JSON object ("" when missing).
pub fn text(v: &Value, key: &str) -> String {
    match &v[key] {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// The `results` of a paginated answer (or the answer itself when it is a list).
pub fn results(v: &Value) -> Vec<Value> {
    v.get("results").unwrap_or(v).as_array().cloned().unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn segments() {
        assert_eq!(segment("course-v1:edX+DemoX+2024"), "course-v1%3AedX%2BDemoX%2B2024");
        assert_eq!(segment("a.b_c-d~e"), "a.b_c-d~e");
        assert_eq!(segment("ad@x y/é"), "ad%40x%20y%2F%C3%A9");
    }

    #[test]
    fn datetime_local() {
        assert_eq!(local_input_to_rfc3339("2027-01-31T23:59").as_deref(), Some("2027-01-31T23:59:00Z"));
        assert_eq!(local_input_to_rfc3339(" 2027-01-31T23:59:30 ").as_deref(), Some("2027-01-31T23:59:30Z"));
        for bad in ["", "2027-01-31", "2027-01-31 23:59", "2027-1-31T23:59", "2027-01-31T23:5x", "2027-01-31T23:59Z"] {
            assert_eq!(local_input_to_rfc3339(bad), None, "{bad}");
        }
        assert_eq!(rfc3339_to_local_input("2027-01-31T23:59:00Z"), "2027-01-31T23:59");
        assert_eq!(rfc3339_to_local_input("short"), "");
    }

    #[test]
    fn labels_and_fields() {
        assert_eq!(show_time("2027-01-31T23:59:00.123456Z"), "2027-01-31 23:59:00 UTC");
        assert_eq!(show_time("2027-01-31T23:59:00Z"), "2027-01-31 23:59:00 UTC");
        assert_eq!(show_opt_time(&Value::Null), "—");
        assert_eq!(status_label("must_retry"), "Must retry");
        assert_eq!(status_label(""), "");
        let v = json!({"a": "x", "n": 3, "z": null, "results": [1, 2]});
        assert_eq!(
            (text(&v, "a"), text(&v, "n"), text(&v, "z"), text(&v, "missing")),
            ("x".into(), "3".into(), "".into(), "".into())
        );
        assert_eq!(results(&v).len(), 2);
        assert_eq!(results(&json!([1])).len(), 1);
        assert!(results(&json!({})).is_empty());
    }
}
