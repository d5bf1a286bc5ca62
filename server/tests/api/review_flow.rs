//! The whole in-house review loop through HTTP: a learner (launched from an LMS, with a
//! graded LTI link) submits through the SPA's flow to vendor `in_house`; a reviewer claims
//! the attempt, reads it, sees both photos decrypt to the bytes submitted, and denies it
//! with two reasons; the learner reads the two reasons as sentences and submits again; a
//! second reviewer approves. Events (webhook), emails (SMTP sink), the LTI grade and the
//! learner's verified name follow exactly as they do for a vendor's verdict, and every
//! claim, view and decision is in the audit log.

use crate::{
    emails::Sink,
    lti_support::{self, Launch, Receiver as LtiReceiver, add_consumer, mapped_username, sign},
    on_both_backends,
    review_support::{audit_rows, claim, decide, in_house_config, req, reviewer, submit, two_reasons},
    support::{TestApp, TestDb, assert_no_plaintext_photos, jpeg_bytes},
    webhooks::Receiver as WebhookReceiver,
};
use axum::http::{StatusCode, header};
use serde_json::json;
use server::{service::name_affirmation, store::users};

const BASE: &str = "http://127.0.0.1:8000";
const WEBHOOK_SECRET: &str = "review-flow-webhook-secret-0123456789abcdef";

/// The learner's session after an LTI launch on a graded link.
async fn launched_learner(app: &TestApp, db: &TestDb, outcome_url: &str) -> (String, app::domain::UserId) {
    let launch = Launch::new(BASE, "lms-ada").graded(outcome_url, "sid-ada");
    let r = req("POST", lti_support::LAUNCH_PATH, None, None);
    let (parts, _) = r.into_parts();
    let mut r = axum::http::Request::from_parts(parts, axum::body::Body::from(sign(&launch)));
    r.headers_mut().insert(header::CONTENT_TYPE, "application/x-www-form-urlencoded".parse().expect("ct"));
    let (status, headers, body) = app.send(r).await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{}", String::from_utf8_lossy(&body));
    let cookie = headers[header::SET_COOKIE].to_str().expect("ascii").split(';').next().expect("pair").to_owned();
    let username = mapped_username(&db.store, "lms-ada").await.expect("mapped");
    let mut conn = db.store.conn().await.expect("conn");
    let user = users::by_username(&mut conn, &username).await.expect("q").expect("user");
    sqlx::query("update app_user set email = 'ada@example.com', full_name = 'Ada Lovelace' where user_id = $1")
        .bind(user.id.0)
        .execute(&mut *conn)
        .await
        .expect("email");
    (cookie, user.id)
}

async fn full_loop(db: &TestDb) {
    let sink = Sink::start(db.dir.path()).await;
    let hooks = WebhookReceiver::start(200).await;
    let grades = LtiReceiver::start(0, "500");
    let mut cfg = in_house_config(db);
    sink.configure(&mut cfg);
    cfg.server.public_url = BASE.into();
    cfg.lti.allow_private_outcome_urls = true;
    cfg.events.webhook_url = Some(hooks.url.clone());
    cfg.events.webhook_secret = Some(WEBHOOK_SECRET.to_owned().into());
    let app = TestApp::with_config(db, cfg).await;
    add_consumer(&db.store).await;
    let s = &app.services;
    let runner = server::reactions::runner(s.clone(), "test");
    let (ada, ada_id) = launched_learner(&app, db, &grades.url).await;
    let ada_name = users::by_id(&mut s.store.conn().await.expect("c"), ada_id).await.expect("q").expect("u").username;
    name_affirmation::request_verified_name(s, ada_id, "Ada Lovelace", None).await.expect("verified name asked");
    let rita = reviewer(&app, "rita").await;
    let sam = reviewer(&app, "sam").await;

    // The learner submits through the SPA's flow: sealed for the review key, submitted at
    // once, nothing queued for a vendor.
    let face = jpeg_bytes(300);
    let id = jpeg_bytes(400);
    let first = submit(&app, &ada, &face, &id, "Ada Lovelace").await;
    assert_no_plaintext_photos(db);
    let mut conn = s.store.conn().await.expect("conn");
    let (status,): (String,) = sqlx::query_as("select status from photo_verification where receipt_id = $1")
        .bind(&first)
        .fetch_one(&mut *conn)
        .await
        .expect("attempt");
    assert_eq!(status, "submitted");
    let (vendor_jobs,): (i64,) = sqlx::query_as("select count(*) from job where kind = 'software_secure.submit'")
        .fetch_one(&mut *conn)
        .await
        .expect("jobs");
    assert_eq!(vendor_jobs, 0, "nothing goes to a vendor");
    drop(conn);
    runner.run_until_idle().await;

    // Rita claims it and reads it.
    let (st, claimed) = claim(&app, &rita).await;
    assert_eq!(st, StatusCode::OK, "{claimed}");
    assert_eq!(claimed["receipt_id"], first.as_str());
    assert_eq!(claimed["queue"]["size"], 1);
    let until =
        chrono::DateTime::parse_from_rfc3339(claimed["claimed_until"].as_str().expect("until")).expect("rfc3339");
    assert_eq!((until.timestamp() - s.clock.now().timestamp()), 600, "review.claim_secs by default");
    let (st, detail) = app.json(req("GET", &format!("/api/v1/reviews/{first}"), Some(&rita), None)).await;
    assert_eq!(st, StatusCode::OK, "{detail}");
    assert_eq!(detail["username"], ada_name.as_str());
    assert_eq!(detail["account_name"], "Ada Lovelace");
    assert_eq!(detail["expected_name"], "Ada Lovelace");
    assert_eq!(detail["status"], "submitted");
    assert_eq!(detail["claimed_by"], "rita");
    assert_eq!(detail["id_photo_reused"], false);
    assert_eq!(detail["awaiting_second_review"], serde_json::Value::Null);
    assert_eq!(detail["history"], json!([]));
    // The console reads these answers as the shared bodies: a field renamed on the server
    // side would leave its cells blank, so the bodies must parse as `rest_types` says.
    let typed: rest_types::DetailBody = serde_json::from_value(detail.clone()).expect("the console's DetailBody");
    assert_eq!((typed.receipt_id.as_str(), typed.claimed_by.as_deref()), (first.as_str(), Some("rita")));
    let typed: rest_types::ClaimBody = serde_json::from_value(claimed.clone()).expect("the console's ClaimBody");
    assert_eq!(typed.queue.size, 1);
    // Both photos decrypt, on demand, to exactly the bytes submitted, and are never cached.
    for (link, want) in [(&detail["photos"]["face"], &face), (&detail["photos"]["photo_id"], &id)] {
        let (st, headers, body) = app.send(req("GET", link.as_str().expect("link"), Some(&rita), None)).await;
        assert_eq!(st, StatusCode::OK, "{link}");
        assert_eq!(&body, want, "{link} decrypts to the submitted photo");
        assert_eq!(headers[header::CACHE_CONTROL], "no-store");
        assert_eq!(headers[header::CONTENT_TYPE], "image/jpeg");
    }
    assert_no_plaintext_photos(db);

    // Denied with two reasons.
    let (st, done) =
        decide(&app, &rita, &first, json!({"decision": "deny", "reasons": two_reasons(), "note": "no ID"})).await;
    assert_eq!(st, StatusCode::OK, "{done}");
    assert_eq!(done, json!({"receipt_id": first, "status": "denied", "final": true}));
    let typed: rest_types::DecisionBody = serde_json::from_value(done).expect("the console's DecisionBody");
    assert!(typed.final_);
    runner.run_until_idle().await;
    let (st, status) = app.json(req("GET", &format!("/api/v1/users/{ada_name}/status"), Some(&ada), None)).await;
    assert_eq!(st, StatusCode::OK, "{status}");
    assert_eq!(status["status"], "must_reverify");
    assert_eq!(
        status["reasons"],
        json!(["No photo ID was provided.", "Your face was not visible in your self-photo."]),
        "the learner reads the two reasons as sentences"
    );
    let grades_after_denial = grades.received().await;
    let names = name_affirmation::verified_names(s, ada_id).await.expect("names");
    assert_eq!(names.iter().map(|n| n.status.as_str()).collect::<Vec<_>>(), ["denied"], "the name follows the denial");
    name_affirmation::request_verified_name(s, ada_id, "Ada Lovelace", None).await.expect("asked again");

    // The learner verifies again; Sam (not Rita: she holds nothing now, and it is Sam's turn)
    // claims the new attempt, sees the denied one in the history, and approves.
    let second = submit(&app, &ada, &jpeg_bytes(310), &jpeg_bytes(410), "Ada Lovelace").await;
    let (st, claimed) = claim(&app, &sam).await;
    assert_eq!(st, StatusCode::OK, "{claimed}");
    assert_eq!(claimed["receipt_id"], second.as_str());
    let (_, detail) = app.json(req("GET", &format!("/api/v1/reviews/{second}"), Some(&sam), None)).await;
    let history = detail["history"].as_array().expect("history");
    assert_eq!(history.len(), 1, "{detail}");
    assert_eq!(history[0]["receipt_id"], first.as_str());
    assert_eq!(history[0]["status"], "denied");
    assert_eq!(history[0]["decided_by"], "rita");
    assert_eq!(history[0]["reasons"], two_reasons());
    let typed: rest_types::DetailBody = serde_json::from_value(detail.clone()).expect("the console's DetailBody");
    assert_eq!(typed.history[0].reasons.len(), 2);
    let (st, done) = decide(&app, &sam, &second, json!({"decision": "approve"})).await;
    assert_eq!(st, StatusCode::OK, "{done}");
    assert_eq!(done, json!({"receipt_id": second, "status": "approved", "final": true}));
    runner.run_until_idle().await;
    let (_, status) = app.json(req("GET", &format!("/api/v1/users/{ada_name}/status"), Some(&ada), None)).await;
    assert_eq!(status["status"], "approved", "{status}");

    // Events: every transition of both attempts, as for a vendor, each signed to the webhook.
    let got = hooks.received();
    let types: Vec<String> = got
        .iter()
        .map(|r| {
            serde_json::from_str::<serde_json::Value>(&r.body).expect("json")["event_type"]
                .as_str()
                .expect("t")
                .to_owned()
        })
        .collect();
    let count = |t: &str| types.iter().filter(|x| x.ends_with(&format!(".{t}.v1"))).count();
    assert_eq!(
        (count("created"), count("ready"), count("submitted"), count("denied"), count("approved")),
        (2, 2, 2, 1, 1),
        "{types:?}"
    );
    for r in &got {
        assert!(crate::webhooks::verify(WEBHOOK_SECRET, &r.signature, &r.body).is_some(), "signed");
    }
    // Emails: received (twice), denied with the readable reasons, approved.
    let mails = sink.wait_for(4).await;
    let subjects: Vec<&str> = mails.iter().map(|m| m.subject.as_str()).collect();
    assert_eq!(
        subjects,
        [
            "We received your Acme Learning identity verification",
            "We received your Acme Learning identity verification",
            "Your Acme Learning identity verification was approved",
            "Your Acme Learning identity verification was denied",
        ]
    );
    let denied = &mails[3].body;
    assert!(denied.contains("- No photo ID was provided."), "{denied}");
    assert!(denied.contains("- Your face was not visible in your self-photo."), "{denied}");
    assert!(!denied.contains("no ID"), "the reviewer's note is for reviewers only");
    // The LTI grade: 0.0 after the denial, 1.0 after the approval, signed.
    assert_eq!(grades_after_denial.last().map(|g| g["score"].clone()), Some(json!("0.0")), "{grades_after_denial:?}");
    let got = grades.received().await;
    assert_eq!(got.last().map(|g| g["score"].clone()), Some(json!("1.0")), "{got:?}");
    assert!(got.iter().all(|g| g["signature_valid"] == true && g["sourcedid"] == "sid-ada"));
    // Name affirmation: the name asked again followed the second attempt to approved.
    let names = name_affirmation::verified_names(s, ada_id).await.expect("names");
    let mut statuses: Vec<&str> = names.iter().map(|n| n.status.as_str()).collect();
    statuses.sort_unstable();
    assert_eq!(statuses, ["approved", "denied"], "{names:?}");
    assert!(names.iter().all(|n| n.verified_name == "Ada Lovelace"));
    // The transitions name the reviewers.
    let actors: Vec<(String, String)> = sqlx::query_as(
        "select to_status, actor_kind from attempt_transition where to_status in ('approved', 'denied') order by transition_id",
    )
    .fetch_all(&mut *s.store.conn().await.expect("conn"))
    .await
    .expect("transitions");
    assert_eq!(actors, [("denied".into(), "reviewer".into()), ("approved".into(), "reviewer".into())]);
    // Audited: who claimed, viewed, saw which photo, decided.
    let audit: Vec<(String, String)> =
        audit_rows(&app).await.into_iter().map(|(a, t, d)| (format!("{a}:{d}"), t)).collect();
    let want: Vec<(String, String)> = [
        ("review_claim:", &first),
        ("review_view:", &first),
        ("decrypt_photo:face", &first),
        ("decrypt_photo:photo_id", &first),
        ("review_decide:deny", &first),
        ("review_claim:", &second),
        ("review_view:", &second),
        ("review_decide:approve", &second),
    ]
    .into_iter()
    .map(|(a, t)| (a.to_owned(), t.clone()))
    .collect();
    assert_eq!(audit, want);
}
on_both_backends!(in_house_review_full_loop, full_loop);
