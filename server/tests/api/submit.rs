//! Submitting photos through the server function the SPA uses: the good path, and bad
//! input that must get a 4xx JSON error and change nothing.

use crate::{
    on_both_backends,
    support::{TestApp, TestDb, data_url, jpeg_bytes, sfn},
};
use app::domain::AttemptStatus;
use axum::http::StatusCode;
use serde_json::json;

fn body(face: &str) -> String {
    json!({"request": {"face_image": face, "photo_id_image": face, "full_name": null}}).to_string()
}

async fn attempts(app: &TestApp) -> i64 {
    let mut conn = app.services.store.conn().await.expect("conn");
    server::store::attempts::count(&mut conn).await.expect("count")
}

async fn good_path(db: &TestDb) {
    let app = TestApp::new(db).await;
    let ada = app.login("ada").await;
    let (s, v) = app.json(sfn("verification_status", Some(&ada), String::new())).await;
    assert_eq!((s, &v["status"]), (StatusCode::OK, &json!("none")));

    let (s, v) = app.json(sfn("submit_photos", Some(&ada), body(&data_url("image/jpeg", &jpeg_bytes(100))))).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["status"], "pending");

    let mut conn = app.services.store.conn().await.expect("conn");
    let user = server::store::users::by_username(&mut conn, "ada").await.expect("q").expect("ada");
    let mine = server::store::attempts::for_user(&mut conn, user.id).await.expect("list");
    assert_eq!(mine.len(), 1);
    assert_eq!(mine[0].status(), AttemptStatus::Ready);
    assert_eq!(mine[0].name, "ada", "the account name stands in when no name is given");
    // The photo is in the vault under the attempt's key.
    let key = mine[0].face_image_ref.clone().expect("face ref");
    // Stored sealed: the vault holds encrypted text that decrypts, with the vendor's key, to the photo.
    let stored = app.services.vault.get(&key).await.expect("stored");
    let private = server::crypto::parse_private_key(crate::support::fixture_keys().private_pem).expect("key");
    let aes_key = server::crypto::unwrap_photo_key(&mine[0].user_photo_key, &private).expect("unwrap");
    assert_eq!(server::crypto::decode_and_decrypt(&stored, &aes_key).expect("decrypt"), jpeg_bytes(100));
    assert_eq!(db.photo_files().len(), 2, "face and ID photo");
    crate::support::assert_no_plaintext_photos(db);

    // Another learner sees none of it.
    let bob = app.login("bob").await;
    let (s, v) = app.json(sfn("verification_status", Some(&bob), String::new())).await;
    assert_eq!((s, &v["status"]), (StatusCode::OK, &json!("none")));
}
on_both_backends!(submit_good_path, good_path);

async fn bad_input_changes_nothing(db: &TestDb) {
    let mut cfg = db.config();
    cfg.server.max_photo_bytes = 10_000;
    let app = TestApp::with_config(db, cfg).await;
    let ada = app.login("ada").await;
    let jpeg = data_url("image/jpeg", &jpeg_bytes(100));

    let cases: Vec<(&str, Option<&str>, String, StatusCode, &str)> = vec![
        ("no session", None, body(&jpeg), StatusCode::UNAUTHORIZED, "unauthenticated"),
        (
            "not an image",
            Some(&ada),
            body(&data_url("image/jpeg", b"hello world")),
            StatusCode::BAD_REQUEST,
            "invalid_image",
        ),
        (
            "a PNG label on text",
            Some(&ada),
            body(&data_url("image/png", b"\x89PNG but not")),
            StatusCode::BAD_REQUEST,
            "invalid_image",
        ),
        ("not a data URL", Some(&ada), body("https://example.com/me.jpg"), StatusCode::BAD_REQUEST, "invalid_image"),
        ("broken base64", Some(&ada), body("data:image/jpeg;base64,@@@@"), StatusCode::BAD_REQUEST, "invalid_image"),
        (
            "photo over the limit",
            Some(&ada),
            body(&data_url("image/jpeg", &jpeg_bytes(20_000))),
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
        ),
        (
            "body over the limit",
            Some(&ada),
            body(&data_url("image/jpeg", &jpeg_bytes(200_000))),
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
        ),
        ("broken JSON", Some(&ada), "{\"request\":".to_owned(), StatusCode::BAD_REQUEST, "invalid_request"),
        ("missing field", Some(&ada), json!({"request": {}}).to_string(), StatusCode::BAD_REQUEST, "invalid_request"),
        (
            "empty name",
            Some(&ada),
            json!({"request": {"face_image": jpeg, "photo_id_image": null, "full_name": "  "}}).to_string(),
            StatusCode::BAD_REQUEST,
            "invalid_request",
        ),
        ("forged cookie", Some("vouch_session=forged"), body(&jpeg), StatusCode::UNAUTHORIZED, "unauthenticated"),
    ];
    for (what, cookie, payload, status, code) in cases {
        let (s, v) = app.json(sfn("submit_photos", cookie, payload)).await;
        assert_eq!(s, status, "{what}: {v}");
        assert_eq!(v["error"]["code"], code, "{what}: {v}");
        assert!(v["error"]["message"].as_str().is_some_and(|m| !m.is_empty()), "{what}");
        assert_eq!(attempts(&app).await, 0, "{what} created an attempt");
        assert!(db.photo_files().is_empty(), "{what} left a photo behind");
    }

    let (s, v) = app.json(sfn("no_such_function", Some(&ada), String::new())).await;
    assert_eq!((s, &v["error"]["code"]), (StatusCode::NOT_FOUND, &json!("not_found")));
}
on_both_backends!(submit_bad_input, bad_input_changes_nothing);
