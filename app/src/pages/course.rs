//! The flow for a learner who came from a course (Open edX's `/verify_student/<flow>/<course>/`
//! links land on `/id-verification?course_id=…&flow=…`): verifying elsewhere when the
//! platform says so, the missed-deadline page, payment first (pay-and-verify), the learner's
//! status when they may not verify now, else the photo steps with the course recorded.

use super::{StatusOrFlow, error_box, loading, status::long_date};
use crate::{
    dto::{CourseFlow, CourseFlowRequest},
    i18n::t,
    pages::flow::state,
    rpc,
};
use leptos::prelude::*;

/// The course and flow page in a location's query (`?course_id=…&flow=…`), if a course is given.
pub fn from_query(search: &str) -> Option<CourseFlowRequest> {
    let (mut course_key, mut flow) = (String::new(), String::new());
    for pair in search.trim_start_matches('?').split('&') {
        match pair.split_once('=') {
            Some(("course_id", v)) => course_key = decode(v),
            Some(("flow", v)) => flow = decode(v),
            _ => {}
        }
    }
    (!course_key.is_empty()).then_some(CourseFlowRequest { course_key, flow })
}

/// Percent-decoding by the browser (`decodeURIComponent`: `+` stays a plus, as course keys
/// hold them and never spaces); a malformed escape leaves the value as it is.
fn decode(s: &str) -> String {
    #[cfg(target_arch = "wasm32")]
    if let Some(d) = js_sys::decode_uri_component(s).ok().and_then(|d| d.as_string()) {
        return d;
    }
    s.to_owned()
}

/// The entry page with a course.
#[component]
pub fn CourseEntry(request: CourseFlowRequest) -> impl IntoView {
    let course = rpc::course_flow(&request);
    let key = request.course_key;
    move || match course.get() {
        None => loading(),
        Some(Err(e)) => error_box(e.message),
        Some(Ok(c)) => {
            // The photo steps that follow record this course on the attempt.
            state::set_course(Some(key.clone()), c.name.clone());
            render(c)
        }
    }
}

fn render(c: CourseFlow) -> AnyView {
    let s = t();
    let (id, heading, text, link) = if let Some(url) = c.elsewhere {
        #[cfg(target_arch = "wasm32")]
        let _ = window().location().set_href(&url);
        ("verify-elsewhere", s.title, String::new(), Some((url, s.elsewhere)))
    } else if let Some(d) = c.deadline {
        let (heading, text) = if c.upgrade_deadline {
            (s.upgrade_deadline_heading, s.upgrade_deadline_text)
        } else {
            (s.deadline_heading, s.deadline_text)
        };
        ("deadline-passed", heading, format!("{text} {}.", long_date(s, d)), None)
    } else if let Some(url) = c.pay_url {
        let heading = if c.flow == "upgrade" { s.upgrade_heading } else { s.pay_heading };
        ("make-payment", heading, s.pay_text.to_owned(), Some((url, s.pay_button)))
    } else {
        // Nothing to pay: the photo steps, or the status when there is nothing to verify
        // now (no way to submit again is offered then).
        return view! { <StatusOrFlow verify=c.verify entry=false/> }.into_any();
    };
    view! {
        <section class="card" id=id>
            <p class="eyebrow" id="course-name">{c.name}</p>
            <h1>{heading}</h1>
            <p>{text}</p>
            {link.map(|(href, label)| view! { <a class="button primary" id="course-action" href=href rel="external">{label}</a> })}
        </section>
    }
    .into_any()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn courses_from_the_query() {
        // (Decoding is the browser's; outside one the values stay as they are.)
        let r = from_query("?course_id=course-v1:Org+X+1&flow=upgrade").expect("a course");
        assert_eq!((r.course_key.as_str(), r.flow.as_str()), ("course-v1:Org+X+1", "upgrade"));
        let r = from_query("?flow=verify-now&course_id=course-v1:Org+X+1&x=1").expect("a course");
        assert_eq!((r.course_key.as_str(), r.flow.as_str()), ("course-v1:Org+X+1", "verify-now"));
        assert_eq!(from_query("?course_id=&flow=upgrade"), None);
        assert_eq!(from_query(""), None);
    }
}
