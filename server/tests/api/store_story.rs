//! The store's story, the same body on SQLite and PostgreSQL: users, an attempt through
//! its transitions with the audit trail, the guards, and sessions.

use crate::{on_both_backends, support::TestDb};
use app::domain::{
    AttemptKind,
    photo_lifecycle::{self, PhotoOp, PhotoReview},
};
use app::domain::{AttemptStatus, UserId};
use chrono::{TimeZone, Utc};
use server::store::{
    attempts::{self, NewPhotoVerification},
    transitions::{self, Actor},
    users,
};

async fn story(db: &TestDb) {
    let now = Utc.with_ymd_and_hms(2026, 11, 23, 12, 0, 0).single().expect("date");
    let mut conn = db.store.conn().await.expect("conn");

    // Users are created once per username.
    let ada = users::get_or_create(&mut conn, "ada", now).await.expect("create");
    let again = users::get_or_create(&mut conn, "ada", now).await.expect("get");
    assert_eq!(ada, again);
    assert!(!ada.is_staff && ada.is_active);
    let bob = users::get_or_create(&mut conn, "bob", now).await.expect("create");
    assert_ne!(ada.id, bob.id);
    assert_eq!(users::by_id(&mut conn, UserId(-1)).await.expect("query"), None);
    drop(conn);

    // An attempt created and made ready in one transaction.
    let new = NewPhotoVerification {
        uuid: "11111111-2222-3333-4444-555555555555".into(),
        user_id: ada.id,
        name: "Ada Lovelace".into(),
        receipt_id: "r-1".into(),
        face_image_ref: Some("photos/x/face".into()),
        photo_id_image_ref: None,
        photo_id_key: String::new(),
        user_photo_key: String::new(),
        copy_id_photo_from: None,
        course_key: None,
    };
    let actor = Actor::Learner(ada.id);
    let policy = app::domain::Policy::default();
    let ready = photo_lifecycle::apply(&PhotoOp::MarkReady, &PhotoReview::created(), now, &policy)
        .expect("allowed")
        .expect("changes");
    let mut tx = db.store.begin().await.expect("begin");
    let id = attempts::insert(&mut tx, &new, &actor, now).await.expect("insert");
    assert!(attempts::save_review(&mut tx, id, AttemptStatus::Created, &ready, &actor, "", now).await.expect("save"));
    tx.commit().await.expect("commit");

    // A rolled-back transaction leaves nothing behind.
    let mut tx = db.store.begin().await.expect("begin");
    let other = NewPhotoVerification { uuid: "u-2".into(), receipt_id: "r-2".into(), ..new.clone() };
    attempts::insert(&mut tx, &other, &actor, now).await.expect("insert");
    tx.rollback().await.expect("rollback");

    let mut conn = db.store.conn().await.expect("conn");
    assert_eq!(attempts::count(&mut conn).await.expect("count"), 1);
    let mine = attempts::for_user(&mut conn, ada.id).await.expect("list");
    assert_eq!(mine.len(), 1);
    assert_eq!(mine[0].status(), AttemptStatus::Ready);
    assert_eq!(mine[0].name, "Ada Lovelace");
    assert_eq!(mine[0].created_at, now);
    assert_eq!(attempts::by_receipt_id(&mut conn, "r-1").await.expect("q").map(|a| a.id), Some(id));
    assert!(attempts::for_user(&mut conn, bob.id).await.expect("list").is_empty());

    // A write conditioned on a stale status changes nothing.
    assert!(!attempts::save_review(&mut conn, id, AttemptStatus::Created, &ready, &actor, "", now).await.expect("q"));
    assert_eq!(attempts::by_id(&mut conn, id).await.expect("q").expect("exists").status(), AttemptStatus::Ready);

    // The audit trail replays to the current status.
    let history = transitions::history(&mut conn, AttemptKind::Photo, id.0).await.expect("history");
    let pairs: Vec<(Option<&str>, &str)> = history.iter().map(|t| (t.from.as_deref(), t.to.as_str())).collect();
    assert_eq!(pairs, vec![(None, "created"), (Some("created"), "ready")]);
    assert_eq!(history[1].actor_kind, "learner");
    assert_eq!(history[1].actor_id, ada.id.to_string());

    // Receipt ids are unique.
    let dup = NewPhotoVerification { uuid: "u-3".into(), ..new.clone() };
    let err = attempts::insert(&mut conn, &dup, &actor, now).await;
    assert!(matches!(err, Err(server::store::StoreError::Duplicate(_))), "{err:?}");
}
on_both_backends!(attempt_story, story);

async fn migrations_are_idempotent(db: &TestDb) {
    db.store.migrate().await.expect("second run is a no-op");
}
on_both_backends!(migrations, migrations_are_idempotent);

async fn sessions_round_trip(db: &TestDb) {
    use tower_sessions::{
        SessionStore,
        session::{Id, Record},
    };
    let store = server::store::sessions::DbSessionStore::new(db.store.clone());
    let mut record = Record {
        id: Id::default(),
        data: [("user_id".to_owned(), serde_json::json!(7))].into_iter().collect(),
        expiry_date: time::OffsetDateTime::now_utc() + time::Duration::hours(1),
    };
    store.create(&mut record).await.expect("create");
    let loaded = store.load(&record.id).await.expect("load").expect("present");
    assert_eq!(loaded.data, record.data);
    record.data.insert("k".into(), serde_json::json!("v"));
    store.save(&record).await.expect("save");
    assert_eq!(store.load(&record.id).await.expect("load").expect("present").data.len(), 2);

    // Expired sessions do not load and are swept.
    let mut old = Record {
        id: Id::default(),
        data: Default::default(),
        expiry_date: time::OffsetDateTime::now_utc() - time::Duration::hours(1),
    };
    store.create(&mut old).await.expect("create");
    assert!(store.load(&old.id).await.expect("load").is_none());
    assert_eq!(store.delete_expired(time::OffsetDateTime::now_utc().unix_timestamp()).await.expect("sweep"), 1);

    store.delete(&record.id).await.expect("delete");
    assert!(store.load(&record.id).await.expect("load").is_none());
}
on_both_backends!(sessions, sessions_round_trip);
