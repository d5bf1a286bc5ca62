//! Wire types between the SPA and the server functions.

use crate::domain::UserStatus;
use serde::{Deserialize, Serialize};

/// Who is signed in, as the SPA needs to know it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CurrentUser {
    /// The account's username.
    pub username: String,
    /// The account's full name (profile name).
    pub full_name: String,
    /// Whether the account may use staff tools.
    pub is_staff: bool,
}

/// What the SPA learns at start: the signed-in user and how sign-in works here.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionInfo {
    /// The signed-in user, if any.
    pub user: Option<CurrentUser>,
    /// Whether the development sign-in form is available.
    pub dev_login: bool,
}

/// Photos and name sent by the learner. Images are data URLs (`data:image/jpeg;base64,…`),
/// as Open edX's submit-photos endpoint takes them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SubmitPhotosRequest {
    /// The learner's face.
    pub face_image: String,
    /// The learner's photo ID; absent to reuse an earlier approved one.
    pub photo_id_image: Option<String>,
    /// The name as on the ID, when it differs from the account name.
    pub full_name: Option<String>,
    /// The course the learner verifies for (recorded on the attempt; its deadline binds).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub course_key: Option<String>,
}

/// The learner's verification status as the status page shows it.
pub type VerificationStatus = UserStatus;

/// What the flow needs from the server before it starts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FlowInfo {
    /// The signed-in learner's username: a flow saved in the tab by someone else is dropped.
    pub username: String,
    /// The account's full name, to prefill the name as on the ID.
    pub full_name: String,
    /// The largest photo the server accepts, in bytes (uploads are checked against it first).
    pub max_photo_bytes: u64,
    /// Whether the learner has an approved ID photo that a new attempt may reuse
    /// (reverification skips the ID step then).
    pub id_photo_on_file: bool,
    /// Whether the learner's approved ID photo is too old to reuse (older than an approval
    /// lasts): the flow then says why it asks for a new one.
    #[serde(default)]
    pub id_photo_too_old: bool,
    /// Whether the camera steps run the live quality checks (`idv.quality_checks`).
    #[serde(default)]
    pub quality_checks: bool,
}

/// The course a learner came with and how (`start-flow`, `verify-now`, `upgrade`,
/// `verify-later` or `payment-confirmation`, Open edX's flow pages).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CourseFlowRequest {
    /// The course key.
    pub course_key: String,
    /// The flow page the learner came from.
    pub flow: String,
}

/// What the flow does for a course (the pay-and-verify decision, made by the server).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CourseFlow {
    /// The course's name, when the LMS reported it.
    pub name: Option<String>,
    /// The flow page after the server's redirects (e.g. `verify-now` for a paid learner).
    pub flow: String,
    /// Where this learner verifies, when it is not this app (the URL filter's answer).
    pub elsewhere: Option<String>,
    /// A deadline that has passed: nothing can be submitted for the course. (Vouch's own
    /// timestamp codec: chrono's would add its whole parser to the learner's download.)
    #[serde(default, with = "crate::domain::timestamp::option")]
    pub deadline: Option<chrono::DateTime<chrono::Utc>>,
    /// Whether that deadline is the upgrade deadline (the verified track is no longer sold).
    pub upgrade_deadline: bool,
    /// Payment is due first: where the payment step hands the learner over.
    pub pay_url: Option<String>,
    /// Whether the photo steps are part of this flow.
    pub verify: bool,
}

/// The longest name accepted, in characters (Open edX's profile name limit).
pub const MAX_NAME_CHARS: usize = 255;

/// Why a name as on the ID is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NameError {
    /// Nothing but spaces.
    Empty,
    /// Longer than [`MAX_NAME_CHARS`].
    TooLong,
    /// Contains control characters.
    BadChars,
}

/// The name as on the ID, as the server accepts it: trimmed, 1 to [`MAX_NAME_CHARS`]
/// characters, no control characters. The SPA runs the same check before submitting.
pub fn validate_full_name(name: &str) -> Result<String, NameError> {
    let name = name.trim();
    if name.is_empty() {
        return Err(NameError::Empty);
    }
    if name.chars().count() > MAX_NAME_CHARS {
        return Err(NameError::TooLong);
    }
    if name.chars().any(char::is_control) {
        return Err(NameError::BadChars);
    }
    Ok(name.to_owned())
}

#[cfg(test)]
mod tests {
    use super::{NameError, validate_full_name};

    #[test]
    fn names() {
        assert_eq!(validate_full_name("  Ada Lovelace ").as_deref(), Ok("Ada Lovelace"));
        assert_eq!(validate_full_name("   "), Err(NameError::Empty));
        assert_eq!(validate_full_name(&"x".repeat(256)), Err(NameError::TooLong));
        assert_eq!(validate_full_name(&"é".repeat(255)).map(|n| n.chars().count()), Ok(255));
        assert_eq!(validate_full_name("a\u{0}b"), Err(NameError::BadChars));
        assert_eq!(validate_full_name("Zoë Ñúñez 李").as_deref(), Ok("Zoë Ñúñez 李"));
    }
}
