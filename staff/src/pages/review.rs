//! `/staff/review`: the in-house review queue. A reviewer claims the oldest waiting
//! attempt, compares the face with the ID and the names, and approves, denies with Open
//! edX's reasons, or gives the claim back; then the page offers the next one. Every action
//! has a one-key shortcut that never fires while the reviewer types in the note.

use super::{
    Notice, NoticeLine, PageTitle,
    review_attempt::ReviewedAttempt,
    review_queue::QueueCounter,
    review_reasons::{Reason, ReasonPicker},
};
use crate::{api, format::segment};
use leptos::{ev, html, prelude::*};
use rest_types::{ClaimBody, DecisionBody, DecisionRequest, DetailBody, ReviewReason};
use serde_json::json;
use wasm_bindgen::JsCast;

/// What the page is doing: one request at a time.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Step {
    Idle,
    Busy,
}

/// The page's state, shared by the buttons and the keyboard shortcuts.
#[derive(Clone, Copy)]
struct Review {
    /// The claimed attempt's details, while this reviewer holds a claim.
    details: RwSignal<Option<DetailBody>>,
    selected: RwSignal<Vec<Reason>>,
    note: RwSignal<String>,
    step: RwSignal<Step>,
    notice: Notice,
    /// Bumped after every action: the queue counter is read again.
    queue: RwSignal<u32>,
    claim_button: NodeRef<html::Button>,
}

impl Review {
    fn receipt(&self) -> Option<String> {
        self.details.with_untracked(|d| d.as_ref().map(|d| d.receipt_id.clone()))
    }

    /// Runs one request unless another is under way; the counter is read again after it.
    fn run(self, work: impl std::future::Future<Output = ()> + 'static) {
        if self.step.get_untracked() == Step::Busy {
            return;
        }
        self.step.set(Step::Busy);
        leptos::task::spawn_local(async move {
            work.await;
            self.step.set(Step::Idle);
            self.queue.update(|n| *n += 1);
        });
    }

    /// Ends the claim on screen and puts the focus on "Claim next", the next thing to do.
    fn done(self, message: String) {
        self.step.set(Step::Idle);
        self.details.set(None);
        self.selected.set(Vec::new());
        self.note.set(String::new());
        self.notice.set(Some((true, message)));
        // After the button is enabled again on screen (a disabled button takes no focus).
        request_animation_frame(move || {
            if let Some(b) = self.claim_button.get_untracked() {
                let _ = b.focus();
            }
        });
    }

    fn claim(self) {
        if self.details.with_untracked(Option::is_some) {
            self.notice.set(Some((false, "Decide on this attempt or release it first.".to_owned())));
            return;
        }
        self.run(async move {
            // 204 (no body): nothing waits.
            let claimed = api::send_as::<Option<ClaimBody>>("POST", "/api/v1/reviews/claim", &json!({})).await;
            let loaded = match claimed {
                Ok(None) => Ok(None),
                Ok(Some(c)) => {
                    api::get_as::<DetailBody>(&format!("/api/v1/reviews/{}", segment(&c.receipt_id))).await.map(Some)
                }
                Err(e) => Err(e),
            };
            match loaded {
                Ok(None) => self.notice.set(Some((true, "The queue is empty: nothing to review.".to_owned()))),
                Ok(Some(d)) => {
                    // A second look starts from the first reviewer's reasons: confirming the
                    // denial is then one key, changing them is a click.
                    let first: Vec<Reason> = d
                        .awaiting_second_review
                        .as_ref()
                        .map(|s| s.reasons.iter().map(|r| (r.category.clone(), r.reason.clone())).collect())
                        .unwrap_or_default();
                    self.notice.set(Some((true, format!("Claimed the attempt of {}.", d.username))));
                    self.selected.set(first);
                    self.note.set(String::new());
                    self.details.set(Some(d));
                }
                Err(e) => self.notice.set(Some((false, e.message))),
            }
        });
    }

    fn decide(self, approve: bool) {
        let Some(receipt) = self.receipt() else { return };
        let reasons = self.selected.get_untracked();
        if !approve && reasons.is_empty() {
            self.notice.set(Some((false, "Choose at least one reason to deny.".to_owned())));
            return;
        }
        let username = self.details.with_untracked(|d| d.as_ref().map(|d| d.username.clone()).unwrap_or_default());
        let body = DecisionRequest {
            decision: if approve { "approve" } else { "deny" }.to_owned(),
            reasons: if approve {
                Vec::new()
            } else {
                reasons.into_iter().map(|(category, reason)| ReviewReason { category, reason }).collect()
            },
            note: self.note.get_untracked().trim().to_owned(),
        };
        self.run(async move {
            let path = format!("/api/v1/reviews/{}/decision", segment(&receipt));
            match api::send_as::<DecisionBody>("POST", &path, &body).await {
                Ok(v) => self.done(match (approve, v.final_) {
                    (true, _) => format!("Approved: {username} is verified."),
                    (false, true) => format!("Denied: {username} is asked to verify again."),
                    (false, false) => format!("Denial recorded for {username}: a second reviewer must confirm it."),
                }),
                Err(e) => self.notice.set(Some((false, e.message))),
            }
        });
    }

    fn release(self) {
        let Some(receipt) = self.receipt() else { return };
        self.run(async move {
            let path = format!("/api/v1/reviews/{}/release", segment(&receipt));
            match api::send_only("POST", &path, &json!({})).await {
                Ok(_) => self.done("Released: the attempt is back in the queue.".to_owned()),
                Err(e) => self.notice.set(Some((false, e.message))),
            }
        });
    }

    /// The shortcuts: `n` claim next, `a` approve, `d` deny, `r` release. Not while typing
    /// (the note, any text field), not with a modifier, not on a held key.
    fn key(self, e: &ev::KeyboardEvent) {
        if e.ctrl_key() || e.meta_key() || e.alt_key() || e.repeat() || typing(e) {
            return;
        }
        let act = match e.key().as_str() {
            "n" => Self::claim,
            "a" => |r: Self| r.decide(true),
            "d" => |r: Self| r.decide(false),
            "r" => Self::release,
            _ => return,
        };
        e.prevent_default();
        act(self);
    }
}

/// Whether the key goes into a text field (where `a` is a letter, not "approve").
fn typing(e: &ev::KeyboardEvent) -> bool {
    let Some(el) = e.target().and_then(|t| t.dyn_into::<web_sys::HtmlElement>().ok()) else { return false };
    match el.tag_name().as_str() {
        "TEXTAREA" | "SELECT" => true,
        "INPUT" => {
            !matches!(el.get_attribute("type").unwrap_or_default().as_str(), "checkbox" | "radio" | "button" | "submit")
        }
        _ => el.is_content_editable(),
    }
}

/// The Review page.
#[component]
pub fn ReviewPage() -> impl IntoView {
    let review = Review {
        details: RwSignal::new(None),
        selected: RwSignal::new(Vec::new()),
        note: RwSignal::new(String::new()),
        step: RwSignal::new(Step::Idle),
        notice: RwSignal::new(None),
        queue: RwSignal::new(0),
        claim_button: NodeRef::new(),
    };
    let keys = window_event_listener(ev::keydown, move |e| review.key(&e));
    on_cleanup(move || keys.remove());
    let busy = move || review.step.get() == Step::Busy;
    let holding = move || review.details.with(Option::is_some);
    let attempt = move || {
        review.details.get().map(|d| {
            view! {
                <section class="card review" aria-labelledby="attempt-h">
                    <ReviewedAttempt details=d/>
                    <DecisionForm review=review/>
                </section>
            }
        })
    };
    view! {
        <PageTitle>"Review"</PageTitle>
        <section class="card queue-bar" aria-label="Review queue">
            <QueueCounter refresh=review.queue/>
            <button type="button" class="primary" id="claim-next" node_ref=review.claim_button aria-keyshortcuts="n"
                disabled=move || busy() || holding() on:click=move |_| review.claim()>
                "Claim next (n)"
            </button>
        </section>
        <NoticeLine notice=review.notice/>
        {attempt}
        <section class="card" aria-labelledby="keys-h">
            <h2 id="keys-h">"Keyboard shortcuts"</h2>
            <p class="notice">"They work anywhere on this page except while you type in a text field such as the note."</p>
            <dl class="facts keys">
                <dt><kbd>"n"</kbd></dt><dd>"Claim the next attempt"</dd>
                <dt><kbd>"a"</kbd></dt><dd>"Approve"</dd>
                <dt><kbd>"d"</kbd></dt><dd>"Deny with the reasons ticked"</dd>
                <dt><kbd>"r"</kbd></dt><dd>"Release: give the attempt back to the queue"</dd>
            </dl>
        </section>
    }
}

/// The reasons, the note and the three decisions.
#[component]
fn DecisionForm(review: Review) -> impl IntoView {
    let busy = move || review.step.get() == Step::Busy;
    view! {
        <form class="decision" on:submit=|e: ev::SubmitEvent| e.prevent_default()>
            <h3>"Decision"</h3>
            <ReasonPicker selected=review.selected/>
            <label for="review-note">"Note (optional; kept with the decision in the audit history)"</label>
            <textarea id="review-note" rows="2" bind:value=review.note></textarea>
            <div class="actions">
                <button type="button" class="primary" id="approve" aria-keyshortcuts="a" disabled=busy
                    on:click=move |_| review.decide(true)>"Approve (a)"</button>
                <button type="button" class="danger" id="deny" aria-keyshortcuts="d" disabled=busy
                    on:click=move |_| review.decide(false)>"Deny (d)"</button>
                <button type="button" id="release" aria-keyshortcuts="r" disabled=busy
                    on:click=move |_| review.release()>"Release (r)"</button>
            </div>
        </form>
    }
}
