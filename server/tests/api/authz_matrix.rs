//! The authorization matrix: every route × anonymous / learner / other learner / staff /
//! vendor, with the status each must get. The REST routes come from the OpenAPI document
//! the server serves and the server functions from the registry, so a route added without
//! a row here fails this test.
//!
//! Columns: `anon` sends no credentials; `ada` is the learner whose data the path names;
//! `bob` another learner reading Ada's data; `root` staff; `vendor` the vendor's own
//! credentials (Software Secure's signed `Authorization`, the hosted `Webhook-Signature`,
//! or the signed photo URL), which open only the vendor's routes. A learner reading another
//! learner's data gets 403 (Open edX's `IsStaffOrOwner`); anonymous callers 401.

use crate::{
    on_both_backends,
    support::{TestApp, TestDb, data_url, fixture_keys, jpeg_bytes, sfn},
};
use axum::{
    body::Body,
    http::{Request, header},
};
use serde_json::{Value, json};
use ssencrypt::SignedHeaders;
use ssencrypt::webhook_signature;
use std::collections::BTreeSet;

const HOSTED_SECRET: &str = "authz-hosted-webhook-secret";
const METRICS_TOKEN: &str = "authz-metrics-scraper-token";
const BASE: &str = "http://127.0.0.1:8000";

/// An LTI launch form for `path`, signed with `secret`, unique by `nonce`.
fn launch_form(path: &str, secret: &str, nonce: &str) -> String {
    let mut params: Vec<(String, String)> = [
        ("lti_message_type", "basic-lti-launch-request"),
        ("lti_version", "LTI-1p0"),
        ("resource_link_id", "matrix-link"),
        ("user_id", "matrix-lti-user"),
        ("roles", "Learner"),
        ("oauth_consumer_key", crate::lti_support::KEY),
        ("oauth_signature_method", "HMAC-SHA1"),
        ("oauth_version", "1.0"),
        ("oauth_nonce", nonce),
    ]
    .iter()
    .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
    .collect();
    params.push(("oauth_timestamp".into(), chrono::Utc::now().timestamp().to_string()));
    let base = server::lti::oauth::base_string("POST", &format!("{BASE}{path}"), &params);
    params.push(("oauth_signature".into(), server::lti::oauth::sign(secret, &base)));
    let enc = server::lti::oauth::encode;
    params.iter().map(|(k, v)| format!("{}={}", enc(k), enc(v))).collect::<Vec<_>>().join("&")
}

/// What a row sends as its body.
#[derive(Clone, Copy)]
enum Payload {
    None,
    Json(&'static str),
    Form(&'static str),
    /// The Software Secure verdict for Ada's attempt.
    Verdict,
    /// A hosted webhook event.
    HostedEvent,
    /// An LTI launch: signed with the consumer's secret by the vendor column (the LMS),
    /// with a guessed secret by everyone else.
    Launch,
}

/// One row: method, route (as the OpenAPI document spells it), the concrete path (with
/// `{receipt}`, `{attempt}`, `{job}`, `{mv}` and `{photo_query}` filled in at run time),
/// the body, and the status for anon, ada, bob, root, vendor.
struct Row {
    method: &'static str,
    route: &'static str,
    path: &'static str,
    body: Payload,
    expect: [u16; 5],
}

const fn row(method: &'static str, route: &'static str, path: &'static str, body: Payload, expect: [u16; 5]) -> Row {
    Row { method, route, path, body, expect }
}

use Payload::{Form, HostedEvent, Json as J, Launch, None as N, Verdict};

#[rustfmt::skip]
const MATRIX: &[Row] = &[
    //  method    route                                                       concrete path                                                   body                      anon ada  bob  root vendor
    // ---- Open edX paths ----
    row("GET",    "/verify_student/status/",                                  "/verify_student/status/",                                      N,                        [401, 200, 200, 200, 401]),
    row("POST",   "/verify_student/submit-photos/",                           "/verify_student/submit-photos/",                               Form("face_image=x"),     [401, 400, 400, 400, 401]),
    // The photo URL works only until the attempt is decided: fetched before the verdict row.
    row("GET",    "/verify_student/photos/{kind}/{receipt_id}",               "/verify_student/photos/face/{receipt}{photo_query}",           N,                        [404, 404, 404, 404, 200]),
    row("POST",   "/verify_student/results_callback",                         "/verify_student/results_callback",                             Verdict,                  [401, 401, 401, 401, 200]),
    row("GET",    "/verify_student/photo-urls/{receipt_id}",                  "/verify_student/photo-urls/{receipt}",                         N,                        [401, 403, 403, 200, 401]),
    row("GET",    "/verify_student/decrypt-idv-images/face/{receipt_id}",     "/verify_student/decrypt-idv-images/face/{receipt}",            N,                        [401, 403, 403, 200, 401]),
    row("GET",    "/verify_student/decrypt-idv-images/photo-id/{receipt_id}", "/verify_student/decrypt-idv-images/photo-id/{receipt}",        N,                        [401, 403, 403, 200, 401]),
    row("GET",    "/api/user/v1/accounts/{username}/verification_status/",    "/api/user/v1/accounts/ada/verification_status/",               N,                        [401, 200, 403, 200, 401]),
    row("GET",    "/api/user/v1/accounts/{username}/verifications/",          "/api/user/v1/accounts/ada/verifications/",                     N,                        [401, 200, 403, 200, 401]),
    // ---- vendors ----
    row("POST",   "/callbacks/{vendor}",                                      "/callbacks/hosted",                                            HostedEvent,              [401, 401, 401, 401, 400]),
    row("POST",   "/lti_provider/courses/{course_id}/{usage_id}",             "/lti_provider/courses/course-v1:Org+X+1/block-v1:Org+X+1+type@lti+block@idv", Launch, [401, 401, 401, 401, 303]),
    // ---- /api/v1: the learner's own ----
    row("GET",    "/api/v1/me",                                               "/api/v1/me",                                                   N,                        [401, 200, 200, 200, 401]),
    row("GET",    "/api/v1/verified_name",                                    "/api/v1/verified_name",                                        N,                        [401, 200, 200, 200, 401]),
    row("POST",   "/api/v1/verified_name",                                    "/api/v1/verified_name",                                        J(r#"{"verified_name": "A Name"}"#), [401, 201, 201, 201, 401]),
    row("GET",    "/api/v1/verified_name/history",                            "/api/v1/verified_name/history",                                N,                        [401, 200, 200, 200, 401]),
    row("GET",    "/api/v1/users/{username}/status",                          "/api/v1/users/ada/status",                                     N,                        [401, 200, 403, 200, 401]),
    row("GET",    "/api/v1/users/{username}/attempts",                        "/api/v1/users/ada/attempts",                                   N,                        [401, 200, 403, 200, 401]),
    row("GET",    "/api/v1/attempts/{kind}/{id}/history",                     "/api/v1/attempts/photo/{attempt}/history",                     N,                        [401, 403, 403, 200, 401]),
    row("GET",    "/api/v1/pay-and-verify/{course_key}",                      "/api/v1/pay-and-verify/course-v1:Org+X+1",                     N,                        [401, 404, 404, 404, 401]),
    // ---- /api/v1: staff ----
    row("GET",    "/api/v1/users",                                            "/api/v1/users",                                                N,                        [401, 403, 403, 200, 401]),
    row("GET",    "/api/v1/users/{username}/verified-names",                  "/api/v1/users/ada/verified-names",                             N,                        [401, 403, 403, 200, 401]),
    row("POST",   "/api/v1/users/{username}/manual-verifications",            "/api/v1/users/bob/manual-verifications",                       J(r#"{"reason": "matrix"}"#), [401, 403, 403, 201, 401]),
    row("POST",   "/api/v1/manual-verifications/{id}/revoke",                 "/api/v1/manual-verifications/{mv}/revoke",                     J(r#"{"reason": "matrix"}"#), [401, 403, 403, 204, 401]),
    row("POST",   "/api/v1/attempts/photo/{id}/retry",                        "/api/v1/attempts/photo/{attempt}/retry",                       N,                        [401, 403, 403, 200, 401]),
    row("GET",    "/api/v1/courses/{course_key}/deadline",                    "/api/v1/courses/course-v1:Org+X+1/deadline",                   N,                        [401, 200, 200, 200, 401]),
    row("PUT",    "/api/v1/courses/{course_key}/deadline",                    "/api/v1/courses/course-v1:Org+X+1/deadline",                   J(r#"{"deadline": null}"#), [401, 403, 403, 200, 401]),
    row("GET",    "/api/v1/courses/{course_key}/deadline/history",            "/api/v1/courses/course-v1:Org+X+1/deadline/history",           N,                        [401, 403, 403, 200, 401]),
    row("PUT",    "/api/v1/courses/{course_key}",                             "/api/v1/courses/course-v1:Org+X+1",                            J(r#"{"display_name": "Matrix", "end": null}"#), [401, 403, 403, 200, 401]),
    row("GET",    "/api/v1/jobs",                                             "/api/v1/jobs",                                                 N,                        [401, 403, 403, 200, 401]),
    row("POST",   "/api/v1/jobs/{id}/retry",                                  "/api/v1/jobs/{job}/retry",                                     N,                        [401, 403, 403, 409, 401]),
    row("GET",    "/api/v1/webhooks/deliveries",                              "/api/v1/webhooks/deliveries",                                  N,                        [401, 403, 403, 200, 401]),
    row("POST",   "/api/v1/webhooks/deliveries/{id}/retry",                   "/api/v1/webhooks/deliveries/999999/retry",                     N,                        [401, 403, 403, 404, 401]),
    row("GET",    "/api/v1/lti/consumers",                                    "/api/v1/lti/consumers",                                        N,                        [401, 403, 403, 200, 401]),
    row("POST",   "/api/v1/lti/consumers",                                    "/api/v1/lti/consumers",                                        J(r#"{"name": "LMS", "key": "matrix-key", "secret": "matrix-secret-0123456789"}"#), [401, 403, 403, 201, 401]),
    row("DELETE", "/api/v1/lti/consumers/{key}",                              "/api/v1/lti/consumers/matrix-key",                             N,                        [401, 403, 403, 204, 401]),
    row("PATCH",  "/api/v1/lti/consumers/{key}",                              "/api/v1/lti/consumers/lms-test-key",                           J(r#"{"use_lti_pii": false}"#), [401, 403, 403, 200, 401]),
    // The link step of require_user_account: nobody here has a waiting launch (400; the
    // vendor's signature header is not an LMS token: 401), and only the LMS's own sign-in (a
    // JWT), never a Vouch session, may link (401).
    row("GET",    "/lti_provider/link",                                       "/lti_provider/link",                                           N,                        [400, 400, 400, 400, 401]),
    row("POST",   "/lti_provider/link",                                       "/lti_provider/link",                                           N,                        [401, 401, 401, 401, 401]),
    // ---- /api/v1: what an LMS asks (staff or an LMS service user) ----
    row("POST",   "/api/v1/verified_user_ids",                                "/api/v1/verified_user_ids",                                    J(r#"{"user_ids": [1, 2]}"#), [401, 403, 403, 200, 401]),
    row("POST",   "/api/v1/verification_statuses",                            "/api/v1/verification_statuses",                                J(r#"{"items": [{"username": "ada", "course_key": "course-v1:Org+X+1", "mode": "verified"}]}"#), [401, 403, 403, 200, 401]),
    row("GET",    "/api/v1/verify_location",                                  "/api/v1/verify_location?course_id=course-v1:Org+X+1",         N,                        [200, 200, 200, 200, 401]),
    row("POST",   "/api/v1/users/{username}/sso-verifications",               "/api/v1/users/bob/sso-verifications",                          J(r#"{"identity_provider_type": "saml", "identity_provider_slug": "matrix"}"#), [401, 403, 403, 201, 401]),
    row("POST",   "/api/v1/users/{username}/retire",                          "/api/v1/users/matrix-never-here/retire",                       N,                        [401, 403, 403, 204, 401]),
    row("GET",    "/api/v1/retry-config",                                     "/api/v1/retry-config",                                         N,                        [401, 403, 403, 200, 401]),
    row("PUT",    "/api/v1/retry-config",                                     "/api/v1/retry-config",                                         J(r#"{"arguments": "--verification-ids 1"}"#), [401, 403, 403, 200, 401]),
    // ---- /api/v1/reviews: the in-house review queue (reviewers and staff; the full matrix
    // with a claim holder and a reviewer without the claim is in review_authz.rs) ----
    row("POST",   "/api/v1/reviews/claim",                                    "/api/v1/reviews/claim",                                        N,                        [401, 403, 403, 204, 401]),
    row("GET",    "/api/v1/reviews/stats",                                    "/api/v1/reviews/stats",                                        N,                        [401, 403, 403, 200, 401]),
    row("GET",    "/api/v1/reviews/reasons",                                  "/api/v1/reviews/reasons",                                      N,                        [401, 403, 403, 200, 401]),
    row("GET",    "/api/v1/reviews/{receipt_id}",                             "/api/v1/reviews/{receipt}",                                    N,                        [401, 403, 403, 404, 401]),
    row("POST",   "/api/v1/reviews/{receipt_id}/decision",                    "/api/v1/reviews/{receipt}/decision",                           J(r#"{"decision": "approve"}"#), [401, 403, 403, 404, 401]),
    row("POST",   "/api/v1/reviews/{receipt_id}/release",                     "/api/v1/reviews/{receipt}/release",                            N,                        [401, 403, 403, 404, 401]),
    // ---- outside the OpenAPI document ----
    row("GET",    "/healthz",                                                 "/healthz",                                                     N,                        [200, 200, 200, 200, 200]),
    row("GET",    "/readyz",                                                  "/readyz",                                                      N,                        [200, 200, 200, 200, 200]),
    row("GET",    "/api/v1/openapi.json",                                     "/api/v1/openapi.json",                                         N,                        [200, 200, 200, 200, 200]),
    row("GET",    "/metrics",                                                 "/metrics",                                                     N,                        [401, 401, 401, 401, 401]),
    row("POST",   "/sfn/session_info",                                        "/sfn/session_info",                                            J("{}"),                  [200, 200, 200, 200, 401]),
    row("POST",   "/sfn/verification_status",                                 "/sfn/verification_status",                                     J("{}"),                  [401, 200, 200, 200, 401]),
    row("POST",   "/sfn/slot_config",                                         "/sfn/slot_config",                                             J("{}"),                  [401, 200, 200, 200, 401]),
    row("POST",   "/sfn/flow_info",                                           "/sfn/flow_info",                                               J("{}"),                  [401, 200, 200, 200, 401]),
    row("POST",   "/sfn/submit_photos",                                       "/sfn/submit_photos",                                           J(r#"{"request": {"face_image": "x", "photo_id_image": "x", "full_name": null}}"#), [401, 400, 400, 400, 401]),
    row("GET",    "/verify_student/start-flow/{course_id}/",                  "/verify_student/start-flow/course-v1:Org+X+1/",                N,                        [303, 303, 303, 303, 303]),
    row("GET",    "/verify_student/payment-confirmation/{course_id}/",        "/verify_student/payment-confirmation/course-v1:Org+X+1/",      N,                        [303, 303, 303, 303, 303]),
    row("POST",   "/sfn/course_flow",                                         "/sfn/course_flow",                                             J(r#"{"request": {"course_key": "course-v1:Org+X+1", "flow": "start-flow"}}"#), [401, 200, 200, 200, 401]),
    // ---- "Continue on your phone" (issue 19; before logout, which ends the sessions): each
    // learner shows, follows and cancels their own link; the vendor's signature is no sign-in
    // (401); a made-up token is no link (404).
    row("GET",    "/handoff",                                                 "/handoff",                                                     N,                        [401, 200, 200, 200, 401]),
    row("GET",    "/handoff/status",                                          "/handoff/status",                                              N,                        [401, 200, 200, 200, 401]),
    row("POST",   "/handoff/cancel",                                          "/handoff/cancel",                                              N,                        [401, 303, 303, 303, 401]),
    row("GET",    "/handoff/{token}",                                         "/handoff/matrix-made-up-token",                                N,                        [404, 404, 404, 404, 404]),
    row("POST",   "/handoff/{token}",                                         "/handoff/matrix-made-up-token",                                N,                        [404, 404, 404, 404, 404]),
    row("GET",    "/handoff/follow.js",                                       "/handoff/follow.js",                                           N,                        [200, 200, 200, 200, 200]),
    row("GET",    "/handoff/handoff.css",                                     "/handoff/handoff.css",                                         N,                        [200, 200, 200, 200, 200]),
    row("POST",   "/auth/logout",                                             "/auth/logout",                                                 N,                        [303, 303, 303, 303, 303]),
];

/// Every REST (method, route) the OpenAPI document declares.
fn documented_routes(doc: &Value) -> BTreeSet<(String, String)> {
    let mut out = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for method in ["get", "post", "put", "delete", "patch"] {
            if item.get(method).is_some() {
                out.insert((method.to_ascii_uppercase(), path.clone()));
            }
        }
    }
    out
}

async fn matrix(db: &TestDb) {
    let mut cfg = db.config();
    cfg.idv.hosted_webhook_secret = Some(HOSTED_SECRET.to_owned().into());
    cfg.software_secure.allow_decrypt = true;
    cfg.server.public_url = BASE.into();
    cfg.server.metrics_token = Some(METRICS_TOKEN.to_owned().into());
    let app = TestApp::with_config(db, cfg).await;
    crate::lti_support::add_consumer(&db.store).await;
    let keys = fixture_keys();

    // Every documented route and every server function has a row.
    let doc = server::http::rest::openapi::document(&server::http::AppState::new(app.services.clone()));
    let rows: BTreeSet<(String, String)> = MATRIX.iter().map(|r| (r.method.to_owned(), r.route.to_owned())).collect();
    let missing: Vec<_> = documented_routes(&doc).difference(&rows).cloned().collect();
    assert!(missing.is_empty(), "routes without a row in the authorization matrix: {missing:?}");
    let fns: Vec<String> = server_fn::axum::server_fn_paths().map(|(p, _)| p.to_owned()).collect();
    for f in &fns {
        assert!(rows.contains(&("POST".to_owned(), f.clone())), "server function {f} has no row");
    }

    // Ada has a photo attempt the vendor has (submitted), a job, and Bob a manual verification.
    let ada = app.login("ada").await;
    let bob = app.login("bob").await;
    let root = app.login("root").await;
    let mut conn = db.store.conn().await.expect("conn");
    let root_user = server::store::users::by_username(&mut conn, "root").await.expect("q").expect("root");
    server::store::users::set_staff(&mut conn, root_user.id, true).await.expect("staff");
    let face = data_url("image/jpeg", &jpeg_bytes(200));
    let body = json!({"request": {"face_image": face, "photo_id_image": face, "full_name": null}}).to_string();
    let (s, v) = app.json(sfn("submit_photos", Some(&ada), body)).await;
    assert_eq!(s, 200, "{v}");
    let ada_user = server::store::users::by_username(&mut conn, "ada").await.expect("q").expect("ada");
    let attempt = server::store::attempts::for_user(&mut conn, ada_user.id).await.expect("attempts").remove(0);
    sqlx::query("update photo_verification set status = 'submitted' where attempt_id = $1")
        .bind(attempt.id.0)
        .execute(&mut *conn)
        .await
        .expect("submitted");
    let (job,): (i64,) = sqlx::query_as("select min(job_id) from job").fetch_one(&mut *conn).await.expect("a job");
    drop(conn);
    let (s, urls) = app
        .json(
            Request::get(format!("/verify_student/photo-urls/{}", attempt.receipt_id))
                .header(header::COOKIE, &root)
                .body(Body::empty())
                .expect("request"),
        )
        .await;
    assert_eq!(s, 200, "{urls}");
    let photo_url = urls["UserPhoto"].as_str().expect("photo url");
    let photo_query = format!("?{}", photo_url.split_once('?').expect("signed query").1);
    let (s, mv) = app
        .json(
            Request::post("/api/v1/users/bob/manual-verifications")
                .header(header::COOKIE, &root)
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from(r#"{"reason": "setup"}"#))
                .expect("request"),
        )
        .await;
    assert_eq!(s, 201, "{mv}");
    let mv = mv["id"].as_i64().expect("id").to_string();

    // Only the vendor holds the signed photo URL; everyone else tries a forged signature.
    let forged_query = "?expires=99999999999&signature=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
    let fill = |p: &str, vendor: bool| {
        p.replace("{receipt}", &attempt.receipt_id)
            .replace("{attempt}", &attempt.id.to_string())
            .replace("{job}", &job.to_string())
            .replace("{mv}", &mv)
            .replace("{photo_query}", if vendor { &photo_query } else { forged_query })
    };
    let now = chrono::Utc::now();
    let mut wrong = Vec::new();
    let mut observed = Vec::new();
    for r in MATRIX {
        let mut got = [0u16; 5];
        for (col, who) in ["anon", "ada", "bob", "root", "vendor"].into_iter().enumerate() {
            let vendor = who == "vendor";
            let mut b = Request::builder().method(r.method).uri(fill(r.path, vendor));
            let nonce = format!("matrix-{col}");
            match who {
                "ada" => b = b.header(header::COOKIE, &ada),
                "bob" => b = b.header(header::COOKIE, &bob),
                "root" => b = b.header(header::COOKIE, &root),
                _ => {}
            }
            let date = ssencrypt::http_date(now);
            let path = fill(r.path, vendor);
            let (content_type, bytes): (Option<&str>, Vec<u8>) = match r.body {
                N => (None, Vec::new()),
                J(s) => (Some("application/json"), s.as_bytes().to_vec()),
                Form(s) => (Some("application/x-www-form-urlencoded"), s.as_bytes().to_vec()),
                Verdict => {
                    let v = json!({"EdX-ID": attempt.receipt_id, "Result": "PASS", "Reason": "", "MessageType": ""});
                    (Some("application/json"), ssencrypt::PyValue::from(&v).wire_json().into_bytes())
                }
                Launch => {
                    let secret = if vendor { crate::lti_support::SECRET } else { "a-guessed-secret-0123456789" };
                    (Some("application/x-www-form-urlencoded"), launch_form(&path, secret, &nonce).into_bytes())
                }
                HostedEvent => {
                    let e = json!({"id": format!("evt_{col}"), "type": "inquiry.status_changed", "created_at": 0,
                        "data": {"inquiry_id": "inq_unknown", "status": "approved"}});
                    (Some("application/json"), e.to_string().into_bytes())
                }
            };
            if let Some(ct) = content_type {
                b = b.header(header::CONTENT_TYPE, ct);
            }
            if vendor {
                // The vendor signs whatever it sends with its own credentials.
                let py =
                    ssencrypt::python::loads_bytes(&bytes).unwrap_or_else(|_| ssencrypt::PyValue::from(&json!({})));
                let headers =
                    SignedHeaders::from_pairs([("Content-Type", "application/json"), ("Date", date.as_str())]);
                let sig = ssencrypt::sign_message(
                    &keys.secret_key,
                    &ssencrypt::signing_string("POST", &headers, &py).expect("signing string"),
                );
                b = b
                    .header(header::DATE, &date)
                    .header(header::AUTHORIZATION, ssencrypt::authorization_header(&keys.access_key, &sig))
                    .header(
                        webhook_signature::HEADER,
                        webhook_signature::sign(HOSTED_SECRET.as_bytes(), now.timestamp(), &bytes),
                    );
            }
            let (status, headers, body) = app.send(b.body(Body::from(bytes)).expect("request")).await;
            got[col] = status.as_u16();
            if status.is_client_error() {
                let ct = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or_default();
                let v: Value = serde_json::from_slice(&body).unwrap_or_default();
                if !ct.starts_with("application/json") || !v["error"]["code"].is_string() {
                    wrong.push(format!("{} {} as {who}: {status} without the JSON error envelope", r.method, r.path));
                }
            }
        }
        if got != r.expect {
            wrong.push(format!("{} {}: expected {:?}, got {:?}", r.method, r.route, r.expect, got));
        }
        observed.push(format!("{} {} {:?}", r.method, r.route, got));
    }
    assert!(wrong.is_empty(), "{}\n\nobserved:\n{}", wrong.join("\n"), observed.join("\n"));

    // The metrics scraper is its own actor: its bearer token opens /metrics, and nothing else.
    let scrape = |path: &str| {
        Request::get(path)
            .header(header::AUTHORIZATION, format!("Bearer {METRICS_TOKEN}"))
            .body(Body::empty())
            .expect("request")
    };
    assert_eq!(app.send(scrape("/metrics")).await.0, 200);
    assert_eq!(app.send(scrape("/api/v1/me")).await.0, 401);
}
on_both_backends!(authorization_matrix, matrix);

/// The phone column of every row: a session started by a "Continue on your phone" link gets
/// 403 from every route that asks who the caller is, except the flow and the status, and
/// exactly what a signed-in learner gets there. Routes that answer everyone alike (anon and
/// learner columns equal) are not about the session and are skipped, as are the vendor's
/// signed bodies.
async fn phone_column(db: &TestDb) {
    let app = TestApp::new(db).await;
    let pia = app.login("pia").await;
    let phone = crate::handoff::phone_session(&app, &pia).await;
    let mut wrong = Vec::new();
    for r in MATRIX {
        let [anon, ada, ..] = r.expect;
        if anon == ada || matches!(r.body, Verdict | HostedEvent | Launch) {
            continue;
        }
        let path = r
            .path
            .replace("{receipt}", "matrix-receipt")
            .replace("{attempt}", "1")
            .replace("{job}", "1")
            .replace("{mv}", "1")
            .replace("{photo_query}", "");
        let mut b = Request::builder().method(r.method).uri(&path).header(header::COOKIE, &phone);
        let bytes = match r.body {
            J(s) => {
                b = b.header(header::CONTENT_TYPE, "application/json");
                s
            }
            Form(s) => {
                b = b.header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
                s
            }
            _ => "",
        };
        let (status, _, _) = app.send(b.body(Body::from(bytes)).expect("request")).await;
        let allowed = server::http::handoff::phone_may_use(&path);
        if allowed == (status == 403) {
            wrong.push(format!("{} {}: phone session got {status} (in its scope: {allowed})", r.method, r.route));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}
on_both_backends!(phone_sessions_reach_only_the_flow_and_the_status, phone_column);
