//! Both vendors end to end as real processes on loopback: `vouch serve` with
//! `VOUCH_IDV__VENDOR=software_secure` and the Software Secure `fake-vendor`, then with
//! `VOUCH_IDV__VENDOR=hosted` and `fake-vendor hosted`. Each path reaches approved and
//! denied. The learner's browser is played over HTTP: sign in, ask `slot_config`, and for
//! the hosted flow open the vendor's page and post the photo as its script does.

use crate::{
    process_support::{Deployment, Proc, fake_vendor_with as fake_vendor, vouch_bin},
    support::{TestDb, data_url, fixture_keys, free_port, jpeg_bytes, until},
};
use serde_json::Value;
use std::{process::Command, time::Duration};

/// `vouch serve` on a free port over `db`; returns it and its base URL.
async fn vouch(db: &TestDb, env: &[(&str, &str)]) -> (Proc, String) {
    let d = Deployment::without_vendor(db);
    (d.serve(env).await, d.public_url)
}

/// A signed-in learner's HTTP client.
struct Learner {
    http: reqwest::Client,
    base: String,
    cookie: String,
}

impl Learner {
    async fn sign_in(base: &str, username: &str) -> Self {
        let http = crate::process_support::client();
        let res = http
            .post(format!("{base}/auth/dev-login"))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(format!("username={username}"))
            .send()
            .await
            .expect("login");
        let cookie = res.headers()["set-cookie"].to_str().expect("ascii").split(';').next().expect("pair").to_owned();
        Self { http, base: base.to_owned(), cookie }
    }

    async fn sfn(&self, name: &str) -> Value {
        let res = self
            .http
            .post(format!("{}/sfn/{name}", self.base))
            .header("cookie", &self.cookie)
            .header("content-type", "application/x-www-form-urlencoded")
            .send()
            .await
            .expect("sfn");
        assert!(res.status().is_success(), "{name}: {}", res.status());
        res.json().await.expect("json")
    }

    async fn status(&self) -> String {
        self.sfn("verification_status").await["status"].as_str().expect("status").to_owned()
    }

    async fn wait_for(&self, expected: &str) {
        until(expected, Duration::from_secs(60), || async { (self.status().await == expected).then_some(()) }).await;
    }
}

async fn software_secure_path(db: &TestDb) {
    let keys = fixture_keys();
    let key_file = db.dir.path().join("vendor-private.pem");
    std::fs::write(&key_file, &keys.private_pem).expect("key");
    let vendor_port = free_port();
    let bind = format!("127.0.0.1:{vendor_port}");
    let key_path = key_file.to_string_lossy().into_owned();
    let _vendor = fake_vendor(
        &["--bind", &bind, "--private-key", &key_path],
        &[("FAKE_VENDOR_ACCESS_KEY", &keys.access_key), ("FAKE_VENDOR_SECRET_KEY", &keys.secret_key)],
    );
    let api_url = format!("http://{bind}/");
    let (_vouch, base) = vouch(
        db,
        &[
            ("VOUCH_IDV__VENDOR", "software_secure"),
            ("VOUCH_SOFTWARE_SECURE__API_URL", &api_url),
            ("VOUCH_SOFTWARE_SECURE__API_ACCESS_KEY", &keys.access_key),
            ("VOUCH_SOFTWARE_SECURE__API_SECRET_KEY", &keys.secret_key),
            ("VOUCH_SOFTWARE_SECURE__RSA_PUBLIC_KEY", &keys.public_pem),
        ],
    )
    .await;
    let photo = data_url("image/jpeg", &jpeg_bytes(200)).replace('+', "%2B").replace('/', "%2F").replace('=', "%3D");
    for (who, verdict) in [("ss_ada", "approved"), ("DENY_ss_bob", "must_reverify")] {
        let learner = Learner::sign_in(&base, who).await;
        let slot = learner.sfn("slot_config").await;
        assert_eq!((slot["filler"].as_str(), slot["hosted"].is_null()), (Some("builtin"), true));
        let res = learner
            .http
            .post(format!("{base}/verify_student/submit-photos/"))
            .header("cookie", &learner.cookie)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(format!("face_image={photo}&photo_id_image={photo}"))
            .send()
            .await
            .expect("submit");
        assert_eq!(res.status(), 200);
        learner.wait_for(verdict).await;
    }
    let mut conn = db.store.conn().await.expect("conn");
    let rows: Vec<(String, String)> = sqlx::query_as("select name, status from photo_verification order by attempt_id")
        .fetch_all(&mut *conn)
        .await
        .expect("q");
    assert_eq!(rows, [("ss_ada".into(), "approved".into()), ("DENY_ss_bob".into(), "denied".into())]);
}
crate::on_both_backends!(software_secure_vendor_end_to_end, software_secure_path);

async fn hosted_path(db: &TestDb) {
    let vendor_port = free_port();
    let bind = format!("127.0.0.1:{vendor_port}");
    let (api_key, secret) = ("e2e-hosted-api-key", "e2e-hosted-webhook-secret-0123456789");
    let _vendor = fake_vendor(
        &["hosted", "--bind", &bind, "--decision-delay-ms", "200"],
        &[("FAKE_HOSTED_API_KEY", api_key), ("FAKE_HOSTED_WEBHOOK_SECRET", secret)],
    );
    let vendor_url = format!("http://{bind}");
    let (_vouch, base) = vouch(
        db,
        &[
            ("VOUCH_IDV__VENDOR", "hosted"),
            ("VOUCH_IDV__HOSTED_API_URL", &vendor_url),
            ("VOUCH_IDV__HOSTED_API_KEY", api_key),
            ("VOUCH_IDV__HOSTED_WEBHOOK_SECRET", secret),
            ("VOUCH_IDV__HOSTED_DISPLAY", "redirect"),
        ],
    )
    .await;
    let photo = data_url("image/jpeg", &jpeg_bytes(300));
    // A denied attempt leaves the learner "must_reverify" (Open edX's word).
    for (who, verdict) in [("hosted_ada", "approved"), ("DENY_hosted_bob", "must_reverify")] {
        let learner = Learner::sign_in(&base, who).await;
        assert_eq!(learner.status().await, "none");
        let slot = learner.sfn("slot_config").await;
        assert_eq!((slot["filler"].as_str(), slot["hosted"]["display"].as_str()), (Some("hosted"), Some("redirect")));
        let url = slot["hosted"]["url"].as_str().expect("flow url").to_owned();
        assert!(url.starts_with(&format!("{vendor_url}/flow/")), "{url}");

        // The vendor's page, as the browser loads it: framable only by this Vouch.
        let page = reqwest::get(&url).await.expect("flow page");
        assert_eq!(page.status(), 200);
        let csp = page.headers()["content-security-policy"].to_str().expect("csp").to_owned();
        assert!(csp.contains(&base), "{csp}");
        assert!(page.text().await.expect("html").contains("getUserMedia"));

        // The page's script posts the photo; the vendor then calls Vouch's webhook.
        let (path, session) = url.split_once("?session=").expect("session");
        let res = reqwest::Client::new()
            .post(format!("{path}/submit"))
            .json(&serde_json::json!({"session": session, "photo": photo}))
            .send()
            .await
            .expect("submit to vendor");
        assert_eq!(res.status(), 200);
        let answer: Value = res.json().await.expect("json");
        assert_eq!(answer["redirect_uri"], format!("{base}/id-verification/status"));
        // The submitted webhook arrived before the vendor answered the page.
        assert_eq!(learner.status().await, "pending");
        learner.wait_for(verdict).await;
    }
    let mut conn = db.store.conn().await.expect("conn");
    let rows: Vec<(String, String)> =
        sqlx::query_as("select name, status from verification_attempt where vendor = 'hosted' order by attempt_id")
            .fetch_all(&mut *conn)
            .await
            .expect("q");
    assert_eq!(rows, [("hosted_ada".into(), "approved".into()), ("DENY_hosted_bob".into(), "denied".into())]);
    let report: Value =
        reqwest::get(format!("{vendor_url}/_fake/inquiries")).await.expect("report").json().await.expect("json");

    // The fake vendor guards its API and its pages like a real one would.
    let http = reqwest::Client::new();
    let unauthorised = http.post(format!("{vendor_url}/api/inquiries")).bearer_auth("wrong key").body("{}").send();
    assert_eq!(unauthorised.await.expect("answer").status(), 401);
    let first = report["inquiries"][0]["id"].as_str().expect("id").to_owned();
    let page = reqwest::get(format!("{vendor_url}/flow/{first}?session=guessed")).await.expect("page");
    assert_eq!(page.status(), 403);
    let resume = http.post(format!("{vendor_url}/api/inquiries/{first}/resume")).bearer_auth(api_key).send();
    assert_eq!(resume.await.expect("answer").status(), 409, "a submitted inquiry is not resumed");
    for inquiry in report["inquiries"].as_array().expect("list") {
        assert!(inquiry["photo_bytes"].as_u64() > Some(0));
        let hooks = inquiry["webhooks"].as_array().expect("webhooks");
        assert!(hooks.iter().all(|h| h[1] == 200), "every webhook accepted once: {hooks:?}");
    }
}
crate::on_both_backends!(hosted_vendor_end_to_end, hosted_path);

/// An unknown vendor, or the hosted vendor without its keys, stops `vouch` at start-up
/// with a message naming the key, instead of failing at the first learner.
#[test]
fn misconfigured_vendor_refuses_to_start() {
    for (env, expected) in [
        (
            vec![("VOUCH_IDV__VENDOR", "persona")],
            "idv.vendor (VOUCH_IDV__VENDOR) is invalid: \"persona\" is not one of: software_secure, hosted, manual, in_house; set it",
        ),
        (vec![("VOUCH_IDV__VENDOR", "hosted")], "idv.hosted_api_key (VOUCH_IDV__HOSTED_API_KEY) is missing"),
        (vec![("VOUCH_IDV__HOSTED_DISPLAY", "popup")], "popup"),
    ] {
        let mut c = Command::new(vouch_bin());
        c.arg("migrate").env("VOUCH_DATABASE__URL", "sqlite::memory:");
        for (k, v) in &env {
            c.env(k, v);
        }
        let out = c.output().expect("run vouch");
        assert!(!out.status.success(), "{env:?} must refuse to start");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains(expected), "{env:?}: {stderr}");
    }
}
