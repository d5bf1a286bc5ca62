//! Probes and the JSON error envelope for errors made outside our handlers.

use crate::{
    on_both_backends,
    support::{TestApp, TestDb},
};
use axum::{
    body::Body,
    http::{Request, StatusCode},
};
use serde_json::json;

async fn probes_answer(db: &TestDb) {
    let app = TestApp::new(db).await;
    let (s, v) = app.json(Request::get("/healthz").body(Body::empty()).expect("req")).await;
    assert_eq!((s, v), (StatusCode::OK, json!({"status": "ok"})));
    let (s, v) = app.json(Request::get("/readyz").body(Body::empty()).expect("req")).await;
    assert_eq!((s, v), (StatusCode::OK, json!({"status": "ready"})));

    // Once the database is gone, readiness says so with a 503 envelope.
    app.services.store.close().await;
    let (s, v) = app.json(Request::get("/readyz").body(Body::empty()).expect("req")).await;
    assert_eq!(s, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(v["error"]["code"], "unavailable");
}
on_both_backends!(probes, probes_answer);

async fn errors_are_json(db: &TestDb) {
    let app = TestApp::new(db).await;
    let (s, v) = app.json(Request::get("/api/v1/nothing-here").body(Body::empty()).expect("req")).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    assert_eq!(v["error"]["code"], "not_found");

    // Wrong method on a known route: 405 envelope, Allow kept.
    let (s, h, body) = app.send(Request::get("/auth/dev-login").body(Body::empty()).expect("req")).await;
    assert_eq!(s, StatusCode::METHOD_NOT_ALLOWED);
    assert!(h.contains_key("allow"));
    let v: serde_json::Value = serde_json::from_slice(&body).expect("json");
    assert_eq!(v["error"]["code"], "method_not_allowed");

    // A form that is not a form.
    let req = Request::post("/auth/dev-login").header("content-type", "text/plain").body(Body::from("x")).expect("req");
    let (s, v) = app.json(req).await;
    assert!(s.is_client_error(), "{s}");
    assert!(v["error"]["code"].is_string());
}
on_both_backends!(error_envelope, errors_are_json);

async fn dev_login_is_off_by_default(db: &TestDb) {
    let mut cfg = db.config();
    cfg.auth.dev_login = false;
    let app = TestApp::with_config(db, cfg).await;
    let req = Request::post("/auth/dev-login")
        .header("content-type", "application/x-www-form-urlencoded")
        .body(Body::from("username=mallory"))
        .expect("req");
    let (s, v) = app.json(req).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    assert_eq!(v["error"]["code"], "not_found");
    let mut conn = app.services.store.conn().await.expect("conn");
    assert!(server::store::users::by_username(&mut conn, "mallory").await.expect("query").is_none());
}
on_both_backends!(dev_login_off, dev_login_is_off_by_default);
