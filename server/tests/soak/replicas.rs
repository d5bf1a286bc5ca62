//! Vouch on several machines over one database (issue 18): two `vouch serve` replicas and two
//! `vouch worker`s, the photo vault on S3 (moto) for PostgreSQL, shared session and URL
//! secrets. A learner signs in on replica A and submits on replica B; a worker sends the
//! attempt to the vendor, which fetches the photos from A (the public URL) and calls back on A.
//!
//! Meanwhile every learner's status is read on both replicas in a loop (the status cache's
//! path). The promise checked is the one `cache.max_stale_ms` makes: **a read that starts more
//! than `max_stale` after the decision was written never shows the old status**. On PostgreSQL
//! replica B reaches the database through a proxy that is cut for two seconds in the middle of
//! the decisions, so B's listener loses its connection (and the notifications sent meanwhile)
//! while A goes on deciding. Every job runs once; every event reaches the webhook once.

use crate::{
    harness::{Proxy, SESSION_SECRET, WEBHOOK_SECRET, WebhookReceiver, event_ids, jobs_by_status, learner_client},
    process_support::{Deployment, Proc, dev_login, fake_vendor, form_photo, submit_photos, vendor_record, wait_ready},
    support::{TestDb, free_port, until},
};
use std::{
    process::{Command, Stdio},
    sync::{Arc, Mutex},
    time::{Duration, SystemTime, UNIX_EPOCH},
};

/// Scrapes both replicas' `/metrics`.
const METRICS_TOKEN: &str = "replicas soak metrics token, 32 bytes or more";
/// The promise under test (the default of `cache.max_stale_ms`).
const MAX_STALE_MS: i64 = 1000;
const LEARNERS: usize = 12;
/// Pause between two status reads of one learner on one replica.
const READ_EVERY: Duration = Duration::from_millis(30);

fn now_us() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_micros() as i64)
}

struct Moto(std::process::Child);

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// `python3 -m moto.server` with the bucket `vouch-photos` (`cargo xtask test` installs moto).
async fn moto() -> (Moto, String) {
    let port = free_port();
    let child = Command::new("python3")
        .args(["-m", "moto.server", "-H", "127.0.0.1", "-p", &port.to_string()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("python3 -m moto.server");
    let moto = Moto(child);
    let url = format!("http://127.0.0.1:{port}");
    until("moto to start", Duration::from_secs(30), || async {
        let r = reqwest::Client::new().put(format!("{url}/vouch-photos")).send().await.ok()?;
        r.status().is_success().then_some(())
    })
    .await;
    (moto, url)
}

/// One status read: when it started (µs since the epoch) and what it said.
type Read = (i64, String);
/// The reads of one learner on one replica.
type ReadLog = Arc<Mutex<Vec<Read>>>;

/// Reads `cookie`'s status on `base` every [`READ_EVERY`] until it has read `approved` for
/// half a second; failed reads (the database cut off) are skipped.
async fn watch(http: reqwest::Client, base: String, cookie: String, log: ReadLog) {
    let mut approved_since: Option<i64> = None;
    let deadline = std::time::Instant::now() + Duration::from_secs(150);
    while std::time::Instant::now() < deadline {
        let started = now_us();
        let res = http.get(format!("{base}/verify_student/status/")).header("cookie", &cookie).send().await;
        if let Ok(r) = res
            && r.status().is_success()
            && let Ok(v) = r.json::<serde_json::Value>().await
        {
            let status = v["status"].as_str().unwrap_or_default().to_owned();
            if status == "approved" {
                let since = *approved_since.get_or_insert(started);
                if started - since > 500_000 {
                    log.lock().expect("lock").push((started, status));
                    return;
                }
            }
            log.lock().expect("lock").push((started, status));
        }
        tokio::time::sleep(READ_EVERY).await;
    }
}

/// When each learner's approval was written (µs), from the audit trail: the transition's
/// time is taken inside the deciding transaction, so it is at or before the commit and the
/// lags below are upper bounds.
async fn approved_at(db: &TestDb, username: &str) -> i64 {
    let mut conn = db.store.conn().await.expect("conn");
    let (at,): (i64,) = sqlx::query_as(
        "select t.created_at from attempt_transition t join photo_verification p on p.attempt_id = t.attempt_id \
         join app_user u on u.user_id = p.user_id where t.attempt_kind = 'photo' and t.to_status = 'approved' \
         and u.username = $1",
    )
    .bind(username)
    .fetch_one(&mut *conn)
    .await
    .expect("approval in the audit trail");
    at
}

fn percentile(sorted: &[i64], p: f64) -> i64 {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

async fn two_replicas_two_workers(db: &TestDb) {
    let postgres = db.store.backend() == server::store::Backend::Postgres;
    let vendor_port = free_port();
    // The vendor takes a while per attempt, so decisions spread over a few seconds.
    let _vendor = fake_vendor(db.dir.path(), vendor_port, &["--delay-ms", "400"]).await;
    let hooks = WebhookReceiver::start().await;
    let a = Deployment::new(db, vendor_port);
    let (_moto, s3) = if postgres {
        let (m, url) = moto().await;
        (Some(m), url)
    } else {
        (None, String::new())
    };
    let mut env: Vec<(&str, &str)> = vec![
        ("VOUCH_AUTH__SESSION_SECRET", SESSION_SECRET),
        ("VOUCH_JOBS__RUN_IN_SERVER", "false"),
        ("VOUCH_EVENTS__WEBHOOK_URL", hooks.url.as_str()),
        ("VOUCH_EVENTS__WEBHOOK_SECRET", WEBHOOK_SECRET),
        ("VOUCH_LIMITS__SUBMIT_PER_USER_PER_MINUTE", "0"),
        ("VOUCH_SERVER__METRICS_TOKEN", METRICS_TOKEN),
    ];
    if postgres {
        env.extend([
            ("VOUCH_VAULT__BACKEND", "s3"),
            ("VOUCH_VAULT__S3_BUCKET", "vouch-photos"),
            ("VOUCH_VAULT__S3_PREFIX", "replicas/"),
            ("VOUCH_VAULT__S3_ENDPOINT", s3.as_str()),
            ("VOUCH_VAULT__S3_ALLOW_HTTP", "true"),
            ("VOUCH_VAULT__S3_ACCESS_KEY_ID", "testing"),
            ("VOUCH_VAULT__S3_SECRET_ACCESS_KEY", "testing"),
        ]);
    }
    // Replica B: its own port, the same public URL (A stands for the load balancer's address);
    // on PostgreSQL its database connections, the listener's included, go through a proxy.
    let proxy = if postgres {
        let mut url = url::Url::parse(&db.url).expect("db url");
        let upstream = format!("{}:{}", url.host_str().expect("host"), url.port().unwrap_or(5432));
        let proxy = Proxy::start(upstream).await;
        url.set_port(Some(proxy.port)).expect("port");
        Some((proxy, url.to_string()))
    } else {
        None
    };
    let b = Deployment {
        db_url: proxy.as_ref().map_or(db.url.clone(), |(_, u)| u.clone()),
        dir: a.dir.clone(),
        public_url: a.public_url.clone(),
        port: free_port(),
        vendor_url: a.vendor_url.clone(),
    };
    let b_url = format!("http://127.0.0.1:{}", b.port);
    let _a = a.serve(&env).await;
    let _b: Proc = b.spawn(&["serve"], &env);
    wait_ready(&b_url, Duration::from_secs(30)).await;
    let _workers: Vec<Proc> = (0..2).map(|_| a.spawn(&["worker"], &env)).collect();

    // Sign in on A, submit on B, read on both.
    let http = learner_client();
    let photo = form_photo();
    let logs: Vec<(String, ReadLog, ReadLog)> =
        (0..LEARNERS).map(|i| (format!("replica{i}"), Arc::default(), Arc::default())).collect();
    let mut watchers = Vec::new();
    for (name, on_a, on_b) in &logs {
        let cookie = dev_login(&http, &a.public_url, name).await.expect("sign in on A");
        let res = submit_photos(&http, &b_url, &cookie, &photo).send().await.expect("submit on B");
        assert_eq!(res.status(), 200, "{}", res.text().await.unwrap_or_default());
        watchers.push(tokio::spawn(watch(http.clone(), a.public_url.clone(), cookie.clone(), on_a.clone())));
        watchers.push(tokio::spawn(watch(http.clone(), b_url.clone(), cookie, on_b.clone())));
    }
    // Cut B off the database while decisions are being made on A.
    if let Some((proxy, _)) = &proxy {
        until("a first decision", Duration::from_secs(60), || async {
            vendor_record(vendor_port).await.values().any(|(_, r)| r.is_some()).then_some(())
        })
        .await;
        proxy.cut();
        tokio::time::sleep(Duration::from_secs(2)).await;
        proxy.restore().await;
    }
    for w in watchers {
        w.await.expect("watcher");
    }

    // A cache that never served would pass every check below by reading the database: both
    // replicas must have answered some of these reads from memory.
    for base in [&a.public_url, &b_url] {
        let text = http
            .get(format!("{base}/metrics"))
            .bearer_auth(METRICS_TOKEN)
            .send()
            .await
            .expect("metrics")
            .text()
            .await
            .expect("metrics text");
        let hits = text
            .lines()
            .find_map(|l| l.strip_prefix("vouch_status_cache_hits "))
            .and_then(|v| v.trim().parse::<f64>().ok())
            .unwrap_or_default();
        assert!(hits > 0.0, "{base} served no status from its cache:\n{text}");
    }

    // The promise, read by read, and the lag of the first approved read on each replica.
    let mut lags: [Vec<i64>; 2] = [Vec::new(), Vec::new()];
    let mut reads = 0;
    for (name, on_a, on_b) in &logs {
        let decided = approved_at(db, name).await;
        for (replica, log) in [on_a, on_b].into_iter().enumerate() {
            let log = log.lock().expect("lock").clone();
            reads += log.len();
            let first = log.iter().find(|(_, s)| s == "approved").map(|(t, _)| *t).expect("approved in the end");
            lags[replica].push((first - decided).max(0) / 1000);
            for (started, status) in &log {
                assert!(
                    *started <= decided + MAX_STALE_MS * 1000 || status == "approved",
                    "replica {} served `{status}` to {name} {} ms after the approval was written",
                    ["A", "B"][replica],
                    (started - decided) / 1000
                );
            }
        }
    }

    // Every job ran once; every event reached the webhook once.
    let jobs = until("every job done", Duration::from_secs(60), || async {
        let j = jobs_by_status(db).await;
        j.keys().all(|s| s == "done").then_some(j)
    })
    .await;
    let mut conn = db.store.conn().await.expect("conn");
    let (retried,): (i64,) =
        sqlx::query_as("select count(*) from job where attempts <> 1").fetch_one(&mut *conn).await.expect("jobs");
    drop(conn);
    assert_eq!(retried, 0, "a job ran more than once: {jobs:?}");
    let record = vendor_record(vendor_port).await;
    assert_eq!(record.len(), LEARNERS);
    assert!(record.values().all(|(n, r)| *n == 1 && r.as_deref() == Some("PASS")), "{record:?}");
    let events = event_ids(db).await;
    until("every event delivered", Duration::from_secs(60), || async {
        let seen = hooks.seen();
        events.iter().all(|e| seen.contains_key(e)).then_some(())
    })
    .await;
    let seen = hooks.seen();
    assert!(seen.values().all(|n| *n == 1), "an event was delivered twice: {seen:?}");

    for l in &mut lags {
        l.sort_unstable();
    }
    eprintln!(
        "SOAK replicas [{:?}]: {LEARNERS} learners, {reads} status reads on 2 replicas, 2 workers{}; first approved \
         read after the decision was written, ms: A p50 {} p95 {} max {}, B p50 {} p95 {} max {} (promise {MAX_STALE_MS} \
         ms); {} jobs each run once, {} events each delivered once",
        db.store.backend(),
        if postgres { ", S3 (moto), B cut off the database for 2 s" } else { "" },
        percentile(&lags[0], 0.5),
        percentile(&lags[0], 0.95),
        lags[0].last().copied().unwrap_or_default(),
        percentile(&lags[1], 0.5),
        percentile(&lags[1], 0.95),
        lags[1].last().copied().unwrap_or_default(),
        jobs.values().sum::<i64>(),
        events.len(),
    );
}
crate::soak_on_both_backends!(replicas_and_workers_share_one_database, two_replicas_two_workers);
