//! The bad-input corpus: malformed requests against every public endpoint, one table row
//! each. Every case must get its stated 4xx with the JSON error envelope, and leave the
//! database (every table, row for row) and the photo store (every file, byte for byte)
//! exactly as they were.

use crate::{
    lti_support::{LAUNCH_PATH, SECRET, add_consumer, unsigned_launch_params},
    on_both_backends,
    support::{TestApp, TestDb, data_url, jpeg_bytes, sfn},
};
use axum::{
    body::Body,
    http::{Request, StatusCode, header, request::Builder},
};
use base64::Engine;
use serde_json::{Value, json};
use server::lti::oauth;
use sha2::{Digest, Sha256};

const BASE: &str = "http://127.0.0.1:8000";
const HOSTED_SECRET: &str = "bad-input-hosted-webhook-secret";
const JWT_SECRET: &str = "bad-input-lms-jwt-secret";

/// Every table of the database with a digest of its rows (sorted, so row order does not
/// matter), and every file of the photo store with a digest of its bytes.
#[derive(Debug, PartialEq, Eq)]
pub struct Snapshot {
    tables: Vec<(String, usize, String)>,
    photos: Vec<(String, String)>,
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// One cell as text, whatever its type (sqlx's `Any` rows decode integers, floats, text or
/// bytes; a NULL is "∅").
fn cell(row: &sqlx::any::AnyRow, i: usize) -> String {
    use sqlx::Row;
    if let Ok(v) = row.try_get::<Option<i64>, _>(i) {
        return v.map_or_else(|| "∅".to_owned(), |v| v.to_string());
    }
    if let Ok(v) = row.try_get::<Option<String>, _>(i) {
        return v.map_or_else(|| "∅".to_owned(), |v| format!("{v:?}"));
    }
    if let Ok(v) = row.try_get::<Option<f64>, _>(i) {
        return v.map_or_else(|| "∅".to_owned(), |v| v.to_string());
    }
    if let Ok(v) = row.try_get::<Option<Vec<u8>>, _>(i) {
        return v.map_or_else(|| "∅".to_owned(), |v| hex(&v));
    }
    if let Ok(v) = row.try_get::<Option<bool>, _>(i) {
        return v.map_or_else(|| "∅".to_owned(), |v| v.to_string());
    }
    panic!("column {i} of a row has a type this snapshot cannot read")
}

/// The state a refused request must not change.
pub async fn snapshot(db: &TestDb) -> Snapshot {
    let mut conn = db.store.conn().await.expect("conn");
    let list = if db.url.starts_with("sqlite") {
        "select name from sqlite_master where type = 'table' and name not like 'sqlite_%' order by name"
    } else {
        "select tablename::text from pg_tables where schemaname = 'public' order by tablename"
    };
    let names: Vec<(String,)> = sqlx::query_as(list).fetch_all(&mut *conn).await.expect("tables");
    let mut tables = Vec::new();
    // sqlx's own bookkeeping has types the `Any` driver cannot read, and no request writes it.
    for (name,) in names.into_iter().filter(|(n,)| n != "_sqlx_migrations") {
        // Casting every column to text would need each dialect's syntax; read them as values.
        let rows = sqlx::query(&format!("select * from {name}")).fetch_all(&mut *conn).await.expect("rows");
        let mut lines: Vec<String> = rows
            .iter()
            .map(|r| {
                use sqlx::Row;
                (0..r.len()).map(|i| cell(r, i)).collect::<Vec<_>>().join("|")
            })
            .collect();
        lines.sort();
        let digest = hex(&Sha256::digest(lines.join("\n").as_bytes()));
        tables.push((name, lines.len(), digest));
    }
    let mut photos: Vec<(String, String)> = db
        .photo_files()
        .into_iter()
        .map(|p| {
            let bytes = std::fs::read(&p).expect("photo file");
            (p.display().to_string(), hex(&Sha256::digest(&bytes)))
        })
        .collect();
    photos.sort();
    Snapshot { tables, photos }
}

/// One malformed request, the status it must get, and the error code when it is more
/// specific than the status's own (e.g. `invalid_image` for a 400).
struct Case {
    name: &'static str,
    req: Request<Body>,
    status: u16,
    code: Option<&'static str>,
}

fn case(name: &'static str, status: u16, req: Request<Body>) -> Case {
    Case { name, req, status, code: None }
}

/// A refused denial: 400 `invalid_reasons`.
fn reasons_case(name: &'static str, req: Request<Body>) -> Case {
    Case { name, req, status: 400, code: Some("invalid_reasons") }
}

/// A refused photo upload: 400 `invalid_image`.
fn image_case(name: &'static str, req: Request<Body>) -> Case {
    Case { name, req, status: 400, code: Some("invalid_image") }
}

fn at(method: &str, uri: &str) -> Builder {
    Request::builder().method(method).uri(uri)
}

fn as_user(b: Builder, cookie: &str) -> Builder {
    b.header(header::COOKIE, cookie)
}

fn empty(b: Builder) -> Request<Body> {
    b.body(Body::empty()).expect("request")
}

fn with_json(b: Builder, body: impl Into<String>) -> Request<Body> {
    b.header(header::CONTENT_TYPE, "application/json").body(Body::from(body.into())).expect("request")
}

fn with_form(b: Builder, body: impl Into<String>) -> Request<Body> {
    b.header(header::CONTENT_TYPE, "application/x-www-form-urlencoded").body(Body::from(body.into())).expect("request")
}

fn with_type(b: Builder, content_type: &str, body: impl Into<Body>) -> Request<Body> {
    b.header(header::CONTENT_TYPE, content_type).body(body.into()).expect("request")
}

fn enc(s: &str) -> String {
    percent_encoding::utf8_percent_encode(s, percent_encoding::NON_ALPHANUMERIC).to_string()
}

/// A server-function body submitting `face` as both photos with `name`.
fn sfn_submit(face: &str, name: Value) -> String {
    json!({"request": {"face_image": face, "photo_id_image": face, "full_name": name}}).to_string()
}

/// A REST form submitting `face` as both photos.
fn form_submit(face: &str, name: &str) -> String {
    format!("face_image={}&photo_id_image={}&full_name={}", enc(face), enc(face), enc(name))
}

/// The launch parameters of a well-formed launch, before signing.
fn launch_params() -> Vec<(String, String)> {
    unsigned_launch_params("idv-requirement-1", "bad-input-user")
}

/// Signs `params` (with a fresh timestamp and nonce unless given) with `secret`, applies
/// `edit` after signing, and encodes the form.
fn launch_form(secret: &str, edit: impl FnOnce(&mut Vec<(String, String)>)) -> String {
    let mut params = launch_params();
    params.push(("oauth_timestamp".into(), chrono::Utc::now().timestamp().to_string()));
    params.push(("oauth_nonce".into(), uuid::Uuid::new_v4().simple().to_string()));
    let base = oauth::base_string("POST", &format!("{BASE}{LAUNCH_PATH}"), &params);
    params.push(("oauth_signature".into(), oauth::sign(secret, &base)));
    edit(&mut params);
    params.iter().map(|(k, v)| format!("{}={}", oauth::encode(k), oauth::encode(v))).collect::<Vec<_>>().join("&")
}

/// A launch whose parameters are edited before signing (a genuine launch carrying bad values).
fn signed_launch_with(edit: impl FnOnce(&mut Vec<(String, String)>)) -> String {
    let mut params = launch_params();
    params.push(("oauth_timestamp".into(), chrono::Utc::now().timestamp().to_string()));
    params.push(("oauth_nonce".into(), uuid::Uuid::new_v4().simple().to_string()));
    edit(&mut params);
    let base = oauth::base_string("POST", &format!("{BASE}{LAUNCH_PATH}"), &params);
    params.push(("oauth_signature".into(), oauth::sign(SECRET, &base)));
    params.iter().map(|(k, v)| format!("{}={}", oauth::encode(k), oauth::encode(v))).collect::<Vec<_>>().join("&")
}

/// Software Secure's callback with `body`, signed with the fixture keys.
pub(crate) fn signed_callback(body: &Value) -> Request<Body> {
    let keys = crate::support::fixture_keys();
    let py = ssencrypt::PyValue::from(body);
    let date = ssencrypt::http_date(chrono::Utc::now());
    let headers = ssencrypt::SignedHeaders::from_pairs([("Content-Type", "application/json"), ("Date", date.as_str())]);
    let message = ssencrypt::signing_string("POST", &headers, &py).expect("signing string");
    let sig = ssencrypt::sign_message(&keys.secret_key, &message);
    Request::post("/verify_student/results_callback")
        .header(header::CONTENT_TYPE, "application/json")
        .header(header::DATE, date)
        .header(header::AUTHORIZATION, ssencrypt::authorization_header(&keys.access_key, &sig))
        .body(Body::from(py.wire_json()))
        .expect("request")
}

/// The hosted vendor's webhook with `body`, signed.
fn signed_webhook(body: &Value) -> Request<Body> {
    signed_webhook_text(&body.to_string())
}

/// The hosted vendor's webhook with the raw `text`, signed.
fn signed_webhook_text(text: &str) -> Request<Body> {
    let text = text.to_owned();
    let sig =
        ssencrypt::webhook_signature::sign(HOSTED_SECRET.as_bytes(), chrono::Utc::now().timestamp(), text.as_bytes());
    Request::post("/callbacks/hosted")
        .header(header::CONTENT_TYPE, "application/json")
        .header(ssencrypt::webhook_signature::HEADER, sig)
        .body(Body::from(text))
        .expect("request")
}

/// An LMS JWT (HS256) with `claims`.
fn lms_jwt(claims: Value) -> String {
    jsonwebtoken::encode(
        &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
        &claims,
        &jsonwebtoken::EncodingKey::from_secret(JWT_SECRET.as_bytes()),
    )
    .expect("token")
}

fn set(params: &mut Vec<(String, String)>, name: &str, value: &str) {
    params.retain(|(k, _)| k != name);
    params.push((name.to_owned(), value.to_owned()));
}

/// An unsigned JWT (`alg: none`) claiming to be staff.
fn alg_none_jwt() -> String {
    let b64 = |v: Value| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v.to_string());
    let exp = chrono::Utc::now().timestamp() + 600;
    format!(
        "{}.{}.",
        b64(json!({"alg": "none", "typ": "JWT"})),
        b64(json!({"user_id": 1, "preferred_username": "root", "administrator": true, "exp": exp}))
    )
}

const SQL: &str = "ada'; drop table app_user; --";
const SCRIPT: &str = "<script>alert(1)</script>";

async fn corpus(db: &TestDb) {
    let mut cfg = db.config();
    cfg.server.public_url = BASE.into();
    cfg.server.max_photo_bytes = 20_000;
    // The corpus sends many refused submissions; the per-learner limit is not under test here.
    cfg.limits.submit_per_user_per_minute = 10_000;
    cfg.idv.hosted_webhook_secret = Some(HOSTED_SECRET.to_owned().into());
    cfg.auth.jwt_secret = Some(JWT_SECRET.to_owned().into());
    let app = TestApp::with_config(db, cfg).await;
    add_consumer(&db.store).await;
    let ada = app.login("ada").await;
    let bob = app.login("bob").await;
    let root = app.login("root").await;
    {
        let mut conn = db.store.conn().await.expect("conn");
        let user = server::store::users::by_username(&mut conn, "root").await.expect("q").expect("root");
        server::store::users::set_staff(&mut conn, user.id, true).await.expect("staff");
    }
    // Ada has a submitted attempt, so the photo store holds her sealed photos.
    let jpeg = data_url("image/jpeg", &jpeg_bytes(500));
    let (s, v) = app.json(sfn("submit_photos", Some(&ada), sfn_submit(&jpeg, Value::Null))).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let receipt: String = {
        let mut conn = db.store.conn().await.expect("conn");
        let user = server::store::users::by_username(&mut conn, "ada").await.expect("q").expect("ada");
        server::store::attempts::for_user(&mut conn, user.id).await.expect("attempts")[0].receipt_id.clone()
    };
    assert_eq!(db.photo_files().len(), 2);

    let not_an_image = data_url("image/jpeg", b"GIF89a this is not a jpeg at all");
    let png_claimed_text = data_url("image/png", "plain text, not a PNG".as_bytes());
    let too_big = data_url("image/jpeg", &jpeg_bytes(30_000));
    let huge_name = "N".repeat(100_000);
    let combining = format!("A{}", "\u{0301}".repeat(5_000));
    let signed_callback_body =
        json!({"EdX-ID": receipt, "Result": "PASS", "Reason": "", "MessageType": ""}).to_string();
    let big = "x".repeat(3 * 1024 * 1024);

    let cases = vec![
        // ---- server functions (/sfn/*), the SPA's API ----
        case("sfn: unknown function", 404, with_json(as_user(at("POST", "/sfn/drop_everything"), &ada), "{}")),
        case("sfn: path traversal in the name", 404, with_json(as_user(at("POST", "/sfn/..%2f..%2fetc%2fpasswd"), &ada), "{}")),
        case("sfn: GET", 405, empty(as_user(at("GET", "/sfn/submit_photos"), &ada))),
        case("sfn: anonymous submission", 401, sfn("submit_photos", None, sfn_submit(&jpeg, Value::Null))),
        case("sfn: broken JSON", 400, sfn("submit_photos", Some(&ada), "{\"request\": {\"face_image\": ".into())),
        case("sfn: JSON of the wrong shape", 400, sfn("submit_photos", Some(&ada), "[1, 2, 3]".into())),
        case("sfn: lone surrogate escaped in JSON", 400, sfn("submit_photos", Some(&ada),
            r#"{"request": {"face_image": "\ud800", "photo_id_image": "\udfff", "full_name": null}}"#.into())),
        image_case("sfn: broken base64", sfn("submit_photos", Some(&ada), sfn_submit("data:image/jpeg;base64,!!!*not base64*", Value::Null))),
        image_case("sfn: not a data URL", sfn("submit_photos", Some(&ada), sfn_submit("http://evil.example/a.jpg", Value::Null))),
        image_case("sfn: an image that is not an image", sfn("submit_photos", Some(&ada), sfn_submit(&not_an_image, Value::Null))),
        image_case("sfn: text declared as PNG", sfn("submit_photos", Some(&ada), sfn_submit(&png_claimed_text, Value::Null))),
        case("sfn: photo over the size limit", 413, sfn("submit_photos", Some(&ada), sfn_submit(&too_big, Value::Null))),
        image_case("sfn: empty data URL", sfn("submit_photos", Some(&ada), sfn_submit("data:image/jpeg;base64,", Value::Null))),
        image_case("sfn: huge name with a bad photo", sfn("submit_photos", Some(&ada), sfn_submit(&not_an_image, json!(huge_name)))),
        image_case("sfn: NUL in the name with a bad photo", sfn("submit_photos", Some(&ada), sfn_submit(&not_an_image, json!("Ada\u{0}Lovelace")))),
        case("sfn: NUL in the name, good photos", 400, sfn("submit_photos", Some(&ada), sfn_submit(&jpeg, json!("Ada\u{0}Lovelace")))),
        case("sfn: escape sequence in the name, good photos", 400, sfn("submit_photos", Some(&ada), sfn_submit(&jpeg, json!("Ada\u{1b}[2J")))),
        case("sfn: name of 256 characters, good photos", 400, sfn("submit_photos", Some(&ada), sfn_submit(&jpeg, json!("é".repeat(256))))),
        case("sfn: blank name, good photos", 400, sfn("submit_photos", Some(&ada), sfn_submit(&jpeg, json!(" \t ")))),
        case("sfn: body over the limit", 413, sfn("submit_photos", Some(&ada), big.clone())),
        case("sfn: wrong content type", 415, with_type(as_user(at("POST", "/sfn/submit_photos"), &ada), "application/xml", "<photos/>")),
        // ---- Open edX REST: submit-photos ----
        case("submit-photos: anonymous", 401, with_form(at("POST", "/verify_student/submit-photos/"), form_submit(&jpeg, "Ada"))),
        case("submit-photos: GET", 405, empty(as_user(at("GET", "/verify_student/submit-photos/"), &ada))),
        case("submit-photos: XML content type", 415, with_type(as_user(at("POST", "/verify_student/submit-photos/"), &ada), "application/xml", "<x/>")),
        case("submit-photos: JSON instead of a form", 415, with_json(as_user(at("POST", "/verify_student/submit-photos/"), &ada), "{\"face_image\": 1}")),
        image_case("submit-photos: missing photo_id_image", with_form(as_user(at("POST", "/verify_student/submit-photos/"), &ada), format!("face_image={}", enc(&jpeg)))),
        image_case("submit-photos: broken percent-encoding", with_form(as_user(at("POST", "/verify_student/submit-photos/"), &ada), "face_image=%zz%&photo_id_image=%")),
        image_case("submit-photos: broken base64", with_form(as_user(at("POST", "/verify_student/submit-photos/"), &ada), form_submit("data:image/jpeg;base64,@@@@", "Ada"))),
        image_case("submit-photos: not an image", with_form(as_user(at("POST", "/verify_student/submit-photos/"), &ada), form_submit(&not_an_image, "Ada"))),
        image_case("submit-photos: SQL in the name, bad photo", with_form(as_user(at("POST", "/verify_student/submit-photos/"), &ada), form_submit(&not_an_image, SQL))),
        case("submit-photos: NUL in the name, good photos", 400, with_form(as_user(at("POST", "/verify_student/submit-photos/"), &ada), form_submit(&jpeg, "Ada\u{0}"))),
        case("submit-photos: body over the limit", 413, with_form(as_user(at("POST", "/verify_student/submit-photos/"), &ada), big.clone())),
        // The form is read in one pass (http::openedx_form); it refuses what axum's `Form` refused.
        case("submit-photos: face_image twice", 422, with_form(as_user(at("POST", "/verify_student/submit-photos/"), &ada), format!("{}&face_image={}", form_submit(&jpeg, "Ada"), enc(&jpeg)))),
        image_case("submit-photos: photo not UTF-8", with_form(as_user(at("POST", "/verify_student/submit-photos/"), &ada), "face_image=data%3Aimage%2Fjpeg%3Bbase64%2C%FF%FE%2F9j&photo_id_image=x")),
        image_case("submit-photos: name not UTF-8, bad photo", with_form(as_user(at("POST", "/verify_student/submit-photos/"), &ada), format!("{}%FF%C3", form_submit(&not_an_image, "Ada")))),
        image_case("submit-photos: data URL with a broken escape", with_form(as_user(at("POST", "/verify_student/submit-photos/"), &ada), format!("face_image={}%2&photo_id_image={}", enc(&jpeg), enc(&jpeg)))),
        // ---- Software Secure's results callback ----
        case("results_callback: broken JSON", 400, with_json(at("POST", "/verify_student/results_callback"), "{\"EdX-ID\": ")),
        case("results_callback: a JSON list", 400, with_json(at("POST", "/verify_student/results_callback"), "[\"PASS\"]")),
        case("results_callback: empty body", 400, with_json(at("POST", "/verify_student/results_callback"), "")),
        case("results_callback: unsigned", 401, with_json(at("POST", "/verify_student/results_callback"), signed_callback_body.clone())),
        case("results_callback: garbage Authorization", 401, with_json(at("POST", "/verify_student/results_callback")
            .header(header::AUTHORIZATION, header::HeaderValue::from_bytes("SSI \u{202e}key:\u{fffd}".as_bytes()).expect("raw bytes")).header(header::DATE, "yesterday"), signed_callback_body.clone())),
        case("results_callback: SQL in EdX-ID, unsigned", 401, with_json(at("POST", "/verify_student/results_callback"),
            json!({"EdX-ID": SQL, "Result": "PASS", "Reason": SCRIPT, "MessageType": ""}).to_string())),
        case("results_callback: 30000 nested lists", 400, with_json(at("POST", "/verify_student/results_callback"), format!("{}{}", "[".repeat(30_000), "]".repeat(30_000)))),
        case("results_callback: 30000 nested dicts", 400, with_json(at("POST", "/verify_student/results_callback"), format!("{}1{}", "{\"a\":".repeat(6_000), "}".repeat(6_000)))),
        case("hosted webhook: signed, 30000 nested lists", 400, signed_webhook_text(&format!("{}{}", "[".repeat(30_000), "]".repeat(30_000)))),
        case("verified_name: 30000 nested lists", 422, with_json(as_user(at("POST", "/api/v1/verified_name"), &ada), format!("{}{}", "[".repeat(30_000), "]".repeat(30_000)))),
        case("sfn: 30000 nested lists", 400, sfn("submit_photos", Some(&ada), format!("{}{}", "[".repeat(30_000), "]".repeat(30_000)))),
        case("results_callback: lone surrogate", 400, with_json(at("POST", "/verify_student/results_callback"), r#"{"EdX-ID": "\ud800", "Result": "PASS"}"#)),
        case("hosted webhook: lone surrogate, signed", 400, signed_webhook_text(r#"{"id": "\udfff", "type": "x", "data": {"inquiry_id": "i", "status": "approved"}}"#)),
        case("results_callback: GET", 405, empty(at("GET", "/verify_student/results_callback"))),
        case("results_callback: body over the limit", 413, with_json(at("POST", "/verify_student/results_callback"), big.clone())),
        // ---- vendor callbacks and the hosted webhook ----
        case("callbacks: unknown vendor", 404, with_json(at("POST", "/callbacks/acme"), "{}")),
        case("callbacks: traversal as vendor", 404, with_json(at("POST", "/callbacks/..%2f..%2fetc%2fpasswd"), "{}")),
        case("callbacks: encoded dots as vendor", 404, with_json(at("POST", "/callbacks/%2e%2e"), "{}")),
        case("callbacks: GET", 405, empty(at("GET", "/callbacks/hosted"))),
        case("callbacks: body over the limit", 413, with_json(at("POST", "/callbacks/hosted"), big.clone())),
        case("hosted webhook: unsigned", 401, with_json(at("POST", "/callbacks/hosted"),
            json!({"id": "evt_x", "type": "inquiry.status_changed", "data": {"inquiry_id": SQL, "status": "approved"}}).to_string())),
        case("hosted webhook: malformed signature header", 401, with_json(at("POST", "/callbacks/hosted")
            .header("webhook-signature", "t=abc,v1="), "{\"id\": 1}")),
        case("software_secure callback: broken JSON", 400, with_json(at("POST", "/callbacks/software_secure"), "{{{")),
        case("software_secure callback: unsigned", 401, with_json(at("POST", "/callbacks/software_secure"), signed_callback_body.clone())),
        // ---- LTI launch ----
        case("lti: empty launch", 400, with_form(at("POST", LAUNCH_PATH), "")),
        case("lti: GET", 405, empty(at("GET", LAUNCH_PATH))),
        case("lti: JSON instead of a form", 400, with_json(at("POST", LAUNCH_PATH), "{\"lti_message_type\": \"basic-lti-launch-request\"}")),
        case("lti: body over the limit", 413, with_form(at("POST", LAUNCH_PATH), big.clone())),
        case("lti: broken percent-encoding", 400, with_form(at("POST", LAUNCH_PATH), "lti_message_type=%zz&oauth_nonce=%")),
        case("lti: missing resource_link_id", 400, with_form(at("POST", LAUNCH_PATH), launch_form(SECRET, |p| p.retain(|(k, _)| k != "resource_link_id")))),
        case("lti: missing oauth_signature", 400, with_form(at("POST", LAUNCH_PATH), launch_form(SECRET, |p| p.retain(|(k, _)| k != "oauth_signature")))),
        case("lti: duplicate oauth_nonce", 400, with_form(at("POST", LAUNCH_PATH), launch_form(SECRET, |p| p.push(("oauth_nonce".into(), "second".into()))))),
        case("lti: wrong message type", 400, with_form(at("POST", LAUNCH_PATH), launch_form(SECRET, |p| set(p, "lti_message_type", "ContentItemSelectionRequest")))),
        case("lti: wrong LTI version", 400, with_form(at("POST", LAUNCH_PATH), launch_form(SECRET, |p| set(p, "lti_version", "LTI-2p0")))),
        case("lti: timestamp not a number", 400, with_form(at("POST", LAUNCH_PATH), launch_form(SECRET, |p| set(p, "oauth_timestamp", "yesterday")))),
        case("lti: PLAINTEXT signature method", 400, with_form(at("POST", LAUNCH_PATH), launch_form(SECRET, |p| set(p, "oauth_signature_method", "PLAINTEXT")))),
        case("lti: forged signature", 401, with_form(at("POST", LAUNCH_PATH), launch_form("not the secret", |_| {}))),
        case("lti: unknown consumer key", 401, with_form(at("POST", LAUNCH_PATH), launch_form(SECRET, |p| set(p, "oauth_consumer_key", SQL)))),
        case("lti: script in user_id after signing", 401, with_form(at("POST", LAUNCH_PATH), launch_form(SECRET, |p| set(p, "user_id", SCRIPT)))),
        case("lti: traversal in the course id", 401, with_form(at("POST", "/lti_provider/courses/..%2f..%2fetc/passwd"), launch_form(SECRET, |_| {}))),
        // ---- Open edX REST reads ----
        case("status: anonymous", 401, empty(at("GET", "/verify_student/status/"))),
        case("status: garbage JWT", 401, empty(at("GET", "/verify_student/status/").header(header::AUTHORIZATION, "JWT not.a.token"))),
        case("status: unsigned alg=none JWT", 401, empty(at("GET", "/verify_student/status/").header(header::AUTHORIZATION, format!("JWT {}", alg_none_jwt())))),
        case("status: POST", 405, empty(as_user(at("POST", "/verify_student/status/"), &ada))),
        case("verification_status: traversal in username", 403, empty(as_user(at("GET", "/api/user/v1/accounts/..%2f..%2fetc%2fpasswd/verification_status/"), &ada))),
        case("verifications: SQL in username", 403, empty(as_user(at("GET", &format!("/api/user/v1/accounts/{}/verifications/", enc(SQL))), &ada))),
        case("verifications: RTL override in username", 403, empty(as_user(at("GET", &format!("/api/user/v1/accounts/{}/verifications/", enc("ada\u{202e}nimda"))), &bob))),
        // ---- /api/v1: verified names ----
        case("verified_name: anonymous", 401, with_json(at("POST", "/api/v1/verified_name"), json!({"verified_name": "Ada"}).to_string())),
        case("verified_name: broken JSON", 400, with_json(as_user(at("POST", "/api/v1/verified_name"), &ada), "{\"verified_name\": ")),
        case("verified_name: text/plain", 415, with_type(as_user(at("POST", "/api/v1/verified_name"), &ada), "text/plain", "Ada")),
        case("verified_name: unknown field", 422, with_json(as_user(at("POST", "/api/v1/verified_name"), &ada), json!({"verified_name": "Ada", "is_verified": true}).to_string())),
        case("verified_name: number for the name", 422, with_json(as_user(at("POST", "/api/v1/verified_name"), &ada), "{\"verified_name\": 42}")),
        case("verified_name: NUL in the name", 400, with_json(as_user(at("POST", "/api/v1/verified_name"), &ada), json!({"verified_name": "Ada\u{0}Lovelace"}).to_string())),
        case("verified_name: lone surrogate", 400, with_json(as_user(at("POST", "/api/v1/verified_name"), &ada), r#"{"verified_name": "Ada \udc00"}"#)),
        case("verified_name: huge name", 400, with_json(as_user(at("POST", "/api/v1/verified_name"), &ada), json!({"verified_name": huge_name}).to_string())),
        case("verified_name: 5000 combining accents", 400, with_json(as_user(at("POST", "/api/v1/verified_name"), &ada), json!({"verified_name": combining}).to_string())),
        case("verified_name: someone else's attempt uuid", 400, with_json(as_user(at("POST", "/api/v1/verified_name"), &bob),
            json!({"verified_name": "Bob", "verification_attempt_uuid": receipt}).to_string())),
        case("verified_name: script as attempt uuid", 400, with_json(as_user(at("POST", "/api/v1/verified_name"), &ada),
            json!({"verified_name": "Ada", "verification_attempt_uuid": SCRIPT}).to_string())),
        case("verified_name/history: anonymous", 401, empty(at("GET", "/api/v1/verified_name/history"))),
        case("verified_name: DELETE", 405, empty(as_user(at("DELETE", "/api/v1/verified_name"), &ada))),
        // ---- /api/v1: staff and learner reads and actions ----
        case("users: SQL search as a learner", 403, empty(as_user(at("GET", &format!("/api/v1/users?search={}", enc(SQL))), &ada))),
        case("users: negative page size", 400, empty(as_user(at("GET", "/api/v1/users?page_size=-1"), &root))),
        case("users: page not a number", 400, empty(as_user(at("GET", "/api/v1/users?page=abc"), &root))),
        case("status: traversal in username", 404, empty(as_user(at("GET", "/api/v1/users/%2e%2e%2fadmin/status"), &root))),
        case("attempts: another learner's", 403, empty(as_user(at("GET", "/api/v1/users/ada/attempts"), &bob))),
        case("history: id not a number", 400, empty(as_user(at("GET", "/api/v1/attempts/photo/1%20or%201=1/history"), &root))),
        case("history: unknown kind", 404, empty(as_user(at("GET", "/api/v1/attempts/..%2f..%2f/1/history"), &root))),
        case("manual verification: broken JSON", 400, with_json(as_user(at("POST", "/api/v1/users/ada/manual-verifications"), &root), "{\"reason\"")),
        case("manual verification: as a learner", 403, with_json(as_user(at("POST", "/api/v1/users/ada/manual-verifications"), &ada), json!({"reason": "me"}).to_string())),
        case("manual verification: unknown user", 404, with_json(as_user(at("POST", &format!("/api/v1/users/{}/manual-verifications", enc(SCRIPT))), &root), json!({"reason": "x"}).to_string())),
        case("revoke: id not a number", 400, with_json(as_user(at("POST", "/api/v1/manual-verifications/abc/revoke"), &root), json!({"reason": "x"}).to_string())),
        case("retry attempt: id not a number", 400, empty(as_user(at("POST", "/api/v1/attempts/photo/..%2f1/retry"), &root))),
        case("retry attempt: unknown id", 404, empty(as_user(at("POST", "/api/v1/attempts/photo/987654321/retry"), &root))),
        case("deadline: broken JSON", 400, with_json(as_user(at("PUT", "/api/v1/courses/course-v1:Org+X+1/deadline"), &root), "{\"deadline\": ")),
        case("deadline: not a date", 422, with_json(as_user(at("PUT", "/api/v1/courses/course-v1:Org+X+1/deadline"), &root), json!({"deadline": "next tuesday"}).to_string())),
        case("deadline: as a learner", 403, with_json(as_user(at("PUT", "/api/v1/courses/course-v1:Org+X+1/deadline"), &ada), json!({"deadline": null}).to_string())),
        case("deadline history: anonymous", 401, empty(at("GET", "/api/v1/courses/course-v1:Org+X+1/deadline/history"))),
        case("course run: broken JSON", 400, with_json(as_user(at("PUT", "/api/v1/courses/course-v1:Org+X+1"), &root), "{\"display_name\": ")),
        case("course run: end not a date", 422, with_json(as_user(at("PUT", "/api/v1/courses/course-v1:Org+X+1"), &root), json!({"display_name": "X", "end": "next tuesday"}).to_string())),
        case("course run: unknown field", 422, with_json(as_user(at("PUT", "/api/v1/courses/course-v1:Org+X+1"), &root), json!({"display_name": "X", "end": null, "deadline": null}).to_string())),
        case("course run: control characters in the name", 400, with_json(as_user(at("PUT", "/api/v1/courses/course-v1:Org+X+1"), &root), json!({"display_name": "a\u{7}b", "end": null}).to_string())),
        case("course run: NUL in the course key", 400, with_json(as_user(at("PUT", "/api/v1/courses/a%00b"), &root), json!({"display_name": "X", "end": null}).to_string())),
        case("course run: as a learner", 403, with_json(as_user(at("PUT", "/api/v1/courses/course-v1:Org+X+1"), &ada), json!({"display_name": "X", "end": null}).to_string())),
        case("sfn: course_flow anonymous", 401, sfn("course_flow", None, json!({"request": {"course_key": "c", "flow": "start-flow"}}).to_string())),
        // (An unknown flow page is the first-time flow, as in Open edX: not bad input.)
        case("sfn: course_flow flow not a string", 400, sfn("course_flow", Some(&ada), json!({"request": {"course_key": "c", "flow": 7}}).to_string())),
        case("sfn: course_flow key too long", 400, sfn("course_flow", Some(&ada), json!({"request": {"course_key": "c".repeat(300), "flow": "upgrade"}}).to_string())),
        case("sfn: course_flow as a form", 415, with_form(as_user(at("POST", "/sfn/course_flow"), &ada), "course_key=c")),
        case("pay-and-verify: anonymous", 401, empty(at("GET", "/api/v1/pay-and-verify/course-v1:Org+X+1"))),
        case("jobs: page size not a number", 400, empty(as_user(at("GET", "/api/v1/jobs?page_size=%3Cscript%3E"), &root))),
        case("jobs retry: id not a number", 400, empty(as_user(at("POST", "/api/v1/jobs/abc/retry"), &root))),
        case("webhook retry: id not a number", 400, empty(as_user(at("POST", "/api/v1/webhooks/deliveries/1;drop/retry"), &root))),
        case("webhook retry: unknown id", 404, empty(as_user(at("POST", "/api/v1/webhooks/deliveries/999999/retry"), &root))),
        case("webhooks: as a learner", 403, empty(as_user(at("GET", "/api/v1/webhooks/deliveries"), &ada))),
        case("lti consumers: broken JSON", 400, with_json(as_user(at("POST", "/api/v1/lti/consumers"), &root), "{\"key\": ")),
        case("lti consumers: missing fields", 422, with_json(as_user(at("POST", "/api/v1/lti/consumers"), &root), json!({"name": SCRIPT}).to_string())),
        case("lti consumers: as a learner", 403, with_json(as_user(at("POST", "/api/v1/lti/consumers"), &ada),
            json!({"name": "x", "key": "learner-key", "secret": "learner-secret-0123456789"}).to_string())),
        case("lti consumers: delete unknown", 404, empty(as_user(at("DELETE", &format!("/api/v1/lti/consumers/{}", enc(SQL))), &root))),
        case("staff verified names: as a learner", 403, empty(as_user(at("GET", "/api/v1/users/ada/verified-names"), &bob))),
        // ---- staff photo reads and the vendor's photo URLs ----
        case("photo-urls: traversal", 404, empty(as_user(at("GET", "/verify_student/photo-urls/..%2f..%2fvouch.db"), &root))),
        case("decrypt face: SQL receipt", 404, empty(as_user(at("GET", &format!("/verify_student/decrypt-idv-images/face/{}", enc(SQL))), &root))),
        case("decrypt photo id: as the learner", 403, empty(as_user(at("GET", &format!("/verify_student/decrypt-idv-images/photo-id/{receipt}")), &ada))),
        case("photos: expires not a number", 400, empty(at("GET", &format!("/verify_student/photos/face/{receipt}?expires=soon&signature=x")))),
        case("photos: forged signature", 404, empty(at("GET", &format!("/verify_student/photos/face/{receipt}?expires=99999999999&signature=AAAA")))),
        case("photos: traversal", 404, empty(at("GET", "/verify_student/photos/face/..%2f..%2fvouch.db?expires=99999999999&signature=AAAA"))),
        case("photos: dot segments", 404, empty(at("GET", "/verify_student/photos/%2e%2e/%2e%2e/vouch.db?expires=99999999999&signature=AAAA"))),
        // ---- the in-house review queue (more, with a claimed attempt, in review_queue.rs) ----
        case("reviews claim: as a learner", 403, empty(as_user(at("POST", "/api/v1/reviews/claim"), &ada))),
        case("reviews claim: GET", 405, empty(as_user(at("GET", "/api/v1/reviews/claim"), &root))),
        case("reviews detail: SQL receipt", 404, empty(as_user(at("GET", &format!("/api/v1/reviews/{}", enc(SQL))), &root))),
        case("reviews detail: traversal", 404, empty(as_user(at("GET", "/api/v1/reviews/..%2f..%2fvouch.db"), &root))),
        case("reviews decision: broken JSON", 400, with_json(as_user(at("POST", &format!("/api/v1/reviews/{receipt}/decision")), &root), "{\"decision\": ")),
        case("reviews decision: text/plain", 415, with_type(as_user(at("POST", &format!("/api/v1/reviews/{receipt}/decision")), &root), "text/plain", "approve")),
        case("reviews decision: unknown decision", 400, with_json(as_user(at("POST", &format!("/api/v1/reviews/{receipt}/decision")), &root), json!({"decision": SCRIPT}).to_string())),
        case("reviews decision: reasons not a list", 422, with_json(as_user(at("POST", &format!("/api/v1/reviews/{receipt}/decision")), &root), json!({"decision": "deny", "reasons": "Name mismatch"}).to_string())),
        reasons_case("reviews decision: deny without reasons", with_json(as_user(at("POST", &format!("/api/v1/reviews/{receipt}/decision")), &root), json!({"decision": "deny", "reasons": []}).to_string())),
        reasons_case("reviews decision: unknown category", with_json(as_user(at("POST", &format!("/api/v1/reviews/{receipt}/decision")), &root), json!({"decision": "deny", "reasons": [{"category": SQL, "reason": "Not provided"}]}).to_string())),
        case("reviews decision: NUL in the note", 400, with_json(as_user(at("POST", &format!("/api/v1/reviews/{receipt}/decision")), &root), json!({"decision": "approve", "note": "a\u{0}b"}).to_string())),
        case("reviews decision: bidi override in the note", 400, with_json(as_user(at("POST", &format!("/api/v1/reviews/{receipt}/decision")), &root), json!({"decision": "approve", "note": "ok \u{202E}deid"}).to_string())),
        case("reviews decision: bidi isolate in the note", 400, with_json(as_user(at("POST", &format!("/api/v1/reviews/{receipt}/decision")), &root), json!({"decision": "approve", "note": "a\u{2066}b"}).to_string())),
        case("reviews decision: zero-width space in the note", 400, with_json(as_user(at("POST", &format!("/api/v1/reviews/{receipt}/decision")), &root), json!({"decision": "approve", "note": "a\u{200B}b"}).to_string())),
        case("reviews release: as a learner", 403, empty(as_user(at("POST", &format!("/api/v1/reviews/{receipt}/release")), &ada))),
        case("reviews stats: anonymous", 401, empty(at("GET", "/api/v1/reviews/stats"))),
        // ---- everything else ----
        case("api: unknown path", 404, empty(at("GET", "/api/v2/everything"))),
        case("healthz: POST", 405, empty(at("POST", "/healthz"))),
        case("openapi: DELETE", 405, empty(at("DELETE", "/api/v1/openapi.json"))),
        case("metrics: PUT", 405, empty(at("PUT", "/metrics"))),
        case("dev-login: no username", 400, with_form(at("POST", "/auth/dev-login"), "username=")),
        case("dev-login: JSON", 415, with_json(at("POST", "/auth/dev-login"), "{\"username\": \"x\"}")),
        case("dev-login: NUL in username", 400, with_form(at("POST", "/auth/dev-login"), "username=a%00b")),
        case("dev-login: GET", 405, empty(at("GET", "/auth/dev-login"))),
        case("spa: POST to a learner route", 405, with_form(at("POST", "/id-verification"), "x=1")),
        case("staff console: DELETE", 405, empty(as_user(at("DELETE", "/staff/learners"), &root))),
        case("reverify: POST", 405, empty(at("POST", "/verify_student/reverify"))),
        // ---- NUL (PostgreSQL cannot store it in text) in every string that reaches a query:
        // each was a 500 on PostgreSQL (and stored or matched on SQLite) before the guards ----
        case("NUL: status of a username", 400, empty(as_user(at("GET", "/api/v1/users/a%00b/status"), &root))),
        case("NUL: attempts of a username", 400, empty(as_user(at("GET", "/api/v1/users/a%00b/attempts"), &root))),
        case("NUL: Open edX verification_status", 400, empty(as_user(at("GET", "/api/user/v1/accounts/a%00b/verification_status/"), &root))),
        case("NUL: Open edX verifications", 400, empty(as_user(at("GET", "/api/user/v1/accounts/a%00b/verifications/"), &root))),
        case("NUL: staff verified names", 400, empty(as_user(at("GET", "/api/v1/users/a%00b/verified-names"), &root))),
        case("NUL: manual verification", 400, with_json(as_user(at("POST", "/api/v1/users/a%00b/manual-verifications"), &root), json!({"reason": "x"}).to_string())),
        case("NUL: manual verification reason", 400, with_json(as_user(at("POST", "/api/v1/users/bob/manual-verifications"), &root), json!({"reason": "a\u{0}b"}).to_string())),
        case("NUL: user search", 400, empty(as_user(at("GET", "/api/v1/users?search=a%00b"), &root))),
        case("NUL: photo-urls receipt", 400, empty(as_user(at("GET", "/verify_student/photo-urls/a%00b"), &root))),
        case("NUL: decrypt face receipt", 400, empty(as_user(at("GET", "/verify_student/decrypt-idv-images/face/a%00b"), &root))),
        case("NUL: delete LTI consumer", 400, empty(as_user(at("DELETE", "/api/v1/lti/consumers/a%00b"), &root))),
        case("NUL: jobs status filter", 400, empty(as_user(at("GET", "/api/v1/jobs?status=a%00b"), &root))),
        case("NUL: new LTI consumer key", 400, with_json(as_user(at("POST", "/api/v1/lti/consumers"), &root),
            json!({"name": "n", "key": "k\u{0}", "secret": "s-0123456789-0123456789"}).to_string())),
        case("NUL: verified name attempt uuid", 400, with_json(as_user(at("POST", "/api/v1/verified_name"), &ada),
            json!({"verified_name": "Ada", "verification_attempt_uuid": "a\u{0}b"}).to_string())),
        case("NUL: signed callback EdX-ID", 400, signed_callback(&json!({"EdX-ID": "a\u{0}b", "Result": "PASS", "Reason": "", "MessageType": ""}))),
        case("NUL: signed callback reason", 400, signed_callback(&json!({"EdX-ID": receipt, "Result": "FAIL", "Reason": "a\u{0}b", "MessageType": "x\u{0}"}))),
        case("NUL: signed webhook inquiry", 400, signed_webhook(&json!({"id": "evt_nul", "type": "inquiry.status_changed", "created_at": 0,
            "data": {"inquiry_id": "inq\u{0}", "status": "approved"}}))),
        case("NUL: signed webhook event id", 400, signed_webhook(&json!({"id": "evt\u{0}", "type": "inquiry.status_changed", "created_at": 0,
            "data": {"inquiry_id": "inq_none", "status": "approved"}}))),
        case("NUL: signed launch user_id", 400, with_form(at("POST", LAUNCH_PATH), signed_launch_with(|p| set(p, "user_id", "a\u{0}b")))),
        case("NUL: signed launch name", 400, with_form(at("POST", LAUNCH_PATH), signed_launch_with(|p| set(p, "lis_person_name_full", "Ada\u{0}")))),
        case("NUL: signed launch nonce", 400, with_form(at("POST", LAUNCH_PATH), signed_launch_with(|p| set(p, "resource_link_id", "r\u{0}")))),
        case("NUL: JWT username", 401, empty(at("GET", "/api/v1/me").header(header::AUTHORIZATION,
            format!("JWT {}", lms_jwt(json!({"user_id": 90, "preferred_username": "ev\u{0}il", "email": "e@example.com", "exp": chrono::Utc::now().timestamp() + 600})))))),
        case("NUL: JWT name", 401, empty(at("GET", "/api/v1/me").header(header::AUTHORIZATION,
            format!("JWT {}", lms_jwt(json!({"user_id": 91, "preferred_username": "evname", "name": "E\u{0}", "exp": chrono::Utc::now().timestamp() + 600})))))),
        case("LTI: signed launch, 300-character nonce", 400, with_form(at("POST", LAUNCH_PATH), signed_launch_with(|p| set(p, "oauth_nonce", &"n".repeat(300))))),
        case("LTI: signed launch, 5000-character user_id", 400, with_form(at("POST", LAUNCH_PATH), signed_launch_with(|p| set(p, "user_id", &"u".repeat(5_000))))),
        case("JWT: 10000-character name", 401, empty(at("GET", "/api/v1/me").header(header::AUTHORIZATION,
            format!("JWT {}", lms_jwt(json!({"user_id": 92, "preferred_username": "longname", "name": "N".repeat(10_000), "exp": chrono::Utc::now().timestamp() + 600})))))),
        case("me: garbage bearer token", 401, empty(at("GET", "/api/v1/me").header(header::AUTHORIZATION, "Bearer ' OR 1=1 --"))),
        case("deadline: NUL in the course key", 400, empty(as_user(at("GET", "/api/v1/courses/course%00key/deadline"), &ada))),
        case("lti consumers: anonymous list", 401, empty(at("GET", "/api/v1/lti/consumers"))),
        case("lti consumer update: broken JSON", 400, with_json(as_user(at("PATCH", "/api/v1/lti/consumers/lms-test-key"), &root), "{\"use_lti_pii\": ")),
        case("lti consumer update: nothing to change", 400, with_json(as_user(at("PATCH", "/api/v1/lti/consumers/lms-test-key"), &root), "{}")),
        case("lti consumer update: not a boolean", 422, with_json(as_user(at("PATCH", "/api/v1/lti/consumers/lms-test-key"), &root), json!({"use_lti_pii": SCRIPT}).to_string())),
        case("lti consumer update: unknown field", 422, with_json(as_user(at("PATCH", "/api/v1/lti/consumers/lms-test-key"), &root), json!({"secret": "x"}).to_string())),
        case("lti consumer update: unknown key", 404, with_json(as_user(at("PATCH", &format!("/api/v1/lti/consumers/{}", enc(SQL))), &root), json!({"use_lti_pii": true}).to_string())),
        case("lti consumer update: as a learner", 403, with_json(as_user(at("PATCH", "/api/v1/lti/consumers/lms-test-key"), &ada), json!({"use_lti_pii": true}).to_string())),
        case("lti link: no waiting launch", 400, empty(as_user(at("GET", "/lti_provider/link"), &ada))),
        case("lti link: confirm with a Vouch session", 401, empty(as_user(at("POST", "/lti_provider/link"), &ada))),
        case("lti link: confirm as anonymous", 401, empty(at("POST", "/lti_provider/link"))),
        case("readyz: POST", 405, empty(at("POST", "/readyz"))),
        case("logout: GET", 405, empty(at("GET", "/auth/logout"))),
        case("sfn: verification_status anonymous", 401, sfn("verification_status", None, "{}".into())),
        case("sfn: slot_config GET", 405, empty(as_user(at("GET", "/sfn/slot_config"), &ada))),
        case("sfn: flow_info anonymous", 401, sfn("flow_info", None, "{}".into())),
        case("deadline history: NUL in the course key", 400, empty(as_user(at("GET", "/api/v1/courses/a%00b/deadline/history"), &root))),
        case("pay-and-verify: NUL in the course key", 400, empty(as_user(at("GET", "/api/v1/pay-and-verify/a%00b"), &ada))),
        case("lti: NUL in the course id", 400, with_form(at("POST", "/lti_provider/courses/a%00b/u1"), launch_form(SECRET, |_| {}))),
        case("start-flow: POST", 405, empty(as_user(at("POST", "/verify_student/start-flow/course-v1:Org+X+1/"), &ada))),
        // ---- /api/v1: what an LMS asks ----
        case("verified_user_ids: broken JSON", 400, with_json(as_user(at("POST", "/api/v1/verified_user_ids"), &root), "{\"user_ids\": [1,")),
        case("verified_user_ids: ids not integers", 422, with_json(as_user(at("POST", "/api/v1/verified_user_ids"), &root), json!({"user_ids": ["1", SQL]}).to_string())),
        case("verified_user_ids: 10001 ids", 400, with_json(as_user(at("POST", "/api/v1/verified_user_ids"), &root), json!({"user_ids": (0..10_001).collect::<Vec<i64>>()}).to_string())),
        case("verified_user_ids: as a learner", 403, with_json(as_user(at("POST", "/api/v1/verified_user_ids"), &ada), json!({"user_ids": [1]}).to_string())),
        case("verified_user_ids: GET", 405, empty(as_user(at("GET", "/api/v1/verified_user_ids"), &root))),
        case("verification_statuses: user_id and username", 400, with_json(as_user(at("POST", "/api/v1/verification_statuses"), &root),
            json!({"items": [{"user_id": 1, "username": "ada", "course_key": "c", "mode": "verified"}]}).to_string())),
        case("verification_statuses: NUL in the course key", 400, with_json(as_user(at("POST", "/api/v1/verification_statuses"), &root),
            json!({"items": [{"username": "ada", "course_key": "c\u{0}", "mode": "verified"}]}).to_string())),
        case("verification_statuses: 10001 items", 400, with_json(as_user(at("POST", "/api/v1/verification_statuses"), &root),
            json!({"items": vec![json!({"user_id": 1, "course_key": "c", "mode": "verified"}); 10_001]}).to_string())),
        case("verification_statuses: missing mode", 422, with_json(as_user(at("POST", "/api/v1/verification_statuses"), &root),
            json!({"items": [{"user_id": 1, "course_key": "c"}]}).to_string())),
        case("verify_location: 300-character course id", 400, empty(at("GET", &format!("/api/v1/verify_location?course_id={}", "c".repeat(300))))),
        case("verify_location: NUL in the course id", 400, empty(at("GET", "/api/v1/verify_location?course_id=a%00b"))),
        case("verify_location: POST", 405, empty(as_user(at("POST", "/api/v1/verify_location"), &ada))),
        case("sso-verifications: slug with spaces", 400, with_json(as_user(at("POST", "/api/v1/users/ada/sso-verifications"), &root),
            json!({"identity_provider_type": "saml", "identity_provider_slug": SCRIPT}).to_string())),
        case("sso-verifications: missing slug", 422, with_json(as_user(at("POST", "/api/v1/users/ada/sso-verifications"), &root),
            json!({"identity_provider_type": "saml"}).to_string())),
        case("sso-verifications: unknown user", 404, with_json(as_user(at("POST", &format!("/api/v1/users/{}/sso-verifications", enc(SQL))), &root),
            json!({"identity_provider_type": "saml", "identity_provider_slug": "uni"}).to_string())),
        case("sso-verifications: as the learner", 403, with_json(as_user(at("POST", "/api/v1/users/ada/sso-verifications"), &ada),
            json!({"identity_provider_type": "saml", "identity_provider_slug": "uni"}).to_string())),
        case("sso-verifications: NUL in the name", 400, with_json(as_user(at("POST", "/api/v1/users/ada/sso-verifications"), &root),
            json!({"identity_provider_type": "saml", "identity_provider_slug": "uni", "name": "A\u{0}"}).to_string())),
        case("retire: anonymous", 401, empty(at("POST", "/api/v1/users/ada/retire"))),
        case("retire: as the learner", 403, empty(as_user(at("POST", "/api/v1/users/ada/retire"), &ada))),
        case("retire: GET", 405, empty(as_user(at("GET", "/api/v1/users/ada/retire"), &root))),
        case("retire: NUL in the username", 400, empty(as_user(at("POST", "/api/v1/users/a%00b/retire"), &root))),
        case("retry-config: not --verification-ids", 400, with_json(as_user(at("PUT", "/api/v1/retry-config"), &root), json!({"arguments": SQL}).to_string())),
        case("retry-config: an id that is not a number", 400, with_json(as_user(at("PUT", "/api/v1/retry-config"), &root), json!({"arguments": "--verification-ids 1 two"}).to_string())),
        case("retry-config: broken JSON", 400, with_json(as_user(at("PUT", "/api/v1/retry-config"), &root), "{\"arguments\": ")),
        case("retry-config: as a learner", 403, with_json(as_user(at("PUT", "/api/v1/retry-config"), &ada), json!({"arguments": "--verification-ids 1"}).to_string())),
        case("retry-config: DELETE", 405, empty(as_user(at("DELETE", "/api/v1/retry-config"), &root))),
    ];
    assert!(cases.len() >= 60, "the corpus holds {} cases", cases.len());
    eprintln!("bad-input corpus: {} cases", cases.len());

    let mut before = snapshot(db).await;
    assert!(before.tables.len() > 10, "the snapshot covers the schema: {:?}", before.tables);
    let mut failures = Vec::new();
    for Case { name, req, status, code: specific } in cases {
        let (got, headers, body) = app.send(req).await;
        let ct = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
        let parsed: Option<Value> = serde_json::from_slice(&body).ok();
        // The code is the stable one for the status (clients switch on it).
        let code = specific.unwrap_or(match status {
            401 => "unauthenticated",
            403 => "forbidden",
            404 => "not_found",
            405 => "method_not_allowed",
            409 => "conflict",
            413 => "payload_too_large",
            429 => "rate_limited",
            _ => "invalid_request",
        });
        let envelope = parsed
            .as_ref()
            .is_some_and(|v| v["error"]["code"].as_str() == Some(code) && v["error"]["message"].is_string());
        let text = String::from_utf8_lossy(&body[..body.len().min(200)]).into_owned();
        if got.as_u16() != status || !ct.starts_with("application/json") || !envelope {
            failures.push(format!("{name}: expected {status} {code:?} in the JSON envelope, got {got} {ct:?} {text}"));
        }
        let after = snapshot(db).await;
        if after != before {
            let changed: Vec<_> = after.tables.iter().filter(|t| !before.tables.contains(t)).map(|t| &t.0).collect();
            failures.push(format!(
                "{name}: changed the state: tables {changed:?}, photos equal: {}",
                after.photos == before.photos
            ));
            // Judge the next case against the state as it now is.
            before = after;
        }
    }
    assert!(failures.is_empty(), "{} failing cases:\n{}", failures.len(), failures.join("\n"));
}
on_both_backends!(bad_input_corpus, corpus);

/// Floods are bad input too: past the per-learner submission limit and the per-address
/// callback limit, requests get 429 in the envelope and change nothing.
async fn floods(db: &TestDb) {
    let mut cfg = db.config();
    cfg.limits.submit_per_user_per_minute = 2;
    cfg.limits.callback_per_second = 1;
    let app = TestApp::with_config(db, cfg).await;
    let ada = app.login("ada").await;
    let before = snapshot(db).await;
    let garbage = sfn_submit("data:image/jpeg;base64,AAAA", Value::Null);
    let mut statuses = Vec::new();
    for _ in 0..4 {
        let (s, v) = app.json(sfn("submit_photos", Some(&ada), garbage.clone())).await;
        statuses.push((s.as_u16(), v["error"]["code"].as_str().unwrap_or_default().to_owned()));
    }
    assert_eq!(statuses[3], (429, "rate_limited".to_owned()), "{statuses:?}");
    // The Open edX form route refuses before reading the body: a learner over the limit gets
    // 429 even for a body that would not parse (422), and costs no decoding.
    let (s, v) =
        app.json(with_form(as_user(at("POST", "/verify_student/submit-photos/"), &ada), "face_image=%ZZ&%%%")).await;
    assert_eq!((s.as_u16(), v["error"]["code"].as_str()), (429, Some("rate_limited")), "{v}");
    let mut limited = 0;
    for _ in 0..5 {
        let (s, v) = app.json(with_json(at("POST", "/verify_student/results_callback"), "{}")).await;
        if s == StatusCode::TOO_MANY_REQUESTS {
            assert_eq!(v["error"]["code"], "rate_limited");
            limited += 1;
        }
    }
    assert!(limited >= 3, "callbacks past one a second are refused ({limited} of 5)");
    assert!(snapshot(db).await == before, "refused floods changed the state");
}
on_both_backends!(floods_are_refused_with_json, floods);
