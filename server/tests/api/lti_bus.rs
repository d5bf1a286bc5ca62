//! Issue 17: LTI grade passback rides the event bus. A decision (approved, denied) or an
//! expiry writes an event in its own transaction and queues no passback; the fan-out job
//! hands the event to the `lti_passback` subscriber, whose job bumps the assignment's
//! version and queues the send (one more job hop than before). Delivering the same event
//! twice sends one grade, at one version. The LMS is the Python outcome receiver (oauthlib
//! checks every signature).

use crate::{
    lti_support::{LAUNCH_PATH, Launch, Receiver, add_consumer, mapped_username, sign},
    support::{TestApp, TestDb},
};
use app::domain::UserId;
use axum::{
    body::Body,
    http::{Request, StatusCode, header},
};
use chrono::Duration;
use server::{
    events::EventType,
    jobs::lti_expiry,
    reactions::Reactions,
    service::manual_verifications,
    store::{lti, outbox, users},
};

const BASE: &str = "http://127.0.0.1:8000";

async fn app(db: &TestDb) -> TestApp {
    let mut cfg = db.config();
    cfg.server.public_url = BASE.into();
    cfg.lti.allow_private_outcome_urls = true;
    TestApp::with_config(db, cfg).await
}

/// Launches a graded resource as LTI user `lti_user`; returns the mapped learner.
async fn graded_learner(app: &TestApp, db: &TestDb, lti_user: &str, rx: &Receiver) -> UserId {
    let req = Request::post(LAUNCH_PATH)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(sign(&Launch::new(BASE, lti_user).graded(&rx.url, &format!("sid-{lti_user}")))))
        .expect("req");
    let (status, _, body) = app.send(req).await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{}", String::from_utf8_lossy(&body));
    let username = mapped_username(&db.store, lti_user).await.expect("mapped");
    users::by_username(&mut db.store.conn().await.expect("conn"), &username).await.expect("q").expect("user").id
}

/// The scores the LMS received, in order; every signature checked.
async fn scores(rx: &Receiver) -> Vec<String> {
    let got = rx.received().await;
    assert!(got.iter().all(|r| r["signature_valid"] == true && r["body_hash_valid"] == true), "{got:?}");
    got.iter().map(|r| r["score"].as_str().expect("score").to_owned()).collect()
}

/// The assignment's (version, delivered version).
async fn versions(db: &TestDb) -> (i64, i64) {
    let states = lti::assignment_states(&mut db.store.conn().await.expect("conn")).await.expect("states");
    assert_eq!(states.len(), 1, "{states:?}");
    (states[0].version, states[0].delivered_version)
}

/// How many jobs of `kind` exist, in any status.
async fn jobs_of(db: &TestDb, kind: &str) -> i64 {
    let (n,): (i64,) = sqlx::query_as("select count(*) from job where kind = $1")
        .bind(kind)
        .fetch_one(&mut *db.store.conn().await.expect("conn"))
        .await
        .expect("count");
    n
}

/// The outbox events of `user` of type `t`.
async fn events_of(db: &TestDb, user: UserId, t: EventType) -> Vec<outbox::StoredEvent> {
    let all = outbox::page(&mut db.store.conn().await.expect("conn"), 0, 1000).await.expect("events");
    all.into_iter().filter(|e| e.event.data.user.id == user.0 && e.event.event_type == t).collect()
}

async fn decisions_ride_the_bus(db: &TestDb) {
    let rx = Receiver::start(0, "500");
    let app = app(db).await;
    add_consumer(&db.store).await;
    let ada = graded_learner(&app, db, "ada", &rx).await;
    let runner = server::reactions::runner(app.services.clone(), "test");
    runner.run_until_idle().await;

    // Approved: the decision's transaction wrote the event, not the passback.
    let manual = manual_verifications::create_manual_verification(&app.services, ada, "Ada", "passport seen", None)
        .await
        .expect("ok");
    assert_eq!(events_of(db, ada, EventType::Approved).await.len(), 1);
    assert_eq!(jobs_of(db, "lti.outcome").await, 0, "the decision queues no passback itself");
    assert_eq!(versions(db).await, (0, 0));
    // Hop 1: the fan-out queues the subscribers' jobs; still no passback.
    runner.run_once().await;
    assert_eq!(jobs_of(db, "lti.outcome").await, 0, "the fan-out queues subscribers, not the send");
    // Hop 2: the lti_passback subscriber bumps the version and queues the send.
    runner.run_once().await;
    assert_eq!(jobs_of(db, "lti.outcome").await, 1);
    assert_eq!(versions(db).await, (1, 0));
    // Hop 3: the send.
    runner.run_until_idle().await;
    assert_eq!(scores(&rx).await, ["1.0"]);
    assert_eq!(versions(db).await, (1, 1));

    // Denied (a revoked manual verification): the same road, 0.0.
    manual_verifications::revoke_manual_verification(&app.services, manual, None, "wrong person")
        .await
        .expect("revoke");
    assert_eq!(events_of(db, ada, EventType::Denied).await.len(), 1);
    assert_eq!(jobs_of(db, "lti.outcome").await, 1, "the revocation queues no passback itself");
    runner.run_until_idle().await;
    assert_eq!(scores(&rx).await, ["1.0", "0.0"]);
    assert_eq!(versions(db).await, (2, 2));
}
crate::on_both_backends!(approved_and_denied_grades_go_through_the_bus, decisions_ride_the_bus);

async fn expiry_rides_the_bus(db: &TestDb) {
    let rx = Receiver::start(0, "500");
    let app = app(db).await;
    add_consumer(&db.store).await;
    let ada = graded_learner(&app, db, "ada", &rx).await;
    let runner = server::reactions::runner(app.services.clone(), "test");
    // Verified by hand a year ago less five minutes: the approval lapses in five minutes.
    let year = Duration::days(app.services.cfg.verification.days_good_for);
    app.clock.advance(Duration::minutes(5) - year);
    manual_verifications::create_manual_verification(&app.services, ada, "Ada", "seen", None).await.expect("manual");
    app.clock.advance(year - Duration::minutes(5));
    runner.run_until_idle().await;
    assert_eq!(scores(&rx).await, ["1.0"]);
    assert!(!lti_expiry::schedule(&app.services).await.expect("schedule"), "nothing expired yet");

    // Lapsed: the sweep records an `expired` event (the attempt stays approved) and queues
    // no passback itself.
    app.clock.advance(Duration::minutes(6));
    assert_eq!(lti_expiry::sweep(&app.services).await.expect("sweep"), 1);
    let expired = events_of(db, ada, EventType::Expired).await;
    assert_eq!(expired.len(), 1);
    assert_eq!(expired[0].event.data.status.as_str(), "approved");
    assert_eq!(jobs_of(db, "lti.outcome").await, 1, "only the approval's send so far");
    assert_eq!(versions(db).await, (1, 1));
    runner.run_until_idle().await;
    assert_eq!(scores(&rx).await, ["1.0", "0.0"]);
    assert_eq!(versions(db).await, (2, 2));
}
crate::on_both_backends!(an_expiry_grade_goes_through_the_bus, expiry_rides_the_bus);

async fn same_event_twice(db: &TestDb) {
    let rx = Receiver::start(0, "500");
    let app = app(db).await;
    add_consumer(&db.store).await;
    let ada = graded_learner(&app, db, "ada", &rx).await;
    let runner = server::reactions::runner(app.services.clone(), "test");
    let manual = manual_verifications::create_manual_verification(&app.services, ada, "Ada", "seen", None)
        .await
        .expect("manual");
    runner.run_until_idle().await;
    assert_eq!((scores(&rx).await, versions(db).await), (vec!["1.0".to_owned()], (1, 1)));

    // The approval is delivered to the subscriber again, twice (as after a crash between
    // its commit and its job's completion): no new version, no new job, no second grade.
    let approved = events_of(db, ada, EventType::Approved).await.pop().expect("event");
    let handlers = Reactions::builtin(&app.services.cfg).job_handlers();
    let deliver = handlers.iter().find(|h| h.kind() == "events.hook").expect("the subscriber job");
    let payload = serde_json::json!({ "event_id": approved.event.event_id, "hook": "lti_passback" }).to_string();
    for _ in 0..2 {
        deliver.run(&app.services, &payload).await.expect("delivered again");
    }
    runner.run_until_idle().await;
    assert_eq!(versions(db).await, (1, 1), "one version for one event");
    assert_eq!(jobs_of(db, "lti.outcome").await, 1);
    assert_eq!(scores(&rx).await, ["1.0"], "one grade");

    // A new event still moves the grade.
    manual_verifications::revoke_manual_verification(&app.services, manual, None, "mistake").await.expect("revoke");
    runner.run_until_idle().await;
    assert_eq!((scores(&rx).await, versions(db).await), (vec!["1.0".to_owned(), "0.0".to_owned()], (2, 2)));
}
crate::on_both_backends!(the_same_event_delivered_twice_sends_one_grade, same_event_twice);
