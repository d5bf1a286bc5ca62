//! What support tools and learners are told about attempts (issue 15, items 2 and 16):
//! `receipt_id` in the accounts API and in `/api/v1/users/{u}/attempts` is the receipt id
//! the vendor, the photo URLs and the decrypt endpoints use (never the attempt's uuid); and
//! a generic attempt a plugin hid from the learner (`hide_status_from_user`) is hidden from
//! them by Open edX's `/verify_student/status/` and accounts endpoints as by `/api/v1`.

use crate::{
    lifecycle_events::{learner, submit_photos},
    on_both_backends,
    support::{TestApp, TestDb},
};
use axum::{
    body::Body,
    http::{Request, StatusCode, header},
};
use serde_json::Value;
use server::{
    service::{generic_attempts, manual_verifications},
    store::{transitions::Actor, users},
};

fn get(path: &str, cookie: &str) -> Request<Body> {
    Request::get(path).header(header::COOKIE, cookie).body(Body::empty()).expect("request")
}

async fn make_staff(app: &TestApp, username: &str) -> String {
    let cookie = app.login(username).await;
    let mut conn = app.services.store.conn().await.expect("conn");
    let user = users::by_username(&mut conn, username).await.expect("q").expect("user");
    users::set_staff(&mut conn, user.id, true).await.expect("staff");
    cookie
}

async fn receipt_ids_are_the_vendors(db: &TestDb) {
    let mut cfg = db.config();
    cfg.software_secure.allow_decrypt = true;
    let app = TestApp::with_config(db, cfg).await;
    let (cookie, _) = learner(&app, "ada", "Ada Lovelace").await;
    let (id, uuid) = submit_photos(&app, &cookie, "Ada Lovelace").await;
    let receipt = {
        let mut conn = app.services.store.conn().await.expect("conn");
        server::store::attempts::by_id(&mut conn, id).await.expect("q").expect("attempt").receipt_id
    };
    assert_ne!(receipt, uuid);

    let (st, v) = app.json(get("/api/user/v1/accounts/ada/verifications/", &cookie)).await;
    assert_eq!(st, StatusCode::OK, "{v}");
    assert_eq!(v[0]["receipt_id"].as_str(), Some(receipt.as_str()), "{v}");
    let (st, v) = app.json(get("/api/v1/users/ada/attempts", &cookie)).await;
    assert_eq!(st, StatusCode::OK, "{v}");
    let first = &v["results"][0];
    assert_eq!(
        (first["uuid"].as_str(), first["receipt_id"].as_str()),
        (Some(uuid.as_str()), Some(receipt.as_str())),
        "{v}"
    );

    // Support, given that id, reaches the photos: the photo URLs and the decrypted photos.
    let grace = make_staff(&app, "grace").await;
    let (st, urls) = app.json(get(&format!("/verify_student/photo-urls/{receipt}"), &grace)).await;
    assert_eq!(st, StatusCode::OK, "{urls}");
    for kind in ["face", "photo-id"] {
        let (st, headers, body) =
            app.send(get(&format!("/verify_student/decrypt-idv-images/{kind}/{receipt}"), &grace)).await;
        assert_eq!(st, StatusCode::OK, "{kind}: {}", String::from_utf8_lossy(&body));
        assert_eq!(headers[header::CACHE_CONTROL], "no-store");
        assert_eq!(headers[header::CONTENT_TYPE], "image/jpeg");
        assert!(body.starts_with(&[0xFF, 0xD8]), "{kind} is the JPEG");
    }
}
on_both_backends!(receipt_ids_given_to_support_open_the_photos, receipt_ids_are_the_vendors);

async fn hidden_attempts_stay_hidden(db: &TestDb) {
    let app = TestApp::new(db).await;
    let s = &app.services;
    let (cookie, ada) = learner(&app, "ada", "Ada Lovelace").await;
    // A plugin's attempt the learner is not to see: denied, newest.
    let hidden = generic_attempts::GenericAttempt {
        user: ada,
        name: "Ada Lovelace".into(),
        status: "denied".into(),
        expiration: None,
        hide_status_from_user: true,
        vendor: "plugin".into(),
        vendor_reference: "internal-1".into(),
    };
    generic_attempts::create_verification_attempt(s, hidden, &Actor::System).await.expect("hidden");

    // Nothing else: the learner is told they have no verification, everywhere.
    let (st, v) = app.json(get("/verify_student/status/", &cookie)).await;
    assert_eq!(
        (st, v["status"].as_str(), v["can_verify"].as_bool()),
        (StatusCode::OK, Some("none"), Some(true)),
        "{v}"
    );
    for path in ["/api/user/v1/accounts/ada/verification_status/", "/api/user/v1/accounts/ada/verifications/"] {
        let (st, v) = app.json(get(path, &cookie)).await;
        assert_eq!(st, StatusCode::NOT_FOUND, "{path}: {v}");
    }
    let (_, v) = app.json(get("/api/v1/users/ada/attempts", &cookie)).await;
    assert_eq!(v["results"].as_array().map(Vec::len), Some(0), "{v}");

    // With a visible attempt beside it, the learner sees that one only.
    manual_verifications::create_manual_verification(s, ada, "Ada Lovelace", "checked", None).await.expect("manual");
    let (_, v) = app.json(get("/api/user/v1/accounts/ada/verifications/", &cookie)).await;
    let kinds: Vec<&str> = v.as_array().expect("list").iter().filter_map(|d| d["type"].as_str()).collect();
    assert_eq!(kinds, ["Manual"], "{v}");
    let (_, v) = app.json(get("/api/user/v1/accounts/ada/verification_status/", &cookie)).await;
    assert_eq!((v["status"].as_str(), v["is_verified"].as_bool()), (Some("approved"), Some(true)), "{v}");
    let (_, v) = app.json(get("/verify_student/status/", &cookie)).await;
    assert_eq!(v["status"].as_str(), Some("approved"), "{v}");

    // Staff see every record.
    let grace = make_staff(&app, "grace").await;
    let (_, v): (StatusCode, Value) = app.json(get("/api/user/v1/accounts/ada/verifications/", &grace)).await;
    let mut kinds: Vec<&str> = v.as_array().expect("list").iter().filter_map(|d| d["type"].as_str()).collect();
    kinds.sort_unstable();
    assert_eq!(kinds, ["Generic", "Manual"], "{v}");
}
on_both_backends!(hide_status_from_user_is_honoured_by_the_open_edx_endpoints, hidden_attempts_stay_hidden);
