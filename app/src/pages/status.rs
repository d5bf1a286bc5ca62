//! The status page: the learner's status, read from the server, with the next action.

use super::{error_box, loading};
use crate::{
    domain::{UserStatus, UserStatusKind},
    i18n::{Strings, t},
    routes, rpc,
};
use leptos::prelude::*;

/// How often a pending status is read again.
const REFRESH: std::time::Duration = std::time::Duration::from_secs(2);

/// `/id-verification/status`. While the verification is pending the page reads the status
/// again every few seconds, so the learner sees the decision without reloading.
#[component]
pub fn StatusPage() -> impl IntoView {
    let status = rpc::verification_status();
    let refresh = move || {
        let pending = status.with_untracked(|r| matches!(r, Some(Ok(s)) if s.status == UserStatusKind::Pending));
        if pending {
            rpc::reload::<crate::api::GetVerificationStatus>(status);
        }
    };
    if let Ok(handle) = leptos::prelude::set_interval_with_handle(refresh, REFRESH) {
        on_cleanup(move || handle.clear());
    }
    move || match status.get() {
        None => loading(),
        Some(Ok(s)) => view! { <StatusView status=s/> }.into_any(),
        Some(Err(e)) => error_box(e.message),
    }
}

/// What the learner can do about a status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Start the flow.
    Start,
    /// Nothing but wait.
    Wait,
    /// Verify again (reverification).
    Reverify,
    /// Nothing to do.
    None,
}

/// The action for `status`. Whether a way in is offered at all is the server's
/// `can_verify` (the domain's `reverify::verify_now`, which every submit door enforces), so
/// the page never offers a submission that would be refused.
pub fn action(status: &UserStatus) -> Action {
    match status.status {
        UserStatusKind::Pending if !status.can_verify => Action::Wait,
        _ if !status.can_verify => Action::None,
        UserStatusKind::None => Action::Start,
        _ => Action::Reverify,
    }
}

/// One status with its explanation and action.
#[component]
pub fn StatusView(status: UserStatus) -> impl IntoView {
    let s = t();
    let kind = status.status;
    let text = match kind {
        UserStatusKind::None => s.status_none,
        UserStatusKind::Pending => s.status_pending,
        UserStatusKind::Approved if status.expiring_soon => s.status_expiring,
        UserStatusKind::Approved => s.status_approved,
        UserStatusKind::MustReverify => s.status_must_reverify,
        UserStatusKind::Expired => s.status_expired,
    };
    let expires = (kind == UserStatusKind::Approved)
        .then_some(status.expires)
        .flatten()
        .map(|e| format!("{} {}.", s.valid_until, long_date(s, e)));
    // Sentences from the server's parsed reasons, never the vendor's raw codes.
    let reasons =
        if kind == UserStatusKind::MustReverify { reason_sentences(s.lang, &status.reasons) } else { Vec::new() };
    let link = match action(&status) {
        Action::Start => Some((routes::HOME, s.start)),
        Action::Reverify => Some((routes::REVERIFY, s.verify_again)),
        Action::Wait | Action::None => None,
    };
    view! {
        <section class="card" aria-labelledby="status-heading">
            <h1 id="status-heading" tabindex="-1">{s.status_heading}</h1>
            <p class="status" data-status=kind.as_str() data-expiring=status.expiring_soon.to_string()
                role="status" aria-live="polite">{text}</p>
            {expires.map(|e| view! { <p id="expires">{e}</p> })}
            {(!reasons.is_empty()).then(|| view! {
                <h2 class="reasons-heading">{s.reasons_heading}</h2>
                <ul id="reasons">{reasons.into_iter().map(|r| view! { <li>{r}</li> }).collect_view()}</ul>
            })}
            {link.map(|(href, label)| view! { <a class="button primary" id="status-action" href=href>{label}</a> })}
        </section>
    }
}

/// The sentences a learner reads for `reasons`.
fn reason_sentences(lang: &str, reasons: &[crate::domain::reasons::DenialReason]) -> Vec<String> {
    crate::i18n::reasons::sentences(lang, reasons).into_iter().map(str::to_owned).collect()
}

/// "January 5, 2027" / "5 janvier 2027": built from the date's parts, because chrono's
/// formatter would add tens of kilobytes to the learner's download for one line of text.
pub(crate) fn long_date(s: &Strings, d: chrono::DateTime<chrono::Utc>) -> String {
    use chrono::Datelike;
    let month = s.months.get(d.month0() as usize).copied().unwrap_or_default();
    match s.lang {
        "en" => format!("{month} {}, {}", d.day(), d.year()),
        _ => format!("{} {month} {}", d.day(), d.year()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::{EN, FR};
    use chrono::TimeZone;

    #[test]
    fn long_dates() {
        let d = chrono::Utc.with_ymd_and_hms(2027, 1, 5, 23, 0, 0).single().expect("valid");
        assert_eq!(long_date(&EN, d), "January 5, 2027");
        assert_eq!(long_date(&FR, d), "5 janvier 2027");
        let d = chrono::Utc.with_ymd_and_hms(2026, 12, 31, 0, 0, 0).single().expect("valid");
        assert_eq!(long_date(&EN, d), "December 31, 2026");
    }

    #[test]
    fn reasons_are_sentences_in_the_page_language() {
        use crate::domain::reasons::DenialReason::*;
        let fr = reason_sentences("fr", &[NameMismatch, Unknown]);
        assert_eq!(fr.len(), 2);
        assert!(fr[0].starts_with("Le nom associé"), "{fr:?}");
        assert_eq!(reason_sentences("en", &[FaceOutOfView]), vec!["Your face was not visible in your self-photo."]);
    }

    #[test]
    fn actions() {
        // As the server sends them: `can_verify` from the domain rule.
        let with = |status, can_verify| UserStatus { status, can_verify, ..UserStatus::none() };
        assert_eq!(action(&with(UserStatusKind::None, true)), Action::Start);
        assert_eq!(action(&with(UserStatusKind::Pending, false)), Action::Wait);
        assert_eq!(action(&with(UserStatusKind::Approved, false)), Action::None);
        assert_eq!(action(&with(UserStatusKind::Approved, true)), Action::Reverify);
        assert_eq!(action(&with(UserStatusKind::MustReverify, true)), Action::Reverify);
        assert_eq!(action(&with(UserStatusKind::Expired, true)), Action::Reverify);
        // A pending attempt whose window opened (Open edX lets such a learner verify) is offered a way in.
        assert_eq!(action(&with(UserStatusKind::Pending, true)), Action::Reverify);
    }
}
