//! The flow for a learner who came from a course (Open edX's `/verify_student/<flow>/<course>/`
//! links land on `/id-verification?course_id=…&flow=…`): verifying elsewhere when the
//! platform says so, the missed-deadline page, payment first (pay-and-verify), the learner's
//! status when they may not verify now, else the photo steps with the course recorded.

use super::{error_box, loading, status::{StatusView, long_date}};
use crate::{
    domain::UserStatus,
    dto::{CourseFlow, CourseFlowRequest},
    i18n::t,
    pages::flow::state,
    rpc,
    slot::IdVerificationSlot,
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

/// Percent-decoding; `+` stays a plus (course keys hold them, never spaces).
fn decode(s: &str) -> String {
    let mut out = Vec::with_capacity(s.len());
    let mut bytes = s.bytes();
    while let Some(b) = bytes.next() {
        let hex = (b == b'%').then(|| bytes.clone().take(2).collect::<Vec<u8>>());
        match hex.as_deref().and_then(|h| u8::from_str_radix(std::str::from_utf8(h).ok()?, 16).ok()) {
            Some(v) => {
                out.push(v);
                bytes.nth(1);
            }
            None => out.push(b),
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The entry page with a course.
#[component]
pub fn CourseEntry(request: CourseFlowRequest) -> impl IntoView {
    let status = rpc::verification_status();
    let course = rpc::course_flow(&request);
    let key = request.course_key;
    move || match (status.get(), course.get()) {
        (Some(Err(e)), _) | (_, Some(Err(e))) => error_box(e.message),
        (Some(Ok(s)), Some(Ok(c))) => {
            // The photo steps that follow record this course on the attempt.
            state::set_course(Some(key.clone()), c.name.clone());
            render(s, c)
        }
        _ => loading(),
    }
}

fn render(status: UserStatus, c: CourseFlow) -> AnyView {
    let s = t();
    let name = c.name.map(|n| view! { <p class="eyebrow" id="course-name">{n}</p> });
    let card = |id: &'static str, heading: &'static str, text: String, link: Option<(String, &'static str)>| {
        view! {
            <section class="card" id=id>
                <h1>{heading}</h1>
                <p>{text}</p>
                {link.map(|(href, label)| view! { <a class="button primary" id="pay" href=href rel="external">{label}</a> })}
            </section>
        }
        .into_any()
    };
    let body = if let Some(url) = c.elsewhere {
        #[cfg(target_arch = "wasm32")]
        let _ = window().location().set_href(&url);
        view! { <p class="notice" id="verify-elsewhere"><a href=url rel="external">{s.elsewhere}</a></p> }.into_any()
    } else if let Some(d) = c.deadline {
        let (heading, text) = if c.upgrade_deadline {
            (s.upgrade_deadline_heading, s.upgrade_deadline_text)
        } else {
            (s.deadline_heading, s.deadline_text)
        };
        card("deadline-passed", heading, format!("{text} {}.", long_date(s, d)), None)
    } else if let Some(url) = c.pay_url {
        let heading = if c.flow == "upgrade" { s.upgrade_heading } else { s.pay_heading };
        card("make-payment", heading, s.pay_text.into(), Some((url, s.pay_button)))
    } else if c.verify && status.can_verify {
        let paid = (c.flow == "payment-confirmation").then(|| view! { <p class="notice" id="paid">{s.paid_notice}</p> });
        view! { {paid} <IdVerificationSlot/> }.into_any()
    } else {
        // Nothing to pay and nothing to verify now: the status, with no way to submit again.
        view! { <StatusView status=status/> }.into_any()
    };
    view! { {name} {body} }.into_any()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn courses_from_the_query() {
        let r = from_query("?course_id=course%2Dv1%3AOrg%2BX%2B1&flow=upgrade").expect("a course");
        assert_eq!((r.course_key.as_str(), r.flow.as_str()), ("course-v1:Org+X+1", "upgrade"));
        let r = from_query("?flow=verify-now&course_id=course-v1:Org+X+1&x=1").expect("a course");
        assert_eq!((r.course_key.as_str(), r.flow.as_str()), ("course-v1:Org+X+1", "verify-now"));
        assert_eq!(from_query("?course_id=&flow=upgrade"), None);
        assert_eq!(from_query(""), None);
        assert_eq!(decode("a%2"), "a%2", "a cut escape stays as it is");
        assert_eq!(decode("caf%C3%A9%zz"), "café%zz");
    }
}
