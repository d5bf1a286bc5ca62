//! Taking a photo: the live camera (front for the face, back preferred for the ID) with
//! capture and retake, or a file upload when the camera is denied, missing or fails.

use super::{PanelFrame, invalid, state::CameraChoice, steps::FlowStep, use_flow};
use crate::{
    i18n::t,
    pages::{
        camera::{self, FileError},
        quality::Checker,
    },
};
use leptos::{html, prelude::*, task::spawn_local};
use std::time::Duration;
use wasm_bindgen::JsCast;

/// Answers in a row that must pass before the photo is taken by itself (about a second).
const STEADY: u32 = 3;
/// Time between two checked preview frames.
const FRAME_EVERY: Duration = Duration::from_millis(300);
/// How long the checks fail before "Take it anyway" is offered, in milliseconds.
const ANYWAY_AFTER_MS: f64 = 4000.0;
/// How long a guidance sentence must hold before it is shown (and so announced by the
/// `aria-live` region), in milliseconds: a frame or two of another answer is not news.
const HOLD_MS: f64 = 1000.0;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum CameraState {
    Starting,
    Live,
    Failed,
}

/// The face or ID photo panel (`step` is [`FlowStep::TakePortraitPhoto`] or [`FlowStep::TakeIdPhoto`]).
#[component]
pub fn TakePhoto(step: FlowStep) -> impl IntoView {
    let flow = use_flow();
    let s = t();
    let is_face = step == FlowStep::TakePortraitPhoto;
    let (heading, alt, facing) =
        if is_face { (s.portrait_heading, s.face_alt, "user") } else { (s.id_heading, s.id_alt, "environment") };
    let use_camera = flow.state.with_untracked(|st| st.camera == CameraChoice::Camera);
    let photo = RwSignal::new(None::<String>);
    let camera_state = RwSignal::new(if use_camera { CameraState::Starting } else { CameraState::Failed });
    let video_ref: NodeRef<html::Video> = NodeRef::new();
    let checks_on = flow.info.with_value(|i| i.quality_checks);
    // The live check's last sentence (`None`: not checking yet), the warning that goes with
    // the last checked frame (`None`: it was good), and the warning of the photo taken
    // (kept with it, shown on the summary).
    let hint = RwSignal::new(None::<String>);
    let frame_warning = RwSignal::new(None::<String>);
    let warning = RwSignal::new(None::<String>);
    let anyway = RwSignal::new(false);
    let checker = StoredValue::new_local(None::<Checker>);
    let kind = if is_face { "face" } else { "id" };

    // Start the camera once the <video> is in the page. The flow owns the stream and stops
    // it as soon as another panel is shown (or the flow is left).
    Effect::new(move |_| {
        if let Some(video) = video_ref.get()
            && use_camera
        {
            spawn_local(async move {
                match camera::start(&video, facing).await {
                    Ok(s) => {
                        if flow.hold_camera(step, s) {
                            let _ = camera_state.try_set(CameraState::Live);
                        }
                    }
                    Err(_) => {
                        let _ = camera_state.try_set(CameraState::Failed);
                    }
                }
            });
        }
    });

    // Taken past failing checks (by "Take it anyway" or the capture button), the photo keeps
    // the last checked frame's warning for the summary; taken by itself, that frame was good.
    let snap = move || {
        let Some(video) = video_ref.get_untracked() else { return };
        match camera::capture_jpeg(&video) {
            Ok(url) => {
                warning.set(frame_warning.get_untracked());
                photo.set(Some(url));
            }
            Err(_) => camera_state.set(CameraState::Failed),
        }
    };
    let capture = move |_| snap();

    // Live checks: a few frames a second to the worker while the preview runs and no photo
    // is taken; the photo is taken by itself after STEADY good answers in a row.
    Effect::new(move |_| {
        if !checks_on || camera_state.get() != CameraState::Live {
            return;
        }
        let (mut streak, mut failing_since) = (0u32, 0f64);
        // The sentence of the last answers, and since when they have all said it.
        let (mut said, mut since) = (String::new(), 0f64);
        let on_result = move |good: Option<bool>, text: String, warn: String| {
            if photo.try_with_untracked(Option::is_some) != Some(false) {
                return;
            }
            let now = js_sys::Date::now();
            let Some(good) = good else {
                // Not checked (this browser cannot analyse frames): no good frame, no
                // guidance, no warning; the learner takes the photo with the button.
                streak = 0;
                said.clear();
                let _ = hint.try_set(None);
                let _ = frame_warning.try_set(None);
                return;
            };
            if good {
                (streak, failing_since) = (streak + 1, 0.0);
            } else {
                streak = 0;
                if failing_since == 0.0 {
                    failing_since = now;
                } else if now - failing_since > ANYWAY_AFTER_MS {
                    let _ = anyway.try_set(true);
                }
            }
            if text != said {
                (said, since) = (text, now);
            } else if now - since >= HOLD_MS && hint.try_with_untracked(|h| h.as_ref() != Some(&said)) == Some(true) {
                let _ = hint.try_set(Some(said.clone()));
            }
            let _ = frame_warning.try_set((!good).then_some(warn));
            if streak >= STEADY {
                snap();
            }
        };
        checker.set_value(Checker::start(kind, s.lang, Box::new(on_result)));
        let tick = move || {
            if photo.with_untracked(Option::is_some) {
                return;
            }
            let (Some(video), Some(Some(c))) = (video_ref.get_untracked(), checker.try_with_value(Clone::clone)) else {
                return;
            };
            spawn_local(async move { c.frame(&video).await });
        };
        if let Ok(handle) = set_interval_with_handle(tick, FRAME_EVERY) {
            on_cleanup(move || handle.clear());
        }
    });
    on_cleanup(move || checker.set_value(None));

    let accept = move |_| {
        let Some(p) = photo.get_untracked() else { return };
        let w = warning.get_untracked();
        flow.update(|st| {
            if is_face {
                (st.face, st.face_warning) = (Some(p), w);
            } else {
                (st.id_photo, st.id_warning) = (Some(p), w);
            }
        });
        flow.finish(step);
    };
    // An upload gets the same checks once, as a warning.
    let uploaded = Callback::new(move |url: String| {
        warning.set(None);
        if checks_on {
            // Unchecked (`None`): no warning, and nothing said about it being good either.
            let on_result = move |good: Option<bool>, _: String, warn: String| {
                let _ = warning.try_set((good == Some(false)).then_some(warn));
            };
            if let Some(c) = Checker::start(kind, s.lang, Box::new(on_result)) {
                c.photo(&url);
                checker.set_value(Some(c));
            }
        }
        photo.set(Some(url));
    });
    let announce = Signal::derive(move || match (photo.with(Option::is_some), camera_state.get()) {
        (true, _) => s.photo_taken.to_owned(),
        (false, CameraState::Starting) => s.camera_starting.to_owned(),
        // One short message at a time: the first issue of the last checked frame.
        (false, CameraState::Live) => hint.get().unwrap_or_else(|| s.camera_live.to_owned()),
        (false, CameraState::Failed) if use_camera => s.camera_failed.to_owned(),
        (false, CameraState::Failed) => String::new(),
    });
    let no_anyway = Signal::derive(move || !anyway.get());
    let warning_text = Signal::derive(move || warning.get().unwrap_or_default());
    // Derived signals (boxed) rather than closures in the view: the render code is then
    // shared by every bool or text signal instead of generated per closure.
    let captured = Signal::derive(move || photo.with(Option::is_some));
    let failed = Signal::derive(move || camera_state.get() == CameraState::Failed);
    let not_live = Signal::derive(move || camera_state.get() != CameraState::Live);
    // The face oval or the card frame (hidden by CSS when the checks are off).
    let guide = match (checks_on, is_face) {
        (false, _) => "guide hidden",
        (true, true) => "guide oval",
        (true, false) => "guide",
    };

    view! {
        <PanelFrame heading=heading>
            <p class="notice" role="status" aria-live="polite" id="camera-status">{announce}</p>
            <div class:hidden=captured>
                {use_camera.then(|| view! {
                    <div class="camera" class:hidden=failed>
                        <div class="viewport">
                            <video node_ref=video_ref autoplay=true playsinline=true muted=true
                                class:mirrored=is_face aria-label=s.camera_preview></video>
                            <div class=guide aria-hidden="true"></div>
                        </div>
                        <div class="actions">
                            <button class="primary" id="take-photo" on:click=capture
                                disabled=not_live>{s.take_photo}</button>
                            <button id="take-anyway" class:hidden=no_anyway on:click=capture>{s.take_anyway}</button>
                        </div>
                    </div>
                })}
                <Show when=move || failed.get()>
                    <Upload on_photo=uploaded/>
                </Show>
            </div>
            {move || photo.get().map(|src| view! {
                <img class="captured" id="captured-photo" src=src alt=alt/>
                <p class="warning" id="photo-warning">{warning_text}</p>
                <div class="actions">
                    <button id="retake" on:click=move |_| photo.set(None)>{s.retake}</button>
                    <button class="primary" id="use-photo" on:click=accept>{s.use_photo}</button>
                </div>
            })}
        </PanelFrame>
    }
}

/// The upload fallback: JPEG or PNG under the server's limit, checked before upload.
#[component]
fn Upload(on_photo: Callback<String>) -> impl IntoView {
    let flow = use_flow();
    let s = t();
    let max = flow.info.with_value(|i| i.max_photo_bytes);
    let error = RwSignal::new(None::<String>);
    let changed = move |ev: leptos::ev::Event| {
        let Some(input) = ev.target().and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok()) else { return };
        let Some(file) = input.files().and_then(|f| f.get(0)) else { return };
        error.set(None);
        spawn_local(async move {
            match camera::read_file(&file, max).await {
                Ok(url) => on_photo.run(url),
                Err(e) => {
                    input.set_value("");
                    let _ = error.try_set(Some(file_message(e, max)));
                }
            }
        });
    };
    view! {
        <div class="upload">
            <label for="photo-file">{s.upload_label}</label>
            <p id="photo-file-hint" class="notice">{s.upload_hint}</p>
            <input type="file" id="photo-file" accept="image/jpeg,image/png"
                aria-describedby="photo-file-hint photo-file-error"
                aria-invalid=invalid(error)
                on:change=changed/>
            <p id="photo-file-error" class="error field-error" role="alert">{error}</p>
        </div>
    }
}

fn file_message(e: FileError, max: u64) -> String {
    let s = t();
    match e {
        FileError::WrongType => s.upload_wrong_type.to_owned(),
        FileError::TooBig => format!("{} {} MB.", s.upload_too_big, megabytes(max)),
        FileError::Unreadable => s.upload_unreadable.to_owned(),
    }
}

/// `max` bytes in whole or tenths of megabytes ("5", "0.5").
fn megabytes(max: u64) -> String {
    let tenths = max * 10 / (1024 * 1024);
    if tenths.is_multiple_of(10) { (tenths / 10).to_string() } else { format!("{}.{}", tenths / 10, tenths % 10) }
}

#[cfg(test)]
mod tests {
    #[test]
    fn megabytes() {
        assert_eq!(super::megabytes(5 * 1024 * 1024), "5");
        assert_eq!(super::megabytes(512 * 1024), "0.5");
    }
}
