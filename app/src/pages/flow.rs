//! The built-in verification flow (the default filler of `id_verification_slot`):
//! requirements → face photo (live camera, capture, retake) → submit → status.

use super::camera;
use crate::{api::submit_photos, dto::SubmitPhotosRequest, i18n::en};
use leptos::{html, prelude::*, task::spawn_local};
use leptos_router::hooks::use_navigate;
use web_sys::MediaStream;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Panel {
    Requirements,
    Portrait,
}

/// The flow.
#[component]
pub fn BuiltinFlow() -> impl IntoView {
    let panel = RwSignal::new(Panel::Requirements);
    view! {
        <h1 class="page-title">{en::TITLE}</h1>
        {move || match panel.get() {
            Panel::Requirements => view! { <Requirements on_start=move || panel.set(Panel::Portrait)/> }.into_any(),
            Panel::Portrait => view! { <PortraitPanel/> }.into_any(),
        }}
    }
}

#[component]
fn Requirements(on_start: impl Fn() + 'static) -> impl IntoView {
    view! {
        <section class="card" aria-labelledby="req-heading">
            <h2 id="req-heading" tabindex="-1">"Before you start"</h2>
            <p>{en::REQUIREMENTS_INTRO}</p>
            <ul>
                <li>{en::REQ_CAMERA}</li>
                <li>{en::REQ_ID}</li>
                <li>{en::REQ_LIGHT}</li>
            </ul>
            <button class="primary" id="start" on:click=move |_| on_start()>{en::START}</button>
        </section>
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum CameraState {
    Starting,
    Live,
    Failed,
}

#[component]
fn PortraitPanel() -> impl IntoView {
    let video_ref: NodeRef<html::Video> = NodeRef::new();
    let camera_state = RwSignal::new(CameraState::Starting);
    let photo = RwSignal::new(None::<String>);
    let error = RwSignal::new(None::<String>);
    let submitting = RwSignal::new(false);
    let stream = StoredValue::new_local(None::<MediaStream>);

    // Start the camera once the <video> is in the page.
    Effect::new(move |_| {
        if let Some(video) = video_ref.get() {
            spawn_local(async move {
                match camera::start(&video, "user").await {
                    Ok(s) => {
                        stream.set_value(Some(s));
                        camera_state.set(CameraState::Live);
                    }
                    Err(_) => camera_state.set(CameraState::Failed),
                }
            });
        }
    });
    // Leaving the panel turns the camera off.
    on_cleanup(move || {
        if let Some(Some(s)) = stream.try_get_value() {
            camera::stop(&s);
        }
    });

    let capture = move |_| {
        let Some(video) = video_ref.get_untracked() else {
            return;
        };
        match camera::capture_jpeg(&video) {
            Ok(url) => photo.set(Some(url)),
            Err(_) => error.set(Some(en::CAMERA_FAILED.to_owned())),
        }
    };
    let navigate = use_navigate();
    let submit = move |_| {
        let Some(face_image) = photo.get_untracked() else {
            return;
        };
        submitting.set(true);
        error.set(None);
        let navigate = navigate.clone();
        spawn_local(async move {
            let request = SubmitPhotosRequest { face_image, photo_id_image: None, full_name: None };
            match submit_photos(request).await {
                Ok(_) => navigate("/id-verification/status", Default::default()),
                Err(e) => {
                    error.set(Some(e.message));
                    submitting.set(false);
                }
            }
        });
    };

    view! {
        <section class="card" aria-labelledby="portrait-heading">
            <h2 id="portrait-heading" tabindex="-1">{en::PORTRAIT_HEADING}</h2>
            <div class="camera" class:hidden=move || photo.with(Option::is_some)>
                <video node_ref=video_ref autoplay=true playsinline=true muted=true aria-label="Camera preview"></video>
                <p class="notice" role="status" aria-live="polite">
                    {move || match camera_state.get() {
                        CameraState::Starting => en::CAMERA_STARTING,
                        CameraState::Live => "",
                        CameraState::Failed => en::CAMERA_FAILED,
                    }}
                </p>
                <button class="primary" id="take-photo" on:click=capture
                    disabled=move || camera_state.get() != CameraState::Live>{en::TAKE_PHOTO}</button>
            </div>
            {move || photo.get().map(|src| view! {
                <img class="captured" id="face-photo" src=src alt=en::FACE_PHOTO_ALT/>
            })}
            <p class="error" role="alert">{move || error.get()}</p>
            <Show when=move || photo.with(Option::is_some)>
                <div class="actions">
                    <button id="retake" on:click=move |_| photo.set(None)>{en::RETAKE}</button>
                    <button class="primary" id="submit" on:click=submit.clone() disabled=move || submitting.get()>
                        {move || if submitting.get() { en::SUBMITTING } else { en::SUBMIT }}
                    </button>
                </div>
            </Show>
        </section>
    }
}
