//! The learner pages and the router.

pub mod camera;
pub mod flow;
pub mod sign_in;
pub mod status;

use crate::{
    api::{get_session_info, get_verification_status},
    domain::UserStatusKind,
    i18n::en,
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
    view! {
        <Router>
            <header class="topbar">
                <a class="brand" href="/id-verification">"Vouch"</a>
            </header>
            <main id="main" class="container">
                <Routes fallback=|| view! { <p class="notice">{en::NOT_FOUND}</p> }>
                    <Route path=path!("/") view=|| view! { <Redirect path="/id-verification"/> }/>
                    <Route path=path!("/id-verification") view=IdVerificationPage/>
                    <Route path=path!("/id-verification/status") view=StatusPage/>
                </Routes>
            </main>
        </Router>
    }
}

/// The entry page: sign-in when needed, the status when an attempt is under way or
/// approved, otherwise the verification flow (the plugin slot).
#[component]
fn IdVerificationPage() -> impl IntoView {
    let session = LocalResource::new(get_session_info);
    let status = LocalResource::new(get_verification_status);
    let body = move || {
        let info = match session.get()? {
            Ok(info) => info,
            Err(e) => return Some(error_box(e.message)),
        };
        if info.user.is_none() {
            return Some(view! { <SignIn dev_login=info.dev_login/> }.into_any());
        }
        let view = match status.get()? {
            Ok(s) if matches!(s.status, UserStatusKind::Pending | UserStatusKind::Approved) => {
                view! { <StatusView status=s/> }.into_any()
            }
            Ok(_) => view! { <IdVerificationSlot/> }.into_any(),
            Err(e) => error_box(e.message),
        };
        Some(view)
    };
    view! {
        <Suspense fallback=|| view! { <p class="notice">{en::LOADING}</p> }>{body}</Suspense>
    }
}

/// An error message, announced to assistive technology.
pub fn error_box(message: String) -> AnyView {
    view! { <p class="error" role="alert">{message}</p> }.into_any()
}
