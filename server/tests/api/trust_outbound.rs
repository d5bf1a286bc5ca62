//! Answers of servers Vouch calls are read with a bound (trust issue, item 15): a vendor,
//! an LMS outcome service or a hosted vendor that streams an endless body costs Vouch a
//! few kilobytes, and the job records what it could read instead of hanging until its
//! timeout with nothing to show.

use crate::{
    lti_support::{Launch, add_consumer, sign},
    support::{TestApp, TestDb, data_url, jpeg_bytes, sfn},
};
use axum::{
    body::Body,
    http::{Request, StatusCode, header},
};
use serde_json::json;
use server::service::manual_verifications;
use std::sync::{
    Arc,
    atomic::{AtomicUsize, Ordering},
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// The most an endless server writes before it gives up (bounded, as every test loop is).
const SERVER_LIMIT_BYTES: usize = 256 * 1024 * 1024;

/// Vouch may read this much of an answer, plus what the kernel's socket buffers hold; an
/// unbounded read takes all [`SERVER_LIMIT_BYTES`].
const READ_BOUND_BYTES: usize = 32 * 1024 * 1024;

/// A server on 127.0.0.1 that answers every request with `status` and a chunked body of
/// `x` that does not end (until the client goes away or the limit is reached). The counter
/// says how many bytes the clients took.
async fn endless(status: &'static str) -> (String, Arc<AtomicUsize>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let url = format!("http://{}/", listener.local_addr().expect("addr"));
    let taken = Arc::new(AtomicUsize::new(0));
    let counter = taken.clone();
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            let counter = counter.clone();
            tokio::spawn(async move {
                let mut buf = vec![0u8; 64 * 1024];
                // The request's head (and whatever body arrived with it) is read and ignored.
                let _ = socket.read(&mut buf).await;
                let head =
                    format!("HTTP/1.1 {status}\r\ncontent-type: text/plain\r\ntransfer-encoding: chunked\r\n\r\n");
                if socket.write_all(head.as_bytes()).await.is_err() {
                    return;
                }
                let chunk = format!("4000\r\n{}\r\n", "x".repeat(0x4000));
                let mut sent = 0;
                while sent < SERVER_LIMIT_BYTES {
                    if socket.write_all(chunk.as_bytes()).await.is_err() {
                        return;
                    }
                    sent += chunk.len();
                    counter.fetch_add(chunk.len(), Ordering::Relaxed);
                }
            });
        }
    });
    (url, taken)
}

fn assert_bounded(taken: &AtomicUsize) {
    let n = taken.load(Ordering::Relaxed);
    assert!(n < READ_BOUND_BYTES, "Vouch read {n} bytes of an endless answer");
}

async fn last_errors(db: &TestDb, kind: &str) -> Vec<String> {
    sqlx::query_as::<_, (String,)>("select last_error from job where kind = $1 order by job_id")
        .bind(kind)
        .fetch_all(&mut *db.store.conn().await.expect("conn"))
        .await
        .expect("jobs")
        .into_iter()
        .map(|(e,)| e)
        .collect()
}

async fn vendor_error_body_is_capped(db: &TestDb) {
    let (url, taken) = endless("500 Internal Server Error").await;
    let (app, _) = TestApp::listening(db, |c| {
        c.software_secure.api_url = url;
        c.software_secure.max_attempts = 1;
        c.software_secure.request_timeout_secs = 20;
    })
    .await;
    let ada = app.login("ada").await;
    let photo = data_url("image/jpeg", &jpeg_bytes(300));
    let body = json!({"request": {"face_image": photo, "photo_id_image": photo, "full_name": null}}).to_string();
    assert_eq!(app.json(sfn("submit_photos", Some(&ada), body)).await.0, StatusCode::OK);
    server::reactions::runner(app.services.clone(), "test").run_until_idle().await;
    let errors = last_errors(db, "software_secure.submit").await;
    assert_eq!(errors.len(), 1);
    // What arrived first is kept (so staff see the vendor's answer), and no more.
    assert!(errors[0].starts_with("vendor answered 500"), "{}", errors[0]);
    assert!(errors[0].contains("xxxxxxxx"), "the start of the answer is kept: {}", errors[0]);
    assert!(errors[0].len() <= 2100, "{} bytes kept", errors[0].len());
    assert_bounded(&taken);
}
crate::on_both_backends!(vendor_error_body, vendor_error_body_is_capped);

async fn outcome_answer_is_capped(db: &TestDb) {
    let (url, taken) = endless("200 OK").await;
    let mut cfg = db.config();
    cfg.server.public_url = "http://127.0.0.1:8000".into();
    cfg.lti.allow_private_outcome_urls = true;
    cfg.lti.outcome_timeout_secs = 20;
    let app = TestApp::with_config(db, cfg).await;
    add_consumer(&db.store).await;
    let launch = Launch::new("http://127.0.0.1:8000", "u1").graded(&url, "sid-ada");
    let req = Request::post(crate::lti_support::LAUNCH_PATH)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(sign(&launch)))
        .expect("req");
    assert_eq!(app.send(req).await.0, StatusCode::SEE_OTHER);
    let username = crate::lti_support::mapped_username(&db.store, "u1").await.expect("mapped");
    let user = server::store::users::by_username(&mut db.store.conn().await.expect("conn"), &username)
        .await
        .expect("q")
        .expect("user");
    manual_verifications::create_manual_verification(&app.services, user.id, "Ada Lovelace", "passport seen", None)
        .await
        .expect("manual verification");
    server::reactions::runner(app.services.clone(), "test").run_until_idle().await;
    let errors = last_errors(db, "lti.outcome").await;
    assert!(
        errors.iter().any(|e| e.contains("larger than")),
        "an endless outcome answer is refused as too large: {errors:?}"
    );
    assert_bounded(&taken);
}
crate::on_both_backends!(outcome_answer, outcome_answer_is_capped);

async fn hosted_answer_is_capped(db: &TestDb) {
    let (url, taken) = endless("200 OK").await;
    let mut cfg = db.config();
    cfg.idv.vendor = "hosted".into();
    cfg.idv.hosted_api_url = url;
    cfg.idv.hosted_api_key = Some("hosted-api-key-for-the-capped-answer-test".to_owned().into());
    cfg.idv.hosted_webhook_secret = Some("hosted-webhook-secret-for-the-capped-test".to_owned().into());
    cfg.idv.hosted_request_timeout_secs = 20;
    let app = TestApp::with_config(db, cfg).await;
    let ada = app.login("ada").await;
    let (status, v) = app.json(sfn("slot_config", Some(&ada), String::new())).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{v}");
    assert_eq!(v["error"]["code"], "unavailable", "{v}");
    assert_bounded(&taken);
}
crate::on_both_backends!(hosted_answer, hosted_answer_is_capped);
