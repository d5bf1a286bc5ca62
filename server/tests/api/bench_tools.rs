//! The benchmark's tools through their real interfaces: `vouch seed-attempts` (the fast
//! seeding) through the binary on both backends, a seeded learner's JWT read over HTTP
//! without any write, and `vouch debug serve-constant` (the bare handler) as a process.

use crate::{
    on_both_backends,
    support::{TestApp, TestDb, fixture_keys},
};
use axum::{
    body::Body,
    http::{Request, StatusCode, header},
};
use jsonwebtoken::{Algorithm, EncodingKey, Header, encode};
use serde_json::{Value, json};
use server::{
    config::Secret,
    store::{seed, users},
};
use std::{
    io::{BufRead as _, BufReader, Read as _, Write as _},
    process::{Command, Output, Stdio},
};

const JWT_SECRET: &str = "bench tools test jwt secret";

fn vouch(db: &TestDb, args: &[&str]) -> Output {
    let keys = fixture_keys();
    Command::new(env!("CARGO_BIN_EXE_vouch"))
        .args(args)
        .env("VOUCH_DATABASE__URL", &db.url)
        .env("VOUCH_VAULT__LOCAL_DIR", db.dir.path().join("photos"))
        .env("VOUCH_VAULT__URL_SECRET", "bench tools test url secret 0123456")
        .env("VOUCH_SOFTWARE_SECURE__RSA_PUBLIC_KEY", &keys.public_pem)
        .env("VOUCH_LOG", "warn")
        .output()
        .expect("vouch runs")
}

/// The token `loadgen` mints for seeded user `id`.
fn seeded_token(id: i64) -> String {
    let exp = chrono::Utc::now().timestamp() + 3600;
    let claims = json!({"user_id": id, "preferred_username": seed::seeded_username(id),
        "email": seed::seeded_email(id), "name": seed::SEEDED_NAME, "administrator": false, "exp": exp});
    encode(&Header::new(Algorithm::HS256), &claims, &EncodingKey::from_secret(JWT_SECRET.as_bytes())).expect("token")
}

async fn scalar(db: &TestDb, sql: &str) -> i64 {
    let mut conn = db.store.conn().await.expect("conn");
    let (n,): (i64,) = sqlx::query_as(sql).fetch_one(&mut *conn).await.expect("query");
    n
}

async fn seeding(db: &TestDb) {
    // Someone is there already: seeded ids must start after them.
    assert_eq!(vouch(db, &["create-staff", "--username", "before"]).status.code(), Some(0));
    let before = scalar(db, "select max(user_id) from app_user").await;

    // An odd batch size, so the last statement of each table is a partial one.
    let out = vouch(db, &["seed-attempts", "--users", "30", "--attempts", "400", "--batch", "7", "--json"]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let report: Value = serde_json::from_slice(&out.stdout).expect("one JSON document");
    let first = report["first_user"].as_i64().expect("first_user");
    assert!(first > before, "seeded ids start after existing users");
    assert_eq!((report["users"].as_u64(), report["attempts"].as_u64()), (Some(30), Some(400)));
    assert!(report["seconds"].as_f64().is_some());

    assert_eq!(scalar(db, "select count(*) from photo_verification").await, 400);
    assert_eq!(scalar(db, &format!("select count(*) from app_user where user_id >= {first}")).await, 30);
    assert_eq!(
        scalar(
            db,
            &format!(
                "select count(*) from app_user where user_id >= {first} and lms_user_id = user_id \
                 and username = 'seed_' || user_id and email = 'seed_' || user_id || '@example.invalid'"
            )
        )
        .await,
        30,
        "usernames, emails and LMS ids follow the documented pattern"
    );
    // Every status, spread over the users, each user with several attempts.
    assert_eq!(scalar(db, "select count(distinct status) from photo_verification").await, 6);
    assert_eq!(scalar(db, "select count(distinct user_id) from photo_verification").await, 30);
    assert_eq!(
        scalar(db, "select count(*) from photo_verification where status = 'approved' and expires_at is null").await,
        0
    );
    assert!(
        scalar(db, "select max(created_at) - min(created_at) from photo_verification").await > 300 * 86_400 * 1_000_000,
        "creation dates spread over many months"
    );
    // Months of history as a running deployment left it: the retention sweep finds nothing
    // due (photos marked deleted 30 days after the decision), while decisions younger than
    // that are not marked; nothing undecided is.
    let cutoff = chrono::Utc::now() - chrono::Duration::days(30);
    let mut conn = db.store.conn().await.expect("conn");
    assert_eq!(server::store::photo_retention::count_due(&mut conn, cutoff).await.expect("count"), 0);
    assert!(!server::store::photo_retention::any_due(&mut conn, cutoff).await.expect("any"));
    // A cutoff past every decision: the seeded decisions younger than 30 days are due then.
    let later = chrono::Utc::now() + chrono::Duration::days(400);
    assert!(server::store::photo_retention::any_due(&mut conn, later).await.expect("any"));
    drop(conn);
    let month = 30 * 86_400 * 1_000_000_i64;
    assert_eq!(
        scalar(db, &format!("select count(*) from photo_verification where photos_deleted_at is not null and (status not in ('approved', 'denied') or photos_deleted_at <> status_changed_at + {month})")).await,
        0
    );
    assert!(scalar(db, "select count(*) from photo_verification where photos_deleted_at is not null").await > 0);

    // Ids taken explicitly must not break later sign-ups (PostgreSQL's identity sequence).
    let out = vouch(db, &["create-staff", "--username", "after", "--json"]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    // Seeding again appends.
    let out = vouch(db, &["seed-attempts", "--users", "5", "--attempts", "10", "--json"]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(scalar(db, "select count(*) from photo_verification").await, 410);

    // A seeded learner's JWT signs in and reads the status without writing anything.
    let mut cfg = db.config();
    cfg.auth.jwt_secret = Some(Secret::from(JWT_SECRET.to_owned()));
    let app = TestApp::with_config(db, cfg).await;
    let users_before = scalar(db, "select count(*) from app_user").await;
    let id = first + 3;
    let get = |token: String| {
        Request::get("/verify_student/status/")
            .header(header::AUTHORIZATION, format!("JWT {token}"))
            .body(Body::empty())
            .expect("request")
    };
    let (status, body) = app.json(get(seeded_token(id))).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(
        ["none", "pending", "approved", "must_reverify", "expired", "denied"]
            .contains(&body["status"].as_str().unwrap_or(""))
    );
    assert_eq!(scalar(db, "select count(*) from app_user").await, users_before, "no user created");
    let mut conn = db.store.conn().await.expect("conn");
    let user = users::by_username(&mut conn, &seed::seeded_username(id)).await.expect("query").expect("user");
    assert_eq!((user.id.0, user.full_name.as_str()), (id, seed::SEEDED_NAME));
    drop(conn);
    // A token for a user outside the seed is another learner (created), not a seeded one.
    let (status, body) = app.json(get(seeded_token(first + 10_000))).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["status"], "none");
}
on_both_backends!(seed_attempts_for_benchmarks, seeding);

/// One HTTP/1.1 GET with `Connection: close`; the status line and the body.
fn http_get(addr: &str, path: &str) -> (String, String) {
    let mut s = std::net::TcpStream::connect(addr).expect("connect");
    write!(s, "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n").expect("write");
    let mut text = String::new();
    s.read_to_string(&mut text).expect("read");
    let status = text.lines().next().unwrap_or_default().to_owned();
    let body = text.split_once("\r\n\r\n").map(|(_, b)| b.to_owned()).unwrap_or_default();
    (status, body)
}

#[test]
fn serve_constant_answers_a_constant() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_vouch"))
        .args(["debug", "serve-constant", "--bind", "127.0.0.1:0"])
        .env("VOUCH_LOG", "warn")
        .stdout(Stdio::piped())
        .spawn()
        .expect("start serve-constant");
    let mut line = String::new();
    BufReader::new(child.stdout.take().expect("stdout")).read_line(&mut line).expect("listening line");
    let addr = line.trim().strip_prefix("listening on ").unwrap_or_else(|| panic!("{line:?}")).to_owned();
    let (status, body) = http_get(&addr, "/");
    let (status2, body2) = http_get(&addr, "/");
    let (missing, _) = http_get(&addr, "/verify_student/status/");
    let _ = child.kill();
    let _ = child.wait();
    assert!(status.starts_with("HTTP/1.1 200"), "{status}");
    assert_eq!((&status2, &body2), (&status, &body), "a constant");
    let body: Value = serde_json::from_str(&body).expect("JSON");
    assert_eq!(body["status"], "approved");
    assert!(missing.starts_with("HTTP/1.1 404"), "only / is served: {missing}");
}
