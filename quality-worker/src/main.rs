//! The learner's quality worker: a web worker, loaded only when a camera step starts (Trunk
//! builds it as a separate wasm, outside the learner's initial bundle), that checks preview
//! frames and uploaded photos with the `quality` crate. Frames never leave the browser.
//!
//! On start it posts `"ready"` (the page waits for it: a message that comes while the wasm
//! loads has no handler yet and is lost). Message in: `{k: "face" | "id", l: "<locale>", b: ImageBitmap}` (a preview frame) or
//! `{k, l, u: "data:image/…"}` (an uploaded photo). Message out: `{c: "<first issue code>"
//! | "", a: "<every issue code, space separated>", t: "<the sentence to show>", w: "<the
//! warning to keep with a photo taken anyway>"}`, or `{c: "unchecked"}` when the frame or
//! photo could not be analysed (no `OffscreenCanvas`, an undrawable bitmap, an undecodable
//! file): neither good nor bad, so it never counts toward auto-capture and an upload gets
//! no warning (and no "good" either).

// The learner's guidance sentences live with the SPA's other strings; only this worker
// uses them (see that file).
#[path = "../../app/src/i18n/guidance.rs"]
#[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]
mod guidance;
#[cfg(target_arch = "wasm32")]
mod worker;

#[cfg(target_arch = "wasm32")]
fn main() {
    worker::start();
}

#[cfg(not(target_arch = "wasm32"))]
fn main() {}
