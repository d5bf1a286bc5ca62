//! Helpers of the LTI tests: launches signed by the independent Python consumer
//! (`tests/lti/consumer.py`, oauthlib) and the Python outcome receiver
//! (`tests/lti/outcome_receiver.py`), which checks our passback signatures with oauthlib.

use serde_json::{Value, json};
use server::store::{Store, lti};
use std::{
    io::{BufRead, BufReader, Write},
    process::{Child, Command, Stdio},
};

pub const KEY: &str = "lms-test-key";
pub const SECRET: &str = "lms-test-secret-0123456789";
pub const GUID: &str = "lms.example.edu";
pub const LAUNCH_PATH: &str =
    "/lti_provider/courses/course-v1:Org+Verify+2026/block-v1:Org+Verify+2026+type@lti+block@idv";

fn script(name: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/lti").join(name)
}

/// One launch for the Python consumer to sign.
#[derive(Debug, Clone)]
pub struct Launch {
    pub url: String,
    pub key: String,
    pub secret: String,
    pub params: Vec<(String, String)>,
    pub method: &'static str,
    pub timestamp: Option<i64>,
    pub nonce: Option<String>,
}

impl Launch {
    /// A learner's launch of the verification resource at `base`, with an outcome service.
    pub fn new(base: &str, lti_user: &str) -> Self {
        let params = [
            ("lti_message_type", "basic-lti-launch-request"),
            ("lti_version", "LTI-1p0"),
            ("resource_link_id", "idv-requirement-1"),
            ("user_id", lti_user),
            ("roles", "Learner"),
            ("context_id", "course-42"),
            ("tool_consumer_instance_guid", GUID),
            ("lis_person_name_full", "Ada Lovelace"),
            ("custom_requirement", "idv"),
        ];
        Self {
            url: format!("{base}{LAUNCH_PATH}"),
            key: KEY.into(),
            secret: SECRET.into(),
            params: params.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect(),
            method: "HMAC-SHA1",
            timestamp: None,
            nonce: None,
        }
    }

    /// Adds (or replaces) a parameter.
    pub fn with(mut self, name: &str, value: &str) -> Self {
        self.params.retain(|(k, _)| k != name);
        self.params.push((name.to_owned(), value.to_owned()));
        self
    }

    /// Drops a parameter.
    pub fn without(mut self, name: &str) -> Self {
        self.params.retain(|(k, _)| k != name);
        self
    }

    /// With the outcome service at `url` and this sourcedid.
    pub fn graded(self, url: &str, sourcedid: &str) -> Self {
        self.with("lis_outcome_service_url", url).with("lis_result_sourcedid", sourcedid)
    }
}

/// Signs every launch with oauthlib; returns the form bodies.
pub fn sign_all(launches: &[Launch]) -> Vec<String> {
    let input: Vec<Value> = launches
        .iter()
        .map(|l| {
            let mut v = json!({"url": l.url, "key": l.key, "secret": l.secret, "params": l.params, "method": l.method});
            if let Some(t) = l.timestamp {
                v["timestamp"] = json!(t.to_string());
            }
            if let Some(n) = &l.nonce {
                v["nonce"] = json!(n);
            }
            v
        })
        .collect();
    let mut child = Command::new("python3")
        .arg(script("consumer.py"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("python3 runs the LTI consumer (pip install oauthlib; cargo xtask test installs it)");
    child.stdin.take().expect("stdin").write_all(json!(input).to_string().as_bytes()).expect("write launches");
    let out = child.wait_with_output().expect("consumer output");
    assert!(out.status.success(), "consumer.py failed (is oauthlib installed?)");
    serde_json::from_slice(&out.stdout).expect("a JSON list of bodies")
}

/// Signs one launch.
pub fn sign(launch: &Launch) -> String {
    sign_all(std::slice::from_ref(launch)).remove(0)
}

/// Adds the test consumer (no GUID yet, so the first launch teaches it).
pub async fn add_consumer(store: &Store) {
    let mut conn = store.conn().await.expect("conn");
    let new = lti::NewConsumer {
        name: "Test LMS".into(),
        key: KEY.into(),
        secret: SECRET.to_owned().into(),
        instance_guid: None,
        allowed_outcome_hosts: vec![],
        frame_ancestors: "https://lms.example.edu".into(),
        use_lti_pii: false,
        require_user_account: false,
    };
    lti::insert_consumer(&mut conn, &new, chrono::Utc::now()).await.expect("consumer added");
}

/// Row counts that a refused launch must leave unchanged.
pub async fn counts(store: &Store) -> Vec<(String, i64)> {
    let mut conn = store.conn().await.expect("conn");
    let mut out = Vec::new();
    for table in ["app_user", "lti_user", "lti_nonce", "lti_outcome_service", "lti_graded_assignment", "job"] {
        let (n,): (i64,) =
            sqlx::query_as(&format!("select count(*) from {table}")).fetch_one(&mut *conn).await.expect("count");
        out.push((table.to_owned(), n));
    }
    let consumers: Vec<(String, Option<String>)> =
        sqlx::query_as("select consumer_key, instance_guid from lti_consumer order by consumer_key")
            .fetch_all(&mut *conn)
            .await
            .expect("consumers");
    out.push((format!("{consumers:?}"), 0));
    out
}

/// The Vouch username mapped to `lti_user` of the test consumer.
pub async fn mapped_username(store: &Store, lti_user: &str) -> Option<String> {
    let mut conn = store.conn().await.expect("conn");
    let row: Option<(String,)> = sqlx::query_as(
        "select u.username from lti_user l join app_user u on u.user_id = l.user_id \
         join lti_consumer c on c.lti_consumer_id = l.lti_consumer_id \
         where c.consumer_key = $1 and l.lti_user_id = $2",
    )
    .bind(KEY)
    .bind(lti_user)
    .fetch_optional(&mut *conn)
    .await
    .expect("query");
    row.map(|(u,)| u)
}

/// The Python outcome receiver, killed when dropped.
pub struct Receiver {
    child: Child,
    pub url: String,
    base: String,
}

impl Drop for Receiver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Receiver {
    /// Starts it; the first `fail_first` requests get a failure of kind `mode`.
    pub fn start(fail_first: u32, mode: &str) -> Self {
        let mut child = Command::new("python3")
            .arg(script("outcome_receiver.py"))
            .args(["--key", KEY, "--secret", SECRET, "--fail-first", &fail_first.to_string(), "--fail-mode", mode])
            .stdout(Stdio::piped())
            .spawn()
            .expect("python3 runs the outcome receiver");
        let mut line = String::new();
        BufReader::new(child.stdout.take().expect("stdout")).read_line(&mut line).expect("listening line");
        let port: u16 = line.trim().strip_prefix("listening on ").and_then(|p| p.parse().ok()).expect("port line");
        let base = format!("http://127.0.0.1:{port}");
        Self { child, url: format!("{base}/grades?course=42"), base }
    }

    /// What it received so far.
    pub async fn received(&self) -> Vec<Value> {
        let v: Value = reqwest::get(format!("{}/_received", self.base))
            .await
            .expect("receiver answers")
            .json()
            .await
            .expect("json");
        v.as_array().expect("list").clone()
    }
}

/// The parameters of a well-formed LTI 1.1 launch by `user` on `link`, before the
/// timestamp, nonce and signature are added (for tests that sign or break them by hand).
pub fn unsigned_launch_params(link: &str, user: &str) -> Vec<(String, String)> {
    [
        ("lti_message_type", "basic-lti-launch-request"),
        ("lti_version", "LTI-1p0"),
        ("resource_link_id", link),
        ("user_id", user),
        ("roles", "Learner"),
        ("oauth_consumer_key", KEY),
        ("oauth_signature_method", "HMAC-SHA1"),
        ("oauth_version", "1.0"),
    ]
    .iter()
    .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
    .collect()
}
