//! `GET /api/v1/pay-and-verify/{course_key}`: which steps, requirements and redirects of
//! Open edX's `PayAndVerifyView` apply to the caller for a course. The domain decides
//! (`app::domain::pay_and_verify::decide`, through `service::commerce`); this file only
//! parses the query and turns the decision into its typed response, one shape per outcome.

use super::{public_url, urlencode};
use crate::{
    config::Config,
    http::{AppState, error::ApiError, identity::Identity, rest::openedx::drf_time},
    service::commerce::{self, PayAndVerifyRequest},
};
use app::{
    domain::pay_and_verify::{CourseMode, DeadlineKind, Decision, Message, PayAndVerifyStep, Redirect, Requirement},
    error::ErrorCode,
};
use axum::{
    Json,
    extract::{Path, Query, State},
};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use utoipa::{IntoParams, ToSchema};

/// `?message=&current_step=&always_show_payment=` of the pay-and-verify page.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PayAndVerifyQuery {
    /// `first-time-verify` (default), `verify-now`, `verify-later`, `upgrade` or `payment-confirmation`.
    pub message: Option<String>,
    /// The step to show, e.g. `face-photo-step`.
    pub current_step: Option<String>,
    /// Show the payment steps even when already paid.
    #[serde(default)]
    pub always_show_payment: bool,
}

/// A step to display.
#[derive(Debug, Serialize, ToSchema)]
pub struct StepBody {
    /// Open edX's step name.
    pub name: String,
    /// Its title.
    pub title: String,
}

/// The paid mode being bought or verified for.
#[derive(Debug, Serialize, ToSchema)]
pub struct CourseModeBody {
    /// The mode's slug (`verified`, `professional`, …).
    pub slug: String,
    /// The lowest price, in the currency's minor unit (cents).
    pub min_price: i64,
    /// The commerce service's product SKU.
    pub sku: Option<String>,
    /// When the mode stops being sold (the upgrade deadline).
    pub expiration_datetime: Option<String>,
}

/// Where a `redirect` sends the learner.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RedirectTo {
    /// Nothing left to do: the dashboard.
    Dashboard,
    /// Enrolled but unpaid: the upgrade flow.
    UpgradeAndVerify,
    /// Not enrolled: the first-time flow.
    StartFlow,
    /// Paid but unverified: verify now.
    VerifyNow,
    /// The commerce service's checkout.
    Checkout,
}

/// Which deadline passed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DeadlineName {
    /// The course's verification deadline.
    Verification,
    /// The paid mode's upgrade deadline.
    Upgrade,
}

/// The page, by `outcome`: each outcome carries its own fields and no other's.
#[derive(Debug, Serialize, ToSchema)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum PayAndVerifyOutcome {
    /// Show the flow.
    Show {
        /// Steps to display, in order.
        display_steps: Vec<StepBody>,
        /// The step to show now.
        current_step: String,
        /// Requirements by name, shown when true.
        requirements: BTreeMap<String, bool>,
        /// The paid mode.
        course_mode: CourseModeBody,
        /// Where the payment step sends the learner (the commerce checkout), when configured.
        checkout_url: Option<String>,
    },
    /// Send the learner elsewhere.
    Redirect {
        /// Why: which page.
        redirect_to: RedirectTo,
        /// Where (none when the checkout is not configured).
        redirect_url: Option<String>,
    },
    /// Too late.
    DeadlinePassed {
        /// Which deadline passed.
        deadline_name: DeadlineName,
        /// When.
        deadline: String,
    },
}

/// The pay-and-verify response: the course and messaging asked for, and the outcome.
#[derive(Debug, Serialize, ToSchema)]
pub struct PayAndVerifyBody {
    /// The course.
    pub course_key: String,
    /// The messaging.
    pub message: String,
    /// `outcome` (`show`, `redirect` or `deadline_passed`) and its fields.
    #[serde(flatten)]
    pub outcome: PayAndVerifyOutcome,
}

/// A decision with what its links are made of: the deployment's URLs and the course.
pub struct Decided<'a> {
    /// The domain's decision.
    pub decision: Decision,
    /// The configuration (public URL, dashboard and checkout URLs).
    pub cfg: &'a Config,
    /// The course the flow is for.
    pub course_key: &'a str,
}

impl TryFrom<Decided<'_>> for PayAndVerifyOutcome {
    type Error = ApiError;

    /// Every decision but "no paid mode", which is a 404 (there is no such flow).
    fn try_from(Decided { decision, cfg, course_key }: Decided<'_>) -> Result<Self, ApiError> {
        Ok(match decision {
            Decision::NoPaidMode => {
                return Err(ApiError::new(ErrorCode::NotFound, "This course has no paid or verified track."));
            }
            Decision::DeadlinePassed { kind, deadline } => Self::DeadlinePassed {
                deadline_name: match kind {
                    DeadlineKind::Verification => DeadlineName::Verification,
                    DeadlineKind::Upgrade => DeadlineName::Upgrade,
                },
                deadline: drf_time(deadline),
            },
            Decision::Redirect(to) => {
                let flow = |page: &str| public_url(cfg, &format!("/verify_student/{page}/{}/", urlencode(course_key)));
                let (redirect_to, redirect_url) = match to {
                    Redirect::Dashboard => (
                        RedirectTo::Dashboard,
                        Some(
                            cfg.commerce.dashboard_url.clone().unwrap_or_else(|| public_url(cfg, app::routes::STATUS)),
                        ),
                    ),
                    Redirect::UpgradeAndVerify => (RedirectTo::UpgradeAndVerify, Some(flow("upgrade"))),
                    Redirect::StartFlow => (RedirectTo::StartFlow, Some(flow("start-flow"))),
                    Redirect::VerifyNow => (RedirectTo::VerifyNow, Some(flow("verify-now"))),
                    Redirect::Checkout { sku } => (RedirectTo::Checkout, commerce::checkout_url(cfg, &sku)),
                };
                Self::Redirect { redirect_to, redirect_url }
            }
            Decision::Show { display_steps, current_step, requirements, course_mode } => Self::Show {
                display_steps: display_steps
                    .iter()
                    .map(|s| StepBody { name: s.as_str().into(), title: s.title().into() })
                    .collect(),
                current_step: current_step.as_str().into(),
                requirements: [
                    ("account-activation-required", Requirement::AccountActivationRequired),
                    ("photo-id-required", Requirement::PhotoIdRequired),
                    ("webcam-required", Requirement::WebcamRequired),
                ]
                .into_iter()
                .map(|(name, req)| (name.to_owned(), requirements.contains(&req)))
                .collect(),
                checkout_url: course_mode.sku.as_deref().and_then(|sku| commerce::checkout_url(cfg, sku)),
                course_mode: course_mode.into(),
            },
        })
    }
}

impl From<CourseMode> for CourseModeBody {
    fn from(m: CourseMode) -> Self {
        Self { slug: m.slug, min_price: m.min_price, sku: m.sku, expiration_datetime: m.expiration.map(drf_time) }
    }
}

/// Which pay-and-verify steps, requirements and redirects apply to the caller for a course
/// (Open edX `PayAndVerifyView`). Payment is handed to the commerce service's checkout.
#[utoipa::path(get, path = "/api/v1/pay-and-verify/{course_key}", tag = "vouch",
    params(("course_key" = String, Path, description = "The course key"), PayAndVerifyQuery),
    responses((status = 200, description = "OK", body = PayAndVerifyBody), (status = 400, description = "Bad message or step"),
        (status = 401, description = "Not signed in"), (status = 404, description = "No paid mode for this course")))]
pub async fn pay_and_verify(
    State(state): State<AppState>,
    who: Identity,
    Path(course_key): Path<String>,
    Query(q): Query<PayAndVerifyQuery>,
) -> Result<Json<PayAndVerifyBody>, ApiError> {
    let message_name = q.message.as_deref().unwrap_or("first-time-verify");
    let message =
        Message::parse(message_name).ok_or_else(|| ApiError::new(ErrorCode::InvalidRequest, "Unknown message."))?;
    let current_step = match q.current_step.as_deref() {
        Some(s) => {
            Some(PayAndVerifyStep::parse(s).ok_or_else(|| ApiError::new(ErrorCode::InvalidRequest, "Unknown step."))?)
        }
        None => None,
    };
    let request = PayAndVerifyRequest { message, current_step, always_show_payment: q.always_show_payment };
    let decision = commerce::pay_and_verify(&state.services, &who.user, &course_key, request).await?;
    let outcome = Decided { decision, cfg: &state.cfg, course_key: &course_key }.try_into()?;
    Ok(Json(PayAndVerifyBody { course_key, message: message_name.to_owned(), outcome }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Value, json};

    fn body(decision: Decision, cfg: &Config) -> Result<Value, ApiError> {
        let outcome = Decided { decision, cfg, course_key: "course-v1:Org+X+1" }.try_into()?;
        let body = PayAndVerifyBody { course_key: "course-v1:Org+X+1".into(), message: "verify-now".into(), outcome };
        Ok(serde_json::to_value(body).expect("serialisable"))
    }

    fn config() -> Config {
        let mut cfg = Config::default();
        cfg.server.public_url = "https://vouch.example/".into();
        cfg.commerce.basket_url = Some("https://shop.example/basket".into());
        cfg
    }

    #[test]
    fn each_outcome_carries_its_own_fields_only() {
        let cfg = config();
        let passed = Decision::DeadlinePassed { kind: DeadlineKind::Upgrade, deadline: chrono::DateTime::UNIX_EPOCH };
        assert_eq!(
            body(passed, &cfg).unwrap(),
            json!({"course_key": "course-v1:Org+X+1", "message": "verify-now", "outcome": "deadline_passed",
                   "deadline_name": "upgrade", "deadline": drf_time(chrono::DateTime::UNIX_EPOCH)})
        );
        let start = body(Decision::Redirect(Redirect::StartFlow), &cfg).unwrap();
        assert_eq!(
            start,
            json!({"course_key": "course-v1:Org+X+1", "message": "verify-now", "outcome": "redirect",
                   "redirect_to": "start_flow",
                   "redirect_url": "https://vouch.example/verify_student/start-flow/course%2Dv1%3AOrg%2BX%2B1/"})
        );
        let mode = CourseMode { slug: "verified".into(), min_price: 4900, sku: Some("SKU-1".into()), expiration: None };
        let show = Decision::Show {
            display_steps: vec![PayAndVerifyStep::parse("face-photo-step").expect("a step")],
            current_step: PayAndVerifyStep::parse("face-photo-step").expect("a step"),
            requirements: vec![Requirement::WebcamRequired],
            course_mode: mode,
        };
        let show = body(show, &cfg).unwrap();
        assert_eq!(show["outcome"], "show");
        assert_eq!(show["current_step"], "face-photo-step");
        assert_eq!(show["display_steps"][0]["name"], "face-photo-step");
        assert_eq!(
            show["requirements"],
            json!({"account-activation-required": false, "photo-id-required": false, "webcam-required": true})
        );
        assert_eq!(
            show["course_mode"],
            json!({"slug": "verified", "min_price": 4900, "sku": "SKU-1",
                                               "expiration_datetime": null})
        );
        assert_eq!(show["checkout_url"], "https://shop.example/basket?sku=SKU%2D1");
        assert!(show.get("redirect_url").is_none() && show.get("deadline").is_none(), "{show}");
    }

    #[test]
    fn a_checkout_without_a_basket_has_no_url_and_no_paid_mode_is_not_found() {
        let mut cfg = config();
        cfg.commerce.basket_url = None;
        let checkout = body(Decision::Redirect(Redirect::Checkout { sku: "S".into() }), &cfg).unwrap();
        assert_eq!((&checkout["redirect_to"], &checkout["redirect_url"]), (&json!("checkout"), &Value::Null));
        let dashboard = body(Decision::Redirect(Redirect::Dashboard), &cfg).unwrap();
        assert_eq!(dashboard["redirect_url"], "https://vouch.example/id-verification/status");
        let e = body(Decision::NoPaidMode, &cfg).expect_err("404");
        assert_eq!(e.0.http_status(), 404);
    }
}
