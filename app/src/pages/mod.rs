//! The learner pages and the router.

pub mod camera;
pub mod course;
pub mod flow;
pub mod quality;
pub mod sign_in;
pub mod status;

use crate::{domain::UserStatusKind, i18n::t, nav, routes, rpc, slot::IdVerificationSlot};
use leptos::prelude::*;
use sign_in::SignIn;
use status::{StatusPage, StatusView};

/// The whole SPA.
#[component]
pub fn App() -> impl IntoView {
    let s = t();
    nav::provide();
    let path = nav::use_path();
    // Only a change of page renders again: moving between flow panels keeps the flow.
    let page = Memo::new(move |_| path.with(|p| Page::of(p)));
    let body = move || match page.get() {
        Page::Entry => view! { <EntryPage/> }.into_any(),
        Page::Status => view! { <StatusPage/> }.into_any(),
        Page::Flow => view! { <FlowPage/> }.into_any(),
        Page::NotFound => view! { <p class="notice">{t().not_found}</p> }.into_any(),
    };
    view! {
        <a class="skip" href="#main">{s.skip}</a>
        <header class="topbar">
            <a class="brand" href=routes::HOME>{s.brand}</a>
        </header>
        <main id="main" class="container" tabindex="-1">{body}</main>
    }
}

/// The SPA's pages, by path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Page {
    /// `/id-verification` (and `/`).
    Entry,
    /// `/id-verification/status`.
    Status,
    /// `/id-verification/<panel>`.
    Flow,
    /// Anything else.
    NotFound,
}

impl Page {
    /// The page for a normalized path (see [`nav`]).
    fn of(path: &str) -> Self {
        match path {
            routes::HOME => Self::Entry,
            routes::STATUS => Self::Status,
            _ if routes::panel_slug(path).is_some() => Self::Flow,
            _ => Self::NotFound,
        }
    }
}

/// The entry page: sign-in when needed; with a course (`?course_id=`), the course's flow;
/// else the status once the learner has an attempt, otherwise the verification flow (the
/// plugin slot).
#[component]
fn EntryPage() -> impl IntoView {
    let search = window().location().search().unwrap_or_default();
    if let Some(request) = course::from_query(&search) {
        return view! { <SignedIn><course::CourseEntry request=request.clone()/></SignedIn> }.into_any();
    }
    // Without a course, the flow records none.
    flow::state::set_course(None, None);
    view! { <SignedIn><StatusOrFlow verify=true entry=true/></SignedIn> }.into_any()
}

/// Whether the entry page shows the status instead of the flow: whenever the learner
/// already has an attempt; the status page then offers the right action (wait, verify again).
pub fn shows_status(s: &crate::domain::UserStatus) -> bool {
    s.status != UserStatusKind::None
}

/// The learner's status, or the flow (the slot). The flow only when `verify` and the learner
/// may verify now (`can_verify`, the rule every submit door enforces; on the `entry` page,
/// only before their first attempt): a pending or approved learner sees the status, which
/// then offers no way to submit again. Read once, so the flow's own submission does not take
/// the learner off its last panel.
#[component]
pub fn StatusOrFlow(verify: bool, entry: bool) -> impl IntoView {
    let status = rpc::verification_status();
    move || match status.get() {
        None => loading(),
        Some(Ok(s)) if !shows_flow(&s, verify, entry) => view! { <StatusView status=s/> }.into_any(),
        Some(Ok(_)) => view! { <IdVerificationSlot/> }.into_any(),
        Some(Err(e)) => error_box(e.message),
    }
}

/// Whether [`StatusOrFlow`] shows the flow rather than the status.
pub fn shows_flow(s: &crate::domain::UserStatus, verify: bool, entry: bool) -> bool {
    verify && s.can_verify && !(entry && shows_status(s))
}

/// A flow panel (`/id-verification/summary`, `/id-verification/reverify`, …): the flow when
/// the learner may verify now (after a denial, or early when the approval expires soon),
/// else their status.
#[component]
fn FlowPage() -> impl IntoView {
    view! { <SignedIn><StatusOrFlow verify=true entry=false/></SignedIn> }
}

/// Shows `children` to a signed-in learner, the sign-in panel otherwise.
#[component]
fn SignedIn(children: ChildrenFn) -> impl IntoView {
    let session = rpc::session_info();
    move || match session.get() {
        None => loading(),
        Some(Ok(info)) if info.user.is_none() => view! { <SignIn dev_login=info.dev_login/> }.into_any(),
        Some(Ok(_)) => children().into_any(),
        Some(Err(e)) => error_box(e.message),
    }
}

/// What a page shows while it waits for the server.
pub fn loading() -> AnyView {
    view! { <p class="notice">{t().loading}</p> }.into_any()
}

/// An error message, announced to assistive technology.
pub fn error_box(message: String) -> AnyView {
    view! { <p class="error" role="alert">{message}</p> }.into_any()
}

#[cfg(test)]
mod tests {
    use crate::domain::{UserStatus, UserStatusKind};

    #[test]
    fn pages_by_path() {
        use super::Page;
        assert_eq!(Page::of("/id-verification"), Page::Entry);
        assert_eq!(Page::of("/id-verification/status"), Page::Status);
        assert_eq!(Page::of("/id-verification/summary"), Page::Flow);
        assert_eq!(Page::of("/id-verification/reverify"), Page::Flow);
        assert_eq!(Page::of("/id-verification/a/b"), Page::NotFound);
        assert_eq!(Page::of("/id-verificationx"), Page::NotFound);
        assert_eq!(Page::of("/elsewhere"), Page::NotFound);
    }

    #[test]
    fn the_flow_only_for_a_learner_who_may_verify_now() {
        use super::shows_flow;
        let with = |status, can_verify| UserStatus { status, can_verify, ..UserStatus::none() };
        // Flow pages (reverify included): pending or approved and not expiring soon → status.
        assert!(!shows_flow(&with(UserStatusKind::Pending, false), true, false));
        assert!(!shows_flow(&with(UserStatusKind::Approved, false), true, false));
        assert!(shows_flow(&with(UserStatusKind::Approved, true), true, false), "expiring soon");
        assert!(shows_flow(&with(UserStatusKind::MustReverify, true), true, false));
        // A course flow with nothing to verify (paid and verified) shows the status.
        assert!(!shows_flow(&with(UserStatusKind::None, true), false, false));
        // The entry page: the flow only before the first attempt.
        assert!(shows_flow(&with(UserStatusKind::None, true), true, true));
        assert!(!shows_flow(&with(UserStatusKind::Expired, true), true, true));
    }

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
