//! Anti-framing and a baseline Content Security Policy (issue 15, item 13), through the real
//! router over a static folder like Trunk's output: the staff console may be framed by
//! nobody; the learner pages by Vouch itself and the LTI consumers' allowed ancestors; both
//! allow WebAssembly and exactly the inline start-up script of the served `index.html`;
//! other answers carry `default-src 'none'`; the LTI launch keeps its own policy.

use crate::{
    on_both_backends,
    support::{TestApp, TestDb},
};
use axum::{
    body::Body,
    http::{HeaderMap, Request, StatusCode, header},
};
use base64::Engine;
use sha2::{Digest, Sha256};

const SPA_SCRIPT: &str = "import init from '/frontend-1.js';\nawait init('/frontend-1_bg.wasm');";
const STAFF_SCRIPT: &str = "import init from '/staff/staff-1.js';\nawait init();";

fn page(script: &str) -> String {
    format!(
        "<!doctype html><html><head><link rel=\"modulepreload\" href=\"/x.js\">\
         <script type=\"module\">{script}</script></head><body></body></html>"
    )
}

fn hash(script: &str) -> String {
    format!("'sha256-{}'", base64::engine::general_purpose::STANDARD.encode(Sha256::digest(script.as_bytes())))
}

async fn csp_of(app: &TestApp, path: &str) -> (StatusCode, String) {
    let (st, headers, _) = app.send(Request::get(path).body(Body::empty()).expect("request")).await;
    (st, policy(&headers))
}

fn policy(headers: &HeaderMap) -> String {
    headers
        .get(header::CONTENT_SECURITY_POLICY)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_else(|| panic!("no Content-Security-Policy in {headers:?}"))
        .to_owned()
}

fn directive<'a>(policy: &'a str, name: &str) -> Option<&'a str> {
    policy.split(';').map(str::trim).find_map(|d| d.strip_prefix(name).map(str::trim))
}

async fn app_over(db: &TestDb, dir: &std::path::Path) -> TestApp {
    let mut cfg = db.config();
    cfg.server.static_dir = dir.to_owned();
    TestApp::with_config(db, cfg).await
}

async fn pages_carry_their_policies(db: &TestDb) {
    let dir = tempfile::tempdir().expect("dir");
    std::fs::create_dir_all(dir.path().join("staff")).expect("staff dir");
    std::fs::write(dir.path().join("index.html"), page(SPA_SCRIPT)).expect("spa");
    std::fs::write(dir.path().join("staff/index.html"), page(STAFF_SCRIPT)).expect("staff");
    let app = app_over(db, dir.path()).await;

    // Learner pages (the SPA's routes): baseline, wasm, the SPA's own inline script only.
    for path in ["/id-verification", "/id-verification/status", "/"] {
        let (st, p) = csp_of(&app, path).await;
        assert_eq!(st, StatusCode::OK, "{path}");
        assert_eq!(directive(&p, "default-src"), Some("'self'"), "{path}: {p}");
        assert_eq!(
            directive(&p, "script-src"),
            Some(format!("'self' 'wasm-unsafe-eval' {}", hash(SPA_SCRIPT)).as_str()),
            "{p}"
        );
        assert_eq!(directive(&p, "object-src"), Some("'none'"), "{p}");
        // No LTI consumer yet: only Vouch itself may frame the learner's pages.
        assert_eq!(directive(&p, "frame-ancestors"), Some("'self'"), "{path}: {p}");
        assert!(!p.contains("unsafe-inline"), "{p}");
    }
    // The staff console: framed by nobody, its own script's hash.
    for path in ["/staff", "/staff/", "/staff/learners/ada"] {
        let (st, p) = csp_of(&app, path).await;
        assert_eq!(st, StatusCode::OK, "{path}");
        assert_eq!(directive(&p, "frame-ancestors"), Some("'none'"), "{path}: {p}");
        assert_eq!(
            directive(&p, "script-src"),
            Some(format!("'self' 'wasm-unsafe-eval' {}", hash(STAFF_SCRIPT)).as_str()),
            "{p}"
        );
    }
    // Everything else: nothing to load, nobody frames it.
    for path in ["/api/v1/does-not-exist", "/healthz", "/verify_student/status/"] {
        let (_, p) = csp_of(&app, path).await;
        assert_eq!(p, "default-src 'none'; frame-ancestors 'none'", "{path}");
    }

    // LTI consumers: each one's ancestors, or the global setting for one without.
    // Added as `vouch lti add-consumer` or the console would (service checks are theirs).
    let add = |key: &'static str, ancestors: &'static str| {
        let store = app.services.store.clone();
        async move {
            let new = server::store::lti::NewConsumer {
                name: key.into(),
                key: key.into(),
                secret: "a shared secret of some length".to_owned().into(),
                instance_guid: None,
                allowed_outcome_hosts: vec![],
                frame_ancestors: ancestors.into(),
                use_lti_pii: false,
                require_user_account: false,
            };
            let mut conn = store.conn().await.expect("conn");
            server::store::lti::insert_consumer(&mut conn, &new, chrono::Utc::now()).await.expect("add");
        }
    };
    add("canvas", "https://canvas.example.edu").await;
    add("moodle", "https://moodle.example.edu 'self'").await;
    // Another replica (its list is read afresh; this one's within seconds).
    let replica = app_over(db, dir.path()).await;
    let (_, p) = csp_of(&replica, "/id-verification").await;
    assert_eq!(
        directive(&p, "frame-ancestors"),
        Some("'self' https://canvas.example.edu https://moodle.example.edu"),
        "{p}"
    );
    let (_, p) = csp_of(&replica, "/staff").await;
    assert_eq!(directive(&p, "frame-ancestors"), Some("'none'"), "{p}");
    add("blank", "").await;
    let replica = app_over(db, dir.path()).await;
    let (_, p) = csp_of(&replica, "/id-verification").await;
    let global = replica.services.cfg.lti.frame_ancestors.clone();
    for source in global.split_whitespace() {
        assert!(directive(&p, "frame-ancestors").is_some_and(|d| d.split(' ').any(|s| s == source)), "{source}: {p}");
    }
}
on_both_backends!(pages_carry_a_content_security_policy, pages_carry_their_policies);

/// The learner's quality worker (issue 19) runs under its own script's policy: it may load
/// its glue and wasm from Vouch and compile the wasm, and nothing else.
async fn worker_scripts_get_a_worker_policy(db: &TestDb) {
    let dir = tempfile::tempdir().expect("dir");
    std::fs::write(dir.path().join("index.html"), page(SPA_SCRIPT)).expect("spa");
    std::fs::write(dir.path().join("quality-worker_loader.js"), "importScripts(\"./quality-worker.js\");")
        .expect("loader");
    std::fs::write(dir.path().join("quality-worker.js"), "let wasm_bindgen;").expect("glue");
    let app = app_over(db, dir.path()).await;
    let (st, p) = csp_of(&app, "/quality-worker_loader.js").await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(directive(&p, "default-src"), Some("'none'"), "{p}");
    assert_eq!(directive(&p, "script-src"), Some("'self' 'wasm-unsafe-eval'"), "{p}");
    assert_eq!(directive(&p, "connect-src"), Some("'self'"), "{p}");
    // The scripts it imports are not workers: they keep the policy of everything else.
    let (_, glue) = csp_of(&app, "/quality-worker.js").await;
    assert_eq!(glue, "default-src 'none'; frame-ancestors 'none'");
}

on_both_backends!(worker_scripts_carry_a_worker_policy, worker_scripts_get_a_worker_policy);
