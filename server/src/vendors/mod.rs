//! Verification vendors as plugins. Each vendor implements [`IdvVendor`] (defined in
//! `service::plugins`, re-exported here); the vendors of a process are a
//! [`VendorRegistry`] built at start-up and carried in [`Services::vendors`]: the built-in
//! ones ([`builtin`]) plus any a build adds through `server::App::builder()`. `[idv] vendor`
//! names the default; the `vendor_requested` filter pipeline may route a learner or a
//! course to another registered vendor ([`for_learner`]).

pub mod hosted;
pub mod in_house;
pub mod manual;
pub mod slot;
pub mod software_secure;
pub mod software_secure_plugin;

use crate::service::{
    Services,
    filters::{Filtered, VendorRequested},
};
use app::domain::UserId;
use std::sync::Arc;

pub use crate::config::vendors::{HOSTED, IN_HOUSE, MANUAL, SOFTWARE_SECURE};
pub use crate::service::plugins::{Handoff, IdvVendor, RegistryError, VendorError, VendorRegistry};

/// Every vendor compiled into Vouch, in the order of `config::vendors::NAMES`.
pub fn builtin() -> Vec<Arc<dyn IdvVendor>> {
    vec![
        Arc::new(software_secure_plugin::SoftwareSecure),
        Arc::new(hosted::Hosted),
        Arc::new(manual::Manual),
        Arc::new(in_house::InHouse),
    ]
}

/// The built-in vendor registered as `name` (tests and tools; a running process looks
/// vendors up in [`Services::vendors`], which also holds the vendors a build added).
pub fn by_name(name: &str) -> Option<Arc<dyn IdvVendor>> {
    builtin().into_iter().find(|v| v.name() == name)
}

/// The names of the built-in vendors.
pub fn names() -> Vec<&'static str> {
    builtin().iter().map(|v| v.name()).collect()
}

/// The deployment's default vendor (`[idv] vendor`, validated at start-up).
pub fn selected(services: &Services) -> Arc<dyn IdvVendor> {
    services.vendors.default_vendor(&services.cfg.idv.vendor)
}

/// The vendor that serves `user` (verifying for `course_id`, when known): the default,
/// unless a `vendor_requested` filter step routes them to another registered vendor. A
/// step naming a vendor this process does not have is logged and ignored, so a typo never
/// takes verification down.
pub async fn for_learner(services: &Services, user: UserId, course_id: Option<&str>) -> Arc<dyn IdvVendor> {
    let default = selected(services);
    if services.cfg.filters.vendor_requested.is_empty() {
        return default;
    }
    let data = VendorRequested { user, course_id: course_id.map(str::to_owned), vendor: default.name().to_owned() };
    let Filtered { data, .. } = services.filters.vendor_requested(services, data).await;
    if data.vendor == default.name() {
        return default;
    }
    match services.vendors.get(&data.vendor) {
        Some(routed) => {
            tracing::debug!(vendor = %data.vendor, "learner routed to a vendor by a filter step");
            routed
        }
        None => {
            tracing::warn!(vendor = %data.vendor, "a vendor_requested step chose a vendor that is not registered; the default serves");
            default
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use app::domain::GenericStatus;

    #[test]
    fn registry_names_are_unique_and_match_the_plugins() {
        let names = names();
        let mut sorted = names.clone();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(sorted.len(), names.len());
        for (name, vendor) in names.iter().zip(builtin()) {
            assert_eq!(vendor.name(), *name);
        }
        assert!(by_name("persona").is_none());
        // The built-ins form a valid registry (unique, well-formed names).
        let registry = VendorRegistry::new(builtin()).expect("a valid registry");
        assert_eq!(registry.names(), names);
        // `[idv] vendor` is validated against the configuration's list of these names.
        assert_eq!(names, crate::config::vendors::NAMES);
    }

    #[test]
    fn each_vendor_maps_its_words() {
        let ss = by_name(SOFTWARE_SECURE).expect("registered");
        assert_eq!(ss.map_status("PASS"), Some(GenericStatus::Approved));
        assert_eq!(ss.map_status("FAIL"), Some(GenericStatus::Denied));
        let hosted = by_name(HOSTED).expect("registered");
        assert_eq!(hosted.map_status("approved"), Some(GenericStatus::Approved));
        assert_eq!(hosted.map_status("declined"), Some(GenericStatus::Denied));
        assert_eq!(hosted.map_status("submitted"), Some(GenericStatus::Pending));
        assert_eq!(hosted.map_status("nonsense"), None);
        let manual = by_name(MANUAL).expect("registered");
        assert_eq!(manual.map_status("approved"), Some(GenericStatus::Approved));
    }
}
