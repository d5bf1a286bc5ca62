//! The live photo-check guidance, one short actionable sentence per issue, in every locale.
//!
//! Only the quality worker (the lazily loaded `quality-worker` wasm, which includes this
//! file) uses these sentences: it answers each frame with the sentence to show, so they
//! stay out of the learner's initial bundle. Codes are `quality::Issue::code`; `""` is a
//! good frame.

/// The sentence for an issue `code` in `lang` (`en` for any locale without a translation).
pub fn advice(lang: &str, code: &str) -> &'static str {
    let fr = lang == "fr";
    match code {
        "" if fr => "Parfait. Ne bougez plus…",
        "" => "Good. Hold still…",
        "too_dark" if fr => "Placez-vous dans un endroit plus éclairé.",
        "too_dark" => "Move to a brighter place.",
        "too_bright" if fr => "Trop lumineux : éloignez-vous de la lumière.",
        "too_bright" => "Too bright: move away from the light.",
        "no_face" if fr => "Placez votre visage dans l'ovale.",
        "no_face" => "Put your face inside the oval.",
        "many_faces" if fr => "Un seul visage, s'il vous plaît.",
        "many_faces" => "Only one face, please.",
        "face_too_small" if fr => "Rapprochez-vous.",
        "face_too_small" => "Move closer.",
        "face_off_centre" if fr => "Centrez votre visage dans l'ovale.",
        "face_off_centre" => "Centre your face in the oval.",
        "no_card" if fr => "Remplissez le cadre avec votre pièce d'identité.",
        "no_card" => "Fill the frame with your ID.",
        "blurry" if fr => "Ne bougez plus.",
        "blurry" => "Hold still.",
        _ if fr => "Inclinez pour éviter les reflets.",
        _ => "Tilt to avoid the glare.",
    }
}

/// The warning kept with a photo taken (or uploaded) while a check failed.
pub fn warning(lang: &str, code: &str) -> String {
    let lead = if lang == "fr" { "Cette photo risque d'être refusée :" } else { "This photo may be refused:" };
    format!("{lead} {}", advice(lang, code))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_issue_has_a_distinct_sentence_in_each_locale() {
        let codes = [
            "",
            "too_dark",
            "too_bright",
            "no_face",
            "many_faces",
            "face_too_small",
            "face_off_centre",
            "no_card",
            "blurry",
            "glare",
        ];
        for lang in ["en", "fr"] {
            let mut all: Vec<_> = codes.iter().map(|c| advice(lang, c)).collect();
            all.sort_unstable();
            all.dedup();
            assert_eq!(all.len(), codes.len(), "{lang}");
        }
        for c in codes {
            assert_ne!(advice("en", c), advice("fr", c), "{c:?} is not translated");
        }
        assert_eq!(advice("de", "blurry"), "Hold still.");
        assert!(warning("fr", "too_dark").starts_with("Cette photo"));
    }
}
