//! The REST API through the real router: LMS JWT sign-in (header and cookie pair, HS256
//! and RS256), Open edX shapes, `/api/v1/` authorisation and pagination, CSRF, and the
//! OpenAPI document (validated by Python's `openapi-spec-validator`).

use crate::{
    on_both_backends,
    support::{TestApp, TestDb, fixture_keys},
};
use axum::{
    body::Body,
    http::{Request, StatusCode, header},
};
use jsonwebtoken::{Algorithm, EncodingKey, Header, encode};
use serde_json::{Value, json};
use server::{
    config::{Config, Secret},
    store::users,
};

const SECRET: &str = "lms-jwt-secret-for-tests";
const ISSUER: &str = "https://lms.example/oauth2";
const AUDIENCE: &str = "openedx";

fn jwt_config(db: &TestDb) -> Config {
    let mut cfg = db.config();
    cfg.auth.jwt_secret = Some(Secret::from(SECRET.to_owned()));
    cfg.auth.jwt_public_keys = Some(fixture_keys().public_pem);
    cfg.auth.jwt_issuer = Some(ISSUER.into());
    cfg.auth.jwt_audience = Some(AUDIENCE.into());
    cfg
}

fn claims(app: &TestApp, lms_id: i64, username: &str, admin: bool) -> Value {
    let exp = app.services.clock.now().timestamp() + 3600;
    json!({"user_id": lms_id, "preferred_username": username, "email": format!("{username}@example.com"),
        "name": format!("{username} Learner"), "administrator": admin, "exp": exp, "iss": ISSUER, "aud": AUDIENCE})
}

fn hs256(claims: &Value) -> String {
    encode(&Header::new(Algorithm::HS256), claims, &EncodingKey::from_secret(SECRET.as_bytes())).expect("token")
}

fn get(path: &str, token: &str) -> Request<Body> {
    Request::get(path).header(header::AUTHORIZATION, format!("JWT {token}")).body(Body::empty()).expect("request")
}

fn send_json(method: &str, path: &str, token: &str, body: Value) -> Request<Body> {
    Request::builder()
        .method(method)
        .uri(path)
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(body.to_string()))
        .expect("request")
}

async fn user_count(app: &TestApp) -> i64 {
    let mut conn = app.services.store.conn().await.expect("conn");
    users::search(&mut conn, "", 0, 1).await.expect("count").1
}

async fn jwt_sign_in(db: &TestDb) {
    let app = TestApp::with_config(db, jwt_config(db)).await;
    let token = hs256(&claims(&app, 41, "ada", false));
    let (status, body) = app.json(get("/verify_student/status/", &token)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body, json!({"status": "none", "can_verify": true}), "expires is omitted when there is none");
    let mut conn = app.services.store.conn().await.expect("conn");
    let ada = users::by_username(&mut conn, "ada").await.expect("query").expect("created from the claims");
    assert_eq!((ada.email.as_str(), ada.full_name.as_str(), ada.is_staff), ("ada@example.com", "ada Learner", false));
    drop(conn);

    // The same LMS user under a new username stays the same Vouch user.
    let renamed = hs256(&claims(&app, 41, "ada2", false));
    let (status, me) = app.json(get("/api/v1/me", &renamed)).await;
    assert_eq!((status, me["username"].as_str()), (StatusCode::OK, Some("ada2")));
    assert_eq!(user_count(&app).await, 1);

    // The Open edX cookie pair.
    let (hp, sig) = token.rsplit_once('.').expect("three parts");
    let req = Request::get("/api/v1/me")
        .header(header::COOKIE, format!("edx-jwt-cookie-header-payload={hp}; edx-jwt-cookie-signature={sig}"))
        .body(Body::empty())
        .expect("request");
    let (status, me) = app.json(req).await;
    assert_eq!((status, me["username"].as_str()), (StatusCode::OK, Some("ada")));

    // RS256 with the configured public key.
    let rs = encode(
        &Header::new(Algorithm::RS256),
        &claims(&app, 42, "grace", true),
        &EncodingKey::from_rsa_pem(fixture_keys().private_pem.as_bytes()).expect("key"),
    )
    .expect("token");
    let (status, me) = app.json(get("/api/v1/me", &rs)).await;
    assert_eq!((status, me["is_staff"].as_bool()), (StatusCode::OK, Some(true)), "administrator claim is staff");

    // Refusals: 401 JSON, and no user created.
    let before = user_count(&app).await;
    let bad_sig =
        encode(&Header::new(Algorithm::HS256), &claims(&app, 50, "mallory", false), &EncodingKey::from_secret(b"nope"))
            .expect("token");
    let mut wrong_aud = claims(&app, 51, "mallory", false);
    wrong_aud["aud"] = json!("someone-else");
    let mut wrong_iss = claims(&app, 52, "mallory", false);
    wrong_iss["iss"] = json!("https://evil.example");
    let mut expired = claims(&app, 53, "mallory", false);
    expired["exp"] = json!(app.services.clock.now().timestamp() - 3600);
    for token in [bad_sig, hs256(&wrong_aud), hs256(&wrong_iss), hs256(&expired), "garbage".to_owned()] {
        let (status, body) = app.json(get("/verify_student/status/", &token)).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
        assert_eq!(body["error"]["code"], "unauthenticated");
    }
    let basic =
        Request::get("/api/v1/me").header(header::AUTHORIZATION, "Basic YTpi").body(Body::empty()).expect("req");
    assert_eq!(app.json(basic).await.0, StatusCode::UNAUTHORIZED);
    let anonymous = Request::get("/verify_student/status/").body(Body::empty()).expect("request");
    assert_eq!(app.json(anonymous).await.0, StatusCode::UNAUTHORIZED);
    assert_eq!(user_count(&app).await, before);
}
on_both_backends!(jwt_sign_in_and_refusals, jwt_sign_in);

async fn open_edx_shapes(db: &TestDb) {
    let app = TestApp::with_config(db, jwt_config(db)).await;
    let ada = hs256(&claims(&app, 1, "ada", false));
    let bob = hs256(&claims(&app, 2, "bob", false));
    let staff = hs256(&claims(&app, 3, "sam", true));
    assert_eq!(app.json(get("/api/v1/me", &ada)).await.0, StatusCode::OK);

    // Nothing yet: 404 as Open edX answers.
    let (status, _) = app.json(get("/api/user/v1/accounts/ada/verification_status/", &ada)).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // Staff verify ada by hand through the API; a learner may not.
    let manual = json!({"reason": "checked the passport on a call"});
    let (status, _) = app.json(send_json("POST", "/api/v1/users/ada/manual-verifications", &bob, manual.clone())).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, created) =
        app.json(send_json("POST", "/api/v1/users/ada/manual-verifications", &staff, manual.clone())).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let (status, _) =
        app.json(send_json("POST", "/api/v1/users/ada/manual-verifications", &staff, json!({"reason": " "}))).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, _) =
        app.json(send_json("POST", "/api/v1/users/nobody/manual-verifications", &staff, manual.clone())).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    let (status, body) = app.json(get("/api/user/v1/accounts/ada/verification_status/", &ada)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["status"], "approved");
    assert_eq!(body["is_verified"], true);
    assert!(body["expiration_datetime"].as_str().is_some_and(|s| s.ends_with('Z')), "{body}");
    let (status, list) = app.json(get("/api/user/v1/accounts/ada/verifications/", &staff)).await;
    assert_eq!(status, StatusCode::OK);
    let first = &list[0];
    assert_eq!((first["type"].as_str(), first["status"].as_str()), (Some("Manual"), Some("approved")));
    for key in ["expiration_datetime", "message", "updated_at", "receipt_id"] {
        assert!(first.get(key).is_some(), "missing {key}: {first}");
    }
    let (status, body) = app.json(get("/verify_student/status/", &ada)).await;
    assert_eq!(
        (status, body["status"].as_str(), body["can_verify"].as_bool()),
        (StatusCode::OK, Some("approved"), Some(false))
    );
    assert!(body["expires"].is_string());

    // Another learner's data: 403; staff see it.
    for path in [
        "/api/user/v1/accounts/ada/verification_status/",
        "/api/user/v1/accounts/ada/verifications/",
        "/api/v1/users/ada/status",
        "/api/v1/users/ada/attempts",
    ] {
        assert_eq!(app.json(get(path, &bob)).await.0, StatusCode::FORBIDDEN, "{path}");
        assert_eq!(app.json(get(path, &staff)).await.0, StatusCode::OK, "{path}");
        let anonymous = Request::get(path).body(Body::empty()).expect("request");
        assert_eq!(app.json(anonymous).await.0, StatusCode::UNAUTHORIZED, "{path}");
    }

    // Revoke with a reason; then the history shows both changes, by staff.
    let id = created["id"].as_i64().expect("id");
    let revoke = format!("/api/v1/manual-verifications/{id}/revoke");
    let (status, _, _) = app.send(send_json("POST", &revoke, &staff, json!({"reason": "mistake"}))).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = app.json(send_json("POST", &revoke, &staff, json!({"reason": "again"}))).await;
    assert_eq!(status, StatusCode::CONFLICT);
    let (status, history) = app.json(get(&format!("/api/v1/attempts/manual/{id}/history"), &staff)).await;
    assert_eq!(status, StatusCode::OK);
    let tos: Vec<&str> = history["results"].as_array().expect("list").iter().filter_map(|t| t["to"].as_str()).collect();
    assert_eq!(tos, ["approved", "denied"]);
    assert_eq!(history["results"][1]["actor_kind"], "staff");
    assert_eq!(app.json(get(&format!("/api/v1/attempts/manual/{id}/history"), &ada)).await.0, StatusCode::FORBIDDEN);
    assert_eq!(app.json(get("/api/v1/attempts/manual/999999/history", &staff)).await.0, StatusCode::NOT_FOUND);
    assert_eq!(app.json(get("/api/v1/attempts/bogus/1/history", &staff)).await.0, StatusCode::NOT_FOUND);
}
on_both_backends!(open_edx_shapes_and_authorisation, open_edx_shapes);

async fn pagination_and_deadlines(db: &TestDb) {
    let app = TestApp::with_config(db, jwt_config(db)).await;
    let staff = hs256(&claims(&app, 3, "sam", true));
    let ada = hs256(&claims(&app, 1, "ada", false));
    assert_eq!(app.json(get("/api/v1/me", &ada)).await.0, StatusCode::OK);
    for i in 0..3 {
        let body = json!({"reason": format!("call {i}")});
        let (status, _) = app.json(send_json("POST", "/api/v1/users/ada/manual-verifications", &staff, body)).await;
        assert_eq!(status, StatusCode::CREATED);
    }
    let (status, page) = app.json(get("/api/v1/users/ada/attempts?page=2&page_size=2", &ada)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        (page["count"].as_u64(), page["num_pages"].as_u64(), page["current_page"].as_u64()),
        (Some(3), Some(2), Some(2))
    );
    assert_eq!(page["results"].as_array().map(Vec::len), Some(1));
    assert!(page["next"].is_null());
    assert!(page["previous"].as_str().is_some_and(|p| p.ends_with("/api/v1/users/ada/attempts?page=1&page_size=2")));
    for bad in ["page=0", "page_size=0", "page_size=101", "page=x"] {
        let (status, body) = app.json(get(&format!("/api/v1/users/ada/attempts?{bad}"), &ada)).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}: {body}");
    }
    let (status, found) = app.json(get("/api/v1/users?search=AD&page_size=1", &staff)).await;
    assert_eq!((status, found["count"].as_u64()), (StatusCode::OK, Some(1)));
    assert_eq!(found["results"][0]["username"], "ada");
    assert_eq!(app.json(get("/api/v1/users?search=a", &ada)).await.0, StatusCode::FORBIDDEN);
    let (_, wildcard) = app.json(get("/api/v1/users?search=%25", &staff)).await;
    assert_eq!(wildcard["count"], 0, "a % in the search matches itself only");

    // Deadlines: learners read, staff write; the history keeps both values, newest first.
    let course = "/api/v1/courses/course-v1:edX+Demo+2026/deadline";
    let (status, body) = app.json(get(course, &ada)).await;
    assert_eq!((status, body["deadline"].clone()), (StatusCode::OK, Value::Null));
    let first = json!({"deadline": "2026-12-01T00:00:00Z"});
    assert_eq!(app.json(send_json("PUT", course, &ada, first.clone())).await.0, StatusCode::FORBIDDEN);
    assert_eq!(app.json(send_json("PUT", course, &staff, first)).await.0, StatusCode::OK);
    let (status, _) = app.json(send_json("PUT", course, &staff, json!({"deadline": "2027-01-15T12:00:00Z"}))).await;
    assert_eq!(status, StatusCode::OK);
    let (status, body) = app.json(send_json("PUT", course, &staff, json!({"deadline": "not a date"}))).await;
    assert!(status.is_client_error(), "{status} {body}");
    let (_, body) = app.json(get(course, &ada)).await;
    assert_eq!(body["deadline"], "2027-01-15T12:00:00Z");
    let (status, history) = app.json(get(&format!("{course}/history"), &staff)).await;
    assert_eq!(status, StatusCode::OK);
    let values: Vec<&str> =
        history["results"].as_array().expect("list").iter().filter_map(|c| c["deadline"].as_str()).collect();
    assert_eq!(values, ["2027-01-15T12:00:00Z", "2026-12-01T00:00:00Z"]);
    assert_eq!(history["results"][0]["changed_by"], "staff:sam");
}
on_both_backends!(pagination_and_deadlines_api, pagination_and_deadlines);

async fn csrf(db: &TestDb) {
    let app = TestApp::new(db).await;
    let cookie = app.login("ada").await;
    let logout = |origin: Option<&str>, site: Option<&str>| {
        let mut b = Request::post("/sfn/session_info")
            .header(header::COOKIE, &cookie)
            .header(header::CONTENT_TYPE, "application/json");
        if let Some(o) = origin {
            b = b.header(header::ORIGIN, o);
        }
        if let Some(s) = site {
            b = b.header("sec-fetch-site", s);
        }
        b.body(Body::from("{}")).expect("request")
    };
    let public = app.services.cfg.server.public_url.trim_end_matches('/').to_owned();
    assert_eq!(app.send(logout(Some("https://evil.example"), None)).await.0, StatusCode::FORBIDDEN);
    assert_eq!(app.send(logout(None, Some("cross-site"))).await.0, StatusCode::FORBIDDEN);
    assert_eq!(app.send(logout(Some(&public), None)).await.0, StatusCode::OK);
    assert_eq!(app.send(logout(None, Some("same-origin"))).await.0, StatusCode::OK);
}
on_both_backends!(csrf_refuses_cross_site_cookie_writes, csrf);

async fn openapi(db: &TestDb) {
    let app = TestApp::new(db).await;
    let (status, doc) = app.json(Request::get("/api/v1/openapi.json").body(Body::empty()).expect("request")).await;
    assert_eq!(status, StatusCode::OK);
    let paths = doc["paths"].as_object().expect("paths");
    for required in [
        "/verify_student/status/",
        "/api/user/v1/accounts/{username}/verification_status/",
        "/api/user/v1/accounts/{username}/verifications/",
        "/verify_student/submit-photos/",
        "/verify_student/results_callback",
        "/verify_student/photo-urls/{receipt_id}",
        "/api/v1/me",
        "/api/v1/verified_user_ids",
        "/api/v1/verification_statuses",
        "/api/v1/verify_location",
        "/api/v1/users/{username}/sso-verifications",
        "/api/v1/users/{username}/retire",
        "/api/v1/retry-config",
    ] {
        assert!(paths.contains_key(required), "{required} is not documented");
    }
    for (path, ops) in paths {
        for (method, op) in ops.as_object().expect("operations") {
            let described =
                ["summary", "description"].iter().any(|k| op[k].as_str().is_some_and(|s| !s.trim().is_empty()));
            assert!(described, "{method} {path} has no description");
            assert!(op["responses"].as_object().is_some_and(|r| !r.is_empty()), "{method} {path} has no responses");
            // Every documented route exists: it never answers the unknown-route 404.
            let concrete = path.replace("{kind}", "photo").replace('{', "x").replace('}', "");
            let req = Request::builder()
                .method(method.to_uppercase().as_str())
                .uri(&concrete)
                .body(Body::empty())
                .expect("req");
            let (_, _, body) = app.send(req).await;
            assert!(!String::from_utf8_lossy(&body).contains("No such endpoint"), "{method} {path} is not routed");
        }
    }
    let file = db.dir.path().join("openapi.json");
    std::fs::write(&file, serde_json::to_vec(&doc).expect("json")).expect("write");
    let out = std::process::Command::new("python3")
        .args(["-c", "import sys, json; from openapi_spec_validator import validate; validate(json.load(open(sys.argv[1]))); print('valid')"])
        .arg(&file)
        .output()
        .expect("python3 runs (cargo xtask test installs openapi-spec-validator)");
    assert!(out.status.success(), "invalid OpenAPI: {}", String::from_utf8_lossy(&out.stderr));
}
on_both_backends!(openapi_document_is_complete_and_valid, openapi);

async fn pay_and_verify(db: &TestDb) {
    use server::config::{ConfiguredEnrollment, CourseModes};
    let course = "course-v1:edX+Pay+2026";
    let mut cfg = jwt_config(db);
    cfg.commerce.basket_url = Some("https://ecommerce.example/basket/add/".into());
    let modes = serde_json::from_value(json!([
        {"slug": "audit", "min_price": 0},
        {"slug": "verified", "min_price": 4900, "sku": "SKU-V1"}
    ]))
    .expect("modes");
    cfg.commerce.courses = vec![CourseModes { course_key: course.into(), modes }];
    cfg.commerce.enrollments = vec![
        ConfiguredEnrollment {
            username: "audited".into(),
            course_key: course.into(),
            mode: "audit".into(),
            is_active: true,
        },
        ConfiguredEnrollment {
            username: "paid".into(),
            course_key: course.into(),
            mode: "verified".into(),
            is_active: true,
        },
    ];
    let app = TestApp::with_config(db, cfg).await;
    let path = |q: &str| format!("/api/v1/pay-and-verify/{course}?{q}");
    let newcomer = hs256(&claims(&app, 1, "newcomer", false));
    let (status, body) = app.json(get(&path("message=first-time-verify"), &newcomer)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!((body["outcome"].as_str(), body["redirect_to"].as_str()), (Some("redirect"), Some("checkout")));
    assert_eq!(body["redirect_url"], "https://ecommerce.example/basket/add/?sku=SKU%2DV1");

    let audited = hs256(&claims(&app, 2, "audited", false));
    let (_, body) = app.json(get(&path("message=verify-now"), &audited)).await;
    assert_eq!(body["redirect_to"], "upgrade_and_verify");
    assert!(body["redirect_url"].as_str().is_some_and(|u| u.contains("/verify_student/upgrade/")));

    let paid = hs256(&claims(&app, 3, "paid", false));
    let (_, body) = app.json(get(&path("message=verify-now&current_step=id-photo-step"), &paid)).await;
    assert_eq!(body["outcome"], "show", "{body}");
    let names: Vec<&str> =
        body["display_steps"].as_array().expect("steps").iter().filter_map(|s| s["name"].as_str()).collect();
    assert_eq!(
        names,
        ["intro-step", "face-photo-step", "id-photo-step", "review-photos-step", "enrollment-confirmation-step"]
    );
    assert_eq!(body["current_step"], "id-photo-step");
    assert_eq!(body["requirements"]["webcam-required"], true);
    assert_eq!(body["requirements"]["account-activation-required"], false);

    // A verified, paid learner goes to the dashboard; a passed deadline is reported.
    let staff = hs256(&claims(&app, 9, "sam", true));
    let (status, _) =
        app.json(send_json("POST", "/api/v1/users/paid/manual-verifications", &staff, json!({"reason": "ok"}))).await;
    assert_eq!(status, StatusCode::CREATED);
    let (_, body) = app.json(get(&path("message=verify-now"), &paid)).await;
    assert_eq!(body["redirect_to"], "dashboard");
    let past = (app.services.clock.now() - chrono::Duration::days(1)).to_rfc3339();
    let (status, _) = app
        .json(send_json("PUT", &format!("/api/v1/courses/{course}/deadline"), &staff, json!({"deadline": past})))
        .await;
    assert_eq!(status, StatusCode::OK);
    let (_, body) = app.json(get(&path("message=verify-now"), &paid)).await;
    assert_eq!(
        (body["outcome"].as_str(), body["deadline_name"].as_str()),
        (Some("deadline_passed"), Some("verification"))
    );

    // Bad input and unknown courses.
    assert_eq!(app.json(get(&path("message=bogus"), &paid)).await.0, StatusCode::BAD_REQUEST);
    assert_eq!(app.json(get(&path("current_step=nope"), &paid)).await.0, StatusCode::BAD_REQUEST);
    let (status, _) = app.json(get("/api/v1/pay-and-verify/course-v1:edX+Unknown+1", &paid)).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}
on_both_backends!(pay_and_verify_steps_and_redirects, pay_and_verify);

/// The LMS catalog: modes and enrollments read from an LMS API (a real HTTP server here).
#[tokio::test]
async fn pay_and_verify_reads_the_lms_api() {
    use axum::{Router, extract::Path, routing::get as route_get};
    let lms = Router::new()
        .route(
            "/api/course_modes/v1/courses/{course}/",
            route_get(|Path(course): Path<String>| async move {
                assert_eq!(course, "course-v1:edX+Lms+1");
                axum::Json(json!([{"course_id": course, "mode_slug": "verified", "min_price": 49, "sku": "LMS-SKU",
                    "expiration_datetime": null, "currency": "usd"}]))
            }),
        )
        .route(
            "/api/enrollment/v1/enrollment/{key}",
            route_get(|Path(key): Path<String>| async move {
                assert_eq!(key, "ada,course-v1:edX+Lms+1");
                axum::Json(json!({"mode": "audit", "is_active": true}))
            }),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("addr"));
    tokio::spawn(async move { axum::serve(listener, lms).await });
    let db = TestDb::sqlite().await;
    let mut cfg = jwt_config(&db);
    cfg.commerce.lms_api_url = Some(base);
    let app = TestApp::with_config(&db, cfg).await;
    let ada = hs256(&claims(&app, 1, "ada", false));
    let (status, body) = app.json(get("/api/v1/pay-and-verify/course-v1:edX+Lms+1?message=upgrade", &ada)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["outcome"], "show");
    assert_eq!(body["course_mode"]["min_price"], 4900, "whole units from the LMS, minor units in Vouch");
    assert_eq!(body["course_mode"]["sku"], "LMS-SKU");
}

async fn failed_jobs(db: &TestDb) {
    let app = TestApp::with_config(db, jwt_config(db)).await;
    let staff = hs256(&claims(&app, 9, "sam", true));
    let ada = hs256(&claims(&app, 1, "ada", false));
    let mut conn = app.services.store.conn().await.expect("conn");
    let now = app.services.clock.now();
    server::store::jobs::enqueue(&mut conn, "test.no_such_handler", "{}", "test-job-1", 1, now).await.expect("enqueue");
    drop(conn);
    server::reactions::runner(app.services.clone(), "test").run_once().await;
    let (status, page) = app.json(get("/api/v1/jobs?status=failed", &staff)).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert_eq!(page["count"], 1);
    let job = &page["results"][0];
    assert_eq!((job["kind"].as_str(), job["status"].as_str()), (Some("test.no_such_handler"), Some("failed")));
    assert!(job["last_error"].as_str().is_some_and(|e| e.contains("no handler")));
    let id = job["id"].as_i64().expect("id");
    assert_eq!(app.json(get("/api/v1/jobs", &ada)).await.0, StatusCode::FORBIDDEN);
    assert_eq!(app.json(get("/api/v1/jobs?status=exploded", &staff)).await.0, StatusCode::BAD_REQUEST);
    let retry = format!("/api/v1/jobs/{id}/retry");
    assert_eq!(app.send(send_json("POST", &retry, &staff, json!({}))).await.0, StatusCode::NO_CONTENT);
    let (_, page) = app.json(get("/api/v1/jobs?status=queued", &staff)).await;
    assert_eq!((page["count"].as_u64(), page["results"][0]["attempts"].as_i64()), (Some(1), Some(0)));
    assert_eq!(app.json(send_json("POST", &retry, &staff, json!({}))).await.0, StatusCode::CONFLICT);
    let (_, all) = app.json(get("/api/v1/jobs", &staff)).await;
    assert_eq!(all["count"], 1);
}
on_both_backends!(failed_jobs_listed_and_retried, failed_jobs);

/// Operation ids are unique (generated clients name their methods after them).
#[tokio::test]
async fn openapi_operation_ids_are_unique() {
    let db = TestDb::sqlite().await;
    let app = TestApp::new(&db).await;
    let (_, doc) = app.json(Request::get("/api/v1/openapi.json").body(Body::empty()).expect("request")).await;
    let mut seen = std::collections::HashSet::new();
    for (path, ops) in doc["paths"].as_object().expect("paths") {
        for (method, op) in ops.as_object().expect("operations") {
            let id = op["operationId"].as_str().unwrap_or_default().to_owned();
            assert!(seen.insert(id.clone()), "{method} {path}: operation id {id:?} is used twice");
        }
    }
}
