//! What an LMS asks over HTTP, as an LMS asks it: a service user's JWT (the `administrator`
//! claim) against the real router. Batch answers in the LMS's own id space, grade-report
//! statuses, where to verify, SSO verifications (the route and the JWT claim rule),
//! retirement, and the retry configuration; and for each, the learner who must be refused.

use crate::{
    lifecycle_events::{learner, submit_photos},
    on_both_backends,
    support::{TestApp, TestDb},
};
use axum::{
    body::Body,
    http::{Request, StatusCode, header},
};
use jsonwebtoken::{Algorithm, EncodingKey, Header, encode};
use serde_json::{Value, json};
use server::{config::Config, service::manual_verifications, store::users};

const SECRET: &str = "lms-api-jwt-secret-for-tests-0123456789";
const SERVICE_LMS_ID: i64 = 9_000;

fn config(db: &TestDb) -> Config {
    let mut cfg = db.config();
    cfg.auth.jwt_secret = Some(SECRET.to_owned().into());
    cfg.server.public_url = "https://verify.example".into();
    cfg
}

/// A token of LMS user `lms_id`, with `extra` claims merged in.
fn token(app: &TestApp, lms_id: i64, username: &str, admin: bool, extra: Value) -> String {
    let mut claims = json!({"user_id": lms_id, "preferred_username": username, "email": format!("{username}@example.com"),
        "name": format!("{username} Learner"), "administrator": admin, "exp": app.services.clock.now().timestamp() + 3600});
    if let (Some(c), Some(e)) = (claims.as_object_mut(), extra.as_object()) {
        c.extend(e.clone());
    }
    encode(&Header::new(Algorithm::HS256), &claims, &EncodingKey::from_secret(SECRET.as_bytes())).expect("token")
}

fn service(app: &TestApp) -> String {
    token(app, SERVICE_LMS_ID, "lms_worker", true, json!({}))
}

fn call(method: &str, path: &str, token: Option<&str>, body: Option<Value>) -> Request<Body> {
    let mut b = Request::builder().method(method).uri(path);
    if let Some(t) = token {
        b = b.header(header::AUTHORIZATION, format!("JWT {t}"));
    }
    match body {
        Some(v) => b.header(header::CONTENT_TYPE, "application/json").body(Body::from(v.to_string())),
        None => b.body(Body::empty()),
    }
    .expect("request")
}

/// Signs the LMS user in once (as the LMS's pages do), so Vouch knows their LMS id.
async fn sign_in(app: &TestApp, lms_id: i64, username: &str) -> (String, server::store::users::User) {
    let t = token(app, lms_id, username, false, json!({}));
    let (s, v) = app.json(call("GET", "/api/v1/me", Some(&t), None)).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let mut conn = app.services.store.conn().await.expect("conn");
    (t, users::by_username(&mut conn, username).await.expect("q").expect("user"))
}

async fn verified_ids(db: &TestDb) {
    let app = TestApp::with_config(db, config(db)).await;
    let s = &app.services;
    // LMS ids far from Vouch's own user ids, so answering in the wrong space shows.
    let (ada_token, ada) = sign_in(&app, 101, "ada").await;
    let (_, bob) = sign_in(&app, 102, "bob").await;
    let (_, cy) = sign_in(&app, 103, "cy").await;
    manual_verifications::create_manual_verification(s, ada.id, "Ada", "checked", None).await.expect("ada approved");
    let old =
        manual_verifications::create_manual_verification(s, cy.id, "Cy", "checked", None).await.expect("cy approved");
    let past = (s.clock.now() - chrono::Duration::days(1)).timestamp_micros();
    s.store
        .exec_admin(&format!("update manual_verification set expires_at = {past} where attempt_id = {old}"))
        .await
        .expect("expire");
    // Dee signed in through the dev login, not the LMS: she has no LMS id to be asked by.
    let (_, dee) = learner(&app, "dee", "Dee").await;
    manual_verifications::create_manual_verification(s, dee, "Dee", "checked", None).await.expect("dee approved");
    assert!(ada.id.0 < 100 && bob.id.0 < 100, "Vouch's ids are not the LMS's");

    let svc = service(&app);
    let ask = |ids: Value| call("POST", "/api/v1/verified_user_ids", Some(&svc), Some(json!({"user_ids": ids})));
    let (st, v) = app.json(ask(json!([103, 102, 101, 424242, 101, ada.id.0, dee.0]))).await;
    assert_eq!(st, StatusCode::OK, "{v}");
    assert_eq!(v, json!({"verified_user_ids": [101]}), "only Ada, by her LMS id; unknown and expired are not verified");
    let (st, v) = app.json(ask(json!([]))).await;
    assert_eq!((st, v), (StatusCode::OK, json!({"verified_user_ids": []})));

    // The bound: 10,000 ids pass, 10,001 are refused with a message that says what to do.
    let (st, _) = app.json(ask(json!((0..10_000).collect::<Vec<i64>>()))).await;
    assert_eq!(st, StatusCode::OK);
    let (st, v) = app.json(ask(json!((0..10_001).collect::<Vec<i64>>()))).await;
    assert_eq!(st, StatusCode::BAD_REQUEST, "{v}");
    assert_eq!(v["error"]["code"], "invalid_request");
    let message = v["error"]["message"].as_str().unwrap_or_default();
    assert!(message.contains("10000") && message.contains("10001") && message.contains("Split"), "{message}");

    // A learner's own token is not a service user's: 403; no token: 401.
    let (st, _) =
        app.json(call("POST", "/api/v1/verified_user_ids", Some(&ada_token), Some(json!({"user_ids": [101]})))).await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    let (st, _) = app.json(call("POST", "/api/v1/verified_user_ids", None, Some(json!({"user_ids": [101]})))).await;
    assert_eq!(st, StatusCode::UNAUTHORIZED);

    // Filters apply: with manual verifications excluded, nobody here is verified.
    let mut cfg = config(db);
    cfg.filters.attempts_requested = vec!["exclude_manual".into()];
    let filtered = TestApp::with_config(db, cfg).await;
    let svc = service(&filtered);
    let (st, v) = filtered
        .json(call("POST", "/api/v1/verified_user_ids", Some(&svc), Some(json!({"user_ids": [101, 102, 103]}))))
        .await;
    assert_eq!((st, v), (StatusCode::OK, json!({"verified_user_ids": []})));
}
on_both_backends!(verified_user_ids_answer_in_the_lms_id_space_within_the_bound, verified_ids);

async fn statuses(db: &TestDb) {
    let app = TestApp::with_config(db, config(db)).await;
    let s = &app.services;
    let (ada_token, ada) = sign_in(&app, 201, "ada").await;
    sign_in(&app, 202, "bob").await;
    manual_verifications::create_manual_verification(s, ada.id, "Ada", "checked", None).await.expect("approved");
    let svc = service(&app);
    let course = "course-v1:Org+Grades+2026";
    let items = json!([
        {"user_id": 201, "course_key": course, "mode": "verified"},
        {"username": "ada", "course_key": course, "mode": "professional"},
        {"user_id": 202, "course_key": course, "mode": "verified"},
        {"username": "bob", "course_key": course, "mode": "audit"},
        {"user_id": 999_999, "course_key": course, "mode": "verified"},
        {"username": "nobody", "course_key": course, "mode": "honor"},
    ]);
    let (st, v) =
        app.json(call("POST", "/api/v1/verification_statuses", Some(&svc), Some(json!({"items": items})))).await;
    assert_eq!(st, StatusCode::OK, "{v}");
    let got: Vec<&str> = v["results"]
        .as_array()
        .expect("results")
        .iter()
        .map(|r| r["verification_status"].as_str().expect("s"))
        .collect();
    assert_eq!(got, ["ID Verified", "ID Verified", "Not ID Verified", "N/A", "Not ID Verified", "N/A"]);
    assert_eq!(
        v["results"][0],
        json!({"user_id": 201, "username": null, "course_key": course, "mode": "verified", "verification_status": "ID Verified"})
    );
    assert_eq!(v["results"][1]["username"], "ada");

    // Bad items: both ids, neither, a blank course key, too many; each 400, naming the item.
    for (bad, needle) in [
        (json!([{"user_id": 201, "username": "ada", "course_key": course, "mode": "verified"}]), "items[0]"),
        (
            json!([{"user_id": 201, "course_key": course, "mode": "verified"}, {"course_key": course, "mode": "verified"}]),
            "items[1]",
        ),
        (json!([{"user_id": 201, "course_key": " ", "mode": "verified"}]), "items[0].course_key"),
        (json!(vec![json!({"user_id": 1, "course_key": course, "mode": "verified"}); 10_001]), "10000"),
    ] {
        let (st, v) =
            app.json(call("POST", "/api/v1/verification_statuses", Some(&svc), Some(json!({"items": bad})))).await;
        assert_eq!(st, StatusCode::BAD_REQUEST, "{v}");
        assert!(v["error"]["message"].as_str().unwrap_or_default().contains(needle), "{v}");
    }
    let (st, _) =
        app.json(call("POST", "/api/v1/verification_statuses", Some(&ada_token), Some(json!({"items": []})))).await;
    assert_eq!(st, StatusCode::FORBIDDEN);
}
on_both_backends!(verification_statuses_answer_each_grade_report_row, statuses);

async fn verify_location(db: &TestDb) {
    let app = TestApp::with_config(db, config(db)).await;
    let (st, v) = app.json(call("GET", "/api/v1/verify_location?course_id=course-v1%3AOrg%2BX%2B1", None, None)).await;
    assert_eq!(st, StatusCode::OK, "{v}");
    assert_eq!(v, json!({"url": "https://verify.example/id-verification?course_id=course-v1%3AOrg%2BX%2B1"}));
    let (_, v) = app.json(call("GET", "/api/v1/verify_location", None, None)).await;
    assert_eq!(v["url"], "https://verify.example/id-verification");
    let long = "c".repeat(300);
    let (st, v) = app.json(call("GET", &format!("/api/v1/verify_location?course_id={long}"), None, None)).await;
    assert_eq!(st, StatusCode::BAD_REQUEST, "{v}");

    // The URL filter applies, per caller when signed in.
    let mut cfg = config(db);
    cfg.filters.url_requested = vec!["verify_url_override".into()];
    cfg.filters.verify_url = Some("https://idv.example/start?course={course_id}".into());
    let filtered = TestApp::with_config(db, cfg).await;
    let (t, _) = sign_in(&filtered, 301, "ada").await;
    let (st, v) =
        filtered.json(call("GET", "/api/v1/verify_location?course_id=course-v1%3AOrg%2BX%2B1", Some(&t), None)).await;
    assert_eq!(st, StatusCode::OK, "{v}");
    assert_eq!(v["url"], "https://idv.example/start?course=course-v1%3AOrg%2BX%2B1");
}
on_both_backends!(verify_location_answers_the_filtered_url, verify_location);

async fn sso_count(app: &TestApp, user: app::domain::UserId) -> i64 {
    let mut conn = app.services.store.conn().await.expect("conn");
    let (n,): (i64,) = sqlx::query_as("select count(*) from sso_verification where user_id = $1")
        .bind(user.0)
        .fetch_one(&mut *conn)
        .await
        .expect("count");
    n
}

async fn sso_route(db: &TestDb) {
    let app = TestApp::with_config(db, config(db)).await;
    let (ada_token, ada) = sign_in(&app, 401, "ada").await;
    let svc = service(&app);
    let body = json!({"identity_provider_type": "common.djangoapps.third_party_auth.models.SAMLProviderConfig",
        "identity_provider_slug": "uni-saml"});
    let (st, v) = app.json(call("POST", "/api/v1/users/ada/sso-verifications", Some(&svc), Some(body.clone()))).await;
    assert_eq!(st, StatusCode::CREATED, "{v}");
    assert!(v["id"].is_i64());
    let (_, status) = app.json(call("GET", "/api/v1/users/ada/status", Some(&ada_token), None)).await;
    assert_eq!(status["status"], "approved");
    let (_, attempts) = app.json(call("GET", "/api/v1/users/ada/attempts", Some(&ada_token), None)).await;
    let first = &attempts["results"][0];
    assert_eq!((first["kind"].as_str(), first["name"].as_str()), (Some("sso"), Some("ada Learner")), "{attempts}");

    // Refused: a learner (even for themself), a bad slug, an unknown learner; nothing stored.
    let (st, _) =
        app.json(call("POST", "/api/v1/users/ada/sso-verifications", Some(&ada_token), Some(body.clone()))).await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    let bad = json!({"identity_provider_type": "saml", "identity_provider_slug": "has spaces"});
    let (st, v) = app.json(call("POST", "/api/v1/users/ada/sso-verifications", Some(&svc), Some(bad))).await;
    assert_eq!(st, StatusCode::BAD_REQUEST, "{v}");
    let (st, _) = app.json(call("POST", "/api/v1/users/ghost/sso-verifications", Some(&svc), Some(body))).await;
    assert_eq!(st, StatusCode::NOT_FOUND);
    assert_eq!(sso_count(&app, ada.id).await, 1);
}
on_both_backends!(sso_verifications_are_created_by_staff_or_service_only, sso_route);

async fn sso_claim(db: &TestDb) {
    // Without the rule, the claim is not read.
    let plain = TestApp::with_config(db, config(db)).await;
    let t = token(&plain, 501, "ada", false, json!({"idv_sso": "uni-saml"}));
    assert_eq!(plain.json(call("GET", "/api/v1/me", Some(&t), None)).await.0, StatusCode::OK);
    let ada = {
        let mut conn = plain.services.store.conn().await.expect("conn");
        users::by_username(&mut conn, "ada").await.expect("q").expect("ada")
    };
    assert_eq!(sso_count(&plain, ada.id).await, 0, "no rule configured: nothing recorded");

    let mut cfg = config(db);
    cfg.auth.sso_verification_claim = Some("idv_sso".into());
    let app = TestApp::with_config(db, cfg).await;
    // A token without the claim, or with it false: nothing.
    for extra in [json!({}), json!({"idv_sso": false}), json!({"idv_sso": ""})] {
        let t = token(&app, 501, "ada", false, extra);
        assert_eq!(app.json(call("GET", "/api/v1/me", Some(&t), None)).await.0, StatusCode::OK);
    }
    assert_eq!(sso_count(&app, ada.id).await, 0);
    // With it: recorded at the first sign-in, not again at the next ones.
    let t = token(&app, 501, "ada", false, json!({"idv_sso": "uni-saml"}));
    for _ in 0..3 {
        assert_eq!(app.json(call("GET", "/api/v1/me", Some(&t), None)).await.0, StatusCode::OK);
    }
    assert_eq!(sso_count(&app, ada.id).await, 1, "once, not once per sign-in");
    // An LMS page fires several requests with a new learner's token at once: still one record.
    let bea_token = token(&app, 502, "bea", false, json!({"idv_sso": "uni-saml"}));
    let burst = (0..8).map(|_| app.send(call("GET", "/api/v1/me", Some(&bea_token), None)));
    for (status, _, body) in futures_util::future::join_all(burst).await {
        assert_eq!(status, StatusCode::OK, "{}", String::from_utf8_lossy(&body));
    }
    let bea = {
        let mut conn = app.services.store.conn().await.expect("conn");
        users::by_username(&mut conn, "bea").await.expect("q").expect("bea")
    };
    assert_eq!(sso_count(&app, bea.id).await, 1, "concurrent sign-ins record one verification");
    let (_, status) = app.json(call("GET", "/api/v1/users/ada/status", Some(&t), None)).await;
    assert_eq!(status["status"], "approved");
    // Another provider is another record; a malformed claim is ignored and sign-in works.
    let other = token(
        &app,
        501,
        "ada",
        false,
        json!({"idv_sso": {"identity_provider_type": "oauth2", "identity_provider_slug": "gov-id"}}),
    );
    assert_eq!(app.json(call("GET", "/api/v1/me", Some(&other), None)).await.0, StatusCode::OK);
    assert_eq!(sso_count(&app, ada.id).await, 2);
    let malformed = token(&app, 501, "ada", false, json!({"idv_sso": 42}));
    assert_eq!(app.json(call("GET", "/api/v1/me", Some(&malformed), None)).await.0, StatusCode::OK);
    assert_eq!(sso_count(&app, ada.id).await, 2);
    // Once the recorded one has expired, the next sign-in records a fresh one.
    app.clock.advance(chrono::Duration::days(app.services.cfg.verification.days_good_for + 1));
    let t = token(&app, 501, "ada", false, json!({"idv_sso": "uni-saml"}));
    for _ in 0..2 {
        assert_eq!(app.json(call("GET", "/api/v1/me", Some(&t), None)).await.0, StatusCode::OK);
    }
    assert_eq!(sso_count(&app, ada.id).await, 3);
}
on_both_backends!(sso_claim_records_a_verification_once_while_valid, sso_claim);

async fn retire(db: &TestDb) {
    let app = TestApp::with_config(db, config(db)).await;
    let s = &app.services;
    let (cookie, ada) = learner(&app, "ada", "Ada Lovelace").await;
    submit_photos(&app, &cookie, "Ada Lovelace").await;
    manual_verifications::create_manual_verification(s, ada, "Ada Lovelace", "checked", None).await.expect("manual");
    assert_eq!(db.photo_files().len(), 2);
    let (bob_token, _) = sign_in(&app, 601, "bob").await;
    let svc = service(&app);

    // A learner cannot retire anyone, themself included; nothing changes.
    let (st, _) = app.json(call("POST", "/api/v1/users/ada/retire", Some(&bob_token), None)).await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    let (st, _) = app.json(call("POST", "/api/v1/users/bob/retire", Some(&bob_token), None)).await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    assert_eq!(db.photo_files().len(), 2);

    // The service user retires Ada: photos gone, names and email scrubbed; again: 204.
    for _ in 0..2 {
        let (st, _, body) = app.send(call("POST", "/api/v1/users/ada/retire", Some(&svc), None)).await;
        assert_eq!(st, StatusCode::NO_CONTENT, "{}", String::from_utf8_lossy(&body));
    }
    assert!(db.photo_files().is_empty(), "photos deleted");
    let mut conn = s.store.conn().await.expect("conn");
    let user = users::by_id(&mut conn, ada).await.expect("q").expect("ada");
    assert_eq!((user.full_name.as_str(), user.email.as_str()), ("", ""));
    let (names,): (i64,) = sqlx::query_as(
        "select count(*) from (select name from photo_verification where user_id = $1 and name <> '' \
         union all select name from manual_verification where user_id = $1 and name <> '') n",
    )
    .bind(ada.0)
    .fetch_one(&mut *conn)
    .await
    .expect("names");
    assert_eq!(names, 0, "no name left on any attempt");
    drop(conn);
    // A username Vouch never held: nothing to retire, which the pipeline may count as done.
    let (st, _, _) = app.send(call("POST", "/api/v1/users/never-here/retire", Some(&svc), None)).await;
    assert_eq!(st, StatusCode::NO_CONTENT);
}
on_both_backends!(retire_route_scrubs_like_the_command_and_is_idempotent, retire);

async fn retry_config(db: &TestDb) {
    let app = TestApp::with_config(db, config(db)).await;
    let (ada_token, _) = sign_in(&app, 701, "ada").await;
    let svc = service(&app);
    let (st, v) = app.json(call("GET", "/api/v1/retry-config", Some(&svc), None)).await;
    assert_eq!(st, StatusCode::OK, "{v}");
    assert_eq!(v, json!({"arguments": null, "enabled": false, "changed_by": null, "changed_at": null}));

    for bad in ["--verification-ids 1 x", "--other 1", "--verification-ids", "--verification-ids 1\u{0}"] {
        let (st, v) = app.json(call("PUT", "/api/v1/retry-config", Some(&svc), Some(json!({"arguments": bad})))).await;
        assert_eq!(st, StatusCode::BAD_REQUEST, "{bad}: {v}");
    }
    let (_, v) = app.json(call("GET", "/api/v1/retry-config", Some(&svc), None)).await;
    assert!(v["arguments"].is_null(), "refused arguments stored nothing: {v}");

    let (st, v) = app
        .json(call(
            "PUT",
            "/api/v1/retry-config",
            Some(&svc),
            Some(json!({"arguments": "  --verification-ids 4   5 "})),
        ))
        .await;
    assert_eq!(st, StatusCode::OK, "{v}");
    assert_eq!((v["arguments"].as_str(), v["enabled"].as_bool()), (Some("--verification-ids 4 5"), Some(true)));
    assert_eq!(v["changed_by"], "staff:lms_worker");
    let (_, got) = app.json(call("GET", "/api/v1/retry-config", Some(&svc), None)).await;
    assert_eq!(got, v);
    let mut conn = app.services.store.conn().await.expect("conn");
    assert_eq!(
        server::store::retry_config::current(&mut conn).await.expect("read").as_deref(),
        Some("--verification-ids 4 5"),
        "what retry-failed --args-from-database reads"
    );
    drop(conn);

    let (st, _) = app.json(call("GET", "/api/v1/retry-config", Some(&ada_token), None)).await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    let (st, _) = app
        .json(call("PUT", "/api/v1/retry-config", Some(&ada_token), Some(json!({"arguments": "--verification-ids 1"}))))
        .await;
    assert_eq!(st, StatusCode::FORBIDDEN);
}
on_both_backends!(retry_config_is_set_and_read_by_staff_only, retry_config);

/// `auth.sso_verification_claim` cannot name a claim every Open edX token already carries
/// (`email_verified` would make every learner SSO-verified): such a name stops the start.
async fn sso_claim_names_refused(db: &TestDb) {
    use crate::trust_config::{assert_refused, start};
    let d = crate::process_support::Deployment::without_vendor(db);
    for name in ["email_verified", "administrator", "user_id", "sub", "exp", " scopes "] {
        let refused = start(&d, &["serve"], &[("VOUCH_AUTH__SSO_VERIFICATION_CLAIM", name)], &[]);
        assert_refused(
            name,
            refused,
            "auth.sso_verification_claim",
            "VOUCH_AUTH__SSO_VERIFICATION_CLAIM",
            "every token carries",
        );
    }
}
on_both_backends!(sso_claim_cannot_name_a_claim_every_token_carries, sso_claim_names_refused);

/// After `vouch delete-attempt` removes an SSO record, the claim rule still records a new
/// one when the learner's records have expired (the uuid it derives is not stuck on a
/// record that exists).
async fn sso_claim_after_delete(db: &TestDb) {
    let mut cfg = config(db);
    cfg.auth.sso_verification_claim = Some("idv_sso".into());
    let app = TestApp::with_config(db, cfg).await;
    let days = app.services.cfg.verification.days_good_for + 1;
    let me = || {
        let t = token(&app, 801, "ada", false, json!({"idv_sso": "uni-saml"}));
        app.json(call("GET", "/api/v1/me", Some(&t), None))
    };
    assert_eq!(me().await.0, StatusCode::OK);
    app.clock.advance(chrono::Duration::days(days));
    assert_eq!(me().await.0, StatusCode::OK);
    let ada = {
        let mut conn = app.services.store.conn().await.expect("conn");
        users::by_username(&mut conn, "ada").await.expect("q").expect("ada")
    };
    assert_eq!(sso_count(&app, ada.id).await, 2);
    app.clock.advance(chrono::Duration::days(days));
    let first: (String,) = {
        let mut conn = app.services.store.conn().await.expect("conn");
        sqlx::query_as("select uuid from sso_verification where user_id = $1 order by created_at, attempt_id limit 1")
            .bind(ada.id.0)
            .fetch_one(&mut *conn)
            .await
            .expect("first")
    };
    server::service::attempt_delete::delete_attempt(&app.services, &first.0).await.expect("delete");
    assert_eq!(sso_count(&app, ada.id).await, 1);
    for _ in 0..2 {
        assert_eq!(me().await.0, StatusCode::OK);
    }
    assert_eq!(sso_count(&app, ada.id).await, 2, "a fresh record, once");
    let t = token(&app, 801, "ada", false, json!({}));
    let (_, status) = app.json(call("GET", "/api/v1/users/ada/status", Some(&t), None)).await;
    assert_eq!(status["status"], "approved", "{status}");
}
on_both_backends!(sso_claim_records_again_after_a_record_is_deleted, sso_claim_after_delete);

/// A retried POST (the LMS's request timed out, its answer lost) does not create a second
/// approved record: while one from the same provider is valid, 200 with its id.
async fn sso_route_idempotent(db: &TestDb) {
    let app = TestApp::with_config(db, config(db)).await;
    let (_, ada) = sign_in(&app, 901, "ada").await;
    let post = |body: &Value| {
        // A fresh token each time: the clock moves past an earlier one's expiry below.
        call("POST", "/api/v1/users/ada/sso-verifications", Some(&service(&app)), Some(body.clone()))
    };
    let uni = json!({"identity_provider_type": "saml", "identity_provider_slug": "uni-saml"});
    let (st, first) = app.json(post(&uni)).await;
    assert_eq!(st, StatusCode::CREATED, "{first}");
    let (st, again) = app.json(post(&uni)).await;
    assert_eq!(st, StatusCode::OK, "{again}");
    assert_eq!(again["id"], first["id"]);
    assert_eq!(sso_count(&app, ada.id).await, 1);
    // Another provider (type or slug) is another record; an expired one is replaced.
    for other in [
        json!({"identity_provider_type": "saml", "identity_provider_slug": "gov-id"}),
        json!({"identity_provider_type": "oauth2", "identity_provider_slug": "uni-saml"}),
    ] {
        let (st, v) = app.json(post(&other)).await;
        assert_eq!(st, StatusCode::CREATED, "{v}");
    }
    assert_eq!(sso_count(&app, ada.id).await, 3);
    app.clock.advance(chrono::Duration::days(app.services.cfg.verification.days_good_for + 1));
    let (st, fresh) = app.json(post(&uni)).await;
    assert_eq!(st, StatusCode::CREATED, "{fresh}");
    assert_ne!(fresh["id"], first["id"]);
    assert_eq!(sso_count(&app, ada.id).await, 4);
}
on_both_backends!(sso_verification_post_is_idempotent_while_valid, sso_route_idempotent);

/// A full batch of 10,000 grade-report rows with long course keys (well over axum's 2 MB
/// default) is answered, not refused with 413.
async fn full_status_batch(db: &TestDb) {
    let app = TestApp::with_config(db, config(db)).await;
    sign_in(&app, 1001, "ada").await;
    let svc = service(&app);
    let course = format!("course-v1:{}+{}+{}", "O".repeat(80), "C".repeat(80), "R".repeat(80));
    let items: Vec<Value> = (0..10_000)
        .map(|i| json!({"username": format!("learner-number-{i:05}-x"), "course_key": course, "mode": "verified"}))
        .collect();
    let body = json!({"items": items});
    assert!(body.to_string().len() > 2 * 1024 * 1024, "{}", body.to_string().len());
    let (st, v) = app.json(call("POST", "/api/v1/verification_statuses", Some(&svc), Some(body))).await;
    assert_eq!(st, StatusCode::OK, "{}", v["error"]);
    assert_eq!(v["results"].as_array().map(Vec::len), Some(10_000));
    // The verified ids batch takes the same bound.
    let ids = json!({"user_ids": (0..10_000).map(|i| i64::MAX - i).collect::<Vec<i64>>()});
    let (st, _) = app.json(call("POST", "/api/v1/verified_user_ids", Some(&svc), Some(ids))).await;
    assert_eq!(st, StatusCode::OK);
}
on_both_backends!(a_full_verification_statuses_batch_fits_the_body_limit, full_status_batch);

/// The OpenAPI document lists what the bad-input corpus shows these routes answer.
async fn lms_openapi_responses(db: &TestDb) {
    let app = TestApp::with_config(db, config(db)).await;
    let (st, doc) = app.json(call("GET", "/api/v1/openapi.json", None, None)).await;
    assert_eq!(st, StatusCode::OK);
    for (method, path, codes) in [
        ("post", "/api/v1/verified_user_ids", &["200", "400", "401", "403", "422"][..]),
        ("post", "/api/v1/verification_statuses", &["200", "400", "401", "403", "422"]),
        ("get", "/api/v1/verify_location", &["200", "400", "401"]),
        ("post", "/api/v1/users/{username}/sso-verifications", &["200", "201", "400", "401", "403", "404", "422"]),
        ("post", "/api/v1/users/{username}/retire", &["204", "400", "401", "403"]),
    ] {
        let responses = &doc["paths"][path][method]["responses"];
        for code in codes {
            assert!(responses.get(code).is_some(), "{method} {path} does not list {code}: {responses}");
        }
    }
}
on_both_backends!(lms_routes_document_their_error_answers, lms_openapi_responses);
