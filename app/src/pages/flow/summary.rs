//! Review and submit: both photos, the name, links back to each step (which return here),
//! consent, and submission errors in words.

use super::{PanelFrame, state::FlowState, steps::FlowStep, use_flow};
use crate::{dto::SubmitPhotosRequest, i18n::t, rpc::submit_photos};
use leptos::{prelude::*, task::spawn_local};

/// The summary panel.
#[component]
pub fn Summary() -> impl IntoView {
    let flow = use_flow();
    let s = t();
    flow.update(|st| st.reached_summary = true);
    let consent = RwSignal::new(false);
    let error = RwSignal::new(None::<String>);
    let submitting = RwSignal::new(false);
    let (face, id_photo, name, reuse) =
        flow.state.with_untracked(|st| (st.face.clone(), st.id_photo.clone(), st.name.clone(), st.reuses_id()));
    // A photo uploaded or taken while a quality check failed: said here, never blocking.
    let (face_warning, id_warning) = flow
        .state
        .with_untracked(|st| (st.face_warning.clone().unwrap_or_default(), st.id_warning.clone().unwrap_or_default()));

    let submit = move |_| {
        if !consent.get_untracked() {
            error.set(Some(s.consent_missing.to_owned()));
            return;
        }
        let Some(request) = flow.state.with_untracked(request) else { return };
        submitting.set(true);
        error.set(None);
        spawn_local(async move {
            match submit_photos(request).await {
                // The flow then shows (and redirects to) the submitted panel by itself.
                Ok(_) => flow.update(|st| *st = std::mem::take(st).finished()),
                Err(e) => {
                    let _ = error.try_set(Some(e.message));
                    let _ = submitting.try_set(false);
                }
            }
        });
    };
    let new_id = move |_| {
        flow.update(|st| st.reuse_id = Some(false));
        flow.go(FlowStep::IdContext);
    };

    view! {
        <PanelFrame heading=s.summary_heading>
            <p>{s.summary_text}</p>
            <div class="photos">
                <figure>
                    <img class="captured" id="face-photo" src=face alt=s.face_alt/>
                    <figcaption>{s.summary_face}</figcaption>
                    <p class="warning" id="face-warning">{face_warning}</p>
                    <a id="retake-face" href=FlowStep::TakePortraitPhoto.path()>{s.retake_face}</a>
                </figure>
                {if reuse {
                    view! {
                        <figure>
                            <p class="notice" id="id-reused">{s.summary_id_reused}</p>
                            <button id="new-id-photo" on:click=new_id>{s.summary_new_id}</button>
                        </figure>
                    }.into_any()
                } else {
                    view! {
                        <figure>
                            <img class="captured" id="id-photo" src=id_photo alt=s.id_alt/>
                            <figcaption>{s.summary_id}</figcaption>
                            <p class="warning" id="id-warning">{id_warning.clone()}</p>
                            <a id="retake-id" href=FlowStep::TakeIdPhoto.path()>{s.retake_id}</a>
                        </figure>
                    }.into_any()
                }}
            </div>
            <dl class="name">
                <dt>{s.summary_name}</dt>
                <dd id="summary-name">{name}</dd>
            </dl>
            <a id="edit-name" href=FlowStep::GetNameId.path()>{s.edit_name}</a>
            <div class="consent">
                <input type="checkbox" id="consent" prop:checked=consent
                    on:change=move |ev| { consent.set(event_target_checked(&ev)); error.set(None); }/>
                <label for="consent">{s.consent}</label>
            </div>
            <p class="error" id="submit-error" role="alert">{error}</p>
            <div class="actions">
                <button class="primary" id="submit" on:click=submit disabled=submitting>
                    {Signal::derive(move || if submitting.get() { s.submitting } else { s.submit })}
                </button>
            </div>
        </PanelFrame>
    }
}

/// The submission for the flow's state, when every part is there.
fn request(st: &FlowState) -> Option<SubmitPhotosRequest> {
    let photo_id_image = if st.reuses_id() { None } else { Some(st.id_photo.clone()?) };
    Some(SubmitPhotosRequest {
        face_image: st.face.clone()?,
        photo_id_image,
        full_name: st.name.clone(),
        course_key: st.course.clone(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_need_every_part() {
        let mut st = FlowState { face: Some("f".into()), name: Some("Ada".into()), ..FlowState::default() };
        assert_eq!(request(&st), None, "no ID photo and no reuse");
        st.reuse_id = Some(true);
        let r = request(&st).expect("complete");
        assert_eq!((r.face_image.as_str(), r.photo_id_image, r.full_name.as_deref()), ("f", None, Some("Ada")));
        st.reuse_id = Some(false);
        st.id_photo = Some("i".into());
        assert_eq!(request(&st).and_then(|r| r.photo_id_image).as_deref(), Some("i"));
    }
}
