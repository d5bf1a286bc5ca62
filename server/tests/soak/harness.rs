//! What the soak cases share: a webhook receiver that can go down, a learner client that
//! retries like an LMS would, a TCP proxy that can cut the database off, a seeded random
//! source, and queries that check the database's consistency.

use crate::support::{TestDb, free_port};
use axum::{Router, extract::State, http::HeaderMap, http::StatusCode, routing::post};
use std::{
    collections::HashMap,
    sync::{
        Arc, Mutex,
        atomic::{AtomicBool, Ordering},
    },
    time::Duration,
};
use tokio::task::JoinHandle;

/// Runs one soak body on SQLite and on PostgreSQL; ignored by plain `cargo test` (it takes
/// long), run by `cargo xtask soak`. A multi-threaded runtime, so clients run in parallel.
#[macro_export]
macro_rules! soak_on_both_backends {
    ($name:ident, $body:ident) => {
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            #[ignore = "soak: run by cargo xtask soak"]
            async fn sqlite() {
                let db = $crate::support::TestDb::sqlite().await;
                super::$body(&db).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            #[ignore = "soak: run by cargo xtask soak"]
            async fn postgres() {
                let db = $crate::support::TestDb::postgres().await;
                super::$body(&db).await;
                db.cleanup().await;
            }
        }
    };
}

/// A session key that survives restarts, so learners stay signed in across kills.
pub const SESSION_SECRET: &str = "soak session secret that is long enough to sign cookies 0123456789abcdef";
/// The webhook's signing key.
pub const WEBHOOK_SECRET: &str = "whsec_soak_secret_0123456789abcdef";

/// A small seeded random source (SplitMix64): the seed is printed, so a failing run can be
/// replayed with `VOUCH_SOAK_SEED`.
pub struct Rng(u64);

impl Rng {
    /// From `VOUCH_SOAK_SEED`, else from the clock; prints the seed.
    pub fn from_env(what: &str) -> Self {
        let seed = std::env::var("VOUCH_SOAK_SEED").ok().and_then(|s| s.parse().ok()).unwrap_or_else(|| {
            std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(1, |d| d.as_nanos() as u64)
        });
        eprintln!("{what}: seed {seed} (VOUCH_SOAK_SEED={seed} replays it)");
        Self(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A duration between `lo` and `hi` milliseconds.
    pub fn millis(&mut self, lo: u64, hi: u64) -> Duration {
        Duration::from_millis(lo + self.next_u64() % (hi - lo + 1))
    }

    /// True with probability `num / den`.
    pub fn chance(&mut self, num: u64, den: u64) -> bool {
        self.next_u64() % den < num
    }
}

/// A webhook receiver in the test process: counts deliveries by `Vouch-Event-Id`, and can
/// be taken down (connections refused; kept-alive ones answered 503) and brought back on
/// the same port.
pub struct WebhookReceiver {
    pub url: String,
    port: u16,
    up: Arc<AtomicBool>,
    pub seen: Arc<Mutex<HashMap<String, u32>>>,
    task: Option<JoinHandle<()>>,
}

#[derive(Clone)]
struct ReceiverState {
    up: Arc<AtomicBool>,
    seen: Arc<Mutex<HashMap<String, u32>>>,
}

/// Whether `header` is the `Vouch-Signature` of `body` under [`WEBHOOK_SECRET`] (compared in
/// constant time, as a receiver must).
fn signed_by_us(header: &str, body: &str) -> bool {
    use subtle::ConstantTimeEq;
    let Some(t) = header.split(',').find_map(|p| p.strip_prefix("t=")).and_then(|t| t.parse().ok()) else {
        return false;
    };
    let expected = server::reactions::webhooks::signature(WEBHOOK_SECRET, t, body);
    expected.as_bytes().ct_eq(header.as_bytes()).into()
}

async fn receive(State(s): State<ReceiverState>, headers: HeaderMap, body: String) -> StatusCode {
    if !s.up.load(Ordering::SeqCst) {
        return StatusCode::SERVICE_UNAVAILABLE;
    }
    let id = headers.get("vouch-event-id").and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
    let signed = headers.get("vouch-signature").and_then(|v| v.to_str().ok()).is_some_and(|v| signed_by_us(v, &body));
    if id.is_empty() || !signed || body.is_empty() {
        return StatusCode::BAD_REQUEST;
    }
    *s.seen.lock().expect("lock").entry(id).or_default() += 1;
    StatusCode::OK
}

impl WebhookReceiver {
    pub async fn start() -> Self {
        let port = free_port();
        let mut r = Self {
            url: format!("http://127.0.0.1:{port}/hook"),
            port,
            up: Arc::default(),
            seen: Arc::default(),
            task: None,
        };
        r.bring_up().await;
        r
    }

    /// Listens again (on the same port) and answers 200.
    pub async fn bring_up(&mut self) {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", self.port)).await.expect("bind receiver");
        self.up.store(true, Ordering::SeqCst);
        let state = ReceiverState { up: self.up.clone(), seen: self.seen.clone() };
        let app = Router::new().route("/hook", post(receive)).with_state(state);
        self.task = Some(tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        }));
    }

    /// Stops listening: new connections are refused, kept-alive ones get 503.
    pub fn take_down(&mut self) {
        self.up.store(false, Ordering::SeqCst);
        if let Some(t) = self.task.take() {
            t.abort();
        }
    }

    /// Event id → deliveries received.
    pub fn seen(&self) -> HashMap<String, u32> {
        self.seen.lock().expect("lock").clone()
    }
}

impl Drop for WebhookReceiver {
    fn drop(&mut self) {
        self.take_down();
    }
}

/// How a learner's submission ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// The server answered 200.
    Accepted,
    /// The answer was lost (the server died), and the status showed the attempt existed.
    AcceptedResponseLost,
}

/// A learner's browser/LMS: signs in, submits, and when the server dies mid-request,
/// waits for it, asks the status and resubmits only if nothing was recorded.
pub struct Learner {
    http: reqwest::Client,
    base: String,
    pub username: String,
    cookie: Option<String>,
    /// Requests that failed because the server was down (retried).
    pub retries: u32,
}

impl Learner {
    pub fn new(http: &reqwest::Client, base: &str, username: String) -> Self {
        Self { http: http.clone(), base: base.to_owned(), username, cookie: None, retries: 0 }
    }

    async fn pause(&mut self) {
        self.retries += 1;
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    /// Signs in, retrying while the server is down.
    pub async fn sign_in(&mut self) -> String {
        loop {
            if let Some(c) = &self.cookie {
                return c.clone();
            }
            match crate::process_support::dev_login(&self.http, &self.base, &self.username).await {
                Ok(c) => self.cookie = Some(c),
                Err(_) => self.pause().await,
            }
        }
    }

    /// The status the learner sees (`none`, `pending`, `approved`, …), retrying while down.
    pub async fn status(&mut self) -> String {
        loop {
            let cookie = self.sign_in().await;
            let res =
                self.http.get(format!("{}/verify_student/status/", self.base)).header("cookie", cookie).send().await;
            match res {
                Ok(r) if r.status().is_success() => {
                    let v: serde_json::Value = r.json().await.expect("status json");
                    return v["status"].as_str().expect("status").to_owned();
                }
                Ok(r) if r.status() == 401 => self.cookie = None,
                Ok(r) if r.status().is_server_error() => self.pause().await,
                Ok(r) => panic!("status answered {}", r.status()),
                Err(_) => self.pause().await,
            }
        }
    }

    /// Submits both photos until the server has them; never twice for one learner.
    pub async fn submit(&mut self) -> Outcome {
        let photo = crate::process_support::form_photo();
        let mut lost = false;
        loop {
            let cookie = self.sign_in().await;
            let res = crate::process_support::submit_photos(&self.http, &self.base, &cookie, &photo).send().await;
            match res {
                Ok(r) if r.status() == 200 => {
                    return if lost { Outcome::AcceptedResponseLost } else { Outcome::Accepted };
                }
                Ok(r) if r.status() == 401 => self.cookie = None,
                // The server refused it without storing anything (e.g. the database was
                // unreachable): a retry cannot duplicate it.
                Ok(r) if r.status() == 503 => self.pause().await,
                Ok(r) => {
                    panic!("{} submit answered {}: {}", self.username, r.status(), r.text().await.unwrap_or_default())
                }
                Err(_) => {
                    // The server died with the request: it may or may not have stored it.
                    self.pause().await;
                    if self.status().await != "none" {
                        return Outcome::AcceptedResponseLost;
                    }
                    lost = true;
                }
            }
        }
    }
}

/// An HTTP client for the learners: no redirects, a timeout so a request to a dying
/// server cannot hang the stream.
pub fn learner_client() -> reqwest::Client {
    let (name, value) = crate::process_support::CSRF_HEADER;
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert(name, reqwest::header::HeaderValue::from_static(value));
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .default_headers(headers)
        .timeout(Duration::from_secs(15))
        .build()
        .expect("client")
}

/// Rows that a submission writes, counted directly in the database.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Counts {
    pub attempts: i64,
    pub jobs: i64,
    pub events: i64,
    pub transitions: i64,
    pub users: i64,
}

pub async fn counts(db: &TestDb) -> Counts {
    let mut conn = db.store.conn().await.expect("conn");
    let mut one = async |sql: &str| -> i64 {
        let (n,): (i64,) = sqlx::query_as(sql).fetch_one(&mut *conn).await.expect(sql);
        n
    };
    Counts {
        attempts: one("select count(*) from photo_verification").await,
        jobs: one("select count(*) from job").await,
        events: one("select count(*) from event_outbox").await,
        transitions: one("select count(*) from attempt_transition").await,
        users: one("select count(*) from app_user").await,
    }
}

/// Attempts by status.
pub async fn attempts_by_status(db: &TestDb) -> HashMap<String, i64> {
    let mut conn = db.store.conn().await.expect("conn");
    sqlx::query_as::<_, (String, i64)>("select status, count(*) from photo_verification group by status")
        .fetch_all(&mut *conn)
        .await
        .expect("q")
        .into_iter()
        .collect()
}

/// Jobs by status.
pub async fn jobs_by_status(db: &TestDb) -> HashMap<String, i64> {
    let mut conn = db.store.conn().await.expect("conn");
    sqlx::query_as::<_, (String, i64)>("select status, count(*) from job group by status")
        .fetch_all(&mut *conn)
        .await
        .expect("q")
        .into_iter()
        .collect()
}

/// Every event id in the outbox.
pub async fn event_ids(db: &TestDb) -> Vec<String> {
    let mut conn = db.store.conn().await.expect("conn");
    let mut out = Vec::new();
    let mut from = 0;
    loop {
        let page = server::store::outbox::page(&mut conn, from, 500).await.expect("events");
        let Some(last) = page.last() else { break };
        from = last.seq;
        out.extend(page.into_iter().map(|e| e.event.event_id));
    }
    out
}

/// Webhook deliveries by status.
pub async fn deliveries_by_status(db: &TestDb) -> HashMap<String, i64> {
    let mut conn = db.store.conn().await.expect("conn");
    sqlx::query_as::<_, (String, i64)>("select status, count(*) from webhook_delivery group by status")
        .fetch_all(&mut *conn)
        .await
        .expect("q")
        .into_iter()
        .collect()
}

/// A job row as the drain report prints it: id, kind, status, tries, max tries, run_at,
/// locked_until, last error.
type UnfinishedJob = (i64, String, String, i32, i32, i64, Option<i64>, String);

/// What is still unfinished when a drain times out: attempts not approved (with their
/// trails), jobs not done and deliveries not delivered. A soak that fails in CI once cannot
/// be rerun with a debugger; this is what tells the next reader where it stuck.
pub async fn unfinished_report(db: &TestDb) -> String {
    let mut conn = db.store.conn().await.expect("conn");
    let attempts: Vec<(i64, String, String)> = sqlx::query_as(
        "select attempt_id, status, receipt_id from photo_verification where status <> 'approved' order by attempt_id limit 20",
    )
    .fetch_all(&mut *conn)
    .await
    .expect("q");
    let mut out = String::new();
    for (id, status, receipt) in attempts {
        let trail = server::store::transitions::history(&mut conn, app::domain::AttemptKind::Photo, id)
            .await
            .expect("history")
            .into_iter()
            .map(|t| t.to)
            .collect::<Vec<_>>();
        out.push_str(&format!("attempt {id} ({receipt}) {status}: {trail:?}\n"));
    }
    let jobs: Vec<UnfinishedJob> = sqlx::query_as(
        "select job_id, kind, status, attempts, max_attempts, run_at, locked_until, last_error from job \
         where status not in ('done', 'failed') order by job_id limit 20",
    )
    .fetch_all(&mut *conn)
    .await
    .expect("q");
    for j in jobs {
        out.push_str(&format!("job {j:?}\n"));
    }
    let deliveries: Vec<(String, i64)> =
        sqlx::query_as("select status, count(*) from webhook_delivery where status <> 'delivered' group by status")
            .fetch_all(&mut *conn)
            .await
            .expect("q");
    out.push_str(&format!("deliveries not delivered: {deliveries:?}; now {}\n", chrono::Utc::now().timestamp()));
    out
}

/// One memory figure of a process in KiB, from `/proc/<pid>/status`: `"VmRSS"` (all
/// resident pages) or `"RssAnon"` (heap and stacks only, without file-backed pages).
pub fn memory_kib(pid: u32, field: &str) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.strip_prefix(field).is_some_and(|rest| rest.starts_with(':')))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// A TCP proxy to the database that can be cut, the two ways a database goes away: `cut`
/// closes open connections and accepts new ones only to close them at once (a dying server
/// or a load balancer without backends), `refuse` closes the listener too (connection
/// refused). `restore` lets connections through again, on the same port.
pub struct Proxy {
    pub port: u16,
    upstream: String,
    up: Arc<AtomicBool>,
    pipes: Arc<Mutex<Vec<JoinHandle<()>>>>,
    task: Mutex<Option<JoinHandle<()>>>,
}

impl Proxy {
    /// Forwards a free local port to `upstream` (`host:port`).
    pub async fn start(upstream: String) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind proxy");
        let port = listener.local_addr().expect("addr").port();
        let p =
            Self { port, upstream, up: Arc::new(AtomicBool::new(true)), pipes: Arc::default(), task: Mutex::default() };
        p.accept_on(listener);
        p
    }

    fn accept_on(&self, listener: tokio::net::TcpListener) {
        let (up, pipes, upstream) = (self.up.clone(), self.pipes.clone(), self.upstream.clone());
        let task = tokio::spawn(async move {
            loop {
                let Ok((mut inbound, _)) = listener.accept().await else { continue };
                if !up.load(Ordering::SeqCst) {
                    drop(inbound);
                    continue;
                }
                let upstream = upstream.clone();
                let pipe = tokio::spawn(async move {
                    if let Ok(mut outbound) = tokio::net::TcpStream::connect(&upstream).await {
                        let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                    }
                });
                let mut pipes = pipes.lock().expect("lock");
                pipes.retain(|p| !p.is_finished());
                pipes.push(pipe);
            }
        });
        *self.task.lock().expect("lock") = Some(task);
    }

    /// Closes every open connection; new ones are accepted and closed.
    pub fn cut(&self) {
        self.up.store(false, Ordering::SeqCst);
        for p in self.pipes.lock().expect("lock").drain(..) {
            p.abort();
        }
    }

    /// Also stops listening: new connections are refused.
    pub fn refuse(&self) {
        self.cut();
        if let Some(t) = self.task.lock().expect("lock").take() {
            t.abort();
        }
    }

    /// Lets connections through again (listening again if it had stopped).
    pub async fn restore(&self) {
        let listening = self.task.lock().expect("lock").is_some();
        if !listening {
            // The aborted accept task drops its listener soon after; retry the bind briefly.
            let listener = crate::support::until("the proxy port to be free", Duration::from_secs(5), || async {
                tokio::net::TcpListener::bind(("127.0.0.1", self.port)).await.ok()
            })
            .await;
            self.accept_on(listener);
        }
        self.up.store(true, Ordering::SeqCst);
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.refuse();
    }
}
