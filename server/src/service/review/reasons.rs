//! The reasons a reviewer may give for a denial: Open edX's reason codes by category (the
//! table its `parsed_error_msg` reads), checked against `app::domain::reasons`, and stored
//! in the vendor's error format (`[{"photoIdReasons": ["Not provided"]}, …]`) so the
//! learner's readable reasons, emails and APIs work exactly as for a vendor's denial.

use super::{ReviewError, ReviewResult};
use app::domain::reasons::DenialReason;
use serde::{Deserialize, Serialize};

/// The categories, in the order reviewers see them.
pub const CATEGORIES: [&str; 3] = ["userPhotoReasons", "photoIdReasons", "generalReasons"];

/// The codes of each category, as Open edX spells them.
pub const CODES: [(&str, &[&str]); 3] = [
    ("userPhotoReasons", &["Image not clear", "Face out of view"]),
    ("photoIdReasons", &["Not provided", "Text not clear", "Photo hidden/No photo"]),
    ("generalReasons", &["Name mismatch"]),
];

/// The most reasons one decision may carry (there are six codes; repeats are dropped).
const MAX_REASONS: usize = 20;

/// One reason as a reviewer sends it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReasonInput {
    /// `userPhotoReasons`, `photoIdReasons` or `generalReasons`.
    pub category: String,
    /// A code of that category (e.g. `Face out of view`).
    pub reason: String,
}

/// Checks `reasons` and returns them in the vendor's error format, each once, in the order
/// given. Refuses an empty list, an unknown category and a code not of its category.
pub fn to_error_msg(reasons: &[ReasonInput]) -> ReviewResult<String> {
    if reasons.is_empty() {
        return Err(ReviewError::InvalidReasons("A denial needs at least one reason.".into()));
    }
    if reasons.len() > MAX_REASONS {
        return Err(ReviewError::InvalidReasons(format!("At most {MAX_REASONS} reasons may be given.")));
    }
    let mut grouped: Vec<(&'static str, Vec<&'static str>)> = Vec::new();
    for r in reasons {
        let Some((category, codes)) = CODES.iter().find(|(c, _)| *c == r.category) else {
            return Err(ReviewError::InvalidReasons(format!(
                "Unknown reason category {:?}; the categories are {}.",
                r.category,
                CATEGORIES.join(", ")
            )));
        };
        let wanted = DenialReason::from_code(Some(category), &r.reason);
        let code = codes
            .iter()
            .find(|c| wanted != DenialReason::Unknown && DenialReason::from_code(Some(category), c) == wanted);
        let Some(code) = code else {
            return Err(ReviewError::InvalidReasons(format!(
                "{:?} is not a reason of {category}; its reasons are: {}.",
                r.reason,
                codes.join(", ")
            )));
        };
        match grouped.iter_mut().find(|(c, _)| c == category) {
            Some((_, list)) if list.contains(code) => {}
            Some((_, list)) => list.push(code),
            None => grouped.push((category, vec![code])),
        }
    }
    let value: Vec<serde_json::Value> = grouped.into_iter().map(|(c, list)| serde_json::json!({ c: list })).collect();
    Ok(serde_json::Value::Array(value).to_string())
}

/// The reasons of a stored error message, back as category and code (unknown ones left out).
pub fn from_error_msg(raw: &str) -> Vec<ReasonInput> {
    let Ok(serde_json::Value::Array(groups)) = serde_json::from_str::<serde_json::Value>(raw) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for group in groups {
        let serde_json::Value::Object(map) = group else { continue };
        for (category, codes) in map {
            for code in codes.as_array().into_iter().flatten().filter_map(|c| c.as_str()) {
                out.push(ReasonInput { category: category.clone(), reason: code.to_owned() });
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use app::domain::reasons::parse;

    fn r(category: &str, reason: &str) -> ReasonInput {
        ReasonInput { category: category.into(), reason: reason.into() }
    }

    #[test]
    fn every_code_is_one_the_learner_side_reads() {
        for (category, codes) in CODES {
            for code in codes {
                assert_ne!(DenialReason::from_code(Some(category), code), DenialReason::Unknown, "{category}: {code}");
            }
        }
    }

    #[test]
    fn stored_in_the_vendor_format_and_read_back_as_readable_reasons() {
        let msg = to_error_msg(&[
            r("photoIdReasons", "not provided"),
            r("userPhotoReasons", "Face out of view"),
            r("photoIdReasons", "Not provided"),
        ])
        .expect("valid");
        assert_eq!(msg, r#"[{"photoIdReasons":["Not provided"]},{"userPhotoReasons":["Face out of view"]}]"#);
        assert_eq!(parse(&msg), vec![DenialReason::IdNotProvided, DenialReason::FaceOutOfView]);
        assert_eq!(
            from_error_msg(&msg),
            vec![r("photoIdReasons", "Not provided"), r("userPhotoReasons", "Face out of view")]
        );
    }

    #[test]
    fn refusals() {
        assert!(matches!(to_error_msg(&[]), Err(ReviewError::InvalidReasons(_))));
        assert!(matches!(to_error_msg(&[r("otherReasons", "Not provided")]), Err(ReviewError::InvalidReasons(_))));
        assert!(matches!(to_error_msg(&[r("userPhotoReasons", "Not provided")]), Err(ReviewError::InvalidReasons(_))));
        assert!(matches!(to_error_msg(&[r("generalReasons", "Laminated")]), Err(ReviewError::InvalidReasons(_))));
    }
}
