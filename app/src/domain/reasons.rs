//! Why an attempt was denied, in words a learner can act on (Open edX's `parsed_error_msg`).
//!
//! A vendor sends reason codes grouped by what they are about, stored as it sent them:
//! `[{"photoIdReasons": ["Not provided"]}, {"userPhotoReasons": ["Face out of view"]}]`.
//! [`parse`] turns that into [`DenialReason`]s; the sentences for each, per locale, are in
//! `crate::i18n::reasons`. A code we do not know becomes [`DenialReason::Unknown`] (a generic
//! sentence), never the raw text: vendor codes are not written for learners. A reason that
//! is not JSON was typed by staff for the learner (`vouch deny --reason`) and is kept.

use serde::{Deserialize, Serialize};

/// One reason a verification was not accepted.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DenialReason {
    /// `photoIdReasons: Not provided`: no ID photo.
    IdNotProvided,
    /// `photoIdReasons: Text not clear`: the name on the ID could not be read.
    IdTextNotClear,
    /// `photoIdReasons: Photo hidden/No photo`: the ID's own photo was hidden or missing.
    IdPhotoHidden,
    /// `generalReasons: Name mismatch`: the account's name and the ID's differ.
    NameMismatch,
    /// `userPhotoReasons: Image not clear`: the face photo was not clear.
    FaceNotClear,
    /// `userPhotoReasons: Face out of view`: no face in the face photo.
    FaceOutOfView,
    /// A code we have no sentence for.
    Unknown,
    /// Words a staff member wrote for the learner.
    Note(String),
}

impl DenialReason {
    /// The reason for a vendor code, in its category when the vendor gave one. Codes are
    /// matched without regard to case or surrounding spaces: vendors are not consistent.
    pub fn from_code(category: Option<&str>, code: &str) -> Self {
        let code = code.trim().to_ascii_lowercase();
        let category = category.map(|c| c.trim().to_ascii_lowercase());
        let known = [
            ("photoidreasons", "not provided", Self::IdNotProvided),
            ("photoidreasons", "text not clear", Self::IdTextNotClear),
            ("photoidreasons", "photo hidden/no photo", Self::IdPhotoHidden),
            ("generalreasons", "name mismatch", Self::NameMismatch),
            ("userphotoreasons", "image not clear", Self::FaceNotClear),
            ("userphotoreasons", "face out of view", Self::FaceOutOfView),
        ];
        known
            .into_iter()
            .find(|(cat, c, _)| *c == code && category.as_deref().is_none_or(|given| given == *cat))
            .map_or(Self::Unknown, |(_, _, reason)| reason)
    }

    /// The stable name of the reason (the JSON form of the unit variants).
    pub fn code(&self) -> &'static str {
        match self {
            Self::IdNotProvided => "id_not_provided",
            Self::IdTextNotClear => "id_text_not_clear",
            Self::IdPhotoHidden => "id_photo_hidden",
            Self::NameMismatch => "name_mismatch",
            Self::FaceNotClear => "face_not_clear",
            Self::FaceOutOfView => "face_out_of_view",
            Self::Unknown => "unknown",
            Self::Note(_) => "note",
        }
    }
}

/// The reasons in a stored denial, in the vendor's order, each once. Empty when there is
/// no reason at all (the caller says "not accepted" without a list).
pub fn parse(raw: &str) -> Vec<DenialReason> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Vec::new();
    }
    let mut out = Vec::new();
    match serde_json::from_str::<serde_json::Value>(raw) {
        Ok(value) => walk(None, &value, &mut out),
        Err(_) => out.push(DenialReason::Note(raw.to_owned())),
    }
    let mut seen = std::collections::HashSet::new();
    out.retain(|r| seen.insert(r.clone()));
    out
}

fn walk(category: Option<&str>, value: &serde_json::Value, out: &mut Vec<DenialReason>) {
    use serde_json::Value;
    match value {
        Value::String(code) if !code.trim().is_empty() => out.push(DenialReason::from_code(category, code)),
        Value::Array(items) => items.iter().for_each(|v| walk(category, v, out)),
        Value::Object(map) => map.iter().for_each(|(k, v)| walk(Some(k), v, out)),
        // A number or a flag is a code we cannot read; null or blank says nothing.
        Value::Bool(_) | Value::Number(_) => out.push(DenialReason::Unknown),
        Value::Null | Value::String(_) => {}
    }
}

#[cfg(test)]
mod tests {
    use super::{DenialReason::*, parse};

    #[test]
    fn the_seed_table() {
        let raw = r#"[{"photoIdReasons": ["Not provided", "Text not clear"]}, {"generalReasons": ["Name mismatch"]},
            {"userPhotoReasons": ["Image not clear", "Face out of view"]}]"#;
        assert_eq!(parse(raw), vec![IdNotProvided, IdTextNotClear, NameMismatch, FaceNotClear, FaceOutOfView]);
    }

    #[test]
    fn codes_in_the_wrong_category_or_unknown_are_generic() {
        assert_eq!(parse(r#"[{"userPhotoReasons": ["Not provided"]}]"#), vec![Unknown]);
        assert_eq!(parse(r#"[{"photoIdReasons": ["Laminated"]}, {"x": ["y"]}]"#), vec![Unknown]);
        assert_eq!(parse(r#"{"photoIdReasons": [{"deep": 3}]}"#), vec![Unknown]);
    }

    #[test]
    fn a_bare_code_is_matched_in_any_category() {
        assert_eq!(parse(r#""Name mismatch""#), vec![NameMismatch]);
        assert_eq!(parse(r#"["  face OUT of view "]"#), vec![FaceOutOfView]);
    }

    #[test]
    fn repeats_are_dropped_and_order_kept() {
        let raw = r#"[{"userPhotoReasons": ["Face out of view"]}, {"photoIdReasons": ["Not provided"]},
            {"userPhotoReasons": ["Face out of view"]}]"#;
        assert_eq!(parse(raw), vec![FaceOutOfView, IdNotProvided]);
    }

    #[test]
    fn plain_text_is_a_staff_note_and_blank_is_nothing() {
        assert_eq!(parse(" Your ID had expired. "), vec![Note("Your ID had expired.".into())]);
        assert_eq!(parse("  "), vec![]);
        assert_eq!(parse("[]"), vec![]);
        assert_eq!(parse(r#"[""]"#), vec![]);
    }

    #[test]
    fn serialized_as_codes() {
        assert_eq!(serde_json::to_string(&NameMismatch).unwrap(), r#""name_mismatch""#);
        assert_eq!(serde_json::to_string(&Note("x".into())).unwrap(), r#"{"note":"x"}"#);
        for r in [IdNotProvided, IdTextNotClear, IdPhotoHidden, NameMismatch, FaceNotClear, FaceOutOfView, Unknown] {
            assert_eq!(serde_json::to_string(&r).unwrap(), format!("\"{}\"", r.code()));
        }
    }
}
