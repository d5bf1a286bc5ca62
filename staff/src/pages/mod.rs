//! The console's pages, behind one gate: staff get every page, reviewers who are not staff
//! only the Review page; anyone else is told why, with a way to sign in.

mod deadlines;
mod learner;
mod lti;
mod operations;
mod retry_config;
mod review;
mod review_attempt;
mod review_photo;
mod review_queue;
mod review_reasons;
mod search;

use crate::api::{self, ApiError};
use leptos::prelude::*;
use leptos_router::{
    components::{Route, Router, Routes},
    hooks::use_location,
    path,
};
use rest_types::Me;

/// The result line of the page's last action: `(succeeded, message)`.
pub type Notice = RwSignal<Option<(bool, String)>>;

/// The whole console.
#[component]
pub fn App() -> impl IntoView {
    let me = LocalResource::new(|| api::get_as::<Me>("/api/v1/me"));
    let body = move || {
        me.get().map(|r| match r {
            Ok(me) if me.is_staff => view! { <Console username=me.username staff=true/> }.into_any(),
            Ok(me) if me.is_reviewer => view! { <Console username=me.username staff=false/> }.into_any(),
            Ok(me) => view! { <NotAllowed username=Some(me.username)/> }.into_any(),
            Err(ApiError { status: 401, .. }) => view! { <NotAllowed username=None/> }.into_any(),
            Err(e) => view! {
                <main id="main" class="container console">
                    <h1 class="page-title">"Staff console"</h1>
                    <p role="alert" class="error">{e.message}</p>
                </main>
            }
            .into_any(),
        })
    };
    view! {
        <Suspense fallback=|| view! { <main id="main" class="container console"><p class="notice">"Loading…"</p></main> }>
            {body}
        </Suspense>
    }
}

/// Signed out (401) or signed in without staff rights (403 on every console call).
#[component]
fn NotAllowed(username: Option<String>) -> impl IntoView {
    let why = match username {
        Some(u) => format!("You are signed in as {u}, who is not staff. The staff console is for staff only."),
        None => "You are not signed in. The staff console is for staff only.".to_owned(),
    };
    view! {
        <header class="topbar"><a class="brand" href="/id-verification">"Vouch"</a></header>
        <main id="main" class="container console">
            <h1 class="page-title">"Staff only"</h1>
            <p role="alert">{why}</p>
            <p>
                <a href="/id-verification">"Sign in with a staff account"</a>
                ", then open the staff console again."
            </p>
        </main>
    }
}

/// The signed-in console: every page for staff (`staff`), only the Review page (also at
/// `/staff`) for a reviewer who is not staff.
#[component]
fn Console(username: String, staff: bool) -> impl IntoView {
    view! {
        <Router>
            <a class="skip" href="#main">"Skip to content"</a>
            <header class="topbar">
                <a class="brand" href="/staff">"Vouch staff"</a>
                <Nav staff=staff/>
                <span class="whoami">"Signed in as " {username}</span>
            </header>
            <main id="main" class="container console" tabindex="-1"><Pages staff=staff/></main>
        </Router>
    }
}

/// The routes (inside the router): all of them for staff, the Review page for reviewers.
#[component]
fn Pages(staff: bool) -> impl IntoView {
    let not_found = || view! { <PageTitle>"Not found"</PageTitle><p>"No such page in the console."</p> };
    if staff {
        view! {
            <Routes fallback=not_found>
                <Route path=path!("/staff") view=search::SearchPage/>
                <Route path=path!("/staff/learners/:username") view=learner::LearnerPage/>
                <Route path=path!("/staff/deadlines") view=deadlines::DeadlinesPage/>
                <Route path=path!("/staff/review") view=review::ReviewPage/>
                <Route path=path!("/staff/operations") view=operations::OperationsPage/>
                <Route path=path!("/staff/lti") view=lti::LtiPage/>
            </Routes>
        }
        .into_any()
    } else {
        view! {
            <Routes fallback=not_found>
                <Route path=path!("/staff") view=review::ReviewPage/>
                <Route path=path!("/staff/review") view=review::ReviewPage/>
            </Routes>
        }
        .into_any()
    }
}

/// The console's sections; the current one is marked for assistive technology.
#[component]
fn Nav(staff: bool) -> impl IntoView {
    let pathname = use_location().pathname;
    let link = move |href: &'static str, label: &'static str| {
        let current = move || {
            let path = pathname.get();
            let here = match href {
                "/staff" => path == href || path.starts_with("/staff/learners"),
                // A reviewer who is not staff has the Review page at /staff too.
                "/staff/review" => path == href || (!staff && path == "/staff"),
                _ => path == href,
            };
            here.then_some("page")
        };
        view! { <li><a href=href aria-current=current>{label}</a></li> }
    };
    let links = if staff {
        view! {
            {link("/staff", "Learners")}
            {link("/staff/deadlines", "Course deadlines")}
            {link("/staff/review", "Review")}
            {link("/staff/operations", "Operations")}
            {link("/staff/lti", "LTI consumers")}
        }
        .into_any()
    } else {
        link("/staff/review", "Review").into_any()
    };
    view! {
        <nav aria-label="Staff console">
            <ul>{links}</ul>
        </nav>
    }
}

/// A page's heading, focused when the page opens so screen readers announce it.
#[component]
pub fn PageTitle(children: Children) -> impl IntoView {
    let h1 = NodeRef::<leptos::html::H1>::new();
    Effect::new(move |_| {
        if let Some(el) = h1.get() {
            let _ = el.focus();
        }
    });
    view! { <h1 class="page-title" tabindex="-1" node_ref=h1>{children()}</h1> }
}

/// The live region announcing the outcome of the page's actions.
#[component]
pub fn NoticeLine(notice: Notice) -> impl IntoView {
    view! {
        <p class="live" role="status" aria-live="polite">
            {move || {
                notice.get().map(|(ok, m)| {
                    let class = if ok { "ok" } else { "error" };
                    view! { <span class=class>{m}</span> }
                })
            }}
        </p>
    }
}

/// A failed load, said in the page.
pub fn load_error(e: ApiError) -> AnyView {
    view! { <p class="error" role="alert">{e.message}</p> }.into_any()
}

/// Runs `call`, then reports its outcome in `notice` (`ok` builds the success message)
/// and bumps `refresh` so the page reads its data again.
pub fn act<T, F>(notice: Notice, refresh: RwSignal<u32>, call: F, ok: impl FnOnce(T) -> String + 'static)
where
    T: 'static,
    F: std::future::Future<Output = Result<T, ApiError>> + 'static,
{
    leptos::task::spawn_local(async move {
        match call.await {
            Ok(v) => {
                notice.set(Some((true, ok(v))));
                refresh.update(|n| *n += 1);
            }
            Err(e) => notice.set(Some((false, e.message))),
        }
    });
}
