//! Pure text helpers of the console (tested natively): URL path segments, the server's
//! RFC 3339 times to and from `<input type="datetime-local">` (read as UTC), and labels.

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

/// An optional server time for people (`—` when there is none).
pub fn show_opt(t: Option<&str>) -> String {
    t.map(show_time).unwrap_or_else(|| "—".to_owned())
}

/// A status for people (`must_retry` → `Must retry`).
pub fn status_label(status: &str) -> String {
    let mut words = status.replace('_', " ");
    if let Some(first) = words.get_mut(..1) {
        first.make_ascii_uppercase();
    }
    words
}

/// A wait or a duration in seconds for people: `45 s`, `3 min 20 s`, `2 h 5 min`, `3 d 4 h`;
/// `—` when unknown (no decision yet, an empty queue).
pub fn duration_of(secs: Option<f64>) -> String {
    let Some(s) = secs.filter(|s| s.is_finite() && *s >= 0.0) else { return "—".to_owned() };
    // Whole seconds: the figures are for a queue counter, not a stopwatch.
    let s = s.round() as u64;
    let (d, h, m, s) = (s / 86_400, s / 3_600 % 24, s / 60 % 60, s % 60);
    match (d, h, m) {
        (0, 0, 0) => format!("{s} s"),
        (0, 0, m) if s == 0 => format!("{m} min"),
        (0, 0, m) => format!("{m} min {s} s"),
        (0, h, 0) => format!("{h} h"),
        (0, h, m) => format!("{h} h {m} min"),
        (d, 0, _) => format!("{d} d"),
        (d, h, _) => format!("{d} d {h} h"),
    }
}

/// What a reviewer reads for one of Open edX's reason categories (the keys of its
/// `parsed_error_msg` table).
pub fn reason_category(category: &str) -> &str {
    match category {
        "userPhotoReasons" => "Face photo",
        "photoIdReasons" => "ID photo",
        "generalReasons" => "General",
        other => other,
    }
}

/// Whether the name on the account and the name the learner typed differ enough for a
/// reviewer to look twice: letter case and spacing are not differences.
pub fn names_differ(a: &str, b: &str) -> bool {
    let fold = |s: &str| s.split_whitespace().map(str::to_lowercase).collect::<Vec<_>>().join(" ");
    fold(a) != fold(b)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Value, json};

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
        assert_eq!(show_opt(None), "—");
        assert_eq!(status_label("must_retry"), "Must retry");
        assert_eq!(status_label(""), "");
    }

    #[test]
    fn durations_and_review_labels() {
        let d = |v: Value| duration_of(v.as_f64());
        assert_eq!(d(json!(null)), "—");
        assert_eq!(d(json!(-1)), "—");
        assert_eq!(d(json!(0)), "0 s");
        assert_eq!(d(json!(44.6)), "45 s");
        assert_eq!(d(json!(180)), "3 min");
        assert_eq!(d(json!(200)), "3 min 20 s");
        assert_eq!(d(json!(7_200)), "2 h");
        assert_eq!(d(json!(7_500)), "2 h 5 min");
        assert_eq!(d(json!(86_400 * 3)), "3 d");
        assert_eq!(d(json!(86_400 * 3 + 4 * 3_600 + 5)), "3 d 4 h");
        assert_eq!(reason_category("photoIdReasons"), "ID photo");
        assert_eq!(reason_category("other"), "other");
        assert!(!names_differ("Ada  Lovelace", "ada lovelace"));
        assert!(names_differ("Ada Lovelace", "Ada King"));
    }
}
