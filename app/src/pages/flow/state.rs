//! The flow's state: what the learner has done so far. Kept in memory and in the tab's
//! `sessionStorage`, so a reload resumes where the learner was; never in `localStorage`,
//! so the photos leave the device's storage when the tab closes.

use super::steps::FlowStep;
use serde::{Deserialize, Serialize};

/// The `sessionStorage` key.
pub const STORAGE_KEY: &str = "vouch.idv.flow";

/// How the photos are taken.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum CameraChoice {
    /// Not asked yet.
    #[default]
    Unknown,
    /// The camera is allowed.
    Camera,
    /// The learner uploads files (camera denied or missing).
    Upload,
}

/// Everything the learner has done in this flow.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FlowState {
    /// Whose flow this is (username): on a shared computer the next learner in the same tab
    /// must not see or submit the previous one's photos.
    pub owner: String,
    /// Panels with nothing to enter that the learner has gone past.
    pub done: Vec<FlowStep>,
    /// Camera or upload.
    pub camera: CameraChoice,
    /// The face photo (data URL).
    pub face: Option<String>,
    /// The ID photo (data URL).
    pub id_photo: Option<String>,
    /// Whether to reuse the earlier approved ID photo (`None`: not decided yet).
    pub reuse_id: Option<bool>,
    /// The name as on the ID.
    pub name: Option<String>,
    /// The learner has seen the summary: retakes return there.
    pub reached_summary: bool,
    /// Submitted: the flow is over.
    pub submitted: bool,
    /// The course the learner came with (recorded on the attempt).
    #[serde(default)]
    pub course: Option<String>,
    /// Its name, when known (shown above every panel).
    #[serde(default)]
    pub course_name: Option<String>,
    /// The quality warning the face photo was taken with (upload or "take it anyway");
    /// left out of the saved JSON when there is none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub face_warning: Option<String>,
    /// The quality warning the ID photo was taken with.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id_warning: Option<String>,
}

impl FlowState {
    /// Whether the ID step is skipped because an approved ID photo is reused.
    pub fn reuses_id(&self) -> bool {
        self.reuse_id == Some(true)
    }

    /// Marks a panel with nothing to enter as done.
    pub fn mark(&mut self, step: FlowStep) {
        if !self.done.contains(&step) {
            self.done.push(step);
        }
    }

    /// The state after submission: the photos are dropped at once.
    pub fn finished(self) -> Self {
        Self {
            owner: self.owner,
            submitted: true,
            course: self.course,
            course_name: self.course_name,
            ..Self::default()
        }
    }

    /// A fresh flow for `owner` that keeps the course the learner came with.
    pub fn restart(&self, owner: String) -> Self {
        Self { owner, course: self.course.clone(), course_name: self.course_name.clone(), ..Self::default() }
    }
}

#[cfg(target_arch = "wasm32")]
thread_local! {
    // The live copy: a photo too big for sessionStorage's quota still survives navigation.
    static MEMORY: std::cell::RefCell<Option<FlowState>> = const { std::cell::RefCell::new(None) };
}

#[cfg(target_arch = "wasm32")]
fn session_storage() -> Option<web_sys::Storage> {
    web_sys::window()?.session_storage().ok().flatten()
}

/// The state of this tab's flow (empty when none).
pub fn load() -> FlowState {
    #[cfg(target_arch = "wasm32")]
    {
        if let Some(s) = MEMORY.with(|m| m.borrow().clone()) {
            return s;
        }
        let stored = session_storage()
            .and_then(|st| st.get_item(STORAGE_KEY).ok().flatten())
            .and_then(|json| crate::wire_json::from_str(&json))
            .unwrap_or_default();
        MEMORY.with(|m| *m.borrow_mut() = Some(FlowState::clone(&stored)));
        stored
    }
    #[cfg(not(target_arch = "wasm32"))]
    {
        FlowState::default()
    }
}

thread_local! {
    // The course of the page the learner entered by (`None` inside: no course), for the flow
    // that starts next; kept out of `load` so that reading the saved flow stays in one place.
    static ENTERED_WITH: std::cell::RefCell<Option<(Option<String>, Option<String>)>> =
        const { std::cell::RefCell::new(None) };
}

/// Sets the course the learner came with (`None`: no course) and its name, for the flow
/// that starts next.
pub fn set_course(course: Option<String>, name: Option<String>) {
    ENTERED_WITH.with(|c| *c.borrow_mut() = Some((course, name)));
}

/// The course the verification page is for: the one the learner just entered with (the flow
/// takes it only when its panels mount, after the slot has asked the server which vendor
/// serves it), else the saved flow's.
pub fn current_course() -> Option<String> {
    ENTERED_WITH.with(|c| c.borrow().as_ref().map(|(course, _)| course.clone())).unwrap_or_else(|| load().course)
}

impl FlowState {
    /// Takes the course the learner entered with into the flow: another course is another
    /// flow (the photos of the previous one are dropped).
    pub fn enter(&mut self) {
        if let Some((course, name)) = ENTERED_WITH.with(|c| c.borrow_mut().take()) {
            if self.course != course {
                *self = self.restart(self.owner.clone());
            }
            self.course = course;
            self.course_name = name;
        }
    }
}

/// Keeps `state` for this tab. When the photos exceed the storage quota, the state is kept
/// without them (a reload then asks for the photos again) rather than not at all.
pub fn save(state: &FlowState) {
    #[cfg(target_arch = "wasm32")]
    {
        MEMORY.with(|m| *m.borrow_mut() = Some(state.clone()));
        let Some(storage) = session_storage() else { return };
        let put =
            |s: &FlowState| crate::wire_json::to_string(s).is_some_and(|j| storage.set_item(STORAGE_KEY, &j).is_ok());
        if !put(state) {
            let light = FlowState { face: None, id_photo: None, ..state.clone() };
            let _ = put(&light);
        }
    }
    #[cfg(not(target_arch = "wasm32"))]
    {
        let _ = state;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_slot_asks_for_the_course_just_entered_with() {
        // Nothing entered: the saved flow's (none natively).
        assert_eq!(current_course(), None);
        set_course(Some("course-v1:Acme+X+1".into()), None);
        assert_eq!(current_course().as_deref(), Some("course-v1:Acme+X+1"), "before the flow takes it");
        // Entered inside (no course) after a course flow: no course, not the older one.
        set_course(None, None);
        assert_eq!(current_course(), None);
        ENTERED_WITH.with(|c| c.borrow_mut().take());
    }

    #[test]
    fn the_course_entered_with_starts_its_own_flow() {
        let photos = FlowState {
            owner: "ada".into(),
            face: Some("f".into()),
            course: Some("c1".into()),
            course_name: Some("One".into()),
            ..FlowState::default()
        };
        // The same course: the flow goes on, with the name as reported now.
        let mut st = photos.clone();
        set_course(Some("c1".into()), Some("One, renamed".into()));
        st.enter();
        assert_eq!((st.face.as_deref(), st.course_name.as_deref()), (Some("f"), Some("One, renamed")));
        // Another course (or none): a new flow, the photos dropped, the owner kept.
        let mut st = photos.clone();
        set_course(None, None);
        st.enter();
        assert_eq!((st.owner.as_str(), st.face, st.course), ("ada", None, None));
        // Nothing entered (a reload inside the flow): unchanged.
        let mut st = photos.clone();
        st.enter();
        assert_eq!(st, photos);
        // Submitting keeps the course for the confirmation.
        assert_eq!(photos.finished().course.as_deref(), Some("c1"));
    }
}
