//! The verification service's filter pipelines (they change what `user_status`,
//! `get_verified_user_ids` and `get_verify_location` answer) and name affirmation
//! (verified names follow the events of every attempt kind; deleting an attempt is handled).

use crate::{
    lifecycle_events::{learner, submit_photos, vendor},
    on_both_backends,
    support::{TestApp, TestDb},
};
use app::domain::{AnyStatus, AttemptKind, GenericStatus, UserStatusKind, Verification, photo_lifecycle::PhotoOp};
use axum::{
    body::Body,
    http::{Request, StatusCode, header},
};
use serde_json::json;
use server::{
    service::filters::{AttemptsRequested, FilterStep, StepOutcome, UrlRequested},
    service::{Services, attempt_delete, generic_attempts, idv, lifecycle, manual_verifications, name_affirmation},
    store::{outbox, transitions::Actor},
};
use std::sync::Arc;

/// Supplements an approved record kept by an imaginary plugin, for learners it knows.
struct PluginRecords;

#[async_trait::async_trait]
impl FilterStep<AttemptsRequested> for PluginRecords {
    async fn run(&self, services: &Services, mut data: AttemptsRequested) -> StepOutcome<AttemptsRequested> {
        for user in data.users.clone() {
            let now = services.clock.now();
            data.verifications.push(Verification {
                kind: AttemptKind::Generic,
                id: 9_000 + user.0,
                uuid: format!("plugin-{}", user.0),
                user_id: user,
                name: "From the plugin".into(),
                status: AnyStatus::Generic(GenericStatus::Approved),
                created_at: now,
                updated_at: now,
                status_changed_at: now,
                expiration: None,
                error_msg: String::new(),
                hide_status_from_user: false,
            });
        }
        StepOutcome::Continue(data)
    }
}

/// Stops the pipeline: nothing after it runs.
struct Halt;

#[async_trait::async_trait]
impl FilterStep<AttemptsRequested> for Halt {
    async fn run(&self, _: &Services, data: AttemptsRequested) -> StepOutcome<AttemptsRequested> {
        StepOutcome::Stop { data, reason: "records are frozen for an audit".into() }
    }
}

/// Sends known learners to a per-learner URL, and stops.
struct PerLearnerUrl;

#[async_trait::async_trait]
impl FilterStep<UrlRequested> for PerLearnerUrl {
    async fn run(&self, _: &Services, mut data: UrlRequested) -> StepOutcome<UrlRequested> {
        match data.user {
            Some(u) => {
                data.url = format!("{}&learner={}", data.url, u.0);
                StepOutcome::Stop { data, reason: "per-learner flow".into() }
            }
            None => StepOutcome::Continue(data),
        }
    }
}

/// Would replace every URL; never reached for known learners.
struct Clobber;

#[async_trait::async_trait]
impl FilterStep<UrlRequested> for Clobber {
    async fn run(&self, _: &Services, mut data: UrlRequested) -> StepOutcome<UrlRequested> {
        data.url = "https://clobbered.example/".into();
        StepOutcome::Continue(data)
    }
}

async fn filters_change_answers(db: &TestDb) {
    // Without filters: a manual approval counts.
    let plain = TestApp::new(db).await;
    let (_, ada) = learner(&plain, "ada", "Ada").await;
    let (_, bob) = learner(&plain, "bob", "Bob").await;
    manual_verifications::create_manual_verification(&plain.services, ada, "Ada", "checked", None)
        .await
        .expect("manual");
    assert_eq!(idv::user_status(&plain.services, ada).await.expect("s").status, UserStatusKind::Approved);
    assert_eq!(idv::user_status(&plain.services, bob).await.expect("s").status, UserStatusKind::None);
    let base = idv::get_verify_location(&plain.services, Some("course-v1:X+Y+Z")).await;
    assert!(base.ends_with("/id-verification?course_id=course-v1%3AX%2BY%2BZ"), "{base}");

    // A built-in step drops manual verifications; a registered one supplements records
    // for Bob; unknown names are skipped.
    let mut cfg = db.config();
    cfg.filters.attempts_requested =
        vec!["exclude_manual".into(), "no_such_step".into(), "plugin_records".into(), "match_request".into()];
    cfg.filters.url_requested = vec!["verify_url_override".into(), "per_learner".into(), "clobber".into()];
    cfg.filters.verify_url = Some("https://idv.example/start?course={course_id}".into());
    let app = TestApp::with_config(db, cfg.clone()).await;
    let s = &app.services;
    s.filters.register_attempts("plugin_records", Arc::new(PluginRecords));
    s.filters.register_url("per_learner", Arc::new(PerLearnerUrl));
    s.filters.register_url("clobber", Arc::new(Clobber));
    let ada_status = idv::user_status(s, ada).await.expect("s");
    assert_eq!(ada_status.status, UserStatusKind::Approved, "the plugin's record approves Ada");
    assert!(ada_status.expires.is_none(), "it is the plugin's approval (no expiry), not the manual one");
    assert_eq!(idv::user_status(s, bob).await.expect("s").status, UserStatusKind::Approved);
    let all = idv::verifications_for_user(s, ada).await.expect("list");
    assert_eq!(all.iter().map(|v| v.kind).collect::<Vec<_>>(), [AttemptKind::Generic]);
    assert_eq!(idv::get_verified_user_ids(s, &[ada, bob]).await.expect("ids"), [ada, bob]);

    // The URL pipeline: the override, then for a known learner a step that stops it.
    let anonymous = idv::get_verify_location(s, Some("course-v1:X+Y+Z")).await;
    assert_eq!(anonymous, "https://clobbered.example/", "without a learner the pipeline runs to its end");
    let for_ada = idv::get_verify_location_for(s, Some(ada), Some("course-v1:X+Y+Z")).await;
    assert_eq!(for_ada, format!("https://idv.example/start?course=course-v1%3AX%2BY%2BZ&learner={}", ada.0));

    // A step that stops the pipeline: the data as it stands is the answer.
    cfg.filters.attempts_requested = vec!["halt".into(), "exclude_manual".into()];
    let halted = TestApp::with_config(db, cfg).await;
    halted.services.filters.register_attempts("halt", Arc::new(Halt));
    assert_eq!(idv::user_status(&halted.services, ada).await.expect("s").status, UserStatusKind::Approved);
    assert_eq!(idv::verifications_for_user(&halted.services, ada).await.expect("l")[0].kind, AttemptKind::Manual);
    assert_eq!(idv::user_status(&halted.services, bob).await.expect("s").status, UserStatusKind::None);
}
on_both_backends!(filters_change_user_status_and_verify_location, filters_change_answers);

async fn names_follow_attempts(db: &TestDb) {
    let app = TestApp::new(db).await;
    let s = &app.services;
    let (cookie, ada) = learner(&app, "ada", "Ada Lovelace").await;
    let runner = server::reactions::runner(s.clone(), "test");
    let status_of = |name: &str| {
        let name = name.to_owned();
        async move {
            name_affirmation::verified_names(s, ada)
                .await
                .expect("names")
                .into_iter()
                .find(|n| n.verified_name == name)
                .map(|n| (n.status, n.verification_attempt_uuid))
        }
    };

    // A manual verification approves a verified name.
    name_affirmation::request_verified_name(s, ada, "Ada Byron", None).await.expect("request");
    assert_eq!(status_of("Ada Byron").await.map(|s| s.0).as_deref(), Some("pending"));
    let manual = manual_verifications::create_manual_verification(s, ada, "Ada Byron", "passport seen", None)
        .await
        .expect("manual");
    runner.run_until_idle().await;
    let (st, uuid) = status_of("Ada Byron").await.expect("name");
    assert_eq!(st, "approved");
    assert!(uuid.is_some());

    // A generic (hosted vendor) attempt: created → pending (submitted) → denied.
    name_affirmation::request_verified_name(s, ada, "Ada King", None).await.expect("request");
    let new = generic_attempts::GenericAttempt {
        user: ada,
        name: "Ada King".into(),
        status: "created".into(),
        expiration: None,
        hide_status_from_user: false,
        vendor: "hosted".into(),
        vendor_reference: "inq_2".into(),
    };
    let g = generic_attempts::create_verification_attempt(s, new, &Actor::System).await.expect("g");
    runner.run_until_idle().await;
    assert_eq!(status_of("Ada King").await.map(|s| s.0).as_deref(), Some("pending"));
    generic_attempts::update_verification_attempt(s, g, None, Some("pending"), None, &Actor::System).await.expect("p");
    runner.run_until_idle().await;
    assert_eq!(status_of("Ada King").await.map(|s| s.0).as_deref(), Some("submitted"));
    generic_attempts::update_verification_attempt(s, g, None, Some("denied"), None, &Actor::System).await.expect("d");
    runner.run_until_idle().await;
    assert_eq!(status_of("Ada King").await.map(|s| s.0).as_deref(), Some("denied"));

    // A photo attempt for a name: submitted, then approved. (The manual approval is revoked
    // first: an approved learner may not submit again, Open edX's can_verify_now.)
    manual_verifications::revoke_manual_verification(s, manual, None, "superseded").await.expect("revoke");
    runner.run_until_idle().await;
    name_affirmation::request_verified_name(s, ada, "Ada L King", None).await.expect("request");
    let (photo, photo_uuid) = submit_photos(&app, &cookie, "Ada L King").await;
    let actor = Actor::Vendor("test".into());
    lifecycle::apply(s, photo, &PhotoOp::MarkSubmit, &actor, "sent").await.expect("submit");
    runner.run_until_idle().await;
    assert_eq!(status_of("Ada L King").await, Some(("submitted".into(), Some(photo_uuid.clone()))));
    lifecycle::apply(s, photo, &PhotoOp::Approve { reviewer: vendor() }, &actor, "ok").await.expect("approve");
    runner.run_until_idle().await;
    assert_eq!(status_of("Ada L King").await.map(|s| s.0).as_deref(), Some("approved"));

    // An older event delivered late (at least once, any order) changes nothing.
    let events = outbox::for_attempt(&mut s.store.conn().await.expect("conn"), &photo_uuid).await.expect("events");
    let first = events.first().expect("created event");
    name_affirmation::apply_event(s, first.seq, &first.event).await.expect("late event");
    assert_eq!(status_of("Ada L King").await.map(|s| s.0).as_deref(), Some("approved"));

    // The history keeps every change.
    let history = name_affirmation::history(s, ada).await.expect("history");
    let king: Vec<(&str, &str)> = history
        .iter()
        .filter(|h| h.verified_name == "Ada King")
        .map(|h| (h.status.as_str(), h.cause.as_str()))
        .collect();
    assert_eq!(
        king,
        [
            ("pending", "requested"),
            ("pending", "org.openedx.learning.idv_attempt.created.v1"),
            ("submitted", "org.openedx.learning.idv_attempt.submitted.v1"),
            ("denied", "org.openedx.learning.idv_attempt.denied.v1"),
        ]
    );

    // Deleting an attempt deletes the names that refer to it; their history stays.
    let deleted = attempt_delete::delete_attempt(s, &photo_uuid).await.expect("delete");
    assert_eq!((deleted.kind, deleted.verified_names), (AttemptKind::Photo, 1));
    assert_eq!(status_of("Ada L King").await, None);
    let last = name_affirmation::history(s, ada).await.expect("history").pop().expect("row");
    assert_eq!(
        (last.verified_name.as_str(), last.status.as_str(), last.cause.as_str()),
        ("Ada L King", "deleted", "attempt_deleted")
    );
    assert!(idv::verifications_for_user(s, ada).await.expect("list").iter().all(|v| v.uuid != photo_uuid));
    assert!(matches!(
        attempt_delete::delete_attempt(s, &photo_uuid).await,
        Err(server::service::ServiceError::NotFound)
    ));
    // Bad input is refused and changes nothing.
    assert!(name_affirmation::request_verified_name(s, ada, "  ", None).await.is_err());
    assert_eq!(name_affirmation::verified_names(s, ada).await.expect("names").len(), 2);
}
on_both_backends!(verified_names_follow_every_attempt_kind, names_follow_attempts);

fn json_req(method: &str, path: &str, cookie: Option<&str>, body: Option<serde_json::Value>) -> Request<Body> {
    let mut b = Request::builder().method(method).uri(path).header(header::CONTENT_TYPE, "application/json");
    if let Some(c) = cookie {
        b = b.header(header::COOKIE, c);
    }
    b.body(body.map_or_else(Body::empty, |v| Body::from(v.to_string()))).expect("request")
}

async fn names_over_http(db: &TestDb) {
    let app = TestApp::new(db).await;
    let s = &app.services;
    let (ada_cookie, ada) = learner(&app, "ada", "Ada Lovelace").await;
    let (bob_cookie, bob) = learner(&app, "bob", "Bob").await;
    let (st, _) = app.json(json_req("GET", "/api/v1/verified_name", None, None)).await;
    assert_eq!(st, StatusCode::UNAUTHORIZED);

    let (st, v) = app
        .json(json_req("POST", "/api/v1/verified_name", Some(&ada_cookie), Some(json!({"verified_name": "Ada King"}))))
        .await;
    assert_eq!(
        (st, v["status"].as_str(), v["profile_name"].as_str()),
        (StatusCode::CREATED, Some("pending"), Some("Ada Lovelace")),
        "{v}"
    );

    // Naming someone else's attempt, or an unknown field, is refused and changes nothing.
    manual_verifications::create_manual_verification(s, bob, "Bob", "checked", None).await.expect("manual");
    let bobs_uuid = idv::verifications_for_user(s, bob).await.expect("l")[0].uuid.clone();
    let body = json!({"verified_name": "Ada K", "verification_attempt_uuid": bobs_uuid});
    let (st, _) = app.json(json_req("POST", "/api/v1/verified_name", Some(&ada_cookie), Some(body))).await;
    assert!(st.is_client_error());
    let body = json!({"verified_name": "Ada K", "status": "approved"});
    let (st, _) = app.json(json_req("POST", "/api/v1/verified_name", Some(&ada_cookie), Some(body))).await;
    assert!(st.is_client_error());
    let (st, _) = app
        .json(json_req("POST", "/api/v1/verified_name", Some(&ada_cookie), Some(json!({"verified_name": ""}))))
        .await;
    assert!(st.is_client_error());

    // Naming one's own approved attempt starts the name approved.
    manual_verifications::create_manual_verification(s, ada, "Ada Byron", "checked", None).await.expect("manual");
    let own = idv::verifications_for_user(s, ada).await.expect("l")[0].uuid.clone();
    let body = json!({"verified_name": "Ada Byron", "verification_attempt_uuid": own});
    let (st, v) = app.json(json_req("POST", "/api/v1/verified_name", Some(&ada_cookie), Some(body))).await;
    assert_eq!((st, v["status"].as_str()), (StatusCode::CREATED, Some("approved")), "{v}");

    let (st, v) = app.json(json_req("GET", "/api/v1/verified_name", Some(&ada_cookie), None)).await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(v["verified_name"]["verified_name"], "Ada Byron");
    assert_eq!(v["results"].as_array().map(Vec::len), Some(2));
    let (_, v) = app.json(json_req("GET", "/api/v1/verified_name", Some(&bob_cookie), None)).await;
    assert_eq!(
        (v["verified_name"].is_null(), v["results"].as_array().map(Vec::len)),
        (true, Some(0)),
        "only one's own"
    );
    // Three changes: "Ada King" requested; "Ada Byron" requested (pending, as every name a
    // learner asks for starts), then approved by the attempt it names, which verified it.
    let (st, v) = app.json(json_req("GET", "/api/v1/verified_name/history", Some(&ada_cookie), None)).await;
    assert_eq!((st, v["results"].as_array().map(Vec::len)), (StatusCode::OK, Some(3)));
    let byron: Vec<(&str, &str)> = v["results"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|h| h["verified_name"] == "Ada Byron")
        .map(|h| (h["status"].as_str().unwrap_or_default(), h["cause"].as_str().unwrap_or_default()))
        .collect();
    assert_eq!(byron, [("pending", "requested"), ("approved", "attempt_linked")]);

    // `vouch delete-attempt` (a real process) deletes the attempt and the name that refers to it.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_vouch"))
        .args(["delete-attempt", "--uuid", &own])
        .env("VOUCH_DATABASE__URL", &db.url)
        .env("VOUCH_VAULT__LOCAL_DIR", db.dir.path().join("photos"))
        .env("VOUCH_VAULT__URL_SECRET", "delete test url secret 0123456789")
        .env("VOUCH_LOG", "warn")
        .output()
        .expect("run vouch");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        format!("deleted the manual attempt {own} and 1 verified names")
    );
    let (_, v) = app.json(json_req("GET", "/api/v1/verified_name", Some(&ada_cookie), None)).await;
    assert_eq!(v["verified_name"]["verified_name"], "Ada King");
}
on_both_backends!(learners_manage_their_verified_names_over_http, names_over_http);
