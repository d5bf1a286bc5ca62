//! The `id_verification_slot` plugin slot: which component renders the verification flow.
//! Fillers are registered by name; the built-in camera flow is the default, and an unknown
//! name falls back to it with a warning, so a configuration typo never leaves a blank page.

use crate::pages::flow::BuiltinFlow;
use leptos::prelude::*;

/// The slot's id, as operators name it in configuration.
pub const ID_VERIFICATION_SLOT: &str = "id_verification_slot";

/// The name of the built-in filler.
pub const BUILTIN: &str = "builtin";

/// A slot filler: renders the flow.
pub type Filler = fn() -> AnyView;

/// The fillers compiled into this build, by name. Adding one is one line here.
const REGISTRY: &[(&str, Filler)] = &[(BUILTIN, || view! { <BuiltinFlow/> }.into_any())];

/// The filler registered under `name`.
pub fn filler(name: &str) -> Option<Filler> {
    REGISTRY.iter().find(|(n, _)| *n == name).map(|(_, f)| *f)
}

/// Renders the filler named `filler` (the built-in flow when absent or unknown).
#[component]
pub fn IdVerificationSlot(#[prop(optional, into)] filler: Option<String>) -> impl IntoView {
    let name = filler.unwrap_or_else(|| BUILTIN.to_owned());
    let render = self::filler(&name).unwrap_or_else(|| {
        leptos::logging::warn!("{ID_VERIFICATION_SLOT}: no filler named {name:?}; using the built-in flow");
        REGISTRY[0].1
    });
    view! { <div class="slot" data-slot=ID_VERIFICATION_SLOT data-filler=name>{render()}</div> }
}

#[cfg(test)]
mod tests {
    #[test]
    fn builtin_is_registered_and_unknown_is_not() {
        assert!(super::filler(super::BUILTIN).is_some());
        assert!(super::filler("no-such-vendor").is_none());
    }
}
