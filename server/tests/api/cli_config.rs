//! Issue 16 item 14: every command that needs configuration, run as the real binary on a
//! fresh set-up that lacks it (or has it wrong), says which setting, whether it is missing
//! or invalid, its `VOUCH_…` variable and the fix, and changes nothing.

use crate::{
    on_both_backends,
    support::{TestDb, fixture_keys},
};
use std::process::{Command, Output};

/// Every command that starts the services (database, photo store, keys) before its work.
const SERVICE_COMMANDS: &[&[&str]] = &[
    &["create-staff", "--username", "root"],
    &["seed-demo"],
    &["retire-user", "--username", "nobody"],
    &["retry-failed"],
    &["set-deadline", "--course", "course-v1:O+C+1", "--deadline", "none"],
    &["manual-verifications", "--email-ids-file", "/nonexistent"],
    &["approve", "--receipt-id", "r"],
    &["deny", "--receipt-id", "r", "--reason", "x"],
    &["delete-attempt", "--uuid", "u"],
    &["purge-photos", "--dry-run"],
    &["gc-photos", "--dry-run"],
    &["openapi"],
];

/// `vouch` with only the database and the photo folder configured (a fresh checkout).
fn bare(db: &TestDb, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut c = Command::new(env!("CARGO_BIN_EXE_vouch"));
    c.args(args)
        .current_dir(db.dir.path())
        .env("VOUCH_DATABASE__URL", &db.url)
        .env("VOUCH_DATABASE__MAX_CONNECTIONS", "2")
        .env("VOUCH_VAULT__LOCAL_DIR", db.dir.path().join("photos"))
        .env("VOUCH_LOG", "error");
    // Nothing from the environment of the test run leaks in.
    for (k, _) in std::env::vars().filter(|(k, _)| k.starts_with("VOUCH_") && k != "VOUCH_TEST_PG_URL") {
        if !["VOUCH_DATABASE__URL", "VOUCH_DATABASE__MAX_CONNECTIONS", "VOUCH_VAULT__LOCAL_DIR", "VOUCH_LOG"]
            .contains(&k.as_str())
        {
            c.env_remove(k);
        }
    }
    for (k, v) in env {
        c.env(k, v);
    }
    c.output().expect("vouch runs")
}

/// The command failed, and its message names `key`, its variable, `state` and `fix`.
fn says(out: &Output, key: &str, var: &str, state: &str, fix: &str) {
    let err = String::from_utf8_lossy(&out.stderr);
    assert_ne!(out.status.code(), Some(0), "it should fail: {err}");
    for part in [key, var, state, fix] {
        assert!(err.contains(part), "the message should contain {part:?}: {err}");
    }
}

async fn user_count(db: &TestDb) -> i64 {
    let conn = &mut *db.store.conn().await.expect("conn");
    sqlx::query_as::<_, (i64,)>("select count(*) from app_user").fetch_one(conn).await.map(|(n,)| n).unwrap_or(0)
}

async fn missing_settings(db: &TestDb) {
    // seed-demo without vendor keys: what is missing, where, and how to make a pair.
    let before = user_count(db).await;
    let out = bare(db, &["seed-demo"], &[]);
    says(
        &out,
        "software_secure.rsa_public_key",
        "VOUCH_SOFTWARE_SECURE__RSA_PUBLIC_KEY",
        "is missing",
        "vouch debug gen-keys",
    );
    assert_eq!(user_count(db).await, before, "nothing seeded");

    // debug sign without the vendor's secret, then without its access key.
    let out = bare(db, &["debug", "sign", "--body", "-"], &[]);
    says(&out, "software_secure.api_secret_key", "VOUCH_SOFTWARE_SECURE__API_SECRET_KEY", "is missing", "set it to");
    let out = bare(
        db,
        &["debug", "sign", "--body", "-"],
        &[("VOUCH_SOFTWARE_SECURE__API_SECRET_KEY", "0123456789abcdef0123")],
    );
    says(&out, "software_secure.api_access_key", "VOUCH_SOFTWARE_SECURE__API_ACCESS_KEY", "is missing", "set it to");

    // debug encrypt with a key that is not one.
    let photo = db.dir.path().join("photo.jpg");
    std::fs::write(&photo, b"not really a jpeg").expect("photo");
    let out = bare(
        db,
        &["debug", "encrypt", "--in", photo.to_str().expect("utf-8")],
        &[("VOUCH_SOFTWARE_SECURE__RSA_PUBLIC_KEY", "-----BEGIN PUBLIC KEY-----\nnope\n-----END PUBLIC KEY-----")],
    );
    says(&out, "software_secure.rsa_public_key", "VOUCH_SOFTWARE_SECURE__RSA_PUBLIC_KEY", "is invalid", "PEM");

    // send-expiry-emails without an SMTP server.
    let out = bare(db, &["send-expiry-emails"], &[]);
    says(&out, "email.smtp_host", "VOUCH_EMAIL__SMTP_HOST", "is missing", "SMTP server");

    // Every command that opens the services refuses an unusable vendor key at start.
    let keys = fixture_keys();
    for args in SERVICE_COMMANDS {
        let out = bare(db, args, &[("VOUCH_SOFTWARE_SECURE__RSA_PUBLIC_KEY", "not a key")]);
        says(&out, "software_secure.rsa_public_key", "VOUCH_SOFTWARE_SECURE__RSA_PUBLIC_KEY", "is invalid", "PEM");
        let out = bare(
            db,
            args,
            &[
                ("VOUCH_SOFTWARE_SECURE__RSA_PUBLIC_KEY", &keys.public_pem),
                ("VOUCH_SOFTWARE_SECURE__RSA_PRIVATE_KEY", "not a key"),
            ],
        );
        says(&out, "software_secure.rsa_private_key", "VOUCH_SOFTWARE_SECURE__RSA_PRIVATE_KEY", "is invalid", "PEM");
    }
    assert_eq!(user_count(db).await, before, "nothing written by a refused command");
}
on_both_backends!(commands_name_the_missing_or_invalid_setting, missing_settings);

/// Errors every command shares: the configuration itself and the database.
#[tokio::test]
async fn configuration_and_database_errors_name_the_setting() {
    let db = TestDb::sqlite().await;
    // A value of the wrong type, from the environment.
    let out = bare(&db, &["migrate"], &[("VOUCH_SERVER__BIND", "not-an-address")]);
    says(&out, "server.bind", "VOUCH_SERVER__BIND", "is invalid", "correct the value");
    // Values out of range.
    let out = bare(&db, &["migrate"], &[("VOUCH_VERIFICATION__DAYS_GOOD_FOR", "0")]);
    says(&out, "verification.days_good_for", "VOUCH_VERIFICATION__DAYS_GOOD_FOR", "is invalid", "set it to");
    let out = bare(&db, &["migrate"], &[("VOUCH_SERVER__PUBLIC_URL", "vouch.example.edu")]);
    says(&out, "server.public_url", "VOUCH_SERVER__PUBLIC_URL", "is invalid", "https://");
    let out = bare(&db, &["migrate"], &[("VOUCH_IDV__VENDOR", "acme")]);
    says(&out, "idv.vendor", "VOUCH_IDV__VENDOR", "is invalid", "set it to one of those vendors");
    let out = bare(&db, &["migrate"], &[("VOUCH_EVENTS__WEBHOOK_MAX_ATTEMPTS", "0")]);
    says(&out, "events.webhook_max_attempts", "VOUCH_EVENTS__WEBHOOK_MAX_ATTEMPTS", "is invalid", "set it to");
    // A database that cannot be opened, for a plain command, an LTI command and one that
    // starts the services; the URL (it may hold a password) is not repeated.
    let url = "postgres://vouch:hunter2secret@127.0.0.1:1/vouch";
    let keys = fixture_keys();
    let store_commands: [&[&str]; 3] =
        [&["migrate"], &["lti", "consumer", "list"], &["seed-attempts", "--users", "1", "--attempts", "1"]];
    for args in store_commands.iter().chain(SERVICE_COMMANDS) {
        let env = [
            ("VOUCH_DATABASE__URL", url),
            ("VOUCH_DATABASE__ACQUIRE_TIMEOUT_SECS", "2"),
            ("VOUCH_SOFTWARE_SECURE__RSA_PUBLIC_KEY", keys.public_pem.as_str()),
        ];
        let out = bare(&db, args, &env);
        says(&out, "database.url", "VOUCH_DATABASE__URL", "is invalid", "check that the server is running");
        assert!(!String::from_utf8_lossy(&out.stderr).contains("hunter2secret"), "the password is not printed");
    }
    // A photo folder that cannot be created.
    let file = db.dir.path().join("a-file");
    std::fs::write(&file, b"x").expect("file");
    let out = bare(
        &db,
        &["create-staff", "--username", "root"],
        &[("VOUCH_VAULT__LOCAL_DIR", &format!("{}/sub", file.display()))],
    );
    says(&out, "vault.local_dir", "VOUCH_VAULT__LOCAL_DIR", "is invalid", "a folder this process may write");
    db.cleanup().await;
}
