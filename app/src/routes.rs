//! Every path of the learner SPA, and the server's pages the SPA sends learners to, written
//! once for the SPA and the server (redirects, LTI launches, emails, the LMS's links).
//!
//! These are contracts: LMS course pages, Open edX redirects and emails already sent carry
//! them, so the tests pin each one byte for byte. The flow's panels live at
//! `/id-verification/<panel>` ([`flow_panel`], their names in `pages::flow::steps`).

/// The SPA's base, for the `concat!`s below (a `const` cannot be concatenated).
macro_rules! home {
    () => {
        "/id-verification"
    };
}

/// The SPA's entry: the learner's status or the verification flow (`?course_id=…&flow=…`
/// for a course). `/` is sent here.
pub const HOME: &str = home!();
/// The learner's verification status.
pub const STATUS: &str = concat!(home!(), "/status");
/// The reverification entry (`/verify_student/reverify` redirects here): the flow, afresh.
pub const REVERIFY: &str = concat!(home!(), "/reverify");
/// "Continue on your phone": the server's desktop page that shows the hand-off link.
pub const HANDOFF: &str = "/handoff";
/// The development sign-in form's target (`[auth] dev_login`).
pub const DEV_LOGIN: &str = "/auth/dev-login";
/// Trunk's loader for the photo-quality worker (`frontend/index.html`), served beside the
/// SPA's bundle.
pub const QUALITY_WORKER: &str = "/quality-worker_loader.js";

/// The path of the flow panel named `slug` (`/id-verification/summary`).
pub fn flow_panel(slug: &str) -> String {
    format!("{HOME}/{slug}")
}

/// The one segment after [`HOME`] of a normalized path (`summary` of
/// `/id-verification/summary`), if the path is one: a flow panel, or [`STATUS`].
pub fn panel_slug(path: &str) -> Option<&str> {
    path.strip_prefix(HOME)?.strip_prefix('/').filter(|slug| !slug.is_empty() && !slug.contains('/'))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Public URLs: a change here breaks links in LMSs and in emails already sent.
    #[test]
    fn paths_are_pinned() {
        assert_eq!(HOME, "/id-verification");
        assert_eq!(STATUS, "/id-verification/status");
        assert_eq!(REVERIFY, "/id-verification/reverify");
        assert_eq!(HANDOFF, "/handoff");
        assert_eq!(DEV_LOGIN, "/auth/dev-login");
        assert_eq!(QUALITY_WORKER, "/quality-worker_loader.js");
        assert_eq!(flow_panel("summary"), "/id-verification/summary");
    }

    #[test]
    fn panel_slugs() {
        assert_eq!(panel_slug("/id-verification/summary"), Some("summary"));
        assert_eq!(panel_slug(STATUS), Some("status"));
        for none in ["/id-verification", "/id-verification/", "/id-verification/a/b", "/id-verificationx", "/elsewhere"]
        {
            assert_eq!(panel_slug(none), None, "{none}");
        }
    }
}
