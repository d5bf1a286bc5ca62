//! 30 s of mixed load against a real `vouch serve` (the debug build `cargo test` makes):
//! status reads as fast as 16 connections go, submissions paced at 50/s across new
//! learners (sign-in + submit each), and the vendor's callbacks for every one of them.
//! No request may fail, and the server's memory must stay bounded: sampled every second
//! from `/proc/<pid>/status`, the anonymous RSS (`RssAnon`: heap and stacks) peaks within
//! 64 MiB of its value after a 5 s warm-up, and the last 10 s grow by less than 1 MiB/s.
//! Anonymous, because SQLite connections map the database file (`mmap_size`): those pages
//! count in VmRSS and grow with the file, but they are the kernel's page cache, reclaimable,
//! not memory the server holds (VmRSS is reported too). Rate limits are turned off for
//! the run (`VOUCH_LIMITS__SUBMIT_PER_USER_PER_MINUTE=0`, `VOUCH_LIMITS__CALLBACK_PER_SECOND=0`).

use crate::{
    harness::{SESSION_SECRET, attempts_by_status, learner_client, memory_kib},
    process_support::{Deployment, dev_login, fake_vendor, form_photo, submit_photos},
    support::{TestDb, free_port, until},
};
use std::{
    sync::{
        Arc, Mutex,
        atomic::{AtomicU64, Ordering},
    },
    time::{Duration, Instant},
};

const RUN: Duration = Duration::from_secs(30);
const WARM_UP: Duration = Duration::from_secs(5);
const READERS: usize = 16;
const SUBMIT_EVERY: Duration = Duration::from_millis(20);
const SUBMITS_IN_FLIGHT: usize = 16;
const RSS_HEADROOM_KIB: u64 = 64 * 1024;
const MAX_SLOPE_KIB_PER_SEC: f64 = 1024.0;

#[derive(Default)]
struct Tally {
    reads: AtomicU64,
    submits: AtomicU64,
    logins: AtomicU64,
    errors: AtomicU64,
    first_error: Mutex<Option<String>>,
}

impl Tally {
    fn error(&self, what: String) {
        self.errors.fetch_add(1, Ordering::SeqCst);
        self.first_error.lock().expect("lock").get_or_insert(what);
    }
}

/// Least-squares slope of `(seconds, KiB)` samples, in KiB per second.
fn slope(samples: &[(f64, u64)]) -> f64 {
    let n = samples.len() as f64;
    let mx = samples.iter().map(|s| s.0).sum::<f64>() / n;
    let my = samples.iter().map(|s| s.1 as f64).sum::<f64>() / n;
    let cov: f64 = samples.iter().map(|s| (s.0 - mx) * (s.1 as f64 - my)).sum();
    let var: f64 = samples.iter().map(|s| (s.0 - mx).powi(2)).sum();
    if var == 0.0 { 0.0 } else { cov / var }
}

async fn mixed_load(db: &TestDb) {
    let vendor_port = free_port();
    let _vendor = fake_vendor(db.dir.path(), vendor_port, &[]).await;
    let d = Deployment::new(db, vendor_port);
    let env = [
        ("VOUCH_AUTH__SESSION_SECRET", SESSION_SECRET),
        ("VOUCH_LIMITS__SUBMIT_PER_USER_PER_MINUTE", "0"),
        ("VOUCH_LIMITS__CALLBACK_PER_SECOND", "0"),
        ("VOUCH_DATABASE__MAX_CONNECTIONS", "16"),
        ("VOUCH_JOBS__CONCURRENCY", "8"),
    ];
    let server = d.serve(&env).await;
    let pid = server.pid();
    let base = d.public_url.clone();
    let http = learner_client();
    let mut cookies = Vec::new();
    for i in 0..READERS * 2 {
        cookies.push(dev_login(&http, &base, &format!("reader{i}")).await.expect("reader signs in"));
    }
    let cookies = Arc::new(cookies);
    let tally = Arc::new(Tally::default());
    let start = Instant::now();
    let end = start + RUN;

    let mut tasks = Vec::new();
    for r in 0..READERS {
        let (http, base, cookies, tally) = (http.clone(), base.clone(), cookies.clone(), tally.clone());
        tasks.push(tokio::spawn(async move {
            let mut i = r;
            while Instant::now() < end {
                let cookie = &cookies[i % cookies.len()];
                i += READERS;
                match http.get(format!("{base}/verify_student/status/")).header("cookie", cookie).send().await {
                    Ok(res) if res.status() == 200 => {
                        let _ = res.bytes().await;
                        tally.reads.fetch_add(1, Ordering::Relaxed);
                    }
                    Ok(res) => tally.error(format!("status read answered {}", res.status())),
                    Err(e) => tally.error(format!("status read failed: {e}")),
                }
            }
        }));
    }

    // Submissions: one new learner every 20 ms (skipped while 16 are in flight, so a slow
    // server shows as a lower rate, never as a pile-up).
    let submitter = {
        let (http, base, tally) = (http.clone(), base.clone(), tally.clone());
        tokio::spawn(async move {
            let photo = Arc::new(form_photo());
            let slots = Arc::new(tokio::sync::Semaphore::new(SUBMITS_IN_FLIGHT));
            let mut tick = tokio::time::interval(SUBMIT_EVERY);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
            let mut n = 0;
            let mut running = Vec::new();
            while Instant::now() < end {
                tick.tick().await;
                let Ok(permit) = slots.clone().try_acquire_owned() else { continue };
                n += 1;
                let (http, base, tally, photo) = (http.clone(), base.clone(), tally.clone(), photo.clone());
                running.push(tokio::spawn(async move {
                    let _permit = permit;
                    let cookie = match dev_login(&http, &base, &format!("load{n}")).await {
                        Ok(c) => c,
                        Err(e) => return tally.error(format!("sign-in failed: {e}")),
                    };
                    tally.logins.fetch_add(1, Ordering::Relaxed);
                    let res = submit_photos(&http, &base, &cookie, &photo).send().await;
                    match res {
                        Ok(r) if r.status() == 200 => {
                            tally.submits.fetch_add(1, Ordering::Relaxed);
                        }
                        Ok(r) => tally.error(format!(
                            "submit answered {}: {}",
                            r.status(),
                            r.text().await.unwrap_or_default()
                        )),
                        Err(e) => tally.error(format!("submit failed: {e}")),
                    }
                }));
            }
            for t in running {
                t.await.expect("submission task");
            }
        })
    };

    // Memory, once a second.
    let mut samples: Vec<(f64, u64)> = Vec::new();
    while Instant::now() < end {
        tokio::time::sleep(Duration::from_secs(1)).await;
        samples.push((start.elapsed().as_secs_f64(), memory_kib(pid, "RssAnon").expect("the server is alive")));
    }
    for t in tasks {
        t.await.expect("reader");
    }
    submitter.await.expect("submitter");
    let elapsed = start.elapsed().as_secs_f64();

    // The vendor calls back for every submission: all approved.
    let submits = tally.submits.load(Ordering::SeqCst) as i64;
    let drain = Instant::now();
    until("every load submission approved", Duration::from_secs(120), || async {
        let a = attempts_by_status(db).await;
        (a.get("approved").copied().unwrap_or(0) == submits).then_some(())
    })
    .await;
    let drain = drain.elapsed().as_secs_f64();
    let end_rss = memory_kib(pid, "RssAnon").expect("alive");
    let end_vm_rss = memory_kib(pid, "VmRSS").expect("alive");

    let warm = samples.iter().find(|s| s.0 >= WARM_UP.as_secs_f64()).map_or(samples[0].1, |s| s.1);
    let peak = samples.iter().map(|s| s.1).max().unwrap_or(0);
    let last: Vec<_> = samples.iter().copied().filter(|s| s.0 >= elapsed - 10.0).collect();
    let tail_slope = slope(&last);
    let (reads, logins) = (tally.reads.load(Ordering::SeqCst), tally.logins.load(Ordering::SeqCst));
    let errors = tally.errors.load(Ordering::SeqCst);
    eprintln!(
        "SOAK load [{:?}] {elapsed:.1}s: {reads} status reads ({:.0}/s, {READERS} connections), {submits} submissions \
         ({:.1}/s, each with a sign-in: {logins}), {submits} vendor callbacks approved (drained {drain:.1}s after), \
         {errors} errors; anonymous RSS start {} KiB, after warm-up {warm} KiB, peak {peak} KiB, end of run {} KiB, \
         after drain {end_rss} KiB, last-10s slope {tail_slope:.0} KiB/s; VmRSS after drain {end_vm_rss} KiB",
        db.store.backend(),
        reads as f64 / elapsed,
        submits as f64 / elapsed,
        samples[0].1,
        samples.last().map_or(0, |s| s.1),
    );
    assert_eq!(errors, 0, "first error: {:?}", tally.first_error.lock().expect("lock"));
    assert!(reads > 0 && submits > 0);
    assert!(peak <= warm + RSS_HEADROOM_KIB, "anonymous RSS peak {peak} KiB > warm-up {warm} KiB + 64 MiB");
    assert!(tail_slope <= MAX_SLOPE_KIB_PER_SEC, "anonymous RSS still growing {tail_slope:.0} KiB/s at the end");
    drop(server);
}
crate::soak_on_both_backends!(thirty_seconds_mixed_load, mixed_load);
