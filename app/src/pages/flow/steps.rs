//! The flow's panels, their order and which one a learner may see: pure, so the rules are
//! unit-tested without a browser.

use super::state::{CameraChoice, FlowState};
use serde::{Deserialize, Serialize};

/// The flow's base path.
pub const BASE: &str = "/id-verification";
/// The reverification entry (`/verify_student/reverify` redirects here): starts afresh.
pub const REVERIFY: &str = "/id-verification/reverify";

/// One panel of the flow, named as in Open edX's account MFE.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Step {
    /// What the learner needs.
    ReviewRequirements,
    /// Ask the browser for the camera.
    RequestCameraAccess,
    /// Tips for the face photo.
    PortraitPhotoContext,
    /// Take (or upload) the face photo.
    TakePortraitPhoto,
    /// Tips for the ID photo.
    IdContext,
    /// The name as on the ID.
    GetNameId,
    /// Take (or upload) the ID photo.
    TakeIdPhoto,
    /// Review and submit.
    Summary,
    /// Done.
    Submitted,
    /// Directions: the camera permission was denied.
    EnableCamera,
    /// Directions: no camera, or no `mediaDevices`.
    UnsupportedCamera,
}

/// The main path, in order (the directions panels are side branches).
pub const ORDER: [Step; 9] = [
    Step::ReviewRequirements,
    Step::RequestCameraAccess,
    Step::PortraitPhotoContext,
    Step::TakePortraitPhoto,
    Step::IdContext,
    Step::GetNameId,
    Step::TakeIdPhoto,
    Step::Summary,
    Step::Submitted,
];

const ALL: [Step; 11] = [
    Step::ReviewRequirements,
    Step::RequestCameraAccess,
    Step::PortraitPhotoContext,
    Step::TakePortraitPhoto,
    Step::IdContext,
    Step::GetNameId,
    Step::TakeIdPhoto,
    Step::Summary,
    Step::Submitted,
    Step::EnableCamera,
    Step::UnsupportedCamera,
];

impl Step {
    /// The panel's URL segment.
    pub fn slug(self) -> &'static str {
        match self {
            Self::ReviewRequirements => "review-requirements",
            Self::RequestCameraAccess => "request-camera-access",
            Self::PortraitPhotoContext => "portrait-photo-context",
            Self::TakePortraitPhoto => "take-portrait-photo",
            Self::IdContext => "id-context",
            Self::GetNameId => "get-name-id",
            Self::TakeIdPhoto => "take-id-photo",
            Self::Summary => "summary",
            Self::Submitted => "submitted",
            Self::EnableCamera => "enable-camera",
            Self::UnsupportedCamera => "unsupported-camera",
        }
    }

    /// The panel's full path.
    pub fn path(self) -> String {
        format!("{BASE}/{}", self.slug())
    }

    /// The panel a path names (`/id-verification/summary`), if any.
    pub fn from_path(path: &str) -> Option<Self> {
        let slug = path.strip_prefix(BASE)?.trim_matches('/');
        ALL.into_iter().find(|s| s.slug() == slug)
    }

    fn index(self) -> Option<usize> {
        ORDER.iter().position(|s| *s == self)
    }
}

/// Whether the learner has done `step`.
pub fn is_done(step: Step, s: &FlowState) -> bool {
    match step {
        Step::RequestCameraAccess => s.camera != CameraChoice::Unknown,
        Step::TakePortraitPhoto => s.face.is_some(),
        Step::GetNameId => s.name.is_some(),
        Step::IdContext => s.reuses_id() || s.done.contains(&step),
        Step::TakeIdPhoto => s.reuses_id() || s.id_photo.is_some(),
        Step::Submitted => s.submitted,
        Step::Summary => s.submitted,
        Step::ReviewRequirements | Step::PortraitPhotoContext | Step::EnableCamera | Step::UnsupportedCamera => {
            s.done.contains(&step)
        }
    }
}

/// The first step of the main path the learner has not done (the summary when all are).
pub fn first_undone(s: &FlowState) -> Step {
    ORDER[..7].iter().copied().find(|step| !is_done(*step, s)).unwrap_or(Step::Summary)
}

/// The panel to show for a request of `requested` (`None`: the flow's entry): the step
/// itself when every step before it is done, else the first step not done. A finished
/// flow only shows the submitted panel.
pub fn resolve(requested: Option<Step>, s: &FlowState) -> Step {
    if s.submitted {
        return Step::Submitted;
    }
    let first = first_undone(s);
    match requested {
        None | Some(Step::Submitted) => first,
        Some(Step::EnableCamera | Step::UnsupportedCamera) if is_done(Step::ReviewRequirements, s) => {
            requested.unwrap_or(first)
        }
        Some(Step::EnableCamera | Step::UnsupportedCamera) => first,
        Some(step) => match (step.index(), first.index()) {
            (Some(want), Some(limit)) if want <= limit => step,
            _ => first,
        },
    }
}

/// Where the learner goes after finishing `step`: the next step not skipped, or back to
/// the summary once they have seen it (a retake returns there).
pub fn next(step: Step, s: &FlowState) -> Step {
    if s.reached_summary && matches!(step, Step::TakePortraitPhoto | Step::GetNameId | Step::TakeIdPhoto) {
        return Step::Summary;
    }
    let Some(i) = step.index() else { return Step::PortraitPhotoContext };
    ORDER[i + 1..]
        .iter()
        .copied()
        .find(|n| !(s.reuses_id() && matches!(n, Step::IdContext | Step::TakeIdPhoto)))
        .unwrap_or(Step::Submitted)
}

/// "Step n of m" for a panel of the main path, counting only the steps this learner takes.
pub fn progress(step: Step, s: &FlowState) -> Option<(usize, usize)> {
    let shown: Vec<Step> = ORDER[..8]
        .iter()
        .copied()
        .filter(|n| !(s.reuses_id() && matches!(n, Step::IdContext | Step::TakeIdPhoto)))
        .collect();
    shown.iter().position(|n| *n == step).map(|i| (i + 1, shown.len()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn photo() -> Option<String> {
        Some("data:image/jpeg;base64,AA==".into())
    }

    #[test]
    fn paths_round_trip() {
        for step in ALL {
            assert_eq!(Step::from_path(&step.path()), Some(step));
            assert_eq!(Step::from_path(&format!("{}/", step.path())), Some(step));
        }
        assert_eq!(Step::from_path("/id-verification"), None);
        assert_eq!(Step::from_path("/id-verification/nope"), None);
        assert_eq!(Step::from_path("/elsewhere/summary"), None);
    }

    #[test]
    fn a_fresh_learner_starts_at_the_requirements_whatever_they_open() {
        let s = FlowState::default();
        for step in ALL {
            assert_eq!(resolve(Some(step), &s), Step::ReviewRequirements, "{step:?}");
        }
        assert_eq!(resolve(None, &s), Step::ReviewRequirements);
    }

    #[test]
    fn a_later_step_sends_to_the_first_not_done() {
        let mut s = FlowState::default();
        s.done.push(Step::ReviewRequirements);
        s.camera = CameraChoice::Camera;
        s.done.push(Step::PortraitPhotoContext);
        assert_eq!(resolve(Some(Step::Summary), &s), Step::TakePortraitPhoto);
        assert_eq!(resolve(Some(Step::TakeIdPhoto), &s), Step::TakePortraitPhoto);
        // Going back is always allowed.
        assert_eq!(resolve(Some(Step::ReviewRequirements), &s), Step::ReviewRequirements);
        assert_eq!(resolve(Some(Step::EnableCamera), &s), Step::EnableCamera);
        s.face = photo();
        s.done.push(Step::IdContext);
        assert_eq!(resolve(Some(Step::Summary), &s), Step::GetNameId);
        s.name = Some("Ada".into());
        assert_eq!(resolve(Some(Step::Summary), &s), Step::TakeIdPhoto);
        s.id_photo = photo();
        assert_eq!(resolve(Some(Step::Summary), &s), Step::Summary);
        assert_eq!(resolve(None, &s), Step::Summary);
        assert_eq!(resolve(Some(Step::Submitted), &s), Step::Summary, "not submitted yet");
        s.submitted = true;
        assert_eq!(resolve(Some(Step::TakePortraitPhoto), &s), Step::Submitted);
    }

    #[test]
    fn next_follows_the_order_and_returns_to_the_summary() {
        let mut s = FlowState::default();
        let mut step = Step::ReviewRequirements;
        let mut seen = vec![step];
        while step != Step::Submitted {
            step = next(step, &s);
            seen.push(step);
        }
        assert_eq!(seen, ORDER);
        assert_eq!(next(Step::EnableCamera, &s), Step::PortraitPhotoContext);
        s.reached_summary = true;
        assert_eq!(next(Step::TakePortraitPhoto, &s), Step::Summary);
        assert_eq!(next(Step::TakeIdPhoto, &s), Step::Summary);
        assert_eq!(next(Step::GetNameId, &s), Step::Summary);
    }

    #[test]
    fn reusing_the_id_photo_skips_the_id_steps() {
        let mut s = FlowState { reuse_id: Some(true), ..FlowState::default() };
        assert_eq!(next(Step::TakePortraitPhoto, &s), Step::GetNameId);
        assert_eq!(next(Step::GetNameId, &s), Step::Summary);
        assert_eq!(progress(Step::GetNameId, &s), Some((5, 6)));
        s.done.push(Step::ReviewRequirements);
        s.camera = CameraChoice::Upload;
        s.done.push(Step::PortraitPhotoContext);
        s.face = photo();
        s.name = Some("Ada".into());
        assert_eq!(resolve(Some(Step::Summary), &s), Step::Summary);
        // Declining the reuse puts the ID steps back.
        s.reuse_id = Some(false);
        assert_eq!(resolve(Some(Step::Summary), &s), Step::IdContext);
        assert_eq!(progress(Step::GetNameId, &s), Some((6, 8)));
        assert_eq!(progress(Step::EnableCamera, &s), None);
    }
}
