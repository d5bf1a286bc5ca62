//! The strings of the "Continue on your phone" pages. The server renders those pages, so
//! these strings live apart from [`super::Strings`]: nothing in the SPA refers to them and
//! they never reach the learner's download. The values sit in `en.rs` and `fr.rs` with the
//! rest of each locale.

/// The hand-off pages' strings of one locale. `{minutes}` and `{username}` are filled in.
#[derive(Debug)]
pub struct HandoffStrings {
    /// BCP 47 tag, set on `<html lang>`.
    pub lang: &'static str,
    /// Desktop page: title and heading.
    pub title: &'static str,
    /// Desktop page: what to do (`{minutes}`: how long the code works).
    pub intro: &'static str,
    /// Desktop page: the QR code's text alternative.
    pub qr_alt: &'static str,
    /// Desktop page: the disclosure with the link as text.
    pub cannot_scan: &'static str,
    /// Desktop page: before the link as text.
    pub open_address: &'static str,
    /// Desktop page: no phone has opened the link yet.
    pub waiting: &'static str,
    /// Desktop page: the phone opened the link.
    pub connected: &'static str,
    /// Desktop page: the phone sent its photos; they are on their way to review.
    pub photos_taken: &'static str,
    /// Desktop page: submitted from the phone.
    pub submitted: &'static str,
    /// Desktop page: the code expired before a phone opened it.
    pub expired: &'static str,
    /// Desktop page: the code was cancelled (or replaced in another tab).
    pub cancelled: &'static str,
    /// Desktop page: show a new code.
    pub new_code: &'static str,
    /// Desktop page: cancel and return to the flow.
    pub cancel: &'static str,
    /// Desktop page: link to the status page.
    pub see_status: &'static str,
    /// Desktop page: not signed in.
    pub sign_in_first: &'static str,
    /// Desktop page: back to the flow (link text).
    pub back_to_flow: &'static str,
    /// Phone page: title and heading.
    pub phone_title: &'static str,
    /// Phone page: whose verification this continues (`{username}`).
    pub phone_text: &'static str,
    /// Phone page: the button that signs the phone in.
    pub phone_button: &'static str,
    /// Refusal page: title.
    pub refused_title: &'static str,
    /// Refusal: no such link.
    pub refused_unknown: &'static str,
    /// Refusal: used already.
    pub refused_used: &'static str,
    /// Refusal: expired.
    pub refused_expired: &'static str,
    /// Refusal: cancelled on the computer.
    pub refused_cancelled: &'static str,
    /// Refusal: this browser is signed in to another account.
    pub refused_other_learner: &'static str,
}

/// Every locale of the hand-off pages; the first is the fallback.
pub const LOCALES: [&HandoffStrings; 2] = [&super::en::HANDOFF, &super::fr::HANDOFF];

/// The hand-off strings of the locale [`super::pick`] chose (by its `lang`).
pub fn for_lang(lang: &str) -> &'static HandoffStrings {
    LOCALES.iter().copied().find(|s| s.lang == lang).unwrap_or(LOCALES[0])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_locale_is_complete_and_translated() {
        for s in LOCALES {
            assert!(!format!("{s:?}").contains("\"\""), "{} has an empty string", s.lang);
        }
        let (en, fr) = (format!("{:?}", LOCALES[0]), format!("{:?}", LOCALES[1]));
        let same = en.split(", ").zip(fr.split(", ")).filter(|(a, b)| a == b).count();
        assert!(same * 10 < en.split(", ").count(), "French repeats English too often");
        assert_eq!(for_lang("fr").lang, "fr");
        assert_eq!(for_lang("de").lang, "en");
    }
}
