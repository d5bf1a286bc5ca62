//! Faces in a frame with rustface (a Rust port of SeetaFace's funnel-structured cascade,
//! BSD-2-Clause). Its frontal model ships inside the published crate, so nothing is
//! downloaded at run time; in the browser it lives only in the lazily loaded worker.

use crate::{FaceBox, Gray};

/// SeetaFace's frontal face model (1.2 MB), from the rustface crate's package.
static MODEL: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/seeta_fd_frontal.bin"));

/// The smallest face looked for, in pixels of a [`crate::WORK_SIDE`] frame: smaller faces
/// would be "too small" anyway, and each halving of this doubles the work.
const MIN_FACE: u32 = 24;

/// A face detector, built once (reading the model takes longer than a detection).
pub struct Detector(Box<dyn rustface::Detector>);

impl Detector {
    /// Reads the shipped model. `None` only if the model file is damaged.
    pub fn new() -> Option<Self> {
        let model = rustface::read_model(MODEL).ok()?;
        let mut d = rustface::create_detector_with_model(model);
        d.set_min_face_size(MIN_FACE);
        d.set_score_thresh(2.0);
        d.set_pyramid_scale_factor(0.8);
        d.set_slide_window_step(4, 4);
        Some(Self(d))
    }

    /// The faces in `frame`.
    pub fn faces(&mut self, frame: &Gray) -> Vec<FaceBox> {
        if frame.width < MIN_FACE || frame.height < MIN_FACE {
            return Vec::new();
        }
        let image = rustface::ImageData::new(&frame.pixels, frame.width, frame.height);
        self.0
            .detect(&image)
            .into_iter()
            .map(|f| {
                let b = f.bbox();
                FaceBox { x: b.x() as f32, y: b.y() as f32, width: b.width() as f32, height: b.height() as f32 }
            })
            .collect()
    }
}
