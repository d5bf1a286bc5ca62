//! The status page: the learner's status, read from the server, with the next action.

use super::error_box;
use crate::{
    api::get_verification_status,
    domain::{UserStatus, UserStatusKind},
    i18n::en,
};
use leptos::prelude::*;

/// `/id-verification/status`.
#[component]
pub fn StatusPage() -> impl IntoView {
    let status = LocalResource::new(get_verification_status);
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
    let expires = status.expires.map(|e| format!("Valid until {}.", e.format("%B %-d, %Y")));
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
