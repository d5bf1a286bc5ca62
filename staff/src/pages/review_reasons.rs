//! The denial reasons as checkboxes, one group per Open edX category (`userPhotoReasons`,
//! `photoIdReasons`, `generalReasons`), read from `GET /api/v1/reviews/reasons`.

use super::load_error;
use crate::{api, format::reason_category};
use leptos::prelude::*;
use rest_types::ReasonCodes;

/// The categories, in the order a reviewer looks: face, ID, then the rest.
const CATEGORIES: [&str; 3] = ["userPhotoReasons", "photoIdReasons", "generalReasons"];

/// A chosen reason: `(category, reason)`.
pub type Reason = (String, String);

/// The checkbox groups; `selected` holds what is ticked.
#[component]
pub fn ReasonPicker(selected: RwSignal<Vec<Reason>>) -> impl IntoView {
    let reasons = LocalResource::new(|| api::get_as::<ReasonCodes>("/api/v1/reviews/reasons"));
    let group = move |all: &ReasonCodes, category: &'static str| {
        let items = all.get(category).cloned().unwrap_or_default();
        (!items.is_empty()).then(|| {
            let boxes = items
                .into_iter()
                .enumerate()
                .map(|(i, reason)| {
                    let id = format!("reason-{category}-{i}");
                    let key: Reason = (category.to_owned(), reason.clone());
                    let checked = {
                        let key = key.clone();
                        move || selected.with(|s| s.contains(&key))
                    };
                    let toggle = move |_| {
                        selected.update(|s| match s.iter().position(|k| *k == key) {
                            Some(at) => {
                                s.remove(at);
                            }
                            None => s.push(key.clone()),
                        })
                    };
                    view! {
                        <li class="check">
                            <input type="checkbox" id=id.clone() prop:checked=checked on:change=toggle/>
                            <label for=id>{reason}</label>
                        </li>
                    }
                })
                .collect_view();
            view! {
                <fieldset class="reason-group">
                    <legend>{reason_category(category).to_owned()}</legend>
                    <ul class="checks">{boxes}</ul>
                </fieldset>
            }
        })
    };
    let groups = move || {
        reasons.get().map(|r| match r {
            Ok(all) => CATEGORIES.into_iter().map(|c| group(&all, c)).collect_view().into_any(),
            Err(e) => load_error(e),
        })
    };
    view! {
        <div class="reasons">
            <p class="notice">"Reasons for a denial (at least one; the learner reads them as sentences):"</p>
            <Transition fallback=|| view! { <p>"Loading the reasons…"</p> }>{groups}</Transition>
        </div>
    }
}
