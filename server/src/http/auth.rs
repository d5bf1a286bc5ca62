//! Sessions and sign-in. The session cookie is signed, HttpOnly and SameSite=Lax; the
//! session itself lives in the database. Dev login signs in by username alone and exists
//! only when `auth.dev_login` is on (404 otherwise); it never signs in a staff account, so
//! a dev login left on cannot hand out staff rights. Both sign-in and logout refuse
//! cross-site requests (login CSRF would sign a victim into the attacker's account).

use super::{
    AppState,
    error::ApiError,
    identity::{cross_site_refused, csrf_safe},
};
use crate::{
    config::Config,
    service::{
        accounts::{self, DevLogin},
        records::DbSessionStore,
    },
};
use app::{domain::UserId, error::ErrorCode};
use axum::{
    Form,
    extract::State,
    http::{HeaderMap, Method},
    response::{IntoResponse, Redirect, Response},
};
use serde::Deserialize;
use tower_sessions::{
    Expiry, Session, SessionManagerLayer,
    cookie::{Key, SameSite},
    service::SignedCookie,
};

/// The session key holding the signed-in user's id.
const USER_KEY: &str = "user_id";

/// The name of the session cookie.
pub const COOKIE_NAME: &str = "vouch_session";

/// The session middleware.
pub fn session_layer(
    cfg: &Config,
    store: DbSessionStore,
    key: Key,
) -> SessionManagerLayer<DbSessionStore, SignedCookie> {
    SessionManagerLayer::new(store)
        .with_name(COOKIE_NAME)
        .with_http_only(true)
        // LTI launches run in a cross-site LMS iframe, where only SameSite=None cookies are sent.
        .with_same_site(if cfg.lti.cross_site_cookies { SameSite::None } else { SameSite::Lax })
        .with_secure(cfg.secure_cookies())
        .with_expiry(Expiry::OnInactivity(time::Duration::hours(cfg.auth.session_idle_hours)))
        .with_signed(key)
}

/// The key that signs session cookies: from `auth.session_secret`, else random per process.
pub fn session_key(cfg: &Config) -> Result<Key, crate::config::ConfigError> {
    match &cfg.auth.session_secret {
        Some(secret) => Key::try_from(secret.expose().as_bytes()).map_err(|e| {
            crate::config::ConfigError::Invalid(crate::config::invalid(
                "auth.session_secret",
                &e.to_string(),
                "set it to at least 64 random bytes (e.g. `openssl rand -hex 32`)",
            ))
        }),
        None => {
            tracing::warn!("auth.session_secret is not set: using a random key, sessions end at restart");
            Ok(Key::generate())
        }
    }
}

/// The signed-in user of this session, if any.
pub async fn session_user(session: &Session) -> Result<Option<UserId>, ApiError> {
    session.get::<i64>(USER_KEY).await.map(|v| v.map(UserId)).map_err(|e| {
        tracing::warn!(error = %e, "session store unavailable");
        ApiError::new(ErrorCode::Unavailable, "The service is unavailable for a moment. Please try again.")
    })
}

/// Signs `user` in on this session, with a fresh session id (no fixation).
pub async fn sign_in(session: &Session, user: UserId) -> Result<(), ApiError> {
    let unavailable =
        |_| ApiError::new(ErrorCode::Unavailable, "The service is unavailable for a moment. Please try again.");
    session.cycle_id().await.map_err(unavailable)?;
    // A full sign-in is not a phone session any more (the hand-off sets its flag after this).
    session.remove_value(super::handoff::PHONE_KEY).await.map_err(unavailable)?;
    session.insert(USER_KEY, user.0).await.map_err(unavailable)?;
    Ok(())
}

/// The dev-login form.
#[derive(Debug, Deserialize)]
pub struct DevLoginForm {
    /// Who to sign in as (created if new).
    pub username: String,
    /// Where to go afterwards (a path on this site).
    pub next: Option<String>,
}

/// Usernames as Open edX allows them: 2 to 30 of letters, digits, `_`, `-`, `.`, `@`, `+`.
pub fn valid_username(name: &str) -> bool {
    (2..=30).contains(&name.chars().count()) && name.chars().all(|c| c.is_ascii_alphanumeric() || "_-.@+".contains(c))
}

/// Where dev login goes when `next` is missing or refused.
const DEFAULT_NEXT: &str = app::routes::HOME;

/// `next` if it is a path on this site, else the default. The value is parsed, not
/// pattern-matched: browsers drop tabs and newlines from URLs and read `\` as `/`, so
/// `/\t/evil.example` is `//evil.example`, another host. A path is accepted only when it is
/// ASCII (it becomes a header), has no whitespace, control character or backslash, does not
/// start with `//`, and resolving it against this site stays on this site.
fn safe_next(next: Option<&str>) -> &str {
    let Some(n) = next else {
        return DEFAULT_NEXT;
    };
    let plain = n.starts_with('/')
        && n.is_ascii()
        && !n.starts_with("//")
        && !n.chars().any(|c| c.is_whitespace() || c.is_control() || c == '\\');
    let base = url::Url::parse("http://vouch.invalid/").expect("a fixed, valid URL");
    let stays = base.join(n).is_ok_and(|u| u.origin() == base.origin());
    if plain && stays { n } else { DEFAULT_NEXT }
}

/// `POST /auth/dev-login` (form field `username`): signs in, then redirects (303) to `next`.
/// Refuses cross-site requests and staff accounts (403).
pub async fn dev_login(
    State(state): State<AppState>,
    session: Session,
    headers: HeaderMap,
    Form(form): Form<DevLoginForm>,
) -> Result<Response, ApiError> {
    if !state.cfg.auth.dev_login {
        return Err(ApiError::new(ErrorCode::NotFound, "Not found."));
    }
    if !csrf_safe(&Method::POST, &headers, &state.cfg.server.public_url) {
        return Err(cross_site_refused());
    }
    let username = form.username.trim();
    if !valid_username(username) {
        return Err(ApiError::new(ErrorCode::InvalidRequest, "A username is 2 to 30 letters, digits or _ - . @ +"));
    }
    let user = match accounts::dev_login(&state.services, username).await? {
        DevLogin::Learner(user) => user,
        DevLogin::StaffRefused => {
            return Err(ApiError::new(
                ErrorCode::Forbidden,
                "Dev login does not sign in staff accounts; staff sign in through the LMS.",
            ));
        }
    };
    sign_in(&session, user.id).await?;
    Ok(Redirect::to(safe_next(form.next.as_deref())).into_response())
}

/// `POST /auth/logout`: ends the session. Refuses cross-site requests (403), which would
/// sign a learner out from another site's page.
pub async fn logout(State(state): State<AppState>, session: Session, headers: HeaderMap) -> Result<Response, ApiError> {
    if !csrf_safe(&Method::POST, &headers, &state.cfg.server.public_url) {
        return Err(cross_site_refused());
    }
    // Signing out also cancels the "Continue on your phone" link this session shows, whoever
    // signed it in: a desktop signed in by the LMS's JWT cookie has no session user, yet its
    // session holds the link it showed.
    super::handoff::revoke_shown(&state, &session, None).await?;
    session.flush().await.map_err(|_| ApiError::new(ErrorCode::Unavailable, "Try again."))?;
    Ok(Redirect::to(app::routes::HOME).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames() {
        assert!(valid_username("ada"));
        assert!(valid_username("ada.lovelace+1@x"));
        assert!(!valid_username("a"));
        assert!(!valid_username(&"a".repeat(31)));
        assert!(!valid_username("ada lovelace"));
        assert!(!valid_username("<script>"));
    }

    #[test]
    fn next_is_local_only() {
        assert_eq!(safe_next(Some("/id-verification/status")), "/id-verification/status");
        assert_eq!(safe_next(Some("//evil.example")), "/id-verification");
        assert_eq!(safe_next(Some("https://evil.example")), "/id-verification");
        assert_eq!(safe_next(Some("/\\evil.example")), "/id-verification");
        assert_eq!(safe_next(None), "/id-verification");
        // `next=/%09/evil.example` arrives decoded: a tab a browser would drop.
        for bad in [
            "/\t/evil.example",
            "/\n/evil.example",
            "/ /evil.example",
            "/\r\n//evil.example",
            "javascript:alert(1)",
            "",
        ] {
            assert_eq!(safe_next(Some(bad)), "/id-verification", "{bad:?}");
        }
        assert_eq!(safe_next(Some("/id-verification/status?x=1#top")), "/id-verification/status?x=1#top");
    }
}
