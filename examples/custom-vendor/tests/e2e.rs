//! `custom-vouch` end to end, as real processes on loopback: the built binary serves with a
//! temporary SQLite database, and a small fake of Acme's API (an axum server in this test)
//! opens sessions and, when the learner "finishes" the flow, posts the signed-by-token
//! result to `/callbacks/acme`. The routed learner reaches approved through Acme, another
//! learner keeps the default vendor, the subscriber writes the events, and a missing plugin
//! table stops the binary at start-up.

use axum::{
    Json, Router,
    extract::{Path, Query, State},
    http::{HeaderMap, StatusCode},
    routing::{get, post},
};
use serde::Deserialize;
use serde_json::{Value, json};
use std::{
    collections::HashMap,
    process::{Child, Command, Stdio},
    sync::{Arc, Mutex},
    time::Duration,
};

const API_KEY: &str = "acme-e2e-api-key";
const TOKEN: &str = "acme-e2e-callback-token";

/// The fake's sessions: id → (callback URL, status), and the course each was opened for.
#[derive(Clone, Default)]
struct Fake {
    base: Arc<Mutex<String>>,
    sessions: Arc<Mutex<HashMap<String, (String, String)>>>,
    courses: Arc<Mutex<HashMap<String, Option<String>>>>,
}

fn authorised(headers: &HeaderMap) -> bool {
    headers.get("authorization").and_then(|v| v.to_str().ok()) == Some(&format!("Bearer {API_KEY}"))
}

fn session(fake: &Fake, id: &str) -> Option<Value> {
    let sessions = fake.sessions.lock().expect("lock");
    let (_, status) = sessions.get(id)?;
    let base = fake.base.lock().expect("lock").clone();
    Some(json!({ "id": id, "flow_url": format!("{base}/flow/{id}"), "status": status }))
}

async fn create(State(fake): State<Fake>, headers: HeaderMap, Json(body): Json<Value>) -> (StatusCode, Json<Value>) {
    if !authorised(&headers) {
        return (StatusCode::UNAUTHORIZED, Json(json!({"error": "bad key"})));
    }
    let Some(callback) = body["callback_url"].as_str() else {
        return (StatusCode::BAD_REQUEST, Json(json!({"error": "callback_url"})));
    };
    let id = {
        let mut sessions = fake.sessions.lock().expect("lock");
        let id = format!("ses_{}", sessions.len() + 1);
        sessions.insert(id.clone(), (callback.to_owned(), "open".to_owned()));
        id
    };
    fake.courses.lock().expect("lock").insert(id.clone(), body["course_id"].as_str().map(str::to_owned));
    (StatusCode::CREATED, Json(session(&fake, &id).expect("just made")))
}

async fn read(State(fake): State<Fake>, headers: HeaderMap, Path(id): Path<String>) -> (StatusCode, Json<Value>) {
    match session(&fake, &id) {
        Some(s) if authorised(&headers) => (StatusCode::OK, Json(s)),
        Some(_) => (StatusCode::UNAUTHORIZED, Json(json!({}))),
        None => (StatusCode::NOT_FOUND, Json(json!({}))),
    }
}

#[derive(Deserialize)]
struct Finish {
    result: String,
}

/// What the vendor's page does when the learner is done: decide, then call Vouch back.
async fn finish(State(fake): State<Fake>, Path(id): Path<String>, Query(q): Query<Finish>) -> Json<Value> {
    let callback = {
        let mut sessions = fake.sessions.lock().expect("lock");
        let entry = sessions.get_mut(&id).expect("known session");
        entry.1.clone_from(&q.result);
        entry.0.clone()
    };
    let res = reqwest::Client::new()
        .post(callback)
        .header("x-acme-token", TOKEN)
        .json(&json!({ "session_id": id, "status": q.result }))
        .send()
        .await
        .expect("callback sent");
    Json(json!({ "callback_status": res.status().as_u16() }))
}

async fn start_fake() -> (String, Fake) {
    let fake = Fake::default();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("addr"));
    *fake.base.lock().expect("lock") = base.clone();
    let app = Router::new()
        .route("/sessions", post(create))
        .route("/sessions/{id}", get(read))
        .route("/flow/{id}/finish", post(finish))
        .with_state(fake.clone());
    tokio::spawn(async move { axum::serve(listener, app).await.expect("fake serves") });
    (base, fake)
}

/// Kills the process when the test ends, however it ends.
struct Proc(Child);

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").expect("bind").local_addr().expect("addr").port()
}

fn custom_vouch(dir: &std::path::Path, port: u16, plugin_env: &[(&str, String)]) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_custom-vouch"));
    c.env("VOUCH_DATABASE__URL", format!("sqlite://{}?mode=rwc", dir.join("vouch.db").display()))
        .env("VOUCH_SERVER__BIND", format!("127.0.0.1:{port}"))
        .env("VOUCH_SERVER__PUBLIC_URL", format!("http://127.0.0.1:{port}"))
        .env("VOUCH_SERVER__STATIC_DIR", dir.join("no-dist"))
        .env("VOUCH_VAULT__LOCAL_DIR", dir.join("photos"))
        .env("VOUCH_VAULT__URL_SECRET", "example e2e url secret 0123456789")
        .env("VOUCH_AUTH__DEV_LOGIN", "true")
        .env("VOUCH_JOBS__POLL_INTERVAL_MS", "50")
        .env("VOUCH_FILTERS__VENDOR_REQUESTED", "acme_route")
        .env("VOUCH_LOG", "warn")
        .stdout(Stdio::null());
    for (k, v) in plugin_env {
        c.env(k, v);
    }
    c
}

async fn until<T, F: std::future::Future<Output = Option<T>>>(what: &str, mut check: impl FnMut() -> F) -> T {
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    loop {
        if let Some(v) = check().await {
            return v;
        }
        assert!(std::time::Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

struct Learner {
    http: reqwest::Client,
    base: String,
    cookie: String,
}

impl Learner {
    async fn sign_in(base: &str, username: &str) -> Self {
        // What the SPA sends on every call: Vouch refuses state-changing requests that do not
        // show they come from its own pages (a cross-site form cannot set this header).
        let mut headers = reqwest::header::HeaderMap::new();
        headers.insert("x-requested-with", reqwest::header::HeaderValue::from_static("custom-vouch-e2e"));
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .default_headers(headers)
            .build()
            .expect("client");
        let res = http
            .post(format!("{base}/auth/dev-login"))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(format!("username={username}"))
            .send()
            .await
            .expect("login");
        assert_eq!(res.status(), StatusCode::SEE_OTHER);
        let cookie = res.headers()["set-cookie"].to_str().expect("ascii").split(';').next().expect("pair").to_owned();
        Self { http, base: base.to_owned(), cookie }
    }

    async fn sfn(&self, name: &str) -> Value {
        self.sfn_form(name, String::new()).await
    }

    /// A server function with a form body, as the SPA sends `slot_config`'s course.
    async fn sfn_form(&self, name: &str, form: String) -> Value {
        let res = self
            .http
            .post(format!("{}/sfn/{name}", self.base))
            .header("cookie", &self.cookie)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(form)
            .send()
            .await
            .expect("sfn");
        assert!(res.status().is_success(), "{name}: {}", res.status());
        res.json().await.expect("json")
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn acme_verifies_routed_learners_end_to_end() {
    let dir = tempfile::tempdir().expect("dir");
    let (fake, acme) = start_fake().await;
    let events = dir.path().join("events.jsonl");
    let plugin_env = vec![
        ("VOUCH_PLUGINS__ACME__API_URL", fake.clone()),
        ("VOUCH_PLUGINS__ACME__API_KEY", API_KEY.to_owned()),
        ("VOUCH_PLUGINS__ACME__CALLBACK_TOKEN", TOKEN.to_owned()),
        ("VOUCH_PLUGINS__ACME__LEARNERS", "acme_ada,acme_eve".to_owned()),
        ("VOUCH_PLUGINS__ACME__COURSES", "course-v1:Acme+X+1".to_owned()),
        ("VOUCH_PLUGINS__ACME__EVENTS_FILE", events.display().to_string()),
    ];
    let port = free_port();

    // Without its table the plugin stops the binary, naming the table; `acme` is a vendor
    // name this binary accepts (stock `vouch` refuses it).
    let out = custom_vouch(dir.path(), port, &[]).arg("migrate").output().expect("run");
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("plugins.acme") && stderr.contains("api_url"), "{stderr}");
    let mut env = plugin_env.clone();
    env.push(("VOUCH_IDV__VENDOR", "acme".to_owned()));
    let out = custom_vouch(dir.path(), port, &env).arg("migrate").output().expect("run");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));

    let _vouch = Proc(custom_vouch(dir.path(), port, &plugin_env).arg("serve").spawn().expect("start custom-vouch"));
    let base = format!("http://127.0.0.1:{port}");
    let http = reqwest::Client::new();
    until("readyz", || async {
        http.get(format!("{base}/readyz")).send().await.ok().filter(|r| r.status().is_success()).map(|_| ())
    })
    .await;

    // The extra route, with the app's state.
    let status: Value = http.get(format!("{base}/acme/status")).send().await.expect("get").json().await.expect("json");
    assert_eq!(status["default_vendor"], "software_secure");
    assert_eq!(status["vendors"], json!(["software_secure", "hosted", "manual", "in_house", "acme"]));

    // A learner who is not routed keeps the default vendor's camera flow.
    let bob = Learner::sign_in(&base, "bob").await;
    let slot = bob.sfn("slot_config").await;
    assert_eq!((slot["filler"].as_str(), slot["hosted"].is_null()), (Some("builtin"), true), "{slot}");
    // Opened for one of `[plugins.acme] courses`, the page routes that learner to Acme
    // (`acme_route` sees the course) and the filler gets the course.
    let slot = bob.sfn_form("slot_config", "course_id=course-v1%3AAcme%2BX%2B1".into()).await;
    assert_eq!(slot["filler"], custom_vendor_frontend::ACME_FLOW, "{slot}");
    assert_eq!(slot["course_id"], "course-v1:Acme+X+1", "{slot}");
    let bob_flow = slot["hosted"]["url"].as_str().unwrap_or_default().to_owned();
    assert!(bob_flow.starts_with(&format!("{fake}/flow/ses_")), "{slot}");
    // The vendor's `start` was given the course, and tagged the session with it.
    let course_of = |flow: &str| {
        let id = flow.rsplit('/').next().unwrap_or_default().to_owned();
        acme.courses.lock().expect("lock").get(&id).cloned()
    };
    assert_eq!(course_of(&bob_flow), Some(Some("course-v1:Acme+X+1".to_owned())));

    // The routed learner gets Acme's flow, in Acme's own filler (the example's frontend).
    let ada = Learner::sign_in(&base, "acme_ada").await;
    let slot = ada.sfn("slot_config").await;
    assert_eq!(slot["filler"], custom_vendor_frontend::ACME_FLOW, "{slot}");
    let flow = slot["hosted"]["url"].as_str().expect("a flow URL").to_owned();
    assert!(flow.starts_with(&format!("{fake}/flow/ses_")), "{flow}");
    assert_eq!(course_of(&flow), Some(None), "opened without a course");
    // Opening the page again resumes the same session.
    assert_eq!(ada.sfn("slot_config").await["hosted"]["url"], flow.as_str());
    assert_eq!(ada.sfn("verification_status").await["status"], "none");

    // A callback without Acme's token is refused, as JSON.
    let forged = http
        .post(format!("{base}/callbacks/acme"))
        .header("x-acme-token", "not the token at all")
        .json(&json!({"session_id": "ses_1", "status": "approved"}))
        .send()
        .await
        .expect("post");
    assert_eq!(forged.status(), StatusCode::UNAUTHORIZED);
    let body: Value = forged.json().await.expect("json error");
    assert_eq!(body["error"]["code"], "unauthenticated", "{body}");

    // The learner finishes Acme's flow; Acme calls Vouch back over HTTP.
    let done: Value =
        http.post(format!("{flow}/finish?result=approved")).send().await.expect("finish").json().await.expect("json");
    assert_eq!(done["callback_status"], 200, "{done}");
    until("approved", || async { (ada.sfn("verification_status").await["status"] == "approved").then_some(()) }).await;
    // Acme's retry of the same result is acknowledged and changes nothing.
    let again: Value =
        http.post(format!("{flow}/finish?result=approved")).send().await.expect("finish").json().await.expect("json");
    assert_eq!(again["callback_status"], 200, "{again}");

    // The subscriber saw the attempt's events, each once.
    let lines = until("the approved event in the events file", || async {
        let text = tokio::fs::read_to_string(&events).await.ok()?;
        let lines: Vec<Value> = text.lines().map(|l| serde_json::from_str(l).expect("a JSON line")).collect();
        lines.iter().any(|l| l["event"]["data"]["status"] == "approved").then_some(lines)
    })
    .await;
    let mut seqs: Vec<i64> = lines.iter().map(|l| l["seq"].as_i64().expect("seq")).collect();
    let n = seqs.len();
    seqs.sort_unstable();
    seqs.dedup();
    assert_eq!(seqs.len(), n, "one line per event: {lines:?}");
    assert!(lines.iter().any(|l| l["event"]["data"]["status"] == "created"), "{lines:?}");
}
