//! The status page: the learner's status, read from the server, with the next action.

use super::error_box;
use crate::{
    api::get_verification_status,
    domain::{UserStatus, UserStatusKind},
    i18n::en,
};
use leptos::prelude::*;

/// How often a pending status is read again.
const REFRESH: std::time::Duration = std::time::Duration::from_secs(2);

/// `/id-verification/status`. While the verification is pending the page reads the status
/// again every few seconds, so the learner sees the decision without reloading.
#[component]
pub fn StatusPage() -> impl IntoView {
    let status = LocalResource::new(get_verification_status);
    let refresh = move || {
        let pending = status.get_untracked().is_some_and(|r| r.is_ok_and(|s| s.status == UserStatusKind::Pending));
        if pending {
            status.refetch();
        }
    };
    if let Ok(handle) = leptos::prelude::set_interval_with_handle(refresh, REFRESH) {
        on_cleanup(move || handle.clear());
    }
    let body = move || {
        status.get().map(|r| match r {
            Ok(s) => view! { <StatusView status=s/> }.into_any(),
            Err(e) => error_box(e.message),
        })
    };
    view! { <Suspense fallback=|| view! { <p class="notice">{en::LOADING}</p> }>{body}</Suspense> }
}

/// One status with its explanation and action.
#[component]
pub fn StatusView(status: UserStatus) -> impl IntoView {
    let kind = status.status;
    let text = match kind {
        UserStatusKind::None => en::STATUS_NONE,
        UserStatusKind::Pending => en::STATUS_PENDING,
        UserStatusKind::Approved => en::STATUS_APPROVED,
        UserStatusKind::MustReverify => en::STATUS_MUST_REVERIFY,
        UserStatusKind::Expired => en::STATUS_EXPIRED,
    };
    let expires = status.expires.map(|e| format!("Valid until {}.", long_date(e)));
    let action = matches!(kind, UserStatusKind::None | UserStatusKind::MustReverify | UserStatusKind::Expired)
        .then(|| view! { <a class="button primary" href="/id-verification">{en::START}</a> });
    view! {
        <section class="card" aria-labelledby="status-heading">
            <h1 id="status-heading" tabindex="-1">{en::STATUS_HEADING}</h1>
            <p class="status" data-status=kind.as_str() role="status" aria-live="polite">{text}</p>
            {expires.map(|e| view! { <p>{e}</p> })}
            {(!status.error.is_empty()).then(|| view! { <p class="error">{status.error.clone()}</p> })}
            {action}
        </section>
    }
}

/// "January 5, 2027": built from the date's parts, because chrono's formatter would add
/// tens of kilobytes to the learner's download for one line of text.
fn long_date(d: chrono::DateTime<chrono::Utc>) -> String {
    use chrono::Datelike;
    const MONTHS: [&str; 12] = [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ];
    let month = MONTHS.get(d.month0() as usize).copied().unwrap_or_default();
    format!("{month} {}, {}", d.day(), d.year())
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    #[test]
    fn long_dates() {
        let d = chrono::Utc.with_ymd_and_hms(2027, 1, 5, 23, 0, 0).single().expect("valid");
        assert_eq!(super::long_date(d), "January 5, 2027");
        let d = chrono::Utc.with_ymd_and_hms(2026, 12, 31, 0, 0, 0).single().expect("valid");
        assert_eq!(super::long_date(d), "December 31, 2026");
    }
}
