//! The vendor plugins through the trait and the generic callback route: Software Secure's
//! plugin delegates to the existing pipeline (submit, signed callback at
//! `/callbacks/software_secure`), and vendors refuse the steps they do not have.

use crate::support::{TestApp, TestDb, data_url, fixture_keys, jpeg_bytes};
use app::{domain::AttemptStatus, dto::SubmitPhotosRequest};
use axum::{
    body::Body,
    http::{Request, StatusCode},
};
use serde_json::{Value, json};
use server::{
    store::{attempts, users},
    vendors::{self, VendorError},
};
use ssencrypt::SignedHeaders;

fn callback(body: &Value, date: &str, secret: &str) -> Request<Body> {
    let keys = fixture_keys();
    let py = ssencrypt::PyValue::from(body);
    let headers = SignedHeaders::from_pairs([("Content-Type", "application/json"), ("Date", date)]);
    let sig =
        ssencrypt::sign_message(secret, &ssencrypt::signing_string("POST", &headers, &py).expect("signing string"));
    Request::post("/callbacks/software_secure")
        .header("content-type", "application/json")
        .header("date", date)
        .header("authorization", ssencrypt::authorization_header(&keys.access_key, &sig))
        .body(Body::from(py.wire_json()))
        .expect("request")
}

async fn software_secure_through_the_plugin(db: &TestDb) {
    let app = TestApp::new(db).await;
    app.login("ada").await;
    let user = {
        let mut conn = app.services.store.conn().await.expect("conn");
        users::by_username(&mut conn, "ada").await.expect("q").expect("user").id
    };
    let photo = data_url("image/jpeg", &jpeg_bytes(100));
    let plugin = vendors::by_name("software_secure").expect("registered");
    let request = SubmitPhotosRequest {
        face_image: photo.clone(),
        photo_id_image: Some(photo),
        full_name: None,
        course_key: None,
    };
    plugin.submit(&app.services, user, request.clone()).await.expect("submitted through the plugin");
    let attempt = {
        let mut conn = app.services.store.conn().await.expect("conn");
        attempts::for_user(&mut conn, user).await.expect("list").remove(0)
    };
    assert_eq!(attempt.status(), AttemptStatus::Ready);

    // The generic route hands the callback to the plugin, which verifies it as before.
    let date = ssencrypt::http_date(app.services.clock.now());
    let body = json!({"EdX-ID": attempt.receipt_id, "Result": "PASS", "Reason": "", "MessageType": "ok"});
    let (s, _) = app.json(callback(&body, &date, "a forged secret")).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    let (s, _, ack) = app.send(callback(&body, &date, &fixture_keys().secret_key)).await;
    assert_eq!((s, ack.as_slice()), (StatusCode::OK, b"OK!".as_slice()));
    let (s, _) = app.json(callback(&body, &date, &fixture_keys().secret_key)).await;
    assert_eq!(s, StatusCode::CONFLICT, "a replayed callback is refused");
    let mut conn = app.services.store.conn().await.expect("conn");
    let after = attempts::by_id(&mut conn, attempt.id).await.expect("q").expect("row");
    assert_eq!(after.status(), AttemptStatus::Approved);
    drop(conn);

    // Vendors whose flow is not Vouch's own take no photos.
    for name in ["hosted", "manual"] {
        let plugin = vendors::by_name(name).expect("registered");
        let err = plugin.submit(&app.services, user, request.clone()).await.expect_err("no submit");
        assert!(matches!(err, VendorError::NotSupported(_)), "{name}: {err:?}");
    }
}
crate::on_both_backends!(software_secure_plugin, software_secure_through_the_plugin);
