//! The browser entry point: mounts the learner SPA. On native targets it is an empty
//! program so that `cargo build --workspace` and clippy work without wasm32.

#[cfg(target_arch = "wasm32")]
fn main() {
    // No console_error_panic_hook (about 1 KB gzip of the budget): with panic = abort a panic
    // already stops the app with a trap and its wasm stack in the console.
    leptos::mount::mount_to_body(app::App);
}

#[cfg(not(target_arch = "wasm32"))]
fn main() {}
