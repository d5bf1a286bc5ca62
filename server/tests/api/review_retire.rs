//! Retiring a learner takes their undecided attempts out of the review queue, in the
//! retiring transaction: closed with the `retired` marker, any claim dropped.

use crate::{
    on_both_backends,
    review_support::{claim, in_house_config, req, reviewer, submit},
    support::{TestApp, TestDb, jpeg_bytes},
};
use axum::http::StatusCode;

async fn retired(db: &TestDb) {
    let app = TestApp::with_config(db, in_house_config(db)).await;
    let ada = app.login("ada").await;
    let bob = app.login("bob").await;
    submit(&app, &ada, &jpeg_bytes(100), &jpeg_bytes(120), "Ada Lovelace").await;
    let rita = reviewer(&app, "rita").await;
    // Rita holds one of Ada's attempts when Ada is retired.
    assert_eq!(claim(&app, &rita).await.0, StatusCode::OK);
    let (_, stats) = app.json(req("GET", "/api/v1/reviews/stats", Some(&rita), None)).await;
    assert_eq!((stats["size"].as_i64(), stats["claimed"].as_i64()), (Some(1), Some(1)), "{stats}");

    let user = server::store::users::by_username(&mut app.services.store.conn().await.expect("c"), "ada")
        .await
        .expect("q")
        .expect("ada");
    server::service::retire::retire_user(&app.services, user.id).await.expect("retired");

    let (_, stats) = app.json(req("GET", "/api/v1/reviews/stats", Some(&rita), None)).await;
    assert_eq!((stats["size"].as_i64(), stats["claimed"].as_i64()), (Some(0), Some(0)), "{stats}");
    let sam = reviewer(&app, "sam").await;
    assert_eq!(claim(&app, &sam).await.0, StatusCode::NO_CONTENT, "nothing of a retired learner is claimable");
    assert_eq!(claim(&app, &rita).await.0, StatusCode::NO_CONTENT, "Rita's claim on it is gone");
    type Row = (Option<i64>, Option<i64>, Option<String>, Option<i64>);
    let rows: Vec<Row> =
        sqlx::query_as("select claimed_by, claimed_until, decision, decided_at from review_item order by attempt_id")
            .fetch_all(&mut *app.services.store.conn().await.expect("conn"))
            .await
            .expect("items");
    let now = app.services.clock.now().timestamp_micros();
    assert_eq!(rows, vec![(None, None, Some("retired".into()), Some(now))]);

    // Another learner's attempt is untouched and still reviewable.
    let receipt = submit(&app, &bob, &jpeg_bytes(102), &jpeg_bytes(122), "Bob").await;
    let (s, item) = claim(&app, &sam).await;
    assert_eq!((s, item["receipt_id"].as_str()), (StatusCode::OK, Some(receipt.as_str())));
}
on_both_backends!(retiring_a_learner_closes_their_undecided_review_items, retired);
