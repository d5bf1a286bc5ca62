//! Who is calling: an LMS JWT (header or Open edX cookie pair) or the Vouch session, in that
//! order. A presented but invalid token is a 401, never a silent fall-back to the session,
//! so a client learns that its token needs refreshing.
//!
//! Cross-site request forgery: a write authenticated by a cookie (session or JWT cookie)
//! must come from this site. Browsers say where a request comes from (`Sec-Fetch-Site`,
//! `Origin`); a cross-site one is refused. A write with neither header is refused too,
//! because old browsers and some WebViews send neither while still attaching cookies to a
//! cross-site form, unless it carries [`CSRF_HEADER`]: a header no cross-site form can set,
//! and that a cross-site script can only set after a CORS preflight Vouch never grants. The
//! SPA, the staff console and non-browser cookie clients send it. Header-token requests are
//! not exposed to CSRF at all.
//!
//! Staff rights: the stored staff flag (granted in Vouch, e.g. `vouch create-staff`) or, for
//! an LMS token, its `administrator` claim. The claim holds for that token only and is never
//! stored, so an LMS demotion takes effect with the next token.

use super::{AppState, auth, error::ApiError, handoff, jwt};
use crate::service::{
    accounts,
    records::{LmsProfile, User},
    sso,
    staff::Staff,
};
use app::error::ErrorCode;
use axum::{
    extract::{FromRequestParts, OptionalFromRequestParts},
    http::{HeaderMap, Method, header, request::Parts},
};
use std::sync::Arc;
use tower_sessions::Session;

/// How the caller proved who they are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Via {
    /// The Vouch session cookie.
    Session,
    /// `Authorization: JWT|Bearer`.
    JwtHeader,
    /// The Open edX JWT cookie pair.
    JwtCookie,
}

/// The signed-in caller of a request.
#[derive(Debug, Clone)]
pub struct Identity {
    /// The user (shared with the status cache's sign-in entry: no copy per request).
    pub user: Arc<User>,
    /// Staff rights for this request: the stored flag, or the LMS token's `administrator` claim.
    pub staff: bool,
    /// How they signed in.
    pub via: Via,
    /// A phone session started by a "Continue on your phone" link (the link's id): it may
    /// reach only the flow and the status ([`handoff::phone_may_use`]).
    pub phone: Option<i64>,
}

impl Identity {
    /// Refuses non-staff callers; for staff, the proof the staff services take.
    pub fn require_staff(&self) -> Result<Staff, ApiError> {
        if self.staff {
            Ok(Staff::checked(self.user.id))
        } else {
            Err(ApiError::new(ErrorCode::Forbidden, "Only staff may do this."))
        }
    }

    /// Refuses callers who are neither staff nor holders of the `reviewer` role; for
    /// reviewers, the proof the review services take.
    pub fn require_reviewer(&self) -> Result<crate::service::review::ReviewerRole, ApiError> {
        if self.is_reviewer() {
            Ok(crate::service::review::ReviewerRole::checked(self.user.id, self.staff))
        } else {
            Err(ApiError::new(ErrorCode::Forbidden, "Only reviewers and staff may do this."))
        }
    }

    /// Whether the caller is a reviewer (staff are). A phone session never is, whatever the
    /// learner's role: it carries the flow and nothing else.
    pub fn is_reviewer(&self) -> bool {
        (self.staff || self.user.is_reviewer) && self.phone.is_none()
    }

    /// Whether the caller may see `username`'s data: their own, or any as staff.
    pub fn may_see(&self, username: &str) -> bool {
        self.staff || self.user.username == username
    }
}

fn unauthenticated(message: &str) -> ApiError {
    ApiError::new(ErrorCode::Unauthenticated, message)
}

fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find_map(|(k, v)| (k == name).then_some(v))
}

/// The caller of this request, if any.
pub async fn resolve(parts: &mut Parts, state: &AppState) -> Result<Option<Identity>, ApiError> {
    let token =
        match parts.headers.get(header::AUTHORIZATION).map(|v| v.to_str().ok().and_then(jwt::from_authorization)) {
            Some(Some(token)) => Some((token.to_owned(), Via::JwtHeader)),
            Some(None) => return Err(unauthenticated("Use `Authorization: JWT <token>` or `Bearer <token>`.")),
            None => match (
                cookie(&parts.headers, jwt::HEADER_PAYLOAD_COOKIE),
                cookie(&parts.headers, jwt::SIGNATURE_COOKIE),
            ) {
                (Some(hp), Some(sig)) => Some((jwt::from_cookie_pair(hp, sig), Via::JwtCookie)),
                _ => None,
            },
        };
    let identity = match token {
        Some((token, via)) => Some(from_token(state, &token, via).await?),
        None => from_session(parts, state).await?,
    };
    if let Some(id) = &identity
        && id.via != Via::JwtHeader
        && !csrf_safe(&parts.method, &parts.headers, &state.cfg.server.public_url)
    {
        return Err(cross_site_refused());
    }
    // The one place a phone session is held to its scope: every route and server function
    // that asks who the caller is comes through here.
    if identity.as_ref().is_some_and(|id| id.phone.is_some()) && !handoff::phone_may_use(parts.uri.path()) {
        return Err(handoff::phone_only());
    }
    Ok(identity)
}

async fn from_token(state: &AppState, token: &str, via: Via) -> Result<Identity, ApiError> {
    let services = &state.services;
    let verified = state.jwt.verify_remembered(token, services.clock.now()).map_err(|e| {
        tracing::info!(reason = %e, "JWT refused");
        unauthenticated(&format!("Sign-in refused: {e}."))
    })?;
    let claims = &verified.claims;
    if !auth::valid_username(&claims.preferred_username) {
        return Err(unauthenticated("Sign-in refused: the token's username is not valid."));
    }
    // The profile is stored as text; control characters (a NUL, which PostgreSQL cannot
    // hold) mean a broken or hostile token.
    if [&claims.email, &claims.name].iter().any(|s| s.chars().any(char::is_control) || s.chars().count() > 255) {
        return Err(unauthenticated("Sign-in refused: the token's profile is not valid."));
    }
    let profile = LmsProfile {
        lms_user_id: claims.user_id,
        username: &claims.preferred_username,
        email: &claims.email,
        full_name: &claims.name,
    };
    // A token that says what it said last time, for an account unchanged since, signs in
    // without a database round trip (the status cache evicts on every account change).
    let key = &verified.sign_in;
    let user = match services.status_cache.sign_in(key) {
        Some(user) => user,
        None => {
            let ticket = services.status_cache.ticket();
            let user = Arc::new(accounts::sign_in_from_lms(services, &profile).await?);
            services.status_cache.store_sign_in(key.clone(), ticket, user.clone());
            user
        }
    };
    if !user.is_active {
        return Err(unauthenticated("This account is disabled."));
    }
    if let Some(claim) = &state.cfg.auth.sso_verification_claim {
        record_sso_claim(state, &user, claim, claims.other.get(claim)).await?;
    }
    // An LMS administrator is staff for this token only: nothing is stored, so the next token
    // of a demoted administrator carries no rights. A flag granted in Vouch stays Vouch's.
    let staff = user.is_staff || claims.administrator;
    Ok(Identity { user, staff, via, phone: None })
}

/// The SSO rule (`auth.sso_verification_claim`): a token whose claim names an identity
/// provider records an approved SSO verification, unless one from that provider is valid.
/// A claim of the wrong shape is the LMS's misconfiguration: logged, and sign-in goes on.
async fn record_sso_claim(
    state: &AppState,
    user: &User,
    claim: &str,
    value: Option<&serde_json::Value>,
) -> Result<(), ApiError> {
    let provider = match value.map(sso::Provider::from_claim) {
        None | Some(Ok(None)) => return Ok(()),
        Some(Ok(Some(p))) => p,
        Some(Err(e)) => {
            tracing::warn!(claim, reason = %e, "SSO verification claim ignored");
            return Ok(());
        }
    };
    // The name verified is the profile name, as Open edX records `user.profile.name`.
    if let Some(id) = sso::record_at_sign_in(&state.services, user.id, &user.full_name, &provider).await? {
        tracing::info!(user.id = %user.id, sso.id = id, "SSO verification recorded from the LMS token");
    }
    Ok(())
}

async fn from_session(parts: &mut Parts, state: &AppState) -> Result<Option<Identity>, ApiError> {
    let Ok(session) = Session::from_request_parts(parts, state).await else {
        return Ok(None);
    };
    let Some(id) = auth::session_user(&session).await? else {
        return Ok(None);
    };
    let Some(user) = accounts::by_id(&state.services, id).await?.filter(|u| u.is_active) else {
        return Ok(None);
    };
    let phone = session.get::<i64>(handoff::PHONE_KEY).await.map_err(|e| {
        tracing::warn!(error = %e, "session store unavailable");
        ApiError::new(ErrorCode::Unavailable, "The service is unavailable for a moment. Please try again.")
    })?;
    if let Some(link) = phone
        && !crate::service::handoff::phone_session_valid(&state.services, link, user.id).await?
    {
        return Err(unauthenticated(
            "This phone's session was cancelled on the computer, or has ended. Show a new code there and scan it \
             again.",
        ));
    }
    // A phone session never carries staff rights, whoever the learner is.
    Ok(Some(Identity { staff: user.is_staff && phone.is_none(), user: Arc::new(user), via: Via::Session, phone }))
}

/// The header that marks a cookie-authenticated write as not coming from a cross-site form
/// when the browser says nothing about where it comes from (any non-empty value; the SPA and
/// the staff console send `X-Requested-With: XMLHttpRequest`).
pub const CSRF_HEADER: &str = "x-requested-with";

/// Whether a request may act on cookie credentials: safe methods always; writes only from
/// this site, as `Sec-Fetch-Site` or else `Origin` says, or, when the browser sends neither,
/// with [`CSRF_HEADER`].
pub fn csrf_safe(method: &Method, headers: &HeaderMap, public_url: &str) -> bool {
    if matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS) {
        return true;
    }
    if let Some(site) = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok()) {
        return matches!(site, "same-origin" | "none");
    }
    match headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) {
        Some(origin) => same_origin(origin, public_url) || is_own_host(origin, headers),
        None => headers.get(CSRF_HEADER).is_some_and(|v| !v.is_empty()),
    }
}

/// The 403 of a write refused by [`csrf_safe`].
pub fn cross_site_refused() -> ApiError {
    ApiError::new(
        ErrorCode::Forbidden,
        "Cross-site request refused: a browser write needs Sec-Fetch-Site or Origin of this site, \
         or an X-Requested-With header.",
    )
}

fn origin_of(url: &str) -> &str {
    let after_scheme = url.find("://").map_or(0, |i| i + 3);
    match url[after_scheme..].find('/') {
        Some(i) => &url[..after_scheme + i],
        None => url,
    }
}

fn same_origin(origin: &str, public_url: &str) -> bool {
    origin.eq_ignore_ascii_case(origin_of(public_url))
}

/// The origin matches the `Host` the request was sent to (a server reached under another
/// name than `server.public_url`, e.g. 127.0.0.1 in development).
fn is_own_host(origin: &str, headers: &HeaderMap) -> bool {
    let Some(host) = headers.get(header::HOST).and_then(|v| v.to_str().ok()) else {
        return false;
    };
    origin.split_once("://").is_some_and(|(_, rest)| rest.eq_ignore_ascii_case(host))
}

impl FromRequestParts<AppState> for Identity {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        resolve(parts, state).await?.ok_or_else(|| unauthenticated("You need to sign in first."))
    }
}

impl OptionalFromRequestParts<AppState> for Identity {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Option<Self>, Self::Rejection> {
        resolve(parts, state).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, HeaderValue::from_static(v));
        }
        h
    }

    #[test]
    fn csrf_rules() {
        let url = "https://vouch.example/base";
        assert!(csrf_safe(&Method::GET, &headers(&[("sec-fetch-site", "cross-site")]), url));
        assert!(!csrf_safe(&Method::POST, &headers(&[("sec-fetch-site", "cross-site")]), url));
        assert!(!csrf_safe(&Method::POST, &headers(&[("sec-fetch-site", "same-site")]), url));
        assert!(csrf_safe(&Method::POST, &headers(&[("sec-fetch-site", "same-origin")]), url));
        assert!(csrf_safe(&Method::POST, &headers(&[("origin", "https://vouch.example")]), url));
        assert!(!csrf_safe(&Method::POST, &headers(&[("origin", "https://evil.example")]), url));
        assert!(!csrf_safe(&Method::POST, &headers(&[("origin", "null")]), url));
        assert!(csrf_safe(
            &Method::POST,
            &headers(&[("origin", "http://127.0.0.1:8000"), ("host", "127.0.0.1:8000")]),
            url
        ));
        // Neither header: an old browser's cross-site form looks like this, so only a
        // request with the header no form can send passes.
        assert!(!csrf_safe(&Method::POST, &HeaderMap::new(), url));
        assert!(csrf_safe(&Method::POST, &headers(&[("x-requested-with", "XMLHttpRequest")]), url));
        assert!(!csrf_safe(&Method::POST, &headers(&[("x-requested-with", "")]), url));
        assert!(!csrf_safe(
            &Method::POST,
            &headers(&[("x-requested-with", "XMLHttpRequest"), ("sec-fetch-site", "cross-site")]),
            url
        ));
    }

    #[test]
    fn cookies_by_name() {
        let h = headers(&[("cookie", "a=1; edx-jwt-cookie-signature=sig; b=2")]);
        assert_eq!(cookie(&h, jwt::SIGNATURE_COOKIE), Some("sig"));
        assert_eq!(cookie(&h, "c"), None);
    }
}
