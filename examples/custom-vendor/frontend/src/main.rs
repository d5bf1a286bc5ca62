//! The example's browser entry point: Acme's filler registered, then the stock learner SPA.
//! On native targets it is an empty program, so `cargo build --workspace` and clippy work
//! without wasm32 (as in `frontend`).

#[cfg(target_arch = "wasm32")]
fn main() {
    // Before mounting: the slot looks fillers up when it renders.
    custom_vendor_frontend::register();
    leptos::mount::mount_to_body(app::App);
}

#[cfg(not(target_arch = "wasm32"))]
fn main() {}
