//! "Continue on your phone" (issue 19): the link a desktop shows signs a phone into that
//! learner's flow once, until it expires or the desktop cancels, and the phone's session
//! reaches nothing but the flow and the status.

use crate::{
    on_both_backends,
    support::{TestApp, TestDb, data_url, jpeg_bytes, sfn},
};
use axum::{
    body::Body,
    http::{Request, StatusCode, header},
};
use serde_json::{Value, json};

/// `GET /handoff` as the desktop signed in with `cookie` (a browser asking for HTML).
pub async fn show_code(app: &TestApp, cookie: &str) -> (StatusCode, String) {
    let req = Request::get("/handoff")
        .header(header::COOKIE, cookie)
        .header(header::ACCEPT, "text/html")
        .body(Body::empty())
        .expect("request");
    let (status, _, body) = app.send(req).await;
    (status, String::from_utf8(body).expect("utf-8"))
}

/// The token of the link on a desktop page.
fn token_of(page: &str) -> String {
    let start = page.find("<code id=\"handoff-link\">").expect("the link as text") + "<code id=\"handoff-link\">".len();
    let link = &page[start..start + page[start..].find("</code>").expect("end of link")];
    assert!(link.starts_with("http://127.0.0.1:8000/handoff/"), "{link}");
    let token = link.rsplit('/').next().expect("token");
    token.split('?').next().expect("token").to_owned()
}

/// The path and query of the link on a desktop page, as a phone opens it.
fn link_path(page: &str) -> String {
    let start = page.find("<code id=\"handoff-link\">").expect("the link as text") + "<code id=\"handoff-link\">".len();
    let link = &page[start..start + page[start..].find("</code>").expect("end of link")];
    link.trim_start_matches("http://127.0.0.1:8000").replace("&amp;", "&")
}

/// How many links are stored.
async fn links(db: &TestDb) -> i64 {
    let mut conn = db.store.conn().await.expect("conn");
    let (n,): (i64,) = sqlx::query_as("select count(*) from handoff").fetch_one(&mut *conn).await.expect("q");
    n
}

/// A fresh link shown on the desktop signed in with `cookie`.
pub async fn new_token(app: &TestApp, cookie: &str) -> String {
    let (status, page) = show_code(app, cookie).await;
    assert_eq!(status, 200, "{page}");
    token_of(&page)
}

/// `GET` (`post` false) or `POST` `/handoff/{token}` from a phone with `cookie` (if any).
fn open(token: &str, post: bool, cookie: Option<&str>, html: bool) -> Request<Body> {
    let mut b = Request::builder().method(if post { "POST" } else { "GET" }).uri(format!("/handoff/{token}"));
    if let Some(c) = cookie {
        b = b.header(header::COOKIE, c);
    }
    if html {
        b = b.header(header::ACCEPT, "text/html");
    }
    b.body(Body::empty()).expect("request")
}

/// Redeems `token` from a phone without a session; the phone's session cookie.
pub async fn redeem(app: &TestApp, token: &str) -> String {
    let (status, headers, body) = app.send(open(token, true, None, false)).await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{}", String::from_utf8_lossy(&body));
    assert_eq!(headers.get(header::LOCATION).expect("to the flow"), "/id-verification");
    let cookie = headers.get(header::SET_COOKIE).expect("phone session").to_str().expect("ascii");
    cookie.split(';').next().expect("name=value").to_owned()
}

/// A phone session of the learner signed in with `desktop`.
pub async fn phone_session(app: &TestApp, desktop: &str) -> String {
    let token = new_token(app, desktop).await;
    redeem(app, &token).await
}

async fn progress(app: &TestApp, cookie: &str) -> (StatusCode, Value) {
    app.json(Request::get("/handoff/status").header(header::COOKIE, cookie).body(Body::empty()).expect("request")).await
}

async fn get(app: &TestApp, path: &str, cookie: &str) -> (StatusCode, Value) {
    app.json(Request::get(path).header(header::COOKIE, cookie).body(Body::empty()).expect("request")).await
}

fn code(v: &Value) -> &str {
    v["error"]["code"].as_str().unwrap_or_default()
}

async fn a_link_signs_one_phone_into_its_learners_flow_once(db: &TestDb) {
    let app = TestApp::new(db).await;
    let ada = app.login("ada").await;
    let (status, page) = show_code(&app, &ada).await;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("<img id=\"handoff-qr-img\"") && page.contains("src=\"data:image/svg+xml;base64,"));
    assert!(page.contains("/handoff/follow.js") && page.contains("data-text-submitted="), "{page}");
    let token = token_of(&page);
    // Only a hash of the token is stored.
    let mut conn = db.store.conn().await.expect("conn");
    let stored: Vec<(String,)> =
        sqlx::query_as("select token_hash from handoff").fetch_all(&mut *conn).await.expect("q");
    drop(conn);
    assert_eq!(stored.len(), 1);
    assert_ne!(stored[0].0, token);
    assert!(!stored[0].0.contains(&token));
    assert_eq!(progress(&app, &ada).await.1["state"], "waiting");

    // The phone's landing page says whose flow it continues, and uses nothing up.
    let (status, _, body) = app.send(open(&token, false, None, true)).await;
    let landing = String::from_utf8(body).expect("utf-8");
    assert_eq!(status, 200, "{landing}");
    assert!(landing.contains("ada") && landing.contains("id=\"handoff-continue\""), "{landing}");
    let phone = redeem(&app, &token).await;
    assert_eq!(progress(&app, &ada).await.1["state"], "connected");

    // The phone is ada in the flow: it sees her status and submits her photos.
    let (status, info) = app.json(sfn("session_info", Some(&phone), "{}".into())).await;
    assert_eq!(status, 200);
    assert_eq!(info["user"]["username"], "ada", "{info}");
    let face = data_url("image/jpeg", &jpeg_bytes(200));
    let body = json!({"request": {"face_image": face, "photo_id_image": face, "full_name": null}}).to_string();
    let (status, v) = app.json(sfn("submit_photos", Some(&phone), body)).await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(progress(&app, &ada).await.1["state"], "photos_taken");
    let mut conn = db.store.conn().await.expect("conn");
    sqlx::query("update photo_verification set status = 'submitted'").execute(&mut *conn).await.expect("submitted");
    drop(conn);
    assert_eq!(progress(&app, &ada).await.1["state"], "submitted");
    let (status, v) = app.json(sfn("verification_status", Some(&phone), "{}".into())).await;
    assert_eq!((status, v["status"].as_str()), (StatusCode::OK, Some("pending")), "{v}");

    // Single use: a second phone (or the same one) is refused, as JSON and as a page.
    let (status, v) = app.json(open(&token, true, None, false)).await;
    assert_eq!((status, code(&v)), (StatusCode::CONFLICT, "conflict"), "{v}");
    assert!(v["error"]["message"].as_str().unwrap_or_default().contains("already used"), "{v}");
    let (status, headers, body) = app.send(open(&token, false, None, true)).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert!(headers[header::CONTENT_TYPE].to_str().unwrap_or_default().starts_with("text/html"));
    assert!(String::from_utf8_lossy(&body).contains("This link was already used"));
}
on_both_backends!(
    a_link_signs_one_phone_into_its_learners_flow_once,
    a_link_signs_one_phone_into_its_learners_flow_once
);

async fn a_link_expires_after_the_configured_time(db: &TestDb) {
    let mut cfg = db.config();
    cfg.idv.handoff_ttl_secs = 120;
    let app = TestApp::with_config(db, cfg).await;
    let ada = app.login("ada").await;
    let late = new_token(&app, &ada).await;
    let in_time = new_token(&app, &ada).await;
    // The first was replaced by the second (one live link per desktop): cancelled.
    let (status, v) = app.json(open(&late, true, None, false)).await;
    assert_eq!(status, StatusCode::CONFLICT, "{v}");
    assert!(v["error"]["message"].as_str().unwrap_or_default().contains("cancelled"), "{v}");

    app.clock.advance(chrono::Duration::seconds(119));
    let (status, _, _) = app.send(open(&in_time, false, None, false)).await;
    assert_eq!(status, 200, "still valid one second before it expires");
    app.clock.advance(chrono::Duration::seconds(1));
    let (status, v) = app.json(open(&in_time, true, None, false)).await;
    assert_eq!(status, StatusCode::CONFLICT, "{v}");
    assert!(v["error"]["message"].as_str().unwrap_or_default().contains("expired"), "{v}");
    assert_eq!(progress(&app, &ada).await.1["state"], "expired");
    // The refusal changed nothing: still not redeemed.
    let mut conn = db.store.conn().await.expect("conn");
    let (redeemed,): (i64,) = sqlx::query_as("select count(*) from handoff where redeemed_at is not null")
        .fetch_one(&mut *conn)
        .await
        .expect("q");
    assert_eq!(redeemed, 0);
}
on_both_backends!(a_link_expires_after_the_configured_time, a_link_expires_after_the_configured_time);

async fn a_link_refuses_a_browser_signed_in_as_another_learner(db: &TestDb) {
    let app = TestApp::new(db).await;
    let ada = app.login("ada").await;
    let bob = app.login("bob").await;
    let token = new_token(&app, &ada).await;
    let (status, v) = app.json(open(&token, true, Some(&bob), false)).await;
    assert_eq!((status, code(&v)), (StatusCode::FORBIDDEN, "forbidden"), "{v}");
    let (status, _, body) = app.send(open(&token, false, Some(&bob), true)).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(String::from_utf8_lossy(&body).contains("signed in to another account"));
    // Bob is still Bob, and the link was not used up by the refusal.
    let (_, info) = app.json(sfn("session_info", Some(&bob), "{}".into())).await;
    assert_eq!(info["user"]["username"], "bob");
    assert_eq!(progress(&app, &ada).await.1["state"], "waiting");
    let phone = redeem(&app, &token).await;
    let (_, info) = app.json(sfn("session_info", Some(&phone), "{}".into())).await;
    assert_eq!(info["user"]["username"], "ada");
    // Bob's desktop does not see Ada's link.
    assert_eq!(progress(&app, &bob).await.0, StatusCode::NOT_FOUND);
}
on_both_backends!(
    a_link_refuses_a_browser_signed_in_as_another_learner,
    a_link_refuses_a_browser_signed_in_as_another_learner
);

async fn the_desktop_cancelling_ends_the_link_and_the_phone_session(db: &TestDb) {
    let app = TestApp::new(db).await;
    let ada = app.login("ada").await;
    // Cancelled before use: the link is refused.
    let unused = new_token(&app, &ada).await;
    let cancel = || Request::post("/handoff/cancel").header(header::COOKIE, &ada).body(Body::empty()).expect("request");
    let (status, headers, _) = app.send(cancel()).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(headers[header::LOCATION], "/id-verification");
    let (status, v) = app.json(open(&unused, true, None, false)).await;
    assert_eq!(status, StatusCode::CONFLICT, "{v}");
    assert!(v["error"]["message"].as_str().unwrap_or_default().contains("cancelled"), "{v}");
    assert_eq!(progress(&app, &ada).await.0, StatusCode::NOT_FOUND, "the desktop shows no code any more");

    // Cancelled after use: the phone's session ends.
    let phone = phone_session(&app, &ada).await;
    assert_eq!(app.json(sfn("flow_info", Some(&phone), "{}".into())).await.0, 200);
    assert_eq!(app.send(cancel()).await.0, StatusCode::SEE_OTHER);
    let (status, v) = app.json(sfn("flow_info", Some(&phone), "{}".into())).await;
    assert_eq!((status, code(&v)), (StatusCode::UNAUTHORIZED, "unauthenticated"), "{v}");
    // The desktop itself is still signed in.
    assert_eq!(app.json(sfn("flow_info", Some(&ada), "{}".into())).await.0, 200);

    // Signing out of the desktop cancels its link too.
    let phone = phone_session(&app, &ada).await;
    let logout = Request::post("/auth/logout").header(header::COOKIE, &ada).body(Body::empty()).expect("request");
    assert_eq!(app.send(logout).await.0, StatusCode::SEE_OTHER);
    assert_eq!(app.json(sfn("flow_info", Some(&phone), "{}".into())).await.0, StatusCode::UNAUTHORIZED);
}
on_both_backends!(
    the_desktop_cancelling_ends_the_link_and_the_phone_session,
    the_desktop_cancelling_ends_the_link_and_the_phone_session
);

async fn a_phone_session_reaches_only_the_flow_and_the_status(db: &TestDb) {
    let app = TestApp::new(db).await;
    // Even a staff member's phone session carries no staff rights.
    let root = app.login("root").await;
    let mut conn = db.store.conn().await.expect("conn");
    let user = server::store::users::by_username(&mut conn, "root").await.expect("q").expect("root");
    server::store::users::set_staff(&mut conn, user.id, true).await.expect("staff");
    drop(conn);
    assert_eq!(get(&app, "/api/v1/users", &root).await.0, 200);
    let phone = phone_session(&app, &root).await;

    for f in ["session_info", "flow_info", "slot_config", "verification_status"] {
        let (status, v) = app.json(sfn(f, Some(&phone), "{}".into())).await;
        assert_eq!(status, 200, "{f}: {v}");
    }
    for path in
        ["/api/v1/me", "/api/v1/users", "/api/v1/users/root/status", "/verify_student/status/", "/handoff/status"]
    {
        let (status, v) = get(&app, path, &phone).await;
        assert_eq!((status, code(&v)), (StatusCode::FORBIDDEN, "forbidden"), "{path}: {v}");
        assert!(v["error"]["message"].as_str().unwrap_or_default().contains("Continue on your phone"), "{v}");
    }
    // It cannot show a link of its own (a chain of phones), write anything else, or cancel.
    let (status, v) = get(&app, "/handoff", &phone).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{v}");
    let post = |path: &str, body: &'static str| {
        Request::post(path)
            .header(header::COOKIE, &phone)
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(body))
            .expect("request")
    };
    for (path, body) in [
        ("/api/v1/verified_name", r#"{"verified_name": "Someone Else"}"#),
        ("/api/v1/users/ada/manual-verifications", r#"{"reason": "phone"}"#),
        ("/handoff/cancel", ""),
    ] {
        let (status, v) = app.json(post(path, body)).await;
        assert_eq!((status, code(&v)), (StatusCode::FORBIDDEN, "forbidden"), "{path}: {v}");
    }
    // The REST twin of the photo upload is outside the phone's scope too: it uses the flow.
    let req = Request::post("/verify_student/submit-photos/")
        .header(header::COOKIE, &phone)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from("face_image=x"))
        .expect("request");
    assert_eq!(app.json(req).await.0, StatusCode::FORBIDDEN);
    // A full sign-in on that browser is no longer a phone session.
    let req = Request::post("/auth/dev-login")
        .header(header::COOKIE, &phone)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from("username=pia"))
        .expect("request");
    let (status, headers, _) = app.send(req).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let pia = headers[header::SET_COOKIE].to_str().expect("ascii").split(';').next().expect("cookie").to_owned();
    assert_eq!(get(&app, "/api/v1/me", &pia).await.0, 200);
}
on_both_backends!(
    a_phone_session_reaches_only_the_flow_and_the_status,
    a_phone_session_reaches_only_the_flow_and_the_status
);

async fn refusals_are_clear_for_unknown_links_strangers_and_other_sites(db: &TestDb) {
    let app = TestApp::new(db).await;
    for token in ["nope", "A".repeat(43).as_str(), "%2e%2e", &"a".repeat(500)] {
        let (status, v) = app.json(open(token, false, None, false)).await;
        assert_eq!((status, code(&v)), (StatusCode::NOT_FOUND, "not_found"), "{token}: {v}");
        let (status, v) = app.json(open(token, true, None, false)).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{token}: {v}");
    }
    // Anonymous desktop: JSON for a client, a readable page for a browser.
    let (status, v) = app.json(Request::get("/handoff").body(Body::empty()).expect("request")).await;
    assert_eq!((status, code(&v)), (StatusCode::UNAUTHORIZED, "unauthenticated"), "{v}");
    let req = Request::get("/handoff").header(header::ACCEPT, "text/html").body(Body::empty()).expect("request");
    let (status, _, body) = app.send(req).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(String::from_utf8_lossy(&body).contains("Sign in first"));
    assert_eq!(progress(&app, "vouch_session=forged").await.0, StatusCode::UNAUTHORIZED);

    // A cross-site form cannot redeem a link into the victim's browser.
    let ada = app.login("ada").await;
    let token = new_token(&app, &ada).await;
    let req = Request::post(format!("/handoff/{token}"))
        .header("sec-fetch-site", "cross-site")
        .body(Body::empty())
        .expect("request");
    let (status, v) = app.json(req).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{v}");
    assert_eq!(progress(&app, &ada).await.1["state"], "waiting");
}
on_both_backends!(
    refusals_are_clear_for_unknown_links_strangers_and_other_sites,
    refusals_are_clear_for_unknown_links_strangers_and_other_sites
);

async fn the_pages_speak_the_learners_language(db: &TestDb) {
    let app = TestApp::new(db).await;
    let ada = app.login("ada").await;
    let req = Request::get("/handoff")
        .header(header::COOKIE, &ada)
        .header(header::ACCEPT, "text/html")
        .header(header::ACCEPT_LANGUAGE, "fr-CA,fr;q=0.9,en;q=0.8")
        .body(Body::empty())
        .expect("request");
    let (status, _, body) = app.send(req).await;
    let page = String::from_utf8(body).expect("utf-8");
    assert_eq!(status, 200);
    assert!(page.contains("<html lang=\"fr\">") && page.contains("Continuer sur votre téléphone"), "{page}");
    assert!(page.contains("En attente de votre téléphone"), "{page}");
    let token = token_of(&page);
    let req = Request::get(format!("/handoff/{token}"))
        .header(header::ACCEPT_LANGUAGE, "fr")
        .body(Body::empty())
        .expect("request");
    let page = String::from_utf8(app.send(req).await.2).expect("utf-8");
    assert!(page.contains("Continuer sur ce téléphone"), "{page}");
}
on_both_backends!(the_pages_speak_the_learners_language, the_pages_speak_the_learners_language);

async fn reloading_the_desktop_page_keeps_the_phone_signed_in(db: &TestDb) {
    let app = TestApp::new(db).await;
    let ada = app.login("ada").await;
    let token = new_token(&app, &ada).await;
    let phone = redeem(&app, &token).await;
    // The reload follows the phone: no new code, and the phone's flow goes on.
    let (status, page) = show_code(&app, &ada).await;
    assert_eq!(status, 200, "{page}");
    assert!(!page.contains("handoff-qr-img") && page.contains("data-state=\"connected\""), "{page}");
    assert!(page.contains("id=\"handoff-cancel\""), "{page}");
    let (status, v) = app.json(sfn("flow_info", Some(&phone), "{}".into())).await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(progress(&app, &ada).await.1["state"], "connected");
    assert_eq!(links(db).await, 1);

    // A page of another site cannot make a browser show (and store) a code.
    let bob = app.login("bob").await;
    let req = Request::get("/handoff")
        .header(header::COOKIE, &bob)
        .header("sec-fetch-site", "cross-site")
        .body(Body::empty())
        .expect("request");
    let (status, v) = app.json(req).await;
    assert_eq!((status, code(&v)), (StatusCode::FORBIDDEN, "forbidden"), "{v}");
    assert_eq!(links(db).await, 1);
    assert_eq!(progress(&app, &bob).await.0, StatusCode::NOT_FOUND);
    // Once the desktop cancels, a reload shows a new code again.
    let cancel = Request::post("/handoff/cancel").header(header::COOKIE, &ada).body(Body::empty()).expect("request");
    assert_eq!(app.send(cancel).await.0, StatusCode::SEE_OTHER);
    new_token(&app, &ada).await;
    assert_eq!(links(db).await, 2);
}
on_both_backends!(
    reloading_the_desktop_page_keeps_the_phone_signed_in,
    reloading_the_desktop_page_keeps_the_phone_signed_in
);

async fn a_phone_session_ends_after_the_configured_time(db: &TestDb) {
    let mut cfg = db.config();
    cfg.idv.handoff_session_secs = 600;
    let app = TestApp::with_config(db, cfg).await;
    let ada = app.login("ada").await;
    let phone = phone_session(&app, &ada).await;
    app.clock.advance(chrono::Duration::seconds(599));
    assert_eq!(app.json(sfn("flow_info", Some(&phone), "{}".into())).await.0, 200);
    app.clock.advance(chrono::Duration::seconds(1));
    let (status, v) = app.json(sfn("flow_info", Some(&phone), "{}".into())).await;
    assert_eq!((status, code(&v)), (StatusCode::UNAUTHORIZED, "unauthenticated"), "{v}");
    // The desktop is not affected, and may show a new code.
    assert_eq!(app.json(sfn("flow_info", Some(&ada), "{}".into())).await.0, 200);
    let (status, page) = show_code(&app, &ada).await;
    assert!(status == 200 && page.contains("handoff-qr-img"), "{page}");
}
on_both_backends!(a_phone_session_ends_after_the_configured_time, a_phone_session_ends_after_the_configured_time);

async fn the_course_goes_with_the_link_to_the_phone_and_back(db: &TestDb) {
    let app = TestApp::new(db).await;
    let ada = app.login("ada").await;
    let req = Request::get("/handoff?course_id=course-v1:Org+X+1&flow=upgrade")
        .header(header::COOKIE, &ada)
        .header(header::ACCEPT, "text/html")
        .body(Body::empty())
        .expect("request");
    let (status, _, body) = app.send(req).await;
    let page = String::from_utf8(body).expect("utf-8");
    assert_eq!(status, 200, "{page}");
    let path = link_path(&page);
    // Encoded as `/verify_student/...` encodes it (everything but letters and digits).
    let expected = "/id-verification?course_id=course%2Dv1%3AOrg%2BX%2B1&flow=upgrade";
    let (status, headers, body) = app.send(Request::post(path.as_str()).body(Body::empty()).expect("request")).await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{path}: {}", String::from_utf8_lossy(&body));
    assert_eq!(headers[header::LOCATION], expected);
    // Cancelling on the desktop goes back to that course's flow too.
    let cancel = Request::post("/handoff/cancel").header(header::COOKIE, &ada).body(Body::empty()).expect("request");
    let (status, headers, _) = app.send(cancel).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(headers[header::LOCATION], expected);

    // An unknown flow page is the first-time flow; a broken course key is refused, no code.
    let req = Request::get("/handoff?course_id=c%2Fx&flow=%3Cscript%3E")
        .header(header::COOKIE, &ada)
        .header(header::ACCEPT, "text/html")
        .body(Body::empty())
        .expect("request");
    let page = String::from_utf8(app.send(req).await.2).expect("utf-8");
    assert!(link_path(&page).ends_with("?course_id=c%2Fx&flow=start-flow"), "{page}");
    let before = links(db).await;
    for bad in ["course_id=a%01b", "course_id=%FF", &format!("course_id={}", "x".repeat(256))] {
        let req =
            Request::get(format!("/handoff?{bad}")).header(header::COOKIE, &ada).body(Body::empty()).expect("request");
        let (status, v) = app.json(req).await;
        assert_eq!((status, code(&v)), (StatusCode::BAD_REQUEST, "invalid_request"), "{bad}: {v}");
    }
    assert_eq!(links(db).await, before);
}
on_both_backends!(
    the_course_goes_with_the_link_to_the_phone_and_back,
    the_course_goes_with_the_link_to_the_phone_and_back
);

async fn a_reviewers_phone_session_is_no_reviewer(db: &TestDb) {
    let app = TestApp::new(db).await;
    let rita = app.login("rita").await;
    let mut conn = db.store.conn().await.expect("conn");
    let user = server::store::users::by_username(&mut conn, "rita").await.expect("q").expect("rita");
    server::store::users::set_reviewer(&mut conn, user.id, true).await.expect("reviewer");
    server::store::users::set_staff(&mut conn, user.id, true).await.expect("staff");
    drop(conn);
    assert_eq!(get(&app, "/api/v1/reviews/stats", &rita).await.0, 200);
    let phone = phone_session(&app, &rita).await;
    let (status, v) = get(&app, "/api/v1/reviews/stats", &phone).await;
    assert_eq!((status, code(&v)), (StatusCode::FORBIDDEN, "forbidden"), "{v}");
    // The flow it reaches does not present it as staff either.
    let (status, info) = app.json(sfn("session_info", Some(&phone), "{}".into())).await;
    assert_eq!((status, info["user"]["is_staff"].as_bool()), (StatusCode::OK, Some(false)), "{info}");
    let (_, info) = app.json(sfn("session_info", Some(&rita), "{}".into())).await;
    assert_eq!(info["user"]["is_staff"], true, "{info}");
}
on_both_backends!(a_reviewers_phone_session_is_no_reviewer, a_reviewers_phone_session_is_no_reviewer);

async fn opening_ones_own_link_signed_in_keeps_the_full_session(db: &TestDb) {
    let app = TestApp::new(db).await;
    let ada = app.login("ada").await;
    let token = new_token(&app, &ada).await;
    let (status, headers, _) = app.send(open(&token, true, Some(&ada), false)).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(headers[header::LOCATION], "/id-verification");
    assert_eq!(get(&app, "/api/v1/me", &ada).await.0, 200, "still fully signed in");
    // The link is used up all the same.
    assert_eq!(app.json(open(&token, true, None, false)).await.0, StatusCode::CONFLICT);
}
on_both_backends!(
    opening_ones_own_link_signed_in_keeps_the_full_session,
    opening_ones_own_link_signed_in_keeps_the_full_session
);

async fn codes_are_rate_limited_and_old_links_purged(db: &TestDb) {
    let app = TestApp::new(db).await;
    let ada = app.login("ada").await;
    for _ in 0..10 {
        new_token(&app, &ada).await;
    }
    let req = Request::get("/handoff").header(header::COOKIE, &ada).body(Body::empty()).expect("request");
    let (status, v) = app.json(req).await;
    assert_eq!((status, code(&v)), (StatusCode::TOO_MANY_REQUESTS, "rate_limited"), "{v}");
    assert_eq!(links(db).await, 10);
    // Another learner has an allowance of their own.
    let bob = app.login("bob").await;
    let bobs = new_token(&app, &bob).await;
    let phone = redeem(&app, &bobs).await;

    // A day on, the cleanup job deletes what nobody can use: ada's nine replaced links, the
    // tenth once expired a day; bob's link stays while its phone session may stand.
    assert_eq!(server::service::handoff::purge_old(&app.services).await.expect("purge"), 0);
    app.clock.advance(chrono::Duration::days(1) + chrono::Duration::seconds(1));
    assert_eq!(server::service::handoff::purge_old(&app.services).await.expect("purge"), 9);
    app.clock.advance(chrono::Duration::seconds(600));
    assert_eq!(server::service::handoff::purge_old(&app.services).await.expect("purge"), 1);
    assert_eq!(links(db).await, 1);
    app.clock.advance(chrono::Duration::seconds(3600));
    assert_eq!(server::service::handoff::purge_old(&app.services).await.expect("purge"), 1);
    assert_eq!(links(db).await, 0);
    assert_eq!(app.json(sfn("flow_info", Some(&phone), "{}".into())).await.0, StatusCode::UNAUTHORIZED);
}
on_both_backends!(codes_are_rate_limited_and_old_links_purged, codes_are_rate_limited_and_old_links_purged);

async fn two_phones_racing_for_one_link_one_wins(db: &TestDb) {
    let app = TestApp::new(db).await;
    let ada = app.login("ada").await;
    let token = new_token(&app, &ada).await;
    let (a, b) = tokio::join!(app.send(open(&token, true, None, false)), app.send(open(&token, true, None, false)));
    let mut statuses = [a.0, b.0];
    statuses.sort();
    assert_eq!(statuses, [StatusCode::SEE_OTHER, StatusCode::CONFLICT]);
    let mut conn = db.store.conn().await.expect("conn");
    let (redeemed,): (i64,) = sqlx::query_as("select count(*) from handoff where redeemed_at is not null")
        .fetch_one(&mut *conn)
        .await
        .expect("q");
    assert_eq!(redeemed, 1);
}
on_both_backends!(two_phones_racing_for_one_link_one_wins, two_phones_racing_for_one_link_one_wins);

/// `GET /handoff` with these `Sec-Fetch-*` headers, as ada; the status and error code.
async fn show_code_from(app: &TestApp, cookie: &str, fetch: &[(&str, &str)]) -> (StatusCode, Value) {
    let mut b = Request::get("/handoff").header(header::COOKIE, cookie);
    for (name, value) in fetch {
        b = b.header(*name, *value);
    }
    let (status, headers, body) = app.send_exactly(b.body(Body::empty()).expect("request")).await;
    let json = headers
        .get(header::CONTENT_TYPE)
        .is_some_and(|ct| ct.to_str().unwrap_or_default().starts_with("application/json"));
    (status, if json { serde_json::from_slice(&body).expect("JSON") } else { Value::Null })
}

async fn only_a_navigation_of_this_site_shows_a_code(db: &TestDb) {
    let app = TestApp::new(db).await;
    let ada = app.login("ada").await;
    // Issuing a code revokes the previous one and spends the rate limit: a sibling site
    // (`same-site`) or a fetch, image or script of this one must not do it either.
    for fetch in [
        &[("sec-fetch-site", "same-site"), ("sec-fetch-dest", "document")][..],
        &[("sec-fetch-site", "cross-site"), ("sec-fetch-dest", "document")],
        &[("sec-fetch-site", "same-origin"), ("sec-fetch-dest", "empty")],
        &[("sec-fetch-site", "same-origin"), ("sec-fetch-dest", "image")],
        &[("sec-fetch-site", "none"), ("sec-fetch-dest", "script")],
        &[("sec-fetch-site", "same-site")],
        &[("sec-fetch-dest", "empty")],
    ] {
        let (status, v) = show_code_from(&app, &ada, fetch).await;
        assert_eq!((status, code(&v)), (StatusCode::FORBIDDEN, "forbidden"), "{fetch:?}: {v}");
        assert!(v["error"]["message"].as_str().unwrap_or_default().contains("Continue on your phone"), "{v}");
        assert_eq!(links(db).await, 0, "{fetch:?} issued a link");
    }
    // The SPA's button is a link: a navigation of this site, in a tab (`document`) or in
    // the LMS's iframe (`iframe`), or typed in the address bar (`none`). A client that sends
    // no fetch metadata (an older browser, the tests) is not refused by this check.
    for (n, fetch) in [
        &[("sec-fetch-site", "same-origin"), ("sec-fetch-dest", "document")][..],
        &[("sec-fetch-site", "same-origin"), ("sec-fetch-dest", "iframe")],
        &[("sec-fetch-site", "none"), ("sec-fetch-dest", "document")],
        &[],
    ]
    .into_iter()
    .enumerate()
    {
        let (status, v) = show_code_from(&app, &ada, fetch).await;
        assert_eq!(status, StatusCode::OK, "{fetch:?}: {v}");
        assert_eq!(links(db).await, n as i64 + 1);
    }
}
on_both_backends!(only_a_navigation_of_this_site_shows_a_code, only_a_navigation_of_this_site_shows_a_code);

const JWT_SECRET: &str = "handoff-lms-jwt-secret-for-tests";

/// The Open edX cookie pair of a JWT for `username`, signed with [`JWT_SECRET`].
fn jwt_cookies(app: &TestApp, username: &str) -> String {
    use jsonwebtoken::{Algorithm, EncodingKey, Header, encode};
    let claims = json!({"user_id": 77, "preferred_username": username, "email": format!("{username}@example.com"),
        "administrator": false, "exp": app.services.clock.now().timestamp() + 3600});
    let token = encode(&Header::new(Algorithm::HS256), &claims, &EncodingKey::from_secret(JWT_SECRET.as_bytes()))
        .expect("token");
    let (hp, sig) = token.rsplit_once('.').expect("three parts");
    format!("edx-jwt-cookie-header-payload={hp}; edx-jwt-cookie-signature={sig}")
}

/// Shows a code on a desktop signed in by `jwt` (no session user): the page and the
/// desktop's cookies (the JWT pair and the session that remembers the link).
async fn jwt_desktop_code(app: &TestApp, jwt: &str) -> (String, String) {
    let req = Request::get("/handoff").header(header::COOKIE, jwt).header(header::ACCEPT, "text/html");
    let (status, headers, body) = app.send(req.body(Body::empty()).expect("request")).await;
    let page = String::from_utf8(body).expect("utf-8");
    assert_eq!(status, 200, "{page}");
    let session = headers[header::SET_COOKIE].to_str().expect("ascii").split(';').next().expect("pair").to_owned();
    (token_of(&page), format!("{jwt}; {session}"))
}

async fn signing_out_a_jwt_desktop_ends_its_link_and_phone(db: &TestDb) {
    let mut cfg = db.config();
    cfg.auth.jwt_secret = Some(server::config::Secret::from(JWT_SECRET.to_owned()));
    let app = TestApp::with_config(db, cfg).await;
    let jwt = jwt_cookies(&app, "jo");
    let logout = |cookie: &str| Request::post("/auth/logout").header(header::COOKIE, cookie).body(Body::empty());

    // A phone on the link: signing the desktop out ends the phone's session.
    let (token, desktop) = jwt_desktop_code(&app, &jwt).await;
    let phone = redeem(&app, &token).await;
    let (status, info) = app.json(sfn("session_info", Some(&phone), "{}".into())).await;
    assert_eq!((status, info["user"]["username"].as_str()), (StatusCode::OK, Some("jo")), "{info}");
    assert_eq!(app.send(logout(&desktop).expect("request")).await.0, StatusCode::SEE_OTHER);
    let (status, v) = app.json(sfn("flow_info", Some(&phone), "{}".into())).await;
    assert_eq!((status, code(&v)), (StatusCode::UNAUTHORIZED, "unauthenticated"), "{v}");

    // No phone yet: the link it showed is refused afterwards.
    let (token, desktop) = jwt_desktop_code(&app, &jwt).await;
    assert_eq!(app.send(logout(&desktop).expect("request")).await.0, StatusCode::SEE_OTHER);
    let (status, v) = app.json(open(&token, true, None, false)).await;
    assert_eq!(status, StatusCode::CONFLICT, "{v}");
    assert!(v["error"]["message"].as_str().unwrap_or_default().contains("cancelled"), "{v}");
}
on_both_backends!(signing_out_a_jwt_desktop_ends_its_link_and_phone, signing_out_a_jwt_desktop_ends_its_link_and_phone);

async fn an_lti_launch_on_the_desktop_ends_the_link_it_showed(db: &TestDb) {
    use crate::lti_support::{LAUNCH_PATH, Launch, add_consumer, sign};
    let app = TestApp::new(db).await;
    add_consumer(&db.store).await;
    let launch = |cookie: &str| {
        let req = Request::post(LAUNCH_PATH)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(header::COOKIE, cookie)
            .body(Body::from(sign(&Launch::new("http://127.0.0.1:8000", "lms-user-1"))))
            .expect("request");
        app.send(req)
    };

    // A phone on the link: a launch in the desktop's browser (which signs out whoever was
    // signed in there) ends the phone's session.
    let ada = app.login("ada").await;
    let phone = phone_session(&app, &ada).await;
    assert_eq!(app.json(sfn("flow_info", Some(&phone), "{}".into())).await.0, 200);
    let (status, _, body) = launch(&ada).await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{}", String::from_utf8_lossy(&body));
    let (status, v) = app.json(sfn("flow_info", Some(&phone), "{}".into())).await;
    assert_eq!((status, code(&v)), (StatusCode::UNAUTHORIZED, "unauthenticated"), "{v}");

    // No phone yet: the link is refused afterwards.
    let ada = app.login("ada").await;
    let token = new_token(&app, &ada).await;
    assert_eq!(launch(&ada).await.0, StatusCode::SEE_OTHER);
    let (status, v) = app.json(open(&token, true, None, false)).await;
    assert_eq!(status, StatusCode::CONFLICT, "{v}");
    assert!(v["error"]["message"].as_str().unwrap_or_default().contains("cancelled"), "{v}");
}
on_both_backends!(
    an_lti_launch_on_the_desktop_ends_the_link_it_showed,
    an_lti_launch_on_the_desktop_ends_the_link_it_showed
);
