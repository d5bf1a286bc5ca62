//! Staff photo tools: who may use them, what they answer, that every use is audited and no
//! refusal is; and the `vouch debug sign` / `debug encrypt` functions against the protocol
//! vectors.

use crate::{
    on_both_backends,
    support::{TestApp, TestDb, data_url, fixture_keys, jpeg_bytes, sfn},
};
use axum::{
    body::Body,
    http::{Request, StatusCode, header},
};
use serde_json::{Value, json};
use server::{
    cli::debug,
    store::{
        attempts::{self, PhotoVerification},
        staff_actions::{self, Action, StaffAction},
        users,
    },
};
use ssencrypt::PyValue;

/// The face photo and the ID photo differ, so a mix-up shows.
fn face() -> Vec<u8> {
    jpeg_bytes(300)
}

fn id_photo() -> Vec<u8> {
    jpeg_bytes(700)
}

/// Ada submits both photos; returns her attempt.
async fn submitted(app: &TestApp) -> PhotoVerification {
    let ada = app.login("ada").await;
    let body = json!({"request": {
        "face_image": data_url("image/jpeg", &face()),
        "photo_id_image": data_url("image/jpeg", &id_photo()),
        "full_name": "Ada Lovelace",
    }});
    let (s, v) = app.json(sfn("submit_photos", Some(&ada), body.to_string())).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let mut conn = app.services.store.conn().await.expect("conn");
    let user = users::by_username(&mut conn, "ada").await.expect("query").expect("ada");
    attempts::for_user(&mut conn, user.id).await.expect("list").remove(0)
}

/// A session for `username`, who is staff already: dev login never signs in a staff
/// account, so the flag is lifted for the sign-in and put back.
async fn staff_again(app: &TestApp, username: &str) -> String {
    let mut conn = app.services.store.conn().await.expect("conn");
    let user = users::by_username(&mut conn, username).await.expect("query").expect("user");
    users::set_staff(&mut conn, user.id, false).await.expect("unset staff");
    drop(conn);
    staff(app, username).await
}

/// Signs `username` in and makes them staff; returns the session cookie.
async fn staff(app: &TestApp, username: &str) -> String {
    let cookie = app.login(username).await;
    let mut conn = app.services.store.conn().await.expect("conn");
    let user = users::by_username(&mut conn, username).await.expect("query").expect("user");
    users::set_staff(&mut conn, user.id, true).await.expect("set staff");
    cookie
}

fn get(path: &str, cookie: Option<&str>) -> Request<Body> {
    let mut b = Request::get(path);
    if let Some(c) = cookie {
        b = b.header(header::COOKIE, c);
    }
    b.body(Body::empty()).expect("request")
}

async fn audit_log(app: &TestApp) -> Vec<StaffAction> {
    let mut conn = app.services.store.conn().await.expect("conn");
    staff_actions::list_recent(&mut conn, 100).await.expect("audit log")
}

/// `path` answers `status` with the JSON error `code`.
async fn refused(app: &TestApp, path: &str, cookie: Option<&str>, status: StatusCode, code: &str) {
    let (s, v) = app.json(get(path, cookie)).await;
    assert_eq!((s, v["error"]["code"].as_str()), (status, Some(code)), "{path}: {v}");
    assert!(v["error"]["message"].is_string(), "{path}: {v}");
}

fn paths(receipt: &str) -> [String; 3] {
    [
        format!("/verify_student/photo-urls/{receipt}"),
        format!("/verify_student/decrypt-idv-images/face/{receipt}"),
        format!("/verify_student/decrypt-idv-images/photo-id/{receipt}"),
    ]
}

async fn photo_urls(db: &TestDb) {
    let (app, base) = TestApp::listening(db, |_| {}).await;
    let attempt = submitted(&app).await;
    let rid = &attempt.receipt_id;
    let learner = app.login("ada").await;
    for path in paths(rid) {
        refused(&app, &path, None, StatusCode::UNAUTHORIZED, "unauthenticated").await;
        refused(&app, &path, Some(&learner), StatusCode::FORBIDDEN, "forbidden").await;
    }
    let grace = staff(&app, "grace").await;
    refused(&app, "/verify_student/photo-urls/no-such-receipt", Some(&grace), StatusCode::NOT_FOUND, "not_found").await;
    assert!(audit_log(&app).await.is_empty(), "refusals are not audited");

    let (s, headers, body) = app.send(get(&format!("/verify_student/photo-urls/{rid}"), Some(&grace))).await;
    assert_eq!(s, StatusCode::OK, "{}", String::from_utf8_lossy(&body));
    assert_eq!(headers[header::CACHE_CONTROL], "no-store");
    let v: Value = serde_json::from_slice(&body).expect("JSON");
    let mut fields: Vec<&str> = v.as_object().expect("object").keys().map(String::as_str).collect();
    fields.sort_unstable();
    assert_eq!(fields, ["EdX-ID", "ExpectedName", "PhotoID", "PhotoIDKey", "UserPhoto", "UserPhotoKey"]);
    assert_eq!(v["EdX-ID"], json!(rid));
    assert_eq!(v["ExpectedName"], "Ada Lovelace");
    assert_eq!(v["PhotoIDKey"], json!(attempt.photo_id_key));
    assert_eq!(v["UserPhotoKey"], json!(attempt.user_photo_key));

    // Each URL expires after the configured lifetime and serves the sealed photo, which the
    // vendor's key opens to the original.
    let expires = app.services.clock.now().timestamp() + app.services.cfg.software_secure.photo_url_ttl_secs;
    let private = ssencrypt::parse_private_key(fixture_keys().private_pem).expect("private key");
    let http = reqwest::Client::new();
    for (field, key_field, object, original) in [
        ("PhotoID", "PhotoIDKey", format!("photo_id/{rid}"), id_photo()),
        ("UserPhoto", "UserPhotoKey", format!("face/{rid}"), face()),
    ] {
        let url = v[field].as_str().expect("URL");
        let prefix = format!("{base}/verify_student/photos/{object}?expires={expires}&signature=");
        assert!(url.starts_with(&prefix), "{field}: {url}");
        let text = http.get(url).send().await.expect("fetch").error_for_status().expect("200").bytes().await;
        let text = text.expect("body");
        assert_eq!(text, app.services.vault.get(&object).await.expect("sealed photo"), "{field}");
        let aes = ssencrypt::unwrap_photo_key(v[key_field].as_str().expect("key"), &private).expect("unwrap");
        assert_eq!(ssencrypt::decode_and_decrypt(&text, &aes).expect("decrypt"), original, "{field}");
    }

    let log = audit_log(&app).await;
    assert_eq!(log.len(), 1, "one use, one row");
    let grace_id = {
        let mut conn = app.services.store.conn().await.expect("conn");
        users::by_username(&mut conn, "grace").await.expect("query").expect("grace").id
    };
    assert_eq!(
        (log[0].staff, log[0].action, log[0].target_kind.as_str(), log[0].target_id.as_str()),
        (grace_id, Action::ViewPhotoUrls, "photo_verification", rid.as_str())
    );
    assert_eq!(log[0].detail, "photo_id,face");
    assert_eq!(log[0].at, app.services.clock.now());
}
on_both_backends!(staff_photo_urls, photo_urls);

async fn decrypt(db: &TestDb) {
    // Off by default, even with the private key configured.
    let app = TestApp::new(db).await;
    let attempt = submitted(&app).await;
    let [_, face_path, id_path] = paths(&attempt.receipt_id);
    let grace = staff(&app, "grace").await;
    for path in [&face_path, &id_path] {
        refused(&app, path, Some(&grace), StatusCode::NOT_FOUND, "not_found").await;
    }
    // Enabled without a private key: still nothing.
    let mut cfg = db.config();
    cfg.software_secure.allow_decrypt = true;
    cfg.software_secure.rsa_private_key = None;
    let app = TestApp::with_config(db, cfg).await;
    let grace = staff_again(&app, "grace").await;
    refused(&app, &face_path, Some(&grace), StatusCode::NOT_FOUND, "not_found").await;
    assert!(audit_log(&app).await.is_empty(), "refusals are not audited");

    let mut cfg = db.config();
    cfg.software_secure.allow_decrypt = true;
    let app = TestApp::with_config(db, cfg).await;
    let (grace, learner) = (staff_again(&app, "grace").await, app.login("ada").await);
    for path in [&face_path, &id_path] {
        refused(&app, path, None, StatusCode::UNAUTHORIZED, "unauthenticated").await;
        refused(&app, path, Some(&learner), StatusCode::FORBIDDEN, "forbidden").await;
    }
    for path in paths("no-such-receipt").iter().skip(1) {
        refused(&app, path, Some(&grace), StatusCode::NOT_FOUND, "not_found").await;
    }
    assert!(audit_log(&app).await.is_empty(), "refusals are not audited");

    for (path, original, detail) in [(&face_path, face(), "face"), (&id_path, id_photo(), "photo_id")] {
        let (s, headers, body) = app.send(get(path, Some(&grace))).await;
        assert_eq!(s, StatusCode::OK, "{path}");
        assert_eq!(headers[header::CONTENT_TYPE], "image/jpeg");
        assert_eq!(headers[header::CACHE_CONTROL], "no-store");
        assert_eq!(body, original, "{path}: the exact original bytes");
        let log = audit_log(&app).await;
        assert_eq!((log[0].action, log[0].detail.as_str()), (Action::DecryptPhoto, detail));
        assert_eq!(log[0].target_id, attempt.receipt_id);
    }
    assert_eq!(audit_log(&app).await.len(), 2);

    // A tampered photo is the same bare 404 as a missing one, and not audited.
    let face_ref = attempt.face_image_ref.clone().expect("face ref");
    app.services.vault.put(&face_ref, b"AAAAAAAAAAAAAAAAAAAAAA==".to_vec()).await.expect("tamper");
    let (s, v) = app.json(get(&face_path, Some(&grace))).await;
    assert_eq!((s, &v), (StatusCode::NOT_FOUND, &json!({"error": {"code": "not_found", "message": "Not found."}})));
    assert_eq!(audit_log(&app).await.len(), 2);
}
on_both_backends!(staff_decrypt, decrypt);

/// The signing vectors' bodies as Python decoded them (big integers included), with the
/// vectors themselves.
fn signing_vectors() -> Vec<(Value, PyValue)> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../ssencrypt/tests/fixtures/ssencrypt.json");
    let text = std::fs::read_to_string(path).expect("fixtures");
    let doc: Value = serde_json::from_str(&text).expect("JSON");
    let Some(PyValue::List(bodies)) = ssencrypt::python::loads(&text).expect("Python JSON").get("signing").cloned()
    else {
        panic!("signing is a list");
    };
    let vectors = doc["signing"].as_array().expect("signing").clone();
    vectors.into_iter().zip(bodies.into_iter().map(|b| b.get("body").expect("body").clone())).collect()
}

#[test]
fn debug_sign_reproduces_the_signing_vectors() {
    let mut checked = 0;
    for (v, body) in signing_vectors() {
        let h = &v["headers"];
        // `debug sign` signs what Vouch sends: Content-Type and Date, nothing else.
        if h.as_object().map(|o| o.len()) != Some(2) || h["Content-Type"] != "application/json" {
            continue;
        }
        let s = |k: &str| v[k].as_str().expect("string field");
        let out = debug::sign(
            body.wire_json().as_bytes(),
            s("method"),
            h["Date"].as_str().expect("date"),
            s("access_key"),
            s("secret_key"),
        )
        .expect("signs");
        assert_eq!(out.signing_string, s("signing_string"), "{}", s("name"));
        assert_eq!(out.authorization, s("authorization"), "{}", s("name"));
        assert_eq!(out.date, h["Date"], "{}", s("name"));
        let text = debug::render_sign(&out);
        assert!(text.contains(&format!("-----\n{}-----\n", s("signing_string"))), "verbatim: {text}");
        checked += 1;
    }
    assert_eq!(checked, 19, "every vector that signs just Content-Type and Date");

    // The full outbound request vector: its body bytes sign to its Authorization header.
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../ssencrypt/tests/fixtures/ssencrypt.json");
    let doc: Value = serde_json::from_slice(&std::fs::read(path).expect("fixtures")).expect("JSON");
    let r = &doc["full_request"];
    let keys = fixture_keys();
    let body = r["body_json_utf8"].as_str().expect("body");
    let out = debug::sign(
        body.as_bytes(),
        "POST",
        r["headers"]["Date"].as_str().expect("date"),
        &keys.access_key,
        &keys.secret_key,
    )
    .expect("signs");
    assert_eq!(out.authorization, r["headers"]["Authorization"]);
}

#[test]
fn debug_sign_refuses_bad_input() {
    let date = "Tue, 15 Nov 1994 08:12:31 GMT";
    for (body, method, date) in [
        ("{not json", "POST", date),
        ("[1, 2]", "POST", date),
        ("{}", "POST", "yesterday"),
        ("{}", "POST", "Tue, 15 Nov 1994 08:12:31 GMT\nX: y"),
        ("{}", "PO ST", date),
        ("{}", "", date),
    ] {
        assert!(debug::sign(body.as_bytes(), method, date, "a", "s").is_err(), "{body} {method} {date:?}");
    }
}

#[test]
fn debug_encrypt_round_trips() {
    let keys = fixture_keys();
    let public = ssencrypt::parse_public_key(&keys.public_pem).expect("public key");
    let private = ssencrypt::parse_private_key(&keys.private_pem).expect("private key");
    let photo = jpeg_bytes(1000);
    let out = debug::encrypt(&photo, None, Some(&public)).expect("encrypts");
    let key = ssencrypt::key_from_hex(&out.key_hex).expect("hex key");
    assert_eq!(key.len(), 32, "a fresh AES-256 key");
    assert_eq!(ssencrypt::decode_and_decrypt(&out.encoded, &key).expect("decrypts"), photo);
    let (id_key, face_key) = (out.photo_id_key.clone().expect("PhotoIDKey"), out.user_photo_key.clone().expect("key"));
    assert_eq!((id_key.len(), face_key.len()), (349, 344), "the two field forms");
    assert_eq!(ssencrypt::unwrap_photo_key(&id_key, &private).expect("unwrap"), key);
    assert_eq!(ssencrypt::unwrap_photo_key(&face_key, &private).expect("unwrap"), key);
    assert_ne!(debug::encrypt(&photo, None, None).expect("encrypts").key_hex, out.key_hex, "random keys");

    // A given key (AES-128 here) is used as is: the output is Open edX's encrypt_and_encode.
    let hex = "f824f4c6c9cd5f1a2d7e7c8d3b1e8292";
    let given = debug::encrypt(&photo, Some(hex), None).expect("encrypts");
    let expected = ssencrypt::encrypt_and_encode(&photo, &ssencrypt::key_from_hex(hex).expect("hex")).expect("encrypt");
    assert_eq!((given.key_hex.as_str(), given.encoded.as_str()), (hex, expected.as_str()));
    assert_eq!((&given.photo_id_key, &given.user_photo_key), (&None, &None), "no vendor key, nothing wrapped");
    let json: Value = serde_json::from_str(&debug::render_encrypt_json(&given, None)).expect("JSON");
    assert_eq!(json["encoded"], json!(expected));
    for bad in ["zz", "abc", "00ff", ""] {
        assert!(debug::encrypt(&photo, Some(bad), None).is_err(), "{bad:?}");
    }
}
