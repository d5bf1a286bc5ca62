//! The browser entry point: mounts the learner SPA. On native targets it is an empty
//! program so that `cargo build --workspace` and clippy work without wasm32.

#[cfg(target_arch = "wasm32")]
fn main() {
    console_error_panic_hook::set_once();
    leptos::mount::mount_to_body(app::App);
}

#[cfg(not(target_arch = "wasm32"))]
fn main() {}
