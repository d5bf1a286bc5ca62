//! The flow's panels that take no photo: requirements, camera access and its directions,
//! the two context panels, the name, and the end.

use super::{PanelFrame, state::CameraChoice, steps::Step, use_flow};
use crate::{
    dto::{NameError, validate_full_name},
    i18n::t,
    pages::camera::{self, CameraError},
};
use leptos::{prelude::*, task::spawn_local};

/// What the learner needs.
#[component]
pub fn Requirements() -> impl IntoView {
    let flow = use_flow();
    let s = t();
    view! {
        <PanelFrame heading=s.req_heading>
            <p>{s.req_intro}</p>
            <ul>
                <li>{s.req_camera}</li>
                <li>{s.req_id}</li>
                <li>{s.req_light}</li>
            </ul>
            <p class="notice">{s.req_privacy}</p>
            <div class="actions">
                <button class="primary" id="start" on:click=move |_| flow.finish(Step::ReviewRequirements)>{s.start}</button>
            </div>
        </PanelFrame>
    }
}

/// Asks the browser for the camera once; a refusal leads to the directions, no camera to
/// the unsupported panel.
#[component]
pub fn CameraAccess() -> impl IntoView {
    let flow = use_flow();
    let s = t();
    let asking = RwSignal::new(false);
    let ask = move |_| {
        asking.set(true);
        spawn_local(async move {
            match camera::probe().await {
                Ok(()) => {
                    flow.update(|st| st.camera = CameraChoice::Camera);
                    flow.go(Step::PortraitPhotoContext);
                }
                Err(CameraError::Denied) => flow.go(Step::EnableCamera),
                Err(CameraError::Unavailable) => flow.go(Step::UnsupportedCamera),
            }
        });
    };
    view! {
        <PanelFrame heading=s.access_heading>
            <p>{s.access_text}</p>
            <p class="notice" role="status" aria-live="polite">{move || if asking.get() { s.access_asking } else { "" }}</p>
            <div class="actions">
                <button class="primary" id="enable-camera" on:click=ask disabled=move || asking.get()>{s.access_button}</button>
            </div>
        </PanelFrame>
    }
}

fn upload_instead() -> impl IntoView {
    let flow = use_flow();
    let choose = move |_| {
        flow.update(|st| st.camera = CameraChoice::Upload);
        flow.go(Step::PortraitPhotoContext);
    };
    view! { <button class="primary" id="upload-instead" on:click=choose>{t().upload_instead}</button> }
}

/// Directions when the camera permission was refused.
#[component]
pub fn EnableCamera() -> impl IntoView {
    let flow = use_flow();
    let s = t();
    view! {
        <PanelFrame heading=s.enable_heading>
            <p>{s.enable_text}</p>
            <ul class="directions">
                <li>{s.enable_chrome}</li>
                <li>{s.enable_firefox}</li>
                <li>{s.enable_safari}</li>
                <li>{s.enable_edge}</li>
            </ul>
            <div class="actions">
                <button id="try-again" on:click=move |_| flow.go(Step::RequestCameraAccess)>{s.try_again}</button>
                {upload_instead()}
            </div>
        </PanelFrame>
    }
}

/// Directions when there is no camera.
#[component]
pub fn UnsupportedCamera() -> impl IntoView {
    let s = t();
    view! {
        <PanelFrame heading=s.unsupported_heading>
            <p>{s.unsupported_text}</p>
            <div class="actions">{upload_instead()}</div>
        </PanelFrame>
    }
}

fn context_panel(step: Step, heading: &'static str, tips: [&'static str; 3]) -> impl IntoView {
    let flow = use_flow();
    view! {
        <PanelFrame heading=heading>
            <ul>{tips.into_iter().map(|tip| view! { <li>{tip}</li> }).collect_view()}</ul>
            <div class="actions">
                <button class="primary" id="next" on:click=move |_| flow.finish(step)>{t().next}</button>
            </div>
        </PanelFrame>
    }
}

/// Tips before the face photo.
#[component]
pub fn PortraitContext() -> impl IntoView {
    context_panel(Step::PortraitPhotoContext, t().portrait_context_heading, t().portrait_tips)
}

/// Tips before the ID photo.
#[component]
pub fn IdContext() -> impl IntoView {
    context_panel(Step::IdContext, t().id_context_heading, t().id_tips)
}

/// The message for a refused name.
pub fn name_message(e: NameError) -> &'static str {
    match e {
        NameError::Empty => t().name_empty,
        NameError::TooLong => t().name_too_long,
        NameError::BadChars => t().name_bad_chars,
    }
}

/// The name as on the ID, prefilled with the account's name and checked as the server
/// checks it; the error sits next to the field.
#[component]
pub fn GetName() -> impl IntoView {
    let flow = use_flow();
    let s = t();
    let initial = flow
        .state
        .with_untracked(|st| st.name.clone())
        .unwrap_or_else(|| flow.info.with_value(|i| i.full_name.clone()));
    let name = RwSignal::new(initial);
    let error = RwSignal::new(None::<&'static str>);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        match validate_full_name(&name.get_untracked()) {
            Ok(valid) => {
                error.set(None);
                flow.update(|st| st.name = Some(valid));
                flow.finish(Step::GetNameId);
            }
            Err(e) => error.set(Some(name_message(e))),
        }
    };
    view! {
        <PanelFrame heading=s.name_heading>
            <form on:submit=submit novalidate=true>
                <p id="name-help">{s.name_text}</p>
                <label for="full-name">{s.name_label}</label>
                <input id="full-name" name="full_name" autocomplete="name" maxlength="300"
                    aria-describedby="name-help name-error"
                    aria-invalid=move || if error.get().is_some() { "true" } else { "false" }
                    prop:value=move || name.get()
                    on:input=move |ev| name.set(event_target_value(&ev))/>
                <p id="name-error" class="error field-error" role="alert">{move || error.get()}</p>
                <div class="actions">
                    <button type="submit" class="primary" id="next">{s.next}</button>
                </div>
            </form>
        </PanelFrame>
    }
}

/// The end of the flow.
#[component]
pub fn Submitted() -> impl IntoView {
    let s = t();
    view! {
        <PanelFrame heading=s.submitted_heading>
            <p role="status">{s.submitted_text}</p>
            <div class="actions">
                <a class="button primary" id="see-status" href="/id-verification/status">{s.see_status}</a>
            </div>
        </PanelFrame>
    }
}
