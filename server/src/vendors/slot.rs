//! What the SPA renders in `id_verification_slot` for one learner: the configured filler
//! (or the vendor's own), the operator's props, for a hosted flow the vendor URL made for
//! this learner, and the course the learner verifies for.

use super::{Handoff, VendorError};
use crate::{
    service::{Services, deadlines},
    vendors,
};
use app::{
    domain::UserId,
    slot::{HostedFlow, SlotConfig},
};

/// The slot's configuration for `user`, verifying for `course_id` when the page was opened
/// for a course: the `VendorRequested` steps see it (a course routed to another vendor gets
/// that vendor's flow when the page opens, not only at submission), and the filler gets it
/// back. A malformed key is refused like every other door's (400 `invalid_request`) before
/// any step or vendor sees it. A filler name this build does not know is passed on (the
/// browser falls back to the built-in flow) and logged here, where operators look.
#[tracing::instrument(skip_all, fields(user.id = %user))]
pub async fn slot_config(
    services: &Services,
    user: UserId,
    course_id: Option<String>,
) -> Result<SlotConfig, VendorError> {
    if let Some(course) = &course_id {
        deadlines::check_course_key(course)?;
    }
    let vendor = vendors::for_learner(services, user, course_id.as_deref()).await;
    // `[idv] slot_filler` is the operator's choice for the default vendor; a learner routed to
    // another vendor gets that vendor's own filler (a camera filler cannot run a hosted flow).
    let configured = services.cfg.idv.slot_filler.clone().filter(|_| vendor.name() == services.cfg.idv.vendor);
    let filler = configured.unwrap_or_else(|| vendor.default_filler().to_owned());
    if app::slot::filler(&filler).is_none() {
        tracing::warn!(filler = %filler, "id_verification_slot: no filler registered under this name; the built-in flow is shown");
    }
    let hosted = match vendor.start(services, user, course_id.as_deref()).await? {
        Handoff::Hosted { url } => {
            Some(HostedFlow { url, display: services.cfg.idv.hosted_display.as_str().to_owned() })
        }
        Handoff::BuiltIn | Handoff::Manual => None,
    };
    Ok(SlotConfig { filler, props: services.cfg.idv.slot_props.clone(), hosted, course_id })
}
