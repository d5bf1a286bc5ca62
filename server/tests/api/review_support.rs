//! Helpers of the in-house review tests: an `in_house` configuration with its own review key
//! pair, reviewers, submissions through the SPA's server function, and the queue's routes.

use crate::support::{TestApp, TestDb, data_url, sfn};
use axum::{
    body::Body,
    http::{Request, StatusCode, header},
};
use serde_json::{Value, json};
use server::{config::Config, store::users};
use std::sync::OnceLock;

/// A review key pair of its own (not the vendor's fixture pair, so a photo sealed for the
/// vendor cannot pass for an in_house one), made once per test process.
pub fn review_keys() -> &'static (String, String) {
    static KEYS: OnceLock<(String, String)> = OnceLock::new();
    KEYS.get_or_init(|| {
        use rsa::pkcs8::{EncodePrivateKey, EncodePublicKey, LineEnding};
        let private = rsa::PrivateKey::new(&mut rand::rng(), 2048).expect("a review key");
        let private_pem = private.to_pkcs8_pem(LineEnding::LF).expect("pem").to_string();
        let public_pem = private.to_public_key().to_public_key_pem(LineEnding::LF).expect("pem");
        (public_pem, private_pem)
    })
}

/// The test configuration with `idv.vendor = "in_house"` and the review keys.
pub fn in_house_config(db: &TestDb) -> Config {
    let mut cfg = db.config();
    cfg.idv.vendor = "in_house".into();
    let (public, private) = review_keys();
    cfg.review.rsa_public_key = Some(public.clone());
    cfg.review.rsa_private_key = Some(private.clone().into());
    // Many submissions per learner in these tests; the daily cap is not under test here.
    cfg.limits.submit_per_user_per_day = 0;
    cfg
}

/// Signs `username` in and gives them the reviewer role; returns the session cookie.
pub async fn reviewer(app: &TestApp, username: &str) -> String {
    let cookie = app.login(username).await;
    let mut conn = app.services.store.conn().await.expect("conn");
    let user = users::by_username(&mut conn, username).await.expect("q").expect("user");
    users::set_reviewer(&mut conn, user.id, true).await.expect("grant");
    cookie
}

/// Signs `username` in as staff.
pub async fn staff(app: &TestApp, username: &str) -> String {
    let cookie = app.login(username).await;
    let mut conn = app.services.store.conn().await.expect("conn");
    let user = users::by_username(&mut conn, username).await.expect("q").expect("user");
    users::set_staff(&mut conn, user.id, true).await.expect("staff");
    cookie
}

/// Submits `face` and `id` (JPEG bytes) through the SPA's server function; returns the
/// new attempt's receipt id.
pub async fn submit(app: &TestApp, cookie: &str, face: &[u8], id: &[u8], name: &str) -> String {
    let body =
        json!({"request": {"face_image": data_url("image/jpeg", face), "photo_id_image": data_url("image/jpeg", id),
        "full_name": name}})
        .to_string();
    let (s, v) = app.json(sfn("submit_photos", Some(cookie), body)).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let (receipt,): (String,) =
        sqlx::query_as("select receipt_id from photo_verification order by attempt_id desc limit 1")
            .fetch_one(&mut *app.services.store.conn().await.expect("conn"))
            .await
            .expect("attempt");
    receipt
}

/// A request with an optional session cookie and JSON body.
pub fn req(method: &str, path: &str, cookie: Option<&str>, body: Option<Value>) -> Request<Body> {
    let mut b = Request::builder().method(method).uri(path);
    if let Some(c) = cookie {
        b = b.header(header::COOKIE, c);
    }
    match body {
        Some(v) => b.header(header::CONTENT_TYPE, "application/json").body(Body::from(v.to_string())),
        None => b.body(Body::empty()),
    }
    .expect("request")
}

/// `POST /api/v1/reviews/claim`: the status and the body (Null for 204).
pub async fn claim(app: &TestApp, cookie: &str) -> (StatusCode, Value) {
    let (s, _, body) = app.send(req("POST", "/api/v1/reviews/claim", Some(cookie), None)).await;
    (s, if body.is_empty() { Value::Null } else { serde_json::from_slice(&body).expect("json") })
}

/// `POST /api/v1/reviews/{receipt}/decision`.
pub async fn decide(app: &TestApp, cookie: &str, receipt: &str, body: Value) -> (StatusCode, Value) {
    app.json(req("POST", &format!("/api/v1/reviews/{receipt}/decision"), Some(cookie), Some(body))).await
}

/// Two reasons Open edX knows.
pub fn two_reasons() -> Value {
    json!([{"category": "photoIdReasons", "reason": "Not provided"}, {"category": "userPhotoReasons", "reason": "Face out of view"}])
}

/// Rows of the review tables and the attempts' statuses, to show that a refusal changed
/// nothing.
pub async fn review_state(app: &TestApp) -> Vec<String> {
    let mut conn = app.services.store.conn().await.expect("conn");
    let mut out = Vec::new();
    type Item = (i64, Option<i64>, Option<i64>, Option<i64>, Option<i64>, Option<String>);
    let items: Vec<Item> = sqlx::query_as(
        "select attempt_id, claimed_by, claimed_until, first_reviewer, decided_at, decision from review_item order by attempt_id",
    )
    .fetch_all(&mut *conn)
    .await
    .expect("items");
    out.extend(items.iter().map(|i| format!("{i:?}")));
    let attempts: Vec<(i64, String, String)> =
        sqlx::query_as("select attempt_id, status, error_msg from photo_verification order by attempt_id")
            .fetch_all(&mut *conn)
            .await
            .expect("attempts");
    out.extend(attempts.iter().map(|a| format!("{a:?}")));
    for table in ["review_decision", "attempt_transition", "event_outbox", "staff_action"] {
        let (n,): (i64,) =
            sqlx::query_as(&format!("select count(*) from {table}")).fetch_one(&mut *conn).await.expect("count");
        out.push(format!("{table}: {n}"));
    }
    out
}

/// The staff audit rows of the review (action, target, detail), oldest first.
pub async fn audit_rows(app: &TestApp) -> Vec<(String, String, String)> {
    sqlx::query_as("select action, target_id, detail from staff_action order by staff_action_id")
        .fetch_all(&mut *app.services.store.conn().await.expect("conn"))
        .await
        .expect("audit")
}
