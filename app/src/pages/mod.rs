//! The learner pages and the router.

pub mod camera;
pub mod flow;
pub mod sign_in;
pub mod status;

use crate::{
    api::{get_session_info, get_verification_status},
    domain::UserStatusKind,
    i18n::t,
    slot::IdVerificationSlot,
};
use leptos::prelude::*;
use leptos_router::{
    components::{Redirect, Route, Router, Routes},
    path,
};
use sign_in::SignIn;
use status::{StatusPage, StatusView};

/// The whole SPA.
#[component]
pub fn App() -> impl IntoView {
    let s = t();
    view! {
        <Router>
            <a class="skip" href="#main">{s.skip}</a>
            <header class="topbar">
                <a class="brand" href="/id-verification">{s.brand}</a>
            </header>
            <main id="main" class="container" tabindex="-1">
                <Routes fallback=|| view! { <p class="notice">{t().not_found}</p> }>
                    <Route path=path!("/") view=|| view! { <Redirect path="/id-verification"/> }/>
                    <Route path=path!("/id-verification") view=EntryPage/>
                    <Route path=path!("/id-verification/status") view=StatusPage/>
                    <Route path=path!("/id-verification/:step") view=FlowPage/>
                </Routes>
            </main>
        </Router>
    }
}

/// The entry page: sign-in when needed, the status once the learner has an attempt,
/// otherwise the verification flow (the plugin slot).
#[component]
fn EntryPage() -> impl IntoView {
    let status = LocalResource::new(get_verification_status);
    view! {
        <SignedIn>
            {move || status.get().map(|r| match r {
                Ok(s) if shows_status(&s) => view! { <StatusView status=s/> }.into_any(),
                Ok(_) => view! { <IdVerificationSlot/> }.into_any(),
                Err(e) => error_box(e.message),
            })}
        </SignedIn>
    }
}

/// Whether the entry page shows the status instead of the flow: whenever the learner
/// already has an attempt; the status page then offers the right action (wait, verify again).
pub fn shows_status(s: &crate::domain::UserStatus) -> bool {
    s.status != UserStatusKind::None
}

/// A flow panel (`/id-verification/summary`, `/id-verification/reverify`, …): always the
/// slot, so a learner can verify again early or after a denial.
#[component]
fn FlowPage() -> impl IntoView {
    view! { <SignedIn><IdVerificationSlot/></SignedIn> }
}

/// Shows `children` to a signed-in learner, the sign-in panel otherwise.
#[component]
fn SignedIn(children: ChildrenFn) -> impl IntoView {
    let session = LocalResource::new(get_session_info);
    let body = move || {
        session.get().map(|r| match r {
            Ok(info) if info.user.is_none() => view! { <SignIn dev_login=info.dev_login/> }.into_any(),
            Ok(_) => children().into_any(),
            Err(e) => error_box(e.message),
        })
    };
    view! { <Suspense fallback=|| view! { <p class="notice">{t().loading}</p> }>{body}</Suspense> }
}

/// An error message, announced to assistive technology.
pub fn error_box(message: String) -> AnyView {
    view! { <p class="error" role="alert">{message}</p> }.into_any()
}

#[cfg(test)]
mod tests {
    use crate::domain::{UserStatus, UserStatusKind};

    #[test]
    fn entry_shows_the_status_once_there_is_an_attempt() {
        let with = |status| UserStatus { status, ..UserStatus::none() };
        assert!(!super::shows_status(&with(UserStatusKind::None)));
        for k in
            [UserStatusKind::Pending, UserStatusKind::Approved, UserStatusKind::MustReverify, UserStatusKind::Expired]
        {
            assert!(super::shows_status(&with(k)));
        }
    }
}
