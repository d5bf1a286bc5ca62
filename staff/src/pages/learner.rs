//! `/staff/learners/{username}`: a learner's status, every attempt with its audit history,
//! the verified-name history, and the staff actions (manual verification, revoke, retry).

use super::{Notice, NoticeLine, PageTitle, act, load_error};
use crate::{
    api,
    format::{results, segment, show_opt_time, show_time, status_label, text},
};
use leptos::{ev::SubmitEvent, prelude::*};
use leptos_router::hooks::use_params_map;
use serde_json::{Value, json};

/// The learner page.
#[component]
pub fn LearnerPage() -> impl IntoView {
    let params = use_params_map();
    let username = Memo::new(move |_| params.read().get("username").unwrap_or_default());
    // Bumped after every action: the status, attempts and names are read again.
    let refresh = RwSignal::new(0u32);
    let notice: Notice = RwSignal::new(None);
    let load = move |what: &'static str| {
        LocalResource::new(move || {
            let path = format!("/api/v1/users/{}/{what}", segment(&username.get()));
            let _ = refresh.get();
            async move { api::get(&path).await }
        })
    };
    let status = load("status");
    let attempts = load("attempts?page_size=100");
    let names = load("verified-names?page_size=100");

    let status_view = move || {
        status.get().map(|r| match r {
            Ok(s) => {
                let st = text(&s, "status");
                let error = text(&s, "error");
                view! {
                    <dl class="facts">
                        <dt>"Status"</dt>
                        <dd id="learner-status" class=format!("status-{st}")>{status_label(&st)}</dd>
                        <dt>"Expires"</dt>
                        <dd>{show_opt_time(&s["expires"])}</dd>
                        <dt>"May verify now"</dt>
                        <dd>{if s["can_verify"].as_bool() == Some(true) { "Yes" } else { "No" }}</dd>
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
            Ok(v) if results(&v).is_empty() => view! { <p>"No attempts."</p> }.into_any(),
            Ok(v) => view! {
                <ul class="items">
                    {results(&v).into_iter().map(|a| view! { <Attempt attempt=a refresh=refresh notice=notice/> }).collect_view()}
                </ul>
            }
            .into_any(),
            Err(e) => load_error(e),
        })
    };
    let names_view = move || {
        names.get().map(|r| match r {
            Ok(v) if results(&v).is_empty() => view! { <p>"No verified names."</p> }.into_any(),
            Ok(v) => view! {
                <ol class="history">
                    {results(&v)
                        .into_iter()
                        .map(|n| view! {
                            <li>
                                {show_time(&text(&n, "at"))} ": “" {text(&n, "verified_name")} "” "
                                {status_label(&text(&n, "status"))} " (" {text(&n, "cause")} ")"
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
        let mut body = json!({ "reason": reason.get_untracked() });
        let n = name.get_untracked();
        if !n.trim().is_empty() {
            body["name"] = json!(n.trim());
        }
        let u = username.get_untracked();
        let path = format!("/api/v1/users/{}/manual-verifications", segment(&u));
        act(notice, refresh, async move { api::send("POST", &path, body).await }, move |v| {
            reason.set(String::new());
            name.set(String::new());
            format!("Manual verification {} created for {u}.", v["id"])
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
fn Attempt(attempt: Value, refresh: RwSignal<u32>, notice: Notice) -> impl IntoView {
    let kind = text(&attempt, "kind");
    let id = attempt["id"].as_i64().unwrap_or_default();
    let status = text(&attempt, "status");
    let uuid = text(&attempt, "uuid");
    // Photo attempts: the vendor-facing receipt id, the id the decrypt endpoints look up.
    let receipt_id = text(&attempt, "receipt_id");
    let message = text(&attempt, "message");
    let open = RwSignal::new(false);
    let history = RwSignal::new(None::<Result<Vec<Value>, String>>);
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
                    history.set(Some(api::get(&path).await.map(|v| results(&v)).map_err(|e| e.message)));
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
                            let from = match text(&t, "from") {
                                f if f.is_empty() => "created".to_owned(),
                                f => status_label(&f),
                            };
                            view! {
                                <li>
                                    {show_time(&text(&t, "at"))} ": " {from} " → " {status_label(&text(&t, "to"))}
                                    " by " {text(&t, "actor_kind")} " " {text(&t, "actor_id")}
                                    {(!text(&t, "reason").is_empty()).then(|| format!(" — {}", text(&t, "reason")))}
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
            act(notice, refresh, async move { api::send("POST", &path, json!({})).await }, move |v| {
                format!("Photo attempt {id}: {} submission(s) queued, {} skipped.", v["queued"], v["skipped"])
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
                <dd>{text(&attempt, "name")}</dd>
                <dt>"Created"</dt>
                <dd>{show_opt_time(&attempt["created_at"])}</dd>
                <dt>"Expires"</dt>
                <dd>{show_opt_time(&attempt["expiration_datetime"])}</dd>
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
        let body = json!({ "reason": reason.get_untracked() });
        let path = format!("/api/v1/manual-verifications/{id}/revoke");
        act(notice, refresh, async move { api::send("POST", &path, body).await }, move |_| {
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
