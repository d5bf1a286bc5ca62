//! The review queue's rules, each through HTTP and each with the refusal that proves it:
//! claiming is idempotent and an empty queue is 204; nobody claims, reads or decides their
//! own attempt; only the holder of a live claim decides (a lapsed claim is no claim, and
//! the attempt returns to the queue); bad reasons change nothing; release gives a claim
//! back; and under the second look a denial is final only when a different reviewer agrees.

use crate::{
    on_both_backends,
    review_support::{claim, decide, in_house_config, req, review_state, reviewer, staff, submit, two_reasons},
    support::{TestApp, TestDb, jpeg_bytes},
};
use axum::http::StatusCode;
use serde_json::json;

async fn learner_submits(app: &TestApp, username: &str) -> (String, String) {
    let cookie = app.login(username).await;
    let receipt = submit(app, &cookie, &jpeg_bytes(100), &jpeg_bytes(120), "Some Learner").await;
    (cookie, receipt)
}

async fn claims(db: &TestDb) {
    let app = TestApp::with_config(db, in_house_config(db)).await;
    let rita = reviewer(&app, "rita").await;
    let sam = reviewer(&app, "sam").await;
    let root = staff(&app, "root").await;

    // Empty queue: 204, nothing audited.
    assert_eq!(claim(&app, &rita).await.0, StatusCode::NO_CONTENT);
    assert_eq!(claim(&app, &root).await.0, StatusCode::NO_CONTENT, "staff review too");
    assert!(crate::review_support::audit_rows(&app).await.is_empty());

    let (_, older) = learner_submits(&app, "ada").await;
    app.clock.advance(chrono::Duration::seconds(5));
    let (_, newer) = learner_submits(&app, "bob").await;

    // The oldest first; claiming again returns the same claim (idempotent, not a second one).
    let (st, first) = claim(&app, &rita).await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(first["receipt_id"], older.as_str());
    assert_eq!(first["queue"], json!({"size": 2, "oldest_age_secs": 5}));
    let before = review_state(&app).await;
    let (_, again) = claim(&app, &rita).await;
    assert_eq!(again["receipt_id"], older.as_str());
    assert_eq!(again["claimed_until"], first["claimed_until"]);
    assert_eq!(review_state(&app).await, before, "a repeated claim changes nothing");
    // Another reviewer gets the next one; then nothing is left for a third.
    let (_, other) = claim(&app, &sam).await;
    assert_eq!(other["receipt_id"], newer.as_str());
    assert_eq!(claim(&app, &root).await.0, StatusCode::NO_CONTENT, "both are held");

    // Sam may not read or decide Rita's claim; nothing changes.
    let before = review_state(&app).await;
    let (st, e) = app.json(req("GET", &format!("/api/v1/reviews/{older}"), Some(&sam), None)).await;
    assert_eq!((st, e["error"]["code"].as_str()), (StatusCode::FORBIDDEN, Some("not_claim_holder")));
    let (st, e) = decide(&app, &sam, &older, json!({"decision": "approve"})).await;
    assert_eq!((st, e["error"]["code"].as_str()), (StatusCode::FORBIDDEN, Some("not_claim_holder")));
    let (st, _, _) =
        app.send(req("GET", &format!("/verify_student/decrypt-idv-images/face/{older}"), Some(&sam), None)).await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    let (st, e) = app.json(req("POST", &format!("/api/v1/reviews/{older}/release"), Some(&sam), None)).await;
    assert_eq!((st, e["error"]["code"].as_str()), (StatusCode::FORBIDDEN, Some("not_claim_holder")));
    assert_eq!(review_state(&app).await, before, "refusals change nothing");
    // Staff may read it, but not decide without holding the claim.
    let (st, _) = app.json(req("GET", &format!("/api/v1/reviews/{older}"), Some(&root), None)).await;
    assert_eq!(st, StatusCode::OK);
    let (st, e) = decide(&app, &root, &older, json!({"decision": "approve"})).await;
    assert_eq!((st, e["error"]["code"].as_str()), (StatusCode::FORBIDDEN, Some("not_claim_holder")));

    // Bad reasons: 400 `invalid_reasons`, nothing changed.
    let before = review_state(&app).await;
    for body in [
        json!({"decision": "deny"}),
        json!({"decision": "deny", "reasons": []}),
        json!({"decision": "deny", "reasons": [{"category": "otherReasons", "reason": "Not provided"}]}),
        json!({"decision": "deny", "reasons": [{"category": "userPhotoReasons", "reason": "Not provided"}]}),
        json!({"decision": "deny", "reasons": [{"category": "generalReasons", "reason": "Looked shifty"}]}),
        json!({"decision": "approve", "reasons": two_reasons()}),
    ] {
        let (st, e) = decide(&app, &rita, &older, body.clone()).await;
        assert_eq!((st, e["error"]["code"].as_str()), (StatusCode::BAD_REQUEST, Some("invalid_reasons")), "{body}");
    }
    let (st, e) = decide(&app, &rita, &older, json!({"decision": "maybe"})).await;
    assert_eq!((st, e["error"]["code"].as_str()), (StatusCode::BAD_REQUEST, Some("invalid_request")));
    assert_eq!(review_state(&app).await, before, "refused decisions change nothing");

    // A claim lapses: Rita's returns to the queue, and the next reviewer takes it; Rita's
    // decision then is refused and changes nothing.
    app.clock.advance(chrono::Duration::seconds(601));
    let (st, lapsed) = claim(&app, &root).await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(lapsed["receipt_id"], older.as_str(), "the lapsed claim is the oldest unclaimed again");
    let before = review_state(&app).await;
    let (st, e) = decide(&app, &rita, &older, json!({"decision": "approve"})).await;
    assert_eq!((st, e["error"]["code"].as_str()), (StatusCode::FORBIDDEN, Some("not_claim_holder")));
    assert_eq!(review_state(&app).await, before);

    // Release gives it back; the holder's next claim can take it again.
    let (st, _, _) = app.send(req("POST", &format!("/api/v1/reviews/{older}/release"), Some(&root), None)).await;
    assert_eq!(st, StatusCode::NO_CONTENT);
    let (_, e) = claim(&app, &rita).await;
    assert_eq!(e["receipt_id"], older.as_str(), "released, so claimable");
    let (st, done) = decide(&app, &rita, &older, json!({"decision": "approve"})).await;
    assert_eq!(st, StatusCode::OK, "{done}");
    // Decided: every further operation says so.
    let (st, e) = decide(&app, &rita, &older, json!({"decision": "deny", "reasons": two_reasons()})).await;
    assert_eq!((st, e["error"]["code"].as_str()), (StatusCode::CONFLICT, Some("already_decided")));
    let (st, e) = app.json(req("POST", &format!("/api/v1/reviews/{older}/release"), Some(&rita), None)).await;
    assert_eq!((st, e["error"]["code"].as_str()), (StatusCode::CONFLICT, Some("already_decided")));
}
on_both_backends!(review_claims_holders_lapses_and_releases, claims);

async fn own_attempt(db: &TestDb) {
    let app = TestApp::with_config(db, in_house_config(db)).await;
    let rita = reviewer(&app, "rita").await;
    let root = staff(&app, "root").await;
    // Rita verifies herself: she never gets her own attempt, nor reads or sees it.
    let mine = submit(&app, &rita, &jpeg_bytes(100), &jpeg_bytes(120), "Rita Reviewer").await;
    assert_eq!(claim(&app, &rita).await.0, StatusCode::NO_CONTENT, "her own attempt is not hers to claim");
    let (st, e) = app.json(req("GET", &format!("/api/v1/reviews/{mine}"), Some(&rita), None)).await;
    assert_eq!((st, e["error"]["code"].as_str()), (StatusCode::FORBIDDEN, Some("own_attempt")));
    let (st, _, _) =
        app.send(req("GET", &format!("/verify_student/decrypt-idv-images/photo-id/{mine}"), Some(&rita), None)).await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    // Even staff reviewing: root claims it, and Rita still cannot decide it.
    let (_, c) = claim(&app, &root).await;
    assert_eq!(c["receipt_id"], mine.as_str());
    let before = review_state(&app).await;
    let (st, e) = decide(&app, &rita, &mine, json!({"decision": "approve"})).await;
    assert_eq!((st, e["error"]["code"].as_str()), (StatusCode::FORBIDDEN, Some("own_attempt")));
    assert_eq!(review_state(&app).await, before);
}
on_both_backends!(reviewers_never_review_their_own_attempt, own_attempt);

async fn second_look(db: &TestDb) {
    let mut cfg = in_house_config(db);
    cfg.review.second_review_for_denials = true;
    let app = TestApp::with_config(db, cfg).await;
    let rita = reviewer(&app, "rita").await;
    let sam = reviewer(&app, "sam").await;
    let (ada, denied) = learner_submits(&app, "ada").await;

    // Rita's denial is a first denial: recorded, the attempt stays submitted and back in the queue.
    claim(&app, &rita).await;
    let (st, done) =
        decide(&app, &rita, &denied, json!({"decision": "deny", "reasons": two_reasons(), "note": "blurry ID"})).await;
    assert_eq!(st, StatusCode::OK, "{done}");
    assert_eq!(done, json!({"receipt_id": denied, "status": "submitted", "final": false}));
    let (_, status) = app.json(req("GET", "/api/v1/users/ada/status", Some(&ada), None)).await;
    assert_eq!(status["status"], "pending", "the learner sees nothing yet");
    // Not for Rita again; Sam gets it, sees her denial, and confirms it: final.
    assert_eq!(claim(&app, &rita).await.0, StatusCode::NO_CONTENT);
    let (_, c) = claim(&app, &sam).await;
    assert_eq!(c["receipt_id"], denied.as_str());
    let (_, detail) = app.json(req("GET", &format!("/api/v1/reviews/{denied}"), Some(&sam), None)).await;
    assert_eq!(
        detail["awaiting_second_review"],
        json!({"first_reviewer": "rita", "reasons": two_reasons(), "note": "blurry ID"})
    );
    let reasons = json!([{"category": "photoIdReasons", "reason": "Not provided"}]);
    let (_, done) = decide(&app, &sam, &denied, json!({"decision": "deny", "reasons": reasons})).await;
    assert_eq!(done, json!({"receipt_id": denied, "status": "denied", "final": true}));
    let (_, status) = app.json(req("GET", "/api/v1/users/ada/status", Some(&ada), None)).await;
    assert_eq!(status["status"], "must_reverify");
    assert_eq!(status["reasons"], json!(["No photo ID was provided."]), "the confirming reviewer's reasons");

    // A first denial that the second reviewer overturns: approved, final.
    let (_, approved) = learner_submits(&app, "bob").await;
    claim(&app, &sam).await;
    let (_, done) = decide(&app, &sam, &approved, json!({"decision": "deny", "reasons": two_reasons()})).await;
    assert_eq!(done["final"], false);
    claim(&app, &rita).await;
    let (_, done) = decide(&app, &rita, &approved, json!({"decision": "approve"})).await;
    assert_eq!(done, json!({"receipt_id": approved, "status": "approved", "final": true}));
    // An approval by one reviewer is final at once.
    let (_, once) = learner_submits(&app, "cy").await;
    claim(&app, &rita).await;
    let (_, done) = decide(&app, &rita, &once, json!({"decision": "approve"})).await;
    assert_eq!(done["final"], true);
    let (decisions,): (i64,) = sqlx::query_as("select count(*) from review_decision")
        .fetch_one(&mut *app.services.store.conn().await.expect("conn"))
        .await
        .expect("count");
    assert_eq!(decisions, 5, "every decision is recorded, first denials included");
}
on_both_backends!(second_look_makes_a_denial_final_only_with_a_different_reviewer, second_look);
