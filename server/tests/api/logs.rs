//! PII and secrets stay out of the logs: a real `vouch serve` at debug level, JSON logs,
//! driven through sign-in, submission, a refused token and staff reads; its whole log is
//! then searched for every personal value and secret it handled.

use crate::process_support::Deployment;
use crate::support::{TestDb, data_url, fixture_keys, jpeg_bytes};
use jsonwebtoken::{Algorithm, EncodingKey, Header, encode};
use std::time::Duration;

const JWT_SECRET: &str = "log-test-jwt-secret-value";
const SESSION_SECRET: &str = "log-test-session-secret-0123456789-0123456789-0123456789-0123456789";

#[tokio::test]
async fn personal_data_and_secrets_never_reach_the_log() {
    let db = TestDb::sqlite().await;
    let keys = fixture_keys();
    // Port 9 (discard) is never listened on: the vendor is unreachable, so the send fails once.
    let d = Deployment::new(&db, 9);
    let base = d.public_url.clone();
    let (child, log_path) = d
        .serve_logged(&[
            ("VOUCH_VAULT__URL_SECRET", "log-test-url-secret-0123456789abcdef"),
            ("VOUCH_AUTH__SESSION_SECRET", SESSION_SECRET),
            ("VOUCH_AUTH__JWT_SECRET", JWT_SECRET),
            ("VOUCH_SOFTWARE_SECURE__MAX_ATTEMPTS", "1"),
        ])
        .await;
    let http = reqwest::Client::new();

    let email = "ada.lovelace.private@example.org";
    let full_name = "Augusta Ada Byron-King";
    let exp = chrono::Utc::now().timestamp() + 600;
    let claims = serde_json::json!({"user_id": 77, "preferred_username": "adalog", "email": email, "name": full_name,
        "administrator": true, "exp": exp});
    let token = encode(&Header::new(Algorithm::HS256), &claims, &EncodingKey::from_secret(JWT_SECRET.as_bytes()))
        .expect("token");
    let photo = data_url("image/jpeg", &jpeg_bytes(3000));
    let auth = format!("JWT {token}");
    let enc = percent_encoding::utf8_percent_encode(&photo, percent_encoding::NON_ALPHANUMERIC).to_string();
    let res =
        http.get(format!("{base}/verify_student/status/")).header("Authorization", &auth).send().await.expect("status");
    assert!(res.status().is_success());
    let res = http
        .post(format!("{base}/verify_student/submit-photos/"))
        .header("Authorization", &auth)
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body(format!("face_image={enc}&photo_id_image={enc}&full_name=Ada%20Secret-Name"))
        .send()
        .await
        .expect("submit");
    assert!(res.status().is_success(), "{:?}", res.text().await);
    let bad = format!("JWT {token}x");
    let res = http.get(format!("{base}/api/v1/me")).header("Authorization", &bad).send().await.expect("refused");
    assert_eq!(res.status(), 401);
    for path in
        ["/api/user/v1/accounts/adalog/verifications/", "/api/v1/users/adalog/attempts", "/api/v1/users?search=ada"]
    {
        let res = http.get(format!("{base}{path}")).header("Authorization", &auth).send().await.expect("read");
        assert!(res.status().is_success(), "{path}");
    }
    // Let the job try the (unreachable) vendor, so its error path logs too.
    tokio::time::sleep(Duration::from_secs(2)).await;
    drop(child);

    let text = std::fs::read_to_string(&log_path).expect("log");
    assert!(text.lines().count() > 5, "the server logged: {text}");
    assert!(text.lines().all(|l| serde_json::from_str::<serde_json::Value>(l).is_ok()), "JSON lines only");
    assert!(text.contains("request_id"), "requests carry their id");
    let photo_b64 = photo.split_once(',').map(|(_, b)| &b[..40]).expect("base64");
    for (what, value) in [
        ("email", email),
        ("full name", full_name),
        ("corrected name", "Ada Secret-Name"),
        ("JWT", token.as_str()),
        ("JWT signature", token.rsplit('.').next().expect("signature")),
        ("JWT secret", JWT_SECRET),
        ("session secret", SESSION_SECRET),
        ("vendor secret", keys.secret_key.as_str()),
        ("photo", photo_b64),
    ] {
        assert!(!text.contains(value), "the log holds the {what}");
    }
}
