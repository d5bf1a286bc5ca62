//! Test databases, a test app over the real router, and request helpers.

use axum::{
    Router,
    body::{Body, to_bytes},
    http::{Request, StatusCode, header},
};
use serde_json::Value;
use server::{
    clock::ManualClock,
    config::Config,
    http::{AppState, router},
    service::Services,
    store::Store,
};
use std::sync::Arc;
use tower::ServiceExt;

/// Runs one async test body against SQLite and against PostgreSQL.
#[macro_export]
macro_rules! on_both_backends {
    ($name:ident, $body:ident) => {
        mod $name {
            #[tokio::test]
            async fn sqlite() {
                let db = $crate::support::TestDb::sqlite().await;
                super::$body(&db).await;
            }

            #[tokio::test]
            async fn postgres() {
                let db = $crate::support::TestDb::postgres().await;
                super::$body(&db).await;
                db.cleanup().await;
            }
        }
    };
}

/// A fresh, migrated database of either backend, with its own photo folder.
pub struct TestDb {
    pub url: String,
    pub store: Store,
    pub dir: tempfile::TempDir,
    pg: Option<(String, String)>,
}

impl TestDb {
    /// A new SQLite database file in a temporary folder.
    pub async fn sqlite() -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let url = format!("sqlite://{}/vouch.db?mode=rwc", dir.path().display());
        let store = Store::connect(&url, 4).await.expect("sqlite connects");
        store.migrate().await.expect("migrations apply on an empty SQLite database");
        Self { url, store, dir, pg: None }
    }

    /// A new database on the PostgreSQL server at `VOUCH_TEST_PG_URL`. Fails (never skips)
    /// when the variable is unset or the server is unreachable.
    pub async fn postgres() -> Self {
        let admin = std::env::var("VOUCH_TEST_PG_URL")
            .expect("VOUCH_TEST_PG_URL must point at a PostgreSQL server (cargo xtask test sets it)");
        let name = format!("vouch_test_{}", uuid::Uuid::new_v4().simple());
        let admin_store = Store::connect(&admin, 1).await.expect("PostgreSQL at VOUCH_TEST_PG_URL is reachable");
        admin_store.exec_admin(&format!("create database {name}")).await.expect("create test database");
        admin_store.close().await;
        let url = replace_db_name(&admin, &name);
        let store = Store::connect(&url, 4).await.expect("test database connects");
        store.migrate().await.expect("migrations apply on an empty PostgreSQL database");
        let dir = tempfile::tempdir().expect("temp dir");
        Self { url, store, dir, pg: Some((admin, name)) }
    }

    /// Drops the PostgreSQL test database.
    pub async fn cleanup(&self) {
        self.store.close().await;
        if let Some((admin, name)) = &self.pg
            && let Ok(admin) = Store::connect(admin, 1).await
        {
            // `with (force)`: a server the test spawned may still hold pooled connections; without it
            // the drop fails and every run leaves its databases behind (1,300 after a few days).
            let _ = admin.exec_admin(&format!("drop database if exists {name} with (force)")).await;
            admin.close().await;
        }
    }

    /// Configuration pointing at this database and a photo folder inside the temp dir, with
    /// the fixture vendor keys, and jobs left to the test to run.
    pub fn config(&self) -> Config {
        let keys = fixture_keys();
        let mut cfg = Config::default();
        cfg.database.url = self.url.clone();
        cfg.vault.local_dir = self.dir.path().join("photos");
        cfg.vault.url_secret = Some("test url secret 0123456789abcdef".to_owned().into());
        cfg.auth.dev_login = true;
        cfg.jobs.run_in_server = false;
        cfg.software_secure.rsa_public_key = Some(keys.public_pem);
        cfg.software_secure.rsa_private_key = Some(keys.private_pem.into());
        cfg.software_secure.api_access_key = keys.access_key;
        cfg.software_secure.api_secret_key = Some(keys.secret_key.into());
        cfg.software_secure.retry_base_secs = 1.0;
        cfg.jobs.retry_base_secs = Some(1.0);
        cfg
    }

    /// Every file under the photo folder.
    pub fn photo_files(&self) -> Vec<std::path::PathBuf> {
        fn walk(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
            let Ok(entries) = std::fs::read_dir(dir) else {
                return;
            };
            for e in entries.flatten() {
                let p = e.path();
                if p.is_dir() { walk(&p, out) } else { out.push(p) }
            }
        }
        let mut out = Vec::new();
        walk(&self.dir.path().join("photos"), &mut out);
        out
    }
}

/// The vendor keys of the protocol fixtures.
pub struct FixtureKeys {
    pub public_pem: String,
    pub private_pem: String,
    pub access_key: String,
    pub secret_key: String,
}

/// Reads the keys from `ssencrypt/tests/fixtures/ssencrypt.json` (the vectors live with the crate).
pub fn fixture_keys() -> FixtureKeys {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../ssencrypt/tests/fixtures/ssencrypt.json");
    let json: Value = serde_json::from_slice(&std::fs::read(path).expect("fixtures")).expect("json");
    let k = &json["keys"];
    let s = |name: &str| k[name].as_str().expect("key field").to_owned();
    FixtureKeys {
        public_pem: s("rsa_public_spki_pem"),
        private_pem: s("rsa_private_pkcs8_pem"),
        access_key: s("api_access_key"),
        secret_key: s("api_secret_key"),
    }
}

fn replace_db_name(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    let prefix = match base.rfind('/') {
        Some(i) if base[..i].contains("://") && i > base.find("://").map_or(0, |j| j + 2) => &base[..i],
        _ => base,
    };
    match query {
        Some(q) => format!("{prefix}/{name}?{q}"),
        None => format!("{prefix}/{name}"),
    }
}

/// The real router over a test database, with a hand-set clock.
pub struct TestApp {
    pub router: Router,
    pub services: Services,
    pub clock: ManualClock,
}

impl TestApp {
    pub async fn new(db: &TestDb) -> Self {
        Self::with_config(db, db.config()).await
    }

    /// The app served on a real port (so a vendor can fetch photo URLs); `public_url` is set
    /// to it before the services start.
    pub async fn listening(db: &TestDb, edit: impl FnOnce(&mut Config)) -> (Self, String) {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let base = format!("http://{}", listener.local_addr().expect("addr"));
        let mut cfg = db.config();
        cfg.server.public_url = base.clone();
        edit(&mut cfg);
        let app = Self::with_config(db, cfg).await;
        let router = app.router.clone();
        tokio::spawn(async move {
            let _ = axum::serve(listener, router).await;
        });
        (app, base)
    }

    pub async fn with_config(_db: &TestDb, cfg: Config) -> Self {
        let clock = ManualClock::new(chrono::Utc::now());
        let services = server::serve::services(cfg, Arc::new(clock.clone())).await.expect("services start");
        let key = tower_sessions::cookie::Key::generate();
        let router = router(AppState::new(services.clone()), key);
        Self { router, services, clock }
    }

    /// The app with a build's plugins (`server::App::builder()`): its vendors, filter steps
    /// and routes.
    pub async fn with_extensions(cfg: Config, ext: &server::serve::Extensions) -> Self {
        let clock = ManualClock::new(chrono::Utc::now());
        let services = server::serve::services_with(cfg, Arc::new(clock.clone()), ext).await.expect("services start");
        let key = tower_sessions::cookie::Key::generate();
        let router = server::http::router_with(AppState::new(services.clone()), key, ext.routes.clone());
        Self { router, services, clock }
    }

    /// Sends `req` as the SPA would: a request that says nothing about where it comes from
    /// (no `Sec-Fetch-Site`, `Origin` or `X-Requested-With`) gets `X-Requested-With`, which
    /// the SPA sends and a cross-site form cannot. Tests of the CSRF check use [`Self::send_exactly`].
    pub async fn send(&self, mut req: Request<Body>) -> (StatusCode, axum::http::HeaderMap, Vec<u8>) {
        let h = req.headers();
        if !["sec-fetch-site", "origin", "x-requested-with"].iter().any(|n| h.contains_key(*n)) {
            req.headers_mut().insert("x-requested-with", header::HeaderValue::from_static("vouch-tests"));
        }
        self.send_exactly(req).await
    }

    /// Sends `req` with exactly the headers it has.
    pub async fn send_exactly(&self, req: Request<Body>) -> (StatusCode, axum::http::HeaderMap, Vec<u8>) {
        let res = self.router.clone().oneshot(req).await.expect("router answers");
        let status = res.status();
        let headers = res.headers().clone();
        let body = to_bytes(res.into_body(), usize::MAX).await.expect("body").to_vec();
        (status, headers, body)
    }

    /// Sends and parses a JSON answer.
    pub async fn json(&self, req: Request<Body>) -> (StatusCode, Value) {
        let (status, headers, body) = self.send(req).await;
        let ct = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
        assert!(ct.starts_with("application/json"), "expected JSON, got {ct:?}: {}", String::from_utf8_lossy(&body));
        (status, serde_json::from_slice(&body).expect("valid JSON"))
    }

    /// Signs `username` in through dev login; returns the session cookie.
    pub async fn login(&self, username: &str) -> String {
        let req = Request::post("/auth/dev-login")
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(format!("username={username}")))
            .expect("request");
        let (status, headers, _) = self.send(req).await;
        assert_eq!(status, StatusCode::SEE_OTHER);
        let cookie = headers.get(header::SET_COOKIE).expect("session cookie").to_str().expect("ascii");
        cookie.split(';').next().expect("name=value").to_owned()
    }
}

/// A POST of JSON to a server function, with an optional session cookie.
pub fn sfn(name: &str, cookie: Option<&str>, body: String) -> Request<Body> {
    let mut b = Request::post(format!("/sfn/{name}")).header(header::CONTENT_TYPE, "application/json");
    if let Some(c) = cookie {
        b = b.header(header::COOKIE, c);
    }
    b.body(Body::from(body)).expect("request")
}

/// Fails if any file of the photo store holds a JPEG or PNG, as bytes or as base64 text
/// (both alphabets): everything there must be encrypted.
pub fn assert_no_plaintext_photos(db: &TestDb) {
    use base64::Engine;
    let magics: [&[u8]; 2] = [&[0xFF, 0xD8, 0xFF], b"\x89PNG"];
    for path in db.photo_files() {
        let bytes = std::fs::read(&path).expect("read photo file");
        let text = String::from_utf8_lossy(&bytes).replace(['-', '_'], "A");
        let decoded = base64::engine::general_purpose::STANDARD.decode(text.trim()).unwrap_or_default();
        for m in magics {
            assert!(!bytes.windows(m.len()).any(|w| w == m), "{} holds a plaintext image", path.display());
            assert!(!decoded.starts_with(m), "{} holds a base64 plaintext image", path.display());
        }
    }
}

/// A minimal JPEG: SOI, an APP0 segment, EOI.
pub fn jpeg_bytes(padding: usize) -> Vec<u8> {
    let mut v = vec![0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10, b'J', b'F', b'I', b'F', 0];
    v.extend(std::iter::repeat_n(0x42, padding));
    v.extend([0xFF, 0xD9]);
    v
}

/// `bytes` as a data URL.
pub fn data_url(mime: &str, bytes: &[u8]) -> String {
    use base64::Engine;
    format!("data:{mime};base64,{}", base64::engine::general_purpose::STANDARD.encode(bytes))
}

#[test]
fn database_names_are_replaced() {
    assert_eq!(replace_db_name("postgres://u@h:5433/postgres", "x"), "postgres://u@h:5433/x");
    assert_eq!(
        replace_db_name("postgres://u@h:5433/postgres?sslmode=disable", "x"),
        "postgres://u@h:5433/x?sslmode=disable"
    );
    assert_eq!(replace_db_name("postgres://u@h:5433", "x"), "postgres://u@h:5433/x");
}

/// A port for a child process to listen on. Ports are handed out from a range below the
/// kernel's ephemeral range (32768+), one by one per test process (offset by the process
/// id), so a port chosen here is never given to another test's outgoing connection or
/// `bind(0)` while its process is still starting — the race that "bind 0, read the port,
/// close" has under load.
pub fn free_port() -> u16 {
    use std::sync::atomic::{AtomicU16, Ordering};
    static NEXT: AtomicU16 = AtomicU16::new(0);
    let base = 20_000 + (std::process::id() % 100) as u16 * 100;
    loop {
        let port = base + NEXT.fetch_add(1, Ordering::Relaxed) % 100;
        if std::net::TcpListener::bind(("127.0.0.1", port)).is_ok() {
            return port;
        }
    }
}

/// Polls `check` every 50 ms until it returns Some, failing after `limit` (a condition
/// with a deadline, never a fixed wait).
pub async fn until<T, F, Fut>(what: &str, limit: std::time::Duration, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let start = std::time::Instant::now();
    loop {
        if let Some(v) = check().await {
            return v;
        }
        assert!(start.elapsed() < limit, "timed out waiting for {what}");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}
