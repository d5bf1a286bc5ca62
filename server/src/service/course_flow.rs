//! The course-aware flow the SPA renders: for a learner who came from a course, whether to
//! verify elsewhere (the URL filter), whether a deadline has passed, whether payment comes
//! first (the pay-and-verify engine), and the course's name.

use super::{ServiceResult, Services, commerce, courses, deadlines, idv};
use crate::store::users::User;
use app::{
    domain::pay_and_verify::{DeadlineKind, Decision, Message, PayAndVerifyStep, Redirect},
    dto::{CourseFlow, CourseFlowRequest},
};

/// The flow page names of Open edX's links, and their message.
pub const FLOWS: [(&str, Message); 5] = [
    ("start-flow", Message::FirstTimeVerify),
    ("verify-now", Message::VerifyNow),
    ("verify-later", Message::VerifyLater),
    ("upgrade", Message::Upgrade),
    ("payment-confirmation", Message::PaymentConfirmation),
];

/// The message of a flow page; an unknown or missing page is the first-time flow, as Open
/// edX's pay-and-verify view falls back to `first-time-verify` (a stale or hand-edited link
/// still verifies).
fn message(flow: &str) -> Message {
    FLOWS.iter().find(|(name, _)| *name == flow).map_or(Message::FirstTimeVerify, |(_, m)| *m)
}

fn name_of(message: Message) -> &'static str {
    FLOWS.iter().find(|(_, m)| *m == message).map_or("start-flow", |(n, _)| n)
}

/// Decides the flow of `user` for the course in `request`.
pub async fn course_flow(services: &Services, user: &User, request: &CourseFlowRequest) -> ServiceResult<CourseFlow> {
    deadlines::check_course_key(&request.course_key)?;
    let mut message = message(&request.flow);
    let course = request.course_key.as_str();
    let name = courses::run(services, course).await?.map(|r| r.display_name).filter(|n| !n.is_empty());
    let mut out = CourseFlow { name, ..CourseFlow::default() };
    // Where this learner verifies: a filter step may send them to another service.
    let location = idv::get_verify_location_for(services, Some(user.id), Some(course)).await;
    let ours = format!("{}{}", services.cfg.server.public_url.trim_end_matches('/'), app::routes::HOME);
    if !location.starts_with(&ours) {
        out.elsewhere = Some(location);
    }
    // The verification deadline binds whatever the catalog says (and without one).
    if let Some(d) = deadlines::deadline_for_course(services, course).await?.filter(|d| *d < services.clock.now()) {
        out.flow = name_of(message).into();
        out.deadline = Some(d);
        return Ok(out);
    }
    let request_for =
        |message| commerce::PayAndVerifyRequest { message, current_step: None, always_show_payment: false };
    // Open edX's redirects between its flow pages, followed here (each at most once).
    let mut decision = commerce::pay_and_verify(services, user, course, request_for(message)).await?;
    for _ in 0..2 {
        let next = match &decision {
            Decision::Redirect(Redirect::UpgradeAndVerify) => Message::Upgrade,
            Decision::Redirect(Redirect::StartFlow) => Message::FirstTimeVerify,
            Decision::Redirect(Redirect::VerifyNow) => Message::VerifyNow,
            _ => break,
        };
        if next == message {
            break;
        }
        message = next;
        decision = commerce::pay_and_verify(services, user, course, request_for(message)).await?;
    }
    out.flow = name_of(message).into();
    match decision {
        Decision::DeadlinePassed { kind, deadline } => {
            out.deadline = Some(deadline);
            out.upgrade_deadline = kind == DeadlineKind::Upgrade;
        }
        // A course without a paid track: verifying is all there is.
        Decision::NoPaidMode => out.verify = true,
        // Without a basket the LMS's dashboard (its upgrade links) is the way to pay, as below.
        Decision::Redirect(Redirect::Checkout { sku }) => {
            out.pay_url =
                commerce::checkout_url(&services.cfg, &sku).or_else(|| services.cfg.commerce.dashboard_url.clone())
        }
        // Paid and verified (or a loop of redirects): nothing to do but see the status.
        Decision::Redirect(_) => {}
        Decision::Show { display_steps, course_mode, .. } => {
            out.verify = display_steps.contains(&PayAndVerifyStep::FacePhotoStep);
            if display_steps.contains(&PayAndVerifyStep::MakePaymentStep) {
                out.pay_url = course_mode
                    .sku
                    .as_deref()
                    .and_then(|sku| commerce::checkout_url(&services.cfg, sku))
                    .or_else(|| services.cfg.commerce.dashboard_url.clone());
            }
        }
    }
    Ok(out)
}
