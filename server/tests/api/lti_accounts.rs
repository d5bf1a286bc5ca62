//! Issue 16 item 12: Open edX's per-consumer `use_lti_pii` and `require_user_account`,
//! through the real router with launches signed by the independent Python consumer, and
//! the launch's status read through the attempts filters. Each test is written as the
//! person who wants it to fail: a consumer that never opted in, a learner who corrected
//! their name, a launch with nobody signed in to the LMS, a second LTI identity reaching
//! for an account that is linked already.

use crate::{
    lti_support::{KEY, LAUNCH_PATH, Launch, add_consumer, mapped_username, sign},
    support::{TestApp, TestDb, sfn},
};
use axum::{
    body::Body,
    http::{HeaderMap, Request, StatusCode, header},
};
use jsonwebtoken::{Algorithm, EncodingKey, Header, encode};
use serde_json::{Value, json};
use server::{
    config::Config,
    service::manual_verifications,
    store::{lti, users},
};

const BASE: &str = "http://127.0.0.1:8000";
const JWT_SECRET: &str = "lti-accounts-lms-jwt-secret-0123456789";
const ISSUER: &str = "https://lms.example.edu/oauth2";
const AUDIENCE: &str = "openedx";

fn config(db: &TestDb) -> Config {
    let mut cfg = db.config();
    cfg.server.public_url = BASE.into();
    cfg.auth.jwt_secret = Some(JWT_SECRET.to_owned().into());
    cfg.auth.jwt_issuer = Some(ISSUER.into());
    cfg.auth.jwt_audience = Some(AUDIENCE.into());
    cfg.lti.lms_login_url = Some("https://lms.example.edu/login".into());
    cfg
}

/// A token of the LMS for `username` (LMS user id `lms_id`).
fn token(app: &TestApp, lms_id: i64, username: &str, admin: bool) -> String {
    let exp = app.services.clock.now().timestamp() + 3600;
    let claims = json!({"user_id": lms_id, "preferred_username": username, "email": format!("{username}@lms.example.edu"),
        "name": "", "administrator": admin, "exp": exp, "iss": ISSUER, "aud": AUDIENCE});
    encode(&Header::new(Algorithm::HS256), &claims, &EncodingKey::from_secret(JWT_SECRET.as_bytes())).expect("token")
}

/// The Open edX JWT cookie pair of `token`, as a browser signed in to the LMS sends it.
fn lms_cookies(token: &str) -> String {
    let (hp, sig) = token.rsplit_once('.').expect("three parts");
    format!("edx-jwt-cookie-header-payload={hp}; edx-jwt-cookie-signature={sig}")
}

async fn launch(app: &TestApp, launch: &Launch, cookie: Option<&str>) -> (StatusCode, HeaderMap, Vec<u8>) {
    let mut req = Request::post(LAUNCH_PATH).header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
    if let Some(c) = cookie {
        req = req.header(header::COOKIE, c);
    }
    app.send(req.body(Body::from(sign(launch))).expect("request")).await
}

fn session_of(headers: &HeaderMap) -> String {
    let c = headers.get(header::SET_COOKIE).expect("a session cookie").to_str().expect("ascii");
    c.split(';').next().expect("pair").to_owned()
}

async fn profile(db: &TestDb, username: &str) -> (String, String) {
    let u = users::by_username(&mut db.store.conn().await.expect("conn"), username).await.expect("q").expect("user");
    (u.full_name, u.email)
}

async fn count(db: &TestDb, sql: &str) -> i64 {
    sqlx::query_as::<_, (i64,)>(sql).fetch_one(&mut *db.store.conn().await.expect("conn")).await.expect("count").0
}

/// PATCHes the test consumer as an LMS administrator; returns the answer.
async fn patch_consumer(app: &TestApp, body: &str) -> (StatusCode, Value) {
    let admin = token(app, 900, "lms_admin", true);
    let req = Request::patch(format!("/api/v1/lti/consumers/{KEY}"))
        .header(header::AUTHORIZATION, format!("JWT {admin}"))
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(body.to_owned()))
        .expect("request");
    app.json(req).await
}

/// The email of `ada_lms`'s LMS account (see [`token`]).
const ADA_LMS_EMAIL: &str = "ada_lms@lms.example.edu";

fn with_email(l: Launch, email: &str) -> Launch {
    l.with("lis_person_contact_email_primary", email)
}

fn with_pii(l: Launch, name: &str, email: &str) -> Launch {
    l.with("lis_person_name_full", name).with("lis_person_contact_email_primary", email)
}

// ---- use_lti_pii ----

async fn pii_opt_in(db: &TestDb) {
    let app = TestApp::with_config(db, config(db)).await;
    add_consumer(&db.store).await;

    // Off by default: the launch's name and email never reach the profile.
    let (status, _, body) =
        launch(&app, &with_pii(Launch::new(BASE, "u1"), "Ada Lovelace", "ada@example.edu"), None).await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{}", String::from_utf8_lossy(&body));
    let u1 = mapped_username(&db.store, "u1").await.expect("mapped");
    assert_eq!(profile(db, &u1).await, (String::new(), String::new()), "a consumer without the opt-in changes nothing");

    // Staff turn it on (the REST route; the CLI is tested below).
    let (status, v) = patch_consumer(&app, r#"{"use_lti_pii": true}"#).await;
    assert_eq!(status, StatusCode::OK, "{v}");
    assert_eq!((v["use_lti_pii"].clone(), v["require_user_account"].clone()), (json!(true), json!(false)));

    // Now an empty profile is filled...
    let (status, _, _) =
        launch(&app, &with_pii(Launch::new(BASE, "u1"), "Ada Lovelace", "ada@example.edu"), None).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(profile(db, &u1).await, ("Ada Lovelace".into(), "ada@example.edu".into()));
    // ...and never overwritten by a later launch saying otherwise.
    let (status, _, _) = launch(&app, &with_pii(Launch::new(BASE, "u1"), "Mallory", "mallory@example.edu"), None).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(profile(db, &u1).await, ("Ada Lovelace".into(), "ada@example.edu".into()));

    // A learner who set their name (to match their ID) keeps it; only the empty email fills.
    let (status, _, _) = launch(&app, &Launch::new(BASE, "u2").without("lis_person_name_full"), None).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let u2 = mapped_username(&db.store, "u2").await.expect("mapped");
    let id2 = users::by_username(&mut db.store.conn().await.expect("c"), &u2).await.expect("q").expect("u").id;
    users::set_full_name(&mut db.store.conn().await.expect("c"), id2, "Grace Hopper").await.expect("name");
    let (status, _, _) =
        launch(&app, &with_pii(Launch::new(BASE, "u2"), "Someone Else", "grace@example.edu"), None).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(profile(db, &u2).await, ("Grace Hopper".into(), "grace@example.edu".into()));
    // An address that is not one is dropped, never stored.
    let (status, _, _) = launch(&app, &with_pii(Launch::new(BASE, "u3"), "Alan Turing", "not an address"), None).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let u3 = mapped_username(&db.store, "u3").await.expect("mapped");
    assert_eq!(profile(db, &u3).await, ("Alan Turing".into(), String::new()));

    // Turned off again: a new learner's launch fills nothing.
    let (status, v) = patch_consumer(&app, r#"{"use_lti_pii": false}"#).await;
    assert_eq!((status, v["use_lti_pii"].clone()), (StatusCode::OK, json!(false)));
    let (status, _, _) =
        launch(&app, &with_pii(Launch::new(BASE, "u4"), "Ada Lovelace", "ada@example.edu"), None).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let u4 = mapped_username(&db.store, "u4").await.expect("mapped");
    assert_eq!(profile(db, &u4).await, (String::new(), String::new()));
}
crate::on_both_backends!(lti_pii_fills_an_empty_profile_only_for_a_consumer_that_opted_in, pii_opt_in);

// ---- require_user_account ----

async fn require_account(db: &TestDb) {
    let app = TestApp::with_config(db, config(db)).await;
    add_consumer(&db.store).await;
    let (status, v) = patch_consumer(&app, r#"{"require_user_account": true, "use_lti_pii": true}"#).await;
    assert_eq!((status, v["require_user_account"].clone()), (StatusCode::OK, json!(true)), "{v}");
    // An account with the very email the launch carries: it must never be linked by it.
    // (The launch carries the email of Ada's LMS account: a link is checked against it.)
    users::ensure(&mut db.store.conn().await.expect("c"), "ada_by_email", Some(ADA_LMS_EMAIL), chrono::Utc::now())
        .await
        .expect("user");
    let users_before = count(db, "select count(*) from app_user").await;

    // No LMS sign-in on this browser: the sign-in step, and nothing linked or created.
    let first = with_pii(Launch::new(BASE, "u1"), "Ada Lovelace", ADA_LMS_EMAIL);
    let (status, headers, _) = launch(&app, &first, None).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(headers[header::LOCATION], "/lti_provider/link");
    assert_eq!(headers[header::CONTENT_SECURITY_POLICY], "frame-ancestors https://lms.example.edu");
    let pending = session_of(&headers);
    let page = |cookie: String| Request::get("/lti_provider/link").header(header::COOKIE, cookie).body(Body::empty());
    let (status, headers, body) = app.send(page(pending.clone()).expect("req")).await;
    let html = String::from_utf8_lossy(&body).into_owned();
    assert_eq!(status, StatusCode::OK, "{html}");
    assert!(headers[header::CONTENT_TYPE].to_str().expect("ascii").starts_with("text/html"));
    assert!(html.contains("data-step=\"sign-in\"") && html.contains("https://lms.example.edu/login"), "{html}");
    assert!(html.contains("Test LMS") && html.contains("course-v1:Org+Verify+2026"), "{html}");
    assert!(!html.contains("data-step=\"confirm\""));
    assert_eq!(mapped_username(&db.store, "u1").await, None, "nothing linked");
    assert_eq!(count(db, "select count(*) from lti_user").await, 0);
    assert_eq!(count(db, "select count(*) from app_user").await, users_before, "no anonymous account");
    // Confirming with a Vouch session only (not the LMS's word) links nothing either.
    let confirm = |cookie: String| {
        Request::post("/lti_provider/link").header(header::COOKIE, cookie).body(Body::empty()).expect("req")
    };
    let (status, _, body) = app.send(confirm(pending.clone())).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{}", String::from_utf8_lossy(&body));
    // A browser signed in to Vouch only (dev login here): not the LMS's word either.
    let ada_session = app.login("ada").await;
    let (status, _, _) = app.send(confirm(ada_session)).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(count(db, "select count(*) from lti_user").await, 0);

    // Signed in to the LMS: the confirmation names the account; the link needs the POST.
    let ada_lms = lms_cookies(&token(&app, 41, "ada_lms", false));
    let (status, _, body) = app.send(page(format!("{pending}; {ada_lms}")).expect("req")).await;
    let html = String::from_utf8_lossy(&body).into_owned();
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("data-step=\"confirm\"") && html.contains("ada_lms"), "{html}");
    assert_eq!(count(db, "select count(*) from lti_user").await, 0, "showing the step links nothing");
    // A cross-site POST (a forged confirmation) is refused.
    let forged = Request::post("/lti_provider/link")
        .header(header::COOKIE, format!("{pending}; {ada_lms}"))
        .header("sec-fetch-site", "cross-site")
        .body(Body::empty())
        .expect("req");
    let (status, _, _) = app.send_exactly(forged).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(count(db, "select count(*) from lti_user").await, 0);
    // The learner confirms: linked to the LMS account, never the one found by email.
    let (status, headers, body) = app.send(confirm(format!("{pending}; {ada_lms}"))).await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{}", String::from_utf8_lossy(&body));
    assert_eq!(headers[header::LOCATION], "/id-verification");
    assert_eq!(mapped_username(&db.store, "u1").await.as_deref(), Some("ada_lms"));
    // use_lti_pii fills the LMS account's empty name; its email (from the LMS) stays.
    assert_eq!(profile(db, "ada_lms").await, ("Ada Lovelace".into(), "ada_lms@lms.example.edu".into()));
    let signed_in = session_of(&headers);
    let (_, v) = app.json(sfn("session_info", Some(&signed_in), "{}".into())).await;
    assert_eq!(v["user"]["username"], "ada_lms", "{v}");
    // The waiting launch is used up.
    let (status, _, _) = app.send(page(signed_in).expect("req")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);

    // Her next launch signs her in directly, with no LMS cookie needed.
    let (status, headers, _) = launch(&app, &Launch::new(BASE, "u1"), None).await;
    assert_eq!((status, headers[header::LOCATION].to_str().expect("a")), (StatusCode::SEE_OTHER, "/id-verification"));
    let (_, v) = app.json(sfn("session_info", Some(&session_of(&headers)), "{}".into())).await;
    assert_eq!(v["user"]["username"], "ada_lms");

    // A second LTI user cannot be linked to the account already linked.
    let (status, headers, _) = launch(&app, &with_email(Launch::new(BASE, "u2"), ADA_LMS_EMAIL), None).await;
    assert_eq!((status, headers[header::LOCATION].to_str().expect("a")), (StatusCode::SEE_OTHER, "/lti_provider/link"));
    let second = session_of(&headers);
    let (status, _, body) = app.send(confirm(format!("{second}; {ada_lms}"))).await;
    assert_eq!(status, StatusCode::CONFLICT, "{}", String::from_utf8_lossy(&body));
    let v: Value = serde_json::from_slice(&body).expect("JSON error");
    assert_eq!(v["error"]["code"], "conflict");
    assert_eq!(mapped_username(&db.store, "u2").await, None);
    assert_eq!(count(db, "select count(*) from lti_user").await, 1);
    // Nor can a linked LTI user be moved to another account.
    let (status, headers, _) =
        launch(&app, &with_email(Launch::new(BASE, "u3"), "bob_lms@lms.example.edu"), None).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let third = session_of(&headers);
    let bob_lms = lms_cookies(&token(&app, 42, "bob_lms", false));
    let (status, _, _) = app.send(confirm(format!("{third}; {bob_lms}"))).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(mapped_username(&db.store, "u3").await.as_deref(), Some("bob_lms"));
    // And an LMS administrator's account (staff) is never linked.
    let (_, headers, _) = launch(&app, &with_email(Launch::new(BASE, "u4"), "root@lms.example.edu"), None).await;
    let fourth = session_of(&headers);
    let staff =
        users::ensure(&mut db.store.conn().await.expect("c"), "root", None, chrono::Utc::now()).await.expect("u");
    users::set_staff(&mut db.store.conn().await.expect("c"), staff.id, true).await.expect("staff");
    sqlx::query("update app_user set lms_user_id = 43 where user_id = $1")
        .bind(staff.id.0)
        .execute(&mut *db.store.conn().await.expect("c"))
        .await
        .expect("lms id");
    let (status, _, _) = app.send(confirm(format!("{fourth}; {}", lms_cookies(&token(&app, 43, "root", false))))).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(mapped_username(&db.store, "u4").await, None);
    assert_eq!(count(db, "select count(*) from lti_user").await, 2);
}
crate::on_both_backends!(require_user_account_links_only_a_signed_in_lms_account_once, require_account);

// ---- the launch reads the status through the attempts filters ----

async fn launch_filtered(db: &TestDb) {
    let mut cfg = config(db);
    // A built-in step that drops manual verifications.
    cfg.filters.attempts_requested = vec!["exclude_manual".into()];
    let app = TestApp::with_config(db, cfg).await;
    add_consumer(&db.store).await;
    let (status, _, _) = launch(&app, &Launch::new(BASE, "u1"), None).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let u1 = mapped_username(&db.store, "u1").await.expect("mapped");
    let user = users::by_username(&mut db.store.conn().await.expect("c"), &u1).await.expect("q").expect("u");
    manual_verifications::create_manual_verification(&app.services, user.id, "Ada", "seen", None)
        .await
        .expect("manual");
    let jobs_before = count(db, "select count(*) from job where kind = 'lti.outcome'").await;
    // The filter hides the manual approval: the launch shows the flow, not the status page,
    // and a new graded resource is owed no 1.0.
    let rx = crate::lti_support::Receiver::start(0, "500");
    let mut cfg2 = (*app.services.cfg).clone();
    cfg2.lti.allow_private_outcome_urls = true;
    let graded = TestApp::with_config(db, cfg2).await;
    let (status, headers, _) = launch(&graded, &Launch::new(BASE, "u1").graded(&rx.url, "sid-1"), None).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(headers[header::LOCATION], "/id-verification", "the filtered status is not verified");
    assert_eq!(count(db, "select count(*) from job where kind = 'lti.outcome'").await, jobs_before);
    // Without the filter the same learner is verified (the control).
    let mut open = (*graded.services.cfg).clone();
    open.filters.attempts_requested.clear();
    let unfiltered = TestApp::with_config(db, open).await;
    let (_, headers, _) = launch(&unfiltered, &Launch::new(BASE, "u1").graded(&rx.url, "sid-2"), None).await;
    assert_eq!(headers[header::LOCATION], "/id-verification/status");
    assert_eq!(count(db, "select count(*) from job where kind = 'lti.outcome'").await, jobs_before + 1, "1.0 owed");
}
crate::on_both_backends!(the_launch_reads_the_status_through_the_attempts_filters, launch_filtered);

// ---- staff REST and CLI ----

async fn consumer_flags(db: &TestDb) {
    let app = TestApp::with_config(db, config(db)).await;
    add_consumer(&db.store).await;
    // Both off by default.
    let c = lti::consumer_by_key(&mut db.store.conn().await.expect("c"), KEY).await.expect("q").expect("consumer");
    assert!(!c.use_lti_pii && !c.require_user_account);
    // Bad updates change nothing.
    for (body, status) in [
        ("{}", StatusCode::BAD_REQUEST),
        (r#"{"use_lti_pii": "yes"}"#, StatusCode::UNPROCESSABLE_ENTITY),
        (r#"{"use_pii": true}"#, StatusCode::UNPROCESSABLE_ENTITY),
    ] {
        let (got, v) = patch_consumer(&app, body).await;
        assert_eq!(got, status, "{body}: {v}");
        assert!(v["error"]["code"].is_string(), "{v}");
    }
    let c = lti::consumer_by_key(&mut db.store.conn().await.expect("c"), KEY).await.expect("q").expect("consumer");
    assert!(!c.use_lti_pii && !c.require_user_account);
    // A learner may not; an unknown key is a 404.
    let ada = token(&app, 50, "ada", false);
    let req = Request::patch(format!("/api/v1/lti/consumers/{KEY}"))
        .header(header::AUTHORIZATION, format!("JWT {ada}"))
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(r#"{"use_lti_pii": true}"#))
        .expect("req");
    assert_eq!(app.json(req).await.0, StatusCode::FORBIDDEN);
    let admin = token(&app, 900, "lms_admin", true);
    let req = Request::patch("/api/v1/lti/consumers/nobody")
        .header(header::AUTHORIZATION, format!("JWT {admin}"))
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(r#"{"use_lti_pii": true}"#))
        .expect("req");
    assert_eq!(app.json(req).await.0, StatusCode::NOT_FOUND);
    // Adding with the opt-ins through REST, and listing them.
    let req = Request::post("/api/v1/lti/consumers")
        .header(header::AUTHORIZATION, format!("JWT {admin}"))
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(
            r#"{"name": "Moodle", "key": "moodle", "secret": "moodle-secret-0123456789", "use_lti_pii": true, "require_user_account": true}"#,
        ))
        .expect("req");
    let (status, v) = app.json(req).await;
    assert_eq!(status, StatusCode::CREATED, "{v}");
    assert_eq!((v["use_lti_pii"].clone(), v["require_user_account"].clone()), (json!(true), json!(true)));
    assert!(v.get("secret").is_none());
}
crate::on_both_backends!(consumer_opt_ins_are_off_by_default_and_set_by_staff, consumer_flags);

fn cli(db: &TestDb, args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_vouch"))
        .args(["lti", "consumer"])
        .args(args)
        .env("VOUCH_DATABASE__URL", &db.url)
        .env("VOUCH_LOG", "warn")
        .env_remove("VOUCH_LTI_CONSUMER_SECRET")
        .output()
        .expect("vouch runs")
}

async fn cli_flags(db: &TestDb) {
    let text = |o: &std::process::Output| {
        format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr))
    };
    let listed = |db: &TestDb| {
        let o = cli(db, &["list", "--json"]);
        assert_eq!(o.status.code(), Some(0), "{}", text(&o));
        serde_json::from_slice::<Value>(&o.stdout).expect("JSON")
    };
    let secret = "cli-secret-0123456789abcdef";
    let o = cli(db, &["add", "--name", "Plain", "--key", "plain", "--secret", secret]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let o = cli(
        db,
        &["add", "--name", "Strict", "--key", "strict", "--secret", secret, "--use-lti-pii", "--require-user-account"],
    );
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let v = listed(db);
    let flags = |v: &Value, key: &str| {
        let c = v.as_array().expect("list").iter().find(|c| c["key"] == key).expect("consumer").clone();
        (c["use_lti_pii"].as_bool().expect("bool"), c["require_user_account"].as_bool().expect("bool"))
    };
    assert_eq!(flags(&v, "plain"), (false, false), "off by default");
    assert_eq!(flags(&v, "strict"), (true, true));
    let o = cli(db, &["update", "--key", "strict", "--use-lti-pii", "false"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert_eq!(flags(&listed(db), "strict"), (false, true), "only the flag given changes");
    let o = cli(db, &["update", "--key", "plain", "--require-user-account", "true"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert_eq!(flags(&listed(db), "plain"), (false, true));
    // Nothing to change (2), an unknown key (4), not a boolean (clap's 2): nothing changes.
    let o = cli(db, &["update", "--key", "plain"]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    let o = cli(db, &["update", "--key", "nobody", "--use-lti-pii", "true"]);
    assert_eq!(o.status.code(), Some(4), "{}", text(&o));
    let o = cli(db, &["update", "--key", "plain", "--use-lti-pii", "maybe"]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert_eq!(flags(&listed(db), "plain"), (false, true));
}
crate::on_both_backends!(cli_sets_the_consumer_opt_ins, cli_flags);

// ---- require_user_account: a launch links only the LMS account of its own email ----

async fn link_needs_the_launch_email(db: &TestDb) {
    let app = TestApp::with_config(db, config(db)).await;
    add_consumer(&db.store).await;
    let (status, v) = patch_consumer(&app, r#"{"require_user_account": true}"#).await;
    assert_eq!(status, StatusCode::OK, "{v}");
    let confirm = |cookie: String| {
        Request::post("/lti_provider/link").header(header::COOKIE, cookie).body(Body::empty()).expect("req")
    };
    let page = |cookie: String| {
        Request::get("/lti_provider/link").header(header::COOKIE, cookie).body(Body::empty()).expect("req")
    };
    let users_before = count(db, "select count(*) from app_user").await;

    // A launch without the learner's email cannot be linked by anyone: refused, nothing stored
    // (not even its nonce), no session.
    let (status, headers, body) = launch(&app, &Launch::new(BASE, "mallory-lti"), None).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{}", String::from_utf8_lossy(&body));
    let v: Value = serde_json::from_slice(&body).expect("JSON error");
    assert_eq!(v["error"]["code"], "invalid_request", "{v}");
    assert!(v["error"]["message"].as_str().expect("message").contains("lis_person_contact_email_primary"), "{v}");
    assert!(headers.get(header::SET_COOKIE).is_none(), "no pending link kept");
    assert_eq!(count(db, "select count(*) from lti_nonce").await, 0, "nothing stored");
    assert_eq!(count(db, "select count(*) from lti_user").await, 0);
    assert_eq!(count(db, "select count(*) from app_user").await, users_before);

    // The attack: Mallory saves her own signed launch (it carries her email, as her LMS
    // knows it) and makes the victim's browser POST it. The victim is signed in to the LMS.
    let victim = lms_cookies(&token(&app, 61, "victim", false));
    let mallory_launch = with_email(Launch::new(BASE, "mallory-lti"), "mallory@lms.example.edu");
    let (status, headers, _) = launch(&app, &mallory_launch, Some(&victim)).await;
    assert_eq!((status, headers[header::LOCATION].to_str().expect("a")), (StatusCode::SEE_OTHER, "/lti_provider/link"));
    let planted = session_of(&headers);
    // The step offers the victim no link: the launch is not theirs.
    let (status, _, body) = app.send(page(format!("{planted}; {victim}"))).await;
    let html = String::from_utf8_lossy(&body).into_owned();
    assert_eq!(status, StatusCode::OK, "{html}");
    assert!(html.contains("data-step=\"not-yours\"") && !html.contains("<form"), "{html}");
    // The victim clicks anyway (or the attacker's page submits the same-site form): refused.
    let (status, headers, body) = app.send(confirm(format!("{planted}; {victim}"))).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{}", String::from_utf8_lossy(&body));
    let v: Value = serde_json::from_slice(&body).expect("JSON error");
    assert_eq!(v["error"]["code"], "forbidden", "{v}");
    assert!(headers.get(header::LOCATION).is_none());
    assert_eq!(mapped_username(&db.store, "mallory-lti").await, None, "the victim's account is not linked");
    assert_eq!(count(db, "select count(*) from lti_user").await, 0);
    // Mallory's next launch still has no account to sign in as.
    let again = with_email(Launch::new(BASE, "mallory-lti"), "mallory@lms.example.edu");
    let (status, headers, _) = launch(&app, &again, None).await;
    assert_eq!((status, headers[header::LOCATION].to_str().expect("a")), (StatusCode::SEE_OTHER, "/lti_provider/link"));
    let (_, v) = app.json(sfn("session_info", Some(&session_of(&headers)), "{}".into())).await;
    assert_ne!(v["user"]["username"], "victim", "{v}");

    // The victim's own launch (their email, in another case and padded) links their account.
    let own = with_email(Launch::new(BASE, "victim-lti"), " Victim@LMS.example.edu ");
    let (_, headers, _) = launch(&app, &own, None).await;
    let pending = session_of(&headers);
    let (_, _, body) = app.send(page(format!("{pending}; {victim}"))).await;
    assert!(String::from_utf8_lossy(&body).contains("data-step=\"confirm\""));
    let (status, headers, body) = app.send(confirm(format!("{pending}; {victim}"))).await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{}", String::from_utf8_lossy(&body));
    assert_eq!(headers[header::LOCATION], "/id-verification");
    assert_eq!(mapped_username(&db.store, "victim-lti").await.as_deref(), Some("victim"));
    assert_eq!(mapped_username(&db.store, "mallory-lti").await, None);
    assert_eq!(count(db, "select count(*) from lti_user").await, 1);
}
crate::on_both_backends!(
    require_user_account_links_only_the_account_with_the_launch_email,
    link_needs_the_launch_email
);

// ---- use_lti_pii: an email from a launch is no proof of identity ----

async fn lti_email_is_not_an_identity(db: &TestDb) {
    let app = TestApp::with_config(db, config(db)).await;
    add_consumer(&db.store).await;
    let (status, v) = patch_consumer(&app, r#"{"use_lti_pii": true}"#).await;
    assert_eq!(status, StatusCode::OK, "{v}");
    // Mallory's LMS lets learners edit their email (or the consumer says what it likes): her
    // launch carries the victim's address, and it fills her empty profile.
    let (status, _, _) =
        launch(&app, &with_pii(Launch::new(BASE, "mallory"), "Mallory", "victim@example.edu"), None).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let mallory = mapped_username(&db.store, "mallory").await.expect("mapped");
    assert_eq!(profile(db, &mallory).await.1, "victim@example.edu", "kept, to send emails to");
    let mallory_id =
        users::by_username(&mut db.store.conn().await.expect("c"), &mallory).await.expect("q").expect("u").id;

    // The operator verifies the victim by email: Mallory's account is not the victim.
    let file = db.dir.path().join("victims.csv");
    std::fs::write(&file, "email\nvictim@example.edu\n").expect("write");
    let run = || {
        std::process::Command::new(env!("CARGO_BIN_EXE_vouch"))
            .args(["manual-verifications", "--email-ids-file", file.to_str().expect("utf-8"), "--reason", "by email"])
            .arg("--json")
            .env("VOUCH_DATABASE__URL", &db.url)
            .env("VOUCH_LOG", "warn")
            .output()
            .expect("vouch runs")
    };
    let out = run();
    let report: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!("{e}: {}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr))
    });
    assert_eq!(out.status.code(), Some(1), "{report}");
    assert_eq!(report["failed"], json!(["victim@example.edu"]), "{report}");
    assert_eq!(report["created"], json!([]), "{report}");
    assert!(!server::service::idv::user_is_verified(&app.services, mallory_id).await.expect("status"));

    // The victim's own account (its email from the LMS) is the one verified; Mallory's is not.
    let victim =
        users::ensure(&mut db.store.conn().await.expect("c"), "victim", Some("victim@example.edu"), chrono::Utc::now())
            .await
            .expect("victim");
    let out = run();
    let report: Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(out.status.code(), Some(0), "{report}");
    assert_eq!(report["created"], json!(["victim@example.edu"]), "{report}");
    assert!(server::service::idv::user_is_verified(&app.services, victim.id).await.expect("status"));
    assert!(!server::service::idv::user_is_verified(&app.services, mallory_id).await.expect("status"));
}
crate::on_both_backends!(
    manual_verifications_by_email_never_match_an_email_from_an_lti_launch,
    lti_email_is_not_an_identity
);
