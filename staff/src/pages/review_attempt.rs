//! What a reviewer looks at for the claimed attempt (`GET /api/v1/reviews/{receipt_id}`):
//! who it is, the two names, the two photos side by side, the second-look banner, whether
//! the ID photo was reused from an earlier attempt, and the learner's earlier decisions.

use super::review_photo::ReviewPhoto;
use crate::format::{names_differ, reason_category, show_opt, status_label};
use leptos::prelude::*;
use rest_types::{DetailBody, HistoryBody, ReviewReason};

/// `[{category, reason}]` as "ID photo: Photo hidden/No photo; …".
fn reasons_line(reasons: &[ReviewReason]) -> String {
    reasons.iter().map(|r| format!("{}: {}", reason_category(&r.category), r.reason)).collect::<Vec<_>>().join("; ")
}

/// The claimed attempt. Its heading takes the focus when it appears, so a screen reader
/// starts reading the new attempt.
#[component]
pub fn ReviewedAttempt(details: DetailBody) -> impl IntoView {
    let h2 = NodeRef::<leptos::html::H2>::new();
    Effect::new(move |_| {
        if let Some(el) = h2.get() {
            let _ = el.focus();
        }
    });
    let DetailBody {
        receipt_id,
        username,
        account_name: account,
        expected_name: expected,
        submitted_at,
        claimed_until,
        id_photo_reused,
        photos,
        awaiting_second_review,
        history,
        ..
    } = details;
    let differ = names_differ(&account, &expected);
    let second = awaiting_second_review.map(|s| {
        let note = s.note;
        view! {
            <div class="banner" id="second-look" role="note" aria-label="Second look">
                <strong>"Second look. "</strong>
                {format!("{} denied this attempt: {}.", s.first_reviewer, reasons_line(&s.reasons))}
                {(!note.is_empty()).then(|| format!(" Their note: “{note}”."))}
                " A denial is final only when you confirm it; approving makes it final at once."
            </div>
        }
    });
    let reused = id_photo_reused.then(|| {
        view! {
            <p class="banner" id="id-reused" role="note">
                "ID photo reused: this ID photo was taken for an earlier attempt of this learner."
            </p>
        }
    });
    let history_view = if history.is_empty() {
        view! { <p>"No earlier attempts."</p> }.into_any()
    } else {
        view! {
            <ol class="history" id="review-history">
                {history
                    .into_iter()
                    .map(|h: HistoryBody| {
                        let by = h.decided_by.unwrap_or_default();
                        let reasons = reasons_line(&h.reasons);
                        view! {
                            <li>
                                {show_opt(Some(&h.created_at))} ": " {status_label(&h.status)}
                                {(!by.is_empty()).then(|| format!(" by {by}"))}
                                {h.decided_at.as_deref().map(|t| format!(" on {}", show_opt(Some(t))))}
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
        <h2 id="attempt-h" tabindex="-1" node_ref=h2>"Attempt of " {username}</h2>
        <p class="notice">
            "Receipt " <code>{receipt_id}</code> ", submitted "
            {show_opt(submitted_at.as_deref())} ". Yours until " {show_opt(claimed_until.as_deref())} "."
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
            <ReviewPhoto what="face photo" id="face-photo" src=photos.face/>
            <ReviewPhoto what="ID photo" id="id-photo" src=photos.photo_id/>
        </div>
        <h3>"Earlier attempts and decisions"</h3>
        {history_view}
    }
}
