//! Pay-and-verify: the catalog (course modes and enrollments, from configuration or the
//! LMS API, behind one trait) and the use case that feeds the pure step engine.

use super::{ServiceError, ServiceResult, Services, deadlines, idv};
use crate::{config::Config, store::users::User};
use app::domain::pay_and_verify::{self, CourseMode, Decision, Enrollment, Message, PayAndVerifyStep};
use chrono::{DateTime, Utc};
use serde::Deserialize;

/// Where course modes and enrollments come from.
#[async_trait::async_trait]
pub trait Catalog: Send + Sync {
    /// The course's modes, expired ones included; empty when the course is unknown.
    async fn modes(&self, course_key: &str) -> ServiceResult<Vec<CourseMode>>;
    /// The learner's enrollment in the course, if any.
    async fn enrollment(&self, username: &str, course_key: &str) -> ServiceResult<Option<Enrollment>>;
}

/// The catalog of `[commerce]`.
pub struct ConfigCatalog<'a>(pub &'a Config);

#[async_trait::async_trait]
impl Catalog for ConfigCatalog<'_> {
    async fn modes(&self, course_key: &str) -> ServiceResult<Vec<CourseMode>> {
        Ok(self
            .0
            .commerce
            .courses
            .iter()
            .find(|c| c.course_key == course_key)
            .map(|c| c.modes.clone())
            .unwrap_or_default())
    }

    async fn enrollment(&self, username: &str, course_key: &str) -> ServiceResult<Option<Enrollment>> {
        Ok(self
            .0
            .commerce
            .enrollments
            .iter()
            .find(|e| e.username == username && e.course_key == course_key)
            .map(|e| Enrollment { mode: e.mode.clone(), is_active: e.is_active }))
    }
}

/// The LMS's course-modes and enrollment APIs.
pub struct LmsCatalog<'a> {
    http: &'a reqwest::Client,
    base: String,
    token: Option<String>,
}

/// A mode as `GET /api/course_modes/v1/courses/{course_id}/` lists it.
#[derive(Debug, Deserialize)]
struct LmsMode {
    mode_slug: String,
    /// Whole currency units.
    #[serde(default)]
    min_price: i64,
    #[serde(default)]
    sku: Option<String>,
    #[serde(default)]
    expiration_datetime: Option<DateTime<Utc>>,
}

/// `GET /api/enrollment/v1/enrollment/{username},{course_id}`.
#[derive(Debug, Deserialize)]
struct LmsEnrollment {
    mode: String,
    is_active: bool,
}

impl LmsCatalog<'_> {
    async fn get(&self, path: &str) -> ServiceResult<Option<String>> {
        let mut req = self.http.get(format!("{}{path}", self.base));
        if let Some(t) = &self.token {
            req = req.bearer_auth(t);
        }
        let res = req.send().await.map_err(|e| {
            tracing::warn!(error = %e, "LMS API unreachable");
            ServiceError::NotConfigured("the LMS API is unreachable")
        })?;
        match res.status() {
            s if s.is_success() => Ok(Some(
                crate::outbound::text_capped(res, crate::outbound::MAX_ANSWER_BYTES)
                    .await
                    .map_err(|_| ServiceError::NotConfigured("LMS API"))?,
            )),
            reqwest::StatusCode::NOT_FOUND => Ok(None),
            s => {
                tracing::warn!(status = %s, "LMS API refused");
                Err(ServiceError::NotConfigured("the LMS API refused the request"))
            }
        }
    }
}

fn segment(s: &str) -> String {
    percent_encoding::utf8_percent_encode(s, percent_encoding::NON_ALPHANUMERIC).to_string()
}

#[async_trait::async_trait]
impl Catalog for LmsCatalog<'_> {
    async fn modes(&self, course_key: &str) -> ServiceResult<Vec<CourseMode>> {
        let Some(body) = self.get(&format!("/api/course_modes/v1/courses/{}/", segment(course_key))).await? else {
            return Ok(Vec::new());
        };
        let modes: Vec<LmsMode> =
            serde_json::from_str(&body).map_err(|_| ServiceError::NotConfigured("the LMS API answered nonsense"))?;
        Ok(modes
            .into_iter()
            .map(|m| CourseMode {
                slug: m.mode_slug,
                min_price: m.min_price.saturating_mul(100),
                sku: m.sku.filter(|s| !s.is_empty()),
                expiration: m.expiration_datetime,
            })
            .collect())
    }

    async fn enrollment(&self, username: &str, course_key: &str) -> ServiceResult<Option<Enrollment>> {
        let path = format!("/api/enrollment/v1/enrollment/{},{}", segment(username), segment(course_key));
        let Some(body) = self.get(&path).await? else { return Ok(None) };
        if body.trim().is_empty() || body.trim() == "null" {
            return Ok(None);
        }
        let e: LmsEnrollment =
            serde_json::from_str(&body).map_err(|_| ServiceError::NotConfigured("the LMS API answered nonsense"))?;
        Ok(Some(Enrollment { mode: e.mode, is_active: e.is_active }))
    }
}

/// The configured catalog.
pub fn catalog(services: &Services) -> Box<dyn Catalog + '_> {
    match &services.cfg.commerce.lms_api_url {
        Some(base) => Box::new(LmsCatalog {
            http: &services.http,
            base: base.trim_end_matches('/').to_owned(),
            token: services.cfg.commerce.lms_api_token.as_ref().map(|t| t.expose().to_owned()),
        }),
        None => Box::new(ConfigCatalog(&services.cfg)),
    }
}

/// What the learner asked for.
#[derive(Debug, Clone, Copy)]
pub struct PayAndVerifyRequest {
    /// How they entered.
    pub message: Message,
    /// The step asked for.
    pub current_step: Option<PayAndVerifyStep>,
    /// Show payment steps even when paid.
    pub always_show_payment: bool,
}

/// Decides the pay-and-verify page of `user` for `course_key`.
pub async fn pay_and_verify(
    services: &Services,
    user: &User,
    course_key: &str,
    request: PayAndVerifyRequest,
) -> ServiceResult<Decision> {
    deadlines::check_course_key(course_key)?;
    let catalog = catalog(services);
    let modes = catalog.modes(course_key).await?;
    let enrollment = catalog.enrollment(&user.username, course_key).await?;
    let already_verified = idv::user_has_valid_or_pending(services, user.id).await?;
    let verification_deadline = deadlines::deadline_for_course(services, course_key).await?;
    Ok(pay_and_verify::decide(&pay_and_verify::Inputs {
        message: request.message,
        always_show_payment: request.always_show_payment,
        current_step: request.current_step,
        already_verified,
        account_active: user.is_active,
        modes: &modes,
        enrollment: enrollment.as_ref(),
        verification_deadline,
        checkout_enabled: services.cfg.commerce.basket_url.is_some(),
        now: services.clock.now(),
    }))
}

/// The commerce checkout URL of `sku`.
pub fn checkout_url(cfg: &Config, sku: &str) -> Option<String> {
    let base = cfg.commerce.basket_url.as_deref()?;
    let sep = if base.contains('?') { '&' } else { '?' };
    Some(format!("{base}{sep}sku={}", segment(sku)))
}
