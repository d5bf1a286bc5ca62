//! Four reviewers working a queue of 200 at once, on SQLite and on PostgreSQL, through the
//! HTTP routes on a multi-threaded runtime: every attempt is claimed by one reviewer at a
//! time and decided exactly once, no decision is refused (so no two reviewers ever held the
//! same attempt), and a claim abandoned mid-way returns to the queue once it lapses
//! (injected clock). Prints the claims per second the run achieved (a figure, not an
//! assertion).

use crate::{
    review_support::{claim, decide, in_house_config, reviewer, two_reasons},
    support::{TestApp, TestDb},
};
use app::domain::AttemptStatus;
use axum::http::StatusCode;
use serde_json::json;
use server::store::{
    attempts::{self, NewPhotoVerification},
    reviews,
    transitions::Actor,
    users,
};
use std::{
    collections::{BTreeMap, BTreeSet},
    sync::Arc,
};

const QUEUE: usize = 200;
const REVIEWERS: usize = 4;

/// 200 learners with one submitted in_house attempt each (seeded through the store: the
/// queue is under test here, not the upload).
async fn seed(app: &TestApp) -> BTreeSet<String> {
    let s = &app.services;
    let now = s.clock.now();
    let mut receipts = BTreeSet::new();
    for i in 0..QUEUE {
        let mut tx = s.store.begin().await.expect("tx");
        let user = users::get_or_create(&mut tx, &format!("learner{i}"), now).await.expect("user");
        let receipt = uuid::Uuid::new_v4().to_string();
        let new = NewPhotoVerification {
            uuid: uuid::Uuid::new_v4().to_string(),
            user_id: user.id,
            name: format!("Learner {i}"),
            receipt_id: receipt.clone(),
            face_image_ref: None,
            photo_id_image_ref: None,
            photo_id_key: String::new(),
            user_photo_key: String::new(),
            copy_id_photo_from: None,
            course_key: None,
        };
        let id = attempts::insert(&mut tx, &new, &Actor::Learner(user.id), now).await.expect("attempt");
        sqlx::query("update photo_verification set status = 'submitted', submitted_at = $1 where attempt_id = $2")
            .bind(now.timestamp_micros())
            .bind(id.0)
            .execute(&mut *tx)
            .await
            .expect("submitted");
        // Distinct queue times, so "oldest first" has one answer.
        reviews::enqueue(&mut tx, id, &receipt, user.id, now - chrono::Duration::seconds((QUEUE - i) as i64))
            .await
            .expect("queued");
        tx.commit().await.expect("commit");
        receipts.insert(receipt);
    }
    receipts
}

/// One reviewer's work: claim, decide, until the queue has nothing for them. Reviewer 3
/// walks away from its fifth claim without deciding. Returns (claimed, decided) receipts.
async fn work(app: Arc<TestApp>, cookie: String, n: usize) -> (Vec<String>, Vec<String>) {
    let mut claimed = Vec::new();
    let mut decided = Vec::new();
    loop {
        let (st, c) = claim(&app, &cookie).await;
        if st == StatusCode::NO_CONTENT {
            break;
        }
        assert_eq!(st, StatusCode::OK, "{c}");
        let receipt = c["receipt_id"].as_str().expect("receipt").to_owned();
        claimed.push(receipt.clone());
        if n == 3 && claimed.len() == 5 {
            break;
        }
        let body = if decided.len() % 2 == 0 {
            json!({"decision": "approve"})
        } else {
            json!({"decision": "deny", "reasons": two_reasons()})
        };
        let (st, d) = decide(&app, &cookie, &receipt, body).await;
        assert_eq!(st, StatusCode::OK, "reviewer {n}: a decision on a held claim is never refused: {d}");
        assert_eq!(d["final"], true);
        decided.push(receipt);
    }
    (claimed, decided)
}

async fn four_reviewers(db: &TestDb) {
    let mut cfg = in_house_config(db);
    cfg.database.max_connections = 8;
    let app = Arc::new(TestApp::with_config(db, cfg).await);
    let receipts = seed(&app).await;
    let mut cookies = Vec::new();
    for n in 0..REVIEWERS {
        cookies.push(reviewer(&app, &format!("reviewer{n}")).await);
    }

    let started = std::time::Instant::now();
    let tasks: Vec<_> =
        cookies.iter().enumerate().map(|(n, c)| tokio::spawn(work(app.clone(), c.clone(), n))).collect();
    let mut claimed_by: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    let mut decided: Vec<String> = Vec::new();
    for (n, t) in tasks.into_iter().enumerate() {
        let (c, d) = t.await.expect("reviewer task");
        for r in c {
            claimed_by.entry(r).or_default().push(n);
        }
        decided.extend(d);
    }
    let elapsed = started.elapsed().as_secs_f64();
    let claims: usize = claimed_by.values().map(Vec::len).sum();
    println!(
        "review concurrency ({:?}): {claims} claims and {} decisions by {REVIEWERS} reviewers in {elapsed:.2} s: {:.0} claims/s",
        app.services.store.backend(),
        decided.len(),
        claims as f64 / elapsed
    );
    // No attempt was handed to two reviewers, and every one was claimed.
    assert!(claimed_by.values().all(|who| who.len() == 1), "an attempt claimed twice: {claimed_by:?}");
    assert_eq!(claimed_by.keys().cloned().collect::<BTreeSet<_>>(), receipts);
    // The abandoned claim is still held (not given to anyone), so one is left undecided.
    let unique: BTreeSet<&String> = decided.iter().collect();
    assert_eq!((decided.len(), unique.len()), (QUEUE - 1, QUEUE - 1), "each decided once");
    let abandoned: Vec<&String> = receipts.iter().filter(|r| !unique.contains(r)).collect();
    assert_eq!(abandoned.len(), 1);
    assert_eq!(claim(&app, &cookies[0]).await.0, StatusCode::NO_CONTENT, "a live claim is nobody else's");

    // Once it lapses it returns, and is decided by someone else.
    app.clock.advance(chrono::Duration::seconds(app.services.cfg.review.claim_secs + 1));
    let (st, c) = claim(&app, &cookies[1]).await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(c["receipt_id"].as_str(), Some(abandoned[0].as_str()));
    let (st, _) = decide(&app, &cookies[1], abandoned[0], json!({"decision": "approve"})).await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(claim(&app, &cookies[2]).await.0, StatusCode::NO_CONTENT, "the queue is empty");

    // In the database: 200 decided attempts, one decision each, one decision transition each.
    let mut conn = app.services.store.conn().await.expect("conn");
    let per_attempt: Vec<(i64, i64)> =
        sqlx::query_as("select attempt_id, count(*) from review_decision group by attempt_id")
            .fetch_all(&mut *conn)
            .await
            .expect("decisions");
    assert_eq!(per_attempt.len(), QUEUE);
    assert!(per_attempt.iter().all(|(_, n)| *n == 1), "each attempt decided exactly once");
    let statuses: Vec<(String, i64)> =
        sqlx::query_as("select status, count(*) from photo_verification group by status order by status")
            .fetch_all(&mut *conn)
            .await
            .expect("statuses");
    let decided_total: i64 = statuses
        .iter()
        .filter(|(s, _)| s == AttemptStatus::Approved.as_str() || s == AttemptStatus::Denied.as_str())
        .map(|(_, n)| n)
        .sum();
    assert_eq!(decided_total, QUEUE as i64, "{statuses:?}");
    let (transitions,): (i64,) =
        sqlx::query_as("select count(*) from attempt_transition where to_status in ('approved', 'denied')")
            .fetch_one(&mut *conn)
            .await
            .expect("transitions");
    assert_eq!(transitions, QUEUE as i64);
}

mod four_reviewers_decide_each_attempt_exactly_once {
    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn sqlite() {
        let db = crate::support::TestDb::sqlite().await;
        super::four_reviewers(&db).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn postgres() {
        let db = crate::support::TestDb::postgres().await;
        super::four_reviewers(&db).await;
        db.cleanup().await;
    }
}

/// One reviewer firing 8 claims at once (two tabs, a double click) holds at most one live
/// claim: every answer is that same attempt.
async fn one_reviewer_eight_claims(db: &TestDb) {
    let app = Arc::new(TestApp::with_config(db, in_house_config(db)).await);
    seed(&app).await;
    let rita = reviewer(&app, "rita").await;
    let tasks: Vec<_> = (0..8)
        .map(|_| {
            let (app, rita) = (app.clone(), rita.clone());
            tokio::spawn(async move { claim(&app, &rita).await })
        })
        .collect();
    let mut receipts = BTreeSet::new();
    for t in tasks {
        let (st, v) = t.await.expect("task");
        assert_eq!(st, StatusCode::OK, "{v}");
        receipts.insert(v["receipt_id"].as_str().expect("receipt").to_owned());
    }
    let now = app.services.clock.now().timestamp_micros();
    let (live,): (i64,) = sqlx::query_as("select count(*) from review_item where claimed_until > $1")
        .bind(now)
        .fetch_one(&mut *app.services.store.conn().await.expect("conn"))
        .await
        .expect("count");
    assert_eq!(live, 1, "one live claim, not {live}");
    assert_eq!(receipts.len(), 1, "every claim answered the same attempt: {receipts:?}");
}

mod one_reviewer_never_holds_two_live_claims {
    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn sqlite() {
        let db = crate::support::TestDb::sqlite().await;
        super::one_reviewer_eight_claims(&db).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn postgres() {
        let db = crate::support::TestDb::postgres().await;
        super::one_reviewer_eight_claims(&db).await;
        db.cleanup().await;
    }
}
