//! The sentences for denial reasons ([`DenialReason`]), per locale: Open edX's
//! `parsed_error_msg` sentences for the vendor codes it knows, Vouch's for the others. Shared
//! by the SPA, the denial email and the accounts API, so a learner reads the same words
//! everywhere.

use crate::domain::reasons::DenialReason;

/// The sentence for `reason` in the locale `lang` (`en`, `fr`; anything else is English).
pub fn sentence<'a>(lang: &str, reason: &'a DenialReason) -> &'a str {
    use DenialReason::*;
    let fr = lang == "fr";
    match reason {
        IdNotProvided if fr => "Aucune pièce d'identité avec photo n'a été fournie.",
        IdNotProvided => "No photo ID was provided.",
        IdTextNotClear if fr => "Nous n'avons pas pu lire votre nom sur la photo de votre pièce d'identité.",
        IdTextNotClear => "We couldn't read your name from your photo ID image.",
        IdPhotoHidden if fr => "La photo de votre pièce d'identité était masquée ou absente.",
        IdPhotoHidden => "The photo on your ID was hidden or missing.",
        NameMismatch if fr => "Le nom associé à votre compte et celui de votre pièce d'identité ne correspondent pas.",
        NameMismatch => "The name associated with your account and the name on your ID do not match.",
        FaceNotClear if fr => "L'image de votre visage n'était pas nette.",
        FaceNotClear => "The image of your face was not clear.",
        FaceOutOfView if fr => "Votre visage n'était pas visible sur votre photo.",
        FaceOutOfView => "Your face was not visible in your self-photo.",
        Unknown if fr => {
            "Vos photos n'ont pas pu être vérifiées. Reprenez une photo de votre visage et de votre pièce d'identité."
        }
        Unknown => "Your photos could not be verified. Please take new photos of your face and your ID.",
        Note(text) => text,
    }
}

/// The sentences for `reasons`, in order.
pub fn sentences<'a>(lang: &str, reasons: &'a [DenialReason]) -> Vec<&'a str> {
    reasons.iter().map(|r| sentence(lang, r)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use DenialReason::*;

    const ALL: [DenialReason; 7] =
        [IdNotProvided, IdTextNotClear, IdPhotoHidden, NameMismatch, FaceNotClear, FaceOutOfView, Unknown];

    #[test]
    fn every_reason_has_a_distinct_sentence_in_each_locale() {
        for lang in ["en", "fr"] {
            let all: Vec<&str> = ALL.iter().map(|r| sentence(lang, r)).collect();
            let unique: std::collections::HashSet<_> = all.iter().collect();
            assert_eq!(unique.len(), ALL.len(), "{lang}: {all:?}");
            assert!(all.iter().all(|s| s.ends_with('.') && !s.contains('{') && !s.contains('[')));
        }
        for r in &ALL {
            assert_ne!(sentence("en", r), sentence("fr", r), "{r:?} is not translated");
        }
    }

    #[test]
    fn other_locales_fall_back_to_english_and_notes_are_kept() {
        assert_eq!(sentence("de", &NameMismatch), sentence("en", &NameMismatch));
        let note = Note("Your ID had expired.".into());
        assert_eq!(sentences("fr", &[note.clone(), NameMismatch])[0], "Your ID had expired.");
    }
}
