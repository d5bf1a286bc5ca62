//! Operations: Prometheus metrics, request ids, security headers, rate limits.

use crate::{
    on_both_backends,
    support::{TestApp, TestDb, data_url, jpeg_bytes},
};
use axum::{
    body::Body,
    http::{Request, StatusCode, header},
};
use server::config::Secret;

fn get(path: &str) -> Request<Body> {
    Request::get(path).body(Body::empty()).expect("request")
}

async fn metrics_and_headers(db: &TestDb) {
    let mut cfg = db.config();
    cfg.server.metrics_token = Some(Secret::from("scrape-me".to_owned()));
    let app = TestApp::with_config(db, cfg).await;
    let (status, headers, _) = app.send(get("/healthz")).await;
    assert_eq!(status, StatusCode::OK);
    let id = headers.get("x-request-id").and_then(|v| v.to_str().ok()).expect("a request id");
    assert_eq!(id.len(), 36, "a UUID: {id}");
    assert_eq!(headers.get("x-content-type-options").map(|v| v.as_bytes()), Some(&b"nosniff"[..]));
    assert!(headers.contains_key("referrer-policy"));
    let mine = Request::get("/healthz").header("x-request-id", "abc-123").body(Body::empty()).expect("request");
    let (_, headers, _) = app.send(mine).await;
    assert_eq!(headers.get("x-request-id").map(|v| v.as_bytes()), Some(&b"abc-123"[..]), "a caller's id is kept");

    let _ = app.send(get("/api/v1/me")).await;
    let (status, _, _) = app.send(get("/metrics")).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "the token is required when configured");
    let scrape =
        Request::get("/metrics").header(header::AUTHORIZATION, "Bearer scrape-me").body(Body::empty()).expect("req");
    let (status, _, body) = app.send(scrape).await;
    assert_eq!(status, StatusCode::OK);
    let text = String::from_utf8(body).expect("text");
    assert!(text.contains("vouch_http_request_duration_seconds_bucket"), "{text}");
    assert!(text.contains(r#"route="/api/v1/me""#), "latency labelled by route template");
    assert!(text.contains(r#"vouch_jobs{status="queued"}"#), "{text}");
}
on_both_backends!(metrics_request_ids_and_security_headers, metrics_and_headers);

/// Issue 17: the event bus counts each lifecycle event by type when it fans it out.
async fn lifecycle_events_counted(db: &TestDb) {
    let mut cfg = db.config();
    cfg.server.metrics_token = Some(Secret::from("scrape-me".to_owned()));
    let app = TestApp::with_config(db, cfg).await;
    app.login("eve").await;
    let mut conn = app.services.store.conn().await.expect("conn");
    let eve = server::store::users::by_username(&mut conn, "eve").await.expect("q").expect("user").id;
    drop(conn);
    let manual =
        server::service::manual_verifications::create_manual_verification(&app.services, eve, "Eve", "seen", None)
            .await
            .expect("manual");
    server::service::manual_verifications::revoke_manual_verification(&app.services, manual, None, "mistake")
        .await
        .expect("revoke");
    server::reactions::runner(app.services.clone(), "test").run_until_idle().await;
    let scrape =
        Request::get("/metrics").header(header::AUTHORIZATION, "Bearer scrape-me").body(Body::empty()).expect("req");
    let (status, _, body) = app.send(scrape).await;
    assert_eq!(status, StatusCode::OK);
    let text = String::from_utf8(body).expect("text");
    for t in ["approved", "denied"] {
        let line = format!(r#"vouch_lifecycle_events_total{{event="org.openedx.learning.idv_attempt.{t}.v1"}}"#);
        assert!(text.contains(&line), "{line} in {text}");
    }
}
on_both_backends!(lifecycle_events_are_counted_in_the_metrics, lifecycle_events_counted);

async fn rate_limits(db: &TestDb) {
    let mut cfg = db.config();
    cfg.limits.submit_per_user_per_minute = 2;
    cfg.limits.callback_per_second = 1;
    let app = TestApp::with_config(db, cfg).await;
    let cookie = app.login("ada").await;
    let photo = data_url("image/jpeg", &jpeg_bytes(100));
    let form = format!(
        "face_image={}&photo_id_image={}",
        percent_encoding::utf8_percent_encode(&photo, percent_encoding::NON_ALPHANUMERIC),
        percent_encoding::utf8_percent_encode(&photo, percent_encoding::NON_ALPHANUMERIC)
    );
    let submit = || {
        Request::post("/verify_student/submit-photos/")
            .header(header::COOKIE, &cookie)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(form.clone()))
            .expect("request")
    };
    let mut statuses = Vec::new();
    for _ in 0..3 {
        statuses.push(app.send(submit()).await.0);
    }
    assert_ne!(statuses[0], StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(statuses[2], StatusCode::TOO_MANY_REQUESTS, "{statuses:?}");
    let (status, body) = app.json(submit()).await;
    assert_eq!((status, body["error"]["code"].as_str()), (StatusCode::TOO_MANY_REQUESTS, Some("rate_limited")));

    let callback = || Request::post("/verify_student/results_callback").body(Body::from("{}")).expect("request");
    assert_ne!(app.send(callback()).await.0, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(app.send(callback()).await.0, StatusCode::TOO_MANY_REQUESTS);
}
on_both_backends!(rate_limits_on_submit_and_callback, rate_limits);
