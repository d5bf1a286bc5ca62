//! What a reviewer looks at for the claimed attempt (`GET /api/v1/reviews/{receipt_id}`):
//! who it is, the two names, the two photos side by side, the second-look banner, whether
//! the ID photo was reused from an earlier attempt, and the learner's earlier decisions.

use super::review_photo::ReviewPhoto;
use crate::format::{names_differ, reason_category, show_opt_time, status_label, text};
use leptos::prelude::*;
use serde_json::Value;

/// `[{category, reason}]` as "ID photo: Photo hidden/No photo; …".
fn reasons_line(reasons: &Value) -> String {
    reasons
        .as_array()
        .map(|rs| {
            rs.iter()
                .map(|r| format!("{}: {}", reason_category(&text(r, "category")), text(r, "reason")))
                .collect::<Vec<_>>()
                .join("; ")
        })
        .unwrap_or_default()
}

/// The claimed attempt. Its heading takes the focus when it appears, so a screen reader
/// starts reading the new attempt.
#[component]
pub fn ReviewedAttempt(details: Value) -> impl IntoView {
    let h2 = NodeRef::<leptos::html::H2>::new();
    Effect::new(move |_| {
        if let Some(el) = h2.get() {
            let _ = el.focus();
        }
    });
    let username = text(&details, "username");
    let account = text(&details, "account_name");
    let expected = text(&details, "expected_name");
    let differ = names_differ(&account, &expected);
    let second = details["awaiting_second_review"].as_object().map(|_| {
        let s = &details["awaiting_second_review"];
        let note = text(s, "note");
        view! {
            <div class="banner" id="second-look" role="note" aria-label="Second look">
                <strong>"Second look. "</strong>
                {format!("{} denied this attempt: {}.", text(s, "first_reviewer"), reasons_line(&s["reasons"]))}
                {(!note.is_empty()).then(|| format!(" Their note: “{note}”."))}
                " A denial is final only when you confirm it; approving makes it final at once."
            </div>
        }
    });
    let reused = (details["id_photo_reused"].as_bool() == Some(true)).then(|| {
        view! {
            <p class="banner" id="id-reused" role="note">
                "ID photo reused: this ID photo was taken for an earlier attempt of this learner."
            </p>
        }
    });
    let history: Vec<Value> = details["history"].as_array().cloned().unwrap_or_default();
    let history_view = if history.is_empty() {
        view! { <p>"No earlier attempts."</p> }.into_any()
    } else {
        view! {
            <ol class="history" id="review-history">
                {history
                    .into_iter()
                    .map(|h| {
                        let by = text(&h, "decided_by");
                        let reasons = reasons_line(&h["reasons"]);
                        view! {
                            <li>
                                {show_opt_time(&h["created_at"])} ": " {status_label(&text(&h, "status"))}
                                {(!by.is_empty()).then(|| format!(" by {by}"))}
                                {h["decided_at"].as_str().map(|_| format!(" on {}", show_opt_time(&h["decided_at"])))}
                                {(!reasons.is_empty()).then(|| format!(" — {reasons}"))}
                            </li>
                        }
                    })
                    .collect_view()}
            </ol>
        }
        .into_any()
    };
    view! {
        <h2 id="attempt-h" tabindex="-1" node_ref=h2>"Attempt of " {username.clone()}</h2>
        <p class="notice">
            "Receipt " <code>{text(&details, "receipt_id")}</code> ", submitted "
            {show_opt_time(&details["submitted_at"])} ". Yours until " {show_opt_time(&details["claimed_until"])} "."
        </p>
        {second}
        {reused}
        <dl class="facts names" class:differ=differ>
            <dt>"Name on the account"</dt>
            <dd id="account-name">{account}</dd>
            <dt>"Name the learner typed (expected on the ID)"</dt>
            <dd id="expected-name">{expected}</dd>
        </dl>
        {differ.then(|| view! { <p class="mismatch" id="names-differ">"The two names differ: check the name on the ID."</p> })}
        <div class="review-photos">
            <ReviewPhoto what="face photo" id="face-photo" src=text(&details["photos"], "face")/>
            <ReviewPhoto what="ID photo" id="id-photo" src=text(&details["photos"], "photo_id")/>
        </div>
        <h3>"Earlier attempts and decisions"</h3>
        {history_view}
    }
}
