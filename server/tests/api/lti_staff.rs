//! The staff console's consumer management: `/api/v1/lti/consumers`, staff only; secrets
//! go in and never come back; a consumer added here can launch at once.

use crate::{
    lti_support::{LAUNCH_PATH, Launch, sign},
    support::{TestApp, TestDb},
};
use axum::{
    body::Body,
    http::{Request, StatusCode, header},
};
use serde_json::{Value, json};
use server::store::users;

const BASE: &str = "http://127.0.0.1:8000";

fn req(method: &str, path: &str, cookie: Option<&str>, body: Option<Value>) -> Request<Body> {
    let mut b = Request::builder().method(method).uri(path);
    if let Some(c) = cookie {
        b = b.header(header::COOKIE, c);
    }
    match body {
        Some(v) => b.header(header::CONTENT_TYPE, "application/json").body(Body::from(v.to_string())),
        None => b.body(Body::empty()),
    }
    .expect("request")
}

async fn staff_console(db: &TestDb) {
    let mut cfg = db.config();
    cfg.server.public_url = BASE.into();
    let app = TestApp::with_config(db, cfg).await;
    let learner = app.login("learner").await;
    let boss = app.login("boss").await;
    let mut conn = db.store.conn().await.expect("conn");
    let id = users::by_username(&mut conn, "boss").await.expect("q").expect("boss").id;
    users::set_staff(&mut conn, id, true).await.expect("staff");
    drop(conn);
    let secret = "console-secret-0123456789";
    let body = json!({"name": "Canvas", "key": "canvas", "secret": secret,
                      "allowed_outcome_hosts": "canvas.example.edu", "frame_ancestors": "https://canvas.example.edu"});

    let (status, _) = app.json(req("GET", "/api/v1/lti/consumers", None, None)).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, _) = app.json(req("POST", "/api/v1/lti/consumers", Some(&learner), Some(body.clone()))).await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    let (status, headers, raw) = app.send(req("POST", "/api/v1/lti/consumers", Some(&boss), Some(body.clone()))).await;
    assert_eq!(status, StatusCode::CREATED, "{}", String::from_utf8_lossy(&raw));
    assert!(headers[header::CONTENT_TYPE].to_str().expect("ascii").starts_with("application/json"));
    assert!(!String::from_utf8_lossy(&raw).contains(secret), "the secret is never returned");
    let added: Value = serde_json::from_slice(&raw).expect("json");
    assert_eq!(added["key"], "canvas");
    assert_eq!(added["allowed_outcome_hosts"], json!(["canvas.example.edu"]));
    let (status, v) = app.json(req("POST", "/api/v1/lti/consumers", Some(&boss), Some(body.clone()))).await;
    assert_eq!(status, StatusCode::CONFLICT, "{v}");
    let short = json!({"name": "X", "key": "x", "secret": "short"});
    let (status, v) = app.json(req("POST", "/api/v1/lti/consumers", Some(&boss), Some(short))).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(v["error"]["message"].as_str().expect("m").contains("16 characters"));
    // A cross-site form cannot add one (JSON only).
    let form = Request::post("/api/v1/lti/consumers")
        .header(header::COOKIE, &boss)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(format!("name=E&key=evil&secret={secret}")))
        .expect("req");
    let (status, _) = app.json(form).await;
    assert_eq!(status, StatusCode::UNSUPPORTED_MEDIA_TYPE);

    let (status, headers, raw) = app.send(req("GET", "/api/v1/lti/consumers", Some(&boss), None)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(headers[header::CONTENT_TYPE].to_str().expect("ascii").starts_with("application/json"));
    assert!(!String::from_utf8_lossy(&raw).contains(secret));
    let listed: Value = serde_json::from_slice(&raw).expect("json");
    assert_eq!(listed.as_array().map(Vec::len), Some(1));
    // The console reads the list as the shared body, and adds with the shared request.
    let typed: Vec<rest_types::LtiConsumerBody> = serde_json::from_value(listed).expect("the console's body");
    assert_eq!((typed[0].key.as_str(), typed[0].use_lti_pii), ("canvas", false));
    let console_add = rest_types::NewLtiConsumer {
        name: "Moodle".into(),
        key: "moodle".into(),
        secret: secret.into(),
        use_lti_pii: true,
        require_user_account: false,
    };
    let console_add = serde_json::to_value(console_add).expect("json");
    let (status, v) = app.json(req("POST", "/api/v1/lti/consumers", Some(&boss), Some(console_add))).await;
    assert_eq!(status, StatusCode::CREATED, "{v}");
    let typed: rest_types::LtiConsumerBody = serde_json::from_value(v).expect("the console's body");
    assert!(typed.use_lti_pii && !typed.require_user_account);
    let off = serde_json::to_value(rest_types::LtiConsumerUpdate { use_lti_pii: Some(false), ..Default::default() })
        .expect("json");
    assert_eq!(off, json!({"use_lti_pii": false}), "an opt-in not changed is not sent");
    let (status, v) = app.json(req("PATCH", "/api/v1/lti/consumers/moodle", Some(&boss), Some(off))).await;
    assert_eq!(status, StatusCode::OK, "{v}");
    assert_eq!(v["use_lti_pii"], false);
    let (status, _, _) = app.send(req("DELETE", "/api/v1/lti/consumers/moodle", Some(&boss), None)).await;
    assert_eq!(status, StatusCode::NO_CONTENT);

    // The new consumer launches at once.
    let mut launch = Launch::new(BASE, "u1");
    launch.key = "canvas".into();
    launch.secret = secret.into();
    let (status, headers, _) = app
        .send(
            Request::post(LAUNCH_PATH)
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .body(Body::from(sign(&launch)))
                .expect("req"),
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(headers[header::CONTENT_SECURITY_POLICY], "frame-ancestors https://canvas.example.edu");

    let (status, _, _) = app.send(req("DELETE", "/api/v1/lti/consumers/canvas", Some(&learner), None)).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _, _) = app.send(req("DELETE", "/api/v1/lti/consumers/canvas", Some(&boss), None)).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = app.json(req("DELETE", "/api/v1/lti/consumers/canvas", Some(&boss), None)).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (_, listed) = app.json(req("GET", "/api/v1/lti/consumers", Some(&boss), None)).await;
    assert_eq!(listed, json!([]));
}
crate::on_both_backends!(staff_manage_consumers, staff_console);
