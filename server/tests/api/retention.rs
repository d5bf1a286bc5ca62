//! Photo retention through the library, on both databases (local vault; S3 in `s3.rs`):
//! the photos of a decided attempt leave the vault `photo_retention_days` after the
//! decision and nothing else changes; undecided attempts and ID photos other attempts reuse
//! keep theirs; a dry run changes nothing; a second sweep finds nothing; the vendor's signed
//! URLs stop working at the decision; deleting an attempt deletes its photos.
//! The helpers here are shared with `retention_process.rs` (real processes).

use crate::{
    on_both_backends,
    support::{TestDb, data_url, jpeg_bytes},
};
use axum::{
    body::Body,
    http::{Request, StatusCode},
};
use chrono::{DateTime, Duration, Utc};
use server::{
    clock::ManualClock,
    config::Config,
    service::{
        Services, attempt_delete, lifecycle,
        retention::{self, SweepOptions},
        submit,
    },
    store::{
        attempts::{self, NewPhotoVerification, PhotoVerification},
        photo_retention::{self, Deleter},
        transitions::Actor,
        users,
    },
    vendors::software_secure,
};
use std::sync::Arc;

use app::{
    domain::{
        AttemptId,
        photo_lifecycle::{PhotoOp, Reviewer},
    },
    dto::SubmitPhotosRequest,
};

/// Services over `db` whose clock stands at `at` (the past, for a decision "31 days ago").
pub async fn services_at(db: &TestDb, at: DateTime<Utc>, edit: impl FnOnce(&mut Config)) -> (Services, ManualClock) {
    let mut cfg = db.config();
    edit(&mut cfg);
    let clock = ManualClock::new(at);
    let services = server::serve::services(cfg, Arc::new(clock.clone())).await.expect("services start");
    (services, clock)
}

/// `username` submits a face and an ID photo; returns the attempt (ready).
pub async fn submit_attempt(services: &Services, username: &str) -> PhotoVerification {
    let user = {
        let mut conn = services.store.conn().await.expect("conn");
        users::get_or_create(&mut conn, username, services.clock.now()).await.expect("user")
    };
    let photo = data_url("image/jpeg", &jpeg_bytes(300));
    let request = SubmitPhotosRequest {
        face_image: photo.clone(),
        photo_id_image: Some(photo),
        full_name: None,
        course_key: None,
    };
    let id = submit::submit_photos(services, user.id, request).await.expect("submit");
    attempt(services, id).await
}

/// The attempt as stored.
pub async fn attempt(services: &Services, id: AttemptId) -> PhotoVerification {
    let mut conn = services.store.conn().await.expect("conn");
    attempts::by_id(&mut conn, id).await.expect("query").expect("attempt")
}

/// Sends the attempt to the vendor (submitted).
pub async fn mark_submitted(services: &Services, id: AttemptId) {
    lifecycle::apply(services, id, &PhotoOp::MarkSubmit, &Actor::System, "test").await.expect("submitted");
}

/// Submits then approves (or denies) the attempt at the services' clock.
pub async fn decide(services: &Services, id: AttemptId, approve: bool) {
    mark_submitted(services, id).await;
    let reviewer = Reviewer { user: None, service: "test".into() };
    let op = if approve {
        PhotoOp::Approve { reviewer }
    } else {
        PhotoOp::Deny { error_msg: "blurry".into(), error_code: String::new(), reviewer }
    };
    lifecycle::apply(services, id, &op, &Actor::System, "test").await.expect("decided");
}

/// Whether the local vault of `db` holds `key`.
pub fn in_vault(db: &TestDb, key: &str) -> bool {
    db.dir.path().join("photos").join(key).is_file()
}

/// The photo keys of `a` (face, ID).
pub fn keys_of(a: &PhotoVerification) -> Vec<String> {
    [a.face_image_ref.clone(), a.photo_id_image_ref.clone()].into_iter().flatten().collect()
}

/// How many status changes are recorded for attempt `id`.
async fn history_len(services: &Services, id: AttemptId) -> i64 {
    let mut conn = services.store.conn().await.expect("conn");
    let (n,): (i64,) =
        sqlx::query_as("select count(*) from attempt_transition where attempt_kind = 'photo' and attempt_id = $1")
            .bind(id.0)
            .fetch_one(&mut *conn)
            .await
            .expect("count");
    n
}

pub async fn deletions(services: &Services) -> Vec<photo_retention::Deletion> {
    let mut conn = services.store.conn().await.expect("conn");
    photo_retention::recent_deletions(&mut conn, 100).await.expect("deletions")
}

pub async fn deleted_at(services: &Services, uuid: &str) -> Option<DateTime<Utc>> {
    let mut conn = services.store.conn().await.expect("conn");
    photo_retention::photos_deleted_at(&mut conn, uuid).await.expect("query")
}

const CLI: SweepOptions = SweepOptions { dry_run: false, deleter: Deleter::Cli, budget: None };

async fn retention_deletes_only_decided_photos(db: &TestDb) {
    let (s, clock) = services_at(db, Utc::now(), |_| {}).await;
    let approved = submit_attempt(&s, "ada").await;
    let denied = submit_attempt(&s, "bob").await;
    let pending = submit_attempt(&s, "carol").await;
    let retrying = submit_attempt(&s, "dave").await;
    decide(&s, approved.id, true).await;
    decide(&s, denied.id, false).await;
    mark_submitted(&s, pending.id).await;
    lifecycle::apply(&s, retrying.id, &PhotoOp::MarkMustRetry { error: "timeout".into() }, &Actor::System, "t")
        .await
        .expect("must_retry");
    let history = history_len(&s, approved.id).await;
    let all: Vec<String> = [&approved, &denied, &pending, &retrying].into_iter().flat_map(keys_of).collect();
    assert!(all.iter().all(|k| in_vault(db, k)), "{all:?}");

    // 29 days after the decisions: nothing is due yet.
    clock.advance(Duration::days(29));
    let report = retention::sweep(&s, CLI, |_, _| {}).await.expect("sweep");
    assert_eq!((report.due, report.attempts, report.objects_deleted), (0, 0, 0));

    // 31 days: a dry run reports the two decided attempts and changes nothing.
    clock.advance(Duration::days(2));
    let rows_before = [attempt(&s, approved.id).await, attempt(&s, denied.id).await];
    let dry = SweepOptions { dry_run: true, ..CLI };
    let report = retention::sweep(&s, dry, |_, _| {}).await.expect("dry run");
    assert_eq!((report.dry_run, report.due, report.attempts, report.objects_deleted), (true, 2, 2, 4));
    assert!(all.iter().all(|k| in_vault(db, k)), "a dry run deletes nothing");
    assert_eq!([attempt(&s, approved.id).await, attempt(&s, denied.id).await], rows_before, "a dry run changes no row");
    assert_eq!(deleted_at(&s, &approved.uuid).await, None);
    assert!(deletions(&s).await.is_empty(), "a dry run audits nothing");

    let mut calls = Vec::new();
    let report = retention::sweep(&s, CLI, |done, total| calls.push((done, total))).await.expect("sweep");
    assert_eq!((report.due, report.attempts, report.objects_deleted, report.complete), (2, 2, 4, true));
    assert_eq!(calls, [(1, 2), (2, 2)], "progress after each attempt");
    for (gone, before) in [&approved, &denied].into_iter().zip(&rows_before) {
        assert!(keys_of(gone).iter().all(|k| !in_vault(db, k)), "{} keeps photos", gone.uuid);
        let now = attempt(&s, gone.id).await;
        assert_eq!((now.face_image_ref.as_deref(), now.photo_id_image_ref.as_deref()), (None, None));
        // Everything else stays: status, review, name, receipt, times.
        let cleared = PhotoVerification { face_image_ref: None, photo_id_image_ref: None, ..before.clone() };
        assert_eq!(now, cleared);
        assert_eq!(deleted_at(&s, &gone.uuid).await, Some(s.clock.now()));
    }
    assert_eq!(rows_before.map(|r| r.status().as_str()), ["approved", "denied"]);
    assert_eq!(history_len(&s, approved.id).await, history, "the history stays, no status change is added");
    for kept in [&pending, &retrying] {
        assert!(keys_of(kept).iter().all(|k| in_vault(db, k)), "undecided {} keeps its photos", kept.uuid);
        assert_eq!(deleted_at(&s, &kept.uuid).await, None);
    }
    // Every deleted object is audited once, with its attempt.
    let mut audit: Vec<(String, Option<String>, String, String)> =
        deletions(&s).await.into_iter().map(|d| (d.object, d.attempt_uuid, d.cause, d.actor)).collect();
    audit.sort();
    let mut expected: Vec<(String, Option<String>, String, String)> = [&approved, &denied]
        .into_iter()
        .flat_map(|a| keys_of(a).into_iter().map(|k| (k, Some(a.uuid.clone()), "retention".into(), "cli".into())))
        .collect();
    expected.sort();
    assert_eq!(audit, expected);

    // Idempotent: the next sweep finds nothing, even long after.
    clock.advance(Duration::days(400));
    let report = retention::sweep(&s, CLI, |_, _| {}).await.expect("again");
    assert_eq!((report.due, report.attempts), (0, 0));
    assert_eq!(deletions(&s).await.len(), 4);
}
on_both_backends!(retention_deletes_photos_of_decided_attempts_only, retention_deletes_only_decided_photos);

async fn zero_days_means_at_the_next_sweep(db: &TestDb) {
    let (s, _) = services_at(db, Utc::now(), |c| c.verification.photo_retention_days = 0).await;
    let a = submit_attempt(&s, "ada").await;
    let report = retention::sweep(&s, CLI, |_, _| {}).await.expect("sweep");
    assert_eq!(report.attempts, 0, "an undecided attempt keeps its photos whatever the retention");
    decide(&s, a.id, true).await;
    let report = retention::sweep(&s, CLI, |_, _| {}).await.expect("sweep");
    assert_eq!((report.attempts, report.objects_deleted), (1, 2));
    assert!(keys_of(&a).iter().all(|k| !in_vault(db, k)));
}
on_both_backends!(zero_retention_days_deletes_at_the_first_sweep_after_the_decision, zero_days_means_at_the_next_sweep);

async fn reused_id_photo_stays_while_referenced(db: &TestDb) {
    let (s, clock) = services_at(db, Utc::now(), |_| {}).await;
    let first = submit_attempt(&s, "ada").await;
    decide(&s, first.id, true).await;
    // A later attempt reusing the first one's ID photo (what submitting without an ID photo
    // does), still awaiting its verdict.
    let first_id_photo = first.photo_id_image_ref.clone().expect("ID photo");
    let later = {
        let mut tx = s.store.begin().await.expect("tx");
        let later_face = format!("face/{}", uuid::Uuid::new_v4());
        s.vault.put(&later_face, b"sealed face".to_vec()).await.expect("put");
        let new = NewPhotoVerification {
            uuid: uuid::Uuid::new_v4().to_string(),
            user_id: first.user_id,
            name: first.name.clone(),
            receipt_id: later_face.trim_start_matches("face/").to_owned(),
            face_image_ref: Some(later_face),
            photo_id_image_ref: Some(first_id_photo.clone()),
            photo_id_key: first.photo_id_key.clone(),
            user_photo_key: "key".into(),
            copy_id_photo_from: Some(first.id),
            course_key: None,
        };
        let id = attempts::insert(&mut tx, &new, &Actor::System, s.clock.now()).await.expect("insert");
        tx.commit().await.expect("commit");
        lifecycle::apply(&s, id, &PhotoOp::MarkReady, &Actor::System, "test").await.expect("ready");
        attempt(&s, id).await
    };
    clock.advance(Duration::days(31));
    let report = retention::sweep(&s, CLI, |_, _| {}).await.expect("sweep");
    assert_eq!((report.attempts, report.objects_deleted, report.objects_kept_shared), (1, 1, 1));
    assert!(!in_vault(db, first.face_image_ref.as_deref().expect("face")), "the first face photo goes");
    assert!(in_vault(db, &first_id_photo), "the reused ID photo stays for the later attempt");

    // Once the later attempt is decided and its retention ends, the shared ID photo goes.
    decide(&s, later.id, false).await;
    clock.advance(Duration::days(31));
    let report = retention::sweep(&s, CLI, |_, _| {}).await.expect("sweep");
    assert_eq!((report.attempts, report.objects_deleted, report.objects_kept_shared), (1, 2, 0));
    assert!(!in_vault(db, &first_id_photo));
    assert!(s.vault.list("photo_id").await.expect("list").is_empty());
    assert!(s.vault.list("face").await.expect("list").is_empty());
}
on_both_backends!(a_reused_id_photo_is_kept_until_no_attempt_needs_it, reused_id_photo_stays_while_referenced);

async fn urls_stop_at_the_decision(db: &TestDb) {
    let app = crate::support::TestApp::new(db).await;
    let s = &app.services;
    let a = submit_attempt(s, "ada").await;
    let request = software_secure::build_request(s, &a, s.clock.now()).await.expect("request");
    let sent: serde_json::Value = serde_json::from_slice(&request.body).expect("json");
    let paths: Vec<String> = ["UserPhoto", "PhotoID"]
        .iter()
        .map(|f| {
            let url = sent[f].as_str().expect("url");
            let path = url.split_once("/verify_student/").expect("a Vouch URL").1;
            format!("/verify_student/{path}")
        })
        .collect();
    let get = |p: &str| Request::get(p).body(Body::empty()).expect("request");
    // While the vendor works on it (ready, then submitted), the URLs serve the sealed photos.
    for (path, key) in paths.iter().zip(keys_of(&a)) {
        let (status, _, body) = app.send(get(path)).await;
        assert_eq!(status, StatusCode::OK, "{path}");
        assert_eq!(body, s.vault.get(&key).await.expect("sealed").to_vec());
    }
    mark_submitted(s, a.id).await;
    assert_eq!(app.send(get(&paths[0])).await.0, StatusCode::OK);

    // Decided: refused at once, though the URLs expire only days later and the photos remain.
    decide_submitted(s, a.id).await;
    for path in &paths {
        let (status, v) = app.json(get(path)).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}: {v}");
        assert_eq!(v["error"]["code"], "not_found", "{v}");
    }
    assert!(keys_of(&a).iter().all(|k| in_vault(db, k)), "the photos are still kept");
}
on_both_backends!(signed_photo_urls_stop_working_when_the_attempt_is_decided, urls_stop_at_the_decision);

async fn decide_submitted(services: &Services, id: AttemptId) {
    let reviewer = Reviewer { user: None, service: "test".into() };
    lifecycle::apply(services, id, &PhotoOp::Approve { reviewer }, &Actor::System, "test").await.expect("approve");
}

async fn delete_attempt_deletes_photos(db: &TestDb) {
    let (s, _) = services_at(db, Utc::now(), |_| {}).await;
    let a = submit_attempt(&s, "ada").await;
    let other = submit_attempt(&s, "bob").await;
    let deleted = attempt_delete::delete_attempt(&s, &a.uuid).await.expect("delete");
    assert_eq!((deleted.photos, deleted.photos_left), (2, 0));
    assert!(keys_of(&a).iter().all(|k| !in_vault(db, k)), "its photos are gone");
    assert!(keys_of(&other).iter().all(|k| in_vault(db, k)), "another attempt's stay");
    let audit: Vec<(String, String)> = deletions(&s).await.into_iter().map(|d| (d.object, d.cause)).collect();
    assert_eq!(audit.len(), 2);
    assert!(audit.iter().all(|(k, c)| keys_of(&a).contains(k) && c == "delete_attempt"), "{audit:?}");
}
on_both_backends!(deleting_an_attempt_deletes_its_photos, delete_attempt_deletes_photos);
