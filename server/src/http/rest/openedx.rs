//! Open edX's REST endpoints with its paths and JSON shapes, so an LMS or micro-frontend
//! that talks to Open edX's `verify_student` and user API talks to Vouch unchanged.

use super::super::{AppState, error::ApiError, identity::Identity};
use crate::service::{accounts, idv};
use app::{
    domain::{AttemptKind, Verification, id_verification::Expiration, policy::can_verify_now},
    error::ErrorCode,
};
use axum::{
    Json,
    extract::{Path, State},
};
use chrono::{DateTime, SecondsFormat, Utc};
use serde::Serialize;
use utoipa::ToSchema;

/// A timestamp as Django REST framework writes it.
pub fn drf_time(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::AutoSi, true)
}

/// `GET /verify_student/status/`.
#[derive(Debug, Serialize, ToSchema)]
pub struct VerifyStudentStatus {
    /// `none`, `pending`, `approved`, `must_reverify`, `expired` or `denied`.
    pub status: String,
    /// When the current approval expires (omitted when there is none).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expires: Option<String>,
    /// Whether the learner may (re)verify now.
    pub can_verify: bool,
}

/// The signed-in learner's verification status.
///
/// Open edX's `VerificationStatusAPIView`: verification is allowed if and only if
/// `can_verify` is true.
#[utoipa::path(get, path = "/verify_student/status/", tag = "open edx",
    responses((status = 200, description = "OK", body = VerifyStudentStatus), (status = 401, description = "Not signed in")))]
pub async fn verify_student_status(
    State(state): State<AppState>,
    who: Identity,
) -> Result<Json<VerifyStudentStatus>, ApiError> {
    let services = &state.services;
    let (status, expiration, door_open) =
        idv::cached::user_status_and_expiration(services, who.user.id, &["approved"]).await?;
    let expires = match expiration {
        Some(Expiration::At(at)) => Some(at),
        Some(Expiration::Never) | None => None,
    };
    // Open edX's formula, and never "yes" where the submit doors say no.
    let can_verify = door_open && can_verify_now(status.status, expires, services.clock.now(), &services.policy());
    Ok(Json(VerifyStudentStatus {
        status: status.status.as_str().to_owned(),
        expires: expires.map(drf_time),
        can_verify,
    }))
}

/// `GET /api/user/v1/accounts/{username}/verification_status/`.
#[derive(Debug, Serialize, ToSchema)]
pub struct AccountVerificationStatus {
    /// The newest verification's status.
    pub status: String,
    /// When it expires.
    pub expiration_datetime: Option<String>,
    /// Whether it is approved and not expired.
    pub is_verified: bool,
}

/// One verification as Open edX's `IDVerificationDetailsSerializer` writes it.
#[derive(Debug, Serialize, ToSchema)]
pub struct VerificationDetails {
    /// `Software Secure`, `SSO`, `Manual` or `Generic`.
    #[serde(rename = "type")]
    pub kind: String,
    /// The status.
    pub status: String,
    /// When it expires.
    pub expiration_datetime: Option<String>,
    /// Why a denied verification was not accepted: one readable sentence per reason (Open
    /// edX's `parsed_error_msg`), in the request's `Accept-Language` (`en` or `fr`); empty
    /// for any other status. Never the vendor's raw codes.
    pub message: String,
    /// Last change.
    pub updated_at: String,
    /// The vendor receipt id (photo verifications only): the `EdX-ID` the vendor knows, and
    /// the id of `/verify_student/decrypt-idv-images/…` and the staff photo URLs.
    pub receipt_id: Option<String>,
}

fn type_name(kind: AttemptKind) -> &'static str {
    match kind {
        AttemptKind::Photo => "Software Secure",
        AttemptKind::Sso => "SSO",
        AttemptKind::Manual => "Manual",
        AttemptKind::Generic => "Generic",
    }
}

/// The verifications of `username` that the caller may see, newest change first; 404 when
/// the account does not exist or has none (as Open edX answers).
async fn visible_verifications(
    state: &AppState,
    who: &Identity,
    username: &str,
) -> Result<Vec<Verification>, ApiError> {
    let user = super::visible_account(state, who, username).await?;
    let mut all = idv::cached::verifications_visible_to(&state.services, user.id, who.staff).await?;
    if all.is_empty() {
        return Err(ApiError::new(ErrorCode::NotFound, "No verification for this account."));
    }
    all.sort_by_key(|v| std::cmp::Reverse(v.updated_at));
    Ok(all)
}

/// The language of learner-facing text for a request: the first of `Accept-Language`'s
/// tags that Vouch has (`en`, `fr`), else English.
pub fn request_language(headers: &axum::http::HeaderMap) -> &'static str {
    let accept = headers.get(axum::http::header::ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok()).unwrap_or_default();
    let mut tags: Vec<(f32, &str)> = accept
        .split(',')
        .filter_map(|part| {
            let mut it = part.split(';');
            let tag = it.next()?.trim();
            let q = it.find_map(|p| p.trim().strip_prefix("q=")).and_then(|q| q.parse().ok()).unwrap_or(1.0);
            (!tag.is_empty() && q > 0.0).then_some((q, tag))
        })
        .collect();
    // Highest quality first; equal qualities keep their order.
    tags.sort_by(|a, b| b.0.total_cmp(&a.0));
    app::i18n::pick(&tags.iter().map(|(_, t)| *t).collect::<Vec<_>>()).lang
}

/// The readable reasons of a denied verification, one sentence each, joined by spaces.
pub(crate) fn denial_message(lang: &str, v: &Verification) -> String {
    if !matches!(v.status.as_str(), "denied") {
        return String::new();
    }
    let reasons = app::domain::reasons::parse(&v.error_msg);
    app::i18n::reasons::sentences(lang, &reasons).join(" ")
}

/// A learner's newest verification.
///
/// Open edX's `IDVerificationStatusView`: the learner themselves or staff; 404 when the
/// learner has never verified.
#[utoipa::path(get, path = "/api/user/v1/accounts/{username}/verification_status/", tag = "open edx",
    params(("username" = String, Path, description = "The learner's username")),
    responses((status = 200, description = "OK", body = AccountVerificationStatus), (status = 401, description = "Not signed in"),
        (status = 403, description = "Another learner's data"), (status = 404, description = "No verification")))]
pub async fn account_verification_status(
    State(state): State<AppState>,
    who: Identity,
    Path(username): Path<String>,
) -> Result<Json<AccountVerificationStatus>, ApiError> {
    let all = visible_verifications(&state, &who, &username).await?;
    let newest = &all[0];
    let policy = state.services.policy();
    let expiration = newest.expiration_datetime(&policy);
    let now = state.services.clock.now();
    Ok(Json(AccountVerificationStatus {
        status: newest.status.as_str().to_owned(),
        expiration_datetime: expiration.map(drf_time),
        is_verified: newest.status.is_approved() && expiration.is_some_and(|e| e > now),
    }))
}

/// Every verification of a learner, newest first.
///
/// Open edX's `IDVerificationStatusDetailsView` (a plain list, as Open edX returns it).
#[utoipa::path(get, path = "/api/user/v1/accounts/{username}/verifications/", tag = "open edx",
    params(("username" = String, Path, description = "The learner's username")),
    responses((status = 200, description = "OK", body = Vec<VerificationDetails>), (status = 401, description = "Not signed in"),
        (status = 403, description = "Another learner's data"), (status = 404, description = "No verification")))]
pub async fn account_verifications(
    State(state): State<AppState>,
    who: Identity,
    Path(username): Path<String>,
    headers: axum::http::HeaderMap,
) -> Result<Json<Vec<VerificationDetails>>, ApiError> {
    let lang = request_language(&headers);
    let policy = state.services.policy();
    let all = visible_verifications(&state, &who, &username).await?;
    let receipts = match all.first() {
        Some(v) => accounts::photo_receipt_ids(&state.services, v.user_id).await?,
        None => Default::default(),
    };
    Ok(Json(
        all.into_iter()
            .map(|v| VerificationDetails {
                kind: type_name(v.kind).to_owned(),
                status: v.status.as_str().to_owned(),
                expiration_datetime: v.expiration_datetime(&policy).map(drf_time),
                message: denial_message(lang, &v),
                updated_at: drf_time(v.updated_at),
                // The vendor-facing receipt id, never the attempt's uuid (a filter step's
                // own photo records, unknown to the store, have none).
                receipt_id: (v.kind == AttemptKind::Photo).then(|| receipts.get(&v.uuid).cloned()).flatten(),
            })
            .collect(),
    ))
}
