//! The tree deserializer reads what serde_json reads, for the types the browser reads, and
//! refuses what serde_json refuses (the browser then treats the body as unreadable).

use super::{Tree, Unreadable};
use crate::{
    domain::{AnyStatus, AttemptStatus, GenericStatus, UserStatus, UserStatusKind, reasons::DenialReason},
    dto::{CourseFlow, CurrentUser, FlowInfo, SessionInfo},
    error::{AppError, ErrorCode},
    pages::flow::state::{CameraChoice, FlowState},
};
use chrono::TimeZone;
use serde::{Deserialize, Serialize, de::DeserializeOwned};
use std::fmt::Debug;

/// The tree `JSON.parse` would give for `text` (serde_json parses it here).
fn parsed(text: &str) -> Tree {
    fn convert(v: serde_json::Value) -> Tree {
        match v {
            serde_json::Value::Null => Tree::Null,
            serde_json::Value::Bool(b) => Tree::Bool(b),
            serde_json::Value::Number(n) => Tree::Num(n.as_f64().expect("a number")),
            serde_json::Value::String(s) => Tree::Str(s),
            serde_json::Value::Array(a) => Tree::Arr(a.into_iter().map(convert).collect()),
            serde_json::Value::Object(o) => Tree::Obj(o.into_iter().map(|(k, v)| (k, convert(v))).collect()),
        }
    }
    convert(serde_json::from_str(text).expect("valid JSON"))
}

fn read<T: DeserializeOwned>(text: &str) -> Result<T, Unreadable> {
    T::deserialize(parsed(text))
}

/// `value` written by serde_json (as the server writes it) reads back equal.
fn round_trips<T: Serialize + DeserializeOwned + PartialEq + Debug>(value: T) {
    let text = serde_json::to_string(&value).expect("serializable");
    assert_eq!(read::<T>(&text), Ok(value), "{text}");
}

#[test]
fn reads_the_types_the_browser_reads() {
    round_trips(SessionInfo {
        user: Some(CurrentUser { username: "ada".into(), full_name: "Ada L".into(), is_staff: false }),
        dev_login: true,
    });
    round_trips(SessionInfo { user: None, dev_login: false });
    round_trips(FlowInfo {
        username: "ada".into(),
        full_name: "Ada Lovelace".into(),
        max_photo_bytes: 5 * 1024 * 1024,
        id_photo_on_file: true,
        id_photo_too_old: false,
        quality_checks: true,
    });
    let when = chrono::Utc.with_ymd_and_hms(2027, 1, 5, 23, 4, 5).single().expect("valid");
    round_trips(CourseFlow {
        name: Some("Physics".into()),
        flow: "verify-now".into(),
        deadline: Some(when),
        upgrade_deadline: true,
        ..CourseFlow::default()
    });
    let mut status = UserStatus::none();
    (status.status, status.status_date, status.expires) = (UserStatusKind::MustReverify, Some(when), Some(when));
    status.reasons = vec![DenialReason::FaceOutOfView, DenialReason::Note("Hold the ID still".into())];
    round_trips(status);
    round_trips(AppError::new(ErrorCode::Conflict, "Not in this state."));
    round_trips(FlowState {
        owner: "ada".into(),
        camera: CameraChoice::Upload,
        face: Some("data:image/jpeg;base64,AAAA".into()),
        reuse_id: Some(false),
        face_warning: Some("Too dark".into()),
        ..FlowState::default()
    });
    // Untagged: the first vocabulary that reads the name wins, as with serde_json.
    round_trips(AnyStatus::Attempt(AttemptStatus::Approved));
    round_trips(AnyStatus::Generic(GenericStatus::Pending));
}

#[test]
fn defaults_and_unknown_fields_are_as_with_serde_json() {
    let old =
        r#"{"username":"a","full_name":"A","max_photo_bytes":10,"id_photo_on_file":false,"extra":[1.5,{"x":null}]}"#;
    let info: FlowInfo = read(old).expect("readable");
    assert_eq!(info, serde_json::from_str::<FlowInfo>(old).expect("serde_json reads it"));
    assert!(!info.quality_checks);
}

#[test]
fn refuses_what_serde_json_refuses() {
    for text in [
        // A fraction, a negative number and a string where an integer goes.
        r#"{"username":"a","full_name":"A","max_photo_bytes":1.5,"id_photo_on_file":false}"#,
        r#"{"username":"a","full_name":"A","max_photo_bytes":-1,"id_photo_on_file":false}"#,
        r#"{"username":"a","full_name":"A","max_photo_bytes":"1","id_photo_on_file":false}"#,
        // A missing field without a default.
        r#"{"username":"a","full_name":"A","id_photo_on_file":false}"#,
        "null",
        "[]",
    ] {
        assert!(serde_json::from_str::<FlowInfo>(text).is_err(), "{text}");
        assert_eq!(read::<FlowInfo>(text), Err(Unreadable), "{text}");
    }
    assert_eq!(read::<ErrorCode>(r#""no_such_code""#), Err(Unreadable));
    assert_eq!(read::<CameraChoice>(r#"{"Camera":1}"#), Err(Unreadable));
    assert_eq!(read::<DenialReason>(r#"{"note":7}"#), Err(Unreadable));
}

#[test]
fn numbers_read_as_integers_when_whole() {
    assert_eq!(read::<u32>("42"), Ok(42));
    assert_eq!(read::<i64>("-9007199254740992"), Ok(-9_007_199_254_740_992));
    assert_eq!(read::<u8>("256"), Err(Unreadable));
    assert_eq!(read::<f64>("0.25"), Ok(0.25));
    assert_eq!(read::<f64>("3"), Ok(3.0));
    #[derive(Debug, PartialEq, Deserialize)]
    struct Wrapped(u16);
    assert_eq!(read::<Wrapped>("7"), Ok(Wrapped(7)));
    assert_eq!(read::<(bool, Option<u8>)>("[true,null]"), Ok((true, None)));
}

#[test]
fn trailing_items_are_refused_as_serde_json_refuses_them() {
    for text in ["[true,null,3]", "[true]"] {
        assert!(serde_json::from_str::<(bool, Option<u8>)>(text).is_err(), "{text}");
        assert_eq!(read::<(bool, Option<u8>)>(text), Err(Unreadable), "{text}");
    }
    #[derive(Debug, PartialEq, Deserialize)]
    struct Pair(u8, u8);
    assert!(serde_json::from_str::<Pair>("[1,2,3]").is_err());
    assert_eq!(read::<Pair>("[1,2,3]"), Err(Unreadable));
    assert_eq!(read::<Pair>("[1,2]"), Ok(Pair(1, 2)));
    assert_eq!(read::<[u8; 2]>("[1,2,3]"), Err(Unreadable));
}

/// `depth` arrays, one inside the other.
fn nested(depth: usize) -> Tree {
    (0..depth).fold(Tree::Null, |inner, _| Tree::Arr(vec![inner]))
}

#[test]
fn nesting_is_capped_where_serde_json_caps_it() {
    use serde::de::IgnoredAny;
    let text = |n: usize| format!("{}{}", "[".repeat(n), "]".repeat(n));
    // serde_json's recursion limit: MAX_DEPTH containers read, one more is refused.
    assert!(serde_json::from_str::<serde_json::Value>(&text(super::MAX_DEPTH)).is_ok());
    assert!(serde_json::from_str::<serde_json::Value>(&text(super::MAX_DEPTH + 1)).is_err());
    assert_eq!(IgnoredAny::deserialize(nested(super::MAX_DEPTH)), Ok(IgnoredAny));
    assert_eq!(IgnoredAny::deserialize(nested(super::MAX_DEPTH + 1)), Err(Unreadable));
    // Much deeper: refused at the cap, without descending further.
    assert_eq!(IgnoredAny::deserialize(nested(5_000)), Err(Unreadable));
    // Objects count as arrays do, and so does an enum's content.
    let objects = (0..=super::MAX_DEPTH).fold(Tree::Null, |inner, _| Tree::Obj(vec![("a".into(), inner)]));
    assert_eq!(IgnoredAny::deserialize(objects), Err(Unreadable));
}

#[test]
fn numbers_json_cannot_carry_are_refused() {
    // `JSON.parse("1e400")` is Infinity in the browser; serde_json refuses the text.
    assert!(serde_json::from_str::<f64>("1e400").is_err());
    for n in [f64::INFINITY, f64::NEG_INFINITY, f64::NAN] {
        assert_eq!(f64::deserialize(Tree::Num(n)), Err(Unreadable), "{n}");
        assert_eq!(<Option<f32>>::deserialize(Tree::Num(n)), Err(Unreadable), "{n}");
    }
    assert_eq!(f64::deserialize(Tree::Num(1e300)), Ok(1e300));
}
