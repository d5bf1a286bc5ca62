//! Attempts are bounded (issue 15, item 6): Open edX's `can_verify_now` at every door that
//! starts a verification (the REST form, the SPA's server function, the hosted vendor's
//! start, generic attempts a learner starts) — a learner with a pending attempt, or with an
//! approval not yet expiring soon, gets 400 `cannot_verify_now` and nothing is stored (no
//! attempt row, no photo file, no event); and a per-learner daily cap
//! (`limits.submit_per_user_per_day`) counted from stored attempts gives 429.

use crate::{
    lifecycle_events::{learner, vendor},
    on_both_backends,
    support::{TestApp, TestDb, data_url, jpeg_bytes, sfn},
};
use app::domain::{AttemptId, photo_lifecycle::PhotoOp};
use axum::{
    body::Body,
    http::{Request, StatusCode, header},
};
use fake_vendor::hosted::{HostedConfig, Outcome, serve};
use serde_json::{Value, json};
use server::{
    config::Config,
    service::{ServiceError, generic_attempts, lifecycle},
    store::transitions::Actor,
};

/// Rows of attempts of every kind, outbox events and photo files: what a refused door must
/// leave unchanged.
async fn stored(app: &TestApp, db: &TestDb) -> (i64, i64, i64, usize) {
    let mut conn = app.services.store.conn().await.expect("conn");
    let mut n = [0_i64; 3];
    for (i, sql) in [
        "select count(*) from photo_verification",
        "select count(*) from verification_attempt",
        "select count(*) from event_outbox",
    ]
    .into_iter()
    .enumerate()
    {
        let (c,): (i64,) = sqlx::query_as(sql).fetch_one(&mut *conn).await.expect("count");
        n[i] = c;
    }
    let [photos, generic, events] = n;
    (photos, generic, events, db.photo_files().len())
}

fn sfn_body(name: &str) -> String {
    let photo = data_url("image/jpeg", &jpeg_bytes(100));
    json!({"request": {"face_image": photo, "photo_id_image": photo, "full_name": name}}).to_string()
}

fn rest_submit(cookie: &str, name: &str) -> Request<Body> {
    let photo = data_url("image/jpeg", &jpeg_bytes(100));
    let enc = |s: &str| percent_encoding::utf8_percent_encode(s, percent_encoding::NON_ALPHANUMERIC).to_string();
    Request::post("/verify_student/submit-photos/")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(header::COOKIE, cookie)
        .body(Body::from(format!("face_image={}&photo_id_image={}&full_name={}", enc(&photo), enc(&photo), enc(name))))
        .expect("request")
}

/// Submits through one of the two photo doors; returns the answer.
async fn submit(app: &TestApp, cookie: &str, rest: bool) -> (StatusCode, Value) {
    if rest {
        app.json(rest_submit(cookie, "Ada Lovelace")).await
    } else {
        app.json(sfn("submit_photos", Some(cookie), sfn_body("Ada Lovelace"))).await
    }
}

async fn newest_photo(app: &TestApp) -> AttemptId {
    let mut conn = app.services.store.conn().await.expect("conn");
    let (id,): (i64,) = sqlx::query_as("select attempt_id from photo_verification order by attempt_id desc limit 1")
        .fetch_one(&mut *conn)
        .await
        .expect("attempt");
    AttemptId(id)
}

async fn decide(app: &TestApp, id: AttemptId, approve: bool) {
    let actor = Actor::Vendor("test".into());
    let s = &app.services;
    lifecycle::apply(s, id, &PhotoOp::MarkSubmit, &actor, "sent").await.expect("submit");
    let op = if approve {
        PhotoOp::Approve { reviewer: vendor() }
    } else {
        PhotoOp::Deny { error_msg: "[\"blurry\"]".into(), error_code: "x".into(), reviewer: vendor() }
    };
    lifecycle::apply(s, id, &op, &actor, "verdict").await.expect("verdict");
}

fn assert_refused(st: StatusCode, v: &Value, why: &str) {
    assert_eq!((st, v["error"]["code"].as_str()), (StatusCode::BAD_REQUEST, Some("cannot_verify_now")), "{v}");
    assert!(v["error"]["message"].as_str().is_some_and(|m| m.contains(why)), "{v}");
}

async fn photo_doors(db: &TestDb) {
    let app = TestApp::new(db).await;
    // One learner per door: the SPA's server function, then the REST form.
    let (ada, _) = learner(&app, "ada", "Ada Lovelace").await;
    let (bob, _) = learner(&app, "bob", "Ada Lovelace").await;
    for (rest, cookie) in [(false, &ada), (true, &bob)] {
        let door = if rest { "REST" } else { "server function" };
        let (st, v) = submit(&app, cookie, rest).await;
        assert!(st.is_success(), "{door}: {v}");

        // Pending: refused, nothing stored.
        let before = stored(&app, db).await;
        let (st, v) = submit(&app, cookie, rest).await;
        assert_refused(st, &v, "being reviewed");
        assert_eq!(stored(&app, db).await, before, "{door}: a refused submission stores nothing");

        // Approved and not expiring soon: refused, nothing stored.
        decide(&app, newest_photo(&app).await, true).await;
        let before = stored(&app, db).await;
        let (st, v) = submit(&app, cookie, rest).await;
        assert_refused(st, &v, "already verified until");
        assert_eq!(stored(&app, db).await, before, "{door}");
        // The status endpoints say the same.
        let (_, s) = app.json(sfn("verification_status", Some(cookie), String::new())).await;
        assert_eq!((s["status"].as_str(), s["can_verify"].as_bool()), (Some("approved"), Some(false)), "{s}");
        let req =
            Request::get("/verify_student/status/").header(header::COOKIE, cookie).body(Body::empty()).expect("r");
        assert_eq!(app.json(req).await.1["can_verify"], false);
    }

    // Within the expiring-soon window (28 days by default) the door opens again.
    app.clock.advance(chrono::Duration::days(365 - 20));
    let (st, v) = submit(&app, &ada, false).await;
    assert!(st.is_success(), "{v}");
}
on_both_backends!(a_pending_or_approved_learner_cannot_submit_again, photo_doors);

async fn denied_learners_resubmit_within_the_daily_cap(db: &TestDb) {
    let mut cfg = db.config();
    cfg.limits.submit_per_user_per_day = 2;
    let app = TestApp::with_config(db, cfg).await;
    let (cookie, _) = learner(&app, "ada", "Ada Lovelace").await;
    // A denial lets the learner verify again (must_reverify).
    for _ in 0..2 {
        let (st, v) = submit(&app, &cookie, false).await;
        assert!(st.is_success(), "{v}");
        decide(&app, newest_photo(&app).await, false).await;
    }
    // The third in 24 hours: 429, nothing stored; through either door.
    for rest in [false, true] {
        let before = stored(&app, db).await;
        let (st, v) = submit(&app, &cookie, rest).await;
        assert_eq!((st, v["error"]["code"].as_str()), (StatusCode::TOO_MANY_REQUESTS, Some("rate_limited")), "{v}");
        assert!(v["error"]["message"].as_str().is_some_and(|m| m.contains("24 hours")), "{v}");
        assert_eq!(stored(&app, db).await, before);
    }
    // Counted from the stored attempts: a new process over the same database agrees.
    let mut cfg = db.config();
    cfg.limits.submit_per_user_per_day = 2;
    let restarted = TestApp::with_config(db, cfg).await;
    restarted.clock.advance(chrono::Duration::hours(1));
    let cookie2 = restarted.login("ada").await;
    assert_eq!(submit(&restarted, &cookie2, false).await.0, StatusCode::TOO_MANY_REQUESTS);
    // A day later the oldest has left the window.
    app.clock.advance(chrono::Duration::hours(25));
    let (st, v) = submit(&app, &cookie, false).await;
    assert!(st.is_success(), "{v}");
}
on_both_backends!(the_daily_cap_counts_stored_attempts, denied_learners_resubmit_within_the_daily_cap);

async fn a_learner_cannot_start_a_generic_attempt_while_pending(db: &TestDb) {
    let app = TestApp::new(db).await;
    let s = &app.services;
    let (cookie, ada) = learner(&app, "ada", "Ada Lovelace").await;
    let (st, _) = submit(&app, &cookie, false).await;
    assert!(st.is_success());
    let new = |reference: &str| generic_attempts::GenericAttempt {
        user: ada,
        name: "Ada Lovelace".into(),
        status: "created".into(),
        expiration: None,
        hide_status_from_user: false,
        vendor: "plugin".into(),
        vendor_reference: reference.into(),
    };
    let before = stored(&app, db).await;
    let refused = generic_attempts::create_verification_attempt(s, new("r1"), &Actor::Learner(ada)).await;
    assert!(matches!(refused, Err(ServiceError::CannotVerifyNow(_))), "{refused:?}");
    assert_eq!(stored(&app, db).await, before);
    // A plugin recording an outcome is not a learner starting an attempt.
    generic_attempts::create_verification_attempt(s, new("r2"), &Actor::System).await.expect("system");
}
on_both_backends!(
    generic_attempts_started_by_learners_pass_the_door,
    a_learner_cannot_start_a_generic_attempt_while_pending
);

const API_KEY: &str = "hosted-api-key-for-tests";
const SECRET: &str = "hosted-webhook-secret-for-tests";

fn hosted(cfg: &mut Config, vendor_url: &str) {
    cfg.idv.vendor = "hosted".into();
    cfg.idv.hosted_api_url = vendor_url.into();
    cfg.idv.hosted_api_key = Some(API_KEY.to_owned().into());
    cfg.idv.hosted_webhook_secret = Some(SECRET.to_owned().into());
}

async fn hosted_start_is_a_door(db: &TestDb) {
    let cfg = HostedConfig {
        bind: "127.0.0.1:0".parse().expect("addr"),
        api_key: API_KEY.into(),
        webhook_secret: SECRET.into(),
        outcome: Outcome::Approve,
        deny_marker: "DENY".into(),
        decision_delay: std::time::Duration::from_millis(50),
    };
    let (addr, _task) = serve(cfg, std::future::pending()).await.expect("fake hosted vendor starts");
    let vendor_url = format!("http://{addr}");
    let (app, _base) = TestApp::listening(db, |c| hosted(c, &vendor_url)).await;
    let (cookie, ada) = learner(&app, "ada", "Ada Lovelace").await;
    // Under review with the vendor already (its webhook said so).
    let pending = generic_attempts::GenericAttempt {
        user: ada,
        name: "Ada Lovelace".into(),
        status: "pending".into(),
        expiration: None,
        hide_status_from_user: false,
        vendor: "hosted".into(),
        vendor_reference: "inq_earlier".into(),
    };
    generic_attempts::create_verification_attempt(&app.services, pending, &Actor::Vendor("hosted".into()))
        .await
        .expect("pending");
    let before = stored(&app, db).await;
    let (st, v) = app.json(sfn("slot_config", Some(&cookie), String::new())).await;
    assert_refused(st, &v, "being reviewed");
    assert_eq!(stored(&app, db).await, before, "no new inquiry, no attempt");
    // Another learner starts as before.
    let (bob, _) = learner(&app, "bob", "Bob").await;
    let (st, v) = app.json(sfn("slot_config", Some(&bob), String::new())).await;
    assert_eq!(st, StatusCode::OK, "{v}");
    assert!(v["hosted"]["url"].as_str().is_some_and(|u| u.starts_with(&vendor_url)), "{v}");
}
on_both_backends!(the_hosted_flow_start_is_a_door, hosted_start_is_a_door);
