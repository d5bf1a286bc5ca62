//! Outages of what Vouch depends on. The vendor and the webhook receiver down for a while:
//! submissions keep being accepted, jobs retry with backoff, and once both return
//! everything is delivered, nothing lost or given up. The database unreachable (PostgreSQL
//! behind a proxy that is cut) or locked by another process (SQLite): requests fail fast
//! with `503 unavailable`, nothing is half-written, and the same server recovers.

use crate::{
    harness::{
        Counts, Learner, Outcome, Proxy, SESSION_SECRET, WEBHOOK_SECRET, WebhookReceiver, attempts_by_status, counts,
        deliveries_by_status, event_ids, jobs_by_status, learner_client,
    },
    process_support::{Deployment, Proc, fake_vendor, vendor_record},
    support::{TestDb, assert_no_plaintext_photos, free_port, until},
};
use std::time::{Duration, Instant};

/// How long the vendor and the webhook receiver stay down.
const OUTAGE: Duration = Duration::from_secs(4);

async fn receivers_down(db: &TestDb) {
    let learners = 10;
    let vendor_port = free_port();
    let mut vendor = fake_vendor(db.dir.path(), vendor_port, &[]).await;
    let mut hooks = WebhookReceiver::start().await;
    let d = Deployment::new(db, vendor_port);
    // Backoff 0.2 s doubling, 12 tries: a budget of minutes, far longer than the outage.
    let env = [
        ("VOUCH_AUTH__SESSION_SECRET", SESSION_SECRET),
        ("VOUCH_SOFTWARE_SECURE__RETRY_BASE_SECS", "0.2"),
        ("VOUCH_JOBS__RETRY_BASE_SECS", "0.2"),
        ("VOUCH_SOFTWARE_SECURE__MAX_ATTEMPTS", "12"),
        ("VOUCH_EVENTS__WEBHOOK_URL", hooks.url.as_str()),
        ("VOUCH_EVENTS__WEBHOOK_SECRET", WEBHOOK_SECRET),
        ("VOUCH_EVENTS__WEBHOOK_RETRY_BASE_SECS", "0.2"),
        ("VOUCH_EVENTS__WEBHOOK_MAX_ATTEMPTS", "12"),
    ];
    let _server = d.serve(&env).await;

    // Both receivers go away; learners keep submitting.
    vendor.sigkill();
    hooks.take_down();
    let down_at = Instant::now();
    let http = learner_client();
    for i in 0..learners {
        let mut l = Learner::new(&http, &d.public_url, format!("outage{i}"));
        assert_eq!(l.submit().await, Outcome::Accepted);
    }
    // The submissions are retried against the absent vendor (with backoff), not dropped.
    until("every submission retried", Duration::from_secs(30), || async {
        let mut conn = db.store.conn().await.expect("conn");
        let (n,): (i64,) = sqlx::query_as(
            "select count(*) from job where kind = 'software_secure.submit' and attempts >= 2 and status = 'queued'",
        )
        .fetch_one(&mut *conn)
        .await
        .expect("q");
        (n == learners).then_some(())
    })
    .await;
    let pending = attempts_by_status(db).await;
    assert_eq!(pending.get("ready").copied(), Some(learners), "nothing decided while the vendor is away: {pending:?}");
    if let Some(rest) = OUTAGE.checked_sub(down_at.elapsed()) {
        tokio::time::sleep(rest).await;
    }
    let outage = down_at.elapsed();
    let failed_tries: i64 = {
        let mut conn = db.store.conn().await.expect("conn");
        let (n,): (i64,) = sqlx::query_as("select cast(coalesce(sum(tries), 0) as bigint) from webhook_delivery")
            .fetch_one(&mut *conn)
            .await
            .expect("q");
        n
    };

    // Both come back: everything is delivered, nothing given up.
    let _vendor = fake_vendor(db.dir.path(), vendor_port, &[]).await;
    hooks.bring_up().await;
    let back = Instant::now();
    until("every attempt approved and every event delivered", Duration::from_secs(90), || async {
        let a = attempts_by_status(db).await;
        let j = jobs_by_status(db).await;
        let w = deliveries_by_status(db).await;
        let done = a.get("approved").copied() == Some(learners)
            && a.len() == 1
            && j.keys().all(|s| s == "done" || s == "failed")
            && w.keys().all(|s| s == "delivered" || s == "dead");
        done.then_some(())
    })
    .await;
    let recovered = back.elapsed();
    let jobs = jobs_by_status(db).await;
    assert_eq!(jobs.get("failed"), None, "no job gave up: {jobs:?}");
    let deliveries = deliveries_by_status(db).await;
    assert_eq!(deliveries.get("dead"), None, "no webhook marked dead: {deliveries:?}");
    let record = vendor_record(vendor_port).await;
    assert_eq!(record.len() as i64, learners);
    assert!(record.values().all(|(n, r)| *n == 1 && r.as_deref() == Some("PASS")), "{record:?}");
    let events = event_ids(db).await;
    let seen = hooks.seen();
    assert!(events.iter().all(|e| seen.contains_key(e)), "every event delivered");
    assert_no_plaintext_photos(db);
    eprintln!(
        "SOAK receivers down [{:?}]: vendor and webhook receiver down {:.1}s, {learners} submissions accepted \
         meanwhile, {failed_tries} webhook tries refused, recovered {:.1}s after their return: {} approved, \
         {} events delivered, 0 dead",
        db.store.backend(),
        outage.as_secs_f64(),
        recovered.as_secs_f64(),
        learners,
        events.len()
    );
}
crate::soak_on_both_backends!(vendor_and_webhook_receiver_down, receivers_down);

/// The longest a request may take while the database is away: the acquire timeout (1 s)
/// plus slack for a loaded machine; for SQLite the busy timeout (5 s) plus slack.
const PG_BOUND: Duration = Duration::from_secs(4);
const SQLITE_BOUND: Duration = Duration::from_secs(9);

/// One request while the database is away: must be a `503` JSON error with code
/// `unavailable`, within `bound`. Returns how long it took.
async fn expect_unavailable(req: reqwest::RequestBuilder, what: &str, bound: Duration) -> Duration {
    let t = Instant::now();
    let res = req.send().await.unwrap_or_else(|e| panic!("{what}: no answer: {e}"));
    let took = t.elapsed();
    let status = res.status();
    let ct = res.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
    let body = res.text().await.unwrap_or_default();
    assert_eq!(status, 503, "{what}: {body}");
    assert!(ct.starts_with("application/json"), "{what}: {ct}");
    let v: serde_json::Value = serde_json::from_str(&body).expect("JSON error");
    assert_eq!(v["error"]["code"], "unavailable", "{what}: {body}");
    assert!(took < bound, "{what} took {took:?}");
    took
}

fn submit_request(http: &reqwest::Client, base: &str, cookie: &str) -> reqwest::RequestBuilder {
    crate::process_support::submit_photos(http, base, cookie, &crate::process_support::form_photo())
}

fn login_request(http: &reqwest::Client, base: &str, username: &str) -> reqwest::RequestBuilder {
    http.post(format!("{base}/auth/dev-login"))
        .header(crate::process_support::CSRF_HEADER.0, crate::process_support::CSRF_HEADER.1)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!("username={username}"))
}

/// After the outage: the same server process answers again, and a new learner's
/// submission is stored whole (its attempt, its job, its two events).
async fn recovers(db: &TestDb, d: &Deployment, before: Counts) {
    let back = Instant::now();
    d.wait_ready().await;
    let recovered = back.elapsed();
    let http = learner_client();
    let mut bob = Learner::new(&http, &d.public_url, "bob".into());
    assert_eq!(bob.submit().await, Outcome::Accepted);
    assert_eq!(bob.status().await, "pending");
    // Before the outage the database held exactly one learner's submission (ada's) and two
    // users (ada, and bea who tried during the outage): bob's adds the same rows again, none
    // missing, and one user.
    let after = counts(db).await;
    let added = Counts {
        attempts: after.attempts - before.attempts,
        jobs: after.jobs - before.jobs,
        events: after.events - before.events,
        transitions: after.transitions - before.transitions,
        users: after.users - before.users,
    };
    assert_eq!(added, Counts { users: 1, ..before }, "a whole submission after the outage, like the one before it");
    eprintln!("  recovered without a restart {:.2}s after the database returned", recovered.as_secs_f64());
}

/// PostgreSQL behind a proxy; the proxy is cut for 3 s.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "soak: run by cargo xtask soak"]
async fn postgres_unreachable_answers_503_and_recovers() {
    let db = TestDb::postgres().await;
    let url = url::Url::parse(&db.url).expect("url");
    let upstream = format!("{}:{}", url.host_str().expect("host"), url.port().unwrap_or(5432));
    let proxy = Proxy::start(upstream).await;
    let mut via = url.clone();
    via.set_port(Some(proxy.port)).expect("port");
    let mut d = Deployment::new(&db, free_port());
    d.db_url = via.to_string();
    let Baseline { server, http, cookie, before, photos } = baseline(&d, &db).await;

    // 1.5 s of connections closed as they open, then 1.5 s of connections refused.
    proxy.cut();
    let cut_at = Instant::now();
    let (mut tried, mut slowest) = (0, Duration::ZERO);
    let base = d.public_url.clone();
    let mut refused = false;
    while cut_at.elapsed() < Duration::from_secs(3) {
        if !refused && cut_at.elapsed() >= Duration::from_millis(1500) {
            proxy.refuse();
            refused = true;
        }
        let (a, b, c, e) = tokio::join!(
            expect_unavailable(http.get(format!("{base}/readyz")), "readyz", PG_BOUND),
            expect_unavailable(
                http.get(format!("{base}/verify_student/status/")).header("cookie", &cookie),
                "status",
                PG_BOUND
            ),
            expect_unavailable(submit_request(&http, &base, &cookie), "submit", PG_BOUND),
            expect_unavailable(login_request(&http, &base, "carol"), "dev-login", PG_BOUND),
        );
        tried += 4;
        slowest = slowest.max(a).max(b).max(c).max(e);
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(counts(&db).await, before, "nothing written while the database was away");
    assert_eq!(db.photo_files().len(), photos, "no orphaned photo");
    proxy.restore().await;
    eprintln!(
        "SOAK database unreachable [Postgres]: {tried} requests during a 3 s cut (connections reset, then \
         refused), all 503 unavailable, slowest {:.2}s (acquire timeout 1 s)",
        slowest.as_secs_f64()
    );
    recovers(&db, &d, before).await;
    drop(server);
    db.cleanup().await;
}

/// SQLite has no connection to cut: its analogue is another process holding the write lock
/// (`BEGIN EXCLUSIVE`). Readers go on (WAL), so `/readyz` and status reads stay 200;
/// writes wait the busy timeout (5 s), then get `503 unavailable` with nothing written.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "soak: run by cargo xtask soak"]
async fn sqlite_locked_answers_503_and_recovers() {
    use sqlx::Connection as _;
    let db = TestDb::sqlite().await;
    let d = Deployment::new(&db, free_port());
    let Baseline { server, http, cookie, before, photos } = baseline(&d, &db).await;

    let mut locker = sqlx::AnyConnection::connect(&db.url).await.expect("second connection");
    sqlx::query("begin exclusive").execute(&mut locker).await.expect("take the write lock");
    let base = d.public_url.clone();
    let (a, b) = tokio::join!(
        expect_unavailable(submit_request(&http, &base, &cookie), "submit", SQLITE_BOUND),
        expect_unavailable(login_request(&http, &base, "carol"), "dev-login", SQLITE_BOUND),
    );
    let ready = http.get(format!("{base}/readyz")).send().await.expect("readyz");
    assert_eq!(ready.status(), 200, "reads go on under a write lock");
    assert_eq!(counts(&db).await, before, "nothing written while the database was locked");
    assert_eq!(db.photo_files().len(), photos, "the photos of the refused submission were removed");
    sqlx::query("rollback").execute(&mut locker).await.expect("release");
    locker.close().await.expect("close");
    eprintln!(
        "SOAK database locked [Sqlite]: writes answered 503 unavailable after {:.2}s and {:.2}s (busy timeout 5 s), \
         reads and /readyz stayed 200",
        a.as_secs_f64(),
        b.as_secs_f64()
    );
    recovers(&db, &d, before).await;
    drop(server);
}

/// The server before the database goes away: serving, with one learner's accepted
/// submission, that learner's session, and the rows and photos to compare with afterwards.
struct Baseline {
    server: Proc,
    http: reqwest::Client,
    cookie: String,
    before: Counts,
    photos: usize,
}

async fn baseline(d: &Deployment, db: &TestDb) -> Baseline {
    let env = [
        ("VOUCH_AUTH__SESSION_SECRET", SESSION_SECRET),
        ("VOUCH_DATABASE__ACQUIRE_TIMEOUT_SECS", "1"),
        ("VOUCH_JOBS__RUN_IN_SERVER", "false"),
    ];
    let server = d.serve(&env).await;
    let http = learner_client();
    let mut ada = Learner::new(&http, &d.public_url, "ada".into());
    assert_eq!(ada.submit().await, Outcome::Accepted);
    // The submission tried during the outage is another learner's: ada's attempt is pending,
    // and `can_verify_now` refuses her a second one (400) before anything is written.
    let mut bea = Learner::new(&http, &d.public_url, "bea".into());
    let cookie = bea.sign_in().await;
    Baseline { server, http, cookie, before: counts(db).await, photos: db.photo_files().len() }
}
