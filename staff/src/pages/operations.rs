//! `/staff/operations`: the review queue's figures, background jobs that failed and webhook
//! deliveries that were dead-lettered, each with a retry button, and the retry configuration.

use super::{Notice, NoticeLine, PageTitle, act, load_error};
use crate::{api, format::show_opt};
use leptos::prelude::*;
use rest_types::{JobBody, Paginated, WebhookDeliveryBody};
use serde_json::json;

/// The operations page.
#[component]
pub fn OperationsPage() -> impl IntoView {
    let refresh = RwSignal::new(0u32);
    let notice: Notice = RwSignal::new(None);
    let jobs = LocalResource::new(move || {
        let _ = refresh.get();
        api::get_as::<Paginated<JobBody>>("/api/v1/jobs?status=failed&page_size=100")
    });
    let deliveries = LocalResource::new(move || {
        let _ = refresh.get();
        api::get_as::<Paginated<WebhookDeliveryBody>>("/api/v1/webhooks/deliveries?status=dead&page_size=100")
    });
    let retry_button = move |label: String, path: String, done: String| {
        let on_click = move |_: leptos::ev::MouseEvent| {
            let (path, done) = (path.clone(), done.clone());
            act(notice, refresh, async move { api::send_only("POST", &path, &json!({})).await }, move |()| done);
        };
        view! { <button type="button" on:click=on_click>{label}</button> }
    };
    fn list<T>(r: Result<Paginated<T>, api::ApiError>, empty: &'static str, item: &dyn Fn(T) -> AnyView) -> AnyView {
        match r {
            Ok(v) if v.results.is_empty() => view! { <p>{empty}</p> }.into_any(),
            Ok(v) => view! { <ul class="items">{v.results.into_iter().map(item).collect_view()}</ul> }.into_any(),
            Err(e) => load_error(e),
        }
    }
    let job = move |j: JobBody| {
        let id = j.id;
        view! {
            <li>
                <h3>{format!("Job {id}: {}", j.kind)}</h3>
                <dl class="facts">
                    <dt>"Tries"</dt><dd>{format!("{} of {}", j.attempts, j.max_attempts)}</dd>
                    <dt>"Last error"</dt><dd>{j.last_error}</dd>
                    <dt>"Failed"</dt><dd>{show_opt(Some(&j.updated_at))}</dd>
                </dl>
                {retry_button(format!("Retry job {id}"), format!("/api/v1/jobs/{id}/retry"), format!("Job {id} queued again."))}
            </li>
        }
        .into_any()
    };
    let delivery = move |d: WebhookDeliveryBody| {
        let id = d.id;
        let code = d.last_status_code.map(|c| c.to_string()).unwrap_or_default();
        view! {
            <li>
                <h3>{format!("Delivery {id}: {}", d.event_type)}</h3>
                <dl class="facts">
                    <dt>"Receiver"</dt><dd>{d.url}</dd>
                    <dt>"Tries"</dt><dd>{d.tries}</dd>
                    <dt>"Last answer"</dt><dd>{code} " " {d.last_error}</dd>
                    <dt>"Last try"</dt><dd>{show_opt(Some(&d.updated_at))}</dd>
                </dl>
                {retry_button(
                    format!("Retry delivery {id}"),
                    format!("/api/v1/webhooks/deliveries/{id}/retry"),
                    format!("Delivery {id} queued again."),
                )}
            </li>
        }
        .into_any()
    };
    view! {
        <PageTitle>"Operations"</PageTitle>
        <NoticeLine notice=notice/>
        <super::review_queue::QueueCard/>
        <section class="card" aria-labelledby="jobs-h">
            <h2 id="jobs-h">"Failed jobs"</h2>
            <Transition fallback=|| view! { <p>"Loading…"</p> }>
                {move || jobs.get().map(|r| list(r, "No failed jobs.", &job))}
            </Transition>
        </section>
        <section class="card" aria-labelledby="webhooks-h">
            <h2 id="webhooks-h">"Dead-lettered webhook deliveries"</h2>
            <Transition fallback=|| view! { <p>"Loading…"</p> }>
                {move || deliveries.get().map(|r| list(r, "No dead-lettered deliveries.", &delivery))}
            </Transition>
        </section>
        <super::retry_config::RetryConfigCard/>
    }
}
