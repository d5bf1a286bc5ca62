//! RFC 3339 timestamps on the wire (`2027-01-05T23:00:00.123456Z`), written and read
//! without chrono's general formatter and parser: those add tens of kilobytes to the
//! learner's wasm for the two dates the status page shows.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Deserializer, Serializer};

/// Formats `t` as RFC 3339 in UTC with microseconds.
pub fn format(t: &DateTime<Utc>) -> String {
    use chrono::{Datelike, Timelike};
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:06}Z",
        t.year(),
        t.month(),
        t.day(),
        t.hour(),
        t.minute(),
        t.second(),
        t.nanosecond() / 1000 % 1_000_000
    )
}

/// Parses `YYYY-MM-DDTHH:MM:SS[.fraction]Z` (UTC only, as Vouch writes it).
pub fn parse(s: &str) -> Option<DateTime<Utc>> {
    let s = s.strip_suffix('Z')?;
    let (date, time) = s.split_once('T')?;
    let mut d = date.splitn(3, '-').map(str::parse::<i64>);
    let (y, mo, da) = (d.next()?.ok()?, d.next()?.ok()?, d.next()?.ok()?);
    let (hms, frac) = time.split_once('.').unwrap_or((time, ""));
    let mut t = hms.splitn(3, ':').map(str::parse::<u32>);
    let (h, mi, se) = (t.next()?.ok()?, t.next()?.ok()?, t.next()?.ok()?);
    if frac.len() > 9 || !frac.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let nanos: u32 = if frac.is_empty() { 0 } else { format!("{frac:0<9}").parse().ok()? };
    let date = NaiveDate::from_ymd_opt(i32::try_from(y).ok()?, u32::try_from(mo).ok()?, u32::try_from(da).ok()?)?;
    Some(date.and_hms_nano_opt(h, mi, se, nanos)?.and_utc())
}

/// `#[serde(with = "timestamp::option")]` for `Option<DateTime<Utc>>`.
pub mod option {
    use super::*;

    /// Writes the time as RFC 3339, or null.
    pub fn serialize<S: Serializer>(t: &Option<DateTime<Utc>>, s: S) -> Result<S::Ok, S::Error> {
        match t {
            Some(t) => s.serialize_some(&format(t)),
            None => s.serialize_none(),
        }
    }

    /// Reads an RFC 3339 time, or null.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<DateTime<Utc>>, D::Error> {
        Option::<String>::deserialize(d)?
            .map(|s| parse(&s).ok_or_else(|| serde::de::Error::custom("not an RFC 3339 UTC time")))
            .transpose()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn round_trips_and_matches_chrono() {
        let t = Utc.with_ymd_and_hms(2027, 1, 5, 23, 4, 5).single().expect("valid")
            + chrono::Duration::microseconds(123_456);
        assert_eq!(format(&t), "2027-01-05T23:04:05.123456Z");
        assert_eq!(parse(&format(&t)), Some(t));
        // What chrono itself writes parses to the same instant.
        assert_eq!(parse(&t.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)), Some(t));
        assert_eq!(parse("2027-01-05T23:04:05Z"), Some(t - chrono::Duration::microseconds(123_456)));
        for bad in [
            "",
            "2027-01-05",
            "2027-01-05T23:04:05",
            "2027-13-05T00:00:00Z",
            "2027-01-05T23:04:05.x Z",
            "2027-01-05T23:04:05+01:00",
        ] {
            assert_eq!(parse(bad), None, "{bad}");
        }
    }
}
