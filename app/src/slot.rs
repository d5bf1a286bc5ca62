//! The `id_verification_slot` plugin slot: which component renders the verification flow.
//! The slot asks the server (`slot_config`, with the course the flow was opened for) which
//! filler to render, with the operator's props, for a hosted vendor the flow URL the server
//! got for this learner, and the course ([`SlotConfig`]). Vouch's
//! fillers are compiled in ([`REGISTRY`]); a frontend crate that depends on `app` adds its
//! own with [`register_filler`] before it mounts the app. An unknown name falls back to the
//! built-in camera flow with a warning, so a configuration typo never leaves a blank page.

use crate::{error::AppError, pages::flow::BuiltinFlow};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The slot's id, as operators name it in configuration.
pub const ID_VERIFICATION_SLOT: &str = "id_verification_slot";
/// The built-in camera flow.
pub const BUILTIN: &str = "builtin";
/// The hosted vendor's flow (iframe or redirect).
pub const HOSTED: &str = "hosted";
/// Staff verify learners: a notice, nothing to capture.
pub const MANUAL: &str = "manual";
/// An operator's notice (props `headline`, `message`) above the vendor's flow.
pub const OPERATOR_NOTICE: &str = "operator_notice";

/// The hosted vendor's flow for this learner.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HostedFlow {
    /// The vendor's flow URL (http or https only; the server checks).
    pub url: String,
    /// `iframe` or `redirect`.
    pub display: String,
}

/// What the slot renders, as the server configured it for the caller: a filler's props
/// contract (`docs/plugins.md`, "The slot filler").
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SlotConfig {
    /// The filler's registered name.
    pub filler: String,
    /// Per-operator props from `[idv] slot_props`.
    pub props: BTreeMap<String, String>,
    /// The hosted flow, when the vendor runs its own.
    pub hosted: Option<HostedFlow>,
    /// The course the learner verifies for, when the page was opened for one
    /// (`?course_id=…`), as the server checked it and routed the learner's vendor by it.
    /// Absent from the answers of servers older than the field, hence the default.
    #[serde(default)]
    pub course_id: Option<String>,
}

/// The slot's configuration for the signed-in learner, verifying for `course_id` if given
/// (the `VendorRequested` filters may route by it). An optional form field, so the empty
/// form of clients that send no course still reads.
#[server(prefix = "/sfn", endpoint = "slot_config")]
pub async fn get_slot_config(course_id: Option<String>) -> Result<SlotConfig, AppError> {
    let ctx = crate::idv_port::context()?;
    ctx.port.slot_config(&ctx.caller, course_id).await
}

/// A slot filler: renders the flow from the slot's configuration.
pub type Filler = fn(SlotConfig) -> AnyView;

/// The fillers compiled into this build, by name. Adding one is one line here.
const REGISTRY: &[(&str, Filler)] = &[
    (BUILTIN, |_| view! { <BuiltinFlow/> }.into_any()),
    (HOSTED, hosted_flow),
    (MANUAL, manual_notice),
    (OPERATOR_NOTICE, operator_notice),
];

/// Fillers a build registered at start ([`register_filler`]), newest last.
static REGISTERED: std::sync::RwLock<Vec<(&'static str, Filler)>> = std::sync::RwLock::new(Vec::new());

/// Registers `filler` as `name` (a filler already registered as `name`, Vouch's own
/// included, is replaced). A frontend crate calls this before `mount_to_body`; a server that
/// should not warn about the name calls it too.
pub fn register_filler(name: &'static str, filler: Filler) {
    let mut registered = REGISTERED.write().unwrap_or_else(std::sync::PoisonError::into_inner);
    registered.retain(|(n, _)| *n != name);
    registered.push((name, filler));
}

/// The filler registered under `name`: a build's first, then Vouch's own.
pub fn filler(name: &str) -> Option<Filler> {
    let registered = REGISTERED.read().unwrap_or_else(std::sync::PoisonError::into_inner);
    registered.iter().chain(REGISTRY.iter()).find(|(n, _)| *n == name).map(|(_, f)| *f)
}

/// Renders the filler the server configured for this learner, for the course of this page:
/// the one the learner entered with, else the flow's (kept in its state, so a flow panel
/// reloaded later still has it).
#[component]
pub fn IdVerificationSlot() -> impl IntoView {
    let course = crate::pages::flow::state::current_course();
    let config = crate::rpc::slot_config(course.as_deref());
    move || match config.get() {
        None => crate::pages::loading(),
        Some(Ok(c)) => render(c),
        Some(Err(e)) => crate::pages::error_box(e.message),
    }
}

fn render(config: SlotConfig) -> AnyView {
    let requested = config.filler.clone();
    let (name, render) = match filler(&requested) {
        Some(f) => (requested.clone(), f),
        None => {
            leptos::logging::warn!("{ID_VERIFICATION_SLOT}: no filler named {requested:?}; using the built-in flow");
            (BUILTIN.to_owned(), REGISTRY[0].1)
        }
    };
    view! {
        <div class="slot" data-slot=ID_VERIFICATION_SLOT data-filler=name data-requested=requested>{render(config)}</div>
    }
    .into_any()
}

/// The vendor's own flow: in an iframe (which tells us by `postMessage` when the learner is
/// done) or by sending the browser to it.
fn hosted_flow(config: SlotConfig) -> AnyView {
    let Some(flow) = config.hosted else {
        return crate::pages::error_box("Identity verification is not available right now.".into());
    };
    if flow.display == "redirect" {
        #[cfg(target_arch = "wasm32")]
        let _ = window().location().set_href(&flow.url);
        return view! {
            <p class="notice" id="hosted-redirect">"Taking you to our verification partner… "
                <a href=flow.url>"Continue"</a></p>
        }
        .into_any();
    }
    let origin = origin_of(&flow.url).to_owned();
    let listener = window_event_listener(leptos::ev::message, move |e| {
        // Only the vendor's own page may say the learner is done.
        if e.origin() == origin && e.data().as_string().as_deref() == Some("vouch-hosted:done") {
            let _ = window().location().set_href(crate::routes::STATUS);
        }
    });
    on_cleanup(move || listener.remove());
    view! {
        <h1 class="page-title">"Verify your identity"</h1>
        // Sized by `.hosted-flow` in the style sheet: the pages' CSP allows no inline style.
        <iframe id="hosted-flow" class="hosted-flow" src=flow.url allow="camera" title="Identity verification"></iframe>
    }
    .into_any()
}

/// `scheme://host[:port]` of an absolute URL.
fn origin_of(url: &str) -> &str {
    let after_scheme = url.find("://").map_or(0, |i| i + 3);
    match url[after_scheme..].find(['/', '?', '#']) {
        Some(end) => &url[..after_scheme + end],
        None => url,
    }
}

fn manual_notice(config: SlotConfig) -> AnyView {
    let contact = config.props.get("contact").cloned().unwrap_or_default();
    view! {
        <section class="card" id="manual-notice">
            <h1 class="page-title">"Identity verification"</h1>
            <p>"On this platform, our staff verify identities. There is nothing to upload here."</p>
            {(!contact.is_empty()).then(|| view! { <p>"Contact: " {contact}</p> })}
        </section>
    }
    .into_any()
}

/// An example of an operator's own filler: their notice, then the vendor's flow.
fn operator_notice(config: SlotConfig) -> AnyView {
    let headline = config.props.get("headline").cloned().unwrap_or_default();
    let message = config.props.get("message").cloned().unwrap_or_default();
    let flow = if config.hosted.is_some() { hosted_flow(config) } else { view! { <BuiltinFlow/> }.into_any() };
    view! {
        <section class="card" id="operator-notice"><h2>{headline}</h2><p>{message}</p></section>
        {flow}
    }
    .into_any()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_filler_is_registered_once_and_unknown_is_not() {
        for name in [BUILTIN, HOSTED, MANUAL, OPERATOR_NOTICE] {
            assert!(filler(name).is_some(), "{name}");
            assert_eq!(REGISTRY.iter().filter(|(n, _)| *n == name).count(), 1);
        }
        assert!(filler("no-such-vendor").is_none());
    }

    #[test]
    fn a_build_registers_its_own_fillers() {
        fn custom(_: SlotConfig) -> AnyView {
            ().into_any()
        }
        let name = "test_custom_filler";
        assert!(filler(name).is_none());
        register_filler(name, custom);
        assert!(filler(name).is_some_and(|f| std::ptr::fn_addr_eq(f, custom as Filler)));
        // Registering again replaces (one entry per name); Vouch's own fillers stay.
        register_filler(name, custom);
        let count = REGISTERED.read().expect("lock").iter().filter(|(n, _)| *n == name).count();
        assert_eq!(count, 1);
        assert!(filler(MANUAL).is_some_and(|f| !std::ptr::fn_addr_eq(f, custom as Filler)));
        assert!(filler("still-unknown").is_none());
    }

    #[test]
    fn origins() {
        assert_eq!(origin_of("http://127.0.0.1:8151/flow/inq_1?session=x"), "http://127.0.0.1:8151");
        assert_eq!(origin_of("https://vendor.example"), "https://vendor.example");
        assert_eq!(origin_of("https://vendor.example?x=1"), "https://vendor.example");
    }
}
