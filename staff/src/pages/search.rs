//! `/staff`: find a learner by the start of their username or email.

use super::PageTitle;
use crate::{api, format::segment};
use leptos::{ev::SubmitEvent, prelude::*};
use rest_types::{Me, Paginated};

/// The search page.
#[component]
pub fn SearchPage() -> impl IntoView {
    let query = RwSignal::new(String::new());
    let found = RwSignal::new(None::<Result<Paginated<Me>, String>>);
    let submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        let q = query.get_untracked();
        leptos::task::spawn_local(async move {
            let r = api::get_as(&format!("/api/v1/users?search={}&page_size=50", segment(q.trim()))).await;
            found.set(Some(r.map_err(|e| e.message)));
        });
    };
    let summary = move || {
        found.get().map(|r| match r {
            Ok(v) => {
                let (count, shown) = (v.count, v.results.len());
                match count {
                    0 => "No learner found.".to_owned(),
                    1 => "1 learner found.".to_owned(),
                    n if n > shown => format!("{n} learners found; the first {shown} are shown. Type more to narrow."),
                    n => format!("{n} learners found."),
                }
            }
            Err(m) => m,
        })
    };
    let list = move || {
        found.get().and_then(Result::ok).map(|v| {
            v.results
                .into_iter()
                .map(|u| {
                    let href = format!("/staff/learners/{}", segment(&u.username));
                    let staff = u.is_staff.then_some(" (staff)");
                    view! {
                        <li>
                            <a href=href>{u.username}</a>
                            " — " {u.full_name} " · " {u.email} {staff}
                        </li>
                    }
                })
                .collect_view()
        })
    };
    view! {
        <PageTitle>"Find a learner"</PageTitle>
        <form role="search" class="card" on:submit=submit>
            <label for="learner-search">"Username or email starts with"</label>
            <input id="learner-search" type="search" autocomplete="off" bind:value=query/>
            <button type="submit" class="primary">"Search"</button>
        </form>
        <p class="live" role="status" aria-live="polite">{summary}</p>
        <ul class="items" aria-label="Learners found">{list}</ul>
    }
}
