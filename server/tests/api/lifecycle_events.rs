//! Lifecycle events: exactly one outbox row per status change of every attempt kind,
//! written in the transaction of the change (a rolled-back change leaves neither), and
//! delivered at least once to the subscribers of the event bus.

use crate::{
    on_both_backends,
    support::{TestApp, TestDb, data_url, jpeg_bytes, sfn},
};
use app::domain::{
    AnyStatus, AttemptId, AttemptKind, AttemptStatus, UserId,
    photo_lifecycle::{PhotoOp, Reviewer},
};
use serde_json::json;
use server::{
    events::Event,
    reactions::{Reactions, Subscriber, SubscriberError},
    service::{Services, generic_attempts, lifecycle, manual_verifications, sso},
    store::{
        jobs,
        kinds::{self, KindFields, NewAttempt},
        outbox,
        transitions::Actor,
        users,
    },
};
use std::sync::{Arc, Mutex};

const PREFIX: &str = "org.openedx.learning.idv_attempt.";

/// The short names (`created`, …) of an attempt's events, oldest first.
pub async fn event_names(services: &Services, uuid: &str) -> Vec<String> {
    let mut conn = services.store.conn().await.expect("conn");
    outbox::for_attempt(&mut conn, uuid)
        .await
        .expect("events")
        .into_iter()
        .map(|e| e.event.event_type.name().trim_start_matches(PREFIX).trim_end_matches(".v1").to_owned())
        .collect()
}

/// Every event in the outbox, oldest first.
pub async fn all_events(services: &Services) -> Vec<outbox::StoredEvent> {
    let mut conn = services.store.conn().await.expect("conn");
    outbox::page(&mut conn, 0, 10_000).await.expect("events")
}

/// A learner with a profile name and email address.
pub async fn learner(app: &TestApp, username: &str, full_name: &str) -> (String, UserId) {
    let cookie = app.login(username).await;
    app.services
        .store
        .exec_admin(&format!("update app_user set email = '{username}@example.com' where username = '{username}'"))
        .await
        .expect("set email");
    let mut conn = app.services.store.conn().await.expect("conn");
    let user = users::by_username(&mut conn, username).await.expect("q").expect("user");
    users::set_full_name(&mut conn, user.id, full_name).await.expect("name");
    (cookie, user.id)
}

/// Submits photos through the SPA's server function; returns the photo attempt.
pub async fn submit_photos(app: &TestApp, cookie: &str, name: &str) -> (AttemptId, String) {
    let photo = data_url("image/jpeg", &jpeg_bytes(100));
    let body = json!({"request": {"face_image": photo, "photo_id_image": photo, "full_name": name}}).to_string();
    let (s, v) = app.json(sfn("submit_photos", Some(cookie), body)).await;
    assert!(s.is_success(), "{v}");
    let mut conn = app.services.store.conn().await.expect("conn");
    let (id, uuid): (i64, String) =
        sqlx::query_as("select attempt_id, uuid from photo_verification order by attempt_id desc limit 1")
            .fetch_one(&mut *conn)
            .await
            .expect("attempt");
    (AttemptId(id), uuid)
}

pub fn vendor() -> Reviewer {
    Reviewer { user: None, service: "test vendor".into() }
}

async fn uuid_of(services: &Services, kind: AttemptKind, id: i64) -> String {
    let mut conn = services.store.conn().await.expect("conn");
    kinds::by_id(&mut conn, kind, id).await.expect("q").expect("attempt").uuid
}

async fn one_event_per_transition(db: &TestDb) {
    let app = TestApp::new(db).await;
    let s = &app.services;
    let (ada, user) = learner(&app, "ada", "Ada Lovelace").await;

    // Photo: created and ready in the submit transaction, then submitted, denied, approved.
    let (id, photo) = submit_photos(&app, &ada, "Ada Lovelace").await;
    let vendor_actor = Actor::Vendor("test".into());
    lifecycle::apply(s, id, &PhotoOp::MarkSubmit, &vendor_actor, "sent").await.expect("submit");
    let deny = PhotoOp::Deny { error_msg: "blurry".into(), error_code: "x".into(), reviewer: vendor() };
    lifecycle::apply(s, id, &deny, &vendor_actor, "verdict").await.expect("deny");
    lifecycle::apply(s, id, &PhotoOp::Approve { reviewer: vendor() }, &vendor_actor, "verdict").await.expect("ok");
    // Approving again is an allowed no-op: not a transition, so no event.
    lifecycle::apply(s, id, &PhotoOp::Approve { reviewer: vendor() }, &vendor_actor, "again").await.expect("no-op");
    assert_eq!(event_names(s, &photo).await, ["created", "ready", "submitted", "denied", "approved"]);

    // Manual: created approved, then revoked.
    let manual = manual_verifications::create_manual_verification(s, user, "Ada Lovelace", "documents checked", None)
        .await
        .expect("m");
    manual_verifications::revoke_manual_verification(s, manual, None, "mistake").await.expect("revoke");
    assert_eq!(event_names(s, &uuid_of(s, AttemptKind::Manual, manual).await).await, ["approved", "denied"]);

    // SSO: created approved.
    let sso = sso::create_sso_verification(s, user, "Ada Lovelace", "tpa-saml", "idp", "Acme").await.expect("sso");
    assert_eq!(event_names(s, &uuid_of(s, AttemptKind::Sso, sso).await).await, ["approved"]);

    // Generic: created, pending (the submitted event), approved; a same-status or
    // name-only update is not a transition.
    let new = generic_attempts::GenericAttempt {
        user,
        name: "Ada Lovelace".into(),
        status: "created".into(),
        expiration: None,
        hide_status_from_user: false,
        vendor: "hosted".into(),
        vendor_reference: "inq_1".into(),
    };
    let g = generic_attempts::create_verification_attempt(s, new, &Actor::System).await.expect("generic");
    generic_attempts::update_verification_attempt(s, g, None, Some("pending"), None, &Actor::System)
        .await
        .expect("pending");
    generic_attempts::update_verification_attempt(s, g, None, Some("pending"), None, &Actor::System)
        .await
        .expect("same");
    generic_attempts::update_verification_attempt(s, g, Some("A. Lovelace".into()), None, None, &Actor::System)
        .await
        .expect("n");
    generic_attempts::update_verification_attempt(s, g, None, Some("approved"), None, &Actor::System)
        .await
        .expect("approved");
    let generic = uuid_of(s, AttemptKind::Generic, g).await;
    assert_eq!(event_names(s, &generic).await, ["created", "submitted", "approved"]);

    // The payload: stable fields, the learner, the attempt as it is after the change.
    let events = all_events(s).await;
    assert_eq!(events.len(), 11);
    let last = &events.last().expect("event").event;
    let v: serde_json::Value = serde_json::from_str(&events.last().expect("event").payload).expect("json");
    assert_eq!(v["event_type"], "org.openedx.learning.idv_attempt.approved.v1");
    assert_eq!(v["event_id"], last.event_id.as_str());
    assert!(v["time"].is_string());
    assert_eq!(v["data"]["attempt_uuid"], generic.as_str());
    assert_eq!(v["data"]["attempt_kind"], "generic");
    assert_eq!(v["data"]["status"], "approved");
    assert_eq!(v["data"]["previous_status"], "pending");
    assert_eq!(v["data"]["name"], "A. Lovelace");
    assert_eq!(
        v["data"]["user"],
        json!({"id": user.0, "username": "ada", "email": "ada@example.com", "full_name": "Ada Lovelace"})
    );
    let photo_approved =
        events.iter().find(|e| e.event.data.attempt_uuid == photo && e.event.data.status.as_str() == "approved");
    assert!(photo_approved.expect("photo approval").event.data.expiration.is_some(), "an approval carries its expiry");

    // Each event queued exactly one fan-out job, and ids are unique.
    let mut conn = s.store.conn().await.expect("conn");
    let (dispatch,): (i64,) = sqlx::query_as("select count(*) from job where kind = 'events.dispatch'")
        .fetch_one(&mut *conn)
        .await
        .expect("q");
    assert_eq!(dispatch, 11);
    let mut ids: Vec<_> = events.iter().map(|e| e.event.event_id.clone()).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 11);
}
on_both_backends!(one_event_per_transition_of_every_kind, one_event_per_transition);

async fn rollback_leaves_no_event(db: &TestDb) {
    let app = TestApp::new(db).await;
    let s = &app.services;
    let (_, user) = learner(&app, "bob", "Bob").await;
    let new = NewAttempt {
        uuid: uuid::Uuid::new_v4().to_string(),
        user_id: user,
        name: "Bob".into(),
        status: AnyStatus::Attempt(AttemptStatus::Approved),
        expires_at: None,
        fields: KindFields::Manual { reason: "checked".into(), created_by: None },
    };
    let mut tx = s.store.begin().await.expect("tx");
    kinds::insert(&mut tx, &new, &Actor::System, "checked", s.clock.now()).await.expect("insert");
    // Inside the transaction the event is there, with its job…
    assert_eq!(outbox::count(&mut tx).await.expect("count"), 1);
    assert_eq!(jobs::counts(&mut tx).await.expect("jobs").queued, 1);
    // …and the transaction dies.
    tx.rollback().await.expect("rollback");
    let mut conn = s.store.conn().await.expect("conn");
    assert_eq!(outbox::count(&mut conn).await.expect("count"), 0, "a rolled-back change has no event");
    assert_eq!(jobs::counts(&mut conn).await.expect("jobs").queued, 0, "nor a job to dispatch one");

    // A transaction dropped without commit (a panic or an early return) behaves the same.
    let mut tx = s.store.begin().await.expect("tx");
    kinds::insert(
        &mut tx,
        &NewAttempt { uuid: uuid::Uuid::new_v4().to_string(), ..new.clone() },
        &Actor::System,
        "",
        s.clock.now(),
    )
    .await
    .expect("insert");
    drop(tx);
    assert_eq!(outbox::count(&mut conn).await.expect("count"), 0);

    // The committed path still writes exactly one.
    manual_verifications::create_manual_verification(s, user, "Bob", "checked", None).await.expect("manual");
    assert_eq!(outbox::count(&mut conn).await.expect("count"), 1);
}
on_both_backends!(rolled_back_change_leaves_no_event, rollback_leaves_no_event);

/// A subscriber that records what it receives.
#[derive(Default, Clone)]
pub struct Recorder(pub Arc<Mutex<Vec<Event>>>);

#[async_trait::async_trait]
impl Subscriber for Recorder {
    fn name(&self) -> &'static str {
        "test_recorder"
    }

    async fn handle(&self, _: &Services, _seq: i64, event: &Event) -> Result<(), SubscriberError> {
        self.0.lock().expect("lock").push(event.clone());
        Ok(())
    }
}

async fn hooks_get_every_event(db: &TestDb) {
    let app = TestApp::new(db).await;
    let s = &app.services;
    let recorder = Recorder::default();
    let mut reactions = Reactions::builtin(&s.cfg);
    reactions.subscribe(Arc::new(recorder.clone()));
    let (_, user) = learner(&app, "cy", "Cy").await;
    let m = manual_verifications::create_manual_verification(s, user, "Cy", "checked", None).await.expect("manual");
    manual_verifications::revoke_manual_verification(s, m, None, "mistake").await.expect("revoke");
    server::reactions::runner_with(s.clone(), "test", reactions.clone()).run_until_idle().await;
    // Hook jobs run concurrently, so the order is not promised (hooks get each event's
    // outbox position to order them); the set is.
    let mut got: Vec<String> =
        recorder.0.lock().expect("lock").iter().map(|e| e.event_type.name().to_owned()).collect();
    got.sort();
    assert_eq!(got, [format!("{PREFIX}approved.v1"), format!("{PREFIX}denied.v1")]);
    // Running again delivers nothing new: each (event, hook) is one job.
    server::reactions::runner_with(s.clone(), "test", reactions).run_until_idle().await;
    assert_eq!(recorder.0.lock().expect("lock").len(), 2);
    let mut conn = s.store.conn().await.expect("conn");
    assert!(outbox::page(&mut conn, 0, 10).await.expect("q").iter().all(|e| e.dispatched_at.is_some()));
}
on_both_backends!(in_process_hooks_get_every_event, hooks_get_every_event);

/// Fails every event, with `SubscriberError::GiveUp` or `Retry`, and counts its calls.
#[derive(Clone)]
struct Failing {
    name: &'static str,
    give_up: bool,
    calls: Arc<Mutex<usize>>,
}

#[async_trait::async_trait]
impl Subscriber for Failing {
    fn name(&self) -> &'static str {
        self.name
    }

    async fn handle(&self, _: &Services, _seq: i64, _: &Event) -> Result<(), SubscriberError> {
        *self.calls.lock().expect("lock") += 1;
        if self.give_up {
            Err(SubscriberError::give_up("this event is unusable here"))
        } else {
            Err(SubscriberError::retry(std::io::Error::other("the receiver is down")))
        }
    }
}

/// The delivery jobs of one subscriber: (status, tries, last error).
async fn deliveries_of(s: &Services, subscriber: &str) -> Vec<(String, i32, String)> {
    let mut conn = s.store.conn().await.expect("conn");
    sqlx::query_as("select status, attempts, last_error from job where kind = 'events.hook' and payload like $1")
        .bind(format!("%\"{subscriber}\"%"))
        .fetch_all(&mut *conn)
        .await
        .expect("q")
}

/// The subscriber decides what its error means: `GiveUp` fails the delivery at its first
/// try, with the subscriber's message; `Retry` puts it back with backoff and runs it again.
async fn subscriber_errors_say_retry_or_give_up(db: &TestDb) {
    let app = TestApp::new(db).await;
    let s = &app.services;
    let gives_up = Failing { name: "test_gives_up", give_up: true, calls: Arc::default() };
    let retries = Failing { name: "test_retries", give_up: false, calls: Arc::default() };
    let mut reactions = Reactions::builtin(&s.cfg);
    reactions.subscribe(Arc::new(gives_up.clone()));
    reactions.subscribe(Arc::new(retries.clone()));
    let (_, user) = learner(&app, "fay", "Fay").await;
    manual_verifications::create_manual_verification(s, user, "Fay", "checked", None).await.expect("manual");
    let runner = server::reactions::runner_with(s.clone(), "test", reactions);
    runner.run_until_idle().await;
    assert_eq!(
        deliveries_of(s, "test_gives_up").await,
        [("failed".to_owned(), 1, "this event is unusable here".to_owned())]
    );
    assert_eq!(deliveries_of(s, "test_retries").await, [("queued".to_owned(), 1, "the receiver is down".to_owned())]);
    // After the backoff the retried delivery runs again; the given-up one never does.
    app.clock.advance(chrono::Duration::hours(2));
    runner.run_until_idle().await;
    assert_eq!((*gives_up.calls.lock().expect("lock"), *retries.calls.lock().expect("lock")), (1, 2));
    assert_eq!(deliveries_of(s, "test_retries").await[0].1, 2);
}
on_both_backends!(a_subscriber_error_says_whether_the_delivery_is_retried, subscriber_errors_say_retry_or_give_up);

/// Records the denials only (`Subscriber::wants`).
#[derive(Default, Clone)]
struct DenialsOnly(Arc<Mutex<Vec<Event>>>);

#[async_trait::async_trait]
impl Subscriber for DenialsOnly {
    fn name(&self) -> &'static str {
        "test_denials_only"
    }

    fn wants(&self, event: server::events::EventType) -> bool {
        event == server::events::EventType::Denied
    }

    async fn handle(&self, _: &Services, _seq: i64, event: &Event) -> Result<(), SubscriberError> {
        self.0.lock().expect("lock").push(event.clone());
        Ok(())
    }
}

/// A subscriber gets only the event types it wants, and the fan-out queues no delivery job
/// for the others (each would be a claim, a run and a completion for nothing).
async fn subscribers_get_only_what_they_want(db: &TestDb) {
    let app = TestApp::new(db).await;
    let s = &app.services;
    let denials = DenialsOnly::default();
    let mut reactions = Reactions::builtin(&s.cfg);
    reactions.subscribe(Arc::new(denials.clone()));
    let (_, user) = learner(&app, "di", "Di").await;
    let m = manual_verifications::create_manual_verification(s, user, "Di", "checked", None).await.expect("manual");
    manual_verifications::revoke_manual_verification(s, m, None, "mistake").await.expect("revoke");
    server::reactions::runner_with(s.clone(), "test", reactions).run_until_idle().await;
    let got: Vec<String> = denials.0.lock().expect("lock").iter().map(|e| e.event_type.name().to_owned()).collect();
    assert_eq!(got, [format!("{PREFIX}denied.v1")]);
    let mut conn = s.store.conn().await.expect("conn");
    let deliveries: Vec<(String,)> =
        sqlx::query_as("select payload from job where kind = 'events.hook' order by job_id")
            .fetch_all(&mut *conn)
            .await
            .expect("q");
    let to = |hook: &str| deliveries.iter().filter(|(p,)| p.contains(&format!("\"hook\":\"{hook}\""))).count();
    // Two events (approved, denied): the name subscriber and LTI passback want both.
    assert_eq!((to("test_denials_only"), to("lti_passback"), to("name_affirmation")), (1, 2, 2), "{deliveries:?}");
}
on_both_backends!(a_subscriber_gets_only_the_event_types_it_wants, subscribers_get_only_what_they_want);

/// One fan-out job dispatches every event still waiting with its own (a burst's events in
/// one transaction); the jobs of the others then find theirs dispatched and add nothing.
async fn one_fan_out_takes_the_waiting_events(db: &TestDb) {
    let app = TestApp::new(db).await;
    let s = &app.services;
    let (_, ann) = learner(&app, "ann", "Ann").await;
    let (_, bo) = learner(&app, "bo", "Bo").await;
    manual_verifications::create_manual_verification(s, ann, "Ann", "checked", None).await.expect("manual");
    manual_verifications::create_manual_verification(s, bo, "Bo", "checked", None).await.expect("manual");
    let events = all_events(s).await;
    assert_eq!(events.len(), 2);
    assert!(events.iter().all(|e| e.dispatched_at.is_none()));
    let handlers = Reactions::builtin(&s.cfg).job_handlers();
    let dispatch = handlers.iter().find(|h| h.kind() == outbox::DISPATCH_JOB).expect("the fan-out job");
    let payload = |e: &outbox::StoredEvent| json!({ "event_id": e.event.event_id }).to_string();
    let jobs_now = || async {
        let mut conn = s.store.conn().await.expect("conn");
        let (n,): (i64,) = sqlx::query_as("select count(*) from job").fetch_one(&mut *conn).await.expect("q");
        n
    };

    // The second event's job runs first: it takes the first event too.
    dispatch.run(s, &payload(&events[1])).await.expect("fan-out");
    let after = all_events(s).await;
    assert!(after.iter().all(|e| e.dispatched_at.is_some()), "both dispatched by one job");
    let queued = jobs_now().await;
    // Each event: the two fan-out jobs, and a delivery to each of the two built-in
    // subscribers that want approvals (names, LTI).
    assert_eq!(queued, 2 + 2 * 2);
    dispatch.run(s, &payload(&events[0])).await.expect("the other job");
    assert_eq!(jobs_now().await, queued, "nothing more to queue");
    assert_eq!(all_events(s).await, after, "nothing rewritten");
}
on_both_backends!(one_fan_out_job_dispatches_every_waiting_event, one_fan_out_takes_the_waiting_events);

/// Fan-outs running at once (several workers on PostgreSQL) never deadlock or fail: each
/// writes the deliveries of the events it locked only, and waits for a fan-out holding its
/// own event. A first version that took its own event whatever locked it deadlocked here.
async fn concurrent_fan_outs(db: &TestDb) {
    let app = TestApp::new(db).await;
    let s = &app.services;
    for i in 0..16 {
        let (_, user) = learner(&app, &format!("l{i}"), "Lee").await;
        manual_verifications::create_manual_verification(s, user, "Lee", "checked", None).await.expect("manual");
    }
    let events = all_events(s).await;
    assert_eq!(events.len(), 16);
    let handlers = Reactions::builtin(&s.cfg).job_handlers();
    let dispatch = handlers.iter().find(|h| h.kind() == outbox::DISPATCH_JOB).expect("the fan-out job").clone();
    let runs = events.iter().rev().map(|e| {
        let (dispatch, s) = (dispatch.clone(), s.clone());
        let payload = json!({ "event_id": e.event.event_id }).to_string();
        tokio::spawn(async move { dispatch.run(&s, &payload).await })
    });
    for run in futures_util::future::join_all(runs).await {
        assert_eq!(run.expect("task"), Ok(()), "no fan-out failed");
    }
    assert!(all_events(s).await.iter().all(|e| e.dispatched_at.is_some()));
    let mut conn = s.store.conn().await.expect("conn");
    let (deliveries,): (i64,) =
        sqlx::query_as("select count(*) from job where kind = 'events.hook'").fetch_one(&mut *conn).await.expect("q");
    assert_eq!(deliveries, 16 * 2, "one delivery per event and subscriber, no more");
}
on_both_backends!(fan_outs_at_once_neither_deadlock_nor_duplicate, concurrent_fan_outs);

async fn retire_scrubs_events(db: &TestDb) {
    let app = TestApp::new(db).await;
    let s = &app.services;
    let (_, ada) = learner(&app, "ada", "Ada Lovelace").await;
    let (_, bob) = learner(&app, "bob", "Bob Builder").await;
    server::service::name_affirmation::request_verified_name(s, ada, "Ada King", None).await.expect("name");
    manual_verifications::create_manual_verification(s, ada, "Ada King", "checked", None).await.expect("manual");
    manual_verifications::create_manual_verification(s, bob, "Bob Builder", "checked", None).await.expect("manual");
    server::reactions::runner(s.clone(), "test").run_until_idle().await;
    server::service::retire::retire_user(s, ada).await.expect("retire");
    for e in all_events(s).await {
        let raw = &e.payload;
        if e.event.data.user.id == ada.0 {
            assert!(!raw.contains("Ada") && !raw.contains("ada@example.com"), "scrubbed: {raw}");
            assert_eq!(e.event.data.user.username, "ada", "the username stays: it identifies the account");
        } else {
            assert!(raw.contains("Bob Builder") && raw.contains("bob@example.com"), "others untouched");
        }
    }
    let names = server::service::name_affirmation::verified_names(s, ada).await.expect("names");
    assert!(names.iter().all(|n| n.verified_name.is_empty() && n.profile_name.is_empty()));
    let history = server::service::name_affirmation::history(s, ada).await.expect("history");
    assert!(!history.is_empty() && history.iter().all(|h| h.verified_name.is_empty()));
}
on_both_backends!(retiring_a_learner_scrubs_their_events_and_names, retire_scrubs_events);

/// Issue 17: the job runner is woken in one place, by the commit of a transaction that
/// queued jobs; no caller wakes it by hand. With a poll interval of ten minutes, an event is
/// fanned out and delivered within seconds of the change's commit only if the commit woke
/// the sleeping runner.
async fn commit_wakes_runner(db: &TestDb) {
    let mut cfg = db.config();
    cfg.jobs.poll_interval_ms = 600_000;
    let app = TestApp::with_config(db, cfg).await;
    let s = &app.services;
    let (_, user) = learner(&app, "dee", "Dee").await;
    let mut reactions = Reactions::builtin(&s.cfg);
    let recorder = Recorder::default();
    reactions.subscribe(Arc::new(recorder.clone()));
    let runner = tokio::spawn(server::reactions::runner_with(s.clone(), "test", reactions).run_forever());
    // Let it find nothing to do and go to sleep.
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    manual_verifications::create_manual_verification(s, user, "Dee", "checked", None).await.expect("manual");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while recorder.0.lock().expect("lock").is_empty() && std::time::Instant::now() < deadline {
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    runner.abort();
    let got: Vec<String> = recorder.0.lock().expect("lock").iter().map(|e| e.event_type.name().to_owned()).collect();
    assert_eq!(got, [format!("{PREFIX}approved.v1")], "the commit woke the runner: dispatched and delivered");
}
on_both_backends!(a_commit_that_queues_jobs_wakes_the_runner, commit_wakes_runner);
