//! Events survive process restarts: `vouch serve` records events and is killed before
//! delivering them; a `vouch worker` tries a failing receiver and is killed mid-retries; a
//! second worker delivers everything once the receiver is back. Nothing is lost.

use crate::{
    on_both_backends,
    support::{TestDb, data_url, fixture_keys, jpeg_bytes},
    webhooks::{Receiver, verify},
};
use server::store::{outbox, webhook_deliveries};
use std::{
    process::{Child, Command, Stdio},
    sync::atomic::Ordering,
    time::{Duration, Instant},
};

const SECRET: &str = "whsec_process_test_secret";

struct Proc(Child);

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn vouch(db: &TestDb, port: u16, hook: &str, args: &[&str]) -> Proc {
    let keys = fixture_keys();
    let dead_vendor = crate::support::free_port();
    let child = Command::new(env!("CARGO_BIN_EXE_vouch"))
        .args(args)
        .env("VOUCH_DATABASE__URL", &db.url)
        .env("VOUCH_DATABASE__MAX_CONNECTIONS", "4")
        .env("VOUCH_SERVER__BIND", format!("127.0.0.1:{port}"))
        .env("VOUCH_SERVER__PUBLIC_URL", format!("http://127.0.0.1:{port}"))
        .env("VOUCH_SERVER__STATIC_DIR", db.dir.path().join("no-dist"))
        .env("VOUCH_VAULT__LOCAL_DIR", db.dir.path().join("photos"))
        .env("VOUCH_VAULT__URL_SECRET", "process test url secret")
        .env("VOUCH_AUTH__DEV_LOGIN", "true")
        .env("VOUCH_SOFTWARE_SECURE__API_URL", format!("http://127.0.0.1:{dead_vendor}/"))
        .env("VOUCH_SOFTWARE_SECURE__API_ACCESS_KEY", &keys.access_key)
        .env("VOUCH_SOFTWARE_SECURE__API_SECRET_KEY", &keys.secret_key)
        .env("VOUCH_SOFTWARE_SECURE__RSA_PUBLIC_KEY", &keys.public_pem)
        .env("VOUCH_JOBS__RUN_IN_SERVER", "false")
        .env("VOUCH_JOBS__POLL_INTERVAL_MS", "50")
        .env("VOUCH_JOBS__LEASE_SECS", "2")
        .env("VOUCH_EVENTS__WEBHOOK_URL", hook)
        .env("VOUCH_EVENTS__WEBHOOK_SECRET", SECRET)
        .env("VOUCH_EVENTS__WEBHOOK_RETRY_BASE_SECS", "0.05")
        .env("VOUCH_EVENTS__WEBHOOK_MAX_ATTEMPTS", "1000")
        .env("VOUCH_LOG", "warn")
        .stdout(Stdio::null())
        .spawn()
        .expect("start vouch");
    Proc(child)
}

async fn until(what: &str, mut check: impl FnMut() -> bool) {
    let start = Instant::now();
    while !check() {
        assert!(start.elapsed() < Duration::from_secs(30), "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn restarts_lose_nothing(db: &TestDb) {
    let receiver = Receiver::start(503).await;
    let port = crate::support::free_port();
    let base = format!("http://127.0.0.1:{port}");

    // 1. The server records the events of a submission (created, ready), then dies.
    let mut server = vouch(db, port, &receiver.url, &["serve"]);
    let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().expect("client");
    let start = Instant::now();
    while http.get(format!("{base}/readyz")).send().await.map(|r| r.status().is_success()).ok() != Some(true) {
        assert!(start.elapsed() < Duration::from_secs(30), "vouch serve did not start");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let login = http
        .post(format!("{base}/auth/dev-login"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("username=ada")
        .send()
        .await
        .expect("login");
    let cookie = login.headers().get("set-cookie").expect("cookie").to_str().expect("ascii");
    let cookie = cookie.split(';').next().expect("pair").to_owned();
    let photo = data_url("image/jpeg", &jpeg_bytes(200)).replace('+', "%2B").replace('/', "%2F").replace('=', "%3D");
    let res = http
        .post(format!("{base}/verify_student/submit-photos/"))
        .header("cookie", cookie)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!("face_image={photo}&photo_id_image={photo}&full_name=Ada%20Lovelace"))
        .send()
        .await
        .expect("submit");
    assert_eq!(res.status(), 200);
    server.0.kill().expect("kill serve");
    let _ = server.0.wait();
    let events = all_events_of(db).await;
    assert_eq!(events.len(), 2, "created and ready are in the outbox");
    assert!(receiver.received().is_empty(), "nothing was delivered by a server that runs no jobs");

    // 2. A worker fans them out and tries the failing receiver, then dies mid-retries.
    let mut worker = vouch(db, port, &receiver.url, &["worker"]);
    until("failed tries of both events", || {
        let got = receiver.received();
        events.iter().all(|e| got.iter().any(|g| g.body == e.payload))
    })
    .await;
    worker.0.kill().expect("kill worker");
    let _ = worker.0.wait();

    // 3. The receiver is back; a new worker delivers every event.
    receiver.status.store(200, Ordering::SeqCst);
    let _worker = vouch(db, port, &receiver.url, &["worker"]);
    let store = db.store.clone();
    let start = Instant::now();
    loop {
        let mut conn = store.conn().await.expect("conn");
        let (all, _) = webhook_deliveries::list(&mut conn, None, 0, 100).await.expect("list");
        if all.len() == 2 && all.iter().all(|d| d.status == "delivered") {
            break;
        }
        assert!(start.elapsed() < Duration::from_secs(30), "not delivered: {all:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    for e in &events {
        let tries: Vec<_> = receiver.received().into_iter().filter(|g| g.body == e.payload).collect();
        assert!(tries.len() >= 2, "a failed try, then the delivery");
        assert!(tries.iter().all(|g| verify(SECRET, &g.signature, &g.body).is_some()), "every try is signed");
    }
    assert_eq!(all_events_of(db).await.len(), 2, "no event was duplicated or lost");
}
on_both_backends!(a_restart_in_between_loses_no_event, restarts_lose_nothing);

async fn all_events_of(db: &TestDb) -> Vec<outbox::StoredEvent> {
    let mut conn = db.store.conn().await.expect("conn");
    outbox::page(&mut conn, 0, 100).await.expect("events")
}
