//! Acme's slot filler (`docs/plugins.md`, "A compiled filler"): this example's frontend
//! registers it before mounting Vouch's learner SPA, and `custom-vouch` registers the same
//! names so the server knows the filler Acme's vendor asks for. Nothing in Vouch's crates
//! knows about it.
//!
//! The filler is Acme's own first step, rendered from the slot's props contract
//! ([`SlotConfig`]): the operator's wording from `[idv] slot_props` ([`HEADLINE_PROP`],
//! [`HELP_PROP`]), the course the learner verifies for (`course_id`), and the session URL
//! Acme's vendor opened for this learner (`hosted`), which the learner continues to. Acme
//! brings the learner back to Vouch's status page when they are done.

use app::slot::{Filler, SlotConfig, register_filler};
use leptos::prelude::*;

/// The filler's name: Acme's vendor names it as its `default_filler`.
pub const ACME_FLOW: &str = "acme_flow";

/// The `[idv] slot_props` key of the heading (`VOUCH_IDV__SLOT_PROPS__ACME_HEADLINE`).
pub const HEADLINE_PROP: &str = "acme_headline";
/// The `[idv] slot_props` key of an operator's help line, shown when set.
pub const HELP_PROP: &str = "acme_help";

/// The heading when the operator sets none.
const DEFAULT_HEADLINE: &str = "Verify your identity with Acme";

/// The fillers this build adds, by name.
pub const FILLERS: &[(&str, Filler)] = &[(ACME_FLOW, acme_flow)];

/// Registers this build's fillers: the browser entry point before it mounts the SPA,
/// `custom-vouch` when it starts.
pub fn register() {
    for (name, filler) in FILLERS {
        register_filler(name, *filler);
    }
}

/// Acme's first step: who verifies, for which course, and the way to Acme's own page.
pub fn acme_flow(config: SlotConfig) -> AnyView {
    // Acme's vendor always opens a session before naming this filler; without one (a
    // configuration naming it for another vendor) there is nowhere to send the learner.
    let Some(flow) = config.hosted else {
        return app::pages::error_box("Acme cannot verify you right now. Please try again later.".into());
    };
    let headline = config.props.get(HEADLINE_PROP).cloned().unwrap_or_else(|| DEFAULT_HEADLINE.into());
    let help = config.props.get(HELP_PROP).cloned();
    let course = config.course_id;
    let course_attr = course.clone();
    view! {
        <section class="card" id="acme-flow" data-course=course_attr>
            <p class="eyebrow">"Acme Identity"</p>
            <h1>{headline}</h1>
            {course.map(|c| view! { <p id="acme-course">"You are verifying for " <strong>{c}</strong> "."</p> })}
            {help.map(|h| view! { <p id="acme-help">{h}</p> })}
            <p>"Acme takes your photos on its own page, then brings you back here."</p>
            // A full page load to Acme's origin: `rel="external"` keeps Vouch's router out.
            <a class="button primary" id="acme-continue" href=flow.url rel="external">"Continue to Acme"</a>
        </section>
    }
    .into_any()
}

#[cfg(test)]
mod tests {
    use super::*;
    use app::slot::HostedFlow;

    fn config(course: Option<&str>, props: &[(&str, &str)]) -> SlotConfig {
        SlotConfig {
            filler: ACME_FLOW.into(),
            props: props.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect(),
            hosted: Some(HostedFlow { url: "http://acme.test/flow/ses_1".into(), display: "iframe".into() }),
            course_id: course.map(str::to_owned),
        }
    }

    #[test]
    fn register_adds_the_filler_under_its_name() {
        register();
        assert!(app::slot::filler(ACME_FLOW).is_some_and(|f| std::ptr::fn_addr_eq(f, acme_flow as Filler)));
    }

    #[test]
    fn renders_the_props_the_course_and_the_session_link() {
        let html = acme_flow(config(Some("course-v1:Acme+X+1"), &[(HEADLINE_PROP, "Verify for Example U")])).to_html();
        assert!(html.contains("Verify for Example U"), "{html}");
        assert!(html.contains(r#"data-course="course-v1:Acme+X+1""#) && html.contains("id=\"acme-course\""), "{html}");
        assert!(html.contains(r#"href="http://acme.test/flow/ses_1""#), "{html}");
        assert!(!html.contains("acme-help"), "no help line unless the operator sets one: {html}");

        // No course, no course line; defaults where the operator set nothing.
        let html = acme_flow(config(None, &[(HELP_PROP, "Questions? help@example.edu")])).to_html();
        assert!(html.contains(DEFAULT_HEADLINE) && html.contains("help@example.edu"), "{html}");
        assert!(!html.contains("acme-course") && !html.contains("data-course"), "{html}");
    }

    #[test]
    fn without_a_session_it_says_so_rather_than_linking_nowhere() {
        let html = acme_flow(SlotConfig { hosted: None, ..config(None, &[]) }).to_html();
        assert!(html.contains("role=\"alert\"") && !html.contains("acme-continue"), "{html}");
    }
}
