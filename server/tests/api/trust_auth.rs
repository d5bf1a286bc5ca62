//! Trust at the edges, through the real router (issue 15): cross-site writes, dev login,
//! the LMS's tokens, the server functions' gates, `/metrics` and the hosted webhook route.
//! Each test is written as the person who wants it to fail: a cross-site page, an old
//! browser, a stranger with a token the LMS never meant for Vouch, a demoted administrator.

use crate::{
    on_both_backends,
    support::{TestApp, TestDb, data_url, jpeg_bytes},
};
use axum::{
    body::Body,
    http::{Request, StatusCode, header},
};
use jsonwebtoken::{Algorithm, EncodingKey, Header, encode};
use serde_json::{Value, json};
use server::{config::Config, store::users};
use ssencrypt::webhook_signature as signature;
use std::time::Duration;

const JWT_SECRET: &str = "trust-auth-lms-jwt-secret-0123456789";
const ISSUER: &str = "https://lms.example/oauth2";
const AUDIENCE: &str = "openedx";
const METRICS_TOKEN: &str = "trust-auth-metrics-token-0123456789abcdef";

fn jwt_config(db: &TestDb) -> Config {
    let mut cfg = db.config();
    cfg.auth.jwt_secret = Some(JWT_SECRET.to_owned().into());
    cfg.auth.jwt_issuer = Some(ISSUER.into());
    cfg.auth.jwt_audience = Some(AUDIENCE.into());
    cfg
}

fn claims(app: &TestApp, lms_id: i64, username: &str, admin: bool) -> Value {
    let exp = app.services.clock.now().timestamp() + 3600;
    json!({"user_id": lms_id, "preferred_username": username, "email": format!("{username}@example.com"),
        "name": "Some Learner", "administrator": admin, "exp": exp, "iss": ISSUER, "aud": AUDIENCE})
}

fn token(claims: &Value) -> String {
    encode(&Header::new(Algorithm::HS256), claims, &EncodingKey::from_secret(JWT_SECRET.as_bytes())).expect("token")
}

fn with_token(path: &str, token: &str) -> Request<Body> {
    Request::get(path).header(header::AUTHORIZATION, format!("JWT {token}")).body(Body::empty()).expect("request")
}

/// A POST with `headers`, sent with exactly those (no header is added for the test).
fn post(path: &str, content_type: &str, body: impl Into<Body>, headers: &[(&str, &str)]) -> Request<Body> {
    let mut b = Request::post(path).header(header::CONTENT_TYPE, content_type);
    for (k, v) in headers {
        b = b.header(*k, *v);
    }
    b.body(body.into()).expect("request")
}

fn error_code(body: &[u8]) -> String {
    let v: Value =
        serde_json::from_slice(body).unwrap_or_else(|_| panic!("not JSON: {}", String::from_utf8_lossy(body)));
    v["error"]["code"].as_str().unwrap_or_default().to_owned()
}

async fn manual_verification_count(app: &TestApp) -> i64 {
    let mut conn = app.services.store.conn().await.expect("conn");
    sqlx::query_as::<_, (i64,)>("select count(*) from manual_verification")
        .fetch_one(&mut *conn)
        .await
        .expect("count")
        .0
}

// ---- item 8: cross-site request forgery ----

/// An old browser or WebView sends neither Sec-Fetch-Site nor Origin but still attaches the
/// cookies to a cross-site form: such a write is refused unless it carries the header no form
/// can send. This holds for the session cookie and for the Open edX JWT cookie pair.
async fn csrf_without_browser_headers(db: &TestDb) {
    let app = TestApp::with_config(db, jwt_config(db)).await;
    let session = app.login("ada").await;
    users_make_staff(&app, "ada").await;
    for learner in ["bob", "carol", "dan", "erin"] {
        app.login(learner).await;
    }
    let before = manual_verification_count(&app).await;
    let form = |cookie: &str, learner: &str, extra: &[(&str, &str)]| {
        let mut headers = vec![("cookie", cookie)];
        headers.extend_from_slice(extra);
        let path = format!("/api/v1/users/{learner}/manual-verifications");
        post(&path, "application/json", r#"{"reason": "forged"}"#, &headers)
    };
    let (status, _, body) = app.send_exactly(form(&session, "bob", &[])).await;
    assert_eq!((status, error_code(&body).as_str()), (StatusCode::FORBIDDEN, "forbidden"), "session, no headers");
    assert_eq!(manual_verification_count(&app).await, before, "nothing was written");

    // The LMS's cookie pair is a cookie credential too.
    let t = token(&claims(&app, 7, "lms_admin", true));
    let (hp, sig) = t.rsplit_once('.').expect("three parts");
    let pair = format!("edx-jwt-cookie-header-payload={hp}; edx-jwt-cookie-signature={sig}");
    let (status, _, body) = app.send_exactly(form(&pair, "bob", &[])).await;
    assert_eq!((status, error_code(&body).as_str()), (StatusCode::FORBIDDEN, "forbidden"), "JWT cookies, no headers");
    assert_eq!(manual_verification_count(&app).await, before, "nothing was written");

    // What the SPA and the console send in such a browser passes; so does a same-origin
    // browser; a cross-site one never does, whatever else it sends.
    let cross = [("x-requested-with", "XMLHttpRequest"), ("sec-fetch-site", "cross-site")];
    assert_eq!(app.send_exactly(form(&session, "bob", &cross)).await.0, StatusCode::FORBIDDEN);
    let (status, _, body) = app.send_exactly(form(&session, "bob", &[("x-requested-with", "XMLHttpRequest")])).await;
    assert_eq!(status, StatusCode::CREATED, "{}", String::from_utf8_lossy(&body));
    let (status, _, body) = app.send_exactly(form(&pair, "carol", &[("sec-fetch-site", "same-origin")])).await;
    assert_eq!(status, StatusCode::CREATED, "{}", String::from_utf8_lossy(&body));
    // A header-token client is not exposed to CSRF and needs nothing.
    let header_token = Request::post("/api/v1/users/dan/manual-verifications")
        .header(header::AUTHORIZATION, format!("Bearer {t}"))
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(r#"{"reason": "from a script"}"#))
        .expect("request");
    assert_eq!(app.send_exactly(header_token).await.0, StatusCode::CREATED);
}
on_both_backends!(a_cookie_write_without_browser_headers_needs_the_csrf_header, csrf_without_browser_headers);

async fn users_make_staff(app: &TestApp, username: &str) {
    let mut conn = app.services.store.conn().await.expect("conn");
    let user = users::by_username(&mut conn, username).await.expect("q").expect("user");
    users::set_staff(&mut conn, user.id, true).await.expect("staff");
}

/// Login CSRF (signing a victim into the attacker's account) and forced logout: both auth
/// routes refuse a cross-site request, and one that says nothing about where it comes from.
async fn auth_routes_check_origin(db: &TestDb) {
    let app = TestApp::new(db).await;
    let login = |headers: &[(&str, &str)]| {
        post("/auth/dev-login", "application/x-www-form-urlencoded", "username=mallory", headers)
    };
    for headers in [&[("sec-fetch-site", "cross-site")][..], &[("origin", "https://evil.example")], &[]] {
        let (status, res_headers, body) = app.send_exactly(login(headers)).await;
        assert_eq!((status, error_code(&body).as_str()), (StatusCode::FORBIDDEN, "forbidden"), "{headers:?}");
        assert!(res_headers.get(header::SET_COOKIE).is_none(), "no session for a cross-site sign-in");
    }
    assert_eq!(app.send_exactly(login(&[("sec-fetch-site", "same-origin")])).await.0, StatusCode::SEE_OTHER);

    let cookie = app.login("ada").await;
    let logout = |headers: &[(&str, &str)]| {
        let mut all = vec![("cookie", cookie.as_str())];
        all.extend_from_slice(headers);
        post("/auth/logout", "application/x-www-form-urlencoded", "", &all)
    };
    let (status, _, body) = app.send_exactly(logout(&[("sec-fetch-site", "cross-site")])).await;
    assert_eq!((status, error_code(&body).as_str()), (StatusCode::FORBIDDEN, "forbidden"));
    let (status, _, body) = app.send_exactly(logout(&[])).await;
    assert_eq!((status, error_code(&body).as_str()), (StatusCode::FORBIDDEN, "forbidden"));
    // Still signed in after both.
    let me = Request::get("/api/v1/me").header(header::COOKIE, &cookie).body(Body::empty()).expect("request");
    assert_eq!(app.json(me).await.0, StatusCode::OK);
    assert_eq!(app.send_exactly(logout(&[("sec-fetch-site", "same-origin")])).await.0, StatusCode::SEE_OTHER);
}
on_both_backends!(dev_login_and_logout_refuse_cross_site_requests, auth_routes_check_origin);

/// A cross-site form can send form, multipart and text bodies: no server function reads
/// them (415 JSON), so `slot_config` (which may create a billable hosted inquiry) cannot be
/// reached by one, and nothing is answered for a body it does not read.
async fn sfn_content_types(db: &TestDb) {
    let app = TestApp::new(db).await;
    let cookie = app.login("ada").await;
    let with_cookie = [("cookie", cookie.as_str()), ("x-requested-with", "XMLHttpRequest")];
    for (function, content_type) in [
        ("slot_config", "text/plain"),
        ("slot_config", "multipart/form-data; boundary=x"),
        ("session_info", "text/plain;charset=UTF-8"),
        ("submit_photos", "application/x-www-form-urlencoded"),
        ("submit_photos", "text/plain"),
    ] {
        let (status, headers, body) =
            app.send_exactly(post(&format!("/sfn/{function}"), content_type, "{}", &with_cookie)).await;
        assert_eq!(status, StatusCode::UNSUPPORTED_MEDIA_TYPE, "{function} as {content_type}");
        let ct = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or_default();
        assert!(ct.starts_with("application/json"), "{ct}");
        assert_eq!(error_code(&body), "invalid_request");
    }
    let missing = Request::post("/sfn/slot_config").header(header::COOKIE, &cookie).body(Body::empty()).expect("req");
    assert_eq!(app.send(missing).await.0, StatusCode::UNSUPPORTED_MEDIA_TYPE, "no content type");
    // What the SPA sends still works: an empty form, or JSON.
    for ct in ["application/x-www-form-urlencoded", "application/json"] {
        let body = if ct == "application/json" { "{}" } else { "" };
        assert_eq!(app.send_exactly(post("/sfn/slot_config", ct, body, &with_cookie)).await.0, StatusCode::OK, "{ct}");
    }
}
on_both_backends!(server_functions_refuse_bodies_a_form_can_send, sfn_content_types);

// ---- item 12: /sfn authenticates before it reads, and reads little ----

/// Only a signed-in learner's `submit_photos` may send megabytes: an anonymous caller is
/// refused before the body is read (401, not the 413 of reading it), and every other server
/// function takes a small body.
async fn sfn_body_limits(db: &TestDb) {
    let app = TestApp::new(db).await;
    let cookie = app.login("ada").await;
    let huge = vec![b' '; 20 * 1024 * 1024];
    let (status, _, body) = app.send(post("/sfn/submit_photos", "application/json", huge.clone(), &[])).await;
    assert_eq!((status, error_code(&body).as_str()), (StatusCode::UNAUTHORIZED, "unauthenticated"), "anonymous");
    let padded = format!("{{{}}}", " ".repeat(200 * 1024));
    let (status, _, body) =
        app.send(post("/sfn/session_info", "application/json", padded, &[("cookie", cookie.as_str())])).await;
    assert_eq!((status, error_code(&body).as_str()), (StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large"));
    // The signed-in upload keeps its large limit.
    let face = data_url("image/jpeg", &jpeg_bytes(600 * 1024));
    let photos = json!({"request": {"face_image": face, "photo_id_image": face, "full_name": null}}).to_string();
    let (status, _, body) =
        app.send(post("/sfn/submit_photos", "application/json", photos, &[("cookie", cookie.as_str())])).await;
    assert_eq!(status, StatusCode::OK, "{}", String::from_utf8_lossy(&body));
}
on_both_backends!(server_functions_authenticate_before_reading_and_read_little, sfn_body_limits);

// ---- item 10: dev login ----

/// `next=/%09/evil.example` is `/<tab>/evil.example`, which a browser reads as
/// `//evil.example`: every such `next` goes to the default page instead.
async fn dev_login_next(db: &TestDb) {
    let app = TestApp::new(db).await;
    for next in
        ["/%09/evil.example", "/%0a/evil.example", "%2F%2Fevil.example", "/%5Cevil.example", "https:evil.example"]
    {
        let req =
            post("/auth/dev-login", "application/x-www-form-urlencoded", format!("username=ada&next={next}"), &[]);
        let (status, headers, _) = app.send(req).await;
        let location = headers.get(header::LOCATION).and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
        assert_eq!((status, location.as_str()), (StatusCode::SEE_OTHER, "/id-verification"), "next={next}");
    }
    let req =
        post("/auth/dev-login", "application/x-www-form-urlencoded", "username=ada&next=/id-verification/status", &[]);
    let (_, headers, _) = app.send(req).await;
    assert_eq!(headers.get(header::LOCATION).and_then(|v| v.to_str().ok()), Some("/id-verification/status"));
}
on_both_backends!(dev_login_next_never_leaves_the_site, dev_login_next);

/// Dev login is "sign in as anyone": it must never hand out staff rights.
async fn dev_login_staff(db: &TestDb) {
    let app = TestApp::new(db).await;
    app.login("root").await;
    users_make_staff(&app, "root").await;
    let req = post("/auth/dev-login", "application/x-www-form-urlencoded", "username=root", &[]);
    let (status, headers, body) = app.send(req).await;
    assert_eq!((status, error_code(&body).as_str()), (StatusCode::FORBIDDEN, "forbidden"));
    assert!(headers.get(header::SET_COOKIE).is_none(), "no session");
}
on_both_backends!(dev_login_never_signs_in_staff, dev_login_staff);

// ---- item 11: the LMS's tokens ----

/// With an issuer and audience configured, a token that leaves either out was not minted
/// for Vouch (another service sharing the key): refused, and no user is made.
async fn jwt_required_claims(db: &TestDb) {
    let app = TestApp::with_config(db, jwt_config(db)).await;
    for claim in ["iss", "aud"] {
        let mut c = claims(&app, 11, "mallory", false);
        c.as_object_mut().expect("object").remove(claim);
        let (status, body) = app.json(with_token("/api/v1/me", &token(&c))).await;
        assert_eq!(
            (status, body["error"]["code"].as_str()),
            (StatusCode::UNAUTHORIZED, Some("unauthenticated")),
            "{claim}"
        );
    }
    let mut conn = app.services.store.conn().await.expect("conn");
    assert!(users::by_username(&mut conn, "mallory").await.expect("q").is_none());
}
on_both_backends!(jwt_issuer_and_audience_are_required_claims, jwt_required_claims);

/// The `administrator` claim is staff for that token only: the LMS demotes, the next token
/// says so, and Vouch forgets at once; nothing was stored.
async fn jwt_administrator_per_token(db: &TestDb) {
    let app = TestApp::with_config(db, jwt_config(db)).await;
    let admin = token(&claims(&app, 21, "grace", true));
    let (status, me) = app.json(with_token("/api/v1/me", &admin)).await;
    assert_eq!((status, me["is_staff"].as_bool()), (StatusCode::OK, Some(true)));
    // Staff services take the token's word too (they no longer read a stored flag).
    let (status, body) = app.json(with_token("/api/v1/webhooks/deliveries", &admin)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body) = app.json(with_token("/api/v1/lti/consumers", &admin)).await;
    assert_eq!(status, StatusCode::OK, "{body}");

    let mut conn = app.services.store.conn().await.expect("conn");
    let grace = users::by_username(&mut conn, "grace").await.expect("q").expect("grace");
    assert!(!grace.is_staff, "the claim is never stored as a staff flag");
    drop(conn);

    let demoted = token(&claims(&app, 21, "grace", false));
    let (status, me) = app.json(with_token("/api/v1/me", &demoted)).await;
    assert_eq!((status, me["is_staff"].as_bool()), (StatusCode::OK, Some(false)));
    for path in ["/api/v1/webhooks/deliveries", "/api/v1/lti/consumers", "/api/v1/users?search="] {
        let (status, body) = app.json(with_token(path, &demoted)).await;
        assert_eq!((status, body["error"]["code"].as_str()), (StatusCode::FORBIDDEN, Some("forbidden")), "{path}");
    }
}
on_both_backends!(jwt_administrator_is_staff_for_that_token_only, jwt_administrator_per_token);

/// A token Vouch has verified before is remembered (issue 18), and still: refused once it
/// expires by the service clock, and refused for an account disabled since, within the
/// status cache's promise even when the change was made outside Vouch's code (an operator's
/// SQL). Written as the learner who keeps an old token, and as the operator who disabled them.
async fn jwt_remembered_token_limits(db: &TestDb) {
    let app = TestApp::with_config(db, jwt_config(db)).await;
    let t = token(&claims(&app, 31, "hopper", false));
    for _ in 0..3 {
        let (status, body) = app.json(with_token("/verify_student/status/", &t)).await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }
    // Past `exp` and the minute of leeway: the remembered token is expired like a fresh one.
    app.clock.advance(chrono::Duration::seconds(3600 + 61));
    let (status, body) = app.json(with_token("/verify_student/status/", &t)).await;
    assert_eq!((status, body["error"]["code"].as_str()), (StatusCode::UNAUTHORIZED, Some("unauthenticated")), "{body}");
    assert!(body["error"]["message"].as_str().is_some_and(|m| m.contains("expired")), "{body}");

    // A new token for the same learner, then the account disabled behind Vouch's back.
    let t = token(&claims(&app, 31, "hopper", false));
    let (status, body) = app.json(with_token("/verify_student/status/", &t)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    app.services.store.exec_admin("update app_user set is_active = 0 where username = 'hopper'").await.expect("sql");
    let promise = Duration::from_millis(app.services.cfg.cache.max_stale_ms);
    let started = std::time::Instant::now();
    loop {
        let (status, _) = app.json(with_token("/verify_student/status/", &t)).await;
        if status == StatusCode::UNAUTHORIZED {
            break;
        }
        assert_eq!(status, StatusCode::OK);
        assert!(
            started.elapsed() < promise + Duration::from_millis(500),
            "a disabled account signed in past the promise"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
on_both_backends!(jwt_a_remembered_token_still_expires_and_a_disabled_account_is_refused, jwt_remembered_token_limits);

/// An LMS's token request to the API or the status read skips the session layer (issue 18):
/// it answers as the token's user and sets no cookie, even beside a learner's session
/// cookie. A handler that needs the session (log-out) keeps it whatever the request carries:
/// a token in `Authorization` neither breaks it nor saves the session it ends.
async fn bearer_skips_sessions(db: &TestDb) {
    let app = TestApp::with_config(db, jwt_config(db)).await;
    let cookie = app.login("ada").await;
    let lms = token(&claims(&app, 41, "grace", false));
    for path in ["/api/v1/me", "/verify_student/status/"] {
        let mut req = with_token(path, &lms);
        req.headers_mut().insert(header::COOKIE, cookie.parse().expect("cookie"));
        let (status, headers, body) = app.send(req).await;
        assert_eq!(status, StatusCode::OK, "{path}: {}", String::from_utf8_lossy(&body));
        assert!(headers.get(header::SET_COOKIE).is_none(), "{path}: a token request sets no cookie");
    }
    let (_, me) = app.json(with_token("/api/v1/me", &lms)).await;
    assert_eq!(me["username"].as_str(), Some("grace"), "the token, not the session, says who asks");
    let logout = Request::post("/auth/logout")
        .header(header::AUTHORIZATION, format!("JWT {lms}"))
        .header(header::COOKIE, &cookie)
        .body(Body::empty())
        .expect("request");
    let (status, _, body) = app.send(logout).await;
    assert_eq!(status, StatusCode::SEE_OTHER, "log-out still has its session: {}", String::from_utf8_lossy(&body));
    let me = Request::get("/api/v1/me").header(header::COOKIE, &cookie).body(Body::empty()).expect("request");
    let (status, body) = app.json(me).await;
    assert_eq!((status, body["error"]["code"].as_str()), (StatusCode::UNAUTHORIZED, Some("unauthenticated")), "ended");
}
on_both_backends!(a_bearer_request_skips_sessions_only_where_no_handler_needs_one, bearer_skips_sessions);

/// A token whose username is an account the LMS did not create (dev login, `vouch
/// create-staff`, an LTI user) must not become that account: 409, and the account is
/// untouched (not linked, no email or name from the token).
async fn jwt_no_takeover(db: &TestDb) {
    let app = TestApp::with_config(db, jwt_config(db)).await;
    app.login("ada").await;
    let lti = {
        let mut conn = app.services.store.conn().await.expect("conn");
        users::create_lti_user(&mut conn, app.services.clock.now()).await.expect("lti user")
    };
    for (lms_id, username) in [(31, "ada"), (32, lti.username.as_str())] {
        let (status, body) = app.json(with_token("/api/v1/me", &token(&claims(&app, lms_id, username, true)))).await;
        assert_eq!((status, body["error"]["code"].as_str()), (StatusCode::CONFLICT, Some("conflict")), "{username}");
    }
    let mut conn = app.services.store.conn().await.expect("conn");
    let ada = users::by_username(&mut conn, "ada").await.expect("q").expect("ada");
    assert_eq!((ada.email.as_str(), ada.is_staff), ("", false), "the local account is untouched");
    let linked: Option<(Option<i64>,)> = sqlx::query_as("select lms_user_id from app_user where username = 'ada'")
        .fetch_optional(&mut *conn)
        .await
        .expect("q");
    assert_eq!(linked, Some((None,)), "not linked to the LMS user");
    drop(conn);
    // A new LMS user is made as before.
    let (status, me) = app.json(with_token("/api/v1/me", &token(&claims(&app, 33, "ada_lms", false)))).await;
    assert_eq!((status, me["username"].as_str()), (StatusCode::OK, Some("ada_lms")));
}
on_both_backends!(jwt_never_takes_over_a_local_account, jwt_no_takeover);

// ---- item 5: /metrics ----

/// Closed by default (401 JSON); with a token, only with that token.
async fn metrics_closed(db: &TestDb) {
    let app = TestApp::new(db).await;
    let scrape = |auth: Option<&str>| {
        let mut b = Request::get("/metrics");
        if let Some(a) = auth {
            b = b.header(header::AUTHORIZATION, a);
        }
        b.body(Body::empty()).expect("request")
    };
    let (status, body) = app.json(scrape(None)).await;
    assert_eq!((status, body["error"]["code"].as_str()), (StatusCode::UNAUTHORIZED, Some("unauthenticated")));
    let (status, _) = app.json(scrape(Some("Bearer anything"))).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "no token configured: nothing opens it");

    let mut cfg = db.config();
    cfg.server.metrics_token = Some(METRICS_TOKEN.to_owned().into());
    let app = TestApp::with_config(db, cfg).await;
    assert_eq!(app.json(scrape(None)).await.0, StatusCode::UNAUTHORIZED);
    assert_eq!(app.json(scrape(Some("Bearer trust-auth-metrics-token"))).await.0, StatusCode::UNAUTHORIZED);
    let (status, _, body) = app.send(scrape(Some(&format!("Bearer {METRICS_TOKEN}")))).await;
    assert_eq!(status, StatusCode::OK);
    assert!(String::from_utf8_lossy(&body).contains("vouch_"), "the exposition");
}
on_both_backends!(metrics_are_closed_without_the_token, metrics_closed);

/// Scrapes cannot drain the pool: within a few seconds of one read of the database gauges,
/// the next scrape answers without a connection (here: while the test holds them all).
async fn metrics_cached(db: &TestDb) {
    let mut cfg = db.config();
    cfg.server.metrics_token = Some(METRICS_TOKEN.to_owned().into());
    cfg.database.max_connections = 2;
    cfg.database.acquire_timeout_secs = 3.0;
    let app = TestApp::with_config(db, cfg).await;
    let scrape = || {
        Request::get("/metrics")
            .header(header::AUTHORIZATION, format!("Bearer {METRICS_TOKEN}"))
            .body(Body::empty())
            .expect("request")
    };
    assert_eq!(app.send(scrape()).await.0, StatusCode::OK);
    let held = (app.services.store.conn().await.expect("conn 1"), app.services.store.conn().await.expect("conn 2"));
    let again = tokio::time::timeout(Duration::from_millis(1500), app.send(scrape())).await;
    drop(held);
    assert_eq!(again.expect("a cached scrape needs no connection").0, StatusCode::OK);
}
on_both_backends!(metrics_gauges_are_cached, metrics_cached);

// ---- item 3: the hosted webhook route ----

/// With another vendor configured and no hosted key, `/callbacks/hosted` does not exist:
/// no signature is checked against a key nobody set.
async fn hosted_route_closed(db: &TestDb) {
    let app = TestApp::new(db).await;
    assert_eq!(app.services.cfg.idv.vendor, "software_secure");
    let body = json!({"id": "evt_1", "type": "inquiry.status_changed", "created_at": 0,
        "data": {"inquiry_id": "inq_1", "status": "approved"}})
    .to_string();
    let now = app.services.clock.now().timestamp();
    let req = Request::post("/callbacks/hosted")
        .header(header::CONTENT_TYPE, "application/json")
        .header(signature::HEADER, signature::sign(b"", now, body.as_bytes()))
        .body(Body::from(body))
        .expect("request");
    let (status, body) = app.json(req).await;
    assert_eq!((status, body["error"]["code"].as_str()), (StatusCode::NOT_FOUND, Some("not_found")));
}
on_both_backends!(the_hosted_webhook_route_is_404_unless_hosted_is_configured, hosted_route_closed);
