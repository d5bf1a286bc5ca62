//! The built-in verification flow, the default filler of `id_verification_slot`: one URL
//! per panel under `/id-verification/`, in Open edX's order (see [`steps::ORDER`]), plus
//! the two camera directions panels. The flow reads the location itself, so it is one
//! component without props that a different filler replaces whole.

mod capture;
mod panels;
pub mod state;
pub mod steps;
mod summary;

use crate::{
    dto::FlowInfo,
    i18n::t,
    nav,
    pages::{camera, error_box, loading},
    routes, rpc,
};
use leptos::{html, prelude::*};
use state::FlowState;
use steps::FlowStep;
use web_sys::MediaStream;

/// What every panel gets: the state, the server's flow info and a way to move on.
#[derive(Clone, Copy)]
pub(crate) struct Flow {
    /// The learner's progress (saved to sessionStorage on every change).
    pub state: RwSignal<FlowState>,
    /// From the server.
    pub info: StoredValue<FlowInfo>,
    go: StoredValue<Callback<FlowStep>>,
    shown: Memo<FlowStep>,
    camera: StoredValue<Option<MediaStream>, LocalStorage>,
}

impl Flow {
    /// Changes the state and keeps it for a reload.
    pub fn update(&self, f: impl FnOnce(&mut FlowState)) {
        self.state.try_update(f);
        self.state.try_with_untracked(state::save);
    }

    /// Shows `step`.
    pub fn go(&self, step: FlowStep) {
        // `try_`: a camera answer may arrive after the learner has left the flow.
        if let Some(go) = self.go.try_get_value() {
            go.run(step);
        }
    }

    /// Keeps the camera `stream` a capture panel for `step` opened, so the flow can stop it
    /// when the panel goes. Returns false (and stops the stream) when that panel is gone
    /// already, as when the learner moved on while the camera started.
    pub fn hold_camera(&self, step: FlowStep, stream: MediaStream) -> bool {
        if self.shown.try_get_untracked() != Some(step) {
            camera::stop(&stream);
            return false;
        }
        self.release_camera();
        self.camera.try_set_value(Some(stream));
        true
    }

    /// Turns the camera off, if a panel left it on.
    fn release_camera(&self) {
        if let Some(Some(s)) = self.camera.try_update_value(Option::take) {
            camera::stop(&s);
        }
    }

    /// Marks `step` done and goes to the one after it.
    pub fn finish(&self, step: FlowStep) {
        self.update(|s| s.mark(step));
        let next = self.state.with_untracked(|s| steps::next(step, s));
        self.go(next);
    }
}

/// The flow.
#[component]
pub fn BuiltinFlow() -> impl IntoView {
    let info = rpc::flow_info();
    move || match info.get() {
        None => loading(),
        Some(Ok(info)) => view! { <FlowPanels info=info/> }.into_any(),
        Some(Err(e)) => error_box(e.message),
    }
}

#[component]
fn FlowPanels(info: FlowInfo) -> impl IntoView {
    let path = nav::use_path();
    let mut initial = state::load();
    initial.enter();
    let entry = path.get_untracked();
    // The reverification entry, a new start after a finished flow, or another learner's
    // saved flow begins afresh.
    if entry.trim_end_matches('/') == routes::REVERIFY
        || (FlowStep::from_path(&entry).is_none() && initial.submitted)
        || initial.owner != info.username
    {
        initial = initial.restart(info.username.clone());
    }
    if initial.reuse_id.is_none() {
        initial.reuse_id = Some(info.id_photo_on_file);
    }
    state::save(&initial);
    let state = RwSignal::new(initial);
    let go = Callback::new(move |step: FlowStep| nav::navigate(&step.path(), false));
    // The panel shown: the one asked for, unless an earlier step is still to do.
    let step = Memo::new(move |_| state.with(|s| steps::resolve(FlowStep::from_path(&path.get()), s)));
    let flow = Flow {
        state,
        info: StoredValue::new(info),
        go: StoredValue::new(go),
        shown: step,
        camera: StoredValue::new_local(None),
    };
    provide_context(flow);
    // A camera stream never outlives its panel: stopped whenever the panel changes, and when
    // the flow itself goes away.
    Effect::new(move |prev: Option<FlowStep>| {
        let now = step.get();
        if prev.is_some_and(|p| p != now) {
            flow.release_camera();
        }
        now
    });
    on_cleanup(move || flow.release_camera());

    Effect::new(move |_| {
        let shown = step.get();
        let here = path.get();
        // Only inside the flow: leaving it (to the status page) must not be undone.
        let bare = matches!(here.trim_end_matches('/'), routes::HOME | routes::REVERIFY);
        let requested = FlowStep::from_path(&here);
        if (bare || requested.is_some()) && requested != Some(shown) {
            nav::navigate(&shown.path(), true);
        }
    });

    move || {
        let step = step.get();
        let (progress, course) = state.with_untracked(|s| (steps::progress(step, s), s.course_name.clone()));
        let (reuse, too_old) =
            (state.with_untracked(FlowState::reuses_id), flow.info.with_value(|i| i.id_photo_too_old));
        let panel = if let Some(spec) = panels::info(step, reuse, too_old) {
            view! { <panels::Info spec=spec/> }.into_any()
        } else {
            match step {
                FlowStep::RequestCameraAccess => view! { <panels::CameraAccess/> }.into_any(),
                FlowStep::GetNameId => view! { <panels::GetName/> }.into_any(),
                FlowStep::Summary => view! { <summary::Summary/> }.into_any(),
                _ => view! { <capture::TakePhoto step=step/> }.into_any(),
            }
        };
        view! {
            <p class="eyebrow">
                {t().title}
                {course.map(|c| format!(" · {c}"))}
                {progress.map(|(n, of)| format!(" · {} {n} {} {of}", t().step, t().of))}
            </p>
            <div class="panel" data-step=step.slug()>{panel}</div>
        }
    }
}

/// A panel's frame: its heading, focused when the panel appears so keyboard and
/// screen-reader users start at the new content.
#[component]
pub(crate) fn PanelFrame(heading: &'static str, children: Children) -> impl IntoView {
    let heading_ref: NodeRef<html::H1> = NodeRef::new();
    Effect::new(move |_| {
        if let Some(h) = heading_ref.get() {
            let _ = h.focus();
        }
    });
    view! {
        <section class="card" aria-labelledby="panel-heading">
            <h1 id="panel-heading" tabindex="-1" node_ref=heading_ref>{heading}</h1>
            {children()}
        </section>
    }
}

/// `aria-invalid` for a field whose error is in `error`.
pub(crate) fn invalid(error: RwSignal<Option<String>>) -> Signal<&'static str> {
    Signal::derive(move || if error.with(Option::is_some) { "true" } else { "false" })
}

/// The flow's context (inside a panel).
pub(crate) fn use_flow() -> Flow {
    expect_context::<Flow>()
}
