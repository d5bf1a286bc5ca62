//! The verification service's filters (Open edX `IDVerificationAttemptsRequested` and
//! `IDVerificationURLRequested`, and Vouch's own `VendorRequested`, which picks the vendor
//! that serves a learner): ordered pipelines of steps, configured by name in `[filters]`. A
//! step is a Rust type implementing [`FilterStep`] for its pipeline's data, registered under
//! a name; it may change the data, or stop the pipeline with a reason (the data as it stands
//! is then the result, and later steps do not run). Unknown names are skipped with a
//! warning, so a typo in the configuration never takes verification down. One generic
//! runner serves the three pipelines, so their order, stops and skips cannot drift apart.

use crate::service::Services;
use app::domain::{AttemptKind, UserId, Verification};
use percent_encoding::utf8_percent_encode;
use std::{
    collections::HashMap,
    sync::{Arc, PoisonError, RwLock},
};

/// The data of `IDVerificationAttemptsRequested`: the verifications the service found, and
/// what the caller asked for (so a step supplementing records knows which to add).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AttemptsRequested {
    /// The verifications, of every kind.
    pub verifications: Vec<Verification>,
    /// Asked-for attempt uuids (empty: any).
    pub uuids: Vec<String>,
    /// Asked-for users (empty: any).
    pub users: Vec<UserId>,
    /// Asked-for statuses (empty: any).
    pub statuses: Vec<String>,
}

/// The data of `IDVerificationURLRequested`: the URL of the verification flow.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UrlRequested {
    /// The URL (steps may replace it).
    pub url: String,
    /// The course the learner verifies for, if any.
    pub course_id: Option<String>,
    /// The learner, when known.
    pub user: Option<UserId>,
}

/// The data of `VendorRequested`: which registered vendor serves this learner. It starts
/// as `[idv] vendor`; steps may name another registered vendor (by country, course, …).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VendorRequested {
    /// The learner.
    pub user: UserId,
    /// The course the learner verifies for, when the request names one (a photo
    /// submission with `course_key`); `None` when the attempt is not for one course.
    pub course_id: Option<String>,
    /// The vendor's registry name (steps may replace it).
    pub vendor: String,
}

/// What a step did: go on, or stop the pipeline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StepOutcome<T> {
    /// Go on with this data.
    Continue(T),
    /// Stop here: this data is the result.
    Stop {
        /// The result.
        data: T,
        /// Why the pipeline stopped (logged).
        reason: String,
    },
}

/// [`StepOutcome`]'s former name, kept so that plugins written against it still compile.
#[deprecated(note = "renamed to `StepOutcome`")]
pub type Step<T> = StepOutcome<T>;

/// A step of the pipeline whose data is `D`: `FilterStep<AttemptsRequested>` for
/// `IDVerificationAttemptsRequested`, `FilterStep<UrlRequested>` for
/// `IDVerificationURLRequested`, `FilterStep<VendorRequested>` for `VendorRequested`. Steps
/// run outside any transaction, on every read or request of their pipeline (a
/// `VendorRequested` step on every start and submission of the learner), so they should be
/// quick and must not write.
#[async_trait::async_trait]
pub trait FilterStep<D: Send + 'static>: Send + Sync + 'static {
    /// Runs the step.
    async fn run(&self, services: &Services, data: D) -> StepOutcome<D>;
}

/// The result of a pipeline: the data, and the step and reason that stopped it, if one did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Filtered<T> {
    /// The data after the pipeline.
    pub data: T,
    /// `(step name, reason)` when a step stopped the pipeline.
    pub stopped: Option<(String, String)>,
}

/// The steps of one pipeline, by registered name, and the pipeline's name (in logs).
struct Pipeline<D> {
    name: &'static str,
    steps: RwLock<HashMap<String, Arc<dyn FilterStep<D>>>>,
}

impl<D: Send + 'static> Pipeline<D> {
    fn new(name: &'static str) -> Self {
        Self { name, steps: RwLock::default() }
    }

    fn register(&self, name: &str, step: Arc<dyn FilterStep<D>>) {
        self.steps.write().unwrap_or_else(PoisonError::into_inner).insert(name.to_owned(), step);
    }

    fn get(&self, name: &str) -> Option<Arc<dyn FilterStep<D>>> {
        self.steps.read().unwrap_or_else(PoisonError::into_inner).get(name).cloned()
    }

    /// Runs the steps `listed` (the configuration's order) on `data`: an unknown name is
    /// skipped with a warning, a stop ends the pipeline with the data as it stands.
    async fn run(&self, services: &Services, listed: &[String], mut data: D) -> Filtered<D> {
        for step_name in listed {
            let Some(step) = self.get(step_name) else {
                tracing::warn!(filter.step = %step_name, "unknown {} step; skipped", self.name);
                continue;
            };
            match step.run(services, data).await {
                StepOutcome::Continue(d) => data = d,
                StepOutcome::Stop { data, reason } => {
                    tracing::info!(filter = self.name, filter.step = %step_name, reason = %reason, "filter pipeline stopped");
                    return Filtered { data, stopped: Some((step_name.clone(), reason)) };
                }
            }
        }
        Filtered { data, stopped: None }
    }
}

/// The steps this process knows, by name.
pub struct FilterRegistry {
    attempts: Pipeline<AttemptsRequested>,
    url: Pipeline<UrlRequested>,
    vendor: Pipeline<VendorRequested>,
}

impl Default for FilterRegistry {
    /// The registry with the built-in steps.
    fn default() -> Self {
        let r = Self {
            attempts: Pipeline::new("IDVerificationAttemptsRequested"),
            url: Pipeline::new("IDVerificationURLRequested"),
            vendor: Pipeline::new("VendorRequested"),
        };
        r.register_attempts("exclude_sso", Arc::new(ExcludeKind(AttemptKind::Sso)));
        r.register_attempts("exclude_manual", Arc::new(ExcludeKind(AttemptKind::Manual)));
        r.register_attempts("exclude_generic", Arc::new(ExcludeKind(AttemptKind::Generic)));
        r.register_attempts("match_request", Arc::new(MatchRequest));
        r.register_url("verify_url_override", Arc::new(VerifyUrlOverride));
        r.register_vendor("vendor_by_course", Arc::new(VendorByCourse));
        r
    }
}

impl std::fmt::Debug for FilterRegistry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("FilterRegistry")
    }
}

impl FilterRegistry {
    /// Registers (or replaces) an `IDVerificationAttemptsRequested` step under `name`.
    pub fn register_attempts(&self, name: &str, step: Arc<dyn FilterStep<AttemptsRequested>>) {
        self.attempts.register(name, step);
    }

    /// Registers (or replaces) an `IDVerificationURLRequested` step under `name`.
    pub fn register_url(&self, name: &str, step: Arc<dyn FilterStep<UrlRequested>>) {
        self.url.register(name, step);
    }

    /// Registers (or replaces) a `VendorRequested` step under `name`.
    pub fn register_vendor(&self, name: &str, step: Arc<dyn FilterStep<VendorRequested>>) {
        self.vendor.register(name, step);
    }

    /// Runs the configured `VendorRequested` pipeline.
    pub async fn vendor_requested(&self, services: &Services, data: VendorRequested) -> Filtered<VendorRequested> {
        self.vendor.run(services, &services.cfg.filters.vendor_requested, data).await
    }

    /// Runs the configured `IDVerificationAttemptsRequested` pipeline.
    pub async fn attempts_requested(
        &self,
        services: &Services,
        data: AttemptsRequested,
    ) -> Filtered<AttemptsRequested> {
        self.attempts.run(services, &services.cfg.filters.attempts_requested, data).await
    }

    /// Runs the configured `IDVerificationURLRequested` pipeline.
    pub async fn url_requested(&self, services: &Services, data: UrlRequested) -> Filtered<UrlRequested> {
        self.url.run(services, &services.cfg.filters.url_requested, data).await
    }
}

/// Built-in: drops every verification of one kind (e.g. an operator who does not accept SSO).
struct ExcludeKind(AttemptKind);

#[async_trait::async_trait]
impl FilterStep<AttemptsRequested> for ExcludeKind {
    async fn run(&self, _: &Services, mut data: AttemptsRequested) -> StepOutcome<AttemptsRequested> {
        data.verifications.retain(|v| v.kind != self.0);
        StepOutcome::Continue(data)
    }
}

/// Built-in: keeps only the verifications matching the requested uuids, users and statuses
/// (useful after steps that supplement records from elsewhere).
struct MatchRequest;

#[async_trait::async_trait]
impl FilterStep<AttemptsRequested> for MatchRequest {
    async fn run(&self, _: &Services, mut data: AttemptsRequested) -> StepOutcome<AttemptsRequested> {
        let (uuids, users, statuses) = (data.uuids.clone(), data.users.clone(), data.statuses.clone());
        data.verifications.retain(|v| {
            (uuids.is_empty() || uuids.contains(&v.uuid))
                && (users.is_empty() || users.contains(&v.user_id))
                && (statuses.is_empty() || statuses.iter().any(|s| s == v.status.as_str()))
        });
        StepOutcome::Continue(data)
    }
}

/// Built-in: answers `filters.verify_url` (with `{course_id}` replaced) instead of Vouch's
/// own flow, e.g. to send learners to an operator's page first.
struct VerifyUrlOverride;

#[async_trait::async_trait]
impl FilterStep<UrlRequested> for VerifyUrlOverride {
    async fn run(&self, services: &Services, mut data: UrlRequested) -> StepOutcome<UrlRequested> {
        if let Some(template) = services.cfg.filters.verify_url.as_deref().filter(|t| !t.is_empty()) {
            let course = data
                .course_id
                .as_deref()
                .map(|c| utf8_percent_encode(c, crate::service::idv::OPEN_EDX_QUOTE).to_string())
                .unwrap_or_default();
            data.url = template.replace("{course_id}", &course);
        }
        StepOutcome::Continue(data)
    }
}

/// Built-in: routes a learner verifying for a course listed in `filters.vendor_by_course`
/// (course key → vendor name) to that vendor. Requests that name no course keep the vendor
/// they have.
struct VendorByCourse;

#[async_trait::async_trait]
impl FilterStep<VendorRequested> for VendorByCourse {
    async fn run(&self, services: &Services, mut data: VendorRequested) -> StepOutcome<VendorRequested> {
        if let Some(vendor) = data.course_id.as_deref().and_then(|c| services.cfg.filters.vendor_by_course.get(c)) {
            data.vendor.clone_from(vendor);
        }
        StepOutcome::Continue(data)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Plugin code written against the former name compiles and means the same.
    #[test]
    #[allow(deprecated)]
    fn the_former_step_name_still_works() {
        let go: Step<u8> = Step::Continue(1);
        assert_eq!(go, StepOutcome::Continue(1));
        let stop = StepOutcome::Stop { data: 2u8, reason: "why".into() };
        let Step::Stop { data, reason } = stop else { panic!("a stop") };
        assert_eq!((data, reason.as_str()), (2, "why"));
    }
}
