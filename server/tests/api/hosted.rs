//! The hosted-flow vendor through Vouch's real router and a real fake hosted vendor on a
//! loopback port: inquiries created and resumed through `slot_config`, webhooks verified
//! (signature, window, replay), statuses mapped onto the generic attempt, and the slot's
//! configuration (filler, props, unknown names, vendor down).

use crate::support::{TestApp, TestDb};
use app::domain::AttemptKind;
use axum::{
    body::Body,
    http::{Request, StatusCode, header},
};
use fake_vendor::hosted::{HostedConfig, Outcome, serve};
use serde_json::{Value, json};
use server::clock::Clock as _;
use server::{
    config::Config,
    store::{kinds, transitions},
};
use ssencrypt::webhook_signature as signature;

const API_KEY: &str = "hosted-api-key-for-tests";
const SECRET: &str = "hosted-webhook-secret-for-tests-0123456789";

/// A fake hosted vendor in this process, on a free port; returns its base URL.
async fn vendor(outcome: Outcome) -> String {
    let cfg = HostedConfig {
        bind: "127.0.0.1:0".parse().expect("addr"),
        api_key: API_KEY.into(),
        webhook_secret: SECRET.into(),
        outcome,
        deny_marker: "DENY".into(),
        decision_delay: std::time::Duration::from_millis(50),
    };
    let (addr, _task) = serve(cfg, std::future::pending()).await.expect("fake hosted vendor starts");
    format!("http://{addr}")
}

fn hosted(cfg: &mut Config, vendor_url: &str) {
    cfg.idv.vendor = "hosted".into();
    cfg.idv.hosted_api_url = vendor_url.into();
    cfg.idv.hosted_api_key = Some(API_KEY.to_owned().into());
    cfg.idv.hosted_webhook_secret = Some(SECRET.to_owned().into());
}

async fn slot_config(app: &TestApp, cookie: &str) -> (StatusCode, Value) {
    app.json(crate::support::sfn("slot_config", Some(cookie), String::new())).await
}

fn webhook(body: &str, sig: &str) -> Request<Body> {
    Request::post("/callbacks/hosted")
        .header(header::CONTENT_TYPE, "application/json")
        .header(signature::HEADER, sig)
        .body(Body::from(body.to_owned()))
        .expect("request")
}

fn event(id: &str, inquiry: &str, status: &str) -> String {
    json!({"id": id, "type": "inquiry.status_changed", "created_at": 0,
           "data": {"inquiry_id": inquiry, "status": status}})
    .to_string()
}

fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

/// (attempt id, status, vendor reference) of every hosted attempt.
async fn attempts(db: &TestDb) -> Vec<(i64, String, String)> {
    let mut conn = db.store.conn().await.expect("conn");
    sqlx::query_as("select attempt_id, status, vendor_reference from verification_attempt where vendor = 'hosted' order by attempt_id")
        .fetch_all(&mut *conn)
        .await
        .expect("query")
}

async fn inquiry_created_resumed_and_decided_by_webhooks(db: &TestDb) {
    let vendor_url = vendor(Outcome::Approve).await;
    let (app, _base) = TestApp::listening(db, |c| hosted(c, &vendor_url)).await;
    let cookie = app.login("ada").await;

    let (status, first) = slot_config(&app, &cookie).await;
    assert_eq!(status, StatusCode::OK, "{first}");
    assert_eq!(first["filler"], "hosted");
    assert_eq!(first["hosted"]["display"], "iframe");
    let url = first["hosted"]["url"].as_str().expect("flow url");
    assert!(url.starts_with(&format!("{vendor_url}/flow/inq_")), "{url}");
    let made = attempts(db).await;
    assert_eq!(made.len(), 1);
    let (id, state, inquiry) = made[0].clone();
    assert_eq!(state, "created");
    assert!(url.contains(&inquiry));

    // Opening the page again resumes the same inquiry with a fresh session.
    let (_, again) = slot_config(&app, &cookie).await;
    let url2 = again["hosted"]["url"].as_str().expect("flow url");
    assert!(url2.contains(&inquiry) && url2 != url, "{url2}");
    assert_eq!(attempts(db).await.len(), 1);

    // Refused without changing anything: no signature, a wrong one, a stale one.
    let submitted = event("evt_1", &inquiry, "submitted");
    let (s, body) = app.json(webhook(&submitted, "")).await;
    assert_eq!((s, body["error"]["code"].as_str()), (StatusCode::UNAUTHORIZED, Some("unauthenticated")));
    let wrong = signature::sign(b"another secret entirely", now(), submitted.as_bytes());
    assert_eq!(app.json(webhook(&submitted, &wrong)).await.0, StatusCode::UNAUTHORIZED);
    // Stale by the app's clock (a manual clock set when the app started), not by the wall
    // clock: on a loaded machine the two drift apart and `now() - 301` was not stale.
    let stale = signature::sign(SECRET.as_bytes(), app.services.clock.now().timestamp() - 301, submitted.as_bytes());
    assert_eq!(app.json(webhook(&submitted, &stale)).await.0, StatusCode::UNAUTHORIZED);
    let tampered = signature::sign(SECRET.as_bytes(), now(), submitted.as_bytes());
    assert_eq!(app.json(webhook(&event("evt_1", &inquiry, "approved"), &tampered)).await.0, StatusCode::UNAUTHORIZED);
    assert_eq!(attempts(db).await[0].1, "created");

    // A valid one moves the attempt; the same event again is a replay.
    let sig = signature::sign(SECRET.as_bytes(), now(), submitted.as_bytes());
    let (s, body) = app.json(webhook(&submitted, &sig)).await;
    assert_eq!(s, StatusCode::OK, "{body}");
    assert_eq!(attempts(db).await[0].1, "pending");
    let (s, body) = app.json(webhook(&submitted, &sig)).await;
    assert_eq!((s, body["error"]["code"].as_str()), (StatusCode::CONFLICT, Some("conflict")));
    let (_, st) = app.json(crate::support::sfn("verification_status", Some(&cookie), String::new())).await;
    assert_eq!(st["status"], "pending");

    // An unknown inquiry is refused; an unknown status word is acknowledged and ignored.
    let unknown = event("evt_2", "inq_nobody", "approved");
    let sig = signature::sign(SECRET.as_bytes(), now(), unknown.as_bytes());
    assert_eq!(app.json(webhook(&unknown, &sig)).await.0, StatusCode::BAD_REQUEST);
    let odd = event("evt_3", &inquiry, "transmogrified");
    let sig = signature::sign(SECRET.as_bytes(), now(), odd.as_bytes());
    assert_eq!(app.send(webhook(&odd, &sig)).await.0, StatusCode::OK);

    // Approved: with an expiration; a later contrary verdict does not undo it.
    let approved = event("evt_4", &inquiry, "approved");
    let sig = signature::sign(SECRET.as_bytes(), now(), approved.as_bytes());
    assert_eq!(app.send(webhook(&approved, &sig)).await.0, StatusCode::OK);
    let declined = event("evt_5", &inquiry, "declined");
    let sig = signature::sign(SECRET.as_bytes(), now(), declined.as_bytes());
    assert_eq!(app.send(webhook(&declined, &sig)).await.0, StatusCode::OK);
    let mut conn = db.store.conn().await.expect("conn");
    let attempt = kinds::by_id(&mut conn, AttemptKind::Generic, id).await.expect("q").expect("row");
    assert_eq!(attempt.status, "approved");
    assert!(attempt.expires_at.is_some_and(|e| e > app.clock.now()));
    let history: Vec<String> =
        transitions::history(&mut conn, AttemptKind::Generic, id).await.expect("h").into_iter().map(|t| t.to).collect();
    assert_eq!(history, ["created", "pending", "approved"]);
    drop(conn);
    let (_, st) = app.json(crate::support::sfn("verification_status", Some(&cookie), String::new())).await;
    assert_eq!(st["status"], "approved");
}
crate::on_both_backends!(hosted_inquiry_and_webhooks, inquiry_created_resumed_and_decided_by_webhooks);

async fn slot_filler_props_and_fallbacks(db: &TestDb) {
    // Software Secure (the default): the built-in flow, no hosted URL, operator props passed.
    let (app, _) = TestApp::listening(db, |c| {
        c.idv.slot_props.insert("headline".into(), "Welcome to Example U".into());
    })
    .await;
    let cookie = app.login("bea").await;
    let (s, cfg) = slot_config(&app, &cookie).await;
    assert_eq!(s, StatusCode::OK, "{cfg}");
    assert_eq!((cfg["filler"].as_str(), cfg["hosted"].is_null()), (Some("builtin"), true));
    assert_eq!(cfg["props"]["headline"], "Welcome to Example U");
    // Signed out: refused.
    let (s, _) = app.json(crate::support::sfn("slot_config", None, String::new())).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);

    // A custom filler by name, and a name no build knows (passed on; the browser falls back).
    for name in ["operator_notice", "no_such_filler"] {
        let (app, _) = TestApp::listening(db, |c| c.idv.slot_filler = Some(name.into())).await;
        let cookie = app.login("bea").await;
        assert_eq!(slot_config(&app, &cookie).await.1["filler"], name);
    }

    // The hosted vendor unreachable: 503, and no attempt recorded.
    let closed = format!("http://127.0.0.1:{}", {
        let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        l.local_addr().expect("addr").port()
    });
    let (app, _) = TestApp::listening(db, |c| hosted(c, &closed)).await;
    let cookie = app.login("cy").await;
    let (s, body) = slot_config(&app, &cookie).await;
    assert_eq!((s, body["error"]["code"].as_str()), (StatusCode::SERVICE_UNAVAILABLE, Some("unavailable")));
    assert!(attempts(db).await.is_empty());

    // A vendor that no longer knows the open inquiry (404 on resume): a new inquiry and attempt.
    let forgetful = vendor(Outcome::Approve).await;
    let (app, _) = TestApp::listening(db, |c| hosted(c, &forgetful)).await;
    let cookie = app.login("eve").await;
    assert_eq!(slot_config(&app, &cookie).await.0, StatusCode::OK);
    let other = vendor(Outcome::Approve).await;
    let (app, _) = TestApp::listening(db, |c| hosted(c, &other)).await;
    let cookie = app.login("eve").await;
    let (s, cfg) = slot_config(&app, &cookie).await;
    assert_eq!(s, StatusCode::OK, "{cfg}");
    assert!(cfg["hosted"]["url"].as_str().is_some_and(|u| u.starts_with(&other)), "{cfg}");
    assert_eq!(attempts(db).await.len(), 2);

    // The manual vendor: a notice filler, nothing to start.
    let (app, _) = TestApp::listening(db, |c| c.idv.vendor = "manual".into()).await;
    let cookie = app.login("dee").await;
    assert_eq!(slot_config(&app, &cookie).await.1["filler"], "manual");
    // Callbacks for vendors that do not exist, or have none, are 404.
    let req = |v: &str| Request::post(format!("/callbacks/{v}")).body(Body::from("{}")).expect("request");
    assert_eq!(app.json(req("persona")).await.0, StatusCode::NOT_FOUND);
    assert_eq!(app.json(req("manual")).await.0, StatusCode::NOT_FOUND);
    // Without a configured webhook secret (and another vendor) the hosted callback does not exist.
    assert_eq!(app.json(req("hosted")).await.0, StatusCode::NOT_FOUND);
}
crate::on_both_backends!(slot_configuration, slot_filler_props_and_fallbacks);

#[test]
fn the_vendor_is_validated_at_start() {
    let mut cfg = Config::default();
    cfg.idv.vendor = "persona".into();
    let err = format!("{:?}", server::config::vendors::IdvConfig::validate(&cfg.idv));
    assert!(err.contains("software_secure, hosted, manual"), "{err}");
    cfg.idv.vendor = "hosted".into();
    assert!(cfg.idv.validate().is_err(), "hosted needs its keys");
    cfg.idv.hosted_api_key = Some("k".to_owned().into());
    cfg.idv.hosted_webhook_secret = Some("short".to_owned().into());
    assert!(cfg.idv.validate().is_err(), "a short webhook secret is refused");
    cfg.idv.hosted_webhook_secret = Some(SECRET.to_owned().into());
    assert!(cfg.idv.validate().is_ok());
}
