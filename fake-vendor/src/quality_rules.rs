//! `--quality-rules`: the fake vendor judges photos with the same checks the learner's
//! browser runs live (the `quality` crate), so a dark, blurred or faceless photo is denied
//! with Open edX's reason codes, as a real vendor's reviewer would.
//!
//! Only what a reviewer would refuse counts: too dark, washed out or blurred (the face:
//! `Image not clear`; the ID: `Text not clear`) and no face at all (`Face out of view`).
//! A face a little off centre, small, or a second face in the background passes: the live
//! guidance asks for more than the vendor requires, never less.

use quality::{Issue, Kind, decode, detect::Detector};
use std::cell::RefCell;

thread_local! {
    /// One detector per blocking thread: reading the model costs more than a detection.
    static DETECTOR: RefCell<Option<Detector>> = const { RefCell::new(None) };
}

/// The `userPhotoReasons` codes for a face photo (empty: acceptable).
pub(super) fn face_reasons(photo: &[u8]) -> Vec<&'static str> {
    let Ok(frame) = decode::work_frame(photo) else { return vec!["Image not clear"] };
    let faces = DETECTOR.with(|d| {
        let mut d = d.borrow_mut();
        if d.is_none() {
            *d = Detector::new();
        }
        d.as_mut().map(|d| d.faces(&frame)).unwrap_or_default()
    });
    let issues = quality::check(&frame, Kind::Face, &faces);
    let mut reasons = Vec::new();
    if issues.iter().any(|i| matches!(i, Issue::TooDark | Issue::TooBright | Issue::Blurry)) {
        reasons.push("Image not clear");
    }
    if issues.contains(&Issue::NoFace) {
        reasons.push("Face out of view");
    }
    reasons
}

/// The `photoIdReasons` codes for an ID photo (empty: acceptable).
pub(super) fn id_reasons(photo: &[u8]) -> Vec<&'static str> {
    let Ok(frame) = decode::work_frame(photo) else { return vec!["Text not clear"] };
    let issues = quality::check(&frame, Kind::Id, &[]);
    if issues.iter().any(|i| matches!(i, Issue::TooDark | Issue::TooBright | Issue::Blurry)) {
        vec!["Text not clear"]
    } else {
        Vec::new()
    }
}
