//! Signatures at every door, judged by the whole state: Software Secure's callback (both
//! routes), the hosted vendor's webhook and the LTI launch, each forged, stale, future-dated
//! and replayed, must get its 4xx JSON error and leave every table and photo file as it was
//! (the per-channel tests check the attempt; this checks everything). Outbound webhooks'
//! `Vouch-Signature` is checked with Python's `hmac` as the reference implementation.

use crate::{
    bad_input::snapshot,
    lti_support::{LAUNCH_PATH, SECRET, add_consumer, unsigned_launch_params},
    on_both_backends,
    support::{TestApp, TestDb, data_url, fixture_keys, jpeg_bytes, sfn},
    webhooks::Receiver,
};
use axum::{
    body::Body,
    http::{Request, StatusCode, header},
};
use serde_json::{Value, json};
use server::{
    lti::oauth,
    service::{generic_attempts, manual_verifications},
    store::transitions::Actor,
};
use ssencrypt::SignedHeaders;
use ssencrypt::webhook_signature as signature;
use std::io::Write;

const HOSTED_SECRET: &str = "signatures-hosted-webhook-secret";
const BASE: &str = "http://127.0.0.1:8000";

/// Software Secure's callback to `path`, signed with `secret`, dated `date`.
fn ss_callback(path: &str, body: &Value, date: &str, secret: &str) -> Request<Body> {
    let keys = fixture_keys();
    let py = ssencrypt::PyValue::from(body);
    let headers = SignedHeaders::from_pairs([("Content-Type", "application/json"), ("Date", date)]);
    let sig =
        ssencrypt::sign_message(secret, &ssencrypt::signing_string("POST", &headers, &py).expect("signing string"));
    Request::post(path)
        .header(header::CONTENT_TYPE, "application/json")
        .header(header::DATE, date)
        .header(header::AUTHORIZATION, ssencrypt::authorization_header(&keys.access_key, &sig))
        .body(Body::from(py.wire_json()))
        .expect("request")
}

fn hosted_webhook(body: &str, secret: &str, t: i64) -> Request<Body> {
    Request::post("/callbacks/hosted")
        .header(header::CONTENT_TYPE, "application/json")
        .header(signature::HEADER, signature::sign(secret.as_bytes(), t, body.as_bytes()))
        .body(Body::from(body.to_owned()))
        .expect("request")
}

/// A launch form signed with `secret` at `timestamp` with `nonce`.
fn launch(secret: &str, timestamp: i64, nonce: &str) -> Request<Body> {
    let mut params = unsigned_launch_params("sig-link", "sig-user");
    params.push(("oauth_timestamp".into(), timestamp.to_string()));
    params.push(("oauth_nonce".into(), nonce.to_owned()));
    let base = oauth::base_string("POST", &format!("{BASE}{LAUNCH_PATH}"), &params);
    params.push(("oauth_signature".into(), oauth::sign(secret, &base)));
    let form =
        params.iter().map(|(k, v)| format!("{}={}", oauth::encode(k), oauth::encode(v))).collect::<Vec<_>>().join("&");
    Request::post(LAUNCH_PATH)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(form))
        .expect("request")
}

/// Sends `req`, expecting `status` with error `code`, and no change at all.
async fn refused(app: &TestApp, db: &TestDb, what: &str, req: Request<Body>, status: StatusCode, code: &str) {
    let before = snapshot(db).await;
    let (s, v) = app.json(req).await;
    assert_eq!((s, v["error"]["code"].as_str()), (status, Some(code)), "{what}: {v}");
    assert!(snapshot(db).await == before, "{what} changed the state");
}

async fn inbound(db: &TestDb) {
    let mut cfg = db.config();
    cfg.server.public_url = BASE.into();
    cfg.idv.hosted_webhook_secret = Some(HOSTED_SECRET.to_owned().into());
    let app = TestApp::with_config(db, cfg).await;
    let now = app.services.clock.now();

    // Software Secure: Ada's attempt, with the vendor.
    let ada = app.login("ada").await;
    let face = data_url("image/jpeg", &jpeg_bytes(200));
    let body = json!({"request": {"face_image": face, "photo_id_image": face, "full_name": null}}).to_string();
    assert_eq!(app.json(sfn("submit_photos", Some(&ada), body)).await.0, StatusCode::OK);
    let mut conn = db.store.conn().await.expect("conn");
    let user = server::store::users::by_username(&mut conn, "ada").await.expect("q").expect("ada");
    let attempt = server::store::attempts::for_user(&mut conn, user.id).await.expect("attempts").remove(0);
    sqlx::query("update photo_verification set status = 'submitted' where attempt_id = $1")
        .bind(attempt.id.0)
        .execute(&mut *conn)
        .await
        .expect("submitted");
    drop(conn);
    let keys = fixture_keys();
    let date = ssencrypt::http_date(now);
    let stale = ssencrypt::http_date(now - chrono::Duration::minutes(6));
    let future = ssencrypt::http_date(now + chrono::Duration::minutes(6));
    let verdict = json!({"EdX-ID": attempt.receipt_id, "Result": "PASS", "Reason": "", "MessageType": ""});
    for path in ["/verify_student/results_callback", "/callbacks/software_secure"] {
        let forged = ss_callback(path, &verdict, &date, "not the vendor's secret");
        refused(&app, db, "forged SS callback", forged, StatusCode::UNAUTHORIZED, "unauthenticated").await;
        let old = ss_callback(path, &verdict, &stale, &keys.secret_key);
        refused(&app, db, "stale SS callback", old, StatusCode::UNAUTHORIZED, "unauthenticated").await;
        let ahead = ss_callback(path, &verdict, &future, &keys.secret_key);
        refused(&app, db, "future SS callback", ahead, StatusCode::UNAUTHORIZED, "unauthenticated").await;
    }
    let (s, _, body) =
        app.send(ss_callback("/verify_student/results_callback", &verdict, &date, &keys.secret_key)).await;
    assert_eq!(s, StatusCode::OK, "{}", String::from_utf8_lossy(&body));
    for path in ["/verify_student/results_callback", "/callbacks/software_secure"] {
        let again = ss_callback(path, &verdict, &date, &keys.secret_key);
        refused(&app, db, "replayed SS callback", again, StatusCode::CONFLICT, "conflict").await;
        // The same signed callback respelled (another scheme word, other whitespace) is not a
        // new callback: the scheme must be `SSI` exactly (trust issue, item 9).
        let signed = ss_callback(path, &verdict, &date, &keys.secret_key);
        let auth = signed.headers()[header::AUTHORIZATION].to_str().expect("ascii").to_owned();
        for respelled in [
            auth.replacen("SSI ", "X ", 1),
            auth.replacen("SSI ", "SSI\t", 1),
            auth.replacen("SSI ", "SSI  ", 1),
            auth.replacen("SSI ", "ssi ", 1),
        ] {
            let mut again = ss_callback(path, &verdict, &date, &keys.secret_key);
            again.headers_mut().insert(header::AUTHORIZATION, respelled.parse().expect("header"));
            refused(&app, db, "respelled SS callback", again, StatusCode::UNAUTHORIZED, "unauthenticated").await;
        }
    }

    // The hosted vendor's webhook, for a generic attempt of Bob's.
    app.login("bob").await;
    let mut conn = db.store.conn().await.expect("conn");
    let bob_user = server::store::users::by_username(&mut conn, "bob").await.expect("q").expect("bob").id;
    drop(conn);
    let new = generic_attempts::GenericAttempt {
        user: bob_user,
        name: "Bob".into(),
        status: "created".into(),
        expiration: None,
        hide_status_from_user: false,
        vendor: "hosted".into(),
        vendor_reference: "inq_sig".into(),
    };
    generic_attempts::create_verification_attempt(&app.services, new, &Actor::System).await.expect("generic attempt");
    let event = json!({"id": "evt_sig_1", "type": "inquiry.status_changed", "created_at": 0,
        "data": {"inquiry_id": "inq_sig", "status": "submitted"}})
    .to_string();
    // The webhook window is the hosted plugin's 300 s.
    let wall = now.timestamp();
    let forged = hosted_webhook(&event, "another secret", wall);
    refused(&app, db, "forged webhook", forged, StatusCode::UNAUTHORIZED, "unauthenticated").await;
    let old = hosted_webhook(&event, HOSTED_SECRET, wall - 301);
    refused(&app, db, "stale webhook", old, StatusCode::UNAUTHORIZED, "unauthenticated").await;
    let ahead = hosted_webhook(&event, HOSTED_SECRET, wall + 301);
    refused(&app, db, "future webhook", ahead, StatusCode::UNAUTHORIZED, "unauthenticated").await;
    let (s, v) = app.json(hosted_webhook(&event, HOSTED_SECRET, wall)).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let same = hosted_webhook(&event, HOSTED_SECRET, wall);
    refused(&app, db, "replayed webhook", same, StatusCode::CONFLICT, "conflict").await;
    // The same event id signed afresh (a captured event re-sent later) is still a replay.
    let resigned = hosted_webhook(&event, HOSTED_SECRET, wall + 1);
    refused(&app, db, "re-signed webhook", resigned, StatusCode::CONFLICT, "conflict").await;

    // LTI launches.
    add_consumer(&db.store).await;
    let forged = launch("not-the-consumer-secret", wall, "nonce-forged");
    refused(&app, db, "forged launch", forged, StatusCode::UNAUTHORIZED, "unauthenticated").await;
    let old = launch(SECRET, wall - 3600, "nonce-old");
    refused(&app, db, "stale launch", old, StatusCode::UNAUTHORIZED, "unauthenticated").await;
    let ahead = launch(SECRET, wall + 3600, "nonce-ahead");
    refused(&app, db, "future launch", ahead, StatusCode::UNAUTHORIZED, "unauthenticated").await;
    let (s, _, _) = app.send(launch(SECRET, wall, "nonce-once")).await;
    assert_eq!(s, StatusCode::SEE_OTHER, "a valid launch signs in");
    let replay = launch(SECRET, wall, "nonce-once");
    refused(&app, db, "replayed launch", replay, StatusCode::UNAUTHORIZED, "unauthenticated").await;
}
on_both_backends!(forged_stale_replayed_change_nothing, inbound);

const HOOK_SECRET: &str = "whsec_signatures_reference_check";

/// Python's `hmac` as the reference: for each (header, body), whether it verifies.
fn python_verifies(secret: &str, items: &[(String, String)]) -> Vec<bool> {
    let script = r#"
import hashlib, hmac, json, sys
data = json.load(sys.stdin)
out = []
for header, body in data["items"]:
    parts = dict(p.split("=", 1) for p in header.split(","))
    mac = hmac.new(data["secret"].encode(), (parts["t"] + "." + body).encode(), hashlib.sha256).hexdigest()
    out.append(hmac.compare_digest(mac, parts["v1"]))
print(json.dumps(out))
"#;
    let mut child = std::process::Command::new("python3")
        .args(["-c", script])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("python3 runs");
    let input = json!({"secret": secret, "items": items}).to_string();
    child.stdin.take().expect("stdin").write_all(input.as_bytes()).expect("write");
    let out = child.wait_with_output().expect("python output");
    assert!(out.status.success(), "the Python check failed");
    serde_json::from_slice(&out.stdout).expect("a JSON list")
}

async fn outbound(db: &TestDb) {
    let r = Receiver::start(200).await;
    let mut cfg = db.config();
    cfg.events.webhook_url = Some(r.url.clone());
    cfg.events.webhook_secret = Some(HOOK_SECRET.to_owned().into());
    let app = TestApp::with_config(db, cfg).await;
    app.login("cy").await;
    let mut conn = db.store.conn().await.expect("conn");
    let user = server::store::users::by_username(&mut conn, "cy").await.expect("q").expect("cy").id;
    drop(conn);
    let m = manual_verifications::create_manual_verification(&app.services, user, "Cy Néel", "checked", None)
        .await
        .expect("manual");
    manual_verifications::revoke_manual_verification(&app.services, m, None, "mistake").await.expect("revoke");
    server::reactions::runner(app.services.clone(), "test").run_until_idle().await;
    let got = r.received();
    assert!(got.len() >= 2, "the receiver got the events: {got:?}");
    let mut items: Vec<(String, String)> = got.iter().map(|g| (g.signature.clone(), g.body.clone())).collect();
    let genuine = items.len();
    // Tampered copies must fail the reference check.
    for g in &got {
        items.push((g.signature.clone(), g.body.replacen('{', "{ ", 1)));
    }
    let verdicts = python_verifies(HOOK_SECRET, &items);
    assert!(verdicts[..genuine].iter().all(|&ok| ok), "Python's hmac verifies every Vouch-Signature");
    assert!(verdicts[genuine..].iter().all(|&ok| !ok), "a changed body does not verify");
    assert!(python_verifies("another secret", &items[..genuine]).iter().all(|&ok| !ok));
}
on_both_backends!(outbound_signatures_match_python_hmac, outbound);
