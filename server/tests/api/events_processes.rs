//! Events survive process restarts: `vouch serve` records events and is killed before
//! delivering them; a `vouch worker` tries a failing receiver and is killed mid-retries; a
//! second worker delivers everything once the receiver is back. Nothing is lost.

use crate::{
    on_both_backends,
    process_support::{Deployment, Proc},
    support::{TestDb, data_url, fixture_keys, jpeg_bytes},
    webhooks::{Receiver, verify},
};
use server::store::{outbox, webhook_deliveries};
use std::{
    sync::atomic::Ordering,
    time::{Duration, Instant},
};

const SECRET: &str = "whsec_process_test_secret_0123456789";

/// `vouch <args>` over `d` with jobs out of the server, a short lease, the webhook at `hook`
/// and a vendor that is never there (its submissions just wait).
fn vouch(d: &Deployment, hook: &str, args: &[&str]) -> Proc {
    let keys = fixture_keys();
    let dead_vendor = format!("http://127.0.0.1:{}/", crate::support::free_port());
    d.spawn(
        args,
        &[
            ("VOUCH_SOFTWARE_SECURE__API_URL", &dead_vendor),
            ("VOUCH_SOFTWARE_SECURE__API_ACCESS_KEY", &keys.access_key),
            ("VOUCH_SOFTWARE_SECURE__API_SECRET_KEY", &keys.secret_key),
            ("VOUCH_SOFTWARE_SECURE__RSA_PUBLIC_KEY", &keys.public_pem),
            ("VOUCH_JOBS__RUN_IN_SERVER", "false"),
            ("VOUCH_JOBS__LEASE_SECS", "2"),
            ("VOUCH_EVENTS__WEBHOOK_URL", hook),
            ("VOUCH_EVENTS__WEBHOOK_SECRET", SECRET),
            ("VOUCH_EVENTS__WEBHOOK_RETRY_BASE_SECS", "0.05"),
            ("VOUCH_EVENTS__WEBHOOK_MAX_ATTEMPTS", "1000"),
        ],
    )
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
    let d = Deployment::without_vendor(db);
    let base = d.public_url.clone();

    // 1. The server records the events of a submission (created, ready), then dies.
    let mut server = vouch(&d, &receiver.url, &["serve"]);
    let http = crate::process_support::client();
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
    server.sigkill();
    let events = all_events_of(db).await;
    assert_eq!(events.len(), 2, "created and ready are in the outbox");
    assert!(receiver.received().is_empty(), "nothing was delivered by a server that runs no jobs");

    // 2. A worker fans them out and tries the failing receiver, then dies mid-retries.
    let mut worker = vouch(&d, &receiver.url, &["worker"]);
    until("failed tries of both events", || {
        let got = receiver.received();
        events.iter().all(|e| got.iter().any(|g| g.body == e.payload))
    })
    .await;
    worker.sigkill();

    // 3. The receiver is back; a new worker delivers every event.
    receiver.status.store(200, Ordering::SeqCst);
    let _worker = vouch(&d, &receiver.url, &["worker"]);
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
