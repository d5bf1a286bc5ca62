//! Trust in the configuration (issue 15), through real `vouch serve` / `vouch worker`
//! processes: a blank deploy-template variable is unset, never an empty key; a key too short
//! to be one, a missing shared secret outside development, or dev login where the internet
//! can reach it stops the process at start, with a message that names the key, its
//! variable, what is wrong and the fix; `/metrics` on its own listener.

use crate::{
    on_both_backends,
    process_support::{Deployment, Proc, client},
    support::{TestDb, free_port},
};
use jsonwebtoken::{Algorithm, EncodingKey, Header, encode};
use serde_json::json;
use std::{
    io::Read as _,
    process::Stdio,
    time::{Duration, Instant},
};

const SESSION_SECRET: &str = "trust-config-session-secret-0123456789-0123456789-0123456789-0123456789";
const URL_SECRET: &str = "trust-config-photo-url-secret-0123456789";

/// Runs `vouch <args>` with the deployment's environment plus `extra`, minus `removed`, and
/// waits (20 s at most) for it to exit: its exit code (`None`: still running, killed) and stderr.
pub(crate) fn start(d: &Deployment, args: &[&str], extra: &[(&str, &str)], removed: &[&str]) -> (Option<i32>, String) {
    let mut c = d.vouch(args, extra);
    for var in removed {
        c.env_remove(var);
    }
    c.stderr(Stdio::piped());
    let mut proc = Proc(c.spawn().expect("start vouch"));
    let deadline = Instant::now() + Duration::from_secs(20);
    let code = loop {
        if let Some(status) = proc.0.try_wait().expect("wait") {
            break status.code();
        }
        if Instant::now() > deadline {
            proc.sigkill();
            break None;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let mut stderr = String::new();
    if let Some(mut e) = proc.0.stderr.take() {
        let _ = e.read_to_string(&mut stderr);
    }
    (code, stderr)
}

/// The process refused to start, and said why in terms an operator can act on.
pub(crate) fn assert_refused(what: &str, (code, stderr): (Option<i32>, String), key: &str, var: &str, kind: &str) {
    assert!(code.is_some_and(|c| c != 0), "{what}: expected a refusal at start, got {code:?}; stderr: {stderr}");
    for needle in [key, var, kind] {
        assert!(stderr.contains(needle), "{what}: the message does not say {needle:?}: {stderr}");
    }
}

// ---- item 3: empty is unset, short is refused ----

/// `VOUCH_AUTH__JWT_SECRET=` (a blank line of a deploy template) must not become the HS256
/// key `""`, with which anyone mints an administrator token: it is unset, so JWT sign-in is off.
async fn blank_jwt_secret(db: &TestDb) {
    let d = Deployment::without_vendor(db);
    let _server = d.serve(&[("VOUCH_AUTH__JWT_SECRET", "")]).await;
    let exp = chrono::Utc::now().timestamp() + 600;
    let claims = json!({"user_id": 1, "preferred_username": "mallory", "administrator": true, "exp": exp});
    let forged = encode(&Header::new(Algorithm::HS256), &claims, &EncodingKey::from_secret(b"")).expect("token");
    let res = client().get(format!("{}/api/v1/me", d.public_url)).bearer_auth(forged).send().await.expect("answer");
    assert_eq!(res.status(), 401);
    let body: serde_json::Value = res.json().await.expect("JSON");
    assert_eq!(body["error"]["code"], "unauthenticated", "{body}");
}
on_both_backends!(a_blank_jwt_secret_is_unset_not_an_empty_key, blank_jwt_secret);

/// A key, its variable, and the environment that sets it too short.
type Case<'a> = (&'a str, &'a str, Vec<(&'a str, &'a str)>);

/// Every HMAC key that is set must be long enough to be one; a short one stops `vouch
/// serve` at start, naming the key, its variable, that it is invalid, and the minimum.
async fn short_keys(db: &TestDb) {
    let d = Deployment::without_vendor(db);
    let sixteen = "0123456789abcdef";
    let cases: [Case; 6] = [
        ("auth.jwt_secret", "VOUCH_AUTH__JWT_SECRET", vec![("VOUCH_AUTH__JWT_SECRET", "lms-secret")]),
        (
            "software_secure.api_secret_key",
            "VOUCH_SOFTWARE_SECURE__API_SECRET_KEY",
            vec![("VOUCH_SOFTWARE_SECURE__API_SECRET_KEY", "short")],
        ),
        ("vault.url_secret", "VOUCH_VAULT__URL_SECRET", vec![("VOUCH_VAULT__URL_SECRET", sixteen)]),
        ("server.metrics_token", "VOUCH_SERVER__METRICS_TOKEN", vec![("VOUCH_SERVER__METRICS_TOKEN", sixteen)]),
        (
            "idv.hosted_webhook_secret",
            "VOUCH_IDV__HOSTED_WEBHOOK_SECRET",
            vec![("VOUCH_IDV__HOSTED_WEBHOOK_SECRET", sixteen)],
        ),
        (
            "events.webhook_secret",
            "VOUCH_EVENTS__WEBHOOK_SECRET",
            vec![("VOUCH_EVENTS__WEBHOOK_URL", "http://127.0.0.1:9/hook"), ("VOUCH_EVENTS__WEBHOOK_SECRET", sixteen)],
        ),
    ];
    for (key, var, env) in cases {
        assert_refused(key, start(&d, &["serve"], &env, &[]), key, var, "is invalid");
    }
    // The worker loads the same configuration and refuses the same way.
    let env = [("VOUCH_VAULT__URL_SECRET", sixteen)];
    assert_refused(
        "worker",
        start(&d, &["worker"], &env, &[]),
        "vault.url_secret",
        "VOUCH_VAULT__URL_SECRET",
        "invalid",
    );
}
on_both_backends!(a_short_hmac_key_stops_the_start_naming_it, short_keys);

// ---- item 4: the shared secrets outside development ----

/// Dev login off (a real deployment): a random per-process key would log everyone out at
/// each restart, split sessions across replicas and break photo URLs another process signed.
async fn shared_secrets(db: &TestDb) {
    let d = Deployment::without_vendor(db);
    let production = [("VOUCH_AUTH__DEV_LOGIN", "false")];
    for process in ["serve", "worker"] {
        assert_refused(
            process,
            start(&d, &[process], &production, &[]),
            "auth.session_secret",
            "VOUCH_AUTH__SESSION_SECRET",
            "is missing",
        );
        let with_session = [("VOUCH_AUTH__DEV_LOGIN", "false"), ("VOUCH_AUTH__SESSION_SECRET", SESSION_SECRET)];
        assert_refused(
            process,
            start(&d, &[process], &with_session, &["VOUCH_VAULT__URL_SECRET"]),
            "vault.url_secret",
            "VOUCH_VAULT__URL_SECRET",
            "is missing",
        );
    }
    // With both, a production server starts.
    let env = [
        ("VOUCH_AUTH__DEV_LOGIN", "false"),
        ("VOUCH_AUTH__SESSION_SECRET", SESSION_SECRET),
        ("VOUCH_VAULT__URL_SECRET", URL_SECRET),
    ];
    let _server = d.serve(&env).await;
}
on_both_backends!(outside_development_the_shared_secrets_are_required, shared_secrets);

// ---- item 10: dev login only where nobody else reaches it ----

async fn public_dev_login(db: &TestDb) {
    let d = Deployment::without_vendor(db);
    let public_bind = format!("0.0.0.0:{}", free_port());
    assert_refused(
        "public bind",
        start(&d, &["serve"], &[("VOUCH_SERVER__BIND", &public_bind)], &[]),
        "auth.dev_login",
        "VOUCH_AUTH__DEV_LOGIN",
        "not loopback",
    );
    let https = [
        ("VOUCH_SERVER__PUBLIC_URL", "https://vouch.example"),
        ("VOUCH_AUTH__SESSION_SECRET", SESSION_SECRET),
        ("VOUCH_VAULT__URL_SECRET", URL_SECRET),
    ];
    assert_refused("https", start(&d, &["serve"], &https, &[]), "auth.dev_login", "VOUCH_AUTH__DEV_LOGIN", "https");
    // Bound to loopback behind a reverse proxy that publishes it: still public.
    let proxied = [
        ("VOUCH_SERVER__PUBLIC_URL", "http://vouch.example.org"),
        ("VOUCH_AUTH__SESSION_SECRET", SESSION_SECRET),
        ("VOUCH_VAULT__URL_SECRET", URL_SECRET),
    ];
    assert_refused(
        "proxied",
        start(&d, &["serve"], &proxied, &[]),
        "auth.dev_login",
        "VOUCH_AUTH__DEV_LOGIN",
        "not a loopback address",
    );
}
on_both_backends!(dev_login_on_a_public_bind_or_https_stops_serve, public_dev_login);

// ---- item 5: /metrics on its own listener ----

/// `server.metrics_bind` serves `/metrics` without a token; the main listener stays closed.
async fn metrics_listener(db: &TestDb) {
    let d = Deployment::without_vendor(db);
    let metrics = format!("127.0.0.1:{}", free_port());
    let _server = d.serve(&[("VOUCH_SERVER__METRICS_BIND", &metrics)]).await;
    let http = client();
    let open = http.get(format!("http://{metrics}/metrics")).send().await.expect("the metrics listener answers");
    assert_eq!(open.status(), 200);
    assert!(open.text().await.expect("text").contains("vouch_"), "the exposition");
    let main = http.get(format!("{}/metrics", d.public_url)).send().await.expect("answer");
    assert_eq!(main.status(), 401);
}
on_both_backends!(metrics_bind_serves_metrics_without_a_token, metrics_listener);
