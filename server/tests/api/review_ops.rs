//! Operating the review queue: its figures (REST, `/metrics`, `vouch review stats`), the
//! alert when the oldest attempt waits too long (one email per episode, to the configured
//! reviewers, from the job runner), the reviewer role's commands, and the start-up error of
//! an `in_house` vendor without its key pair.

use crate::{
    emails::Sink,
    on_both_backends,
    review_support::{claim, decide, in_house_config, req, review_keys, reviewer, submit},
    support::{TestApp, TestDb, jpeg_bytes},
};
use axum::http::StatusCode;
use serde_json::{Value, json};
use server::{
    config::Secret,
    service::review::alert::{self, Checked},
};
use std::process::{Command, Output};

async fn figures(db: &TestDb) {
    let mut cfg = in_house_config(db);
    cfg.server.metrics_token = Some(Secret::from("scrape-review".to_owned()));
    let app = TestApp::with_config(db, cfg).await;
    let rita = reviewer(&app, "rita").await;
    let empty = json!({"size": 0, "oldest_age_secs": 0, "claimed": 0, "decided_last_24h": 0,
        "time_to_decision_p50_secs": null, "time_to_decision_p95_secs": null});
    let (st, stats) = app.json(req("GET", "/api/v1/reviews/stats", Some(&rita), None)).await;
    assert_eq!((st, stats), (StatusCode::OK, empty));

    let ada = app.login("ada").await;
    let first = submit(&app, &ada, &jpeg_bytes(100), &jpeg_bytes(120), "Ada").await;
    app.clock.advance(chrono::Duration::seconds(60));
    let bob = app.login("bob").await;
    submit(&app, &bob, &jpeg_bytes(100), &jpeg_bytes(120), "Bob").await;
    app.clock.advance(chrono::Duration::seconds(60));
    let (_, c) = claim(&app, &rita).await;
    assert_eq!(c["receipt_id"], first.as_str());
    let (st, stats) = app.json(req("GET", "/api/v1/reviews/stats", Some(&rita), None)).await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(
        (stats["size"].clone(), stats["oldest_age_secs"].clone(), stats["claimed"].clone()),
        (json!(2), json!(120), json!(1))
    );
    app.clock.advance(chrono::Duration::seconds(30));
    decide(&app, &rita, &first, json!({"decision": "approve"})).await;
    let (_, stats) = app.json(req("GET", "/api/v1/reviews/stats", Some(&rita), None)).await;
    assert_eq!(
        stats,
        json!({"size": 1, "oldest_age_secs": 90, "claimed": 0, "decided_last_24h": 1,
            "time_to_decision_p50_secs": 150, "time_to_decision_p95_secs": 150})
    );
    let (_, reasons) = app.json(req("GET", "/api/v1/reviews/reasons", Some(&rita), None)).await;
    assert_eq!(reasons["generalReasons"], json!(["Name mismatch"]));
    assert_eq!(reasons["photoIdReasons"], json!(["Not provided", "Text not clear", "Photo hidden/No photo"]));

    // /metrics carries the same figures (the recorder is per process and other tests scrape
    // too, so the lines are checked, their values by the REST figures above).
    let mut r = req("GET", "/metrics", None, None);
    r.headers_mut().insert("authorization", "Bearer scrape-review".parse().expect("header"));
    let (st, _, body) = app.send(r).await;
    assert_eq!(st, StatusCode::OK);
    let text = String::from_utf8_lossy(&body);
    for line in [
        "vouch_review_queue_size ",
        "vouch_review_queue_oldest_age_seconds ",
        "vouch_review_queue_claimed ",
        "vouch_review_time_to_decision_seconds{quantile=\"0.5\"} ",
        "vouch_review_time_to_decision_seconds{quantile=\"0.95\"} ",
    ] {
        assert!(text.lines().any(|l| l.starts_with(line)), "{line} missing from /metrics");
    }
}
on_both_backends!(review_queue_figures_in_the_api_and_metrics, figures);

async fn alert_once_per_episode(db: &TestDb) {
    let sink = Sink::start(db.dir.path()).await;
    let mut cfg = in_house_config(db);
    sink.configure(&mut cfg);
    cfg.review.alert_after_mins = 10;
    cfg.review.alert_emails = Some("leads@acme.test, ops@acme.test".into());
    let app = TestApp::with_config(db, cfg).await;
    let s = &app.services;
    let runner = server::reactions::runner(s.clone(), "test");
    let rita = reviewer(&app, "rita").await;
    assert_eq!(alert::check(s).await.expect("check"), Checked::Fine, "an empty queue is fine");

    let ada = app.login("ada").await;
    let receipt = submit(&app, &ada, &jpeg_bytes(100), &jpeg_bytes(120), "Ada").await;
    app.clock.advance(chrono::Duration::minutes(10));
    assert_eq!(alert::check(s).await.expect("check"), Checked::Fine, "10 minutes is not longer than 10");
    app.clock.advance(chrono::Duration::minutes(1));
    assert_eq!(alert::check(s).await.expect("check"), Checked::Alerted);
    runner.run_until_idle().await;
    let mails = sink.wait_for(2).await;
    let to: Vec<&str> = mails.iter().map(|m| m.to.as_str()).collect();
    assert_eq!(to, ["leads@acme.test", "ops@acme.test"]);
    assert!(mails[0].subject.contains("waited 11 minutes"), "{}", mails[0].subject);
    assert!(!mails[0].body.contains("Ada"), "no learner data in the alert");
    // Once per episode, however often it is checked.
    app.clock.advance(chrono::Duration::minutes(5));
    assert_eq!(alert::check(s).await.expect("check"), Checked::AlreadyAlerted);
    runner.run_until_idle().await;
    assert_eq!(sink.mails().len(), 2);

    // The queue is worked down: the episode ends; the next one alerts again.
    claim(&app, &rita).await;
    decide(&app, &rita, &receipt, json!({"decision": "approve"})).await;
    assert_eq!(alert::check(s).await.expect("check"), Checked::Fine);
    let bob = app.login("bob").await;
    submit(&app, &bob, &jpeg_bytes(100), &jpeg_bytes(120), "Bob").await;
    app.clock.advance(chrono::Duration::minutes(11));
    assert_eq!(alert::check(s).await.expect("check"), Checked::Alerted);
    runner.run_until_idle().await;
    assert_eq!(sink.wait_for(4).await.len(), 4);
}
on_both_backends!(review_alert_is_sent_once_per_episode, alert_once_per_episode);

fn vouch(db: &TestDb, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut c = Command::new(env!("CARGO_BIN_EXE_vouch"));
    c.args(args)
        .env("VOUCH_DATABASE__URL", &db.url)
        .env("VOUCH_DATABASE__MAX_CONNECTIONS", "2")
        .env("VOUCH_VAULT__LOCAL_DIR", db.dir.path().join("photos"))
        .env("VOUCH_VAULT__URL_SECRET", "cli test url secret 0123456789abcd")
        .env("VOUCH_LOG", "warn");
    for (k, v) in env {
        c.env(k, v);
    }
    c.output().expect("vouch runs")
}

fn json_of(out: &Output) -> Value {
    let text = String::from_utf8_lossy(&out.stdout);
    serde_json::from_str(text.trim()).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
}

async fn commands(db: &TestDb) {
    let app = TestApp::with_config(db, in_house_config(db)).await;
    let ada = app.login("ada").await;
    let (_, me) = app.json(req("GET", "/api/v1/me", Some(&ada), None)).await;
    assert_eq!((me["is_staff"].clone(), me["is_reviewer"].clone()), (json!(false), json!(false)));
    assert_eq!(claim(&app, &ada).await.0, StatusCode::FORBIDDEN);

    let out = vouch(db, &["review", "grant", "ada", "--json"], &[]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(json_of(&out), json!({"username": "ada", "is_reviewer": true}));
    let (_, me) = app.json(req("GET", "/api/v1/me", Some(&ada), None)).await;
    assert_eq!((me["is_staff"].clone(), me["is_reviewer"].clone()), (json!(false), json!(true)));
    assert_eq!(claim(&app, &ada).await.0, StatusCode::NO_CONTENT, "a reviewer now");
    // A reviewer is not staff: the rest of the staff API stays closed.
    let (st, _) = app.json(req("GET", "/api/v1/users", Some(&ada), None)).await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    let (st, _) = app.json(req("GET", "/api/v1/jobs", Some(&ada), None)).await;
    assert_eq!(st, StatusCode::FORBIDDEN);

    let out = vouch(db, &["review", "revoke", "ada", "--json"], &[]);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(json_of(&out), json!({"username": "ada", "is_reviewer": false}));
    assert_eq!(claim(&app, &ada).await.0, StatusCode::FORBIDDEN, "revoked");
    let out = vouch(db, &["review", "grant", "nobody-here", "--json"], &[]);
    assert_eq!(out.status.code(), Some(2), "an unknown user is bad input");
    assert_eq!(json_of(&out)["error"]["code"], "not_found");

    // Stats: the same figures as the API.
    let bob = app.login("bob").await;
    submit(&app, &bob, &jpeg_bytes(100), &jpeg_bytes(120), "Bob").await;
    let out = vouch(db, &["review", "stats", "--json"], &[]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let stats = json_of(&out);
    assert_eq!(
        (stats["size"].clone(), stats["claimed"].clone(), stats["decided_last_24h"].clone()),
        (json!(1), json!(0), json!(0))
    );
    assert!(stats["oldest_age_secs"].is_i64() && stats["time_to_decision_p50_secs"].is_null());
    let out = vouch(db, &["review", "stats"], &[]);
    assert!(String::from_utf8_lossy(&out.stdout).contains("queue: 1 waiting (0 claimed)"));

    // in_house without its keys is an operator error at start-up, naming the key and fix.
    let out = vouch(db, &["review", "stats"], &[("VOUCH_IDV__VENDOR", "in_house")]);
    assert_ne!(out.status.code(), Some(0));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("review.rsa_public_key (VOUCH_REVIEW__RSA_PUBLIC_KEY) is missing"), "{err}");
    let (public, _) = review_keys();
    let out =
        vouch(db, &["review", "stats"], &[("VOUCH_IDV__VENDOR", "in_house"), ("VOUCH_REVIEW__RSA_PUBLIC_KEY", public)]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("review.rsa_private_key (VOUCH_REVIEW__RSA_PRIVATE_KEY) is missing"), "{err}");
    // A private key that is not the public key's pair is refused too.
    let other = crate::support::fixture_keys().private_pem;
    let out = vouch(
        db,
        &["review", "stats"],
        &[
            ("VOUCH_IDV__VENDOR", "in_house"),
            ("VOUCH_REVIEW__RSA_PUBLIC_KEY", public),
            ("VOUCH_REVIEW__RSA_PRIVATE_KEY", &other),
        ],
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("does not match review.rsa_public_key"), "{err}");
}
on_both_backends!(review_commands_grant_revoke_stats_and_start_up_errors, commands);

/// `vouch review grant|revoke` leave a staff audit row each, and revoking gives the user's
/// live claims back to the queue at once (not when they lapse).
async fn grant_revoke_audit_and_release(db: &TestDb) {
    let app = TestApp::with_config(db, in_house_config(db)).await;
    let rita = app.login("rita").await;
    let bob = app.login("bob").await;
    let receipt = submit(&app, &bob, &jpeg_bytes(100), &jpeg_bytes(120), "Bob").await;
    let out = vouch(db, &["review", "grant", "rita", "--json"], &[]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let (st, item) = claim(&app, &rita).await;
    assert_eq!((st, item["receipt_id"].as_str()), (StatusCode::OK, Some(receipt.as_str())));

    let out = vouch(db, &["review", "revoke", "rita", "--json"], &[]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let held: Vec<(Option<i64>, Option<i64>)> = sqlx::query_as("select claimed_by, claimed_until from review_item")
        .fetch_all(&mut *app.services.store.conn().await.expect("conn"))
        .await
        .expect("items");
    assert_eq!(held, vec![(None, None)], "the revoked reviewer's claim is released");
    let sam = crate::review_support::reviewer(&app, "sam").await;
    let (st, item) = claim(&app, &sam).await;
    assert_eq!((st, item["receipt_id"].as_str()), (StatusCode::OK, Some(receipt.as_str())), "back in the queue");

    let rita_id = server::store::users::by_username(&mut app.services.store.conn().await.expect("c"), "rita")
        .await
        .expect("q")
        .expect("rita")
        .id;
    let rows: Vec<(String, String, String)> = crate::review_support::audit_rows(&app)
        .await
        .into_iter()
        .filter(|(action, _, _)| action == "review_grant" || action == "review_revoke")
        .collect();
    let id = rita_id.0.to_string();
    assert_eq!(
        rows,
        vec![("review_grant".into(), id.clone(), "cli".into()), ("review_revoke".into(), id, "cli".into())]
    );
}
on_both_backends!(review_grant_and_revoke_are_audited_and_revoke_releases_claims, grant_revoke_audit_and_release);
