//! Issue 16 item 13: an approval that expires sends 0.0 to every graded LTI assignment of
//! its learner, exactly once, across a restart, with the clock moved and the Python outcome
//! receiver (oauthlib checks every signature) as the LMS.

use crate::{
    lti_support::{LAUNCH_PATH, Launch, Receiver, add_consumer, mapped_username, sign},
    support::{TestApp, TestDb},
};
use axum::{
    body::Body,
    http::{Request, StatusCode, header},
};
use chrono::Duration;
use server::{
    jobs::lti_expiry,
    service::{generic_attempts, manual_verifications},
    store::{lti, transitions::Actor, users},
};

const BASE: &str = "http://127.0.0.1:8000";

async fn app(db: &TestDb) -> TestApp {
    let mut cfg = db.config();
    cfg.server.public_url = BASE.into();
    cfg.lti.allow_private_outcome_urls = true;
    TestApp::with_config(db, cfg).await
}

async fn launch(app: &TestApp, db: &TestDb, lti_user: &str, rx: &Receiver, sourcedid: &str) -> app::domain::UserId {
    let req = Request::post(LAUNCH_PATH)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(sign(&Launch::new(BASE, lti_user).graded(&rx.url, sourcedid))))
        .expect("req");
    let (status, _, body) = app.send(req).await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{}", String::from_utf8_lossy(&body));
    let username = mapped_username(&db.store, lti_user).await.expect("mapped");
    users::by_username(&mut db.store.conn().await.expect("conn"), &username).await.expect("q").expect("user").id
}

/// The scores received for `sourcedid`, in order; every signature checked.
async fn scores(rx: &Receiver, sourcedid: &str) -> Vec<String> {
    let got = rx.received().await;
    assert!(got.iter().all(|r| r["signature_valid"] == true && r["body_hash_valid"] == true), "{got:?}");
    got.iter().filter(|r| r["sourcedid"] == sourcedid).map(|r| r["score"].as_str().expect("score").to_owned()).collect()
}

fn generic(
    user: app::domain::UserId,
    expiration: Option<chrono::DateTime<chrono::Utc>>,
    r: &str,
) -> generic_attempts::GenericAttempt {
    generic_attempts::GenericAttempt {
        user,
        name: "Learner".into(),
        status: "approved".into(),
        expiration,
        hide_status_from_user: false,
        vendor: "plugin".into(),
        vendor_reference: r.into(),
    }
}

async fn expiry_sends_zero(db: &TestDb) {
    let rx = Receiver::start(0, "500");
    let a = app(db).await;
    add_consumer(&db.store).await;
    let t0 = a.services.clock.now();
    let ada = launch(&a, db, "ada", &rx, "sid-ada").await;
    let bob = launch(&a, db, "bob", &rx, "sid-bob").await;
    let cat = launch(&a, db, "cat", &rx, "sid-cat").await;
    let plugin = Actor::Vendor("plugin".into());

    // Ada and Cat were verified by hand a year ago, less five minutes: their approvals lapse
    // (days_good_for = 365) five minutes from now. Bob's vendor approval says when it ends.
    let year = Duration::days(a.services.cfg.verification.days_good_for);
    a.clock.advance(Duration::minutes(5) - year);
    manual_verifications::create_manual_verification(&a.services, ada, "Ada", "seen", None).await.expect("ada");
    manual_verifications::create_manual_verification(&a.services, cat, "Cat", "seen", None).await.expect("cat");
    a.clock.advance(year - Duration::minutes(5));
    generic_attempts::create_verification_attempt(
        &a.services,
        generic(bob, Some(t0 + Duration::minutes(4)), "bob-1"),
        &plugin,
    )
    .await
    .expect("bob");
    // Cat also holds an approval that never expires: the lapse of the old one changes nothing.
    generic_attempts::create_verification_attempt(&a.services, generic(cat, None, "cat-2"), &plugin)
        .await
        .expect("cat 2");
    server::reactions::runner(a.services.clone(), "test").run_until_idle().await;
    assert_eq!(scores(&rx, "sid-ada").await, ["1.0"]);
    assert_eq!(scores(&rx, "sid-bob").await, ["1.0"]);
    let cat_before = scores(&rx, "sid-cat").await;
    assert!(cat_before.iter().all(|s| s == "1.0") && !cat_before.is_empty(), "{cat_before:?}");

    // Nothing has expired yet: nothing to sweep.
    assert!(!lti_expiry::schedule(&a.services).await.expect("schedule"), "nothing expired yet");

    // Six minutes later both lapsed. A runner queues the sweep, then the process stops
    // before any runner ran it.
    a.clock.advance(Duration::minutes(6));
    assert!(lti_expiry::schedule(&a.services).await.expect("schedule"));
    assert!(!lti_expiry::schedule(&a.services).await.expect("schedule"), "one sweep per interval");
    drop(a);

    // Another process (a restart) runs it: 0.0 to Ada's and Bob's assignments, none to Cat.
    let b = app(db).await;
    b.clock.advance(Duration::minutes(6));
    server::reactions::runner(b.services.clone(), "restarted").run_until_idle().await;
    assert_eq!(scores(&rx, "sid-ada").await, ["1.0", "0.0"]);
    assert_eq!(scores(&rx, "sid-bob").await, ["1.0", "0.0"]);
    assert_eq!(scores(&rx, "sid-cat").await, cat_before, "Cat is still verified");
    let states = lti::assignment_states(&mut db.store.conn().await.expect("conn")).await.expect("states");
    for s in states.iter().filter(|s| s.user == ada || s.user == bob) {
        assert_eq!((s.last_score.as_str(), s.last_status.as_str()), ("0.0", "delivered"), "{s:?}");
    }
    let (noticed,): (i64,) = sqlx::query_as("select count(*) from lti_expiry_notice")
        .fetch_one(&mut *db.store.conn().await.expect("conn"))
        .await
        .expect("count");
    assert_eq!(noticed, 3, "each expired approval noticed once (Cat's too, without a grade)");

    // Exactly once: later intervals, and yet another process, send nothing more.
    b.clock.advance(Duration::minutes(1));
    assert!(!lti_expiry::schedule(&b.services).await.expect("schedule"));
    lti_expiry::sweep(&b.services).await.expect("a sweep run by hand finds nothing");
    server::reactions::runner(b.services.clone(), "again").run_until_idle().await;
    let c = app(db).await;
    c.clock.advance(Duration::minutes(8));
    assert!(!lti_expiry::schedule(&c.services).await.expect("schedule"));
    server::reactions::runner(c.services.clone(), "third").run_until_idle().await;
    assert_eq!(scores(&rx, "sid-ada").await, ["1.0", "0.0"]);
    assert_eq!(scores(&rx, "sid-bob").await, ["1.0", "0.0"]);

    // Verified again: the decision sends 1.0 as before.
    manual_verifications::create_manual_verification(&c.services, ada, "Ada", "seen again", None)
        .await
        .expect("ada again");
    server::reactions::runner(c.services.clone(), "third").run_until_idle().await;
    assert_eq!(scores(&rx, "sid-ada").await, ["1.0", "0.0", "1.0"]);
}
crate::on_both_backends!(an_expired_approval_sends_zero_to_every_lti_assignment_once, expiry_sends_zero);

/// Issue 16 item 13, after upgrade: the sweep starts watching at its first run. An approval
/// that lapsed before that (a closed course, years ago) is never sent 0.0; one that lapses
/// after is, once, whatever the restarts.
async fn old_expiries_are_not_sent(db: &TestDb) {
    let rx = Receiver::start(0, "500");
    let a = app(db).await;
    add_consumer(&db.store).await;
    let ada = launch(&a, db, "ada", &rx, "sid-ada").await;
    let bob = launch(&a, db, "bob", &rx, "sid-bob").await;
    let days = Duration::days(a.services.cfg.verification.days_good_for);

    // Before the upgrade: Ada was verified by hand two lifetimes ago (her approval lapsed a
    // lifetime ago); Bob a lifetime ago less five minutes (his lapses in five minutes).
    a.clock.advance(-days - days);
    manual_verifications::create_manual_verification(&a.services, ada, "Ada", "seen", None).await.expect("ada");
    a.clock.advance(days + Duration::minutes(5));
    manual_verifications::create_manual_verification(&a.services, bob, "Bob", "seen", None).await.expect("bob");
    a.clock.advance(days - Duration::minutes(5));
    server::reactions::runner(a.services.clone(), "test").run_until_idle().await;
    let ada_before = scores(&rx, "sid-ada").await;
    assert_eq!(scores(&rx, "sid-bob").await, ["1.0"]);

    // The first check after the upgrade: Ada's old expiry is not news.
    assert!(!lti_expiry::schedule(&a.services).await.expect("schedule"), "an expiry from before is not swept");
    assert_eq!(lti_expiry::sweep(&a.services).await.expect("sweep"), 0);
    server::reactions::runner(a.services.clone(), "test").run_until_idle().await;
    assert_eq!(scores(&rx, "sid-ada").await, ada_before, "no 0.0 for an approval that lapsed long ago");
    drop(a);

    // Another process (a restart, or a replica) later: Bob's lapse is swept, once; Ada's
    // still is not (the watermark is in the database, not in a process).
    let b = app(db).await;
    b.clock.advance(Duration::minutes(6));
    assert!(lti_expiry::schedule(&b.services).await.expect("schedule"));
    server::reactions::runner(b.services.clone(), "restarted").run_until_idle().await;
    assert_eq!(scores(&rx, "sid-bob").await, ["1.0", "0.0"]);
    assert_eq!(scores(&rx, "sid-ada").await, ada_before);
    b.clock.advance(Duration::minutes(10));
    assert!(!lti_expiry::schedule(&b.services).await.expect("schedule"));
    assert_eq!(lti_expiry::sweep(&b.services).await.expect("sweep"), 0);
    server::reactions::runner(b.services.clone(), "again").run_until_idle().await;
    assert_eq!(scores(&rx, "sid-bob").await, ["1.0", "0.0"]);
    assert_eq!(scores(&rx, "sid-ada").await, ada_before);
    let (noticed,): (i64,) = sqlx::query_as("select count(*) from lti_expiry_notice")
        .fetch_one(&mut *db.store.conn().await.expect("conn"))
        .await
        .expect("count");
    assert_eq!(noticed, 1, "only Bob's expiry was noticed");
}
crate::on_both_backends!(an_approval_that_expired_before_the_first_sweep_sends_nothing, old_expiries_are_not_sent);
