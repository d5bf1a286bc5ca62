//! The review queue's figures (`GET /api/v1/reviews/stats`): a one-line counter for the
//! Review page and a card of every figure for the Operations page.

use super::load_error;
use crate::{api, format::duration_of};
use leptos::prelude::*;
use rest_types::ReviewStatsBody;

/// The queue's figures, read again whenever `refresh` changes.
pub fn stats(refresh: RwSignal<u32>) -> LocalResource<Result<ReviewStatsBody, api::ApiError>> {
    LocalResource::new(move || {
        let _ = refresh.get();
        api::get_as("/api/v1/reviews/stats")
    })
}

/// Seconds of a figure for people.
fn secs(s: Option<i64>) -> String {
    duration_of(s.map(|s| s as f64))
}

/// "3 in the queue (1 claimed); the oldest has waited 4 min 10 s." for the Review page (a live region: a reviewer
/// hears the queue move after each action).
#[component]
pub fn QueueCounter(refresh: RwSignal<u32>) -> impl IntoView {
    let figures = stats(refresh);
    let line = move || {
        figures.get().map(|r| match r {
            Ok(s) => {
                let text = match s.size {
                    0 => "The queue is empty.".to_owned(),
                    n => format!(
                        "{n} in the queue ({} claimed); the oldest has waited {}.",
                        s.claimed,
                        secs(Some(s.oldest_age_secs))
                    ),
                };
                view! { <span>{text}</span> }.into_any()
            }
            Err(e) => view! { <span class="error">{e.message}</span> }.into_any(),
        })
    };
    // Inside a Transition: a resource read outside one would hold the whole page back (the
    // console's Suspense), and the page title could not take the focus.
    view! {
        <p id="queue-counter" class="queue-counter" aria-live="polite">
            <Transition fallback=|| "Reading the queue…">{line}</Transition>
        </p>
    }
}

/// The queue's figures as a card of the Operations page.
#[component]
pub fn QueueCard() -> impl IntoView {
    let figures = stats(RwSignal::new(0));
    let facts = move || {
        figures.get().map(|r| match r {
            Ok(s) => view! {
                <dl class="facts" id="review-figures">
                    <dt>"In the queue"</dt><dd>{s.size}</dd>
                    // An empty queue has no oldest item (the server then says 0).
                    <dt>"Oldest waiting for"</dt>
                    <dd>{if s.size == 0 { "—".to_owned() } else { secs(Some(s.oldest_age_secs)) }}</dd>
                    <dt>"Claimed now"</dt><dd>{s.claimed}</dd>
                    <dt>"Decided in the last 24 hours"</dt><dd>{s.decided_last_24h}</dd>
                    <dt>"Time to decision, median (p50)"</dt><dd>{secs(s.time_to_decision_p50_secs)}</dd>
                    <dt>"Time to decision, p95"</dt><dd>{secs(s.time_to_decision_p95_secs)}</dd>
                </dl>
            }
            .into_any(),
            Err(e) => load_error(e),
        })
    };
    view! {
        <section class="card" aria-labelledby="review-queue-h">
            <h2 id="review-queue-h">"Review queue"</h2>
            <Transition fallback=|| view! { <p>"Loading…"</p> }>{facts}</Transition>
        </section>
    }
}
