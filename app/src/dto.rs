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
}

/// The learner's verification status as the status page shows it.
pub type VerificationStatus = UserStatus;
