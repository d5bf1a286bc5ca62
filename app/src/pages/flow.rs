//! The built-in verification flow (the default filler of `id_verification_slot`):
//! requirements → face photo → ID photo → review and submit → status.

use super::camera;
use crate::{api::submit_photos, dto::SubmitPhotosRequest, i18n::en};
use leptos::{html, prelude::*, task::spawn_local};
use leptos_router::hooks::use_navigate;
use web_sys::MediaStream;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Panel {
    Requirements,
    Portrait,
    Id,
    Review,
}

/// The flow.
#[component]
pub fn BuiltinFlow() -> impl IntoView {
    let panel = RwSignal::new(Panel::Requirements);
    let face = RwSignal::new(None::<String>);
    let id = RwSignal::new(None::<String>);
    view! {
        <h1 class="page-title">{en::TITLE}</h1>
        {move || match panel.get() {
            Panel::Requirements => view! { <Requirements on_start=move || panel.set(Panel::Portrait)/> }.into_any(),
            Panel::Portrait => view! {
                <CapturePanel heading=en::PORTRAIT_HEADING facing="user" alt=en::FACE_PHOTO_ALT
                    on_done=Callback::new(move |url| { face.set(Some(url)); panel.set(Panel::Id); })/>
            }.into_any(),
            Panel::Id => view! {
                <CapturePanel heading=en::ID_HEADING facing="environment" alt=en::ID_PHOTO_ALT
                    on_done=Callback::new(move |url| { id.set(Some(url)); panel.set(Panel::Review); })/>
            }.into_any(),
            Panel::Review => view! { <Review face=face id=id on_retake=Callback::new(move |p| panel.set(p))/> }.into_any(),
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

/// Live camera → capture → retake or use. The camera stops when the panel goes away.
#[component]
fn CapturePanel(
    heading: &'static str,
    facing: &'static str,
    alt: &'static str,
    on_done: Callback<String>,
) -> impl IntoView {
    let video_ref: NodeRef<html::Video> = NodeRef::new();
    let camera_state = RwSignal::new(CameraState::Starting);
    let photo = RwSignal::new(None::<String>);
    let stream = StoredValue::new_local(None::<MediaStream>);

    // Start the camera once the <video> is in the page.
    Effect::new(move |_| {
        if let Some(video) = video_ref.get() {
            spawn_local(async move {
                match camera::start(&video, facing).await {
                    Ok(s) => {
                        stream.set_value(Some(s));
                        camera_state.set(CameraState::Live);
                    }
                    Err(_) => camera_state.set(CameraState::Failed),
                }
            });
        }
    });
    on_cleanup(move || {
        if let Some(Some(s)) = stream.try_get_value() {
            camera::stop(&s);
        }
    });

    let capture = move |_| {
        let Some(video) = video_ref.get_untracked() else { return };
        match camera::capture_jpeg(&video) {
            Ok(url) => photo.set(Some(url)),
            Err(_) => camera_state.set(CameraState::Failed),
        }
    };

    view! {
        <section class="card" aria-labelledby="capture-heading">
            <h2 id="capture-heading" tabindex="-1">{heading}</h2>
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
                <img class="captured" id="captured-photo" src=src alt=alt/>
                <div class="actions">
                    <button id="retake" on:click=move |_| photo.set(None)>{en::RETAKE}</button>
                    <button class="primary" id="use-photo"
                        on:click=move |_| if let Some(p) = photo.get_untracked() { on_done.run(p) }>{en::USE_PHOTO}</button>
                </div>
            })}
        </section>
    }
}

/// Both photos, retake links, submit.
#[component]
fn Review(face: RwSignal<Option<String>>, id: RwSignal<Option<String>>, on_retake: Callback<Panel>) -> impl IntoView {
    let error = RwSignal::new(None::<String>);
    let submitting = RwSignal::new(false);
    let navigate = use_navigate();
    let submit = move |_| {
        let (Some(face_image), Some(id_image)) = (face.get_untracked(), id.get_untracked()) else { return };
        submitting.set(true);
        error.set(None);
        let navigate = navigate.clone();
        spawn_local(async move {
            let request = SubmitPhotosRequest { face_image, photo_id_image: Some(id_image), full_name: None };
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
        <section class="card" aria-labelledby="review-heading">
            <h2 id="review-heading" tabindex="-1">{en::REVIEW_HEADING}</h2>
            <img class="captured" id="face-photo" src=move || face.get() alt=en::FACE_PHOTO_ALT/>
            <button id="retake-face" on:click=move |_| on_retake.run(Panel::Portrait)>{en::RETAKE}</button>
            <img class="captured" id="id-photo" src=move || id.get() alt=en::ID_PHOTO_ALT/>
            <button id="retake-id" on:click=move |_| on_retake.run(Panel::Id)>{en::RETAKE}</button>
            <p class="error" role="alert">{move || error.get()}</p>
            <div class="actions">
                <button class="primary" id="submit" on:click=submit disabled=move || submitting.get()>
                    {move || if submitting.get() { en::SUBMITTING } else { en::SUBMIT }}
                </button>
            </div>
        </section>
    }
}
