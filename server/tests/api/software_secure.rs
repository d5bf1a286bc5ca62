//! The Software Secure pipeline with a vendor in the test that checks every request the
//! way the real one does: submit → sealed photos → signed request (photos fetched through
//! their expiring URLs and decrypted) → submitted → signed callback → decided. Plus every
//! refused callback, retries to must_retry, `retry-failed`, and the reuse of an ID photo.

use crate::{
    on_both_backends,
    support::{TestApp, TestDb, assert_no_plaintext_photos, data_url, fixture_keys, jpeg_bytes, sfn},
};
use app::domain::{AttemptKind, AttemptStatus, UserStatusKind};
use axum::{
    Router,
    body::{Body, Bytes},
    extract::State,
    http::{HeaderMap, Request, StatusCode, header},
    routing::post,
};
use serde_json::{Value, json};
use server::{
    service::{idv, retry},
    store::{attempts, jobs, transitions},
};
use ssencrypt::SignedHeaders;
use std::sync::{Arc, Mutex};

/// What the test vendor saw.
#[derive(Default)]
struct Vendor {
    received: Mutex<Vec<Value>>,
    answer: Mutex<u16>,
}

async fn vendor_endpoint(State(v): State<Arc<Vendor>>, headers: HeaderMap, body: Bytes) -> StatusCode {
    let keys = fixture_keys();
    let parsed = ssencrypt::python::loads_bytes(&body).expect("the request body is JSON");
    let signed = SignedHeaders::from_header_map(&headers).expect("signed headers");
    let auth = headers.get("authorization").and_then(|h| h.to_str().ok()).expect("Authorization");
    ssencrypt::verify_authorization(auth, "POST", &signed, &parsed, &keys.access_key, &keys.secret_key)
        .expect("the request signature verifies");
    v.received.lock().expect("lock").push(serde_json::from_slice(&body).expect("json"));
    StatusCode::from_u16(*v.answer.lock().expect("lock")).expect("status")
}

async fn start_vendor(answer: u16) -> (Arc<Vendor>, String) {
    let vendor = Arc::new(Vendor { answer: Mutex::new(answer), ..Vendor::default() });
    let app = Router::new().route("/", post(vendor_endpoint)).with_state(vendor.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let url = format!("http://{}/", listener.local_addr().expect("addr"));
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (vendor, url)
}

fn submit_body(with_id: bool, name: Option<&str>) -> String {
    let photo = data_url("image/jpeg", &jpeg_bytes(300));
    json!({"request": {"face_image": photo, "photo_id_image": if with_id { Some(&photo) } else { None }, "full_name": name}})
        .to_string()
}

/// A callback signed with `secret` (the fixture secret unless forged), dated `date`.
fn callback(body: &Value, date: &str, access: &str, secret: &str) -> Request<Body> {
    let py = ssencrypt::PyValue::from(body);
    let headers = SignedHeaders::from_pairs([("Content-Type", "application/json"), ("Date", date)]);
    let sig =
        ssencrypt::sign_message(secret, &ssencrypt::signing_string("POST", &headers, &py).expect("signing string"));
    Request::post("/verify_student/results_callback")
        .header("content-type", "application/json")
        .header("date", date)
        .header("authorization", ssencrypt::authorization_header(access, &sig))
        .body(Body::from(py.wire_json()))
        .expect("request")
}

fn now_date(app: &TestApp) -> String {
    ssencrypt::http_date(app.services.clock.now())
}

async fn the_attempt(app: &TestApp, username: &str) -> attempts::PhotoVerification {
    let mut conn = app.services.store.conn().await.expect("conn");
    let user = server::store::users::by_username(&mut conn, username).await.expect("q").expect("user");
    attempts::for_user(&mut conn, user.id).await.expect("list").remove(0)
}

async fn full_path(db: &TestDb) {
    let (vendor, vendor_url) = start_vendor(200).await;
    let (app, base) = TestApp::listening(db, |c| c.software_secure.api_url = vendor_url).await;
    let keys = fixture_keys();
    let ada = app.login("ada").await;
    let (s, v) = app.json(sfn("submit_photos", Some(&ada), submit_body(true, Some("Ada Lovelace")))).await;
    assert_eq!((s, &v["status"]), (StatusCode::OK, &json!("pending")), "{v}");
    assert_no_plaintext_photos(db);
    let attempt = the_attempt(&app, "ada").await;
    assert_eq!(attempt.status(), AttemptStatus::Ready);
    assert_eq!(attempt.photo_id_key.len(), 349, "PhotoIDKey: base64 wrapped at 76 columns");
    assert_eq!(attempt.user_photo_key.len(), 344, "UserPhotoKey: one line of base64");

    // The job sends it; the vendor verified the signature and got every field.
    server::reactions::runner(app.services.clone(), "test").run_until_idle().await;
    let sent = vendor.received.lock().expect("lock").clone();
    assert_eq!(sent.len(), 1);
    let req = &sent[0];
    assert_eq!(req["EdX-ID"], json!(attempt.receipt_id));
    assert_eq!(req["ExpectedName"], "Ada Lovelace");
    assert_eq!(req["SendResponseTo"], json!(format!("{base}/verify_student/results_callback")));
    assert_eq!(req["PhotoIDKey"], json!(attempt.photo_id_key));
    assert_eq!(the_attempt(&app, "ada").await.status(), AttemptStatus::Submitted);

    // The vendor fetches both photos through their URLs and decrypts them with its key.
    let private = ssencrypt::parse_private_key(&keys.private_pem).expect("key");
    let http = reqwest::Client::new();
    for (url_field, key_field) in [("UserPhoto", "UserPhotoKey"), ("PhotoID", "PhotoIDKey")] {
        let url = req[url_field].as_str().expect("url");
        let text =
            http.get(url).send().await.expect("fetch").error_for_status().expect("200").bytes().await.expect("body");
        let aes = ssencrypt::unwrap_photo_key(req[key_field].as_str().expect("key"), &private).expect("unwrap");
        assert_eq!(ssencrypt::decode_and_decrypt(&text, &aes).expect("decrypt"), jpeg_bytes(300));
        // A URL altered to reach another photo, or without its signature, is refused.
        let tampered = url.replace("signature=", "signature=0");
        assert_eq!(http.get(&tampered).send().await.expect("fetch").status(), 404);
        let unsigned = url.split('?').next().expect("path");
        assert!(http.get(unsigned).send().await.expect("fetch").status().is_client_error());
    }

    // The vendor's verdict, signed: approved. The same callback again is a replay.
    let pass = json!({"EdX-ID": attempt.receipt_id, "Result": "PASS", "Reason": "", "MessageType": ""});
    let req = callback(&pass, &now_date(&app), &keys.access_key, &keys.secret_key);
    let (s, _, body) = app.send(req).await;
    assert_eq!((s, body.as_slice()), (StatusCode::OK, b"OK!".as_slice()));
    let status = idv::user_status(&app.services, attempt.user_id).await.expect("status");
    assert_eq!(status.status, UserStatusKind::Approved);
    let (s, v) = app.json(callback(&pass, &now_date(&app), &keys.access_key, &keys.secret_key)).await;
    assert_eq!((s, &v["error"]["code"]), (StatusCode::CONFLICT, &json!("conflict")), "a replay is refused");
    // A later, different verdict for the decided attempt is acknowledged and changes nothing.
    app.clock.advance(chrono::Duration::seconds(1));
    let fail = json!({"EdX-ID": attempt.receipt_id, "Result": "FAIL", "Reason": [{"generalReasons": ["late"]}]});
    let (s, _, body) = app.send(callback(&fail, &now_date(&app), &keys.access_key, &keys.secret_key)).await;
    assert_eq!((s, body.as_slice()), (StatusCode::OK, b"OK!".as_slice()));
    let after = the_attempt(&app, "ada").await;
    assert_eq!((after.status(), after.review.error_msg.as_str()), (AttemptStatus::Approved, ""));

    // Re-verifying without an ID photo reuses the approved one (once the approval is within
    // the expiring-soon window: before that, can_verify_now refuses a new attempt).
    app.clock.advance(chrono::Duration::days(365 - 20));
    let (s, v) = app.json(sfn("submit_photos", Some(&ada), submit_body(false, None))).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let second = the_attempt(&app, "ada").await;
    assert_eq!(second.copy_id_photo_from, Some(attempt.id));
    assert_eq!(second.photo_id_image_ref, attempt.photo_id_image_ref);
    assert_eq!(second.photo_id_key, attempt.photo_id_key);
    // Without any earlier approval, an ID photo is required.
    let bob = app.login("bob").await;
    let (s, v) = app.json(sfn("submit_photos", Some(&bob), submit_body(false, None))).await;
    assert_eq!((s, &v["error"]["code"]), (StatusCode::BAD_REQUEST, &json!("invalid_image")));
}
on_both_backends!(submit_send_decide, full_path);

async fn outcomes(db: &TestDb) {
    let (_vendor, vendor_url) = start_vendor(200).await;
    let (app, _) = TestApp::listening(db, |c| c.software_secure.api_url = vendor_url).await;
    let keys = fixture_keys();
    for (who, result, reason, expected) in [
        ("fay", "FAIL", json!([{"photoIdReasons": ["Not provided"]}]), UserStatusKind::MustReverify),
        ("sid", "SYSTEM FAIL", json!("vendor is down"), UserStatusKind::Pending),
    ] {
        let cookie = app.login(who).await;
        app.json(sfn("submit_photos", Some(&cookie), submit_body(true, None))).await;
        server::reactions::runner(app.services.clone(), "test").run_until_idle().await;
        let attempt = the_attempt(&app, who).await;
        let body = json!({"EdX-ID": attempt.receipt_id, "Result": result, "Reason": reason, "MessageType": "code"});
        let (s, _, _) = app.send(callback(&body, &now_date(&app), &keys.access_key, &keys.secret_key)).await;
        assert_eq!(s, StatusCode::OK, "{result}");
        let after = the_attempt(&app, who).await;
        let status = idv::user_status(&app.services, attempt.user_id).await.expect("status");
        assert_eq!(status.status, expected, "{result}");
        match result {
            "FAIL" => {
                assert_eq!(after.status(), AttemptStatus::Denied);
                assert_eq!(
                    after.review.error_msg, r#"[{"photoIdReasons": ["Not provided"]}]"#,
                    "json.dumps of the reason"
                );
                assert_eq!(status.error, after.review.error_msg);
            }
            _ => assert_eq!(after.status(), AttemptStatus::MustRetry),
        }
        assert_eq!(after.review.error_code, "code");
    }
}
on_both_backends!(fail_and_system_fail, outcomes);

async fn refused_callbacks_change_nothing(db: &TestDb) {
    let (_vendor, vendor_url) = start_vendor(200).await;
    let (app, _) = TestApp::listening(db, |c| c.software_secure.api_url = vendor_url).await;
    let keys = fixture_keys();
    let ada = app.login("ada").await;
    app.json(sfn("submit_photos", Some(&ada), submit_body(true, None))).await;
    server::reactions::runner(app.services.clone(), "test").run_until_idle().await;
    let attempt = the_attempt(&app, "ada").await;
    let pass = json!({"EdX-ID": attempt.receipt_id, "Result": "PASS", "Reason": ""});
    let stale = ssencrypt::http_date(app.services.clock.now() - chrono::Duration::minutes(6));
    let future = ssencrypt::http_date(app.services.clock.now() + chrono::Duration::minutes(6));
    let unknown = json!({"EdX-ID": "00000000-0000-0000-0000-000000000000", "Result": "PASS"});
    let odd = json!({"EdX-ID": attempt.receipt_id, "Result": "MAYBE"});
    let date = now_date(&app);
    let raw = |body: &'static str, auth: Option<&str>| {
        let mut r = Request::post("/verify_student/results_callback")
            .header("content-type", "application/json")
            .header("date", &date);
        if let Some(a) = auth {
            r = r.header("authorization", a);
        }
        r.body(Body::from(body)).expect("request")
    };
    let cases: Vec<(&str, Request<Body>, StatusCode, &str)> = vec![
        (
            "forged signature",
            callback(&pass, &date, &keys.access_key, "not the secret"),
            StatusCode::UNAUTHORIZED,
            "unauthenticated",
        ),
        (
            "wrong access key",
            callback(&pass, &date, "WRONGKEY", &keys.secret_key),
            StatusCode::UNAUTHORIZED,
            "unauthenticated",
        ),
        (
            "stale Date",
            callback(&pass, &stale, &keys.access_key, &keys.secret_key),
            StatusCode::UNAUTHORIZED,
            "unauthenticated",
        ),
        (
            "future Date",
            callback(&pass, &future, &keys.access_key, &keys.secret_key),
            StatusCode::UNAUTHORIZED,
            "unauthenticated",
        ),
        (
            "unknown receipt",
            callback(&unknown, &date, &keys.access_key, &keys.secret_key),
            StatusCode::BAD_REQUEST,
            "invalid_request",
        ),
        (
            "unknown result",
            callback(&odd, &date, &keys.access_key, &keys.secret_key),
            StatusCode::BAD_REQUEST,
            "invalid_request",
        ),
        ("bad JSON", raw("{not json", Some("SSI a:b")), StatusCode::BAD_REQUEST, "invalid_request"),
        ("not a dict", raw("[1, 2]", Some("SSI a:b")), StatusCode::BAD_REQUEST, "invalid_request"),
        ("no Authorization", raw("{\"EdX-ID\": \"x\"}", None), StatusCode::UNAUTHORIZED, "unauthenticated"),
        (
            "malformed Authorization",
            raw("{\"EdX-ID\": \"x\"}", Some("garbage")),
            StatusCode::UNAUTHORIZED,
            "unauthenticated",
        ),
    ];
    let mut conn = app.services.store.conn().await.expect("conn");
    let before = transitions::history(&mut conn, AttemptKind::Photo, attempt.id.0).await.expect("history").len();
    drop(conn);
    for (what, req, status, code) in cases {
        let (s, h, body) = app.send(req).await;
        assert_eq!(s, status, "{what}: {}", String::from_utf8_lossy(&body));
        let v: Value = serde_json::from_slice(&body).expect("JSON error");
        assert_eq!(v["error"]["code"], code, "{what}");
        assert!(h.get("content-type").is_some_and(|c| c == "application/json"), "{what}");
        assert!(!String::from_utf8_lossy(&body).contains("not json"), "{what}: the body is not echoed");
        assert_eq!(the_attempt(&app, "ada").await.status(), AttemptStatus::Submitted, "{what} changed the attempt");
    }
    let mut conn = app.services.store.conn().await.expect("conn");
    assert_eq!(transitions::history(&mut conn, AttemptKind::Photo, attempt.id.0).await.expect("history").len(), before);
    // A GET is not a callback.
    let (s, _, _) = app.send(Request::get("/verify_student/results_callback").body(Body::empty()).expect("r")).await;
    assert_eq!(s, StatusCode::METHOD_NOT_ALLOWED);
}
on_both_backends!(callback_refusals, refused_callbacks_change_nothing);

async fn retries_then_must_retry_then_retry_failed(db: &TestDb) {
    let (vendor, vendor_url) = start_vendor(500).await;
    let (app, _) = TestApp::listening(db, |c| {
        c.software_secure.api_url = vendor_url;
        c.software_secure.max_attempts = 3;
    })
    .await;
    let keys = fixture_keys();
    let ada = app.login("ada").await;
    app.json(sfn("submit_photos", Some(&ada), submit_body(true, None))).await;
    let runner = server::reactions::runner(app.services.clone(), "test");
    for _ in 0..3 {
        runner.run_until_idle().await;
        // Time passes beyond any backoff, without sleeping.
        app.clock.advance(chrono::Duration::hours(2));
    }
    runner.run_until_idle().await;
    assert_eq!(vendor.received.lock().expect("lock").len(), 3, "three tries");
    let attempt = the_attempt(&app, "ada").await;
    assert_eq!(attempt.status(), AttemptStatus::MustRetry);
    // The learner sees a sentence; the vendor's answer is kept for staff in the job record
    // (trust issue, item 14).
    assert_eq!(attempt.review.error_msg, server::jobs::ss_submit::LEARNER_SUBMIT_ERROR);
    let mut conn = app.services.store.conn().await.expect("conn");
    assert_eq!(jobs::counts(&mut conn).await.expect("counts").failed, 1);
    let (failed, _) = jobs::list(&mut conn, Some("failed"), 0, 10).await.expect("jobs");
    assert!(failed[0].last_error.contains("500"), "the vendor's answer is kept: {}", failed[0].last_error);
    drop(conn);

    // The vendor is back; retry-failed queues it once however often it is run.
    *vendor.answer.lock().expect("lock") = 200;
    let all = retry::Selection::AllMustRetry { limit: 100 };
    let report = retry::retry_failed(&app.services, all.clone(), |_, _| {}).await.expect("retry");
    assert_eq!((report.queued, report.skipped), (1, 0));
    let again = retry::retry_failed(&app.services, all, |_, _| {}).await.expect("retry");
    assert_eq!((again.queued, again.skipped), (0, 1));
    runner.run_until_idle().await;
    assert_eq!(vendor.received.lock().expect("lock").len(), 4);
    assert_eq!(the_attempt(&app, "ada").await.status(), AttemptStatus::Submitted);
    let pass = json!({"EdX-ID": attempt.receipt_id, "Result": "PASS", "Reason": ""});
    let (s, _, _) = app.send(callback(&pass, &now_date(&app), &keys.access_key, &keys.secret_key)).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(the_attempt(&app, "ada").await.status(), AttemptStatus::Approved);
}
on_both_backends!(vendor_down, retries_then_must_retry_then_retry_failed);

/// A vendor that cannot be reached: the HTTP client's error names the vendor's URL, which
/// must reach neither the attempt's `error_msg` nor any answer a learner reads.
async fn unreachable_vendor_is_not_shown_to_learners(db: &TestDb) {
    let closed = format!("http://127.0.0.1:{}/private-vendor-path/", crate::support::free_port());
    let (app, _) = TestApp::listening(db, |c| {
        c.software_secure.api_url = closed.clone();
        c.software_secure.max_attempts = 1;
    })
    .await;
    let ada = app.login("ada").await;
    app.json(sfn("submit_photos", Some(&ada), submit_body(true, None))).await;
    server::reactions::runner(app.services.clone(), "test").run_until_idle().await;
    let attempt = the_attempt(&app, "ada").await;
    assert_eq!(attempt.status(), AttemptStatus::MustRetry);
    assert_eq!(attempt.review.error_msg, server::jobs::ss_submit::LEARNER_SUBMIT_ERROR);
    for path in [
        "/api/user/v1/accounts/ada/verifications/",
        "/verify_student/status/",
        "/api/v1/users/ada/status",
        "/api/v1/users/ada/attempts",
    ] {
        let req = Request::get(path).header(header::COOKIE, &ada).body(Body::empty()).expect("request");
        let (_, _, body) = app.send(req).await;
        let text = String::from_utf8_lossy(&body);
        assert!(!text.contains("private-vendor-path") && !text.contains("127.0.0.1"), "{path} shows: {text}");
    }
    let mut conn = app.services.store.conn().await.expect("conn");
    let (failed, _) = jobs::list(&mut conn, Some("failed"), 0, 10).await.expect("jobs");
    assert!(failed[0].last_error.contains("could not reach the vendor"), "{}", failed[0].last_error);
}
on_both_backends!(unreachable_vendor_hidden, unreachable_vendor_is_not_shown_to_learners);

async fn legacy_access_key_mode(db: &TestDb) {
    let (_vendor, vendor_url) = start_vendor(200).await;
    let (app, _) = TestApp::listening(db, |c| {
        c.software_secure.api_url = vendor_url;
        c.software_secure.callback_auth = server::config::CallbackAuth::AccessKey;
    })
    .await;
    let keys = fixture_keys();
    let ada = app.login("ada").await;
    app.json(sfn("submit_photos", Some(&ada), submit_body(true, None))).await;
    server::reactions::runner(app.services.clone(), "test").run_until_idle().await;
    let attempt = the_attempt(&app, "ada").await;
    let body = json!({"EdX-ID": attempt.receipt_id, "Result": "PASS"}).to_string();
    let req = |auth: String| {
        Request::post("/verify_student/results_callback")
            .header("authorization", auth)
            .body(Body::from(body.clone()))
            .expect("r")
    };
    let (s, _, _) = app.send(req("SSI WRONG:0000".into())).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    // Open edX's fake page sends a made-up signature; the legacy mode only checks the key.
    let (s, _, _) = app.send(req(format!("SIS {}:0000", keys.access_key))).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(the_attempt(&app, "ada").await.status(), AttemptStatus::Approved);
}
on_both_backends!(legacy_callback_auth, legacy_access_key_mode);

async fn rest_submit_photos(db: &TestDb) {
    let app = TestApp::new(db).await;
    let photo = data_url("image/jpeg", &jpeg_bytes(50));
    let form = |fields: &[(&str, &str)]| {
        let body: String = fields.iter().map(|(k, v)| format!("{k}={}", urlencode(v))).collect::<Vec<_>>().join("&");
        body
    };
    let post = |cookie: Option<&str>, body: String| {
        let mut r =
            Request::post("/verify_student/submit-photos/").header("content-type", "application/x-www-form-urlencoded");
        if let Some(c) = cookie {
            r = r.header("cookie", c);
        }
        r.body(Body::from(body)).expect("r")
    };
    let (s, v) = app.json(post(None, form(&[("face_image", &photo), ("photo_id_image", &photo)]))).await;
    assert_eq!((s, &v["error"]["code"]), (StatusCode::UNAUTHORIZED, &json!("unauthenticated")));
    let ada = app.login("ada").await;
    let (s, v) = app.json(post(Some(&ada), form(&[("photo_id_image", &photo)]))).await;
    assert_eq!((s, &v["error"]["code"]), (StatusCode::BAD_REQUEST, &json!("invalid_image")));
    let (s, v) = app
        .json(post(Some(&ada), form(&[("face_image", "data:image/png;base64,AAAA"), ("photo_id_image", &photo)])))
        .await;
    assert_eq!((s, &v["error"]["code"]), (StatusCode::BAD_REQUEST, &json!("invalid_image")));
    let (s, v) = app
        .json(post(Some(&ada), form(&[("face_image", &photo), ("photo_id_image", &photo), ("full_name", "")])))
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{v}");
    let mut conn = app.services.store.conn().await.expect("conn");
    assert_eq!(attempts::count(&mut conn).await.expect("count"), 0, "refusals created nothing");
    drop(conn);
    let (s, v) = app
        .json(post(Some(&ada), form(&[("face_image", &photo), ("photo_id_image", &photo), ("full_name", "Ada King")])))
        .await;
    assert_eq!((s, v), (StatusCode::OK, json!({})));
    let attempt = the_attempt(&app, "ada").await;
    assert_eq!(attempt.name, "Ada King");
    let mut conn = app.services.store.conn().await.expect("conn");
    let user = server::store::users::by_username(&mut conn, "ada").await.expect("q").expect("ada");
    assert_eq!(user.full_name, "Ada King", "the name change is recorded on the account");
}
on_both_backends!(rest_submit, rest_submit_photos);

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// A face photo migrated from Open edX is encrypted under the site-wide
/// `face_image_aes_key` and has no key of its own: each request wraps the site key afresh.
#[tokio::test]
async fn migrated_face_photo_uses_the_site_key() {
    let db = TestDb::sqlite().await;
    let site_key = [0xAAu8; 32];
    let app = TestApp::with_config(&db, {
        let mut c = db.config();
        c.software_secure.face_image_aes_key = Some("AA".repeat(32).into());
        c
    })
    .await;
    let keys = fixture_keys();
    let ada = app.login("ada").await;
    app.json(sfn("submit_photos", Some(&ada), submit_body(true, None))).await;
    let attempt = the_attempt(&app, "ada").await;
    // Make it look migrated: face re-encrypted under the site key, no per-attempt face key.
    let face = attempt.face_image_ref.clone().expect("face");
    let text = ssencrypt::encrypt_and_encode(&jpeg_bytes(300), &site_key).expect("encrypt");
    app.services.vault.put(&face, text.into_bytes()).await.expect("put");
    let mut conn = app.services.store.conn().await.expect("conn");
    sqlx::query("update photo_verification set user_photo_key = '' where attempt_id = $1")
        .bind(attempt.id.0)
        .execute(&mut *conn)
        .await
        .expect("update");
    let migrated = attempts::by_id(&mut conn, attempt.id).await.expect("q").expect("row");
    drop(conn);
    let private = ssencrypt::parse_private_key(&keys.private_pem).expect("key");
    let now = app.services.clock.now();
    let first = server::vendors::software_secure::build_request(&app.services, &migrated, now).await.expect("request");
    let second = server::vendors::software_secure::build_request(&app.services, &migrated, now).await.expect("request");
    let field = |r: &server::vendors::software_secure::SignedRequest| {
        let v: Value = serde_json::from_slice(&r.body).expect("json");
        v["UserPhotoKey"].as_str().expect("key").to_owned()
    };
    assert_ne!(field(&first), field(&second), "fresh OAEP randomness on every request");
    assert_eq!(ssencrypt::unwrap_photo_key(&field(&first), &private).expect("unwrap"), site_key);
    let stored = app.services.vault.get(&face).await.expect("get");
    assert_eq!(ssencrypt::decode_and_decrypt(&stored, &site_key).expect("decrypt"), jpeg_bytes(300));
}

/// The submission job records `submitted` while the vendor's verdict arrives at the same
/// moment: whichever wins, no verdict is lost and every attempt ends approved.
async fn verdict_races_the_submission(db: &TestDb) {
    let app = TestApp::new(db).await;
    let keys = fixture_keys();
    let mut receipts = Vec::new();
    for i in 0..20 {
        let cookie = app.login(&format!("racer{i}")).await;
        app.json(sfn("submit_photos", Some(&cookie), submit_body(true, None))).await;
        receipts.push(the_attempt(&app, &format!("racer{i}")).await);
    }
    let mut tasks = tokio::task::JoinSet::new();
    for a in &receipts {
        let (services, router) = (app.services.clone(), app.router.clone());
        let id = a.id;
        tasks.spawn(async move {
            let actor = transitions::Actor::Vendor("SoftwareSecure".into());
            let op = app::domain::photo_lifecycle::PhotoOp::MarkSubmit;
            // The job's view: a race with the callback is not an error.
            match server::service::lifecycle::apply(&services, id, &op, &actor, "").await {
                Ok(_) | Err(server::service::ServiceError::Raced | server::service::ServiceError::Conflict(_)) => {}
                Err(e) => panic!("{e:?}"),
            }
            drop(router);
        });
        let pass = json!({"EdX-ID": a.receipt_id, "Result": "PASS", "Reason": ""});
        let req = callback(&pass, &now_date(&app), &keys.access_key, &keys.secret_key);
        let router = app.router.clone();
        tasks.spawn(async move {
            use tower::ServiceExt;
            let res = router.oneshot(req).await.expect("router");
            let status = res.status();
            let body = axum::body::to_bytes(res.into_body(), 10_000).await.expect("body");
            assert_eq!(
                status,
                StatusCode::OK,
                "the verdict is accepted whoever wins: {}",
                String::from_utf8_lossy(&body)
            );
        });
    }
    while let Some(r) = tasks.join_next().await {
        r.expect("task");
    }
    for (i, a) in receipts.iter().enumerate() {
        let now = the_attempt(&app, &format!("racer{i}")).await;
        assert_eq!(now.status(), AttemptStatus::Approved, "{}", a.receipt_id);
    }
}
on_both_backends!(verdict_race, verdict_races_the_submission);

/// The vendor answers a submission with a system-failure callback before its 200 reaches
/// the job: the job must not then mark the attempt submitted (undoing must_retry).
async fn system_failure_before_the_answer(db: &TestDb) {
    #[derive(Clone)]
    struct FastVendor {
        router: std::sync::Arc<std::sync::OnceLock<Router>>,
        date: String,
    }
    async fn answer_after_callback(State(v): State<FastVendor>, body: Bytes) -> StatusCode {
        use tower::ServiceExt;
        let keys = fixture_keys();
        let sent: Value = serde_json::from_slice(&body).expect("json");
        let fail = json!({"EdX-ID": sent["EdX-ID"], "Result": "SYSTEM FAIL", "Reason": "vendor overloaded", "MessageType": "error"});
        let req = callback(&fail, &v.date, &keys.access_key, &keys.secret_key);
        let router = v.router.get().expect("router set").clone();
        let res = router.oneshot(req).await.expect("router");
        assert_eq!(res.status(), StatusCode::OK, "the early verdict is recorded");
        StatusCode::OK
    }
    let cell = std::sync::Arc::new(std::sync::OnceLock::new());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let vendor_url = format!("http://{}/", listener.local_addr().expect("addr"));
    let (app, _) = TestApp::listening(db, |c| c.software_secure.api_url = vendor_url).await;
    cell.set(app.router.clone()).expect("once");
    let vendor = FastVendor { router: cell, date: now_date(&app) };
    let vendor_app = Router::new().route("/", post(answer_after_callback)).with_state(vendor);
    tokio::spawn(async move {
        let _ = axum::serve(listener, vendor_app).await;
    });
    let cookie = app.login("quick").await;
    app.json(sfn("submit_photos", Some(&cookie), submit_body(true, None))).await;
    server::reactions::runner(app.services.clone(), "test").run_until_idle().await;
    let attempt = the_attempt(&app, "quick").await;
    assert_eq!(attempt.status(), AttemptStatus::MustRetry, "the vendor's verdict stands");
    assert!(attempt.review.error_msg.contains("vendor overloaded"), "{}", attempt.review.error_msg);
}
on_both_backends!(system_failure_races_the_submission, system_failure_before_the_answer);
