//! "Continue on your phone" over HTTP. The pages are rendered here, not in the SPA: the
//! learner's download stays as it is, and the token exists only in the one response that
//! shows it (as a QR code and as text).
//!
//! - `GET /handoff[?course_id=…&flow=…]`: the desktop page. Issues a link for the signed-in
//!   learner (revoking the one this session showed before, unless a phone is on it: then it
//!   only follows that phone), shows it, and follows the phone by polling
//!   `GET /handoff/status` from `follow.js` (a same-origin script, as the CSP wants). The
//!   course, if any, rides on the link, so the phone lands in that course's flow.
//! - `GET /handoff/status`: `{"state": "waiting" | "connected" | "photos_taken" | "submitted"
//!   | "expired" | "cancelled"}` of the link this session shows.
//! - `POST /handoff/cancel`: revokes it (ending the phone's session), back to the flow.
//! - `GET /handoff/{token}`: the phone's landing page: whose flow the link continues, and a
//!   button. Opening the link uses nothing up, so a link preview cannot burn it.
//! - `POST /handoff/{token}`: redeems the link and signs this browser in as a phone session,
//!   then on to the flow.
//!
//! Refusals are the JSON envelope, or a readable page for a browser (`Accept: text/html`),
//! in the learner's language (`Accept-Language`).

use super::{
    AppState, auth,
    error::ApiError,
    identity::{self, Identity, cross_site_refused, csrf_safe},
};
use crate::service::handoff::{self as service, HandoffError, Progress};
use app::{
    error::ErrorCode,
    i18n::{self, handoff::HandoffStrings},
    routes,
    sfn::Endpoint,
};
use axum::{
    Json,
    extract::{FromRequestParts, Path, State},
    http::{HeaderMap, Method, StatusCode, header, request::Parts},
    response::{Html, IntoResponse, Redirect, Response},
};
use base64::Engine;
use quick_xml::escape::escape;
use tower_sessions::Session;

/// The session key of the link a desktop session shows (its id).
pub const DESKTOP_KEY: &str = "handoff_desktop";

/// The session key of the course query (`course_id=…&flow=…`) of the link a desktop shows,
/// so that cancelling goes back to that course's flow.
const COURSE_KEY: &str = "handoff_course";

/// The longest course key accepted (Open edX's are far shorter).
const MAX_COURSE_KEY: usize = 255;

/// The course and flow page of a hand-off (`?course_id=…&flow=…`), re-encoded as the query
/// of `/id-verification`; `None` without a course. Decoded as the SPA decodes it (a `+` stays
/// a plus: course keys hold them); an unknown flow page is the first-time flow, as in
/// `/verify_student/…`.
fn course_query(query: Option<&str>) -> Result<Option<String>, ApiError> {
    let (mut course, mut flow) = (None, String::new());
    for pair in query.unwrap_or_default().split('&') {
        let decode = |v: &str| percent_encoding::percent_decode_str(v).decode_utf8().map(|d| d.into_owned());
        let bad = |_| ApiError::new(ErrorCode::InvalidRequest, "course_id and flow must be UTF-8.");
        match pair.split_once('=') {
            Some(("course_id", v)) => course = Some(decode(v).map_err(bad)?),
            Some(("flow", v)) => flow = decode(v).map_err(bad)?,
            _ => {}
        }
    }
    let Some(course) = course.filter(|c| !c.is_empty()) else { return Ok(None) };
    if course.chars().count() > MAX_COURSE_KEY || course.chars().any(char::is_control) {
        return Err(ApiError::new(
            ErrorCode::InvalidRequest,
            "course_id must be a course key of at most 255 characters, without control characters.",
        ));
    }
    let flow = crate::service::course_flow::FLOWS
        .iter()
        .find(|(name, _)| *name == flow)
        .map_or("start-flow", |(name, _)| *name);
    let course = percent_encoding::utf8_percent_encode(&course, percent_encoding::NON_ALPHANUMERIC);
    Ok(Some(format!("course_id={course}&flow={flow}")))
}

/// The flow page, in the course of `query` if any.
fn flow_location(query: Option<&str>) -> String {
    query.map_or_else(|| routes::HOME.to_owned(), |q| format!("{}?{q}", routes::HOME))
}

/// The session key that makes a session a phone session (the id of the link that started it).
pub const PHONE_KEY: &str = "handoff_phone";

/// What a phone session may call besides its own hand-off pages: the flow's server
/// functions and the status.
const PHONE_SERVER_FNS: &[Endpoint] = &[
    Endpoint::SessionInfo,
    Endpoint::FlowInfo,
    Endpoint::SlotConfig,
    Endpoint::CourseFlow,
    Endpoint::SubmitPhotos,
    Endpoint::VerificationStatus,
];

/// Whether a phone session may call `path`: the flow, the status, and the landing page of
/// another link (which signs the phone in afresh). Every other route that asks who the
/// caller is refuses it (see [`identity::resolve`]).
pub fn phone_may_use(path: &str) -> bool {
    PHONE_SERVER_FNS.iter().any(|e| e.path() == path)
        || path.strip_prefix("/handoff/").is_some_and(|rest| !rest.is_empty() && !matches!(rest, "status" | "cancel"))
}

/// The error a phone session gets anywhere else.
pub fn phone_only() -> ApiError {
    ApiError::new(
        ErrorCode::Forbidden,
        "This browser was signed in by a \"Continue on your phone\" link: it can only take the verification \
         photos and see the status.",
    )
}

/// The hand-off strings for this request's `Accept-Language`.
fn strings(headers: &HeaderMap) -> &'static HandoffStrings {
    let langs: Vec<&str> = headers
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .split(',')
        .map(|tag| tag.split(';').next().unwrap_or_default().trim())
        .filter(|tag| !tag.is_empty())
        .collect();
    i18n::handoff::for_lang(i18n::pick(&langs).lang)
}

fn wants_html(headers: &HeaderMap) -> bool {
    headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()).is_some_and(|v| v.contains("text/html"))
}

/// A whole page (no styles or scripts inline: the CSP allows neither).
fn page(status: StatusCode, s: &HandoffStrings, title: &str, body: &str, script: bool) -> Response {
    let script = if script { "<script src=\"/handoff/follow.js\" defer></script>" } else { "" };
    let html = format!(
        "<!doctype html><html lang=\"{lang}\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <meta name=\"referrer\" content=\"no-referrer\"><title>{title}</title>\
         <link rel=\"stylesheet\" href=\"/handoff/handoff.css\"></head>\
         <body><main id=\"main\" class=\"handoff\"><h1>{title}</h1>{body}</main>{script}</body></html>",
        lang = s.lang,
        title = escape(title),
    );
    let mut res = (status, Html(html)).into_response();
    // The desktop page holds a live link, and the phone's a token in its URL: never cached.
    res.headers_mut().insert(header::CACHE_CONTROL, header::HeaderValue::from_static("no-store"));
    res
}

/// A refusal: a readable page for a browser, the JSON envelope for anything else.
fn refused(headers: &HeaderMap, code: ErrorCode, text: &str) -> Response {
    let status = StatusCode::from_u16(code.http_status()).unwrap_or(StatusCode::BAD_REQUEST);
    if wants_html(headers) {
        let s = strings(headers);
        let body = format!(
            "<p class=\"error\" id=\"handoff-refused\" data-code=\"{}\">{}</p><p><a href=\"{}\">{}</a></p>",
            serde_json::to_value(code).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default(),
            escape(text),
            routes::HOME,
            escape(s.back_to_flow)
        );
        page(status, s, s.refused_title, &body, false)
    } else {
        ApiError::new(code, text).into_response()
    }
}

/// The status and words of a refused link.
fn link_refusal(e: &HandoffError, s: &HandoffStrings) -> Result<(ErrorCode, &'static str), ApiError> {
    Ok(match e {
        HandoffError::Unknown => (ErrorCode::NotFound, s.refused_unknown),
        HandoffError::Used => (ErrorCode::Conflict, s.refused_used),
        HandoffError::Expired => (ErrorCode::Conflict, s.refused_expired),
        HandoffError::Cancelled => (ErrorCode::Conflict, s.refused_cancelled),
        HandoffError::OtherLearner => (ErrorCode::Forbidden, s.refused_other_learner),
        HandoffError::Store(_) => {
            return Err(ApiError::new(
                ErrorCode::Unavailable,
                "The service is unavailable for a moment. Please try again.",
            ));
        }
    })
}

fn unavailable<E>(_: E) -> ApiError {
    ApiError::new(ErrorCode::Unavailable, "The service is unavailable for a moment. Please try again.")
}

/// The caller as a desktop: refused when anonymous (a readable page for a browser).
async fn desktop(parts: &mut Parts, state: &AppState) -> Result<Identity, Response> {
    match identity::resolve(parts, state).await {
        Ok(Some(who)) => Ok(who),
        Ok(None) => {
            let s = strings(&parts.headers);
            Err(refused(&parts.headers, ErrorCode::Unauthenticated, s.sign_in_first))
        }
        Err(e) => Err(e.into_response()),
    }
}

/// `GET /handoff`: issues a link for the signed-in learner and shows it; while a phone is
/// signed in by this session's link, follows that phone instead (a reload must not cut it off).
pub async fn desktop_page(State(state): State<AppState>, mut parts: Parts) -> Result<Response, ApiError> {
    // Showing a code issues a link, revokes the one shown before and spends the rate limit,
    // so even though this is a GET, only the learner's own navigation may do it: not a page
    // of another site, a sibling subdomain, nor a fetch, image or script of any page.
    if !navigation_of_this_site(&parts.headers) {
        return Err(ApiError::new(
            ErrorCode::Forbidden,
            "A \"Continue on your phone\" code is shown only to a page of this site opened by the learner \
             (Sec-Fetch-Site same-origin or none, Sec-Fetch-Dest document or iframe).",
        ));
    }
    let who = match desktop(&mut parts, &state).await {
        Ok(who) => who,
        Err(res) => return Ok(res),
    };
    let course = course_query(parts.uri.query())?;
    let session = Session::from_request_parts(&mut parts, &state).await.map_err(|(_, m)| unavailable(m))?;
    let before = session.get::<i64>(DESKTOP_KEY).await.map_err(unavailable)?;
    let s = strings(&parts.headers);
    if let Some(id) = before
        && service::live_phone(&state.services, id, who.user.id).await?
    {
        return Ok(page(StatusCode::OK, s, s.title, &follow_body(s, "connected", s.connected), true));
    }
    state.limits.handoff(who.user.id)?;
    let issued = service::issue(&state.services, who.user.id, before).await?;
    session.insert(DESKTOP_KEY, issued.id).await.map_err(unavailable)?;
    match &course {
        Some(q) => session.insert(COURSE_KEY, q).await.map_err(unavailable)?,
        None => {
            session.remove::<String>(COURSE_KEY).await.map_err(unavailable)?;
        }
    }
    let query = course.map(|q| format!("?{q}")).unwrap_or_default();
    let link = format!("{}/handoff/{}{query}", state.cfg.server.public_url.trim_end_matches('/'), issued.token);
    let svg = service::qr_svg(&link).ok_or_else(|| {
        ApiError::new(ErrorCode::Internal, "server.public_url is too long for a QR code; ask the operator.")
    })?;
    let minutes = (state.cfg.idv.handoff_ttl_secs + 59) / 60;
    let body = format!(
        "<p>{intro}</p>\
         <figure id=\"handoff-qr\"><img id=\"handoff-qr-img\" width=\"240\" height=\"240\" alt=\"{alt}\" \
         src=\"data:image/svg+xml;base64,{svg}\"></figure>\
         <details><summary>{cannot}</summary><p>{open} <code id=\"handoff-link\">{link}</code></p></details>{follow}",
        intro = escape(s.intro.replace("{minutes}", &minutes.to_string())),
        alt = escape(s.qr_alt),
        svg = base64::engine::general_purpose::STANDARD.encode(svg),
        cannot = escape(s.cannot_scan),
        open = escape(s.open_address),
        link = escape(&link),
        follow = follow_body(s, "waiting", s.waiting),
    );
    tracing::info!(handoff.id = issued.id, user.id = %who.user.id, "hand-off link shown");
    Ok(page(StatusCode::OK, s, s.title, &body, true))
}

/// Whether a request is the learner's navigation to a page of this site, as its fetch
/// metadata tells: `Sec-Fetch-Site` `same-origin` (the SPA's "Continue on your phone" link,
/// the page's own "new code" link) or `none` (typed, bookmarked), and `Sec-Fetch-Dest`
/// `document`, or `iframe` when the flow runs in the LMS's LTI frame. A request without the
/// headers passes (an older browser or a script; see README "Continue on your phone").
fn navigation_of_this_site(headers: &HeaderMap) -> bool {
    let header = |name: &str| headers.get(name).map(|v| v.as_bytes());
    let site_ok = header("sec-fetch-site").is_none_or(|v| matches!(v, b"same-origin" | b"none"));
    let dest_ok = header("sec-fetch-dest").is_none_or(|v| matches!(v, b"document" | b"iframe"));
    site_ok && dest_ok
}

/// The part of the desktop page that follows the phone (`follow.js` updates it), from `state`.
fn follow_body(s: &HandoffStrings, state: &str, text: &str) -> String {
    let texts: String = Progress::ALL
        .iter()
        .map(|p| format!(" data-text-{}=\"{}\"", p.as_str(), escape(progress_text(*p, s))))
        .collect();
    format!(
        "<p id=\"handoff-state\" role=\"status\" aria-live=\"polite\" data-state=\"{state}\"{texts}>{text}</p>\
         <p id=\"handoff-see-status\" hidden><a href=\"{status}\">{see}</a></p>\
         <p id=\"handoff-new-code\" hidden><a href=\"{handoff}\">{new}</a></p>\
         <form method=\"post\" action=\"/handoff/cancel\"><button type=\"submit\" id=\"handoff-cancel\">{cancel}</button></form>",
        text = escape(text),
        status = routes::STATUS,
        see = escape(s.see_status),
        handoff = routes::HANDOFF,
        new = escape(s.new_code),
        cancel = escape(s.cancel),
    )
}

fn progress_text(p: Progress, s: &HandoffStrings) -> &'static str {
    match p {
        Progress::Waiting => s.waiting,
        Progress::Connected => s.connected,
        Progress::PhotosTaken => s.photos_taken,
        Progress::Submitted => s.submitted,
        Progress::Expired => s.expired,
        Progress::Cancelled => s.cancelled,
    }
}

/// `GET /handoff/status`: how far the phone of this session's link has come.
pub async fn status(State(state): State<AppState>, who: Identity, session: Session) -> Result<Response, ApiError> {
    let not_shown = || ApiError::new(ErrorCode::NotFound, "This browser shows no \"Continue on your phone\" code.");
    let id = session.get::<i64>(DESKTOP_KEY).await.map_err(unavailable)?.ok_or_else(not_shown)?;
    let progress = service::progress(&state.services, id, who.user.id).await?.ok_or_else(not_shown)?;
    let mut res = Json(serde_json::json!({ "state": progress.as_str() })).into_response();
    res.headers_mut().insert(header::CACHE_CONTROL, header::HeaderValue::from_static("no-store"));
    Ok(res)
}

/// `POST /handoff/cancel`: revokes this session's link and goes back to the flow.
pub async fn cancel(State(state): State<AppState>, who: Identity, session: Session) -> Result<Response, ApiError> {
    let course = session.remove::<String>(COURSE_KEY).await.map_err(unavailable)?;
    revoke_shown(&state, &session, Some(who.user.id)).await?;
    Ok(Redirect::to(&flow_location(course.as_deref())).into_response())
}

/// Revokes the link `session` shows, if any (cancel, sign-out, an LTI launch replacing the
/// session). `owner`: only if it is that learner's. Sign-out and a relaunch pass `None`:
/// the id is in the server-side session because this session showed that link, whoever
/// the session says is signed in (a desktop signed in by the LMS's JWT cookie has no
/// session user at all), and dropping it without revoking would leave the phone signed in.
pub async fn revoke_shown(
    state: &AppState,
    session: &Session,
    owner: Option<app::domain::UserId>,
) -> Result<(), ApiError> {
    if let Some(id) = session.remove::<i64>(DESKTOP_KEY).await.map_err(unavailable)? {
        service::revoke(&state.services, id, owner).await?;
        tracing::info!(handoff.id = id, "hand-off link cancelled");
    }
    Ok(())
}

/// Who this browser is signed in as, for the "another learner" check. A session that no
/// longer stands (a phone session whose desktop cancelled) counts as nobody, so the phone
/// can open a new link.
async fn signed_in_as(parts: &mut Parts, state: &AppState) -> Option<Identity> {
    identity::resolve(parts, state).await.ok().flatten()
}

/// `GET /handoff/{token}`: the phone's landing page.
pub async fn phone_page(
    State(state): State<AppState>,
    Path(token): Path<String>,
    mut parts: Parts,
) -> Result<Response, ApiError> {
    let me = signed_in_as(&mut parts, &state).await.map(|who| who.user.id);
    let s = strings(&parts.headers);
    let link = match service::check(&state.services, &token, me).await {
        Ok(link) => link,
        Err(e) => {
            let (code, text) = link_refusal(&e, s)?;
            return Ok(refused(&parts.headers, code, text));
        }
    };
    let username =
        crate::service::accounts::by_id(&state.services, link.user_id).await?.map(|u| u.username).unwrap_or_default();
    let body = format!(
        "<p id=\"handoff-phone-text\">{text}</p>\
         <form method=\"post\"><button type=\"submit\" id=\"handoff-continue\">{button}</button></form>",
        text = escape(s.phone_text.replace("{username}", &username)),
        button = escape(s.phone_button),
    );
    Ok(page(StatusCode::OK, s, s.phone_title, &body, false))
}

/// `POST /handoff/{token}`: redeems the link and signs this browser in as a phone session.
pub async fn redeem(
    State(state): State<AppState>,
    Path(token): Path<String>,
    mut parts: Parts,
) -> Result<Response, ApiError> {
    if !csrf_safe(&Method::POST, &parts.headers, &state.cfg.server.public_url) {
        return Err(cross_site_refused());
    }
    let course = course_query(parts.uri.query())?;
    let who = signed_in_as(&mut parts, &state).await;
    let me = who.as_ref().map(|w| w.user.id);
    let s = strings(&parts.headers);
    let link = match service::redeem(&state.services, &token, me).await {
        Ok(link) => link,
        Err(e) => {
            let (code, text) = link_refusal(&e, s)?;
            return Ok(refused(&parts.headers, code, text));
        }
    };
    let to = Redirect::to(&flow_location(course.as_deref())).into_response();
    // Opened in a browser already fully signed in as that learner (the desktop itself, say):
    // the link is used up, and that browser keeps its full session rather than being
    // narrowed to a phone's.
    if who.is_some_and(|w| w.phone.is_none() && w.user.id == link.user_id) {
        return Ok(to);
    }
    let session = Session::from_request_parts(&mut parts, &state).await.map_err(|(_, m)| unavailable(m))?;
    auth::sign_in(&session, link.user_id).await?;
    session.insert(PHONE_KEY, link.id).await.map_err(unavailable)?;
    Ok(to)
}

/// `GET /handoff/follow.js`: the desktop page's script.
pub async fn follow_js() -> Response {
    (
        [(header::CONTENT_TYPE, "text/javascript; charset=utf-8"), (header::CACHE_CONTROL, "no-cache")],
        include_str!("handoff_follow.js"),
    )
        .into_response()
}

/// `GET /handoff/handoff.css`: the hand-off pages' few styles.
pub async fn css() -> Response {
    (
        [(header::CONTENT_TYPE, "text/css; charset=utf-8"), (header::CACHE_CONTROL, "no-cache")],
        include_str!("handoff.css"),
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_phone_session_reaches_only_the_flow_and_the_status() {
        // Each path as a string, so a widened list fails here and not only in the table.
        for ok in [
            "/sfn/session_info",
            "/sfn/verification_status",
            "/sfn/submit_photos",
            "/sfn/flow_info",
            "/sfn/slot_config",
            "/sfn/course_flow",
            "/handoff/abc",
        ] {
            assert!(phone_may_use(ok), "{ok}");
        }
        for refused in [
            "/handoff",
            "/handoff/",
            "/handoff/status",
            "/handoff/cancel",
            "/api/v1/me",
            "/api/v1/verified_name",
            "/verify_student/submit-photos/",
            "/sfn/submit_photos/x",
        ] {
            assert!(!phone_may_use(refused), "{refused}");
        }
    }
}
