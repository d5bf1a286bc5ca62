//! `/staff/lti`: the LTI consumers (LMSs that launch Vouch): list, add, remove, and Open
//! edX's two opt-ins per consumer (`use_lti_pii`, `require_user_account`). Secrets are
//! written once and never shown again (the API never returns them).

use super::{Notice, NoticeLine, PageTitle, act, load_error};
use crate::{api, format::segment};
use leptos::{ev::SubmitEvent, prelude::*};
use rest_types::{LtiConsumerBody, LtiConsumerUpdate, NewLtiConsumer};

/// The LTI consumers page.
#[component]
pub fn LtiPage() -> impl IntoView {
    let refresh = RwSignal::new(0u32);
    let notice: Notice = RwSignal::new(None);
    let consumers = LocalResource::new(move || {
        let _ = refresh.get();
        api::get_as::<Vec<LtiConsumerBody>>("/api/v1/lti/consumers")
    });
    let (name, key, secret) =
        (RwSignal::new(String::new()), RwSignal::new(String::new()), RwSignal::new(String::new()));
    let (use_pii, require_account) = (RwSignal::new(false), RwSignal::new(false));
    let add = move |ev: SubmitEvent| {
        ev.prevent_default();
        let body = NewLtiConsumer {
            name: name.get_untracked(),
            key: key.get_untracked(),
            secret: secret.get_untracked(),
            use_lti_pii: use_pii.get_untracked(),
            require_user_account: require_account.get_untracked(),
        };
        let post = async move { api::send_as::<LtiConsumerBody>("POST", "/api/v1/lti/consumers", &body).await };
        act(notice, refresh, post, move |v| {
            name.set(String::new());
            key.set(String::new());
            secret.set(String::new());
            use_pii.set(false);
            require_account.set(false);
            format!("Consumer {} added.", v.key)
        });
    };
    // Applies one opt-in's change to consumer `k` (PATCH; the other is left as it is); `field`
    // names it in the notice.
    let toggle = move |k: String, field: &'static str, body: LtiConsumerUpdate, on: bool| {
        let path = format!("/api/v1/lti/consumers/{}", segment(&k));
        act(notice, refresh, async move { api::send_as::<LtiConsumerBody>("PATCH", &path, &body).await }, move |_| {
            format!("Consumer {k}: {field} is now {}.", if on { "on" } else { "off" })
        });
    };
    let pii = |on: bool| LtiConsumerUpdate { use_lti_pii: Some(on), ..Default::default() };
    let account = |on: bool| LtiConsumerUpdate { require_user_account: Some(on), ..Default::default() };
    let remove = move |k: String| {
        let confirmed = web_sys::window()
            .and_then(|w| {
                w.confirm_with_message(&format!("Remove the LTI consumer {k}? Its launches stop working.")).ok()
            })
            .unwrap_or(false);
        if confirmed {
            let path = format!("/api/v1/lti/consumers/{}", segment(&k));
            act(notice, refresh, async move { api::call("DELETE", &path, None).await }, move |_| {
                format!("Consumer {k} removed.")
            });
        }
    };
    let list = move || {
        consumers.get().map(|r| match r {
            Ok(v) if v.is_empty() => view! { <p>"No consumers."</p> }.into_any(),
            Ok(v) => view! {
                <ul class="items">
                    {v
                        .into_iter()
                        .map(|c: LtiConsumerBody| {
                            let k = c.key.clone();
                            let label = format!("Remove consumer {k}");
                            let (k2, k3, k4) = (k.clone(), k.clone(), k.clone());
                            let (on_pii, on_account) = (c.use_lti_pii, c.require_user_account);
                            let onoff = |b: bool| if b { "on" } else { "off" };
                            let pii_label = format!("Turn LTI PII {} for {k}", onoff(!on_pii));
                            let account_label = format!("Turn required LMS account {} for {k}", onoff(!on_account));
                            view! {
                                <li>
                                    <h3>{c.name}</h3>
                                    <p>"Key " <code>{k}</code> " · instance " {c.instance_guid.unwrap_or_default()}</p>
                                    <p>
                                        "Profiles filled from launches (use_lti_pii): " {onoff(on_pii)}
                                        " · LMS account required (require_user_account): " {onoff(on_account)}
                                    </p>
                                    <button type="button" on:click=move |_| toggle(k3.clone(), "use_lti_pii", pii(!on_pii), !on_pii)>
                                        {pii_label}
                                    </button>
                                    <button
                                        type="button"
                                        on:click=move |_| toggle(k4.clone(), "require_user_account", account(!on_account), !on_account)
                                    >
                                        {account_label}
                                    </button>
                                    <button type="button" on:click=move |_| remove(k2.clone())>{label}</button>
                                </li>
                            }
                        })
                        .collect_view()}
                </ul>
            }
            .into_any(),
            Err(e) => load_error(e),
        })
    };
    view! {
        <PageTitle>"LTI consumers"</PageTitle>
        <NoticeLine notice=notice/>
        <section class="card" aria-labelledby="lti-list-h">
            <h2 id="lti-list-h">"Consumers"</h2>
            <Transition fallback=|| view! { <p>"Loading…"</p> }>{list}</Transition>
        </section>
        <section class="card" aria-labelledby="lti-add-h">
            <h2 id="lti-add-h">"Add a consumer"</h2>
            <form on:submit=add>
                <label for="lti-name">"Name"</label>
                <input id="lti-name" required autocomplete="off" bind:value=name/>
                <label for="lti-key">"Consumer key"</label>
                <input id="lti-key" required autocomplete="off" bind:value=key/>
                <label for="lti-secret">"Shared secret"</label>
                <input id="lti-secret" type="password" required autocomplete="new-password" bind:value=secret/>
                <label>
                    <input type="checkbox" bind:checked=use_pii/>
                    " Fill empty learner profiles from launches (use_lti_pii)"
                </label>
                <label>
                    <input type="checkbox" bind:checked=require_account/>
                    " Require an LMS sign-in to link learners (require_user_account)"
                </label>
                <button type="submit" class="primary">"Add consumer"</button>
            </form>
        </section>
    }
}
