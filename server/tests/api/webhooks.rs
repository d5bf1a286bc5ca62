//! Outbound webhooks against a real HTTP receiver started by the test: every event reaches
//! every webhook with a valid `Vouch-Signature`; a failing receiver gets retries, then a
//! dead letter that staff see and queue again through the HTTP endpoints.

use crate::{
    lifecycle_events::{all_events, learner},
    on_both_backends,
    support::{TestApp, TestDb},
};
use axum::{
    Router,
    body::{Body, Bytes},
    extract::State,
    http::{HeaderMap, Request, StatusCode, header},
    routing::post,
};
use hmac::{KeyInit, Mac};
use server::{
    config::events::WebhookConfig,
    service::{generic_attempts, manual_verifications},
    store::{users, webhook_deliveries},
};
use std::sync::{
    Arc, Mutex,
    atomic::{AtomicU16, Ordering},
};

/// One request the receiver got.
#[derive(Debug, Clone)]
pub struct Received {
    pub signature: String,
    pub body: String,
}

/// A webhook receiver on a real port, answering `status` to every POST.
#[derive(Clone)]
pub struct Receiver {
    pub url: String,
    pub got: Arc<Mutex<Vec<Received>>>,
    pub status: Arc<AtomicU16>,
}

async fn receive(State(r): State<Receiver>, headers: HeaderMap, body: Bytes) -> StatusCode {
    let signature = headers.get("vouch-signature").and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
    r.got.lock().expect("lock").push(Received { signature, body: String::from_utf8_lossy(&body).into_owned() });
    StatusCode::from_u16(r.status.load(Ordering::SeqCst)).expect("status")
}

impl Receiver {
    pub async fn start(status: u16) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let url = format!("http://{}/hooks/vouch", listener.local_addr().expect("addr"));
        let r = Self { url, got: Arc::default(), status: Arc::new(AtomicU16::new(status)) };
        let app = Router::new().route("/hooks/vouch", post(receive)).with_state(r.clone());
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        r
    }

    pub fn received(&self) -> Vec<Received> {
        self.got.lock().expect("lock").clone()
    }
}

/// Checks a `Vouch-Signature` the way a receiver should: parse `t` and `v1`, recompute the
/// HMAC over `"<t>.<body>"`, compare in constant time. Returns `t`.
pub fn verify(secret: &str, header: &str, body: &str) -> Option<i64> {
    let mut t = None;
    let mut v1 = None;
    for part in header.split(',') {
        match part.split_once('=') {
            Some(("t", v)) => t = v.parse::<i64>().ok(),
            Some(("v1", v)) => v1 = Some(v.to_owned()),
            _ => {}
        }
    }
    let (t, v1) = (t?, v1?);
    let bytes: Vec<u8> = (0..v1.len())
        .step_by(2)
        .map(|i| v1.get(i..i + 2).and_then(|h| u8::from_str_radix(h, 16).ok()))
        .collect::<Option<_>>()?;
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).expect("any key length");
    mac.update(format!("{t}.{body}").as_bytes());
    mac.verify_slice(&bytes).ok().map(|()| t)
}

const SECRET_1: &str = "whsec_first_receiver_secret";
const SECRET_2: &str = "whsec_second_receiver_secret";

async fn every_event_signed(db: &TestDb) {
    let r1 = Receiver::start(200).await;
    let r2 = Receiver::start(204).await;
    let mut cfg = db.config();
    cfg.events.webhook_url = Some(r1.url.clone());
    cfg.events.webhook_secret = Some(SECRET_1.to_owned().into());
    cfg.events.webhooks = vec![WebhookConfig { url: r2.url.clone(), secret: SECRET_2.to_owned().into() }];
    let app = TestApp::with_config(db, cfg).await;
    let s = &app.services;
    let (_, user) = learner(&app, "ada", "Ada Lovelace").await;
    let m = manual_verifications::create_manual_verification(s, user, "Ada Lovelace", "checked", None)
        .await
        .expect("manual");
    manual_verifications::revoke_manual_verification(s, m, None, "mistake").await.expect("revoke");
    let new = generic_attempts::GenericAttempt {
        user,
        name: "Ada Lovelace".into(),
        status: "created".into(),
        expiration: None,
        hide_status_from_user: false,
        vendor: "hosted".into(),
        vendor_reference: "inq_1".into(),
    };
    let g = generic_attempts::create_verification_attempt(s, new, &server::store::transitions::Actor::System)
        .await
        .expect("g");
    generic_attempts::update_verification_attempt(
        s,
        g,
        None,
        Some("pending"),
        None,
        &server::store::transitions::Actor::System,
    )
    .await
    .expect("pending");
    server::reactions::runner(s.clone(), "test").run_until_idle().await;

    let mut expected: Vec<String> = all_events(s).await.into_iter().map(|e| e.payload).collect();
    expected.sort();
    assert_eq!(expected.len(), 4);
    let now = s.clock.now().timestamp();
    for (r, secret, other) in [(&r1, SECRET_1, SECRET_2), (&r2, SECRET_2, SECRET_1)] {
        let got = r.received();
        let mut bodies: Vec<String> = got.iter().map(|g| g.body.clone()).collect();
        bodies.sort();
        assert_eq!(bodies, expected, "each receiver gets every event, byte for byte, once");
        for g in &got {
            let t = verify(secret, &g.signature, &g.body).unwrap_or_else(|| panic!("bad signature {}", g.signature));
            assert!((now - t).abs() < 300, "timestamp is current");
            assert!(verify(other, &g.signature, &g.body).is_none(), "another secret does not verify");
            assert!(verify(secret, &g.signature, &g.body.replace("Ada", "Eve")).is_none(), "a changed body does not");
        }
    }
    let mut conn = s.store.conn().await.expect("conn");
    let (all, total) = webhook_deliveries::list(&mut conn, None, 0, 100).await.expect("list");
    assert_eq!(total, 8);
    assert!(all.iter().all(|d| d.status == "delivered" && d.tries == 1));
}
on_both_backends!(every_event_reaches_every_webhook_signed, every_event_signed);

fn get(path: &str, cookie: Option<&str>) -> Request<Body> {
    let mut b = Request::get(path);
    if let Some(c) = cookie {
        b = b.header(header::COOKIE, c);
    }
    b.body(Body::empty()).expect("request")
}

fn post_req(path: &str, cookie: Option<&str>) -> Request<Body> {
    let mut b = Request::post(path);
    if let Some(c) = cookie {
        b = b.header(header::COOKIE, c);
    }
    b.body(Body::empty()).expect("request")
}

async fn retries_then_dead(db: &TestDb) {
    let r = Receiver::start(500).await;
    let mut cfg = db.config();
    cfg.events.webhook_url = Some(r.url.clone());
    cfg.events.webhook_secret = Some(SECRET_1.to_owned().into());
    cfg.events.webhook_max_attempts = 3;
    cfg.events.webhook_retry_base_secs = 5.0;
    let app = TestApp::with_config(db, cfg).await;
    let s = &app.services;
    let (learner_cookie, user) = learner(&app, "ada", "Ada").await;
    manual_verifications::create_manual_verification(s, user, "Ada", "checked", None).await.expect("manual");
    let runner = server::reactions::runner(s.clone(), "test");
    runner.run_until_idle().await;
    assert_eq!(r.received().len(), 1, "first try");
    // Not yet due: the retry waits its backoff.
    runner.run_until_idle().await;
    assert_eq!(r.received().len(), 1, "no retry before the backoff");
    for expected in [2, 3] {
        app.clock.advance(chrono::Duration::seconds(30));
        runner.run_until_idle().await;
        assert_eq!(r.received().len(), expected);
    }
    app.clock.advance(chrono::Duration::hours(2));
    runner.run_until_idle().await;
    assert_eq!(r.received().len(), 3, "no try after the last");

    // Staff see the dead letter; others are refused.
    let (st, v) = app.json(get("/api/v1/webhooks/deliveries?status=dead", None)).await;
    assert_eq!((st, v["error"]["code"].as_str()), (StatusCode::UNAUTHORIZED, Some("unauthenticated")), "{v}");
    let (st, _) = app.json(get("/api/v1/webhooks/deliveries", Some(&learner_cookie))).await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    let staff = app.login("root").await;
    {
        let mut conn = s.store.conn().await.expect("conn");
        let u = users::by_username(&mut conn, "root").await.expect("q").expect("root");
        users::set_staff(&mut conn, u.id, true).await.expect("staff");
    }
    let (st, v) = app.json(get("/api/v1/webhooks/deliveries?status=dead", Some(&staff))).await;
    assert_eq!(st, StatusCode::OK, "{v}");
    assert_eq!((v["count"].as_i64(), v["num_pages"].as_i64(), v["current_page"].as_i64()), (Some(1), Some(1), Some(1)));
    assert!(v["next"].is_null() && v["previous"].is_null());
    let d = &v["results"][0];
    assert_eq!(
        (d["status"].as_str(), d["tries"].as_i64(), d["last_status_code"].as_i64()),
        (Some("dead"), Some(3), Some(500))
    );
    assert_eq!(d["url"], r.url.as_str());
    assert_eq!(d["event_type"], "org.openedx.learning.idv_attempt.approved.v1");
    let id = d["id"].as_i64().expect("id");
    // The console reads the page as the shared bodies.
    let typed: rest_types::Paginated<rest_types::WebhookDeliveryBody> =
        serde_json::from_value(v.clone()).expect("the console's delivery page");
    assert_eq!((typed.results[0].id, typed.results[0].last_status_code), (id, Some(500)));
    assert!(
        chrono::DateTime::parse_from_rfc3339(&typed.results[0].updated_at).is_ok(),
        "{}",
        typed.results[0].updated_at
    );
    let (st, v) = app.json(get("/api/v1/webhooks/deliveries?status=delivered", Some(&staff))).await;
    assert_eq!((st, v["count"].as_i64()), (StatusCode::OK, Some(0)));
    let (st, _) = app.json(get("/api/v1/webhooks/deliveries?status=lost", Some(&staff))).await;
    assert!(st.is_client_error(), "an unknown status is refused");
    let (st, _) = app.json(get("/api/v1/webhooks/deliveries?page=0", Some(&staff))).await;
    assert!(st.is_client_error());

    // A learner cannot retry; staff can, once the receiver is back.
    let path = format!("/api/v1/webhooks/deliveries/{id}/retry");
    let (st, _) = app.json(post_req(&path, Some(&learner_cookie))).await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    r.status.store(200, Ordering::SeqCst);
    let (st, v) = app.json(post_req(&path, Some(&staff))).await;
    assert_eq!(
        (st, v["status"].as_str(), v["manual_retries"].as_i64()),
        (StatusCode::OK, Some("pending"), Some(1)),
        "{v}"
    );
    runner.run_until_idle().await;
    let got = r.received();
    assert_eq!(got.len(), 4);
    assert!(verify(SECRET_1, &got[3].signature, &got[3].body).is_some());
    let (_, v) = app.json(get("/api/v1/webhooks/deliveries", Some(&staff))).await;
    assert_eq!(v["results"][0]["status"], "delivered");
    // Only a dead delivery can be retried.
    let (st, v) = app.json(post_req(&path, Some(&staff))).await;
    assert_eq!((st, v["error"]["code"].as_str()), (StatusCode::CONFLICT, Some("conflict")));
    let (st, _) = app.json(post_req("/api/v1/webhooks/deliveries/999999/retry", Some(&staff))).await;
    assert_eq!(st, StatusCode::NOT_FOUND);
}
on_both_backends!(failing_receiver_gets_retries_then_a_dead_letter, retries_then_dead);

async fn pages(db: &TestDb) {
    let r = Receiver::start(200).await;
    let mut cfg = db.config();
    cfg.events.webhook_url = Some(r.url.clone());
    cfg.events.webhook_secret = Some(SECRET_1.to_owned().into());
    let app = TestApp::with_config(db, cfg).await;
    let s = &app.services;
    let (_, user) = learner(&app, "ada", "Ada").await;
    for _ in 0..5 {
        manual_verifications::create_manual_verification(s, user, "Ada", "checked", None).await.expect("manual");
    }
    server::reactions::runner(s.clone(), "test").run_until_idle().await;
    let staff = app.login("root").await;
    s.store.exec_admin("update app_user set is_staff = 1 where username = 'root'").await.expect("staff");
    let (st, v) = app.json(get("/api/v1/webhooks/deliveries?page=2&page_size=2", Some(&staff))).await;
    assert_eq!(st, StatusCode::OK, "{v}");
    assert_eq!((v["count"].as_i64(), v["num_pages"].as_i64(), v["current_page"].as_i64()), (Some(5), Some(3), Some(2)));
    assert_eq!(v["results"].as_array().map(Vec::len), Some(2));
    assert!(v["next"].as_str().is_some_and(|n| n.ends_with("/api/v1/webhooks/deliveries?page=3&page_size=2")));
    assert!(v["previous"].as_str().is_some_and(|n| n.ends_with("/api/v1/webhooks/deliveries?page=1&page_size=2")));
    let (st, _) = app.json(get("/api/v1/webhooks/deliveries?page=4&page_size=2", Some(&staff))).await;
    assert_eq!(st, StatusCode::NOT_FOUND);
    let (st, _) = app.json(get("/api/v1/webhooks/deliveries?page_size=1000", Some(&staff))).await;
    assert!(st.is_client_error());
}
on_both_backends!(deliveries_are_paginated, pages);
