//! Real processes for the tests: `vouch` and `fake-vendor` started as separate programs on
//! loopback, the way they are deployed. One place for the environment a test deployment
//! needs, so the process tests (and the soak suite, which includes this file) agree on it.
//! Waiting is always for a condition with a deadline, never for a fixed time.

// Shared by two test binaries (api, soak); each uses a different part.
#![allow(dead_code)]

use crate::support::{TestDb, data_url, fixture_keys, free_port, jpeg_bytes, until};
use serde_json::Value;
use std::{
    collections::HashMap,
    io::{BufRead, BufReader},
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    sync::OnceLock,
    time::Duration,
};

/// A child process that is killed (SIGKILL) when dropped.
pub struct Proc(pub Child);

impl Proc {
    /// Kills the process with SIGKILL (what `Child::kill` sends on Unix: no handler runs,
    /// no graceful shutdown) and reaps it.
    pub fn sigkill(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }

    /// The operating system's id of the process.
    pub fn pid(&self) -> u32 {
        self.0.id()
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        self.sigkill();
    }
}

/// A binary of this package: the path in `var` when set (the browser tests point
/// `VOUCH_BIN` at a prebuilt one), else the one cargo built.
pub fn bin(var: &str, built: &str) -> PathBuf {
    std::env::var_os(var).map_or_else(|| built.into(), Into::into)
}

/// The `vouch` binary.
pub fn vouch_bin() -> PathBuf {
    bin("VOUCH_BIN", env!("CARGO_BIN_EXE_vouch"))
}

/// The `fake-vendor` binary: `VOUCH_FAKE_VENDOR_BIN` when set (`cargo xtask test` builds it
/// beforehand), else built once per test process. It belongs to another package, and cargo
/// builds a dev-dependency only as a library, so the tests ask cargo for it (a no-op when it
/// is fresh), next to `vouch` and with the same profile.
pub fn fake_vendor_bin() -> PathBuf {
    if let Some(path) = std::env::var_os("VOUCH_FAKE_VENDOR_BIN") {
        return path.into();
    }
    static BUILT: OnceLock<PathBuf> = OnceLock::new();
    BUILT.get_or_init(build_fake_vendor).clone()
}

fn build_fake_vendor() -> PathBuf {
    let profile_dir = Path::new(env!("CARGO_BIN_EXE_vouch")).parent().expect("the directory of vouch");
    let profile = match profile_dir.file_name().and_then(|n| n.to_str()) {
        Some("debug") | None => "dev",
        Some(name) => name,
    };
    let target_dir = profile_dir.parent().expect("the target directory");
    // With the server selected too, features resolve as for `vouch`, so the build reuses
    // the test build's dependencies instead of compiling a second set.
    let mut cargo = Command::new(env!("CARGO"));
    cargo
        .args(["build", "--quiet", "-p", "server", "-p", "fake-vendor", "--bin", "fake-vendor", "--profile", profile])
        .arg("--target-dir")
        .arg(target_dir)
        .current_dir(env!("CARGO_MANIFEST_DIR"));
    // What cargo set for this test binary describes the server package; some build scripts
    // (ring's) track such variables, and inheriting them would rebuild half the tree.
    for (name, _) in std::env::vars_os() {
        let name = name.to_string_lossy();
        if ["CARGO_MANIFEST_", "CARGO_PKG_", "CARGO_CRATE_", "CARGO_BIN_", "CARGO_PRIMARY_", "CARGO_TARGET_TMPDIR"]
            .iter()
            .any(|prefix| name.starts_with(prefix))
        {
            cargo.env_remove(&*name);
        }
    }
    let status = cargo.status().expect("running cargo to build fake-vendor");
    assert!(status.success(), "building fake-vendor failed (or set VOUCH_FAKE_VENDOR_BIN)");
    profile_dir.join(format!("fake-vendor{}", std::env::consts::EXE_SUFFIX))
}

/// Everything the processes of one deployment share: database, photo folder, the port
/// `vouch serve` listens on and the Software Secure vendor it talks to.
pub struct Deployment {
    pub db_url: String,
    pub dir: PathBuf,
    pub public_url: String,
    pub port: u16,
    /// The Software Secure API URL; `None` leaves the vendor unconfigured (the test sets it).
    pub vendor_url: Option<String>,
}

impl Deployment {
    /// A deployment over `db` whose Software Secure vendor listens on `vendor_port`.
    pub fn new(db: &TestDb, vendor_port: u16) -> Self {
        Self { vendor_url: Some(format!("http://127.0.0.1:{vendor_port}/")), ..Self::without_vendor(db) }
    }

    /// A deployment over `db` with no Software Secure settings.
    pub fn without_vendor(db: &TestDb) -> Self {
        let port = free_port();
        Self {
            db_url: db.url.clone(),
            dir: db.dir.path().to_path_buf(),
            public_url: format!("http://127.0.0.1:{port}"),
            port,
            vendor_url: None,
        }
    }

    /// A `vouch` command with this deployment's environment, then `extra` (which wins).
    pub fn vouch(&self, args: &[&str], extra: &[(&str, &str)]) -> Command {
        let mut c = Command::new(vouch_bin());
        c.args(args)
            .env("VOUCH_DATABASE__URL", &self.db_url)
            .env("VOUCH_DATABASE__MAX_CONNECTIONS", "4")
            .env("VOUCH_SERVER__BIND", format!("127.0.0.1:{}", self.port))
            .env("VOUCH_SERVER__PUBLIC_URL", &self.public_url)
            .env("VOUCH_SERVER__STATIC_DIR", self.dir.join("no-dist"))
            .env("VOUCH_VAULT__LOCAL_DIR", self.dir.join("photos"))
            .env("VOUCH_VAULT__URL_SECRET", "process test url secret 0123456789")
            .env("VOUCH_AUTH__DEV_LOGIN", "true")
            .env("VOUCH_JOBS__POLL_INTERVAL_MS", "50")
            .env("VOUCH_LOG", "warn")
            .stdout(Stdio::null());
        if let Some(url) = &self.vendor_url {
            let keys = fixture_keys();
            c.env("VOUCH_SOFTWARE_SECURE__API_URL", url)
                .env("VOUCH_SOFTWARE_SECURE__API_ACCESS_KEY", &keys.access_key)
                .env("VOUCH_SOFTWARE_SECURE__API_SECRET_KEY", &keys.secret_key)
                .env("VOUCH_SOFTWARE_SECURE__RSA_PUBLIC_KEY", &keys.public_pem)
                // The vendor send's retry delay, and every other job's but webhooks'.
                .env("VOUCH_SOFTWARE_SECURE__RETRY_BASE_SECS", "0.05")
                .env("VOUCH_JOBS__RETRY_BASE_SECS", "0.05");
        }
        for (k, v) in extra {
            c.env(k, v);
        }
        c
    }

    /// Starts `vouch <args>` in the background (a worker, or a server not waited for).
    pub fn spawn(&self, args: &[&str], extra: &[(&str, &str)]) -> Proc {
        Proc(self.vouch(args, extra).spawn().expect("start vouch"))
    }

    /// Starts `vouch serve` and waits until `/readyz` answers 200.
    pub async fn serve(&self, extra: &[(&str, &str)]) -> Proc {
        let p = self.spawn(&["serve"], extra);
        self.wait_ready().await;
        p
    }

    /// Starts `vouch --json-logs serve` at debug level with stdout and stderr in
    /// `<dir>/vouch.log` (for tests that read what was logged), and waits until it is ready.
    pub async fn serve_logged(&self, extra: &[(&str, &str)]) -> (Proc, PathBuf) {
        let path = self.dir.join("vouch.log");
        let log = std::fs::File::create(&path).expect("log file");
        let mut env = vec![("VOUCH_LOG", "debug,sqlx=debug,tower_http=debug")];
        env.extend_from_slice(extra);
        let mut c = self.vouch(&["--json-logs", "serve"], &env);
        c.stdout(log.try_clone().expect("log handle")).stderr(log);
        let p = Proc(c.spawn().expect("start vouch"));
        wait_ready(&self.public_url, Duration::from_secs(60)).await;
        (p, path)
    }

    /// Waits (30 s at most) until `/readyz` answers 200.
    pub async fn wait_ready(&self) {
        wait_ready(&self.public_url, Duration::from_secs(30)).await;
    }
}

/// Waits until `{base}/readyz` answers 200, failing after `limit`.
pub async fn wait_ready(base: &str, limit: Duration) {
    let url = format!("{base}/readyz");
    until("vouch to be ready", limit, || {
        let url = url.clone();
        async move { reqwest::get(&url).await.ok().filter(|r| r.status().is_success()).map(|_| ()) }
    })
    .await;
}

/// Starts `fake-vendor` with `args` and `env` and waits for its "listening" line.
pub fn fake_vendor_with(args: &[&str], env: &[(&str, &str)]) -> Proc {
    let mut c = Command::new(fake_vendor_bin());
    c.args(args).env("FAKE_VENDOR_LOG", "warn").stdout(Stdio::piped());
    for (k, v) in env {
        c.env(k, v);
    }
    let mut child = c.spawn().expect("start fake-vendor");
    let mut line = String::new();
    BufReader::new(child.stdout.take().expect("stdout")).read_line(&mut line).expect("listening line");
    assert!(line.contains("listening on http://"), "{line}");
    Proc(child)
}

/// Starts the Software Secure `fake-vendor` on `port` with the fixture keys (its private key
/// written into `dir`); `extra` adds flags.
pub async fn fake_vendor(dir: &Path, port: u16, extra: &[&str]) -> Proc {
    let keys = fixture_keys();
    let key_file = dir.join("vendor-private.pem");
    std::fs::write(&key_file, &keys.private_pem).expect("write key");
    let bind = format!("127.0.0.1:{port}");
    let key_path = key_file.to_string_lossy().into_owned();
    let mut args = vec!["--bind", &bind, "--private-key", &key_path];
    args.extend_from_slice(extra);
    fake_vendor_with(
        &args,
        &[("FAKE_VENDOR_ACCESS_KEY", &keys.access_key), ("FAKE_VENDOR_SECRET_KEY", &keys.secret_key)],
    )
}

/// The vendor's record: EdX-ID → (requests received, result).
pub async fn vendor_record(port: u16) -> HashMap<String, (u64, Option<String>)> {
    let v: Value = reqwest::get(format!("http://127.0.0.1:{port}/_fake/requests"))
        .await
        .expect("vendor answers")
        .json()
        .await
        .expect("json");
    v["requests"]
        .as_array()
        .expect("requests")
        .iter()
        .map(|r| {
            let id = r["edx_id"].as_str().expect("id").to_owned();
            (id, (r["received"].as_u64().expect("count"), r["result"].as_str().map(str::to_owned)))
        })
        .collect()
}

/// The header with which a cookie client that is not a browser passes Vouch's CSRF check
/// (it sends neither `Sec-Fetch-Site` nor `Origin`).
pub const CSRF_HEADER: (&str, &str) = ("x-requested-with", "vouch-tests");

/// An HTTP client that does not follow redirects (sign-in answers 303) and sends
/// [`CSRF_HEADER`] with every request, as the SPA does.
pub fn client() -> reqwest::Client {
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert(CSRF_HEADER.0, reqwest::header::HeaderValue::from_static(CSRF_HEADER.1));
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .default_headers(headers)
        .build()
        .expect("client")
}

/// Signs `username` in through dev login; returns the session cookie (`name=value`).
pub async fn dev_login(http: &reqwest::Client, base: &str, username: &str) -> reqwest::Result<String> {
    let login = http
        .post(format!("{base}/auth/dev-login"))
        .header(CSRF_HEADER.0, CSRF_HEADER.1)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!("username={username}"))
        .send()
        .await?
        .error_for_status()?;
    let cookie = login.headers().get("set-cookie").expect("cookie").to_str().expect("ascii");
    Ok(cookie.split(';').next().expect("pair").to_owned())
}

/// A small JPEG as a data URL, form-encoded for `submit-photos`.
pub fn form_photo() -> String {
    data_url("image/jpeg", &jpeg_bytes(200)).replace('+', "%2B").replace('/', "%2F").replace('=', "%3D")
}

/// `POST /verify_student/submit-photos/` as the learner of `cookie`, with `photo` (a
/// [`form_photo`]) as both the face and the ID photo.
pub fn submit_photos(http: &reqwest::Client, base: &str, cookie: &str, photo: &str) -> reqwest::RequestBuilder {
    http.post(format!("{base}/verify_student/submit-photos/"))
        .header("cookie", cookie)
        .header(CSRF_HEADER.0, CSRF_HEADER.1)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!("face_image={photo}&photo_id_image={photo}"))
}
