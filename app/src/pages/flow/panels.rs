//! The flow's panels that take no photo: requirements, camera access and its directions,
//! the two context panels, the name, and the end.

use super::{PanelFrame, invalid, state::CameraChoice, steps::FlowStep, use_flow};
use crate::{
    dto::{NameError, validate_full_name},
    i18n::t,
    pages::camera::{self, CameraError},
    routes,
};
use leptos::{prelude::*, task::spawn_local};

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
                    flow.go(FlowStep::PortraitPhotoContext);
                }
                Err(CameraError::Denied) => flow.go(FlowStep::EnableCamera),
                Err(CameraError::Unavailable) => flow.go(FlowStep::UnsupportedCamera),
            }
        });
    };
    view! {
        <PanelFrame heading=s.access_heading>
            <p>{s.access_text}</p>
            <p class="notice" role="status" aria-live="polite">{Signal::derive(move || if asking.get() { s.access_asking } else { "" })}</p>
            <div class="actions">
                <button class="primary" id="enable-camera" on:click=ask disabled=asking>{s.access_button}</button>
            </div>
        </PanelFrame>
    }
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
    let error = RwSignal::new(None::<String>);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        match validate_full_name(&name.get_untracked()) {
            Ok(valid) => {
                error.set(None);
                flow.update(|st| st.name = Some(valid));
                flow.finish(FlowStep::GetNameId);
            }
            Err(e) => error.set(Some(name_message(e).to_owned())),
        }
    };
    view! {
        <PanelFrame heading=s.name_heading>
            <form on:submit=submit novalidate=true>
                <p id="name-help">{s.name_text}</p>
                <label for="full-name">{s.name_label}</label>
                <input id="full-name" name="full_name" autocomplete="name" maxlength="300"
                    aria-describedby="name-help name-error"
                    aria-invalid=invalid(error)
                    prop:value=name
                    on:input=move |ev| name.set(event_target_value(&ev))/>
                <p id="name-error" class="error field-error" role="alert">{error}</p>
                <div class="actions">
                    <button type="submit" class="primary" id="next">{s.next}</button>
                </div>
            </form>
        </PanelFrame>
    }
}

/// Where a link button goes: a server page gets this page's query (`?course_id=…&flow=…`
/// when a course is being verified), so the course goes along (the server validates it).
fn page_href(a: Act, href: &'static str) -> String {
    #[cfg(target_arch = "wasm32")]
    if matches!(a, Act::Page(_)) {
        return format!("{href}{}", window().location().search().unwrap_or_default());
    }
    let _ = a;
    href.into()
}

/// What a button of an [`Info`] panel does.
#[derive(Clone, Copy)]
pub enum Act {
    /// Marks the panel's step done and goes on.
    Finish(FlowStep),
    /// Goes to a step.
    Go(FlowStep),
    /// Switches to file uploads and goes on.
    Upload,
    /// A link out of the flow.
    Link(&'static str),
    /// A page the server renders (loaded in full, not by the SPA's router).
    Page(&'static str),
}

/// One button (or link) of an [`Info`] panel: element id, label, primary or not, action.
pub type Button = (&'static str, &'static str, bool, Act);

/// The panels that are text and buttons, described as data so that one component (and
/// one copy of its rendering code in the download) serves them all.
pub struct InfoSpec {
    heading: &'static str,
    intro: &'static str,
    items: Vec<&'static str>,
    note: &'static str,
    buttons: Vec<Button>,
}

/// The text panel for `step`, if it is one. `reuse`: the approved ID photo is reused (the
/// requirements say so); `too_old`: there is one, too old to reuse (the ID tips say why a
/// new one is needed).
pub fn info(step: FlowStep, reuse: bool, too_old: bool) -> Option<InfoSpec> {
    let s = t();
    let upload: Button = ("upload-instead", s.upload_instead, true, Act::Upload);
    // No usable camera here: the server's "Continue on your phone" page (issue 19).
    let phone: Button = ("continue-on-phone", s.handoff_button, false, Act::Page(routes::HANDOFF));
    let spec = |heading, intro, items, note, buttons| Some(InfoSpec { heading, intro, items, note, buttons });
    match step {
        FlowStep::ReviewRequirements => spec(
            s.req_heading,
            s.req_intro,
            Vec::from([s.req_camera, if reuse { s.summary_id_reused } else { s.req_id }, s.req_light]),
            s.req_privacy,
            Vec::from([("start", s.start, true, Act::Finish(step))]),
        ),
        FlowStep::PortraitPhotoContext => spec(
            s.portrait_context_heading,
            "",
            s.portrait_tips.to_vec(),
            "",
            Vec::from([("next", s.next, true, Act::Finish(step))]),
        ),
        FlowStep::IdContext => spec(
            s.id_context_heading,
            "",
            s.id_tips.to_vec(),
            if too_old { s.id_too_old } else { "" },
            Vec::from([("next", s.next, true, Act::Finish(step))]),
        ),
        FlowStep::EnableCamera => spec(
            s.enable_heading,
            s.enable_text,
            Vec::from([s.enable_chrome, s.enable_firefox, s.enable_safari, s.enable_edge]),
            "",
            Vec::from([("try-again", s.try_again, false, Act::Go(FlowStep::RequestCameraAccess)), upload, phone]),
        ),
        FlowStep::UnsupportedCamera => {
            spec(s.unsupported_heading, s.unsupported_text, Vec::new(), "", Vec::from([upload, phone]))
        }
        FlowStep::Submitted => spec(
            s.submitted_heading,
            s.submitted_text,
            Vec::new(),
            "",
            Vec::from([("see-status", s.see_status, true, Act::Link(routes::STATUS))]),
        ),
        _ => None,
    }
}

/// A panel of text and buttons.
#[component]
pub fn Info(spec: InfoSpec) -> impl IntoView {
    let flow = use_flow();
    let InfoSpec { heading, intro, items, note, buttons } = spec;
    let act = move |a: Act| match a {
        Act::Finish(step) => flow.finish(step),
        Act::Go(step) => flow.go(step),
        Act::Upload => {
            flow.update(|st| st.camera = CameraChoice::Upload);
            flow.go(FlowStep::PortraitPhotoContext);
        }
        Act::Link(_) | Act::Page(_) => {}
    };
    view! {
        <PanelFrame heading=heading>
            {(!intro.is_empty()).then(|| view! { <p>{intro}</p> })}
            {(!items.is_empty()).then(|| view! { <ul>{items.into_iter().map(|i| view! { <li>{i}</li> }).collect_view()}</ul> })}
            {(!note.is_empty()).then(|| view! { <p class="notice">{note}</p> })}
            <div class="actions">
                {buttons.into_iter().map(|(id, label, primary, a)| match a {
                    Act::Link(href) | Act::Page(href) => view! {
                        <a class="button" class:primary=primary id=id href=page_href(a, href) rel=matches!(a, Act::Page(_)).then_some("external")>{label}</a>
                    }.into_any(),
                    _ => view! { <button class:primary=primary id=id on:click=move |_| act(a)>{label}</button> }.into_any(),
                }).collect_view()}
            </div>
        </PanelFrame>
    }
}
