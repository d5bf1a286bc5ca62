//! The staff console: a single-page app of its own (not part of the learner bundle, which
//! has a size budget), served under `/staff` and talking to the REST API with `fetch` and
//! the session cookie. On native targets it is an empty program (plus the tested helpers),
//! so `cargo build --workspace` and clippy work without wasm32.

#[cfg(target_arch = "wasm32")]
mod api;
// Used by the pages (wasm32 only); natively only its tests use it.
#[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]
mod format;
#[cfg(target_arch = "wasm32")]
mod pages;

#[cfg(target_arch = "wasm32")]
fn main() {
    console_error_panic_hook::set_once();
    leptos::mount::mount_to_body(pages::App);
}

#[cfg(not(target_arch = "wasm32"))]
fn main() {}
