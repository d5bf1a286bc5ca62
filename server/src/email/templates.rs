//! The email texts, in plain Rust: each email has a subject, a plain-text body and an HTML
//! body. Everything that comes from data (names, reasons) is HTML-escaped in the HTML body.

use app::{domain::reasons::DenialReason, i18n::reasons::sentences};
use chrono::{DateTime, Utc};

/// An email ready to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    /// Subject.
    pub subject: String,
    /// Plain-text body.
    pub text: String,
    /// HTML body.
    pub html: String,
}

/// Which email.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Email {
    /// The learner's photos were received (confirmation).
    Submitted,
    /// Verified.
    Approved {
        /// Until when, if it expires.
        expires: Option<DateTime<Utc>>,
    },
    /// Denied, with the reasons the vendor or staff gave.
    Denied {
        /// The reasons (may be empty), written out in the email's language.
        reasons: Vec<DenialReason>,
    },
    /// The verification expires soon.
    ExpiringSoon {
        /// When.
        expires: DateTime<Utc>,
    },
    /// The verification has expired.
    Expired {
        /// When.
        expired: DateTime<Utc>,
    },
}

impl Email {
    /// The stable name (used to send each email once per attempt).
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Submitted => "submitted",
            Self::Approved { .. } => "approved",
            Self::Denied { .. } => "denied",
            Self::ExpiringSoon { .. } => "expiring_soon",
            Self::Expired { .. } => "expired",
        }
    }
}

/// What every email mentions.
#[derive(Debug, Clone)]
pub struct Context<'a> {
    /// The learner's name (profile name, else username).
    pub learner: &'a str,
    /// `platform.name`.
    pub platform: &'a str,
    /// `server.public_url`.
    pub public_url: &'a str,
    /// `email.language`: `en` or `fr`.
    pub lang: &'a str,
}

impl Context<'_> {
    /// The page where a learner verifies again.
    pub fn reverify_url(&self) -> String {
        format!("{}{}", self.public_url.trim_end_matches('/'), app::routes::REVERIFY)
    }

    /// The page showing the learner's status.
    pub fn status_url(&self) -> String {
        format!("{}{}", self.public_url.trim_end_matches('/'), app::routes::STATUS)
    }
}

/// HTML-escapes text.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// "January 5, 2027" / "5 janvier 2027", with the SPA's month names.
fn date(lang: &str, d: DateTime<Utc>) -> String {
    use chrono::Datelike;
    let month = app::i18n::pick(&[lang]).months.get(d.month0() as usize).copied().unwrap_or_default();
    if lang == "fr" {
        format!("{} {month} {}", d.day(), d.year())
    } else {
        format!("{month} {}, {}", d.day(), d.year())
    }
}

/// (subject, paragraphs, link label and URL) of an email, in English.
type Parts<'a> = (String, Vec<String>, Option<(&'a str, String)>);

fn english<'a>(email: &Email, ctx: &Context<'_>) -> Parts<'a> {
    let platform = ctx.platform;
    let date = |d| date("en", d);
    match email {
        Email::Submitted => (
            format!("We received your {platform} identity verification"),
            vec![
                "Thank you for submitting your photos. We are reviewing them now; this usually takes a few days."
                    .into(),
                "We will email you when the review is complete.".into(),
            ],
            Some(("See your verification status", ctx.status_url())),
        ),
        Email::Approved { expires } => (
            format!("Your {platform} identity verification was approved"),
            vec![match expires {
                Some(e) => format!("Your identity is verified. Your verification is valid until {}.", date(*e)),
                None => "Your identity is verified.".into(),
            }],
            Some(("See your verification status", ctx.status_url())),
        ),
        Email::Denied { reasons } => {
            let mut p = vec!["We could not verify your identity with the photos you submitted.".to_owned()];
            if !reasons.is_empty() {
                p.push("Why:".into());
                p.extend(sentences("en", reasons).into_iter().map(|r| format!("- {r}")));
            }
            p.push("Please try again with new photos.".into());
            (format!("Your {platform} identity verification was denied"), p, Some(("Verify again", ctx.reverify_url())))
        }
        Email::ExpiringSoon { expires } => (
            format!("Your {platform} identity verification expires soon"),
            vec![format!(
                "Your identity verification expires on {}. Verify again before then to keep your verified status.",
                date(*expires)
            )],
            Some(("Verify again", ctx.reverify_url())),
        ),
        Email::Expired { expired } => (
            format!("Your {platform} identity verification has expired"),
            vec![format!("Your identity verification expired on {}. Please verify again.", date(*expired))],
            Some(("Verify again", ctx.reverify_url())),
        ),
    }
}

fn french<'a>(email: &Email, ctx: &Context<'_>) -> Parts<'a> {
    let platform = ctx.platform;
    let date = |d| date("fr", d);
    let status = Some(("Voir le statut de votre vérification", ctx.status_url()));
    let reverify = Some(("Vérifier de nouveau", ctx.reverify_url()));
    match email {
        Email::Submitted => (
            format!("Nous avons reçu votre vérification d'identité {platform}"),
            vec![
                "Merci d'avoir envoyé vos photos. Nous les examinons ; cela prend en général quelques jours.".into(),
                "Nous vous écrirons une fois l'examen terminé.".into(),
            ],
            status,
        ),
        Email::Approved { expires } => (
            format!("Votre vérification d'identité {platform} a été acceptée"),
            vec![match expires {
                Some(e) => {
                    format!("Votre identité est vérifiée. Votre vérification est valable jusqu'au {}.", date(*e))
                }
                None => "Votre identité est vérifiée.".into(),
            }],
            status,
        ),
        Email::Denied { reasons } => {
            let mut p = vec!["Nous n'avons pas pu vérifier votre identité avec les photos envoyées.".to_owned()];
            if !reasons.is_empty() {
                p.push("Pourquoi :".into());
                p.extend(sentences("fr", reasons).into_iter().map(|r| format!("- {r}")));
            }
            p.push("Veuillez recommencer avec de nouvelles photos.".into());
            (format!("Votre vérification d'identité {platform} a été refusée"), p, reverify)
        }
        Email::ExpiringSoon { expires } => (
            format!("Votre vérification d'identité {platform} expire bientôt"),
            vec![format!(
                "Votre vérification d'identité expire le {}. Vérifiez-la de nouveau avant cette date pour rester vérifié.",
                date(*expires)
            )],
            reverify,
        ),
        Email::Expired { expired } => (
            format!("Votre vérification d'identité {platform} a expiré"),
            vec![format!("Votre vérification d'identité a expiré le {}. Veuillez la refaire.", date(*expired))],
            reverify,
        ),
    }
}

/// Renders `email` for the learner in `ctx`, in `ctx.lang` (`fr`, else English).
pub fn render(email: &Email, ctx: &Context<'_>) -> Rendered {
    let platform = ctx.platform;
    let fr = ctx.lang == "fr";
    let (subject, paragraphs, link) = if fr { french(email, ctx) } else { english(email, ctx) };
    let (hello, team) = if fr {
        (format!("Bonjour {},", ctx.learner), format!("L'équipe {platform}"))
    } else {
        (format!("Hello {},", ctx.learner), format!("The {platform} team"))
    };
    let mut text = format!("{hello}\n\n");
    let mut html = format!(
        "<!doctype html><html lang=\"{}\"><body style=\"font-family: sans-serif\"><p>{}</p>",
        if fr { "fr" } else { "en" },
        escape(&hello)
    );
    for p in &paragraphs {
        text.push_str(p);
        text.push_str("\n\n");
        html.push_str(&format!("<p>{}</p>", escape(p)));
    }
    if let Some((label, url)) = &link {
        text.push_str(&format!("{label}: {url}\n\n"));
        html.push_str(&format!("<p><a href=\"{}\">{}</a></p>", escape(url), escape(label)));
    }
    text.push_str(&format!("{team}\n"));
    html.push_str(&format!("<p>{}</p></body></html>", escape(&team)));
    Rendered { subject, text, html }
}

#[cfg(test)]
mod tests {
    use super::*;

    use app::domain::reasons::DenialReason::*;

    fn ctx(lang: &str) -> Context<'_> {
        Context { learner: "Ada <b>", platform: "Acme", public_url: "https://v.example/", lang }
    }

    #[test]
    fn denied_email_escapes_and_links_to_reverify() {
        let r = render(&Email::Denied { reasons: vec![Note("Photo <blurry>".into())] }, &ctx("en"));
        assert_eq!(r.subject, "Your Acme identity verification was denied");
        assert!(r.text.contains("Hello Ada <b>,"));
        assert!(r.text.contains("- Photo <blurry>"));
        assert!(r.text.contains("https://v.example/id-verification/reverify"));
        assert!(r.html.contains("Ada &lt;b&gt;") && !r.html.contains("<b>"));
        assert!(r.html.contains("href=\"https://v.example/id-verification/reverify\""));
    }

    #[test]
    fn denial_reasons_are_sentences_in_the_email_language() {
        let email = Email::Denied { reasons: vec![NameMismatch, Unknown] };
        let en = render(&email, &ctx("en"));
        assert!(en.text.contains("- The name associated with your account and the name on your ID do not match."));
        assert!(en.text.contains("- Your photos could not be verified."));
        let fr = render(&email, &ctx("fr"));
        assert_eq!(fr.subject, "Votre vérification d'identité Acme a été refusée");
        assert!(fr.text.starts_with("Bonjour Ada <b>,"));
        assert!(fr.text.contains("- Le nom associé à votre compte"), "{}", fr.text);
        assert!(fr.html.contains("<html lang=\"fr\">"));
    }

    #[test]
    fn every_email_has_a_french_text() {
        let at = chrono::TimeZone::with_ymd_and_hms(&Utc, 2027, 1, 5, 0, 0, 0).single().expect("valid");
        let all = [
            Email::Submitted,
            Email::Approved { expires: Some(at) },
            Email::Denied { reasons: vec![] },
            Email::ExpiringSoon { expires: at },
            Email::Expired { expired: at },
        ];
        for email in &all {
            let (en, fr) = (render(email, &ctx("en")), render(email, &ctx("fr")));
            assert_ne!(en.subject, fr.subject);
            assert_ne!(en.text, fr.text);
        }
        assert!(render(&all[4], &ctx("fr")).text.contains("5 janvier 2027"));
        assert!(render(&all[4], &ctx("en")).text.contains("January 5, 2027"));
    }
}
