//! Every learner-facing string, in one place per language.

/// The English strings.
pub mod en {
    /// Page title of the flow.
    pub const TITLE: &str = "Verify your identity";
    /// Introduction on the requirements panel.
    pub const REQUIREMENTS_INTRO: &str = "To verify your identity you need a webcam and a government-issued photo ID. We take a photo of your face and compare it with your ID.";
    /// Requirement: camera.
    pub const REQ_CAMERA: &str = "A device with a camera, and permission for this site to use it.";
    /// Requirement: ID.
    pub const REQ_ID: &str =
        "A valid photo ID (driver's license, passport, or other government-issued ID) with your name and photo.";
    /// Requirement: lighting.
    pub const REQ_LIGHT: &str = "Good light, and your face fully visible.";
    /// Start button.
    pub const START: &str = "Start";
    /// Heading of the portrait panel.
    pub const PORTRAIT_HEADING: &str = "Take a photo of your face";
    /// Asking the browser for the camera.
    pub const CAMERA_STARTING: &str = "Starting the camera…";
    /// The camera could not be used.
    pub const CAMERA_FAILED: &str = "We could not use your camera. Allow camera access in your browser and try again.";
    /// Capture button.
    pub const TAKE_PHOTO: &str = "Take photo";
    /// Heading of the ID panel.
    pub const ID_HEADING: &str = "Take a photo of your ID";
    /// Alt text of the captured ID photo.
    pub const ID_PHOTO_ALT: &str = "The photo of your ID that you took";
    /// Accept a captured photo.
    pub const USE_PHOTO: &str = "Use this photo";
    /// Heading of the review panel.
    pub const REVIEW_HEADING: &str = "Review and submit";
    /// Retake button.
    pub const RETAKE: &str = "Retake photo";
    /// Submit button.
    pub const SUBMIT: &str = "Submit";
    /// While submitting.
    pub const SUBMITTING: &str = "Submitting…";
    /// Alt text of the captured face photo.
    pub const FACE_PHOTO_ALT: &str = "The photo of your face that you took";
    /// Heading of the status panel.
    pub const STATUS_HEADING: &str = "Your verification status";
    /// Status: none.
    pub const STATUS_NONE: &str = "You have not verified your identity yet.";
    /// Status: pending.
    pub const STATUS_PENDING: &str = "Your verification is pending. We will let you know when it has been reviewed.";
    /// Status: approved.
    pub const STATUS_APPROVED: &str = "Your identity is verified.";
    /// Status: must reverify.
    pub const STATUS_MUST_REVERIFY: &str = "Your verification was not accepted. Please verify again.";
    /// Status: expired.
    pub const STATUS_EXPIRED: &str = "Your verification has expired. Please verify again.";
    /// Loading.
    pub const LOADING: &str = "Loading…";
    /// Sign-in heading.
    pub const SIGN_IN_HEADING: &str = "Sign in";
    /// Sign in through the LMS.
    pub const SIGN_IN_LMS: &str = "Sign in through your learning platform to verify your identity.";
    /// Dev sign-in label.
    pub const USERNAME: &str = "Username";
    /// Dev sign-in button.
    pub const SIGN_IN: &str = "Sign in (development)";
    /// Page not found.
    pub const NOT_FOUND: &str = "Page not found.";
}
