//! The review routes' authorization matrix with the actors the queue has: anonymous, the
//! learner whose attempt it is (not a reviewer), another reviewer without the claim, the
//! claim holder, and staff. Before each row the holder claims again (idempotent), so every
//! row starts from the same state; the decision row is last because it decides.

use crate::{
    on_both_backends,
    review_support::{claim, in_house_config, req, reviewer, staff, submit},
    support::{TestApp, TestDb, jpeg_bytes},
};
use axum::http::{StatusCode, header};
use serde_json::{Value, json};

/// Method, path (`{r}`: the attempt's receipt id), body, and the status for anon, learner,
/// other reviewer, holder, staff.
type Row = (&'static str, &'static str, Option<&'static str>, [u16; 5]);

#[rustfmt::skip]
const MATRIX: &[Row] = &[
    ("GET",  "/api/v1/reviews/stats",                           None, [401, 403, 200, 200, 200]),
    ("GET",  "/api/v1/reviews/reasons",                         None, [401, 403, 200, 200, 200]),
    ("POST", "/api/v1/reviews/claim",                           None, [401, 403, 204, 200, 204]),
    ("GET",  "/api/v1/reviews/{r}",                             None, [401, 403, 403, 200, 200]),
    ("GET",  "/verify_student/decrypt-idv-images/face/{r}",     None, [401, 403, 403, 200, 200]),
    ("GET",  "/verify_student/decrypt-idv-images/photo-id/{r}", None, [401, 403, 403, 200, 200]),
    // The holder gives it back; staff may release any claim (none is left: 204, no change).
    ("POST", "/api/v1/reviews/{r}/release",                     None, [401, 403, 403, 204, 204]),
    // Only the holder decides; after that, staff hear it is decided.
    ("POST", "/api/v1/reviews/{r}/decision", Some(r#"{"decision": "approve"}"#), [401, 403, 403, 200, 409]),
];

async fn matrix(db: &TestDb) {
    let app = TestApp::with_config(db, in_house_config(db)).await;
    let ada = app.login("ada").await;
    let receipt = submit(&app, &ada, &jpeg_bytes(100), &jpeg_bytes(120), "Ada Lovelace").await;
    let rex = reviewer(&app, "rex").await;
    let hana = reviewer(&app, "hana").await;
    let root = staff(&app, "root").await;

    let mut wrong = Vec::new();
    for (method, path, body, expect) in MATRIX {
        let (st, c) = claim(&app, &hana).await;
        assert!(st == StatusCode::OK || *path == "/api/v1/reviews/{r}/decision", "{c}");
        let path = path.replace("{r}", &receipt);
        let mut got = [0u16; 5];
        for (col, cookie) in [None, Some(&ada), Some(&rex), Some(&hana), Some(&root)].into_iter().enumerate() {
            let body = body.map(|b| serde_json::from_str::<Value>(b).expect("json"));
            let (status, headers, bytes) = app.send(req(method, &path, cookie.map(String::as_str), body)).await;
            got[col] = status.as_u16();
            if status.is_client_error() {
                let ct = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or_default();
                let v: Value = serde_json::from_slice(&bytes).unwrap_or_default();
                if !ct.starts_with("application/json") || !v["error"]["code"].is_string() {
                    wrong.push(format!("{method} {path} column {col}: {status} without the JSON error envelope"));
                }
            }
        }
        if got != *expect {
            wrong.push(format!("{method} {path}: expected {expect:?}, got {got:?}"));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    let (_, status) = app.json(req("GET", "/api/v1/users/ada/status", Some(&ada), None)).await;
    assert_eq!(status["status"], "approved", "the holder's decision, and only it, took effect: {}", json!(status));
}
on_both_backends!(review_routes_authorization_matrix, matrix);
