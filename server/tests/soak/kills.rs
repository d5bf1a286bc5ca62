//! `vouch serve` SIGKILLed 20 times at random moments (and the worker with it, at random)
//! while learners stream submissions and the vendor calls back; each time restarted.
//! Afterwards: every attempt decided, each exactly once in its history; every accepted
//! submission at the vendor; every event at the webhook receiver; no plaintext photo.

use crate::{
    harness::{
        Learner, Outcome, Rng, SESSION_SECRET, WEBHOOK_SECRET, WebhookReceiver, attempts_by_status,
        deliveries_by_status, event_ids, jobs_by_status, learner_client, unfinished_report,
    },
    process_support::{Deployment, fake_vendor, vendor_record},
    support::{TestDb, assert_no_plaintext_photos, free_port},
};
use app::domain::AttemptKind;
use server::store::{attempts, transitions};
use std::{
    collections::HashMap,
    sync::{
        Arc, Mutex,
        atomic::{AtomicBool, AtomicUsize, Ordering},
    },
    time::{Duration, Instant},
};

const KILLS: usize = 20;
/// Learners submitting at once.
const CLIENTS: usize = 4;
/// Each client's pause between two learners.
const LEARNER_PAUSE: Duration = Duration::from_millis(300);
/// Jobs one worker runs at once: the most submissions a worker's death can leave sent but
/// unrecorded.
const CONCURRENCY: u64 = 4;
/// How long the system may take to finish everything once the kills stop.
const DRAIN_LIMIT: Duration = Duration::from_secs(150);

async fn kill_soak(db: &TestDb) {
    let started = Instant::now();
    let mut rng = Rng::from_env("sigkill soak");
    let vendor_port = free_port();
    // The vendor answers after 100 ms, so submissions are in flight when the worker dies.
    let _vendor = fake_vendor(db.dir.path(), vendor_port, &["--delay-ms", "100"]).await;
    let hooks = WebhookReceiver::start().await;
    let d = Deployment::new(db, vendor_port);
    let concurrency = CONCURRENCY.to_string();
    let env = [
        ("VOUCH_AUTH__SESSION_SECRET", SESSION_SECRET),
        ("VOUCH_JOBS__RUN_IN_SERVER", "false"),
        ("VOUCH_JOBS__LEASE_SECS", "2"),
        ("VOUCH_JOBS__CONCURRENCY", concurrency.as_str()),
        ("VOUCH_SOFTWARE_SECURE__MAX_ATTEMPTS", "30"),
        ("VOUCH_EVENTS__WEBHOOK_URL", hooks.url.as_str()),
        ("VOUCH_EVENTS__WEBHOOK_SECRET", WEBHOOK_SECRET),
        ("VOUCH_EVENTS__WEBHOOK_RETRY_BASE_SECS", "0.05"),
        ("VOUCH_EVENTS__WEBHOOK_MAX_ATTEMPTS", "30"),
    ];
    let mut server = d.serve(&env).await;
    let mut worker = d.spawn(&["worker"], &env);

    // The stream: each client takes the next learner, signs in and submits until the
    // server has the photos, while the kills go on.
    let stop = Arc::new(AtomicBool::new(false));
    let next = Arc::new(AtomicUsize::new(0));
    let outcomes: Arc<Mutex<Vec<(String, Outcome, u32)>>> = Arc::default();
    let http = learner_client();
    let clients: Vec<_> = (0..CLIENTS)
        .map(|_| {
            let (stop, next, outcomes, http, base) =
                (stop.clone(), next.clone(), outcomes.clone(), http.clone(), d.public_url.clone());
            tokio::spawn(async move {
                while !stop.load(Ordering::SeqCst) {
                    let i = next.fetch_add(1, Ordering::SeqCst);
                    let mut learner = Learner::new(&http, &base, format!("soak{i}"));
                    let outcome = learner.submit().await;
                    outcomes.lock().expect("lock").push((learner.username, outcome, learner.retries));
                    // About 3 learners a second per client: a steady stream through every
                    // kill, small enough to drain in seconds afterwards.
                    tokio::time::sleep(LEARNER_PAUSE).await;
                }
            })
        })
        .collect();

    let mut worker_kills = 0;
    for _ in 0..KILLS {
        tokio::time::sleep(rng.millis(200, 1200)).await;
        server.sigkill();
        if rng.chance(1, 2) {
            worker.sigkill();
            worker = d.spawn(&["worker"], &env);
            worker_kills += 1;
        }
        // A short, random time down, during which callbacks and requests fail.
        tokio::time::sleep(rng.millis(0, 300)).await;
        server = d.serve(&env).await;
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    stop.store(true, Ordering::SeqCst);
    for c in clients {
        c.await.expect("client");
    }
    let outcomes = outcomes.lock().expect("lock").clone();
    let learners = outcomes.len() as i64;
    let lost = outcomes.iter().filter(|(_, o, _)| *o == Outcome::AcceptedResponseLost).count();
    let retried: u32 = outcomes.iter().map(|(_, _, r)| r).sum();

    // Drain: every attempt decided, every job finished, every webhook delivered.
    let drain = Instant::now();
    loop {
        let a = attempts_by_status(db).await;
        let j = jobs_by_status(db).await;
        let w = deliveries_by_status(db).await;
        let approved = a.get("approved").copied().unwrap_or(0) == learners && a.len() == 1;
        let jobs_idle = j.keys().all(|s| s == "done" || s == "failed");
        let delivered = w.keys().all(|s| s == "delivered");
        if approved && jobs_idle && delivered {
            break;
        }
        if drain.elapsed() > DRAIN_LIMIT {
            panic!(
                "timed out waiting for every attempt approved and every event delivered \
                 ({learners} learners; attempts {a:?}, jobs {j:?}, deliveries {w:?}):\n{}",
                unfinished_report(db).await
            );
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let drain = drain.elapsed();
    let jobs = jobs_by_status(db).await;
    assert_eq!(jobs.get("failed"), None, "no job gave up: {jobs:?}");

    // Exactly one attempt per learner (a lost answer was never resubmitted on top), and
    // each attempt submitted once and approved once in its history.
    let mut conn = db.store.conn().await.expect("conn");
    let per_user: Vec<(i64, i64)> =
        sqlx::query_as("select user_id, count(*) from photo_verification group by user_id having count(*) > 1")
            .fetch_all(&mut *conn)
            .await
            .expect("q");
    assert!(per_user.is_empty(), "learners with two attempts: {per_user:?}");
    let ids: Vec<(i64,)> =
        sqlx::query_as("select attempt_id from photo_verification").fetch_all(&mut *conn).await.expect("q");
    assert_eq!(ids.len() as i64, learners, "one attempt per learner, none lost");
    let record = vendor_record(vendor_port).await;
    let mut resent = 0;
    for (id,) in ids {
        let a = attempts::by_id(&mut conn, app::domain::AttemptId(id)).await.expect("q").expect("row");
        let trail = transitions::history(&mut conn, AttemptKind::Photo, id).await.expect("history");
        // The trail is one chain: each change starts where the previous one ended.
        assert_eq!(trail.first().map(|t| t.from.as_deref()), Some(None), "created first: {trail:?}");
        for pair in trail.windows(2) {
            assert_eq!(pair[1].from.as_deref(), Some(pair[0].to.as_str()), "a broken trail: {trail:?}");
        }
        assert_eq!(trail.last().map(|t| t.to.as_str()), Some(a.status().as_str()), "ends at the status");
        let h: Vec<String> = trail.into_iter().map(|t| t.to).collect();
        assert_eq!(h.iter().filter(|t| *t == "submitted").count(), 1, "{h:?}");
        assert_eq!(h.iter().filter(|t| *t == "approved").count(), 1, "{h:?}");
        let (received, result) = record.get(&a.receipt_id).expect("every accepted submission reached the vendor");
        assert_eq!(result.as_deref(), Some("PASS"));
        resent += received - 1;
    }
    drop(conn);
    assert_eq!(record.len() as i64, learners, "the vendor got nothing that was not accepted");
    // The protocol has no delivery receipt: a request the vendor answered while its worker
    // died before recording the answer is sent again. Never more than that.
    assert!(resent <= worker_kills * CONCURRENCY, "{resent} resends after {worker_kills} worker kills");

    // Every event at the webhook receiver at least once; repeats are counted.
    let events = event_ids(db).await;
    let seen = hooks.seen();
    let missing: Vec<_> = events.iter().filter(|e| !seen.contains_key(*e)).collect();
    assert!(missing.is_empty(), "{} events never delivered: {missing:?}", missing.len());
    let unknown = seen.keys().filter(|k| !events.contains(k)).count();
    assert_eq!(unknown, 0, "deliveries of events that are not in the outbox");
    let duplicates: u32 = seen.values().map(|n| n - 1).sum();
    assert_no_plaintext_photos(db);

    let callbacks = reqwest::get(format!("http://127.0.0.1:{vendor_port}/_fake/requests"))
        .await
        .expect("vendor")
        .json::<serde_json::Value>()
        .await
        .expect("json")["requests"]
        .as_array()
        .expect("requests")
        .iter()
        .filter(|r| r["callback_status"] == 200)
        .count();
    let by_outcome: HashMap<bool, usize> = outcomes.iter().fold(HashMap::new(), |mut m, (_, o, _)| {
        *m.entry(*o == Outcome::Accepted).or_default() += 1;
        m
    });
    eprintln!(
        "SOAK kills [{:?}]: {KILLS} serve kills survived ({worker_kills} worker kills), {learners} submissions \
         accepted ({} answered 200, {lost} answer lost then found stored), {retried} client retries, \
         {callbacks} vendor callbacks answered 200, {} events delivered ({duplicates} duplicate deliveries), \
         {resent} vendor resends, drained in {:.1}s, total {:.1}s",
        db.store.backend(),
        by_outcome.get(&true).copied().unwrap_or(0),
        events.len(),
        drain.as_secs_f64(),
        started.elapsed().as_secs_f64()
    );
    drop(worker);
    drop(server);
}
crate::soak_on_both_backends!(sigkill_twenty_times, kill_soak);
