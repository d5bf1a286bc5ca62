//! Every learner-facing string, in one place per language: one file per locale, each a
//! [`Strings`] value, so a locale that misses a string does not compile.
//!
//! The SPA picks the locale from the browser's preferred languages ([`pick`]); English is
//! the fallback.

mod en;
mod fr;
pub mod guidance;
pub mod handoff;
pub mod reasons;

pub use en::EN;
pub use fr::FR;

/// The learner-facing strings of one locale.
#[derive(Debug)]
pub struct Strings {
    /// BCP 47 tag, set on `<html lang>`.
    pub lang: &'static str,
    /// "Skip to content" link.
    pub skip: &'static str,
    /// Brand link text.
    pub brand: &'static str,
    /// Page title of the flow.
    pub title: &'static str,
    /// "Loading…".
    pub loading: &'static str,
    /// Page not found.
    pub not_found: &'static str,
    /// Continue to the next step.
    pub next: &'static str,
    /// Go back one step.
    pub back: &'static str,
    /// "Step 3 of 9" style progress label prefix: "Step".
    pub step: &'static str,
    /// "of" in the progress label.
    pub of: &'static str,

    /// Sign-in heading.
    pub sign_in_heading: &'static str,
    /// Sign in through the LMS.
    pub sign_in_lms: &'static str,
    /// Dev sign-in label.
    pub username: &'static str,
    /// Dev sign-in button.
    pub sign_in: &'static str,

    /// Review requirements: heading.
    pub req_heading: &'static str,
    /// Review requirements: introduction.
    pub req_intro: &'static str,
    /// Requirement: camera.
    pub req_camera: &'static str,
    /// Requirement: ID.
    pub req_id: &'static str,
    /// Requirement: light.
    pub req_light: &'static str,
    /// Requirement: privacy note.
    pub req_privacy: &'static str,
    /// Start button.
    pub start: &'static str,

    /// Camera access: heading.
    pub access_heading: &'static str,
    /// Camera access: explanation.
    pub access_text: &'static str,
    /// Camera access: button.
    pub access_button: &'static str,
    /// Camera access: while asking.
    pub access_asking: &'static str,
    /// Camera access: granted.
    pub access_granted: &'static str,

    /// Enable camera (denied): heading.
    pub enable_heading: &'static str,
    /// Enable camera: explanation.
    pub enable_text: &'static str,
    /// Enable camera: Chrome directions.
    pub enable_chrome: &'static str,
    /// Enable camera: Firefox directions.
    pub enable_firefox: &'static str,
    /// Enable camera: Safari directions.
    pub enable_safari: &'static str,
    /// Enable camera: Edge directions.
    pub enable_edge: &'static str,
    /// Try the camera again.
    pub try_again: &'static str,
    /// Unsupported camera: heading.
    pub unsupported_heading: &'static str,
    /// Unsupported camera: explanation.
    pub unsupported_text: &'static str,
    /// Continue with file uploads.
    pub upload_instead: &'static str,
    /// No camera or camera refused: continue on a phone (a link to the hand-off page).
    pub handoff_button: &'static str,

    /// Portrait context: heading.
    pub portrait_context_heading: &'static str,
    /// Portrait context: tips.
    pub portrait_tips: [&'static str; 3],
    /// Take portrait: heading.
    pub portrait_heading: &'static str,
    /// ID context: heading.
    pub id_context_heading: &'static str,
    /// ID context: tips.
    pub id_tips: [&'static str; 3],
    /// Take ID photo: heading.
    pub id_heading: &'static str,

    /// Camera preview label.
    pub camera_preview: &'static str,
    /// Asking the browser for the camera.
    pub camera_starting: &'static str,
    /// The camera is live.
    pub camera_live: &'static str,
    /// The camera could not be used.
    pub camera_failed: &'static str,
    /// Capture button.
    pub take_photo: &'static str,
    /// After capture.
    pub photo_taken: &'static str,
    /// Retake button.
    pub retake: &'static str,
    /// Accept a captured photo.
    pub use_photo: &'static str,
    /// File input label.
    pub upload_label: &'static str,
    /// File input hint.
    pub upload_hint: &'static str,
    /// Wrong file type.
    pub upload_wrong_type: &'static str,
    /// File too big: "The file is larger than" … "MB.".
    pub upload_too_big: &'static str,
    /// File unreadable.
    pub upload_unreadable: &'static str,
    /// Alt text of the face photo.
    pub face_alt: &'static str,
    /// Alt text of the ID photo.
    pub id_alt: &'static str,

    /// Get name: heading.
    pub name_heading: &'static str,
    /// Get name: explanation.
    pub name_text: &'static str,
    /// Get name: field label.
    pub name_label: &'static str,
    /// Name empty.
    pub name_empty: &'static str,
    /// Name too long.
    pub name_too_long: &'static str,
    /// Name with control characters.
    pub name_bad_chars: &'static str,

    /// Summary: heading.
    pub summary_heading: &'static str,
    /// Summary: explanation.
    pub summary_text: &'static str,
    /// Summary: face photo caption.
    pub summary_face: &'static str,
    /// Summary: ID photo caption.
    pub summary_id: &'static str,
    /// Summary: the earlier approved ID photo is reused.
    pub summary_id_reused: &'static str,
    /// Summary: take a new ID photo instead of reusing.
    pub summary_new_id: &'static str,
    /// Summary: name caption.
    pub summary_name: &'static str,
    /// Retake the face photo.
    pub retake_face: &'static str,
    /// Retake the ID photo.
    pub retake_id: &'static str,
    /// Edit the name.
    pub edit_name: &'static str,
    /// Consent checkbox.
    pub consent: &'static str,
    /// Consent missing.
    pub consent_missing: &'static str,
    /// Submit button.
    pub submit: &'static str,
    /// While submitting.
    pub submitting: &'static str,

    /// Submitted: heading.
    pub submitted_heading: &'static str,
    /// Submitted: explanation.
    pub submitted_text: &'static str,
    /// Link to the status page.
    pub see_status: &'static str,

    /// Status page: heading.
    pub status_heading: &'static str,
    /// Status: none.
    pub status_none: &'static str,
    /// Status: pending.
    pub status_pending: &'static str,
    /// Status: approved.
    pub status_approved: &'static str,
    /// Status: approved but expiring soon.
    pub status_expiring: &'static str,
    /// Status: denied.
    pub status_must_reverify: &'static str,
    /// Status: expired.
    pub status_expired: &'static str,
    /// "Valid until".
    pub valid_until: &'static str,
    /// Heading of the denial reasons.
    pub reasons_heading: &'static str,
    /// Verify again (reverify) action.
    pub verify_again: &'static str,
    /// Month names for dates.
    pub months: [&'static str; 12],

    /// Course flow: the verification deadline passed (heading).
    pub deadline_heading: &'static str,
    /// Course flow: before the deadline's date.
    pub deadline_text: &'static str,
    /// Course flow: the upgrade deadline passed (heading).
    pub upgrade_deadline_heading: &'static str,
    /// Course flow: before the upgrade deadline's date.
    pub upgrade_deadline_text: &'static str,
    /// Course flow: payment step heading (first-time verify).
    pub pay_heading: &'static str,
    /// Course flow: payment step heading (upgrade).
    pub upgrade_heading: &'static str,
    /// Course flow: what happens at payment.
    pub pay_text: &'static str,
    /// Course flow: the hand-off button.
    pub pay_button: &'static str,
    /// Course flow: verified elsewhere (link text).
    pub elsewhere: &'static str,
    /// The earlier ID photo is too old to reuse.
    pub id_too_old: &'static str,
    /// Take the photo although the checks fail.
    pub take_anyway: &'static str,
}

/// Every shipped locale; the first is the fallback.
pub const LOCALES: [&Strings; 2] = [&EN, &FR];

/// The locale for the browser's preferred languages (`["fr-CA", "en"]`): the first whose
/// primary language matches, else English.
pub fn pick<S: AsRef<str>>(preferred: &[S]) -> &'static Strings {
    preferred
        .iter()
        .find_map(|tag| {
            let primary = tag.as_ref().split(['-', '_']).next().unwrap_or_default().to_ascii_lowercase();
            LOCALES.iter().copied().find(|s| s.lang == primary)
        })
        .unwrap_or(&EN)
}

/// The strings for this browser (English outside a browser).
pub fn t() -> &'static Strings {
    #[cfg(target_arch = "wasm32")]
    {
        thread_local! {
            static CURRENT: &'static Strings = browser_locale();
        }
        CURRENT.with(|s| *s)
    }
    #[cfg(not(target_arch = "wasm32"))]
    {
        &EN
    }
}

#[cfg(target_arch = "wasm32")]
fn browser_locale() -> &'static Strings {
    let Some(window) = web_sys::window() else { return &EN };
    let langs: Vec<String> = window.navigator().languages().iter().filter_map(|v| v.as_string()).collect();
    let s = if langs.is_empty() { pick(&[window.navigator().language().unwrap_or_default()]) } else { pick(&langs) };
    if let Some(html) = window.document().and_then(|d| d.document_element()) {
        let _ = html.set_attribute("lang", s.lang);
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn picks_by_primary_language() {
        assert_eq!(pick(&["fr-CA", "en"]).lang, "fr");
        assert_eq!(pick(&["de", "FR"]).lang, "fr");
        assert_eq!(pick(&["en-GB"]).lang, "en");
        assert_eq!(pick(&["de"]).lang, "en");
        assert_eq!(pick::<&str>(&[]).lang, "en");
    }

    #[test]
    fn locales_are_complete_and_translated() {
        // Debug prints every field: none may be empty, and the second locale must really be
        // another language (most strings differ from English).
        for s in LOCALES {
            let dump = format!("{s:?}");
            assert!(!dump.contains("\"\""), "{} has an empty string", s.lang);
        }
        let (en, fr) = (format!("{EN:?}"), format!("{FR:?}"));
        let same = en.split(", ").zip(fr.split(", ")).filter(|(a, b)| a == b).count();
        assert!(same * 10 < en.split(", ").count(), "French repeats English too often");
    }
}
