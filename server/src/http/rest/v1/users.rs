//! `/api/v1/me` and `/api/v1/users…`: the caller, the learner search (staff), and a
//! learner's status and attempts (the learner or staff).

use super::{url, urlencode};
use crate::{
    http::{
        AppState,
        error::ApiError,
        identity::Identity,
        rest::{
            PageQuery, Paginated,
            openedx::{self, drf_time},
            paginate, visible_account,
        },
    },
    service::{accounts, idv},
};
use app::domain::{AttemptKind, policy::can_verify_now};
use axum::{
    Json,
    extract::{Path, Query, State},
};
use rest_types::{AttemptBody, Me, StatusBody};
use serde::Deserialize;
use utoipa::IntoParams;

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
    let lang = openedx::request_language(&headers);
    let user = visible_account(&state, &who, &username).await?;
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
    let user = visible_account(&state, &who, &username).await?;
    let policy = services.policy();
    // Generic attempts a plugin hid stay hidden from the learner (`hide_status_from_user`).
    let mut all = idv::cached::verifications_visible_to(services, user.id, who.staff).await?;
    all.sort_by_key(|v| std::cmp::Reverse((v.updated_at, v.id)));
    let receipts = accounts::photo_receipt_ids(services, user.id).await?;
    let lang = openedx::request_language(&headers);
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
            message: openedx::denial_message(lang, &v),
        })
        .collect();
    Ok(Json(paginate(bodies, page, &url(&state, &format!("/api/v1/users/{}/attempts", urlencode(&username))))?))
}
