//! The flow's panels, their order and which one a learner may see: pure, so the rules are
//! unit-tested without a browser.

use super::state::{CameraChoice, FlowState};
use crate::routes;
use serde::{Deserialize, Serialize};

/// One panel of the flow, named as in Open edX's account MFE.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum FlowStep {
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
pub const ORDER: [FlowStep; 9] = [
    FlowStep::ReviewRequirements,
    FlowStep::RequestCameraAccess,
    FlowStep::PortraitPhotoContext,
    FlowStep::TakePortraitPhoto,
    FlowStep::IdContext,
    FlowStep::GetNameId,
    FlowStep::TakeIdPhoto,
    FlowStep::Summary,
    FlowStep::Submitted,
];

/// Every step: the main path, then the two directions panels (derived from [`ORDER`], so a
/// step added to the path cannot be left out here).
const ALL: [FlowStep; ORDER.len() + 2] = {
    let mut all = [FlowStep::EnableCamera; ORDER.len() + 2];
    let mut i = 0;
    while i < ORDER.len() {
        all[i] = ORDER[i];
        i += 1;
    }
    all[ORDER.len()] = FlowStep::EnableCamera;
    all[ORDER.len() + 1] = FlowStep::UnsupportedCamera;
    all
};

impl FlowStep {
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
        routes::flow_panel(self.slug())
    }

    /// The panel a path names (`/id-verification/summary`), if any.
    pub fn from_path(path: &str) -> Option<Self> {
        let slug = path.strip_prefix(routes::HOME)?.trim_matches('/');
        ALL.into_iter().find(|s| s.slug() == slug)
    }

    fn index(self) -> Option<usize> {
        ORDER.iter().position(|s| *s == self)
    }
}

/// Whether the learner has done `step`.
pub fn is_done(step: FlowStep, s: &FlowState) -> bool {
    match step {
        FlowStep::RequestCameraAccess => s.camera != CameraChoice::Unknown,
        FlowStep::TakePortraitPhoto => s.face.is_some(),
        FlowStep::GetNameId => s.name.is_some(),
        FlowStep::IdContext => s.reuses_id() || s.done.contains(&step),
        FlowStep::TakeIdPhoto => s.reuses_id() || s.id_photo.is_some(),
        FlowStep::Submitted => s.submitted,
        FlowStep::Summary => s.submitted,
        FlowStep::ReviewRequirements
        | FlowStep::PortraitPhotoContext
        | FlowStep::EnableCamera
        | FlowStep::UnsupportedCamera => s.done.contains(&step),
    }
}

/// The first step of the main path the learner has not done (the summary when all are).
pub fn first_undone(s: &FlowState) -> FlowStep {
    ORDER[..7].iter().copied().find(|step| !is_done(*step, s)).unwrap_or(FlowStep::Summary)
}

/// The panel to show for a request of `requested` (`None`: the flow's entry): the step
/// itself when every step before it is done, else the first step not done. A finished
/// flow only shows the submitted panel.
pub fn resolve(requested: Option<FlowStep>, s: &FlowState) -> FlowStep {
    if s.submitted {
        return FlowStep::Submitted;
    }
    let first = first_undone(s);
    match requested {
        None | Some(FlowStep::Submitted) => first,
        Some(FlowStep::EnableCamera | FlowStep::UnsupportedCamera) if is_done(FlowStep::ReviewRequirements, s) => {
            requested.unwrap_or(first)
        }
        Some(FlowStep::EnableCamera | FlowStep::UnsupportedCamera) => first,
        Some(step) => match (step.index(), first.index()) {
            (Some(want), Some(limit)) if want <= limit => step,
            _ => first,
        },
    }
}

/// Where the learner goes after finishing `step`: the next step not skipped, or back to
/// the summary once they have seen it (a retake returns there).
pub fn next(step: FlowStep, s: &FlowState) -> FlowStep {
    if s.reached_summary && matches!(step, FlowStep::TakePortraitPhoto | FlowStep::GetNameId | FlowStep::TakeIdPhoto) {
        return FlowStep::Summary;
    }
    let Some(i) = step.index() else { return FlowStep::PortraitPhotoContext };
    ORDER[i + 1..]
        .iter()
        .copied()
        .find(|n| !(s.reuses_id() && matches!(n, FlowStep::IdContext | FlowStep::TakeIdPhoto)))
        .unwrap_or(FlowStep::Submitted)
}

/// "Step n of m" for a panel of the main path, counting only the steps this learner takes.
pub fn progress(step: FlowStep, s: &FlowState) -> Option<(usize, usize)> {
    let shown: Vec<FlowStep> = ORDER[..8]
        .iter()
        .copied()
        .filter(|n| !(s.reuses_id() && matches!(n, FlowStep::IdContext | FlowStep::TakeIdPhoto)))
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
            assert_eq!(FlowStep::from_path(&step.path()), Some(step));
            assert_eq!(FlowStep::from_path(&format!("{}/", step.path())), Some(step));
        }
        assert_eq!(FlowStep::from_path("/id-verification"), None);
        assert_eq!(FlowStep::from_path("/id-verification/nope"), None);
        assert_eq!(FlowStep::from_path("/elsewhere/summary"), None);
    }

    #[test]
    fn a_fresh_learner_starts_at_the_requirements_whatever_they_open() {
        let s = FlowState::default();
        for step in ALL {
            assert_eq!(resolve(Some(step), &s), FlowStep::ReviewRequirements, "{step:?}");
        }
        assert_eq!(resolve(None, &s), FlowStep::ReviewRequirements);
    }

    #[test]
    fn a_later_step_sends_to_the_first_not_done() {
        let mut s = FlowState::default();
        s.done.push(FlowStep::ReviewRequirements);
        s.camera = CameraChoice::Camera;
        s.done.push(FlowStep::PortraitPhotoContext);
        assert_eq!(resolve(Some(FlowStep::Summary), &s), FlowStep::TakePortraitPhoto);
        assert_eq!(resolve(Some(FlowStep::TakeIdPhoto), &s), FlowStep::TakePortraitPhoto);
        // Going back is always allowed.
        assert_eq!(resolve(Some(FlowStep::ReviewRequirements), &s), FlowStep::ReviewRequirements);
        assert_eq!(resolve(Some(FlowStep::EnableCamera), &s), FlowStep::EnableCamera);
        s.face = photo();
        s.done.push(FlowStep::IdContext);
        assert_eq!(resolve(Some(FlowStep::Summary), &s), FlowStep::GetNameId);
        s.name = Some("Ada".into());
        assert_eq!(resolve(Some(FlowStep::Summary), &s), FlowStep::TakeIdPhoto);
        s.id_photo = photo();
        assert_eq!(resolve(Some(FlowStep::Summary), &s), FlowStep::Summary);
        assert_eq!(resolve(None, &s), FlowStep::Summary);
        assert_eq!(resolve(Some(FlowStep::Submitted), &s), FlowStep::Summary, "not submitted yet");
        s.submitted = true;
        assert_eq!(resolve(Some(FlowStep::TakePortraitPhoto), &s), FlowStep::Submitted);
    }

    #[test]
    fn next_follows_the_order_and_returns_to_the_summary() {
        let mut s = FlowState::default();
        let mut step = FlowStep::ReviewRequirements;
        let mut seen = vec![step];
        while step != FlowStep::Submitted {
            step = next(step, &s);
            seen.push(step);
        }
        assert_eq!(seen, ORDER);
        assert_eq!(next(FlowStep::EnableCamera, &s), FlowStep::PortraitPhotoContext);
        s.reached_summary = true;
        assert_eq!(next(FlowStep::TakePortraitPhoto, &s), FlowStep::Summary);
        assert_eq!(next(FlowStep::TakeIdPhoto, &s), FlowStep::Summary);
        assert_eq!(next(FlowStep::GetNameId, &s), FlowStep::Summary);
    }

    #[test]
    fn reusing_the_id_photo_skips_the_id_steps() {
        let mut s = FlowState { reuse_id: Some(true), ..FlowState::default() };
        assert_eq!(next(FlowStep::TakePortraitPhoto, &s), FlowStep::GetNameId);
        assert_eq!(next(FlowStep::GetNameId, &s), FlowStep::Summary);
        assert_eq!(progress(FlowStep::GetNameId, &s), Some((5, 6)));
        s.done.push(FlowStep::ReviewRequirements);
        s.camera = CameraChoice::Upload;
        s.done.push(FlowStep::PortraitPhotoContext);
        s.face = photo();
        s.name = Some("Ada".into());
        assert_eq!(resolve(Some(FlowStep::Summary), &s), FlowStep::Summary);
        // Declining the reuse puts the ID steps back.
        s.reuse_id = Some(false);
        assert_eq!(resolve(Some(FlowStep::Summary), &s), FlowStep::IdContext);
        assert_eq!(progress(FlowStep::GetNameId, &s), Some((6, 8)));
        assert_eq!(progress(FlowStep::EnableCamera, &s), None);
    }
}
