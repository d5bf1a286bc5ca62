//! The email texts, in plain Rust: each email has a subject, a plain-text body and an HTML
//! body. Everything that comes from data (names, reasons) is HTML-escaped in the HTML body.

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
        /// The reasons (may be empty).
        reasons: Vec<String>,
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
}

impl Context<'_> {
    /// The page where a learner verifies again.
    pub fn reverify_url(&self) -> String {
        format!("{}/id-verification/reverify", self.public_url.trim_end_matches('/'))
    }

    /// The page showing the learner's status.
    pub fn status_url(&self) -> String {
        format!("{}/id-verification/status", self.public_url.trim_end_matches('/'))
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

fn date(d: DateTime<Utc>) -> String {
    d.format("%B %-d, %Y").to_string()
}

/// Renders `email` for the learner in `ctx`.
pub fn render(email: &Email, ctx: &Context<'_>) -> Rendered {
    let platform = ctx.platform;
    // (subject, paragraphs, link text and URL)
    let (subject, paragraphs, link): (String, Vec<String>, Option<(&str, String)>) = match email {
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
                p.push(format!("Reasons: {}", reasons.join("; ")));
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
    };
    let greeting = format!("Hello {},", ctx.learner);
    let mut text = format!("{greeting}\n\n");
    let mut html = format!("<!doctype html><html><body style=\"font-family: sans-serif\"><p>{}</p>", escape(&greeting));
    for p in &paragraphs {
        text.push_str(p);
        text.push_str("\n\n");
        html.push_str(&format!("<p>{}</p>", escape(p)));
    }
    if let Some((label, url)) = &link {
        text.push_str(&format!("{label}: {url}\n\n"));
        html.push_str(&format!("<p><a href=\"{}\">{}</a></p>", escape(url), escape(label)));
    }
    text.push_str(&format!("The {platform} team\n"));
    html.push_str(&format!("<p>The {} team</p></body></html>", escape(platform)));
    Rendered { subject, text, html }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn denied_email_escapes_and_links_to_reverify() {
        let ctx = Context { learner: "Ada <b>", platform: "Acme", public_url: "https://v.example/" };
        let r = render(&Email::Denied { reasons: vec!["Photo <blurry>".into()] }, &ctx);
        assert_eq!(r.subject, "Your Acme identity verification was denied");
        assert!(r.text.contains("Hello Ada <b>,"));
        assert!(r.text.contains("Reasons: Photo <blurry>"));
        assert!(r.text.contains("https://v.example/id-verification/reverify"));
        assert!(r.html.contains("Ada &lt;b&gt;") && !r.html.contains("<b>"));
        assert!(r.html.contains("href=\"https://v.example/id-verification/reverify\""));
    }
}
