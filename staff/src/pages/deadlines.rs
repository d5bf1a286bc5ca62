//! `/staff/deadlines`: look up a course's verification deadline, change or remove it (UTC),
//! and see every change with who made it.

use super::{Notice, NoticeLine, PageTitle, act, load_error};
use crate::{
    api,
    format::{local_input_to_rfc3339, rfc3339_to_local_input, segment, show_opt, show_time},
};
use leptos::{ev::SubmitEvent, prelude::*};
use rest_types::{DeadlineBody, DeadlineChangeBody, Paginated};
use serde::de::DeserializeOwned;
use serde_json::json;

/// The deadlines page.
#[component]
pub fn DeadlinesPage() -> impl IntoView {
    let course_input = RwSignal::new(String::new());
    let course = RwSignal::new(None::<String>);
    let refresh = RwSignal::new(0u32);
    let notice: Notice = RwSignal::new(None);
    let new_deadline = RwSignal::new(String::new());
    fn load<T: DeserializeOwned + 'static>(
        course: RwSignal<Option<String>>,
        refresh: RwSignal<u32>,
        suffix: &'static str,
    ) -> LocalResource<Option<Result<T, api::ApiError>>> {
        LocalResource::new(move || {
            let path = course.get().map(|c| format!("/api/v1/courses/{}/deadline{suffix}", segment(&c)));
            let _ = refresh.get();
            async move {
                match path {
                    Some(p) => Some(api::get_as::<T>(&p).await),
                    None => None,
                }
            }
        })
    }
    let current = load::<DeadlineBody>(course, refresh, "");
    let history = load::<Paginated<DeadlineChangeBody>>(course, refresh, "/history?page_size=100");

    let look_up = move |ev: SubmitEvent| {
        ev.prevent_default();
        let key = course_input.get_untracked().trim().to_owned();
        notice.set(None);
        course.set((!key.is_empty()).then_some(key));
    };
    let put = move |deadline: Option<String>| {
        let Some(key) = course.get_untracked() else { return };
        let path = format!("/api/v1/courses/{}/deadline", segment(&key));
        // The request stays JSON: the server reads `deadline` as a time (its own type).
        let body = json!({ "deadline": deadline, "deadline_is_explicit": true });
        act(notice, refresh, async move { api::send_as::<DeadlineBody>("PUT", &path, &body).await }, move |v| match v
            .deadline
            .as_deref()
        {
            Some(d) => format!("The deadline of {key} is now {}.", show_time(d)),
            None => format!("{key} has no deadline now."),
        });
    };
    let save = move |ev: SubmitEvent| {
        ev.prevent_default();
        match local_input_to_rfc3339(&new_deadline.get_untracked()) {
            Some(d) => put(Some(d)),
            None => notice.set(Some((false, "Enter a date and time for the new deadline.".to_owned()))),
        }
    };

    let current_view = move || {
        current.get().flatten().map(|r| match r {
            Ok(v) => {
                if let Some(d) = v.deadline.as_deref() {
                    new_deadline.set(rfc3339_to_local_input(d));
                }
                view! { <p>"Current deadline: " <strong id="current-deadline">{show_opt(v.deadline.as_deref())}</strong></p> }
                    .into_any()
            }
            Err(e) => load_error(e),
        })
    };
    let history_view = move || {
        history.get().flatten().map(|r| match r {
            Ok(v) if v.results.is_empty() => view! { <p>"No changes yet."</p> }.into_any(),
            Ok(v) => view! {
                <ol class="history" id="deadline-history">
                    {v.results
                        .into_iter()
                        .map(|c| view! {
                            <li>
                                {match c.deadline.as_deref() {
                                    Some(d) => format!("Set to {}", show_time(d)),
                                    None => "Removed".to_owned(),
                                }}
                                " by " {c.changed_by} " on " {show_time(&c.changed_at)}
                                {(!c.deadline_is_explicit).then_some(" (from the course end)")}
                            </li>
                        })
                        .collect_view()}
                </ol>
            }
            .into_any(),
            Err(e) => load_error(e),
        })
    };
    view! {
        <PageTitle>"Course deadlines"</PageTitle>
        <form class="card" on:submit=look_up>
            <label for="course-key">"Course key"</label>
            <input id="course-key" autocomplete="off" placeholder="course-v1:edX+DemoX+2024" bind:value=course_input/>
            <button type="submit" class="primary">"Look up"</button>
        </form>
        <NoticeLine notice=notice/>
        {move || course.get().map(|key| view! {
            <section class="card" aria-labelledby="deadline-h">
                <h2 id="deadline-h">"Verification deadline of " {key}</h2>
                <Transition fallback=|| view! { <p>"Loading…"</p> }>{current_view}</Transition>
                <form on:submit=save>
                    <label for="new-deadline">"New deadline (UTC)"</label>
                    <input id="new-deadline" type="datetime-local" required bind:value=new_deadline/>
                    <div class="actions">
                        <button type="submit" class="primary">"Save deadline"</button>
                        <button type="button" on:click=move |_| put(None)>"Remove the deadline"</button>
                    </div>
                </form>
            </section>
            <section class="card" aria-labelledby="deadline-history-h">
                <h2 id="deadline-history-h">"History, newest first"</h2>
                <Transition fallback=|| view! { <p>"Loading…"</p> }>{history_view}</Transition>
            </section>
        })}
    }
}
