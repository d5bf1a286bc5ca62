//! Secrets and personal data through the whole flow of a real `vouch serve` at debug level:
//! a staff member adds an LTI consumer, a learner submits photos, the vendor is tried (and
//! down), Software Secure calls back (signed, and forged), an LMS launches over LTI with the
//! learner's name and email, the hosted vendor's webhook arrives and outbound webhooks are
//! signed and sent. Afterwards the log holds none of the names, emails, tokens, signatures,
//! secrets or photos it handled, and no file under the data folder (the SQLite database and
//! its journal included) holds a photo in plaintext, raw or as base64.

use crate::{
    lti_support::LAUNCH_PATH,
    on_both_backends,
    process_support::Deployment,
    support::{TestDb, fixture_keys, until},
};
use base64::Engine;
use jsonwebtoken::{Algorithm, EncodingKey, Header, encode};
use serde_json::json;
use server::lti::oauth;
use ssencrypt::SignedHeaders;
use ssencrypt::webhook_signature;
use std::{path::Path, time::Duration};

const JWT_SECRET: &str = "flow-log-jwt-secret-value";
const SESSION_SECRET: &str = "flow-log-session-secret-0123456789-0123456789-0123456789-0123456789";
const URL_SECRET: &str = "flow-log-photo-url-secret-0123456789";
const HOSTED_SECRET: &str = "flow-log-hosted-webhook-secret-0123456789";
const HOOK_SECRET: &str = "flow-log-outbound-webhook-secret";
const METRICS_TOKEN: &str = "flow-log-metrics-token-0123456789abcdef";
const CONSUMER_KEY: &str = "flow-lms-key";
const CONSUMER_SECRET: &str = "flow-lms-consumer-secret-0123456789";
/// Bytes inside the test photo that must never appear on disk or in the log.
const PHOTO_MARKER: &[u8] = b"PLAINTEXT-PHOTO-MARKER-7f3a9c";

/// A small JPEG carrying [`PHOTO_MARKER`].
fn marked_jpeg() -> Vec<u8> {
    let mut v = vec![0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10, b'J', b'F', b'I', b'F', 0];
    for _ in 0..40 {
        v.extend_from_slice(PHOTO_MARKER);
    }
    v.extend([0xFF, 0xD9]);
    v
}

/// Every file under `dir`.
fn files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let p = e.path();
        if p.is_dir() { files(&p, out) } else { out.push(p) }
    }
}

/// The marker as base64 at each of the three byte alignments (any of them would show a
/// base64-encoded photo), minus the partial edge characters.
fn marker_base64_forms() -> Vec<String> {
    (0..3)
        .map(|skew| {
            let mut bytes = vec![b'x'; skew];
            bytes.extend_from_slice(PHOTO_MARKER);
            bytes.extend_from_slice(PHOTO_MARKER);
            let text = base64::engine::general_purpose::STANDARD.encode(&bytes);
            text[8..32].to_owned()
        })
        .collect()
}

fn jwt(claims: &serde_json::Value) -> String {
    encode(&Header::new(Algorithm::HS256), claims, &EncodingKey::from_secret(JWT_SECRET.as_bytes())).expect("token")
}

async fn full_flow(db: &TestDb) {
    let keys = fixture_keys();
    // Port 9 (discard) is never listened on: vendor sends and webhook deliveries fail.
    let d = Deployment::new(db, 9);
    let base = d.public_url.clone();
    let (child, log_path) = d
        .serve_logged(&[
            ("VOUCH_SERVER__METRICS_TOKEN", METRICS_TOKEN),
            ("VOUCH_VAULT__URL_SECRET", URL_SECRET),
            ("VOUCH_AUTH__SESSION_SECRET", SESSION_SECRET),
            ("VOUCH_AUTH__JWT_SECRET", JWT_SECRET),
            ("VOUCH_SOFTWARE_SECURE__MAX_ATTEMPTS", "1"),
            ("VOUCH_IDV__HOSTED_WEBHOOK_SECRET", HOSTED_SECRET),
            ("VOUCH_EVENTS__WEBHOOK_URL", "http://127.0.0.1:9/hooks"),
            ("VOUCH_EVENTS__WEBHOOK_SECRET", HOOK_SECRET),
        ])
        .await;
    let http = reqwest::Client::new();

    let exp = chrono::Utc::now().timestamp() + 600;
    let staff_email = "staff.member.private@example.org";
    let staff = jwt(&json!({"user_id": 1, "preferred_username": "stafflog", "email": staff_email,
        "name": "Stella Staffmember", "administrator": true, "exp": exp}));
    let email = "grace.hopper.private@example.org";
    let full_name = "Grace Brewster Murray Hopper";
    let learner = jwt(&json!({"user_id": 2, "preferred_username": "gracelog", "email": email, "name": full_name,
        "administrator": false, "exp": exp}));

    // Staff add the LMS as an LTI consumer (its secret goes through the API).
    let res = http
        .post(format!("{base}/api/v1/lti/consumers"))
        .header("Authorization", format!("JWT {staff}"))
        .json(&json!({"name": "Flow LMS", "key": CONSUMER_KEY, "secret": CONSUMER_SECRET}))
        .send()
        .await
        .expect("add consumer");
    assert_eq!(res.status(), 201, "{:?}", res.text().await);

    // The learner submits photos with a corrected name.
    let photo_b64 = base64::engine::general_purpose::STANDARD.encode(marked_jpeg());
    let data_url = format!("data:image/jpeg;base64,{photo_b64}");
    let enc = |s: &str| percent_encoding::utf8_percent_encode(s, percent_encoding::NON_ALPHANUMERIC).to_string();
    let corrected = "Grace Corrected-Secretname";
    let res = http
        .post(format!("{base}/verify_student/submit-photos/"))
        .header("Authorization", format!("JWT {learner}"))
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body(format!("face_image={}&photo_id_image={}&full_name={}", enc(&data_url), enc(&data_url), enc(corrected)))
        .send()
        .await
        .expect("submit");
    assert!(res.status().is_success(), "{:?}", res.text().await);

    // The job tries the vendor (down) and gives up: must_retry.
    let receipt: String = until("the vendor tried", Duration::from_secs(30), || async {
        let mut conn = db.store.conn().await.ok()?;
        sqlx::query_as::<_, (String, String)>("select receipt_id, status from photo_verification")
            .fetch_optional(&mut *conn)
            .await
            .ok()
            .flatten()
            .filter(|(_, status)| status == "must_retry")
            .map(|(r, _)| r)
    })
    .await;

    // Software Secure calls back: forged first, then signed.
    let verdict = json!({"EdX-ID": receipt, "Result": "PASS", "Reason": "", "MessageType": ""});
    let py = ssencrypt::PyValue::from(&verdict);
    let date = ssencrypt::http_date(chrono::Utc::now());
    let headers = SignedHeaders::from_pairs([("Content-Type", "application/json"), ("Date", date.as_str())]);
    let message = ssencrypt::signing_string("POST", &headers, &py).expect("signing string");
    let callback_sig = ssencrypt::sign_message(&keys.secret_key, &message);
    for sig in [ssencrypt::sign_message("forged secret", &message), callback_sig.clone()] {
        let res = http
            .post(format!("{base}/verify_student/results_callback"))
            .header("Content-Type", "application/json")
            .header("Date", &date)
            .header("Authorization", ssencrypt::authorization_header(&keys.access_key, &sig))
            .body(py.wire_json())
            .send()
            .await
            .expect("callback");
        assert!(res.status().as_u16() < 500, "{:?}", res.text().await);
    }

    // The LMS launches the learner, with their name and email.
    let lti_email = "ada.lti.private@example.edu";
    let lti_name = "Ada Launchname Lovelace";
    let mut params: Vec<(String, String)> = [
        ("lti_message_type", "basic-lti-launch-request"),
        ("lti_version", "LTI-1p0"),
        ("resource_link_id", "flow-link"),
        ("user_id", "flow-lti-user"),
        ("roles", "Learner"),
        ("lis_person_name_full", lti_name),
        ("lis_person_contact_email_primary", lti_email),
        ("oauth_consumer_key", CONSUMER_KEY),
        ("oauth_signature_method", "HMAC-SHA1"),
        ("oauth_version", "1.0"),
        ("oauth_nonce", "flow-nonce-1"),
    ]
    .iter()
    .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
    .collect();
    params.push(("oauth_timestamp".into(), chrono::Utc::now().timestamp().to_string()));
    let oauth_sig = oauth::sign(CONSUMER_SECRET, &oauth::base_string("POST", &format!("{base}{LAUNCH_PATH}"), &params));
    params.push(("oauth_signature".into(), oauth_sig.clone()));
    let form = params.iter().map(|(k, v)| format!("{}={}", oauth::encode(k), oauth::encode(v))).collect::<Vec<_>>();
    let no_redirects = crate::process_support::client();
    let res = no_redirects
        .post(format!("{base}{LAUNCH_PATH}"))
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body(form.join("&"))
        .send()
        .await
        .expect("launch");
    assert_eq!(res.status(), 303, "{:?}", res.text().await);

    // The hosted vendor's webhook (for an inquiry Vouch does not know).
    let event = json!({"id": "evt_flow", "type": "inquiry.status_changed", "created_at": 0,
        "data": {"inquiry_id": "inq_flow", "status": "approved"}})
    .to_string();
    let hosted_sig =
        webhook_signature::sign(HOSTED_SECRET.as_bytes(), chrono::Utc::now().timestamp(), event.as_bytes());
    let res = http
        .post(format!("{base}/callbacks/hosted"))
        .header("Content-Type", "application/json")
        .header(webhook_signature::HEADER, &hosted_sig)
        .body(event)
        .send()
        .await
        .expect("webhook");
    assert!(res.status().is_client_error() || res.status().is_success());

    // Staff read the learner's data; the scraper reads metrics.
    for path in [
        "/api/user/v1/accounts/gracelog/verifications/",
        "/api/v1/users/gracelog/attempts",
        "/api/v1/users?search=grace",
    ] {
        let res = http.get(format!("{base}{path}")).header("Authorization", format!("JWT {staff}")).send().await;
        assert!(res.expect("read").status().is_success(), "{path}");
    }
    let res = http.get(format!("{base}/metrics")).bearer_auth(METRICS_TOKEN).send().await.expect("metrics");
    assert!(res.status().is_success());

    // The outbound webhook deliveries (to a receiver that is down) are attempted and logged.
    until("a webhook delivery attempt", Duration::from_secs(30), || async {
        let mut conn = db.store.conn().await.ok()?;
        let (n,): (i64,) =
            sqlx::query_as("select count(*) from webhook_delivery where tries > 0").fetch_one(&mut *conn).await.ok()?;
        (n > 0).then_some(())
    })
    .await;
    drop(child);

    let text = std::fs::read_to_string(&log_path).expect("log");
    assert!(text.lines().count() > 20, "the server logged: {text}");
    let secrets: Vec<(&str, String)> = vec![
        ("staff email", staff_email.into()),
        ("staff name", "Stella Staffmember".into()),
        ("learner email", email.into()),
        ("learner name", full_name.into()),
        ("corrected name", corrected.into()),
        ("LTI email", lti_email.into()),
        ("LTI name", lti_name.into()),
        ("staff JWT signature", staff.rsplit('.').next().expect("sig").into()),
        ("learner JWT", learner.clone()),
        ("learner JWT signature", learner.rsplit('.').next().expect("sig").into()),
        ("JWT secret", JWT_SECRET.into()),
        ("session secret", SESSION_SECRET.into()),
        ("photo URL secret", URL_SECRET.into()),
        ("metrics token", METRICS_TOKEN.into()),
        ("vendor API secret", keys.secret_key.clone()),
        ("callback signature", callback_sig.clone()),
        ("LTI consumer secret", CONSUMER_SECRET.into()),
        ("OAuth signature", oauth_sig.clone()),
        ("OAuth signature (encoded)", oauth::encode(&oauth_sig)),
        ("hosted webhook secret", HOSTED_SECRET.into()),
        ("hosted webhook signature", hosted_sig.rsplit('=').next().expect("v1").into()),
        ("outbound webhook secret", HOOK_SECRET.into()),
        ("photo (base64)", photo_b64[..40].into()),
        ("photo marker", String::from_utf8_lossy(PHOTO_MARKER).into_owned()),
    ];
    let leaked: Vec<&str> = secrets.iter().filter(|(_, v)| text.contains(v.as_str())).map(|(w, _)| *w).collect();
    assert!(leaked.is_empty(), "the log holds: {leaked:?}");

    // No plaintext photo anywhere under the data folder (database, journal, photos, log).
    let mut all = Vec::new();
    files(db.dir.path(), &mut all);
    assert!(all.iter().any(|p| p.starts_with(db.dir.path().join("photos"))), "photos were stored");
    if db.url.starts_with("sqlite") {
        assert!(all.iter().any(|p| p.extension().is_some_and(|e| e == "db")), "the SQLite file is checked too");
    }
    // PostgreSQL's own files for this database and its write-ahead log, where every row
    // written since the last checkpoint is.
    if !db.url.starts_with("sqlite") {
        let mut conn = db.store.conn().await.expect("conn");
        // Write every dirty page to the table files first: otherwise a row may sit only in
        // shared buffers and in a WAL segment PostgreSQL recycles while we scan (seen once
        // under the parallel suite, when the positive control below failed).
        sqlx::query("checkpoint").execute(&mut *conn).await.expect("checkpoint");
        let (data_dir,): (String,) = sqlx::query_as("select setting from pg_settings where name = 'data_directory'")
            .fetch_one(&mut *conn)
            .await
            .expect("data directory");
        let (oid,): (String,) = sqlx::query_as("select oid::text from pg_database where datname = current_database()")
            .fetch_one(&mut *conn)
            .await
            .expect("database oid");
        drop(conn);
        files(&Path::new(&data_dir).join("base").join(oid), &mut all);
        files(&Path::new(&data_dir).join("pg_wal"), &mut all);
    }
    // The scan sees what the database stored: the corrected name, kept in plaintext, is found.
    let found_name = all
        .iter()
        .any(|p| std::fs::read(p).is_ok_and(|b| b.windows(corrected.len()).any(|w| w == corrected.as_bytes())));
    assert!(found_name, "the scan reaches the database's files");
    let forms = marker_base64_forms();
    for path in &all {
        let bytes = match std::fs::read(path) {
            Ok(b) => b,
            // PostgreSQL recycles log segments while we read; a vanished one held nothing of ours.
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => panic!("{}: {e}", path.display()),
        };
        let shown = path.display();
        assert!(!bytes.windows(PHOTO_MARKER.len()).any(|w| w == PHOTO_MARKER), "{shown} holds the photo's bytes");
        // (Not in PostgreSQL's shared log, where four given bytes can turn up by chance.)
        if path.starts_with(db.dir.path()) {
            assert!(!bytes.windows(4).any(|w| w == b"JFIF"), "{shown} holds a JPEG header");
        }
        let text = String::from_utf8_lossy(&bytes);
        for f in &forms {
            assert!(!text.contains(f.as_str()), "{shown} holds the photo as base64");
        }
    }
}
on_both_backends!(no_secrets_in_logs_or_plaintext_photos_on_disk, full_flow);
