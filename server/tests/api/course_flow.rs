//! The learner flow, course-aware (issue 16, items 1–3 and 5): the course key recorded on
//! the attempt at both photo doors; a passed verification deadline refused with 400
//! `deadline_passed` at both doors, storing nothing; the LMS's course-run update
//! (`PUT /api/v1/courses/{course_key}`) moving a non-explicit deadline and never an
//! explicit one; an approved ID photo reused only within `days_good_for`; and the
//! course flow the SPA renders (`/sfn/course_flow`: name, deadline, payment hand-off).

use crate::{
    lifecycle_events::{learner, vendor},
    on_both_backends,
    support::{TestApp, TestDb, data_url, jpeg_bytes, sfn},
};
use app::domain::{AttemptId, pay_and_verify::CourseMode, photo_lifecycle::PhotoOp};
use axum::{
    body::Body,
    http::{Request, StatusCode, header},
};
use chrono::{DateTime, Duration, Utc};
use jsonwebtoken::{Algorithm, EncodingKey, Header, encode};
use serde_json::{Value, json};
use server::{
    config::{Config, CourseModes, Secret},
    service::lifecycle,
    store::{attempts, transitions::Actor},
};

const SECRET: &str = "course-flow-lms-jwt-secret-for-tests";
const COURSE: &str = "course-v1:Org+Late+2026";
const OPEN: &str = "course-v1:Org+Open+2026";

fn config(db: &TestDb) -> Config {
    let mut cfg = db.config();
    cfg.auth.jwt_secret = Some(Secret::from(SECRET.to_owned()));
    cfg
}

/// A JWT of the LMS: staff (`administrator`) or a learner.
fn token(app: &TestApp, username: &str, admin: bool) -> String {
    let exp = app.services.clock.now().timestamp() + 3600;
    let claims = json!({"user_id": 900 + i64::from(admin), "preferred_username": username,
        "email": format!("{username}@example.com"), "administrator": admin, "exp": exp});
    encode(&Header::new(Algorithm::HS256), &claims, &EncodingKey::from_secret(SECRET.as_bytes())).expect("token")
}

fn put(path: &str, token: Option<&str>, body: Value) -> Request<Body> {
    let mut b = Request::put(path).header(header::CONTENT_TYPE, "application/json");
    if let Some(t) = token {
        b = b.header(header::AUTHORIZATION, format!("JWT {t}"));
    }
    b.body(Body::from(body.to_string())).expect("request")
}

fn run_path(course: &str) -> String {
    format!("/api/v1/courses/{}", percent_encoding::utf8_percent_encode(course, percent_encoding::NON_ALPHANUMERIC))
}

fn rfc(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// Attempt rows, events and photo files: what a refused door leaves unchanged.
async fn stored(app: &TestApp, db: &TestDb) -> (i64, i64, usize) {
    let mut conn = app.services.store.conn().await.expect("conn");
    let (a,): (i64,) =
        sqlx::query_as("select count(*) from photo_verification").fetch_one(&mut *conn).await.expect("n");
    let (e,): (i64,) = sqlx::query_as("select count(*) from event_outbox").fetch_one(&mut *conn).await.expect("n");
    (a, e, db.photo_files().len())
}

/// Submits through the SPA's server function (`rest` false) or Open edX's form.
async fn submit(app: &TestApp, cookie: &str, rest: bool, course: Option<&str>, id_photo: bool) -> (StatusCode, Value) {
    let photo = data_url("image/jpeg", &jpeg_bytes(100));
    let id = id_photo.then(|| photo.clone());
    if rest {
        let enc = |s: &str| percent_encoding::utf8_percent_encode(s, percent_encoding::NON_ALPHANUMERIC).to_string();
        let mut form = format!("face_image={}", enc(&photo));
        if let Some(id) = &id {
            form.push_str(&format!("&photo_id_image={}", enc(id)));
        }
        if let Some(c) = course {
            form.push_str(&format!("&course_key={}", enc(c)));
        }
        let req = Request::post("/verify_student/submit-photos/")
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(header::COOKIE, cookie)
            .body(Body::from(form))
            .expect("request");
        app.json(req).await
    } else {
        let body = json!({"request": {"face_image": photo, "photo_id_image": id, "course_key": course}});
        app.json(sfn("submit_photos", Some(cookie), body.to_string())).await
    }
}

async fn newest(app: &TestApp) -> attempts::PhotoVerification {
    let mut conn = app.services.store.conn().await.expect("conn");
    let (id,): (i64,) = sqlx::query_as("select attempt_id from photo_verification order by attempt_id desc limit 1")
        .fetch_one(&mut *conn)
        .await
        .expect("attempt");
    attempts::by_id(&mut conn, AttemptId(id)).await.expect("read").expect("attempt")
}

async fn approve(app: &TestApp, id: AttemptId) {
    let actor = Actor::Vendor("test".into());
    lifecycle::apply(&app.services, id, &PhotoOp::MarkSubmit, &actor, "sent").await.expect("submit");
    lifecycle::apply(&app.services, id, &PhotoOp::Approve { reviewer: vendor() }, &actor, "ok").await.expect("approve");
}

async fn course_flow(app: &TestApp, cookie: &str, course: &str, flow: &str) -> (StatusCode, Value) {
    let body = json!({"request": {"course_key": course, "flow": flow}}).to_string();
    app.json(sfn("course_flow", Some(cookie), body)).await
}

async fn deadline_binds_every_door(db: &TestDb) {
    let app = TestApp::with_config(db, config(db)).await;
    let staff = token(&app, "root", true);
    let now = app.services.clock.now();
    // The LMS reports the run: it ended yesterday, so its (non-explicit) deadline has passed.
    let (st, v) = app
        .json(put(
            &run_path(COURSE),
            Some(&staff),
            json!({"display_name": "Late Course", "end": rfc(now - Duration::days(1))}),
        ))
        .await;
    assert_eq!(st, StatusCode::OK, "{v}");
    assert_eq!(v["deadline_is_explicit"], false, "{v}");
    assert!(v["verification_deadline"].is_string(), "{v}");

    let (ada, _) = learner(&app, "ada", "Ada Lovelace").await;
    let (bob, _) = learner(&app, "bob", "Bob Builder").await;
    for (rest, cookie) in [(false, &ada), (true, &bob)] {
        let door = if rest { "Open edX form" } else { "server function" };
        let before = stored(&app, db).await;
        let (st, v) = submit(&app, cookie, rest, Some(COURSE), true).await;
        assert_eq!(
            (st, v["error"]["code"].as_str()),
            (StatusCode::BAD_REQUEST, Some("deadline_passed")),
            "{door}: {v}"
        );
        assert!(v["error"]["message"].as_str().is_some_and(|m| m.contains("deadline")), "{v}");
        assert_eq!(stored(&app, db).await, before, "{door}: nothing stored");
        // Another course is open: the attempt records its key.
        let (st, v) = submit(&app, cookie, rest, Some(OPEN), true).await;
        assert!(st.is_success(), "{door}: {v}");
        assert_eq!(newest(&app).await.course_key.as_deref(), Some(OPEN), "{door}");
    }
    // Without a course, nothing is recorded (and nothing binds).
    let (carl, _) = learner(&app, "carl", "Carl Jung").await;
    let (st, v) = submit(&app, &carl, false, None, true).await;
    assert!(st.is_success(), "{v}");
    assert_eq!(newest(&app).await.course_key, None);

    // The SPA learns the same from its course flow, with the course's name.
    let (dora, _) = learner(&app, "dora", "Dora Maar").await;
    let (st, v) = course_flow(&app, &dora, COURSE, "start-flow").await;
    assert_eq!(st, StatusCode::OK, "{v}");
    assert_eq!(
        (v["name"].as_str(), v["deadline"].is_string(), v["verify"].as_bool()),
        (Some("Late Course"), true, Some(false)),
        "{v}"
    );
    let (_, v) = course_flow(&app, &dora, OPEN, "start-flow").await;
    assert_eq!(
        (v["name"].clone(), v["deadline"].clone(), v["verify"].as_bool()),
        (Value::Null, Value::Null, Some(true)),
        "{v}"
    );
    // An unknown flow page is the first-time flow, as in Open edX (a stale link still works).
    let (st, v) = course_flow(&app, &dora, OPEN, "sideways").await;
    assert_eq!(
        (st, v["flow"].as_str(), v["verify"].as_bool()),
        (StatusCode::OK, Some("start-flow"), Some(true)),
        "{v}"
    );
    // Bad input: a NUL in the key; not signed in.
    let (st, _) = course_flow(&app, &dora, "a\u{0}b", "start-flow").await;
    assert_eq!(st, StatusCode::BAD_REQUEST);
    let body = json!({"request": {"course_key": OPEN, "flow": "start-flow"}}).to_string();
    assert_eq!(app.json(sfn("course_flow", None, body)).await.0, StatusCode::UNAUTHORIZED);
}
on_both_backends!(a_passed_deadline_refuses_every_door_and_keys_are_recorded, deadline_binds_every_door);

async fn course_run_update(db: &TestDb) {
    let app = TestApp::with_config(db, config(db)).await;
    let staff = token(&app, "root", true);
    let now = app.services.clock.now();
    let (e1, e2, explicit) = (now + Duration::days(30), now + Duration::days(60), now + Duration::days(10));
    let deadline = |app: &TestApp| {
        let services = app.services.clone();
        async move { server::service::deadlines::deadline_for_course(&services, COURSE).await.expect("read") }
    };
    // Non-explicit: follows every end, and goes with a run that has none.
    for end in [Some(e1), Some(e2), None, Some(e1)] {
        let (st, v) = app
            .json(put(&run_path(COURSE), Some(&staff), json!({"display_name": "Course", "end": end.map(rfc)})))
            .await;
        assert_eq!(st, StatusCode::OK, "{v}");
        assert_eq!(deadline(&app).await.map(|d| d.timestamp()), end.map(|e| e.timestamp()), "{v}");
        assert_eq!(v["deadline_is_explicit"], false);
    }
    // Explicit (staff): a later run update never overwrites it.
    let body = json!({"deadline": rfc(explicit), "deadline_is_explicit": true});
    assert_eq!(app.json(put(&format!("{}/deadline", run_path(COURSE)), Some(&staff), body)).await.0, StatusCode::OK);
    for end in [Some(e2), None] {
        let (st, v) = app
            .json(put(&run_path(COURSE), Some(&staff), json!({"display_name": "Renamed", "end": end.map(rfc)})))
            .await;
        assert_eq!(st, StatusCode::OK, "{v}");
        assert_eq!(v["deadline_is_explicit"], true, "{v}");
        assert_eq!(deadline(&app).await.map(|d| d.timestamp()), Some(explicit.timestamp()));
    }
    let run = server::service::courses::run(&app.services, COURSE).await.expect("read").expect("run");
    assert_eq!((run.display_name.as_str(), run.end), ("Renamed", None));

    // Only staff and service users; bad input changes nothing.
    let (ada_token, body) = (token(&app, "ada", false), json!({"display_name": "Mine", "end": null}));
    let (st, v) = app.json(put(&run_path(COURSE), Some(&ada_token), body.clone())).await;
    assert_eq!((st, v["error"]["code"].as_str()), (StatusCode::FORBIDDEN, Some("forbidden")), "{v}");
    assert_eq!(app.json(put(&run_path(COURSE), None, body)).await.0, StatusCode::UNAUTHORIZED);
    for bad in [json!({"display_name": "a\u{7}b", "end": null}), json!({"display_name": "x".repeat(256), "end": null})]
    {
        let (st, v) = app.json(put(&run_path(COURSE), Some(&staff), bad)).await;
        assert_eq!((st, v["error"]["code"].as_str()), (StatusCode::BAD_REQUEST, Some("invalid_request")), "{v}");
    }
    let (st, _) = app.json(put(&run_path(COURSE), Some(&staff), json!({"display_name": "X", "end": "soon"}))).await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY);
    let run = server::service::courses::run(&app.services, COURSE).await.expect("read").expect("run");
    assert_eq!(run.display_name, "Renamed", "refused updates change nothing");
}
on_both_backends!(a_course_run_update_moves_only_a_non_explicit_deadline, course_run_update);

async fn id_photo_reuse_window(db: &TestDb) {
    let app = TestApp::new(db).await;
    let (ada, _) = learner(&app, "ada", "Ada Lovelace").await;
    let (bob, _) = learner(&app, "bob", "Bob Builder").await;
    for cookie in [&ada, &bob] {
        let (st, v) = submit(&app, cookie, false, None, true).await;
        assert!(st.is_success(), "{v}");
        approve(&app, newest(&app).await.id).await;
    }
    let flow_info = |cookie: &str| app.json(sfn("flow_info", Some(cookie), String::new()));
    // Within the expiring-soon window, inside days_good_for (365): the ID photo is reused.
    app.clock.advance(Duration::days(340));
    let (_, v) = flow_info(&ada).await;
    assert_eq!((v["id_photo_on_file"].as_bool(), v["id_photo_too_old"].as_bool()), (Some(true), Some(false)), "{v}");
    let first = newest(&app).await.id;
    let (st, v) = submit(&app, &ada, true, None, false).await;
    assert!(st.is_success(), "{v}");
    let reused = newest(&app).await;
    assert!(reused.copy_id_photo_from.is_some() && reused.copy_id_photo_from != Some(reused.id), "{reused:?}");
    let _ = first;
    // Past days_good_for (Bob's approval expired): never reused, the learner is told.
    app.clock.advance(Duration::days(30));
    let (_, v) = flow_info(&bob).await;
    assert_eq!((v["id_photo_on_file"].as_bool(), v["id_photo_too_old"].as_bool()), (Some(false), Some(true)), "{v}");
    for rest in [false, true] {
        let before = stored(&app, db).await;
        let (st, v) = submit(&app, &bob, rest, None, false).await;
        assert_eq!((st, v["error"]["code"].as_str()), (StatusCode::BAD_REQUEST, Some("invalid_image")), "{v}");
        assert_eq!(stored(&app, db).await, before);
    }
}
on_both_backends!(an_approved_id_photo_is_reused_only_within_days_good_for, id_photo_reuse_window);

async fn pay_and_verify_flow(db: &TestDb) {
    let mut cfg = db.config();
    let now = Utc::now();
    cfg.commerce.basket_url = Some("https://ecommerce.example/basket/add/".into());
    let mode = |slug: &str, price, sku: Option<&str>, expiration| CourseMode {
        slug: slug.into(),
        min_price: price,
        sku: sku.map(Into::into),
        expiration,
    };
    cfg.commerce.courses = vec![
        CourseModes {
            course_key: OPEN.into(),
            modes: vec![mode("audit", 0, None, None), mode("verified", 4900, Some("SKU-1"), None)],
        },
        CourseModes {
            course_key: COURSE.into(),
            modes: vec![
                mode("audit", 0, None, None),
                mode("verified", 4900, Some("SKU-2"), Some(now - Duration::days(2))),
            ],
        },
    ];
    // Ada paid for the late course's verified track before its upgrade deadline.
    cfg.commerce.enrollments = vec![server::config::ConfiguredEnrollment {
        username: "ada".into(),
        course_key: COURSE.into(),
        mode: "verified".into(),
        is_active: true,
    }];
    let app = TestApp::with_config(db, cfg).await;
    let (ada, _) = learner(&app, "ada", "Ada Lovelace").await;
    let (bob, _) = learner(&app, "bob", "Bob Builder").await;
    // First-time verify: payment first, handed to the basket with the SKU.
    let (st, v) = course_flow(&app, &ada, OPEN, "start-flow").await;
    assert_eq!(st, StatusCode::OK, "{v}");
    assert_eq!(v["pay_url"], "https://ecommerce.example/basket/add/?sku=SKU%2D1", "{v}");
    // Upgrade after the upgrade deadline: the missed-deadline page; a learner who paid
    // verifies later undisturbed by it.
    let (_, v) = course_flow(&app, &bob, COURSE, "upgrade").await;
    assert_eq!((v["deadline"].is_string(), v["upgrade_deadline"].as_bool()), (true, Some(true)), "{v}");
    let (_, v) = course_flow(&app, &ada, COURSE, "verify-later").await;
    assert_eq!(
        (v["deadline"].clone(), v["verify"].as_bool(), v["pay_url"].clone()),
        (Value::Null, Some(true), Value::Null),
        "{v}"
    );
    // The flow pages keep the variant for the SPA.
    let req = Request::get("/verify_student/upgrade/course-v1:Org+Open+2026/").body(Body::empty()).expect("r");
    let (st, headers, _) = app.send(req).await;
    assert_eq!(st, StatusCode::SEE_OTHER);
    let to = headers.get(header::LOCATION).and_then(|l| l.to_str().ok()).unwrap_or_default();
    assert!(to.starts_with("/id-verification?course_id=course%2Dv1") && to.ends_with("&flow=upgrade"), "{to}");
    // Old slash-separated course ids, as Open edX's links still carry them; no id is 404.
    for (path, want) in [
        (
            "/verify_student/start-flow/edX/DemoX/2014/",
            Some("/id-verification?course_id=edX%2FDemoX%2F2014&flow=start-flow"),
        ),
        (
            "/verify_student/verify-now/edX/DemoX/2014",
            Some("/id-verification?course_id=edX%2FDemoX%2F2014&flow=verify-now"),
        ),
        ("/verify_student/upgrade//", None),
    ] {
        let (st, headers, _) = app.send(Request::get(path).body(Body::empty()).expect("r")).await;
        let to = headers.get(header::LOCATION).and_then(|l| l.to_str().ok()).map(str::to_owned);
        match want {
            Some(want) => assert_eq!((st, to.as_deref()), (StatusCode::SEE_OTHER, Some(want)), "{path}"),
            None => assert_eq!(st, StatusCode::NOT_FOUND, "{path}"),
        }
    }
}
on_both_backends!(the_course_flow_hands_payment_over_and_misses_deadlines, pay_and_verify_flow);
