//! The staff console's own endpoint, `GET /api/v1/users/{username}/verified-names`,
//! through the real router with session cookies (as the console's browser sends them).

use crate::{
    on_both_backends,
    support::{TestApp, TestDb},
};
use axum::{
    body::Body,
    http::{Request, StatusCode, header},
};
use serde_json::{Value, json};
use server::store::users;

fn get(path: &str, cookie: Option<&str>) -> Request<Body> {
    let mut req = Request::get(path);
    if let Some(c) = cookie {
        req = req.header(header::COOKIE, c);
    }
    req.body(Body::empty()).expect("request")
}

fn post(path: &str, cookie: &str, body: Value) -> Request<Body> {
    Request::post(path)
        .header(header::COOKIE, cookie)
        .header(header::CONTENT_TYPE, "application/json")
        .header("sec-fetch-site", "same-origin")
        .body(Body::from(body.to_string()))
        .expect("request")
}

async fn make_staff(app: &TestApp, username: &str) {
    let mut conn = app.services.store.conn().await.expect("conn");
    let user = users::by_username(&mut conn, username).await.expect("query").expect("signed in before");
    users::set_staff(&mut conn, user.id, true).await.expect("set staff");
}

async fn verified_name_history(db: &TestDb) {
    let app = TestApp::new(db).await;
    let ada = app.login("ada").await;
    let sam = app.login("sam").await;
    make_staff(&app, "sam").await;

    // Ada asks twice; the history keeps both requests, oldest first.
    for name in ["Ada Lovelace", "Augusta Ada King"] {
        let (status, body) = app.json(post("/api/v1/verified_name", &ada, json!({"verified_name": name}))).await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
    }

    let (status, page) = app.json(get("/api/v1/users/ada/verified-names", Some(&sam))).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert_eq!(page["count"], 2, "{page}");
    assert_eq!(page["num_pages"], 1);
    let first = &page["results"][0];
    assert_eq!((first["verified_name"].as_str(), first["status"].as_str()), (Some("Ada Lovelace"), Some("pending")));
    assert_eq!(first["cause"], "requested");
    assert!(first["at"].as_str().is_some_and(|t| t.ends_with('Z')), "{first}");
    assert_eq!(page["results"][1]["verified_name"], "Augusta Ada King");

    // Paginated like every list.
    let (status, one) = app.json(get("/api/v1/users/ada/verified-names?page=2&page_size=1", Some(&sam))).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!((one["count"].as_i64(), one["current_page"].as_i64()), (Some(2), Some(2)));
    assert_eq!(one["results"].as_array().map(Vec::len), Some(1));
    assert_eq!(one["results"][0]["verified_name"], "Augusta Ada King");
    assert!(one["next"].is_null() && one["previous"].as_str().is_some_and(|p| p.contains("page=1")), "{one}");
    let (status, body) = app.json(get("/api/v1/users/ada/verified-names?page_size=101", Some(&sam))).await;
    assert_eq!((status, body["error"]["code"].as_str()), (StatusCode::BAD_REQUEST, Some("invalid_request")));

    // Staff only: anonymous 401, a learner 403 (even for their own, which has its own endpoint).
    let (status, body) = app.json(get("/api/v1/users/ada/verified-names", None)).await;
    assert_eq!((status, body["error"]["code"].as_str()), (StatusCode::UNAUTHORIZED, Some("unauthenticated")));
    let (status, body) = app.json(get("/api/v1/users/ada/verified-names", Some(&ada))).await;
    assert_eq!((status, body["error"]["code"].as_str()), (StatusCode::FORBIDDEN, Some("forbidden")));
    let (status, _) = app.json(get("/api/v1/users/nobody/verified-names", Some(&sam))).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // A learner with no names: an empty page.
    let (status, empty) = app.json(get("/api/v1/users/sam/verified-names", Some(&sam))).await;
    assert_eq!((status, empty["count"].as_i64()), (StatusCode::OK, Some(0)));

    // Documented in the OpenAPI document.
    let (_, doc) = app.json(get("/api/v1/openapi.json", None)).await;
    assert!(doc["paths"]["/api/v1/users/{username}/verified-names"]["get"].is_object());
}
on_both_backends!(verified_name_history_for_staff, verified_name_history);

/// `/staff` and every path under it get the console's own index.html; its assets come from
/// dist/staff; the learner SPA keeps its own fallback.
async fn console_is_served_under_staff(db: &TestDb) {
    let dist = tempfile::tempdir().expect("dist");
    std::fs::create_dir_all(dist.path().join("staff")).expect("mkdir");
    std::fs::write(dist.path().join("index.html"), "learner spa").expect("write");
    std::fs::write(dist.path().join("staff/index.html"), "staff console").expect("write");
    std::fs::write(dist.path().join("staff/staff-1.js"), "console code").expect("write");
    let mut cfg = db.config();
    cfg.server.static_dir = dist.path().to_owned();
    let app = TestApp::with_config(db, cfg).await;
    let body = |path: &'static str| {
        let app = &app;
        async move {
            let (status, _, body) = app.send(get(path, None)).await;
            (status, String::from_utf8(body).expect("utf-8"))
        }
    };
    for path in ["/staff", "/staff/", "/staff/learners/ada", "/staff/deadlines"] {
        assert_eq!(body(path).await, (StatusCode::OK, "staff console".to_owned()), "{path}");
    }
    assert_eq!(body("/staff/staff-1.js").await, (StatusCode::OK, "console code".to_owned()));
    assert_eq!(body("/id-verification/status").await, (StatusCode::OK, "learner spa".to_owned()));
    assert_eq!(body("/staffing").await, (StatusCode::OK, "learner spa".to_owned()), "not under /staff");
}
on_both_backends!(console_served_under_staff, console_is_served_under_staff);
