//! Software Secure's callback cannot decide an in_house attempt: a correctly signed verdict
//! for a receipt that is in the review queue is refused exactly like an unknown receipt,
//! and the attempt stays submitted and queued.

use crate::{
    bad_input::signed_callback,
    on_both_backends,
    review_support::{claim, in_house_config, review_state, reviewer, submit},
    support::{TestApp, TestDb, jpeg_bytes},
};
use axum::http::StatusCode;
use serde_json::json;

async fn refused(db: &TestDb) {
    let app = TestApp::with_config(db, in_house_config(db)).await;
    let ada = app.login("ada").await;
    let receipt = submit(&app, &ada, &jpeg_bytes(100), &jpeg_bytes(120), "Ada Lovelace").await;
    let unknown = {
        let body = json!({"EdX-ID": "no-such-receipt", "Result": "PASS", "Reason": "", "MessageType": ""});
        app.json(signed_callback(&body)).await
    };
    assert_eq!(unknown.0, StatusCode::BAD_REQUEST, "{}", unknown.1);

    let before = review_state(&app).await;
    for result in ["PASS", "FAIL"] {
        let body = json!({"EdX-ID": receipt, "Result": result, "Reason": "", "MessageType": ""});
        let (s, v) = app.json(signed_callback(&body)).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{v}");
        assert_eq!(v["error"]["code"], unknown.1["error"]["code"], "refused like an unknown receipt: {v}");
        assert_eq!(v["error"]["message"], format!("edX ID {receipt} not found"), "{v}");
    }
    assert_eq!(review_state(&app).await, before, "nothing changed");
    // Still submitted and in the queue.
    let rita = reviewer(&app, "rita").await;
    let (s, item) = claim(&app, &rita).await;
    assert_eq!(s, StatusCode::OK, "{item}");
    assert_eq!(item["receipt_id"], receipt.as_str());
}
on_both_backends!(software_secure_callback_cannot_decide_an_in_house_attempt, refused);
