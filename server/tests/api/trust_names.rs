//! Name affirmation cannot approve a name no attempt verified (issue 15, item 1): naming
//! one's own approved attempt for a *different* name is refused, nothing stored; a name
//! starts `pending` and only an attempt for that very name (equal after trimming) changes
//! it, both when the request names the attempt and when the attempt's events arrive later.

use crate::{
    lifecycle_events::{learner, submit_photos, vendor},
    on_both_backends,
    support::{TestApp, TestDb},
};
use app::domain::{UserId, photo_lifecycle::PhotoOp};
use axum::{
    body::Body,
    http::{Request, StatusCode, header},
};
use serde_json::{Value, json};
use server::{
    service::{generic_attempts, lifecycle, manual_verifications, name_affirmation},
    store::transitions::Actor,
};

fn post_name(cookie: &str, body: Value) -> Request<Body> {
    Request::post("/api/v1/verified_name")
        .header(header::CONTENT_TYPE, "application/json")
        .header(header::COOKIE, cookie)
        .body(Body::from(body.to_string()))
        .expect("request")
}

fn get(path: &str, cookie: &str) -> Request<Body> {
    Request::get(path).header(header::COOKIE, cookie).body(Body::empty()).expect("request")
}

/// The learner's verified names as an LMS reads them: (name, status) newest first.
async fn names(app: &TestApp, cookie: &str) -> Vec<(String, String)> {
    let (st, v) = app.json(get("/api/v1/verified_name", cookie)).await;
    assert_eq!(st, StatusCode::OK, "{v}");
    v["results"]
        .as_array()
        .expect("results")
        .iter()
        .map(|n| {
            (
                n["verified_name"].as_str().unwrap_or_default().to_owned(),
                n["status"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect()
}

async fn approved_photo_attempt(app: &TestApp, cookie: &str, name: &str) -> String {
    let (id, uuid) = submit_photos(app, cookie, name).await;
    let actor = Actor::Vendor("test".into());
    lifecycle::apply(&app.services, id, &PhotoOp::MarkSubmit, &actor, "sent").await.expect("submit");
    lifecycle::apply(&app.services, id, &PhotoOp::Approve { reviewer: vendor() }, &actor, "ok").await.expect("approve");
    uuid
}

async fn another_name_is_refused(db: &TestDb) {
    let app = TestApp::new(db).await;
    let (cookie, _) = learner(&app, "ada", "Ada Lovelace").await;
    let uuid = approved_photo_attempt(&app, &cookie, "Ada Lovelace").await;

    // The review's attack: the learner's own approved attempt, someone else's name.
    for other in ["Anyone Else", "ada lovelace", "Ada  Lovelace", "Ada Lovelace Jr"] {
        let (st, v) =
            app.json(post_name(&cookie, json!({"verified_name": other, "verification_attempt_uuid": uuid}))).await;
        assert_eq!(
            (st, v["error"]["code"].as_str()),
            (StatusCode::BAD_REQUEST, Some("invalid_request")),
            "{other}: {v}"
        );
        assert!(v["error"]["message"].as_str().is_some_and(|m| m.contains("different name")), "{v}");
    }
    assert_eq!(names(&app, &cookie).await, Vec::<(String, String)>::new(), "nothing stored");
    let (_, h) = app.json(get("/api/v1/verified_name/history", &cookie)).await;
    assert_eq!(h["results"].as_array().map(Vec::len), Some(0), "{h}");

    // The name the attempt verified (surrounding spaces forgiven): created pending, then
    // approved by that attempt, both in the history.
    let (st, v) = app
        .json(post_name(&cookie, json!({"verified_name": "  Ada Lovelace ", "verification_attempt_uuid": uuid})))
        .await;
    assert_eq!(
        (st, v["verified_name"].as_str(), v["status"].as_str()),
        (StatusCode::CREATED, Some("Ada Lovelace"), Some("approved")),
        "{v}"
    );
    let (_, h) = app.json(get("/api/v1/verified_name/history", &cookie)).await;
    let rows: Vec<(&str, &str)> = h["results"]
        .as_array()
        .expect("rows")
        .iter()
        .map(|r| (r["status"].as_str().unwrap_or_default(), r["cause"].as_str().unwrap_or_default()))
        .collect();
    assert_eq!(rows, [("pending", "requested"), ("approved", "attempt_linked")]);

    // Without an attempt, a learner's name starts pending, whatever it is.
    let (st, v) = app.json(post_name(&cookie, json!({"verified_name": "Anyone Else"}))).await;
    assert_eq!((st, v["status"].as_str()), (StatusCode::CREATED, Some("pending")), "{v}");
    assert_eq!(
        names(&app, &cookie).await,
        [("Anyone Else".to_owned(), "pending".to_owned()), ("Ada Lovelace".to_owned(), "approved".to_owned())]
    );
}
on_both_backends!(a_name_is_only_approved_by_an_attempt_for_that_name, another_name_is_refused);

async fn a_pending_attempt_cannot_lend_its_decision(db: &TestDb) {
    let app = TestApp::new(db).await;
    let s = &app.services;
    let runner = server::reactions::runner(s.clone(), "test");
    let (cookie, _) = learner(&app, "ada", "Ada Lovelace").await;

    // Linking a pending attempt for another name, hoping its approval lands on it later.
    let (id, uuid) = submit_photos(&app, &cookie, "Ada Lovelace").await;
    let (st, v) =
        app.json(post_name(&cookie, json!({"verified_name": "Anyone Else", "verification_attempt_uuid": uuid}))).await;
    assert_eq!(st, StatusCode::BAD_REQUEST, "{v}");
    let actor = Actor::Vendor("test".into());
    lifecycle::apply(s, id, &PhotoOp::MarkSubmit, &actor, "sent").await.expect("submit");
    lifecycle::apply(s, id, &PhotoOp::Approve { reviewer: vendor() }, &actor, "ok").await.expect("approve");
    runner.run_until_idle().await;
    assert!(names(&app, &cookie).await.iter().all(|(n, _)| n != "Anyone Else"));
}
on_both_backends!(a_pending_attempt_for_another_name_is_refused, a_pending_attempt_cannot_lend_its_decision);

async fn a_renamed_attempt_does_not_decide_the_name(db: &TestDb) {
    let app = TestApp::new(db).await;
    let s = &app.services;
    let runner = server::reactions::runner(s.clone(), "test");
    let (cookie, ada) = learner(&app, "ada", "Ada Lovelace").await;

    // A plugin's attempt for "Ada King"; the learner's name links to it (same name).
    let new = generic_attempts::GenericAttempt {
        user: ada,
        name: "Ada King".into(),
        status: "pending".into(),
        expiration: None,
        hide_status_from_user: false,
        vendor: "plugin".into(),
        vendor_reference: "ref-1".into(),
    };
    let g = generic_attempts::create_verification_attempt(s, new, &Actor::System).await.expect("generic");
    let uuid = generic_uuid(&app, g).await;
    let (st, v) =
        app.json(post_name(&cookie, json!({"verified_name": "Ada King", "verification_attempt_uuid": uuid}))).await;
    // Starts pending, then takes the status its attempt for that very name gives it (under review).
    assert_eq!((st, v["status"].as_str()), (StatusCode::CREATED, Some("submitted")), "{v}");
    runner.run_until_idle().await;

    // The attempt is renamed, then approved: it verified "Someone Else", not "Ada King".
    generic_attempts::update_verification_attempt(s, g, Some("Someone Else".into()), None, None, &Actor::System)
        .await
        .expect("rename");
    generic_attempts::update_verification_attempt(s, g, None, Some("approved"), None, &Actor::System)
        .await
        .expect("approve");
    runner.run_until_idle().await;
    assert_eq!(status_of(&app, ada, "Ada King").await.as_deref(), Some("submitted"));

    // An attempt for the very name still moves it (the reaction path works as before).
    name_affirmation::request_verified_name(s, ada, "Ada Byron", None).await.expect("request");
    manual_verifications::create_manual_verification(s, ada, "Ada Byron", "passport seen", None).await.expect("manual");
    runner.run_until_idle().await;
    assert_eq!(status_of(&app, ada, "Ada Byron").await.as_deref(), Some("approved"));
}
on_both_backends!(
    a_linked_name_follows_its_attempt_only_while_the_names_agree,
    a_renamed_attempt_does_not_decide_the_name
);

async fn generic_uuid(app: &TestApp, id: i64) -> String {
    let mut conn = app.services.store.conn().await.expect("conn");
    let (uuid,): (String,) = sqlx::query_as("select uuid from verification_attempt where attempt_id = $1")
        .bind(id)
        .fetch_one(&mut *conn)
        .await
        .expect("uuid");
    uuid
}

async fn status_of(app: &TestApp, user: UserId, name: &str) -> Option<String> {
    name_affirmation::verified_names(&app.services, user)
        .await
        .expect("names")
        .into_iter()
        .find(|n| n.verified_name == name)
        .map(|n| n.status)
}
