//! The SPA's router: the path is a signal kept in step with the browser's history. Links
//! to our own paths are followed without a page load, the back and forward buttons work,
//! and code moves on with [`navigate`]. Four routes need no more than this, and a routing
//! crate would be a fifth of the learner's download.

use crate::routes::HOME;
use leptos::prelude::*;

thread_local! {
    // The current path, shared by every page. Not a context: links and async code
    // navigate from outside any component.
    static PATH: std::cell::Cell<Option<RwSignal<String>>> = const { std::cell::Cell::new(None) };
}

/// The page's path without a trailing slash (`/` becomes [`HOME`]).
fn normalize(path: &str) -> String {
    match path.trim_end_matches('/') {
        "" => HOME.to_owned(),
        p => p.to_owned(),
    }
}

/// Starts following the browser's location; call once, at the top of the SPA.
pub fn provide() {
    let here = current();
    let path = RwSignal::new(normalize(&here));
    PATH.set(Some(path));
    if here.trim_end_matches('/').is_empty() {
        write_history(HOME, true);
    }
    // Back and forward.
    let popstate = window_event_listener(leptos::ev::popstate, move |_| path.set(normalize(&current())));
    on_cleanup(move || popstate.remove());
    let clicks = window_event_listener(leptos::ev::click, follow_link);
    on_cleanup(move || clicks.remove());
}

/// The current path (normalized, without query or fragment), once [`provide`] ran.
pub fn use_path() -> Memo<String> {
    let path = PATH.get();
    Memo::new(move |_| path.map(|p| p.get()).unwrap_or_default())
}

/// Shows `to` (a path of ours). With `replace` the current history entry is replaced,
/// so the back button skips the page we leave, as for a redirect.
pub fn navigate(to: &str, replace: bool) {
    write_history(to, replace);
    if let Some(path) = PATH.get() {
        path.set(normalize(to.split(['?', '#']).next().unwrap_or_default()));
    }
    // A new page starts at its top, as after a page load.
    window().scroll_to_with_x_and_y(0.0, 0.0);
}

fn current() -> String {
    window().location().pathname().unwrap_or_default()
}

fn write_history(to: &str, replace: bool) {
    let Ok(history) = window().history() else { return };
    let _ = if replace {
        history.replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(to))
    } else {
        history.push_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(to))
    };
}

/// Follows a plain left click on a link to one of our paths inside the SPA; anything else
/// (new tab, download, another site, a fragment) is left to the browser.
fn follow_link(e: web_sys::MouseEvent) {
    use wasm_bindgen::JsCast;
    if e.default_prevented() || e.button() != 0 || e.meta_key() || e.alt_key() || e.ctrl_key() || e.shift_key() {
        return;
    }
    let Some(link) = e
        .target()
        .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
        .and_then(|el| el.closest("a[href]").ok().flatten())
    else {
        return;
    };
    let attr = |name| link.get_attribute(name);
    let Some(href) = attr("href") else { return };
    let ours = href.starts_with('/') && !href.starts_with("//");
    let elsewhere = attr("target").is_some_and(|t| !t.is_empty() && t != "_self")
        || attr("download").is_some()
        || attr("rel").is_some_and(|r| r.split_whitespace().any(|r| r == "external"));
    if ours && !elsewhere {
        e.prevent_default();
        navigate(&href, false);
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn paths_are_normalized() {
        assert_eq!(super::normalize("/"), "/id-verification");
        assert_eq!(super::normalize(""), "/id-verification");
        assert_eq!(super::normalize("/id-verification/status/"), "/id-verification/status");
        assert_eq!(super::normalize("/id-verification"), "/id-verification");
    }
}
