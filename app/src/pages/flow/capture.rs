//! Taking a photo: the live camera (front for the face, back preferred for the ID) with
//! capture and retake, or a file upload when the camera is denied, missing or fails.

use super::{PanelFrame, invalid, state::CameraChoice, steps::Step, use_flow};
use crate::{
    i18n::t,
    pages::camera::{self, FileError},
};
use leptos::{html, prelude::*, task::spawn_local};
use wasm_bindgen::JsCast;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum CameraState {
    Starting,
    Live,
    Failed,
}

/// The face or ID photo panel (`step` is [`Step::TakePortraitPhoto`] or [`Step::TakeIdPhoto`]).
#[component]
pub fn TakePhoto(step: Step) -> impl IntoView {
    let flow = use_flow();
    let s = t();
    let is_face = step == Step::TakePortraitPhoto;
    let (heading, alt, facing) =
        if is_face { (s.portrait_heading, s.face_alt, "user") } else { (s.id_heading, s.id_alt, "environment") };
    let use_camera = flow.state.with_untracked(|st| st.camera == CameraChoice::Camera);
    let photo = RwSignal::new(None::<String>);
    let camera_state = RwSignal::new(if use_camera { CameraState::Starting } else { CameraState::Failed });
    let video_ref: NodeRef<html::Video> = NodeRef::new();

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

    let capture = move |_| {
        let Some(video) = video_ref.get_untracked() else { return };
        match camera::capture_jpeg(&video) {
            Ok(url) => photo.set(Some(url)),
            Err(_) => camera_state.set(CameraState::Failed),
        }
    };
    let accept = move |_| {
        let Some(p) = photo.get_untracked() else { return };
        flow.update(|st| if is_face { st.face = Some(p) } else { st.id_photo = Some(p) });
        flow.finish(step);
    };
    let announce = Signal::derive(move || match (photo.with(Option::is_some), camera_state.get()) {
        (true, _) => s.photo_taken,
        (false, CameraState::Starting) => s.camera_starting,
        (false, CameraState::Live) => s.camera_live,
        (false, CameraState::Failed) if use_camera => s.camera_failed,
        (false, CameraState::Failed) => "",
    });
    // Derived signals (boxed) rather than closures in the view: the render code is then
    // shared by every bool or text signal instead of generated per closure.
    let captured = Signal::derive(move || photo.with(Option::is_some));
    let failed = Signal::derive(move || camera_state.get() == CameraState::Failed);
    let not_live = Signal::derive(move || camera_state.get() != CameraState::Live);

    view! {
        <PanelFrame heading=heading>
            <p class="notice" role="status" aria-live="polite" id="camera-status">{announce}</p>
            <div class:hidden=captured>
                {use_camera.then(|| view! {
                    <div class="camera" class:hidden=failed>
                        <video node_ref=video_ref autoplay=true playsinline=true muted=true
                            class:mirrored=is_face aria-label=s.camera_preview></video>
                        <div class="actions">
                            <button class="primary" id="take-photo" on:click=capture
                                disabled=not_live>{s.take_photo}</button>
                        </div>
                    </div>
                })}
                <Show when=move || failed.get()>
                    <Upload on_photo=Callback::new(move |url| photo.set(Some(url)))/>
                </Show>
            </div>
            {move || photo.get().map(|src| view! {
                <img class="captured" id="captured-photo" src=src alt=alt/>
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
