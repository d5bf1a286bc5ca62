//! One photo of the attempt under review, with zoom and rotate controls. The steps are CSS
//! classes (the console's Content Security Policy allows no inline style): the zoom sizes a
//! canvas inside a scrolling frame, so a zoomed photo can be panned with the mouse, touch or
//! the arrow keys; the rotation turns the photo inside that canvas, fitted to it.

use leptos::prelude::*;

/// Zoom steps, as percentages of the frame (classes `z0`…`z3` in staff.css).
const ZOOMS: [u32; 4] = [100, 150, 200, 300];

/// A photo with its controls. `what` names it in every label ("face photo").
#[component]
pub fn ReviewPhoto(what: &'static str, src: String, id: &'static str) -> impl IntoView {
    let zoom = RwSignal::new(0usize);
    let turns = RwSignal::new(0u32);
    let zoom_class = move || format!("photo-canvas z{}", zoom.get());
    let turn_class = move || format!("r{}", turns.get());
    let zoom_text = move || format!("{} %", ZOOMS[zoom.get()]);
    let capital = {
        let mut c = what.to_owned();
        if let Some(f) = c.get_mut(..1) {
            f.make_ascii_uppercase();
        }
        c
    };
    view! {
        <figure class="review-photo">
            <figcaption>{capital.clone()}</figcaption>
            // Focusable, so a keyboard can scroll a zoomed photo.
            <div class="photo-frame" tabindex="0" role="group" aria-label=format!("{capital}, scroll to pan")>
                <div class=zoom_class>
                    <img id=id src=src alt=format!("The learner's {what}") class=turn_class/>
                </div>
            </div>
            <div class="photo-tools" role="group" aria-label=format!("{capital} controls")>
                <button type="button" aria-label=format!("Zoom out of the {what}")
                    disabled=move || zoom.get() == 0 on:click=move |_| zoom.update(|z| *z = z.saturating_sub(1))>
                    "−"
                </button>
                <span class="zoom-level">{zoom_text}</span>
                <button type="button" aria-label=format!("Zoom in on the {what}")
                    disabled=move || zoom.get() + 1 == ZOOMS.len()
                    on:click=move |_| zoom.update(|z| *z = (*z + 1).min(ZOOMS.len() - 1))>
                    "+"
                </button>
                <button type="button" aria-label=format!("Rotate the {what} a quarter turn")
                    on:click=move |_| turns.update(|t| *t = (*t + 1) % 4)>
                    "Rotate"
                </button>
                <button type="button" aria-label=format!("Reset the {what}")
                    on:click=move |_| { zoom.set(0); turns.set(0); }>
                    "Reset"
                </button>
            </div>
        </figure>
    }
}
