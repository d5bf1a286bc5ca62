//! The domain's services over the real store, each body on SQLite and PostgreSQL: the photo
//! lifecycle, every attempt kind, the verification service, deadlines, the retry
//! configuration, retirement, and a property test of random operations.

use crate::{
    on_both_backends,
    support::{TestApp, TestDb},
};
use app::domain::{
    AttemptId, AttemptKind, AttemptStatus, UserId, UserStatusKind,
    id_verification::Expiration,
    photo_lifecycle::{PhotoOp, Reviewer},
};
use chrono::{Duration, TimeZone, Utc};
use proptest::{prelude::*, strategy::ValueTree, test_runner::TestRunner};
use server::{
    service::{
        ServiceError, deadlines,
        generic_attempts::{self, GenericAttempt},
        idv, lifecycle, manual_verifications, retire, sso,
    },
    store::{
        attempts::{self, NewPhotoVerification},
        retry_config, transitions, users,
    },
};

async fn user(app: &TestApp, name: &str) -> UserId {
    let mut conn = app.services.store.conn().await.expect("conn");
    users::get_or_create(&mut conn, name, app.services.clock.now()).await.expect("user").id
}

/// A photo attempt for `user`, made ready.
async fn ready_photo(app: &TestApp, user: UserId) -> AttemptId {
    let new = NewPhotoVerification {
        uuid: uuid::Uuid::new_v4().to_string(),
        user_id: user,
        name: "Ada Lovelace".into(),
        receipt_id: uuid::Uuid::new_v4().to_string(),
        face_image_ref: Some(format!("photos/{user}/face")),
        photo_id_image_ref: Some(format!("photos/{user}/photo_id")),
        photo_id_key: String::new(),
        user_photo_key: String::new(),
        copy_id_photo_from: None,
        course_key: None,
    };
    let actor = transitions::Actor::Learner(user);
    let mut conn = app.services.store.conn().await.expect("conn");
    let id = attempts::insert(&mut conn, &new, &actor, app.services.clock.now()).await.expect("insert");
    drop(conn);
    lifecycle::apply(&app.services, id, &PhotoOp::MarkReady, &actor, "").await.expect("ready");
    id
}

fn vendor() -> transitions::Actor {
    transitions::Actor::Vendor("SoftwareSecure".into())
}

fn approve() -> PhotoOp {
    PhotoOp::Approve { reviewer: Reviewer { user: None, service: "SoftwareSecure".into() } }
}

fn deny(msg: &str) -> PhotoOp {
    PhotoOp::Deny { error_msg: msg.into(), error_code: "E".into(), reviewer: Reviewer::default() }
}

async fn photo_lifecycle_through_the_store(db: &TestDb) {
    let app = TestApp::new(db).await;
    let ada = user(&app, "ada").await;
    let id = ready_photo(&app, ada).await;
    let s = &app.services;

    // Illegal: approve a ready attempt. Refused, nothing written.
    let err = lifecycle::apply(s, id, &approve(), &vendor(), "").await;
    assert!(matches!(err, Err(ServiceError::Conflict(_))), "{err:?}");
    assert_eq!(idv::user_status(s, ada).await.expect("status").status, UserStatusKind::Pending);

    assert_eq!(
        lifecycle::apply(s, id, &PhotoOp::MarkSubmit, &vendor(), "").await.expect("submit"),
        AttemptStatus::Submitted
    );
    assert_eq!(
        lifecycle::apply(s, id, &deny("[\"blurry\"]"), &vendor(), "").await.expect("deny"),
        AttemptStatus::Denied
    );
    let status = idv::user_status(s, ada).await.expect("status");
    assert_eq!((status.status, status.error.as_str()), (UserStatusKind::MustReverify, "[\"blurry\"]"));

    // Approve overturns the denial and clears the reasons; approving again is a no-op.
    assert_eq!(lifecycle::apply(s, id, &approve(), &vendor(), "").await.expect("approve"), AttemptStatus::Approved);
    assert_eq!(lifecycle::apply(s, id, &approve(), &vendor(), "").await.expect("no-op"), AttemptStatus::Approved);
    let mut conn = s.store.conn().await.expect("conn");
    let a = attempts::by_id(&mut conn, id).await.expect("q").expect("exists");
    assert_eq!(a.review.error_msg, "");
    assert_eq!(a.review.reviewing_service, "SoftwareSecure");
    assert_eq!(a.review.expires_at, Some(s.clock.now() + Duration::days(365)));
    assert!(a.review.submitted_at.is_some());
    // The no-op wrote no audit row: created, ready, submitted, denied, approved.
    let h = transitions::history(&mut conn, AttemptKind::Photo, id.0).await.expect("history");
    assert_eq!(
        h.iter().map(|t| t.to.as_str()).collect::<Vec<_>>(),
        ["created", "ready", "submitted", "denied", "approved"]
    );
    drop(conn);

    let status = idv::user_status(s, ada).await.expect("status");
    assert_eq!(status.status, UserStatusKind::Approved);
    assert!(idv::user_is_verified(s, ada).await.expect("verified"));
    assert_eq!(
        idv::get_expiration_datetime(s, ada, &["approved"]).await.expect("exp"),
        Some(Expiration::At(s.clock.now() + Duration::days(365)))
    );
    // A system error on a decided attempt keeps the decision.
    let sys = PhotoOp::SystemError { error_msg: "down".into(), error_code: "S".into(), reviewer: Reviewer::default() };
    assert_eq!(lifecycle::apply(s, id, &sys, &vendor(), "").await.expect("no-op"), AttemptStatus::Approved);

    // A year and a day later it has expired.
    app.clock.advance(Duration::days(366));
    let status = idv::user_status(s, ada).await.expect("status");
    assert_eq!(status.status, UserStatusKind::Expired);
    assert!(!idv::user_is_verified(s, ada).await.expect("verified"));
    assert_eq!(idv::verification_status_for_user(s, ada, "verified", None).await.expect("q"), "Not ID Verified");

    let missing = lifecycle::apply(s, AttemptId(999_999), &PhotoOp::MarkSubmit, &vendor(), "").await;
    assert!(matches!(missing, Err(ServiceError::NotFound)));
}
on_both_backends!(photo_lifecycle, photo_lifecycle_through_the_store);

async fn every_kind_counts(db: &TestDb) {
    let app = TestApp::new(db).await;
    let s = &app.services;
    let (sso, manual, generic, nobody) =
        (user(&app, "sso").await, user(&app, "manual").await, user(&app, "generic").await, user(&app, "nobody").await);

    sso::create_sso_verification(s, sso, "Sam SSO", "tpa-saml", "uni", "University").await.expect("sso");
    let staff = user(&app, "staff").await;
    let m = manual_verifications::create_manual_verification(
        s,
        manual,
        "Mia Manual",
        "checked passport in person",
        Some(staff),
    )
    .await
    .expect("manual");
    let g = generic_attempts::create_verification_attempt(
        s,
        GenericAttempt {
            user: generic,
            name: "Gus Generic".into(),
            status: "pending".into(),
            expiration: None,
            hide_status_from_user: false,
            vendor: "hosted".into(),
            vendor_reference: "inq_1".into(),
        },
        &transitions::Actor::Vendor("hosted".into()),
    )
    .await
    .expect("generic");

    // SSO and manual approvals verify, but their status is not displayed to the learner.
    let st = idv::user_status(s, sso).await.expect("status");
    assert_eq!((st.status, st.should_display), (UserStatusKind::Approved, false));
    assert!(idv::user_is_verified(s, manual).await.expect("q"));
    assert_eq!(idv::user_status(s, generic).await.expect("status").status, UserStatusKind::Pending);
    assert!(idv::user_has_valid_or_pending(s, generic).await.expect("q"));
    assert!(!idv::user_has_valid_or_pending(s, nobody).await.expect("q"));

    // The batch query agrees.
    let ids = idv::get_verified_user_ids(s, &[sso, manual, generic, nobody]).await.expect("batch");
    assert_eq!(ids, {
        let mut v = vec![sso, manual];
        v.sort();
        v
    });

    // Generic updates: status, name, expiration; bad status and unknown attempt are typed errors.
    let actor = transitions::Actor::Vendor("hosted".into());
    generic_attempts::update_verification_attempt(s, g, Some("Gus G.".into()), Some("approved"), None, &actor)
        .await
        .expect("update");
    assert!(idv::user_is_verified(s, generic).await.expect("q"), "a generic approval without expiry counts");
    let bad = generic_attempts::update_verification_attempt(s, g, None, Some("verified"), None, &actor).await;
    assert!(matches!(bad, Err(ServiceError::BadStatus(ref st)) if st == "verified"), "{bad:?}");
    let unknown = generic_attempts::update_verification_attempt(s, 424_242, None, Some("denied"), None, &actor).await;
    assert!(matches!(unknown, Err(ServiceError::NotFound)), "{unknown:?}");
    let expired = Some(Some(s.clock.now() - Duration::days(1)));
    generic_attempts::update_verification_attempt(s, g, None, None, expired, &actor).await.expect("expire");
    assert!(!idv::user_is_verified(s, generic).await.expect("q"));
    let creating_bad = generic_attempts::create_verification_attempt(
        s,
        GenericAttempt {
            user: generic,
            name: "x".into(),
            status: "bogus".into(),
            expiration: None,
            hide_status_from_user: false,
            vendor: String::new(),
            vendor_reference: String::new(),
        },
        &actor,
    )
    .await;
    assert!(matches!(creating_bad, Err(ServiceError::BadStatus(_))));

    // Revoking the manual verification: approved → denied, audited with the reason.
    manual_verifications::revoke_manual_verification(s, m, Some(staff), "document was forged").await.expect("revoke");
    assert!(!idv::user_is_verified(s, manual).await.expect("q"));
    let again = manual_verifications::revoke_manual_verification(s, m, Some(staff), "again").await;
    assert!(matches!(again, Err(ServiceError::Conflict(_))));
    let mut conn = s.store.conn().await.expect("conn");
    let h = transitions::history(&mut conn, AttemptKind::Manual, m).await.expect("history");
    assert_eq!(h.len(), 2);
    assert_eq!(
        (h[1].from.as_deref(), h[1].to.as_str(), h[1].reason.as_str()),
        (Some("approved"), "denied", "document was forged")
    );
    assert_eq!(h[1].actor_kind, "staff");
    let gh = transitions::history(&mut conn, AttemptKind::Generic, g).await.expect("history");
    assert_eq!(gh.iter().map(|t| t.to.as_str()).collect::<Vec<_>>(), ["pending", "approved"]);

    // All kinds for one learner, newest first.
    let all = idv::verifications_for_user(s, sso).await.expect("list");
    assert_eq!(all.len(), 1);
    assert_eq!(all[0].kind, AttemptKind::Sso);
    assert!(
        idv::get_verify_location(s, Some("course-v1:edX+DemoX+2026"))
            .await
            .ends_with("/id-verification?course_id=course-v1%3AedX%2BDemoX%2B2026")
    );
}
on_both_backends!(attempt_kinds, every_kind_counts);

async fn batch_query_matches_the_domain(db: &TestDb) {
    let app = TestApp::new(db).await;
    let s = &app.services;
    let mut everyone = Vec::new();
    for i in 0..30 {
        let u = user(&app, &format!("learner{i}")).await;
        everyone.push(u);
        match i % 5 {
            0 => {}
            1 => {
                let id = ready_photo(&app, u).await;
                lifecycle::apply(s, id, &PhotoOp::MarkSubmit, &vendor(), "").await.expect("submit");
                lifecycle::apply(s, id, &approve(), &vendor(), "").await.expect("approve");
            }
            2 => {
                ready_photo(&app, u).await;
            }
            3 => {
                manual_verifications::create_manual_verification(s, u, "M", "reason", None).await.expect("manual");
            }
            _ => {
                let id = ready_photo(&app, u).await;
                lifecycle::apply(s, id, &PhotoOp::MarkSubmit, &vendor(), "").await.expect("submit");
                lifecycle::apply(s, id, &deny("no"), &vendor(), "").await.expect("deny");
            }
        }
    }
    let batch = idv::get_verified_user_ids(s, &everyone).await.expect("batch");
    let mut one_by_one = Vec::new();
    for u in &everyone {
        if idv::user_is_verified(s, *u).await.expect("q") {
            one_by_one.push(*u);
        }
    }
    assert_eq!(batch, one_by_one);
    assert_eq!(batch.len(), 12);
}
on_both_backends!(verified_user_ids, batch_query_matches_the_domain);

async fn deadlines_with_history(db: &TestDb) {
    let app = TestApp::new(db).await;
    let s = &app.services;
    let course = "course-v1:edX+DemoX+2026";
    let first = Utc.with_ymd_and_hms(2026, 12, 1, 0, 0, 0).single().expect("date");
    let second = Utc.with_ymd_and_hms(2027, 1, 15, 0, 0, 0).single().expect("date");

    assert_eq!(deadlines::deadline_for_course(s, course).await.expect("q"), None);
    deadlines::set_deadline(s, course, Some(first), true, "staff:1").await.expect("set");
    // The cached "no deadline" was invalidated by the write.
    assert_eq!(deadlines::deadline_for_course(s, course).await.expect("q"), Some(first));
    deadlines::set_deadline(s, course, Some(second), false, "staff:2").await.expect("set");
    assert_eq!(deadlines::deadline_for_course(s, course).await.expect("q"), Some(second));
    deadlines::set_deadline(s, "course-v1:Other+X+1", Some(first), true, "cli").await.expect("set");

    let many = deadlines::deadlines_for_courses(
        s,
        &[course.to_owned(), "course-v1:Other+X+1".to_owned(), "course-v1:None+X+1".to_owned()],
    )
    .await
    .expect("bulk");
    assert_eq!(many.len(), 2);
    assert_eq!(many[course], second);

    deadlines::set_deadline(s, course, None, false, "staff:3").await.expect("remove");
    assert_eq!(deadlines::deadline_for_course(s, course).await.expect("q"), None);
    let h = deadlines::history(s, course).await.expect("history");
    assert_eq!(h.iter().map(|c| c.deadline).collect::<Vec<_>>(), vec![Some(first), Some(second), None]);
    assert_eq!(h[0].changed_by, "staff:1");
    assert!(h[0].is_explicit && !h[1].is_explicit);

    let bad = deadlines::set_deadline(s, "", Some(first), true, "x").await;
    assert!(matches!(bad, Err(ServiceError::Invalid(_))));
}
on_both_backends!(course_deadlines, deadlines_with_history);

async fn retry_configuration(db: &TestDb) {
    let app = TestApp::new(db).await;
    let mut conn = app.services.store.conn().await.expect("conn");
    let now = app.services.clock.now();
    assert_eq!(retry_config::current(&mut conn).await.expect("q"), None);
    retry_config::set(&mut conn, "--verification-ids 1 2 3", true, "staff", now).await.expect("set");
    retry_config::set(&mut conn, "--verification-ids 4", true, "staff", now).await.expect("set");
    assert_eq!(retry_config::current(&mut conn).await.expect("q").as_deref(), Some("--verification-ids 4"));
    retry_config::set(&mut conn, "", false, "staff", now).await.expect("disable");
    assert_eq!(retry_config::current(&mut conn).await.expect("q"), None);
}
on_both_backends!(retry_config_rows, retry_configuration);

async fn retirement_is_idempotent(db: &TestDb) {
    let app = TestApp::new(db).await;
    let s = &app.services;
    let ada = user(&app, "ada").await;
    let bob = user(&app, "bob").await;
    for u in [ada, bob] {
        let id = ready_photo(&app, u).await;
        let mut conn = s.store.conn().await.expect("conn");
        let a = attempts::by_id(&mut conn, id).await.expect("q").expect("exists");
        for key in [a.face_image_ref, a.photo_id_image_ref].into_iter().flatten() {
            s.vault.put(&key, b"encrypted bytes".to_vec()).await.expect("put");
        }
    }
    manual_verifications::create_manual_verification(s, ada, "Ada Lovelace", "in person", None).await.expect("manual");
    assert_eq!(db.photo_files().len(), 4);

    assert_eq!(retire::retire_user(s, ada).await.expect("retire"), 2);
    assert_eq!(retire::retire_user(s, ada).await.expect("second run"), 2);
    assert_eq!(db.photo_files().len(), 2, "only bob's photos remain");
    for v in idv::verifications_for_user(s, ada).await.expect("list") {
        assert_eq!(v.name, "", "{:?} still has a name", v.kind);
    }
    let mut conn = s.store.conn().await.expect("conn");
    let a = &attempts::for_user(&mut conn, ada).await.expect("list")[0];
    assert_eq!((a.face_image_ref.as_ref(), a.photo_id_image_ref.as_ref()), (None, None));
    assert_eq!(attempts::for_user(&mut conn, bob).await.expect("list")[0].name, "Ada Lovelace");
}
on_both_backends!(retirement, retirement_is_idempotent);

fn op_strategy() -> impl Strategy<Value = u8> {
    0u8..6
}

fn op(n: u8) -> PhotoOp {
    match n {
        0 => PhotoOp::MarkReady,
        1 => PhotoOp::MarkSubmit,
        2 => PhotoOp::MarkMustRetry { error: "timeout".into() },
        3 => approve(),
        4 => deny("no"),
        _ => PhotoOp::SystemError { error_msg: "down".into(), error_code: "S".into(), reviewer: Reviewer::default() },
    }
}

/// Random operation sequences through the real service and store: the status only follows
/// lifecycle edges, and the audit history always replays to the stored status.
async fn random_operations_replay(db: &TestDb) {
    let app = TestApp::new(db).await;
    let ada = user(&app, "ada").await;
    let mut runner = TestRunner::new(ProptestConfig { cases: 24, ..ProptestConfig::default() });
    let strategy = proptest::collection::vec(op_strategy(), 1..25);
    let mut cases = Vec::new();
    for _ in 0..24 {
        cases.push(strategy.new_tree(&mut runner).expect("tree").current());
    }
    for ops in cases {
        let id = ready_photo(&app, ada).await;
        for n in ops {
            // Refusals are expected; they must change nothing, which the replay checks.
            let _ = lifecycle::apply(&app.services, id, &op(n), &vendor(), "").await;
        }
        let mut conn = app.services.store.conn().await.expect("conn");
        let stored = attempts::by_id(&mut conn, id).await.expect("q").expect("exists").status();
        let history = transitions::history(&mut conn, AttemptKind::Photo, id.0).await.expect("history");
        let mut replayed: Option<AttemptStatus> = None;
        for t in &history {
            let from = t.from.as_deref().map(|f| f.parse::<AttemptStatus>().expect("status"));
            let to: AttemptStatus = t.to.parse().expect("status");
            assert_eq!(from, replayed, "history is a chain");
            if let Some(f) = from {
                assert!(f.can_move_to(to), "{f} -> {to} is not an edge");
            }
            replayed = Some(to);
        }
        assert_eq!(replayed, Some(stored));
    }
}
on_both_backends!(random_operations, random_operations_replay);

/// A batch's successes are marked done in one statement (issue 18): only the jobs this
/// worker still holds, so a job whose lease ran out and was taken over by another worker
/// stays theirs, and a job never claimed stays queued.
async fn complete_many_marks_only_what_this_worker_holds(db: &TestDb) {
    use server::store::jobs;
    let app = TestApp::new(db).await;
    let now = app.services.clock.now();
    let mut conn = app.services.store.write_conn().await.expect("conn");
    for key in ["a", "b", "c"] {
        assert!(jobs::enqueue(&mut conn, "test_kind", "{}", key, 3, now).await.expect("enqueue"));
    }
    let backend = app.services.store.backend();
    // w1 holds job a on a short lease and job b on a long one.
    let a = jobs::claim(&mut conn, backend, "w1", 1, now, Duration::seconds(1)).await.expect("claim")[0].id;
    let b = jobs::claim(&mut conn, backend, "w1", 1, now, Duration::seconds(60)).await.expect("claim")[0].id;
    // a outlives its lease and w2 takes it over; c is never claimed.
    let later = now + Duration::seconds(5);
    // Not w1 itself: its name is its process's, so an expired job of its own is still
    // running there (taken again, it would run twice at once).
    let own = jobs::claim(&mut conn, backend, "w1", 3, later, Duration::seconds(60)).await.expect("claim");
    assert_eq!(own.len(), 1, "only the queued c: {own:?}");
    assert!(own[0].id != a);
    let c = own[0].id;
    jobs::retry_at(&mut conn, c, "w1", now, "put back").await.expect("put back");
    let theirs = jobs::claim(&mut conn, backend, "w2", 1, later, Duration::seconds(60)).await.expect("claim");
    assert_eq!(theirs.iter().map(|j| j.id).collect::<Vec<_>>(), vec![a], "w2 took over the expired job");
    let marked = jobs::complete_many(&mut conn, &[a, b, c], "w1", later).await.expect("complete");
    assert_eq!(marked, 1, "only b, which w1 still holds");
    let counts = jobs::counts(&mut conn).await.expect("counts");
    assert_eq!((counts.done, counts.running, counts.queued), (1, 1, 1), "b done, a w2's, c queued");
    assert_eq!(jobs::complete_many(&mut conn, &[], "w1", later).await.expect("none"), 0);
}
on_both_backends!(job_completions_in_one_statement, complete_many_marks_only_what_this_worker_holds);
