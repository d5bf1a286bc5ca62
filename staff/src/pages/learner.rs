//! `/staff/learners/{username}`: a learner's status, every attempt with its audit history,
//! the verified-name history, and the staff actions (manual verification, revoke, retry).

use super::{Notice, NoticeLine, PageTitle, act, load_error};
use crate::{
    api,
    format::{segment, show_opt, show_time, status_label},
};
use leptos::{ev::SubmitEvent, prelude::*};
use leptos_router::hooks::use_params_map;
use rest_types::{
    AttemptBody, Created, ManualVerificationRequest, NameChangeBody, Paginated, ReasonRequest, RetryBody, StatusBody,
    TransitionBody,
};
use serde::de::DeserializeOwned;
use serde_json::json;

/// The learner page.
#[component]
pub fn LearnerPage() -> impl IntoView {
    let params = use_params_map();
    let username = Memo::new(move |_| params.read().get("username").unwrap_or_default());
    // Bumped after every action: the status, attempts and names are read again.
    let refresh = RwSignal::new(0u32);
    let notice: Notice = RwSignal::new(None);
    fn load<T: DeserializeOwned + 'static>(
        username: Memo<String>,
        refresh: RwSignal<u32>,
        what: &'static str,
    ) -> LocalResource<Result<T, api::ApiError>> {
        LocalResource::new(move || {
            let path = format!("/api/v1/users/{}/{what}", segment(&username.get()));
            let _ = refresh.get();
            async move { api::get_as::<T>(&path).await }
        })
    }
    let status = load::<StatusBody>(username, refresh, "status");
    let attempts = load::<Paginated<AttemptBody>>(username, refresh, "attempts?page_size=100");
    let names = load::<Paginated<NameChangeBody>>(username, refresh, "verified-names?page_size=100");

    let status_view = move || {
        status.get().map(|r| match r {
            Ok(s) => {
                let st = s.status;
                let error = s.error;
                view! {
                    <dl class="facts">
                        <dt>"Status"</dt>
                        <dd id="learner-status" class=format!("status-{st}")>{status_label(&st)}</dd>
                        <dt>"Expires"</dt>
                        <dd>{show_opt(s.expires.as_deref())}</dd>
                        <dt>"May verify now"</dt>
                        <dd>{if s.can_verify { "Yes" } else { "No" }}</dd>
                        {(!error.is_empty()).then(|| view! { <dt>"Why"</dt><dd>{error}</dd> })}
                    </dl>
                }
                .into_any()
            }
            Err(e) => load_error(e),
        })
    };
    let attempts_view = move || {
        attempts.get().map(|r| match r {
            Ok(v) if v.results.is_empty() => view! { <p>"No attempts."</p> }.into_any(),
            Ok(v) => view! {
                <ul class="items">
                    {v.results.into_iter().map(|a| view! { <Attempt attempt=a refresh=refresh notice=notice/> }).collect_view()}
                </ul>
            }
            .into_any(),
            Err(e) => load_error(e),
        })
    };
    let names_view = move || {
        names.get().map(|r| match r {
            Ok(v) if v.results.is_empty() => view! { <p>"No verified names."</p> }.into_any(),
            Ok(v) => view! {
                <ol class="history">
                    {v.results
                        .into_iter()
                        .map(|n| view! {
                            <li>
                                {show_time(&n.at)} ": “" {n.verified_name} "” "
                                {status_label(&n.status)} " (" {n.cause} ")"
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
        <PageTitle>"Learner " {move || username.get()}</PageTitle>
        <p><a href="/staff">"Back to the search"</a></p>
        <NoticeLine notice=notice/>
        <section class="card" aria-labelledby="status-h">
            <h2 id="status-h">"Verification status"</h2>
            <Transition fallback=|| view! { <p>"Loading…"</p> }>{status_view}</Transition>
        </section>
        <ManualVerification username=username refresh=refresh notice=notice/>
        <section class="card" aria-labelledby="attempts-h">
            <h2 id="attempts-h">"Attempts"</h2>
            <Transition fallback=|| view! { <p>"Loading…"</p> }>{attempts_view}</Transition>
        </section>
        <section class="card" aria-labelledby="names-h">
            <h2 id="names-h">"Verified-name history"</h2>
            <Transition fallback=|| view! { <p>"Loading…"</p> }>{names_view}</Transition>
        </section>
    }
}

/// Creates a manual verification with a reason (and optionally the name verified).
#[component]
fn ManualVerification(username: Memo<String>, refresh: RwSignal<u32>, notice: Notice) -> impl IntoView {
    let reason = RwSignal::new(String::new());
    let name = RwSignal::new(String::new());
    let submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        let n = name.get_untracked();
        let body = ManualVerificationRequest {
            reason: reason.get_untracked(),
            name: Some(n.trim().to_owned()).filter(|n| !n.is_empty()),
        };
        let u = username.get_untracked();
        let path = format!("/api/v1/users/{}/manual-verifications", segment(&u));
        act(notice, refresh, async move { api::send_as::<Created>("POST", &path, &body).await }, move |v| {
            reason.set(String::new());
            name.set(String::new());
            format!("Manual verification {} created for {u}.", v.id)
        });
    };
    view! {
        <section class="card" aria-labelledby="manual-h">
            <h2 id="manual-h">"Verify by hand"</h2>
            <form on:submit=submit>
                <label for="manual-reason">"Reason (required; kept in the audit history)"</label>
                <input id="manual-reason" required autocomplete="off" bind:value=reason/>
                <label for="manual-name">"Verified name (optional; the account's name if empty)"</label>
                <input id="manual-name" autocomplete="off" bind:value=name/>
                <button type="submit" class="primary">"Create manual verification"</button>
            </form>
        </section>
    }
}

/// One attempt: its facts, the actions that apply, and its audit history on demand.
#[component]
fn Attempt(attempt: AttemptBody, refresh: RwSignal<u32>, notice: Notice) -> impl IntoView {
    let AttemptBody { kind, id, status, uuid, receipt_id, message, name, created_at, expiration_datetime, .. } =
        attempt;
    // Photo attempts: the vendor-facing receipt id, the id the decrypt endpoints look up.
    let receipt_id = receipt_id.unwrap_or_default();
    let open = RwSignal::new(false);
    let history = RwSignal::new(None::<Result<Vec<TransitionBody>, String>>);
    let history_id = format!("history-{kind}-{id}");
    let toggle = {
        let kind = kind.clone();
        move |_: leptos::ev::MouseEvent| {
            let now = !open.get_untracked();
            open.set(now);
            if now {
                // Read afresh each time it opens: staff actions add entries.
                let path = format!("/api/v1/attempts/{kind}/{id}/history?page_size=100");
                leptos::task::spawn_local(async move {
                    let page = api::get_as::<Paginated<TransitionBody>>(&path).await;
                    history.set(Some(page.map(|p| p.results).map_err(|e| e.message)));
                });
            }
        }
    };
    let history_view = move || {
        history.get().map(|r| match r {
            Ok(items) => view! {
                <ol class="history">
                    {items
                        .into_iter()
                        .map(|t| {
                            let from = match t.from.as_deref() {
                                None | Some("") => "created".to_owned(),
                                Some(f) => status_label(f),
                            };
                            view! {
                                <li>
                                    {show_time(&t.at)} ": " {from} " → " {status_label(&t.to)}
                                    " by " {t.actor_kind} " " {t.actor_id}
                                    {(!t.reason.is_empty()).then(|| format!(" — {}", t.reason))}
                                </li>
                            }
                        })
                        .collect_view()}
                </ol>
            }
            .into_any(),
            Err(m) => view! { <p class="error">{m}</p> }.into_any(),
        })
    };
    let retry = (kind == "photo" && status == "must_retry").then(|| {
        let on_click = move |_: leptos::ev::MouseEvent| {
            let path = format!("/api/v1/attempts/photo/{id}/retry");
            act(notice, refresh, async move { api::send_as::<RetryBody>("POST", &path, &json!({})).await }, move |v| {
                format!("Photo attempt {id}: {} submission(s) queued, {} skipped.", v.queued, v.skipped)
            });
        };
        view! { <button type="button" on:click=on_click>"Retry the submission"</button> }
    });
    let photos = (kind == "photo" && !receipt_id.is_empty()).then(|| {
        let face = format!("/verify_student/decrypt-idv-images/face/{}", segment(&receipt_id));
        let id_photo = format!("/verify_student/decrypt-idv-images/photo-id/{}", segment(&receipt_id));
        // rel=external: a full page load of the image, not a route of the console.
        view! {
            <a href=face rel="external">"Face photo"</a>
            <a href=id_photo rel="external">"ID photo"</a>
        }
    });
    let revoke =
        (kind == "manual" && status == "approved").then(|| view! { <Revoke id=id refresh=refresh notice=notice/> });
    view! {
        <li>
            <h3>{format!("{} attempt {id}", status_label(&kind))}</h3>
            <dl class="facts">
                <dt>"Status"</dt>
                <dd class=format!("status-{status}")>{status_label(&status)}</dd>
                <dt>"Name"</dt>
                <dd>{name}</dd>
                <dt>"Created"</dt>
                <dd>{show_opt(Some(&created_at))}</dd>
                <dt>"Expires"</dt>
                <dd>{show_opt(expiration_datetime.as_deref())}</dd>
                <dt>"Attempt id"</dt>
                <dd><code>{uuid.clone()}</code></dd>
                {(!receipt_id.is_empty()).then(|| view! { <dt>"Receipt"</dt><dd><code>{receipt_id.clone()}</code></dd> })}
                {(!message.is_empty()).then(|| view! { <dt>"Message"</dt><dd>{message}</dd> })}
            </dl>
            <div class="actions">
                <button type="button" aria-expanded=move || open.get().to_string() aria-controls=history_id.clone()
                    on:click=toggle>
                    {move || if open.get() { "Hide history" } else { "Show history" }}
                </button>
                {retry}
                {photos}
            </div>
            {revoke}
            <div id=history_id hidden=move || !open.get()>
                <h4 class="notice">"Audit history"</h4>
                {history_view}
            </div>
        </li>
    }
}

/// Revokes an approved manual verification, with a reason.
#[component]
fn Revoke(id: i64, refresh: RwSignal<u32>, notice: Notice) -> impl IntoView {
    let reason = RwSignal::new(String::new());
    let input_id = format!("revoke-reason-{id}");
    let submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        let body = ReasonRequest { reason: reason.get_untracked() };
        let path = format!("/api/v1/manual-verifications/{id}/revoke");
        act(notice, refresh, async move { api::send_only("POST", &path, &body).await }, move |()| {
            format!("Manual verification {id} revoked.")
        });
    };
    view! {
        <form class="inline-form" on:submit=submit>
            <label for=input_id.clone()>"Reason for revoking"</label>
            <input id=input_id required autocomplete="off" bind:value=reason/>
            <button type="submit">"Revoke"</button>
        </form>
    }
}
