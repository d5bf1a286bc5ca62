//! The parameters of an LTI 1.1 launch (Open edX `get_required_parameters`,
//! `get_optional_parameters`, `get_custom_parameters`): which must be there, which are
//! read when present, and the checks that need no secret.

use std::collections::BTreeMap;

/// Parameters a launch must carry; a missing one is a 400 naming it.
pub const REQUIRED: &[&str] = &[
    "lti_message_type",
    "lti_version",
    "resource_link_id",
    "user_id",
    "oauth_consumer_key",
    "oauth_signature",
    "oauth_signature_method",
    "oauth_timestamp",
    "oauth_nonce",
];

/// The only launch message this tool handles.
pub const MESSAGE_TYPE: &str = "basic-lti-launch-request";

/// The longest identifier a launch may carry (Open edX's column size for each of them).
const MAX_ID_CHARS: usize = 255;

/// The launch parameters that are stored, in the order they are checked.
const LONG_CHECKED: &[&str] = &[
    "user_id",
    "resource_link_id",
    "context_id",
    "oauth_consumer_key",
    "oauth_nonce",
    "tool_consumer_instance_guid",
    "lis_result_sourcedid",
];

/// LTI 1.0/1.1 launches both send `LTI-1p0`.
pub const LTI_VERSION: &str = "LTI-1p0";

/// A launch's parameters, checked for presence and form (not yet for the signature).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Launch {
    /// `resource_link_id`.
    pub resource_link_id: String,
    /// `user_id`: the learner's id at the consumer.
    pub user_id: String,
    /// `oauth_consumer_key`.
    pub consumer_key: String,
    /// `oauth_signature`.
    pub signature: String,
    /// `oauth_signature_method` (always HMAC-SHA1 once checked).
    pub signature_method: String,
    /// `oauth_timestamp`, in seconds.
    pub timestamp: i64,
    /// `oauth_nonce`.
    pub nonce: String,
    /// `roles` (comma-separated at the consumer).
    pub roles: Vec<String>,
    /// `context_id`: the course at the consumer.
    pub context_id: Option<String>,
    /// `lis_outcome_service_url`: where results go.
    pub outcome_service_url: Option<String>,
    /// `lis_result_sourcedid`: which grade cell results go to.
    pub result_sourcedid: Option<String>,
    /// `tool_consumer_instance_guid`.
    pub instance_guid: Option<String>,
    /// Every `custom_*` parameter.
    pub custom: BTreeMap<String, String>,
    /// The `lis_person_*` fields, as sent (used only for consumers with `use_lti_pii`).
    pub person: Person,
}

/// The learner's `lis_person_*` launch fields (LTI 1.1 §B.3), as sent.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Person {
    /// `lis_person_name_full`.
    pub name_full: Option<String>,
    /// `lis_person_name_given`.
    pub name_given: Option<String>,
    /// `lis_person_name_family`.
    pub name_family: Option<String>,
    /// `lis_person_contact_email_primary`.
    pub email: Option<String>,
}

/// Why a launch's parameters are unusable (all 400s).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParamError {
    /// A required parameter is absent or empty.
    #[error("The LTI launch is missing the required parameter {0}.")]
    Missing(&'static str),
    /// A parameter that must appear once appears more often.
    #[error("The LTI launch has the parameter {0} more than once.")]
    Repeated(String),
    /// A parameter has a value this tool cannot accept.
    #[error("{0}")]
    Invalid(String),
}

fn one<'a>(params: &'a [(String, String)], name: &str) -> Result<Option<&'a str>, ParamError> {
    let mut found = params.iter().filter(|(k, _)| k == name).map(|(_, v)| v.as_str());
    let first = found.next();
    if found.next().is_some() {
        return Err(ParamError::Repeated(name.to_owned()));
    }
    Ok(first.filter(|v| !v.is_empty()))
}

/// Reads and checks the launch parameters. Signature, key, timestamp and nonce are only
/// checked for form here; [`super::launch`] verifies them.
pub fn parse(params: &[(String, String)]) -> Result<Launch, ParamError> {
    // A NUL is never meaningful in a launch and PostgreSQL text cannot hold one.
    // Identifiers are stored as they come; Open edX keeps each in 255 characters.
    for name in LONG_CHECKED {
        if params.iter().any(|(k, v)| k == name && v.chars().count() > MAX_ID_CHARS) {
            return Err(ParamError::Invalid(format!(
                "The LTI parameter {name} is longer than {MAX_ID_CHARS} characters."
            )));
        }
    }
    // (The same answer whichever parameter it is, so the order they came in does not matter.)
    if params.iter().any(|(k, v)| k.contains('\0') || v.contains('\0')) {
        return Err(ParamError::Invalid("An LTI parameter holds a NUL character.".into()));
    }
    for name in REQUIRED {
        if one(params, name)?.is_none() {
            return Err(ParamError::Missing(name));
        }
    }
    // Every oauth_* parameter must be unique, or two readers could see different values.
    for (k, _) in params.iter().filter(|(k, _)| k.starts_with("oauth_")) {
        one(params, k)?;
    }
    let get = |name: &str| one(params, name).map(|v| v.map(str::to_owned));
    let req = |name: &'static str| get(name)?.ok_or(ParamError::Missing(name));
    let message_type = req("lti_message_type")?;
    if message_type != MESSAGE_TYPE {
        return Err(ParamError::Invalid(format!("lti_message_type must be {MESSAGE_TYPE}, not {message_type:?}.")));
    }
    let version = req("lti_version")?;
    if version != LTI_VERSION {
        return Err(ParamError::Invalid(format!("lti_version must be {LTI_VERSION}, not {version:?}.")));
    }
    if let Some(v) = get("oauth_version")?
        && v != "1.0"
    {
        return Err(ParamError::Invalid("oauth_version must be 1.0.".into()));
    }
    let timestamp = req("oauth_timestamp")?
        .parse::<i64>()
        .map_err(|_| ParamError::Invalid("oauth_timestamp must be a number of seconds.".into()))?;
    let custom = params.iter().filter(|(k, _)| k.starts_with("custom_")).map(|(k, v)| (k.clone(), v.clone())).collect();
    Ok(Launch {
        resource_link_id: req("resource_link_id")?,
        user_id: req("user_id")?,
        consumer_key: req("oauth_consumer_key")?,
        signature: req("oauth_signature")?,
        signature_method: req("oauth_signature_method")?,
        timestamp,
        nonce: req("oauth_nonce")?,
        roles: get("roles")?
            .map(|r| r.split(',').map(|s| s.trim().to_owned()).filter(|s| !s.is_empty()).collect())
            .unwrap_or_default(),
        context_id: get("context_id")?,
        outcome_service_url: get("lis_outcome_service_url")?,
        result_sourcedid: get("lis_result_sourcedid")?,
        instance_guid: get("tool_consumer_instance_guid")?,
        custom,
        person: Person {
            name_full: get("lis_person_name_full")?,
            name_given: get("lis_person_name_given")?,
            name_family: get("lis_person_name_family")?,
            email: get("lis_person_contact_email_primary")?,
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn valid() -> Vec<(String, String)> {
        [
            ("lti_message_type", MESSAGE_TYPE),
            ("lti_version", LTI_VERSION),
            ("resource_link_id", "rl1"),
            ("user_id", "u1"),
            ("oauth_consumer_key", "k"),
            ("oauth_signature", "sig"),
            ("oauth_signature_method", "HMAC-SHA1"),
            ("oauth_timestamp", "1700000000"),
            ("oauth_nonce", "n"),
            ("roles", "Learner, Instructor"),
            ("custom_x", "1"),
        ]
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
    }

    #[test]
    fn reads_a_valid_launch() {
        let l = parse(&valid()).expect("valid");
        assert_eq!(l.roles, ["Learner", "Instructor"]);
        assert_eq!(l.custom.get("custom_x").map(String::as_str), Some("1"));
        assert_eq!(l.timestamp, 1_700_000_000);
        assert_eq!(l.context_id, None);
    }

    #[test]
    fn names_each_missing_parameter() {
        for name in REQUIRED {
            let params: Vec<_> = valid().into_iter().filter(|(k, _)| k != name).collect();
            assert_eq!(parse(&params), Err(ParamError::Missing(name)));
        }
    }

    #[test]
    fn refuses_repeats_and_wrong_values() {
        let mut p = valid();
        p.push(("oauth_nonce".into(), "again".into()));
        assert_eq!(parse(&p), Err(ParamError::Repeated("oauth_nonce".into())));
        let mut p = valid();
        p[0].1 = "ContentItemSelectionRequest".into();
        assert!(matches!(parse(&p), Err(ParamError::Invalid(_))));
        let mut p = valid();
        p[7].1 = "soon".into();
        assert!(matches!(parse(&p), Err(ParamError::Invalid(_))));
    }
}
