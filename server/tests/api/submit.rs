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
    let private = ssencrypt::parse_private_key(crate::support::fixture_keys().private_pem).expect("key");
    let aes_key = ssencrypt::unwrap_photo_key(&mine[0].user_photo_key, &private).expect("unwrap");
    assert_eq!(ssencrypt::decode_and_decrypt(&stored, &aes_key).expect("decrypt"), jpeg_bytes(100));
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

/// The reverification the SPA runs: `flow_info` says whether an approved ID photo is on
/// file; once it is, a submission without an ID photo reuses it, and the corrected name
/// becomes the account's name. Before the approval the same submission is refused.
async fn reverification_reuses_the_approved_id_photo(db: &TestDb) {
    use app::domain::photo_lifecycle::{PhotoOp, Reviewer};
    use server::{service::lifecycle, store::transitions::Actor};

    let app = TestApp::new(db).await;
    let ada = app.login("ada").await;
    let (s, info) = app.json(sfn("flow_info", Some(&ada), String::new())).await;
    assert_eq!(s, StatusCode::OK, "{info}");
    assert_eq!(info["id_photo_on_file"], json!(false));
    assert_eq!(info["username"], "ada");
    assert_eq!(info["max_photo_bytes"], json!(app.services.cfg.server.max_photo_bytes));
    let face = data_url("image/jpeg", &jpeg_bytes(100));
    let without_id = json!({"request": {"face_image": face, "photo_id_image": null, "full_name": "Ada Lovelace"}});

    // Nothing to reuse yet: refused, nothing stored.
    let (s, v) = app.json(sfn("submit_photos", Some(&ada), without_id.to_string())).await;
    assert_eq!((s, &v["error"]["code"]), (StatusCode::BAD_REQUEST, &json!("invalid_image")), "{v}");
    assert_eq!(attempts(&app).await, 0);

    let first = json!({"request": {"face_image": face, "photo_id_image": face, "full_name": " Ada Lovelace "}});
    let (s, v) = app.json(sfn("submit_photos", Some(&ada), first.to_string())).await;
    assert_eq!((s, &v["status"]), (StatusCode::OK, &json!("pending")), "{v}");
    let (_, info) = app.json(sfn("flow_info", Some(&ada), String::new())).await;
    assert_eq!(info["full_name"], "Ada Lovelace", "the name as on the ID became the account's");
    assert_eq!(info["id_photo_on_file"], json!(false), "not approved yet");

    let mut conn = app.services.store.conn().await.expect("conn");
    let user = server::store::users::by_username(&mut conn, "ada").await.expect("q").expect("ada");
    let first_id = server::store::attempts::for_user(&mut conn, user.id).await.expect("list")[0].clone();
    drop(conn);
    let vendor = Actor::Vendor("SoftwareSecure".into());
    lifecycle::apply(&app.services, first_id.id, &PhotoOp::MarkSubmit, &vendor, "").await.expect("submitted");
    let approve = PhotoOp::Approve { reviewer: Reviewer { user: None, service: "SoftwareSecure".into() } };
    lifecycle::apply(&app.services, first_id.id, &approve, &vendor, "").await.expect("approved");

    let (_, info) = app.json(sfn("flow_info", Some(&ada), String::new())).await;
    assert_eq!(info["id_photo_on_file"], json!(true));
    // Another learner has nothing on file.
    let bob = app.login("bob").await;
    let (_, info) = app.json(sfn("flow_info", Some(&bob), String::new())).await;
    assert_eq!(info["id_photo_on_file"], json!(false));

    // Verifying again is allowed once the approval is within the expiring-soon window
    // (can_verify_now); the approval still decides the status meanwhile.
    app.clock.advance(chrono::Duration::days(365 - 20));
    let (s, v) = app.json(sfn("submit_photos", Some(&ada), without_id.to_string())).await;
    assert_eq!((s, &v["status"]), (StatusCode::OK, &json!("approved")), "{v}");
    let mut conn = app.services.store.conn().await.expect("conn");
    let mine = server::store::attempts::for_user(&mut conn, user.id).await.expect("list");
    assert_eq!(mine.len(), 2);
    let newest = mine.iter().find(|a| a.id != first_id.id).expect("the new attempt");
    assert_eq!(newest.copy_id_photo_from, Some(first_id.id));
    assert_eq!(newest.photo_id_image_ref, first_id.photo_id_image_ref, "the approved ID photo is reused");
    assert_eq!(newest.status(), AttemptStatus::Ready);

    // Without a session: refused like every server function.
    let (s, v) = app.json(sfn("flow_info", None, String::new())).await;
    assert_eq!((s, &v["error"]["code"]), (StatusCode::UNAUTHORIZED, &json!("unauthenticated")));
}
on_both_backends!(submit_reverification, reverification_reuses_the_approved_id_photo);

/// `/verify_student/reverify` (Open edX's link) lands in the SPA's reverification flow.
async fn reverify_link_redirects_to_the_flow(db: &TestDb) {
    use axum::{body::Body, http::Request};
    let app = TestApp::new(db).await;
    let (s, headers, _) = app.send(Request::get("/verify_student/reverify").body(Body::empty()).expect("req")).await;
    assert!(s.is_redirection(), "{s}");
    assert_eq!(headers.get("location").and_then(|v| v.to_str().ok()), Some("/id-verification/reverify"));
}
on_both_backends!(reverify_link, reverify_link_redirects_to_the_flow);
