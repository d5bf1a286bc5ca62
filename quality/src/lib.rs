//! Photo quality checks: pure functions over a small grayscale frame.
//!
//! The learner's browser runs them on a few preview frames per second (in a web worker,
//! `quality-worker`), and the fake vendor runs the same functions on submitted photos, so
//! what the learner is told while taking a photo is exactly what a vendor following these
//! rules would deny. Every frame is first reduced to [`WORK_SIDE`] pixels on its longest
//! side ([`Gray::from_rgba`]): thresholds (blur especially) then mean the same thing for a
//! 320 px preview frame and a 1280 px upload.

#[cfg(feature = "decode")]
pub mod decode;
#[cfg(feature = "detector")]
pub mod detect;
mod measure;

pub use measure::{card_sides, laplacian_variance, mean, saturated_fraction};

/// The longest side of the frame every check works on.
pub const WORK_SIDE: u32 = 320;

/// A grayscale frame, one byte per pixel, rows top to bottom.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Gray {
    pub width: u32,
    pub height: u32,
    pub pixels: Vec<u8>,
}

impl Gray {
    /// Luma of an RGBA buffer (`width`×`height`×4 bytes), box-averaged down so its longest
    /// side is at most `max_side` (never scaled up). `None` when the buffer does not match.
    pub fn from_rgba(rgba: &[u8], width: u32, height: u32, max_side: u32) -> Option<Self> {
        if width == 0 || height == 0 || rgba.len() != width as usize * height as usize * 4 {
            return None;
        }
        let luma: Vec<u8> = rgba
            .chunks_exact(4)
            // ITU-R BT.601 weights in eighths of 256: integer only, identical on every target.
            .map(|p| ((77 * u32::from(p[0]) + 150 * u32::from(p[1]) + 29 * u32::from(p[2])) >> 8) as u8)
            .collect();
        Self::from_luma(luma, width, height, max_side)
    }

    /// A grayscale buffer, box-averaged down like [`Gray::from_rgba`].
    pub fn from_luma(luma: Vec<u8>, width: u32, height: u32, max_side: u32) -> Option<Self> {
        if width == 0 || height == 0 || luma.len() != width as usize * height as usize {
            return None;
        }
        let full = Self { width, height, pixels: luma };
        Some(full.downscaled(max_side))
    }

    fn downscaled(self, max_side: u32) -> Self {
        let longest = self.width.max(self.height);
        if longest <= max_side {
            return self;
        }
        let (w, h) = (
            (u64::from(self.width) * u64::from(max_side) / u64::from(longest)).max(1) as u32,
            (u64::from(self.height) * u64::from(max_side) / u64::from(longest)).max(1) as u32,
        );
        let mut pixels = Vec::with_capacity(w as usize * h as usize);
        for y in 0..h {
            let (y0, y1) = span(y, h, self.height);
            for x in 0..w {
                let (x0, x1) = span(x, w, self.width);
                let mut sum = 0u64;
                for sy in y0..y1 {
                    let row = sy as usize * self.width as usize;
                    sum += self.pixels[row + x0 as usize..row + x1 as usize].iter().map(|&v| u64::from(v)).sum::<u64>();
                }
                let n = u64::from((y1 - y0) * (x1 - x0));
                pixels.push((sum / n) as u8);
            }
        }
        Self { width: w, height: h, pixels }
    }

    /// The pixel at (`x`, `y`), which must be inside the frame.
    pub fn at(&self, x: u32, y: u32) -> u8 {
        self.pixels[y as usize * self.width as usize + x as usize]
    }
}

/// The source range [start, end) that output index `i` of `out` covers in `src`.
fn span(i: u32, out: u32, src: u32) -> (u32, u32) {
    let start = (u64::from(i) * u64::from(src) / u64::from(out)) as u32;
    let end = ((u64::from(i + 1) * u64::from(src)).div_ceil(u64::from(out)) as u32).max(start + 1);
    (start, end.min(src))
}

/// Which photo a frame is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// The learner's face (front camera).
    Face,
    /// The photo ID (back camera preferred).
    Id,
}

/// A face found in a frame, in the frame's pixels.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FaceBox {
    pub x: f32,
    pub y: f32,
    pub width: f32,
    pub height: f32,
}

/// One thing wrong with a frame, in the order the learner is told about them: the first
/// issue of [`check`] is the one message shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Issue {
    TooDark,
    TooBright,
    NoFace,
    ManyFaces,
    FaceTooSmall,
    FaceOffCentre,
    NoCard,
    Blurry,
    Glare,
}

impl Issue {
    /// A stable name (the worker's messages, the tests, the fake vendor's logs).
    pub fn code(self) -> &'static str {
        match self {
            Self::TooDark => "too_dark",
            Self::TooBright => "too_bright",
            Self::NoFace => "no_face",
            Self::ManyFaces => "many_faces",
            Self::FaceTooSmall => "face_too_small",
            Self::FaceOffCentre => "face_off_centre",
            Self::NoCard => "no_card",
            Self::Blurry => "blurry",
            Self::Glare => "glare",
        }
    }
}

/// The limits of every check, chosen on the labelled set of `tests/measure.rs` (see
/// BENCHMARKS.md for their precision and recall).
pub mod limits {
    /// Mean luma below this is too dark.
    pub const DARK_MEAN: f32 = 60.0;
    /// Mean luma above this is too bright (washed out).
    pub const BRIGHT_MEAN: f32 = 205.0;
    /// A pixel at or above this luma is saturated.
    pub const SATURATED: u8 = 250;
    /// A share of saturated pixels in the face or card area above this is glare.
    pub const GLARE_SHARE: f32 = 0.04;
    /// Variance of the Laplacian below this (at [`super::WORK_SIDE`]) is blurred.
    pub const BLUR_VARIANCE: f32 = 60.0;
    /// A face narrower than this share of the frame's shorter side is too far away.
    pub const FACE_MIN_SHARE: f32 = 0.2;
    /// A face centre further than this share of the frame from the oval's centre is off.
    pub const FACE_CENTRE_SLACK: f32 = 0.2;
    /// The oval's centre, as a share of the frame's height (a little above the middle).
    pub const OVAL_CENTRE_Y: f32 = 0.45;
    /// The card guide's width as a share of the frame's width (ID-1 cards are 85.6×54 mm).
    pub const GUIDE_WIDTH: f32 = 0.8;
    /// Sides of the guide that must show a straight card edge.
    pub const CARD_SIDES: usize = 3;
}

/// The card guide drawn over the ID preview: (x, y, width, height) in the frame's pixels.
pub fn card_guide(width: u32, height: u32) -> (u32, u32, u32, u32) {
    let (w, h) = (width as f32, height as f32);
    let mut gw = w * limits::GUIDE_WIDTH;
    let mut gh = gw * 54.0 / 85.6;
    if gh > h * limits::GUIDE_WIDTH {
        gh = h * limits::GUIDE_WIDTH;
        gw = gh * 85.6 / 54.0;
    }
    let (gw, gh) = (gw.round() as u32, gh.round() as u32);
    ((width - gw) / 2, (height - gh) / 2, gw, gh)
}

/// Everything wrong with `frame` for a `kind` photo, most important first; empty when the
/// frame is good. `faces` are the faces found in `frame` (ignored for an ID).
pub fn check(frame: &Gray, kind: Kind, faces: &[FaceBox]) -> Vec<Issue> {
    let mut issues = Vec::new();
    let m = mean(frame);
    // A frame too dark or washed out cannot be judged further (its edges, and so blur, a
    // face or a card, fade with the light): the light is the one thing to fix first.
    if m < limits::DARK_MEAN {
        return vec![Issue::TooDark];
    } else if m > limits::BRIGHT_MEAN {
        return vec![Issue::TooBright];
    }
    let (w, h) = (frame.width as f32, frame.height as f32);
    let area = match kind {
        Kind::Face => {
            match faces {
                [] => issues.push(Issue::NoFace),
                [_, _, ..] => issues.push(Issue::ManyFaces),
                [f] => {
                    if f.width < limits::FACE_MIN_SHARE * w.min(h) {
                        issues.push(Issue::FaceTooSmall);
                    }
                    let (cx, cy) = (f.x + f.width / 2.0, f.y + f.height / 2.0);
                    let off_x = (cx / w - 0.5).abs();
                    let off_y = (cy / h - limits::OVAL_CENTRE_Y).abs();
                    if off_x > limits::FACE_CENTRE_SLACK || off_y > limits::FACE_CENTRE_SLACK + 0.05 {
                        issues.push(Issue::FaceOffCentre);
                    }
                }
            }
            // Glare is judged inside the oval, where the face should be.
            clamp_rect(frame, w * 0.25, h * 0.1, w * 0.5, h * 0.75)
        }
        Kind::Id => {
            let guide = card_guide(frame.width, frame.height);
            if card_sides(frame, guide) < limits::CARD_SIDES {
                issues.push(Issue::NoCard);
            }
            guide
        }
    };
    if laplacian_variance(frame) < limits::BLUR_VARIANCE {
        issues.push(Issue::Blurry);
    }
    if saturated_fraction(frame, area) > limits::GLARE_SHARE {
        issues.push(Issue::Glare);
    }
    issues.sort();
    issues
}

/// A rectangle in float pixels, clamped to the frame, as whole pixels.
fn clamp_rect(frame: &Gray, x: f32, y: f32, w: f32, h: f32) -> (u32, u32, u32, u32) {
    let x0 = x.max(0.0).min(frame.width as f32 - 1.0) as u32;
    let y0 = y.max(0.0).min(frame.height as f32 - 1.0) as u32;
    let x1 = ((x + w).max(0.0) as u32).clamp(x0 + 1, frame.width);
    let y1 = ((y + h).max(0.0) as u32).clamp(y0 + 1, frame.height);
    (x0, y0, x1 - x0, y1 - y0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn flat(v: u8, w: u32, h: u32) -> Gray {
        Gray { width: w, height: h, pixels: vec![v; (w * h) as usize] }
    }

    #[test]
    fn downscales_by_averaging() {
        let rgba: Vec<u8> =
            [[0, 0, 0, 255], [255, 255, 255, 255]].iter().cycle().take(4 * 2).flatten().copied().collect();
        let g = Gray::from_rgba(&rgba, 4, 2, 2).expect("valid");
        assert_eq!((g.width, g.height), (2, 1));
        assert!(g.pixels.iter().all(|&p| (126..=128).contains(&p)), "{:?}", g.pixels);
        assert_eq!(Gray::from_rgba(&rgba, 5, 2, 2), None, "size mismatch");
        assert_eq!(Gray::from_rgba(&[], 0, 0, 2), None);
    }

    #[test]
    fn flat_frames_are_dark_bright_and_blurred() {
        let face = FaceBox { x: 110.0, y: 60.0, width: 100.0, height: 100.0 };
        assert_eq!(check(&flat(20, 320, 240), Kind::Face, &[face]), vec![Issue::TooDark]);
        let bright = check(&flat(255, 320, 240), Kind::Face, &[face]);
        assert_eq!(bright, vec![Issue::TooBright], "nothing else is judged in a washed-out frame");
        assert_eq!(check(&flat(128, 320, 240), Kind::Face, &[face]), vec![Issue::Blurry]);
        assert!(check(&flat(128, 320, 240), Kind::Id, &[]).contains(&Issue::NoCard));
    }

    #[test]
    fn face_rules() {
        let g = flat(128, 320, 240);
        let at = |x: f32, y: f32, s: f32| FaceBox { x, y, width: s, height: s };
        let face = |faces: &[FaceBox]| {
            check(&g, Kind::Face, faces).into_iter().filter(|i| *i != Issue::Blurry).collect::<Vec<_>>()
        };
        assert_eq!(face(&[at(110.0, 58.0, 100.0)]), vec![]);
        assert_eq!(face(&[]), vec![Issue::NoFace]);
        assert_eq!(face(&[at(10.0, 58.0, 100.0), at(200.0, 58.0, 100.0)]), vec![Issue::ManyFaces]);
        assert_eq!(face(&[at(150.0, 90.0, 30.0)]), vec![Issue::FaceTooSmall]);
        assert_eq!(face(&[at(0.0, 58.0, 100.0)]), vec![Issue::FaceOffCentre]);
    }

    #[test]
    fn guide_is_centred_and_card_shaped() {
        let (x, y, w, h) = card_guide(320, 240);
        assert_eq!((x, w), (32, 256));
        assert!((239..=240).contains(&(y * 2 + h)));
        assert!((w as f32 / h as f32 - 85.6 / 54.0).abs() < 0.02);
        let (_, _, w, h) = card_guide(240, 320);
        assert!(w <= 240 && h <= 320);
    }
}
