//! Vouch's own REST API, `/api/v1/`: the caller, learners' statuses and attempts, manual
//! verifications, retries, course deadlines and the staff audit log. Learners see their
//! own data; staff (the `administrator` claim or the staff flag) see anyone's.

use super::{
    super::{AppState, error::ApiError, identity::Identity},
    PageQuery, Paginated,
    openedx::drf_time,
};
use crate::service::{accounts, api, attempt_history, deadlines, idv, retry};
use app::{
    domain::{AttemptId, AttemptKind, policy::can_verify_now},
    error::ErrorCode,
};
use axum::{
    Json,
    extract::{Path, Query, State},
    http::StatusCode,
};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

fn url(state: &AppState, path: &str) -> String {
    format!("{}{path}", state.cfg.server.public_url.trim_end_matches('/'))
}

/// The signed-in caller.
#[derive(Debug, Serialize, ToSchema)]
pub struct Me {
    /// Username.
    pub username: String,
    /// Email address.
    pub email: String,
    /// Profile name.
    pub full_name: String,
    /// Staff rights.
    pub is_staff: bool,
    /// May use the in-house review queue (staff, or the `reviewer` role).
    pub is_reviewer: bool,
}

/// Who the caller is.
#[utoipa::path(get, path = "/api/v1/me", tag = "vouch",
    responses((status = 200, description = "OK", body = Me), (status = 401, description = "Not signed in")))]
pub async fn me(who: Identity) -> Json<Me> {
    let is_reviewer = who.is_reviewer();
    Json(Me {
        username: who.user.username.clone(),
        email: who.user.email.clone(),
        full_name: who.user.full_name.clone(),
        is_staff: who.staff,
        is_reviewer,
    })
}

/// `?search=` for the learner search.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SearchQuery {
    /// The start of a username or email.
    #[serde(default)]
    pub search: String,
}

/// Finds learners by the start of their username or email (staff only).
#[utoipa::path(get, path = "/api/v1/users", tag = "vouch", params(SearchQuery, PageQuery),
    responses((status = 200, description = "OK", body = Paginated<Me>), (status = 401, description = "Not signed in"),
        (status = 403, description = "Not staff")))]
pub async fn search_users(
    State(state): State<AppState>,
    who: Identity,
    Query(search): Query<SearchQuery>,
    Query(page): Query<PageQuery>,
) -> Result<Json<Paginated<Me>>, ApiError> {
    who.require_staff()?;
    let (offset, limit) = page.offset_limit()?;
    let (users, count) = accounts::search(&state.services, search.search.trim(), offset, limit).await?;
    let (p, size) = page.resolve()?;
    let results = users
        .into_iter()
        .map(|u| Me {
            is_reviewer: u.is_staff || u.is_reviewer,
            username: u.username,
            email: u.email,
            full_name: u.full_name,
            is_staff: u.is_staff,
        })
        .collect();
    let base = url(&state, &format!("/api/v1/users?search={}", urlencode(search.search.trim())));
    Ok(Json(Paginated::from_page(results, count as usize, p, size, &base)))
}

fn urlencode(s: &str) -> String {
    percent_encoding::utf8_percent_encode(s, percent_encoding::NON_ALPHANUMERIC).to_string()
}

/// A learner's status, in full.
#[derive(Debug, Serialize, ToSchema)]
pub struct StatusBody {
    /// `none`, `pending`, `approved`, `must_reverify`, `expired` or `denied`.
    pub status: String,
    /// Why verification is needed again, if so, as stored (the vendor's codes).
    pub error: String,
    /// The same, readable: one sentence per denial reason (Open edX's `parsed_error_msg`)
    /// in the request's `Accept-Language` (`en` or `fr`); empty unless `must_reverify`.
    pub reasons: Vec<String>,
    /// Whether the status is shown to the learner.
    pub should_display: bool,
    /// When the approval was given.
    pub status_date: Option<String>,
    /// When the deciding attempt expires.
    pub expires: Option<String>,
    /// Whether the approval expires soon.
    pub expiring_soon: bool,
    /// Whether the learner may (re)verify now.
    pub can_verify: bool,
}

/// A learner's verification status (the learner or staff).
#[utoipa::path(get, path = "/api/v1/users/{username}/status", tag = "vouch",
    params(("username" = String, Path, description = "The learner's username")),
    responses((status = 200, description = "OK", body = StatusBody), (status = 401, description = "Not signed in"),
        (status = 403, description = "Another learner"), (status = 404, description = "No such learner")))]
pub async fn user_status(
    State(state): State<AppState>,
    who: Identity,
    Path(username): Path<String>,
    headers: axum::http::HeaderMap,
) -> Result<Json<StatusBody>, ApiError> {
    let services = &state.services;
    let lang = super::openedx::request_language(&headers);
    let user = super::visible_account(&state, &who, &username).await?;
    let s = idv::cached::user_status(services, user.id).await?;
    let can_verify = can_verify_now(s.status, s.expires, services.clock.now(), &services.policy());
    Ok(Json(StatusBody {
        status: s.status.as_str().to_owned(),
        reasons: app::i18n::reasons::sentences(lang, &s.reasons).into_iter().map(str::to_owned).collect(),
        error: s.error,
        should_display: s.should_display,
        status_date: s.status_date.map(drf_time),
        expires: s.expires.map(drf_time),
        expiring_soon: s.expiring_soon,
        can_verify,
    }))
}

/// One attempt of any kind.
#[derive(Debug, Serialize, ToSchema)]
pub struct AttemptBody {
    /// `photo`, `sso`, `manual` or `generic`.
    pub kind: String,
    /// Id within its kind.
    pub id: i64,
    /// Public id of the attempt.
    pub uuid: String,
    /// The vendor receipt id (photo attempts only): the `EdX-ID` the vendor knows, and the
    /// id of the staff photo endpoints (`/verify_student/decrypt-idv-images/…`).
    pub receipt_id: Option<String>,
    /// Status.
    pub status: String,
    /// The name verified.
    pub name: String,
    /// Created.
    pub created_at: String,
    /// Last change.
    pub updated_at: String,
    /// Expiry.
    pub expiration_datetime: Option<String>,
    /// Why a denied attempt was denied, as sentences in the request's language (empty
    /// otherwise; never the vendor's raw codes).
    pub message: String,
}

/// A learner's attempts of every kind, newest first (the learner or staff).
#[utoipa::path(get, path = "/api/v1/users/{username}/attempts", tag = "vouch",
    params(("username" = String, Path, description = "The learner's username"), PageQuery),
    responses((status = 200, description = "OK", body = Paginated<AttemptBody>), (status = 401, description = "Not signed in"),
        (status = 403, description = "Another learner"), (status = 404, description = "No such learner")))]
pub async fn user_attempts(
    State(state): State<AppState>,
    who: Identity,
    headers: axum::http::HeaderMap,
    Path(username): Path<String>,
    Query(page): Query<PageQuery>,
) -> Result<Json<Paginated<AttemptBody>>, ApiError> {
    let services = &state.services;
    let user = super::visible_account(&state, &who, &username).await?;
    let policy = services.policy();
    // Generic attempts a plugin hid stay hidden from the learner (`hide_status_from_user`).
    let mut all = idv::cached::verifications_visible_to(services, user.id, who.staff).await?;
    all.sort_by_key(|v| std::cmp::Reverse((v.updated_at, v.id)));
    let receipts = accounts::photo_receipt_ids(services, user.id).await?;
    let lang = super::openedx::request_language(&headers);
    let bodies = all
        .into_iter()
        .map(|v| AttemptBody {
            kind: v.kind.as_str().to_owned(),
            id: v.id,
            receipt_id: (v.kind == AttemptKind::Photo).then(|| receipts.get(&v.uuid).cloned()).flatten(),
            uuid: v.uuid.clone(),
            status: v.status.as_str().to_owned(),
            name: v.name.clone(),
            created_at: drf_time(v.created_at),
            updated_at: drf_time(v.updated_at),
            expiration_datetime: v.expiration_datetime(&policy).map(drf_time),
            message: super::openedx::denial_message(lang, &v),
        })
        .collect();
    Ok(Json(Paginated::from_all(
        bodies,
        page,
        &url(&state, &format!("/api/v1/users/{}/attempts", urlencode(&username))),
    )?))
}

/// One recorded status change.
#[derive(Debug, Serialize, ToSchema)]
pub struct TransitionBody {
    /// Status before (none at creation).
    pub from: Option<String>,
    /// Status after.
    pub to: String,
    /// `learner`, `staff`, `vendor` or `system`.
    pub actor_kind: String,
    /// The actor's id or name.
    pub actor_id: String,
    /// Why.
    pub reason: String,
    /// When.
    pub at: String,
}

fn parse_kind(kind: &str) -> Result<AttemptKind, ApiError> {
    AttemptKind::ALL
        .into_iter()
        .find(|k| k.as_str() == kind)
        .ok_or_else(|| ApiError::new(ErrorCode::NotFound, "No such attempt kind."))
}

/// An attempt's audit history, oldest first (staff only).
#[utoipa::path(get, path = "/api/v1/attempts/{kind}/{id}/history", tag = "vouch",
    params(("kind" = String, Path, description = "photo, sso, manual or generic"),
        ("id" = i64, Path, description = "The attempt's id"), PageQuery),
    responses((status = 200, description = "OK", body = Paginated<TransitionBody>), (status = 401, description = "Not signed in"),
        (status = 403, description = "Not staff"), (status = 404, description = "No such attempt")))]
pub async fn attempt_history(
    State(state): State<AppState>,
    who: Identity,
    Path((kind, id)): Path<(String, i64)>,
    Query(page): Query<PageQuery>,
) -> Result<Json<Paginated<TransitionBody>>, ApiError> {
    who.require_staff()?;
    let kind = parse_kind(&kind)?;
    let history = attempt_history::history(&state.services, kind, id).await?;
    if history.is_empty() {
        return Err(ApiError::new(ErrorCode::NotFound, "No such attempt."));
    }
    let bodies = history
        .into_iter()
        .map(|t| TransitionBody {
            from: t.from,
            to: t.to,
            actor_kind: t.actor_kind,
            actor_id: t.actor_id,
            reason: t.reason,
            at: drf_time(t.at),
        })
        .collect();
    let base = url(&state, &format!("/api/v1/attempts/{}/{id}/history", kind.as_str()));
    Ok(Json(Paginated::from_all(bodies, page, &base)?))
}

/// A manual verification to create.
#[derive(Debug, Deserialize, ToSchema)]
pub struct ManualVerificationRequest {
    /// Why staff verify this learner by hand (required, audited).
    pub reason: String,
    /// The verified name (defaults to the account's name).
    pub name: Option<String>,
}

/// What was created.
#[derive(Debug, Serialize, ToSchema)]
pub struct Created {
    /// The new record's id.
    pub id: i64,
}

/// The largest reason or name accepted.
const MAX_TEXT: usize = 1000;

fn check_text(field: &str, value: &str) -> Result<(), ApiError> {
    if value.trim().is_empty() {
        return Err(ApiError::new(ErrorCode::InvalidRequest, format!("{field} is required.")));
    }
    if value.chars().count() > MAX_TEXT || value.chars().any(|c| c.is_control() && c != '\n') {
        return Err(ApiError::new(
            ErrorCode::InvalidRequest,
            format!("{field} is too long or has control characters."),
        ));
    }
    Ok(())
}

/// Verifies a learner by hand (staff only): approved now, expiring after the policy's days.
#[utoipa::path(post, path = "/api/v1/users/{username}/manual-verifications", tag = "vouch",
    params(("username" = String, Path, description = "The learner's username")),
    request_body = ManualVerificationRequest,
    responses((status = 201, description = "Created", body = Created), (status = 400, description = "Bad input"),
        (status = 401, description = "Not signed in"), (status = 403, description = "Not staff"),
        (status = 404, description = "No such learner")))]
pub async fn create_manual_verification(
    State(state): State<AppState>,
    who: Identity,
    Path(username): Path<String>,
    Json(req): Json<ManualVerificationRequest>,
) -> Result<(StatusCode, Json<Created>), ApiError> {
    who.require_staff()?;
    check_text("reason", &req.reason)?;
    if let Some(name) = &req.name {
        check_text("name", name)?;
    }
    let learner = accounts::by_username(&state.services, &username).await?;
    let name = req.name.as_deref().unwrap_or(&learner.full_name).trim().to_owned();
    let id = api::create_manual_verification(&state.services, learner.id, &name, req.reason.trim(), Some(who.user.id))
        .await?;
    Ok((StatusCode::CREATED, Json(Created { id })))
}

/// Why staff revoke.
#[derive(Debug, Deserialize, ToSchema)]
pub struct ReasonRequest {
    /// The reason (required, audited).
    pub reason: String,
}

/// Revokes a manual verification (staff only): approved → denied.
#[utoipa::path(post, path = "/api/v1/manual-verifications/{id}/revoke", tag = "vouch",
    params(("id" = i64, Path, description = "The manual verification's id")), request_body = ReasonRequest,
    responses((status = 204, description = "Revoked"), (status = 400, description = "Bad input"),
        (status = 401, description = "Not signed in"), (status = 403, description = "Not staff"),
        (status = 404, description = "No such verification"), (status = 409, description = "Not approved")))]
pub async fn revoke_manual_verification(
    State(state): State<AppState>,
    who: Identity,
    Path(id): Path<i64>,
    Json(req): Json<ReasonRequest>,
) -> Result<StatusCode, ApiError> {
    who.require_staff()?;
    check_text("reason", &req.reason)?;
    api::revoke_manual_verification(&state.services, id, Some(who.user.id), req.reason.trim()).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The outcome of a retry.
#[derive(Debug, Serialize, ToSchema)]
pub struct RetryBody {
    /// Submissions queued.
    pub queued: usize,
    /// Attempts skipped (not in must_retry, or already queued).
    pub skipped: usize,
}

/// Submits a must_retry photo attempt to the vendor again (staff only).
#[utoipa::path(post, path = "/api/v1/attempts/photo/{id}/retry", tag = "vouch",
    params(("id" = i64, Path, description = "The photo attempt's id")),
    responses((status = 200, description = "OK", body = RetryBody), (status = 401, description = "Not signed in"),
        (status = 403, description = "Not staff"), (status = 404, description = "No such attempt")))]
pub async fn retry_photo_attempt(
    State(state): State<AppState>,
    who: Identity,
    Path(id): Path<i64>,
) -> Result<Json<RetryBody>, ApiError> {
    who.require_staff()?;
    let report = retry::retry_one(&state.services, AttemptId(id)).await?;
    Ok(Json(RetryBody { queued: report.queued, skipped: report.skipped }))
}

/// A course's verification deadline.
#[derive(Debug, Serialize, ToSchema)]
pub struct DeadlineBody {
    /// The course.
    pub course_key: String,
    /// The deadline, if any.
    pub deadline: Option<String>,
}

/// A course's verification deadline (any signed-in user).
#[utoipa::path(get, path = "/api/v1/courses/{course_key}/deadline", tag = "vouch",
    params(("course_key" = String, Path, description = "The course key")),
    responses((status = 200, description = "OK", body = DeadlineBody), (status = 401, description = "Not signed in")))]
pub async fn get_deadline(
    State(state): State<AppState>,
    _who: Identity,
    Path(course_key): Path<String>,
) -> Result<Json<DeadlineBody>, ApiError> {
    let deadline = deadlines::deadline_for_course(&state.services, &course_key).await?;
    Ok(Json(DeadlineBody { course_key, deadline: deadline.map(drf_time) }))
}

/// A deadline to set; `null` removes it.
#[derive(Debug, Deserialize, ToSchema)]
pub struct SetDeadlineRequest {
    /// The new deadline (RFC 3339), or null to remove it.
    pub deadline: Option<DateTime<Utc>>,
    /// Whether staff set it explicitly (not derived from the course end), default true.
    #[serde(default = "yes")]
    pub deadline_is_explicit: bool,
}

fn yes() -> bool {
    true
}

/// Sets or removes a course's verification deadline (staff only); the change is kept in
/// the course's deadline history with who made it.
#[utoipa::path(put, path = "/api/v1/courses/{course_key}/deadline", tag = "vouch",
    params(("course_key" = String, Path, description = "The course key")), request_body = SetDeadlineRequest,
    responses((status = 200, description = "OK", body = DeadlineBody), (status = 400, description = "Bad input"),
        (status = 401, description = "Not signed in"), (status = 403, description = "Not staff")))]
pub async fn set_deadline(
    State(state): State<AppState>,
    who: Identity,
    Path(course_key): Path<String>,
    Json(req): Json<SetDeadlineRequest>,
) -> Result<Json<DeadlineBody>, ApiError> {
    who.require_staff()?;
    let by = format!("staff:{}", who.user.username);
    deadlines::set_deadline(&state.services, &course_key, req.deadline, req.deadline_is_explicit, &by).await?;
    Ok(Json(DeadlineBody { course_key, deadline: req.deadline.map(drf_time) }))
}

/// One change of a course's deadline.
#[derive(Debug, Serialize, ToSchema)]
pub struct DeadlineChangeBody {
    /// The deadline set (null: removed).
    pub deadline: Option<String>,
    /// Set explicitly by staff.
    pub deadline_is_explicit: bool,
    /// Who changed it.
    pub changed_by: String,
    /// When.
    pub changed_at: String,
}

/// A course's deadline history, newest first (staff only).
#[utoipa::path(get, path = "/api/v1/courses/{course_key}/deadline/history", tag = "vouch",
    params(("course_key" = String, Path, description = "The course key"), PageQuery),
    responses((status = 200, description = "OK", body = Paginated<DeadlineChangeBody>), (status = 401, description = "Not signed in"),
        (status = 403, description = "Not staff")))]
pub async fn deadline_history(
    State(state): State<AppState>,
    who: Identity,
    Path(course_key): Path<String>,
    Query(page): Query<PageQuery>,
) -> Result<Json<Paginated<DeadlineChangeBody>>, ApiError> {
    who.require_staff()?;
    let mut changes = deadlines::history(&state.services, &course_key).await?;
    changes.reverse();
    let bodies = changes
        .into_iter()
        .map(|c| DeadlineChangeBody {
            deadline: c.deadline.map(drf_time),
            deadline_is_explicit: c.is_explicit,
            changed_by: c.changed_by,
            changed_at: drf_time(c.changed_at),
        })
        .collect();
    let base = url(&state, &format!("/api/v1/courses/{}/deadline/history", urlencode(&course_key)));
    Ok(Json(Paginated::from_all(bodies, page, &base)?))
}

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

/// The pay-and-verify page: `outcome` is `show`, `redirect` or `deadline_passed`.
#[derive(Debug, Serialize, ToSchema)]
pub struct PayAndVerifyBody {
    /// `show`, `redirect` or `deadline_passed`.
    pub outcome: String,
    /// The course.
    pub course_key: String,
    /// The messaging.
    pub message: String,
    /// Steps to display (`show`).
    pub display_steps: Vec<StepBody>,
    /// The step to show now (`show`).
    pub current_step: Option<String>,
    /// Requirements by name, shown when true (`show`).
    pub requirements: std::collections::BTreeMap<String, bool>,
    /// The paid mode's slug, price (minor units) and SKU (`show`).
    pub course_mode: Option<serde_json::Value>,
    /// Where the payment step sends the learner (the commerce checkout), when configured.
    pub checkout_url: Option<String>,
    /// Where to go instead (`redirect`).
    pub redirect_url: Option<String>,
    /// Why (`redirect`): dashboard, upgrade_and_verify, start_flow, verify_now or checkout.
    pub redirect_to: Option<String>,
    /// Which deadline passed (`deadline_passed`): `verification` or `upgrade`.
    pub deadline_name: Option<String>,
    /// When (`deadline_passed`).
    pub deadline: Option<String>,
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
    use crate::service::commerce::{self, PayAndVerifyRequest};
    use app::domain::pay_and_verify::{DeadlineKind, Decision, Message, Redirect, Step};
    let message_name = q.message.as_deref().unwrap_or("first-time-verify");
    let message =
        Message::parse(message_name).ok_or_else(|| ApiError::new(ErrorCode::InvalidRequest, "Unknown message."))?;
    let current_step = match q.current_step.as_deref() {
        Some(s) => Some(Step::parse(s).ok_or_else(|| ApiError::new(ErrorCode::InvalidRequest, "Unknown step."))?),
        None => None,
    };
    let request = PayAndVerifyRequest { message, current_step, always_show_payment: q.always_show_payment };
    let decision = commerce::pay_and_verify(&state.services, &who.user, &course_key, request).await?;
    let cfg = &state.cfg;
    let mut body = PayAndVerifyBody {
        outcome: String::new(),
        course_key: course_key.clone(),
        message: message_name.to_owned(),
        display_steps: Vec::new(),
        current_step: None,
        requirements: Default::default(),
        course_mode: None,
        checkout_url: None,
        redirect_url: None,
        redirect_to: None,
        deadline_name: None,
        deadline: None,
    };
    match decision {
        Decision::NoPaidMode => {
            return Err(ApiError::new(ErrorCode::NotFound, "This course has no paid or verified track."));
        }
        Decision::DeadlinePassed { kind, deadline } => {
            body.outcome = "deadline_passed".into();
            body.deadline_name = Some(
                match kind {
                    DeadlineKind::Verification => "verification",
                    DeadlineKind::Upgrade => "upgrade",
                }
                .into(),
            );
            body.deadline = Some(drf_time(deadline));
        }
        Decision::Redirect(to) => {
            let flow = |page: &str| url(&state, &format!("/verify_student/{page}/{}/", urlencode(&course_key)));
            let (name, target) = match &to {
                Redirect::Dashboard => (
                    "dashboard",
                    Some(cfg.commerce.dashboard_url.clone().unwrap_or_else(|| url(&state, "/id-verification/status"))),
                ),
                Redirect::UpgradeAndVerify => ("upgrade_and_verify", Some(flow("upgrade"))),
                Redirect::StartFlow => ("start_flow", Some(flow("start-flow"))),
                Redirect::VerifyNow => ("verify_now", Some(flow("verify-now"))),
                Redirect::Checkout { sku } => ("checkout", commerce::checkout_url(cfg, sku)),
            };
            body.outcome = "redirect".into();
            body.redirect_to = Some(name.into());
            body.redirect_url = target;
        }
        Decision::Show { display_steps, current_step, requirements, course_mode } => {
            body.outcome = "show".into();
            body.display_steps =
                display_steps.iter().map(|s| StepBody { name: s.as_str().into(), title: s.title().into() }).collect();
            body.current_step = Some(current_step.as_str().into());
            for (name, req) in [
                ("account-activation-required", app::domain::pay_and_verify::Requirement::AccountActivationRequired),
                ("photo-id-required", app::domain::pay_and_verify::Requirement::PhotoIdRequired),
                ("webcam-required", app::domain::pay_and_verify::Requirement::WebcamRequired),
            ] {
                body.requirements.insert(name.into(), requirements.contains(&req));
            }
            body.checkout_url = course_mode.sku.as_deref().and_then(|sku| commerce::checkout_url(cfg, sku));
            body.course_mode = Some(serde_json::json!({
                "slug": course_mode.slug, "min_price": course_mode.min_price, "sku": course_mode.sku,
                "expiration_datetime": course_mode.expiration.map(drf_time),
            }));
        }
    }
    Ok(Json(body))
}

/// `?status=` of the job list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct JobsQuery {
    /// `queued`, `running`, `done` or `failed` (default: all).
    pub status: Option<String>,
}

/// A background job.
#[derive(Debug, Serialize, ToSchema)]
pub struct JobBody {
    /// Id.
    pub id: i64,
    /// Handler kind (e.g. `software_secure.submit`).
    pub kind: String,
    /// Status.
    pub status: String,
    /// Tries so far.
    pub attempts: i32,
    /// Tries allowed.
    pub max_attempts: i32,
    /// The last error.
    pub last_error: String,
    /// When it runs next.
    pub run_at: String,
    /// Last change.
    pub updated_at: String,
}

/// Background jobs, newest change first (staff only): failed ones are what needs a look.
#[utoipa::path(get, path = "/api/v1/jobs", tag = "vouch", params(JobsQuery, PageQuery),
    responses((status = 200, description = "OK", body = Paginated<JobBody>), (status = 400, description = "Bad status"),
        (status = 401, description = "Not signed in"), (status = 403, description = "Not staff")))]
pub async fn list_jobs(
    State(state): State<AppState>,
    who: Identity,
    Query(q): Query<JobsQuery>,
    Query(page): Query<PageQuery>,
) -> Result<Json<Paginated<JobBody>>, ApiError> {
    who.require_staff()?;
    let (offset, limit) = page.offset_limit()?;
    let (p, size) = page.resolve()?;
    let (jobs, count) = crate::service::jobs_admin::list(&state.services, q.status.as_deref(), offset, limit).await?;
    let results = jobs
        .into_iter()
        .map(|j| JobBody {
            id: j.id,
            kind: j.kind,
            status: j.status,
            attempts: j.attempts,
            max_attempts: j.max_attempts,
            last_error: j.last_error,
            run_at: drf_time(j.run_at),
            updated_at: drf_time(j.updated_at),
        })
        .collect();
    let base = match &q.status {
        Some(s) => url(&state, &format!("/api/v1/jobs?status={}", urlencode(s))),
        None => url(&state, "/api/v1/jobs"),
    };
    Ok(Json(Paginated::from_page(results, count as usize, p, size, &base)))
}

/// Queues a failed job again with a fresh allowance of tries (staff only).
#[utoipa::path(post, path = "/api/v1/jobs/{id}/retry", tag = "vouch",
    params(("id" = i64, Path, description = "The job's id")),
    responses((status = 204, description = "Queued again"), (status = 401, description = "Not signed in"),
        (status = 403, description = "Not staff"), (status = 409, description = "Not a failed job")))]
pub async fn retry_job(
    State(state): State<AppState>,
    who: Identity,
    Path(id): Path<i64>,
) -> Result<StatusCode, ApiError> {
    who.require_staff()?;
    crate::service::jobs_admin::retry(&state.services, id).await?;
    Ok(StatusCode::NO_CONTENT)
}
