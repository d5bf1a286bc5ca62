//! LTI launches signed by an independent consumer (Python oauthlib): a valid launch signs
//! in the mapped user and shows the flow; every refused launch answers a clear JSON error
//! and changes nothing (no user, no session switch, nothing about the consumer).

use crate::{
    lti_support::{GUID, KEY, LAUNCH_PATH, Launch, SECRET, add_consumer, counts, mapped_username, sign, sign_all},
    support::{TestApp, TestDb, sfn},
};
use axum::{
    body::Body,
    http::{HeaderMap, Request, StatusCode, header},
};
use serde_json::Value;
use server::{config::Config, store::lti};

const BASE: &str = "http://127.0.0.1:8000";
const MARKER: &str = "<!-- vouch spa entry -->";

fn config(db: &TestDb) -> Config {
    let mut cfg = db.config();
    let dist = db.dir.path().join("dist");
    std::fs::create_dir_all(&dist).expect("dist");
    std::fs::write(dist.join("index.html"), format!("<html>{MARKER}</html>")).expect("index");
    cfg.server.static_dir = dist;
    cfg.server.public_url = BASE.into();
    cfg
}

async fn post(app: &TestApp, body: &str, cookie: Option<&str>) -> (StatusCode, HeaderMap, Vec<u8>) {
    let mut req = Request::post(LAUNCH_PATH).header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
    if let Some(c) = cookie {
        req = req.header(header::COOKIE, c);
    }
    app.send(req.body(Body::from(body.to_owned())).expect("request")).await
}

fn cookie_of(headers: &HeaderMap) -> Option<String> {
    headers.get(header::SET_COOKIE).and_then(|v| v.to_str().ok()).map(|c| c.split(';').next().expect("pair").to_owned())
}

async fn who(app: &TestApp, cookie: &str) -> Option<String> {
    let (status, v) = app.json(sfn("session_info", Some(cookie), "{}".into())).await;
    assert_eq!(status, StatusCode::OK, "{v}");
    v["user"]["username"].as_str().map(str::to_owned)
}

async fn valid_launch(db: &TestDb) {
    let app = TestApp::with_config(db, config(db)).await;
    add_consumer(&db.store).await;
    let ada = app.login("ada").await;

    let (status, headers, _) = post(&app, &sign(&Launch::new(BASE, "lms-user-1")), Some(&ada)).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(headers[header::LOCATION], "/id-verification");
    assert_eq!(headers[header::CONTENT_SECURITY_POLICY], "frame-ancestors https://lms.example.edu");
    let learner = cookie_of(&headers).expect("a new session cookie");
    assert_ne!(learner, ada);
    let mapped = mapped_username(&db.store, "lms-user-1").await.expect("a mapped user");
    assert!(mapped.starts_with("lti_") && mapped.len() <= 30, "{mapped}");
    // The session now belongs to the LTI user; whoever was signed in before is signed out.
    assert_eq!(who(&app, &learner).await.as_deref(), Some(mapped.as_str()));
    assert_eq!(who(&app, &ada).await, None);
    // The flow: the SPA entry page.
    let page = Request::get("/id-verification").header(header::COOKIE, &learner).body(Body::empty()).expect("req");
    let (status, _, body) = app.send(page).await;
    assert_eq!(status, StatusCode::OK);
    assert!(String::from_utf8_lossy(&body).contains(MARKER));

    // The consumer learnt its GUID from the signed launch.
    let mut conn = db.store.conn().await.expect("conn");
    let consumer = lti::consumer_by_key(&mut conn, KEY).await.expect("q").expect("consumer");
    assert_eq!(consumer.instance_guid.as_deref(), Some(GUID));
    drop(conn);

    // Launching again maps to the same user; another consumer's user 1 is someone else.
    let (status, headers, _) = post(&app, &sign(&Launch::new(BASE, "lms-user-1")), None).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(who(&app, &cookie_of(&headers).expect("cookie")).await.as_deref(), Some(mapped.as_str()));
    let mut conn = db.store.conn().await.expect("conn");
    let other = lti::NewConsumer {
        name: "Other LMS".into(),
        key: "other-key".into(),
        secret: "other-secret-0123456789".to_owned().into(),
        instance_guid: None,
        allowed_outcome_hosts: vec![],
        frame_ancestors: String::new(),
        use_lti_pii: false,
        require_user_account: false,
    };
    lti::insert_consumer(&mut conn, &other, chrono::Utc::now()).await.expect("other consumer");
    drop(conn);
    let mut launch = Launch::new(BASE, "lms-user-1").with("tool_consumer_instance_guid", "other.example.edu");
    launch.key = "other-key".into();
    launch.secret = "other-secret-0123456789".into();
    let (status, headers, _) = post(&app, &sign(&launch), None).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    // The global default policy for a consumer without its own.
    assert_eq!(headers[header::CONTENT_SECURITY_POLICY], "frame-ancestors 'self' https:");
    let someone_else = who(&app, &cookie_of(&headers).expect("cookie")).await.expect("signed in");
    assert_ne!(someone_else, mapped);
    let (users,): (i64,) = sqlx::query_as("select count(*) from lti_user")
        .fetch_one(&mut *db.store.conn().await.expect("conn"))
        .await
        .expect("count");
    assert_eq!(users, 2);
}
crate::on_both_backends!(valid_launch_signs_in_the_mapped_user, valid_launch);

/// Sends `body` with ada's session; expects `status` with a JSON error whose message
/// contains `says`, no new cookie, and ada still signed in.
async fn refused(app: &TestApp, ada: &str, body: &str, status: StatusCode, says: &str) -> Value {
    let (got, headers, raw) = post(app, body, Some(ada)).await;
    let text = String::from_utf8_lossy(&raw).into_owned();
    assert_eq!(got, status, "{text}");
    assert!(headers[header::CONTENT_TYPE].to_str().expect("ascii").starts_with("application/json"));
    assert!(headers.get(header::SET_COOKIE).is_none(), "a refused launch must not touch the session");
    let v: Value = serde_json::from_str(&text).expect("JSON error");
    let message = v["error"]["message"].as_str().expect("message");
    assert!(message.contains(says), "{message:?} should say {says:?}");
    assert_eq!(who(app, ada).await.as_deref(), Some("ada"));
    v
}

async fn refusals(db: &TestDb) {
    let app = TestApp::with_config(db, config(db)).await;
    add_consumer(&db.store).await;
    let ada = app.login("ada").await;
    let before = counts(&db.store).await;
    let now = chrono::Utc::now().timestamp();

    let mut wrong_secret = Launch::new(BASE, "u1");
    wrong_secret.secret = "not-the-secret-0123456789".into();
    let mut unknown_key = Launch::new(BASE, "u1");
    unknown_key.key = "nobody".into();
    let mut stale = Launch::new(BASE, "u1");
    stale.timestamp = Some(now - 3600);
    let mut future = Launch::new(BASE, "u1");
    future.timestamp = Some(now + 3600);
    let mut plaintext = Launch::new(BASE, "u1");
    plaintext.method = "PLAINTEXT";
    let signed = sign_all(&[
        Launch::new(BASE, "u1"),
        wrong_secret,
        unknown_key,
        stale,
        future,
        Launch::new(BASE, "u1").without("user_id"),
        Launch::new(BASE, "u1").without("resource_link_id"),
        plaintext,
        Launch::new(BASE, "u1").with("lti_message_type", "ContentItemSelectionRequest"),
    ]);
    let tampered = signed[0].replace("user_id=u1", "user_id=u2");
    assert_ne!(tampered, signed[0]);
    let unauthorized = StatusCode::UNAUTHORIZED;
    let v = refused(&app, &ada, &tampered, unauthorized, "signature is not valid").await;
    assert_eq!(v["error"]["code"], "unauthenticated");
    refused(&app, &ada, &signed[1], unauthorized, "signature is not valid").await;
    refused(&app, &ada, &signed[2], unauthorized, "Unknown OAuth consumer key").await;
    refused(&app, &ada, &signed[3], unauthorized, "timestamp").await;
    refused(&app, &ada, &signed[4], unauthorized, "timestamp").await;
    let v = refused(&app, &ada, &signed[5], StatusCode::BAD_REQUEST, "missing the required parameter user_id").await;
    assert_eq!(v["error"]["code"], "invalid_request");
    refused(&app, &ada, &signed[6], StatusCode::BAD_REQUEST, "resource_link_id").await;
    refused(&app, &ada, &signed[7], StatusCode::BAD_REQUEST, "Only HMAC-SHA1").await;
    refused(&app, &ada, &signed[8], StatusCode::BAD_REQUEST, "lti_message_type").await;
    // A body that is not a form.
    let json = Request::post(LAUNCH_PATH)
        .header(header::CONTENT_TYPE, "application/json")
        .header(header::COOKIE, &ada)
        .body(Body::from("{}"))
        .expect("req");
    let (status, v) = app.json(json).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{v}");
    // GET instead of POST.
    let get = Request::get(format!("{LAUNCH_PATH}?{}", signed[0])).header(header::COOKIE, &ada).body(Body::empty());
    let (status, headers, raw) = app.send(get.expect("req")).await;
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
    assert!(headers.get(header::SET_COOKIE).is_none());
    let v: Value = serde_json::from_slice(&raw).expect("JSON error");
    assert_eq!(v["error"]["code"], "method_not_allowed");
    // Nothing was written by any of them, not even the consumer's GUID.
    assert_eq!(counts(&db.store).await, before);
    assert_eq!(who(&app, &ada).await.as_deref(), Some("ada"));

    // A replayed launch: the first is accepted, the same body again is refused.
    let (status, _, _) = post(&app, &signed[0], None).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let after_first = counts(&db.store).await;
    refused(&app, &ada, &signed[0], unauthorized, "nonce was already used").await;
    assert_eq!(counts(&db.store).await, after_first);
}
crate::on_both_backends!(refused_launches_change_nothing, refusals);

async fn security(db: &TestDb) {
    let mut cfg = config(db);
    cfg.lti.allowed_outcome_hosts = server::lti::HostList::parse("lms.example.edu");
    let app = TestApp::with_config(db, cfg).await;
    add_consumer(&db.store).await;
    let ada = app.login("ada").await;

    // The first signed launch teaches the GUID; a launch claiming another GUID is refused.
    let (status, _, _) = post(&app, &sign(&Launch::new(BASE, "u1")), None).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let before = counts(&db.store).await;
    let other_guid = Launch::new(BASE, "u9").with("tool_consumer_instance_guid", "evil.example");
    refused(&app, &ada, &sign(&other_guid), StatusCode::FORBIDDEN, "tool_consumer_instance_guid").await;
    assert_eq!(counts(&db.store).await, before);

    // Outcome URLs: internal addresses refused (allow_private_outcome_urls is off), and
    // hosts outside the allowed list refused; nothing written either way.
    let internal = Launch::new(BASE, "u2").graded("http://127.0.0.1:9/grades", "sid-1");
    refused(&app, &ada, &sign(&internal), StatusCode::BAD_REQUEST, "lis_outcome_service_url").await;
    let metadata = Launch::new(BASE, "u2").graded("http://169.254.169.254/latest", "sid-1");
    refused(&app, &ada, &sign(&metadata), StatusCode::BAD_REQUEST, "lis_outcome_service_url").await;
    // The same internal addresses spelled through NAT64, 6to4, IPv4-compatible IPv6, and
    // the IETF block 192.0.0.0/24 (trust issue, item 15).
    for spelled in [
        "http://[64:ff9b::a9fe:a9fe]/latest",
        "http://[2002:a9fe:a9fe::1]/latest",
        "http://[::a9fe:a9fe]/latest",
        "http://192.0.0.170/latest",
    ] {
        let via = Launch::new(BASE, "u2").graded(spelled, "sid-1");
        refused(&app, &ada, &sign(&via), StatusCode::BAD_REQUEST, "lis_outcome_service_url").await;
    }
    let elsewhere = Launch::new(BASE, "u2").graded("https://evil.example/grades", "sid-1");
    refused(&app, &ada, &sign(&elsewhere), StatusCode::BAD_REQUEST, "not allowed").await;
    assert_eq!(counts(&db.store).await, before);
    let allowed = Launch::new(BASE, "u2").graded("https://lms.example.edu/grades", "sid-1");
    let (status, _, _) = post(&app, &sign(&allowed), None).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let states = lti::assignment_states(&mut db.store.conn().await.expect("conn")).await.expect("states");
    assert_eq!(states.len(), 1);
    assert_eq!(states[0].course_key, "course-v1:Org+Verify+2026");
    assert_eq!(states[0].usage_key, "block-v1:Org+Verify+2026+type@lti+block@idv");
    assert_eq!(states[0].sourcedid, "sid-1");

    // An existing account is never linked because the launch carries its email.
    let victim = app.login("victim").await;
    sqlx::query("update app_user set email = 'victim@example.edu' where username = 'victim'")
        .execute(&mut *db.store.conn().await.expect("conn"))
        .await
        .expect("email");
    let claim = Launch::new(BASE, "u3").with("lis_person_contact_email_primary", "victim@example.edu");
    let (status, headers, _) = post(&app, &sign(&claim), Some(&victim)).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let now_signed_in = who(&app, &cookie_of(&headers).expect("cookie")).await.expect("user");
    assert_ne!(now_signed_in, "victim");
    assert_eq!(mapped_username(&db.store, "u3").await.as_deref(), Some(now_signed_in.as_str()));
    // The secret is never shown: not in the consumer's Debug output.
    let consumer = lti::consumer_by_key(&mut db.store.conn().await.expect("conn"), KEY).await.expect("q");
    assert!(!format!("{consumer:?}").contains(SECRET));
}
crate::on_both_backends!(security_rules, security);

async fn cross_site_cookie(db: &TestDb) {
    // Served over HTTPS with lti.cross_site_cookies: the session cookie works in a
    // cross-site LMS iframe (SameSite=None; Secure).
    let https = "https://vouch.example.edu";
    let mut cfg = config(db);
    cfg.server.public_url = https.into();
    cfg.lti.cross_site_cookies = true;
    let app = TestApp::with_config(db, cfg).await;
    add_consumer(&db.store).await;
    let (status, headers, _) = post(&app, &sign(&Launch::new(https, "u1")), None).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let set = headers[header::SET_COOKIE].to_str().expect("ascii");
    assert!(set.contains("SameSite=None") && set.contains("Secure") && set.contains("HttpOnly"), "{set}");
    // Without the flag the cookie stays SameSite=Lax.
    let app = TestApp::with_config(db, config(db)).await;
    let (status, headers, _) = post(&app, &sign(&Launch::new(BASE, "u1")), None).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert!(headers[header::SET_COOKIE].to_str().expect("ascii").contains("SameSite=Lax"));
}
crate::on_both_backends!(cross_site_cookies_for_lms_iframes, cross_site_cookie);
