//! Grade passback in process: a decided verification sends a signed `replaceResult` to
//! the Python outcome receiver (which checks the OAuth signature and body hash with
//! oauthlib); failures are retried with backoff and recorded after the last try;
//! re-sending is idempotent; redirects are not followed.

use crate::{
    lti_support::{Launch, Receiver, add_consumer, mapped_username, sign},
    support::{TestApp, TestDb},
};
use axum::{
    body::Body,
    http::{Request, StatusCode, header},
};
use server::{
    jobs::{JobHandler, lti_outcome},
    service::{generic_attempts, manual_verifications},
    store::{lti, users},
};

const BASE: &str = "http://127.0.0.1:8000";

async fn app(db: &TestDb, edit: impl FnOnce(&mut server::config::Config)) -> TestApp {
    let mut cfg = db.config();
    cfg.server.public_url = BASE.into();
    cfg.lti.allow_private_outcome_urls = true;
    edit(&mut cfg);
    TestApp::with_config(db, cfg).await
}

/// Launches `launch`; returns the redirect target and the mapped user.
async fn launch(app: &TestApp, db: &TestDb, launch: Launch) -> (String, app::domain::UserId) {
    let lti_user = launch.params.iter().find(|(k, _)| k == "user_id").expect("user_id").1.clone();
    let req = Request::post(crate::lti_support::LAUNCH_PATH)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(sign(&launch)))
        .expect("req");
    let (status, headers, body) = app.send(req).await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{}", String::from_utf8_lossy(&body));
    let username = mapped_username(&db.store, &lti_user).await.expect("mapped");
    let user = users::by_username(&mut db.store.conn().await.expect("conn"), &username).await.expect("q").expect("u");
    (headers[header::LOCATION].to_str().expect("ascii").to_owned(), user.id)
}

async fn states(db: &TestDb) -> Vec<lti::AssignmentState> {
    lti::assignment_states(&mut db.store.conn().await.expect("conn")).await.expect("states")
}

async fn job_rows(db: &TestDb) -> Vec<(String, i32, String)> {
    sqlx::query_as("select status, attempts, last_error from job where kind = 'lti.outcome' order by job_id")
        .fetch_all(&mut *db.store.conn().await.expect("conn"))
        .await
        .expect("jobs")
}

async fn decided_then_sent(db: &TestDb) {
    let rx = Receiver::start(0, "500");
    let app = app(db, |_| {}).await;
    add_consumer(&db.store).await;
    let runner = server::reactions::runner(app.services.clone(), "test");
    let (next, user) = launch(&app, db, Launch::new(BASE, "u1").graded(&rx.url, "sid-ada")).await;
    assert_eq!(next, "/id-verification");
    runner.run_until_idle().await;
    assert!(rx.received().await.is_empty(), "nothing is sent before a decision");

    // Staff verify the learner by hand (service::manual_verifications): 1.0 goes back.
    let manual =
        manual_verifications::create_manual_verification(&app.services, user, "Ada Lovelace", "passport seen", None)
            .await
            .expect("manual verification");
    runner.run_until_idle().await;
    let got = rx.received().await;
    assert_eq!(got.len(), 1, "{got:?}");
    let r = &got[0];
    assert_eq!(r["signature_valid"], true, "{r}");
    assert_eq!(r["body_hash_valid"], true, "{r}");
    assert_eq!(r["consumer_key"], crate::lti_support::KEY);
    assert_eq!(r["operation"], "replaceResultRequest");
    assert_eq!(r["sourcedid"], "sid-ada");
    assert_eq!(r["score"], "1.0");
    assert_eq!(r["content_type"], "application/xml");
    let s = &states(db).await[0];
    assert_eq!(
        (s.version, s.delivered_version, s.last_score.as_str(), s.last_status.as_str()),
        (1, 1, "1.0", "delivered")
    );

    // Idempotent: the same version is the same job, and running it again sends nothing.
    let mut conn = db.store.conn().await.expect("conn");
    let assignment: (i64,) = sqlx::query_as("select lti_graded_assignment_id from lti_graded_assignment")
        .fetch_one(&mut *conn)
        .await
        .expect("q");
    let queued = lti_outcome::enqueue(&mut conn, &app.services.cfg.lti, assignment.0, 1, chrono::Utc::now()).await;
    assert!(!queued.expect("enqueue"), "a version is queued once");
    drop(conn);
    let payload = format!("{{\"assignment_id\":{},\"version\":1}}", assignment.0);
    lti_outcome::SendLtiOutcome.run(&app.services, &payload).await.expect("a delivered version is a no-op");
    assert_eq!(rx.received().await.len(), 1);

    // Revoked: 0.0 goes back.
    manual_verifications::revoke_manual_verification(&app.services, manual, None, "wrong person")
        .await
        .expect("revoke");
    runner.run_until_idle().await;
    let got = rx.received().await;
    assert_eq!(got.len(), 2);
    assert_eq!(got[1]["score"], "0.0");
    assert_eq!(got[1]["signature_valid"], true);
    assert_eq!(states(db).await[0].last_score, "0.0");

    // Verified again, then a second graded resource is launched: it gets 1.0 at once,
    // and the learner lands on the status page.
    manual_verifications::create_manual_verification(&app.services, user, "Ada Lovelace", "second look", None)
        .await
        .expect("manual");
    runner.run_until_idle().await;
    let (next, same) = launch(&app, db, Launch::new(BASE, "u1").graded(&rx.url, "sid-ada-2")).await;
    assert_eq!(same, user);
    assert_eq!(next, "/id-verification/status");
    runner.run_until_idle().await;
    let got = rx.received().await;
    assert_eq!(got.len(), 4, "{got:?}");
    assert!(got.iter().all(|r| r["signature_valid"] == true && r["body_hash_valid"] == true));
    let last: Vec<(&str, &str)> =
        got[2..].iter().map(|r| (r["sourcedid"].as_str().expect("s"), r["score"].as_str().expect("s"))).collect();
    assert!(last.contains(&("sid-ada", "1.0")) && last.contains(&("sid-ada-2", "1.0")), "{last:?}");
    assert!(job_rows(db).await.iter().all(|(status, _, _)| status == "done"));
}
crate::on_both_backends!(a_decision_is_sent_as_a_grade, decided_then_sent);

async fn failing_then_recorded(db: &TestDb) {
    let rx = Receiver::start(100, "failure");
    let app = app(db, |cfg| cfg.lti.outcome_max_attempts = 3).await;
    add_consumer(&db.store).await;
    let runner = server::reactions::runner(app.services.clone(), "test");
    let (_, user) = launch(&app, db, Launch::new(BASE, "u1").graded(&rx.url, "sid-1")).await;
    manual_verifications::create_manual_verification(&app.services, user, "Ada", "seen", None).await.expect("manual");
    // Retries come after ~1 s, then ~2 s (retry_base_secs = 1); the signatures carry the
    // test clock, which the receiver accepts within its ±10 minutes.
    for _ in 0..4 {
        runner.run_until_idle().await;
        app.clock.advance(chrono::Duration::seconds(5));
    }
    let got = rx.received().await;
    assert_eq!(got.len(), 3, "three tries: {got:?}");
    assert!(got.iter().all(|r| r["answered"] == "failure" && r["signature_valid"] == true));
    let s = &states(db).await[0];
    assert_eq!(s.last_status, "failed");
    assert_eq!(s.delivered_version, 0);
    assert!(s.last_error.contains("did not answer success"), "{}", s.last_error);
    let jobs = job_rows(db).await;
    assert_eq!(jobs.len(), 1);
    assert_eq!((jobs[0].0.as_str(), jobs[0].1), ("failed", 3));
}
crate::on_both_backends!(a_failing_outcome_service_is_recorded_after_the_last_try, failing_then_recorded);

async fn redirect_not_followed(db: &TestDb) {
    let rx = Receiver::start(1, "redirect");
    let app = app(db, |_| {}).await;
    add_consumer(&db.store).await;
    let runner = server::reactions::runner(app.services.clone(), "test");
    let (_, user) = launch(&app, db, Launch::new(BASE, "u1").graded(&rx.url, "sid-1")).await;
    manual_verifications::create_manual_verification(&app.services, user, "Ada", "seen", None).await.expect("manual");
    runner.run_until_idle().await;
    let jobs = job_rows(db).await;
    assert_eq!(jobs[0].0, "queued", "retried later: {jobs:?}");
    assert!(jobs[0].2.contains("302"), "the redirect is an error, not followed: {}", jobs[0].2);
    app.clock.advance(chrono::Duration::seconds(5));
    runner.run_until_idle().await;
    let got = rx.received().await;
    assert_eq!(got.len(), 2);
    assert_eq!(got[1]["answered"], "success");
    assert_eq!(states(db).await[0].last_status, "delivered");
}
crate::on_both_backends!(redirects_are_not_followed_and_the_grade_is_retried, redirect_not_followed);

async fn private_refused_at_send(db: &TestDb) {
    // Recorded while private URLs were allowed, sent after they no longer are.
    let rx = Receiver::start(0, "500");
    let app = app(db, |_| {}).await;
    add_consumer(&db.store).await;
    let (_, user) = launch(&app, db, Launch::new(BASE, "u1").graded(&rx.url, "sid-1")).await;
    let mut strict = (*app.services.cfg).clone();
    strict.lti.allow_private_outcome_urls = false;
    let services = server::service::Services { cfg: std::sync::Arc::new(strict), ..app.services.clone() };
    manual_verifications::create_manual_verification(&services, user, "Ada", "seen", None).await.expect("manual");
    server::reactions::runner(services, "test").run_until_idle().await;
    assert!(rx.received().await.is_empty());
    let s = &states(db).await[0];
    assert_eq!(s.last_status, "failed");
    assert!(s.last_error.contains("internal address"), "{}", s.last_error);
}
crate::on_both_backends!(internal_outcome_urls_are_refused_at_send_time, private_refused_at_send);

async fn generic_attempts(db: &TestDb) {
    // A vendor plugin's generic attempt (service::generic_attempts): created pending, then denied, then
    // approved; each decision sends the current grade.
    let rx = Receiver::start(0, "500");
    let app = app(db, |_| {}).await;
    add_consumer(&db.store).await;
    let runner = server::reactions::runner(app.services.clone(), "test");
    let (_, user) = launch(&app, db, Launch::new(BASE, "u1").graded(&rx.url, "sid-g")).await;
    let actor = server::store::transitions::Actor::Vendor("plugin".into());
    let new = generic_attempts::GenericAttempt {
        user,
        name: "Ada".into(),
        status: "pending".into(),
        expiration: None,
        hide_status_from_user: false,
        vendor: "plugin".into(),
        vendor_reference: "ref-1".into(),
    };
    let id = generic_attempts::create_verification_attempt(&app.services, new, &actor).await.expect("created");
    runner.run_until_idle().await;
    assert!(rx.received().await.is_empty(), "pending is not a decision");
    generic_attempts::update_verification_attempt(&app.services, id, None, Some("denied"), None, &actor)
        .await
        .expect("denied");
    runner.run_until_idle().await;
    generic_attempts::update_verification_attempt(&app.services, id, None, Some("approved"), None, &actor)
        .await
        .expect("approved");
    runner.run_until_idle().await;
    let scores: Vec<String> =
        rx.received().await.iter().map(|r| r["score"].as_str().expect("score").to_owned()).collect();
    assert_eq!(scores, ["0.0", "1.0"]);
    assert_eq!(states(db).await[0].last_score, "1.0");
}
crate::on_both_backends!(generic_attempt_decisions_are_sent, generic_attempts);

async fn slow_times_out(db: &TestDb) {
    // The outcome service takes 3 s; with a 1 s timeout the try fails and is retried.
    let rx = Receiver::start(1, "slow");
    let app = app(db, |cfg| cfg.lti.outcome_timeout_secs = 1).await;
    add_consumer(&db.store).await;
    let runner = server::reactions::runner(app.services.clone(), "test");
    let (_, user) = launch(&app, db, Launch::new(BASE, "u1").graded(&rx.url, "sid-1")).await;
    manual_verifications::create_manual_verification(&app.services, user, "Ada", "seen", None).await.expect("manual");
    let started = std::time::Instant::now();
    runner.run_until_idle().await;
    assert!(started.elapsed() < std::time::Duration::from_millis(2500), "{:?}", started.elapsed());
    let jobs = job_rows(db).await;
    assert_eq!(jobs[0].0, "queued", "{jobs:?}");
    assert!(jobs[0].2.contains("could not reach the outcome service"), "{}", jobs[0].2);
    app.clock.advance(chrono::Duration::seconds(5));
    runner.run_until_idle().await;
    assert_eq!(states(db).await[0].last_status, "delivered");
}
crate::on_both_backends!(a_slow_outcome_service_times_out_and_is_retried, slow_times_out);
