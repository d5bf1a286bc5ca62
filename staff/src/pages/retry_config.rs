//! The retry configuration on the operations page (Open edX's `SSPVerificationRetryConfig`,
//! set in Django admin there): the arguments `vouch retry-failed --args-from-database` runs
//! with, who set them and when, and a form to change them. The server checks the arguments
//! as the command reads them and says what is wrong.

use super::{Notice, NoticeLine, act, load_error};
use crate::{api, format::show_opt};
use leptos::{ev::SubmitEvent, prelude::*};
use rest_types::{RetryConfigBody, SetRetryConfigRequest};

/// The retry configuration card.
#[component]
pub fn RetryConfigCard() -> impl IntoView {
    let refresh = RwSignal::new(0u32);
    let notice: Notice = RwSignal::new(None);
    let current = LocalResource::new(move || {
        let _ = refresh.get();
        api::get_as::<RetryConfigBody>("/api/v1/retry-config")
    });
    let (arguments, enabled) = (RwSignal::new(String::new()), RwSignal::new(true));
    let save = move |ev: SubmitEvent| {
        ev.prevent_default();
        let body = SetRetryConfigRequest { arguments: arguments.get_untracked(), enabled: enabled.get_untracked() };
        let put = async move { api::send_as::<RetryConfigBody>("PUT", "/api/v1/retry-config", &body).await };
        act(notice, refresh, put, move |v| {
            arguments.set(String::new());
            format!("Retry configuration stored: {}.", v.arguments.unwrap_or_default())
        });
    };
    let shown = move || {
        current.get().map(|r| match r {
            Ok(RetryConfigBody { arguments: None, .. }) => {
                view! { <p>"No retry configuration is stored."</p> }.into_any()
            }
            Ok(v) => view! {
                <dl class="facts">
                    <dt>"Arguments"</dt><dd><code>{v.arguments.unwrap_or_default()}</code></dd>
                    <dt>"In use"</dt><dd>{if v.enabled { "Yes" } else { "No (disabled)" }}</dd>
                    <dt>"Set by"</dt><dd>{v.changed_by.unwrap_or_default()}</dd>
                    <dt>"Set"</dt><dd>{show_opt(v.changed_at.as_deref())}</dd>
                </dl>
            }
            .into_any(),
            Err(e) => load_error(e),
        })
    };
    view! {
        <section class="card" aria-labelledby="retry-config-h">
            <h2 id="retry-config-h">"Retry configuration"</h2>
            <p>"The attempts " <code>"vouch retry-failed --args-from-database"</code> " submits again."</p>
            <NoticeLine notice=notice/>
            <Transition fallback=|| view! { <p>"Loading…"</p> }>{shown}</Transition>
            <form on:submit=save>
                <label for="retry-args">"Arguments"</label>
                <input id="retry-args" required autocomplete="off" placeholder="--verification-ids 12 15"
                    bind:value=arguments/>
                <label>
                    <input type="checkbox" bind:checked=enabled/>
                    " In use"
                </label>
                <button type="submit" class="primary">"Store retry configuration"</button>
            </form>
        </section>
    }
}
