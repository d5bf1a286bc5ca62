//! The management commands through the real `vouch` binary: exit codes, `--json` output,
//! and no progress-bar drawing when stderr is not a terminal.

use crate::{
    on_both_backends,
    support::{TestDb, fixture_keys},
};
use serde_json::Value;
use server::store::{attempts, users};
use std::process::{Command, Output};

fn vouch(db: &TestDb, args: &[&str]) -> Output {
    let keys = fixture_keys();
    Command::new(env!("CARGO_BIN_EXE_vouch"))
        .args(args)
        .env("VOUCH_DATABASE__URL", &db.url)
        .env("VOUCH_DATABASE__MAX_CONNECTIONS", "2")
        .env("VOUCH_VAULT__LOCAL_DIR", db.dir.path().join("photos"))
        .env("VOUCH_VAULT__URL_SECRET", "cli test url secret 0123456789abcd")
        .env("VOUCH_SOFTWARE_SECURE__RSA_PUBLIC_KEY", &keys.public_pem)
        .env("VOUCH_SOFTWARE_SECURE__API_ACCESS_KEY", &keys.access_key)
        .env("VOUCH_SOFTWARE_SECURE__API_SECRET_KEY", &keys.secret_key)
        .env("VOUCH_LOG", "warn")
        .output()
        .expect("vouch runs")
}

fn json_of(out: &Output) -> Value {
    let text = String::from_utf8_lossy(&out.stdout);
    serde_json::from_str(text.trim()).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
}

fn no_terminal_drawing(out: &Output) {
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!err.contains('\u{1b}') && !err.contains('\r'), "progress drawn on a non-terminal: {err:?}");
}

async fn commands(db: &TestDb) {
    // create-staff: exit 0, JSON; a bad username is exit 2 and changes nothing.
    let out = vouch(db, &["create-staff", "--username", "root", "--email", "root@example.com", "--json"]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(json_of(&out)["is_staff"], true);
    let out = vouch(db, &["create-staff", "--username", "bad name"]);
    assert_eq!(out.status.code(), Some(2));

    // seed-demo: learners in each status.
    let out = vouch(db, &["seed-demo", "--json"]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let seeded = json_of(&out);
    let status_of = |name: &str| {
        seeded.as_array().expect("list").iter().find(|u| u["username"] == name).map(|u| u["status"].clone())
    };
    assert_eq!(status_of("approved"), Some("approved".into()));
    assert_eq!(status_of("denied"), Some("denied".into()));
    assert_eq!(status_of("pending"), Some("ready".into()));

    // approve / deny by receipt id.
    let mut conn = db.store.conn().await.expect("conn");
    let pending = users::by_username(&mut conn, "pending").await.expect("query").expect("user");
    let receipt = attempts::for_user(&mut conn, pending.id).await.expect("attempts")[0].receipt_id.clone();
    drop(conn);
    let out = vouch(db, &["approve", "--receipt-id", &receipt, "--json"]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(json_of(&out)["status"], "approved");
    let out = vouch(db, &["deny", "--receipt-id", &receipt, "--reason", "second look"]);
    assert_eq!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stdout).contains("denied"));
    let out = vouch(db, &["approve", "--receipt-id", "no-such-receipt"]);
    assert_eq!(out.status.code(), Some(2), "an unknown receipt is bad input");

    // manual-verifications from a CSV: one created, one already verified, one unknown → exit 1.
    let file = db.dir.path().join("emails.csv");
    std::fs::write(&file, "email,note\nlearner@example.com,x\napproved@example.com,y\nghost@example.com,z\n")
        .expect("write");
    let out = vouch(db, &["manual-verifications", "--email-ids-file", file.to_str().expect("utf-8"), "--json"]);
    assert_eq!(out.status.code(), Some(1), "{}", String::from_utf8_lossy(&out.stderr));
    no_terminal_drawing(&out);
    let report = json_of(&out);
    assert_eq!(report["created"], serde_json::json!(["learner@example.com"]));
    assert_eq!(report["already_verified"], serde_json::json!(["approved@example.com"]));
    assert_eq!(report["failed"], serde_json::json!(["ghost@example.com"]));
    let again = vouch(db, &["manual-verifications", "--email-ids-file", file.to_str().expect("utf-8")]);
    assert!(String::from_utf8_lossy(&again.stdout).contains("0 created"), "idempotent");
    std::fs::write(&file, "not-an-email\n").expect("write");
    let out = vouch(db, &["manual-verifications", "--email-ids-file", file.to_str().expect("utf-8")]);
    assert_eq!(out.status.code(), Some(2));
    let missing = vouch(db, &["manual-verifications", "--email-ids-file", "/no/such/file.csv"]);
    assert_eq!(missing.status.code(), Some(2));

    // retry-failed --json with nothing to do; openapi prints the document.
    let out = vouch(db, &["retry-failed", "--json"]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(json_of(&out)["queued"], 0);
    no_terminal_drawing(&out);
    let out = vouch(db, &["openapi"]);
    assert_eq!(out.status.code(), Some(0));
    assert!(json_of(&out)["paths"]["/verify_student/status/"].is_object());
}
on_both_backends!(management_commands, commands);

async fn maintenance_commands(db: &TestDb) {
    // migrate: idempotent on a migrated database.
    let out = vouch(db, &["migrate"]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).contains("migrations applied"));

    // set-deadline: set, then remove; a bad time is bad input and changes nothing.
    let course = "course-v1:edX+Cli+2027";
    let out = vouch(db, &["set-deadline", "--course", course, "--deadline", "2027-01-31T23:59:00Z", "--explicit"]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let mut conn = db.store.conn().await.expect("conn");
    let set = server::store::deadlines::for_course(&mut conn, course).await.expect("read").expect("a deadline");
    assert_eq!(set.deadline.to_rfc3339(), "2027-01-31T23:59:00+00:00");
    assert!(set.is_explicit);
    drop(conn);
    let out = vouch(db, &["set-deadline", "--course", course, "--deadline", "next tuesday"]);
    assert_eq!(out.status.code(), Some(2));
    let out = vouch(db, &["set-deadline", "--course", course, "--deadline", "none"]);
    assert_eq!(out.status.code(), Some(0));
    let mut conn = db.store.conn().await.expect("conn");
    assert!(server::store::deadlines::for_course(&mut conn, course).await.expect("read").is_none());
    assert_eq!(server::store::deadlines::history(&mut conn, course).await.expect("history").len(), 2);
    drop(conn);

    // retire-user: an unknown user is bad input; a known one is scrubbed (safe to repeat).
    assert_eq!(vouch(db, &["retire-user", "--username", "nobody-here"]).status.code(), Some(2));
    assert_eq!(vouch(db, &["create-staff", "--username", "leaving"]).status.code(), Some(0));
    for _ in 0..2 {
        let out = vouch(db, &["retire-user", "--username", "leaving"]);
        assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
        assert!(String::from_utf8_lossy(&out.stdout).contains("retired leaving"));
    }

    // seed-attempts: synthetic users and attempts for benchmarks.
    let out = vouch(db, &["seed-attempts", "--users", "20", "--attempts", "50"]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let mut conn = db.store.conn().await.expect("conn");
    assert!(attempts::count(&mut conn).await.expect("count") >= 50);
}
on_both_backends!(maintenance_command_exit_codes, maintenance_commands);

async fn retry_commands(db: &TestDb) {
    // Three photo attempts the vendor could not take: must_retry.
    let out = vouch(db, &["seed-attempts", "--users", "3", "--attempts", "3"]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let mut conn = db.store.conn().await.expect("conn");
    let ids: Vec<(i64,)> = sqlx::query_as("select attempt_id from photo_verification order by attempt_id")
        .fetch_all(&mut *conn)
        .await
        .expect("ids");
    let ids: Vec<String> = ids.into_iter().map(|(id,)| id.to_string()).collect();
    sqlx::query("update photo_verification set status = 'must_retry'").execute(&mut *conn).await.expect("must_retry");
    drop(conn);
    let queued_for = |id: String| async move {
        let mut conn = db.store.conn().await.expect("conn");
        let (n,): (i64,) =
            sqlx::query_as("select count(*) from job where kind = 'software_secure.submit' and payload like $1")
                .bind(format!("%\"attempt_id\":{id}}}%"))
                .fetch_one(&mut *conn)
                .await
                .expect("jobs");
        n
    };

    // --verification-ids: the named attempt is queued once; a second run skips it; an
    // unknown id is skipped; both selections at once is a usage error.
    let out = vouch(db, &["retry-failed", "--verification-ids", &ids[0], "--json"]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(json_of(&out), serde_json::json!({"queued": 1, "skipped": 0}));
    assert_eq!(queued_for(ids[0].clone()).await, 1);
    assert_eq!(queued_for(ids[1].clone()).await, 0, "only the named attempt");
    let out = vouch(db, &["retry-failed", "--verification-ids", &ids[0], "999999", "--json"]);
    assert_eq!(json_of(&out), serde_json::json!({"queued": 0, "skipped": 2}));
    assert_eq!(vouch(db, &["retry-failed", "--verification-ids", "1", "--args-from-database"]).status.code(), Some(2));

    // --args-from-database with nothing stored: refused.
    let out = vouch(db, &["retry-failed", "--args-from-database"]);
    assert_ne!(out.status.code(), Some(0));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("no retry configuration"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    // retry-config: show, a refused set (nothing stored), a good set, then retry from it.
    let out = vouch(db, &["retry-config", "show", "--json"]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(json_of(&out)["arguments"], Value::Null);
    let out = vouch(db, &["retry-config", "set", "--args", "--verification-ids 2 x"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("not an attempt id: x"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(json_of(&vouch(db, &["retry-config", "show", "--json"]))["arguments"], Value::Null);
    let args = format!("--verification-ids {} {}", ids[1], ids[2]);
    let out = vouch(db, &["retry-config", "set", "--args", &args, "--json"]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(
        (json_of(&out)["arguments"].as_str(), json_of(&out)["changed_by"].as_str()),
        (Some(args.as_str()), Some("cli"))
    );
    let out = vouch(db, &["retry-config", "show"]);
    let line = String::from_utf8_lossy(&out.stdout);
    assert!(line.contains(&format!("retry configuration: {args} (enabled, by cli")), "{line}");
    let out = vouch(db, &["retry-failed", "--args-from-database", "--json"]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(json_of(&out), serde_json::json!({"queued": 2, "skipped": 0}));
    assert_eq!((queued_for(ids[1].clone()).await, queued_for(ids[2].clone()).await), (1, 1));

    // Disabled: --args-from-database refuses to run.
    let out = vouch(db, &["retry-config", "set", "--args", &args, "--disabled"]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).contains("(disabled"));
    assert_ne!(vouch(db, &["retry-failed", "--args-from-database"]).status.code(), Some(0));
}
on_both_backends!(retry_config_and_retry_failed_from_the_command_line, retry_commands);

/// Open edX's `retry_failed_photo_verifications --verification-ids` takes receipt ids
/// (`receipt_id__in`): the command and the stored configuration take them as well as
/// attempt ids; a value that is neither still exits 2 and stores nothing.
async fn retry_by_receipt_id(db: &TestDb) {
    let out = vouch(db, &["seed-attempts", "--users", "3", "--attempts", "3"]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let mut conn = db.store.conn().await.expect("conn");
    let rows: Vec<(i64, String)> =
        sqlx::query_as("select attempt_id, receipt_id from photo_verification order by attempt_id")
            .fetch_all(&mut *conn)
            .await
            .expect("ids");
    sqlx::query("update photo_verification set status = 'must_retry'").execute(&mut *conn).await.expect("must_retry");
    drop(conn);
    let queued = |id: i64| async move {
        let mut conn = db.store.conn().await.expect("conn");
        let (n,): (i64,) =
            sqlx::query_as("select count(*) from job where kind = 'software_secure.submit' and payload like $1")
                .bind(format!("%\"attempt_id\":{id}}}%"))
                .fetch_one(&mut *conn)
                .await
                .expect("jobs");
        n
    };

    let out = vouch(db, &["retry-failed", "--verification-ids", &rows[0].1, "--json"]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(json_of(&out), serde_json::json!({"queued": 1, "skipped": 0}));
    assert_eq!((queued(rows[0].0).await, queued(rows[1].0).await), (1, 0));
    let out = vouch(db, &["retry-failed", "--verification-ids", "not-a-receipt"]);
    assert_eq!(out.status.code(), Some(2), "{}", String::from_utf8_lossy(&out.stderr));

    let args = format!("--verification-ids {} {}", rows[1].1, rows[2].0);
    let out = vouch(db, &["retry-config", "set", "--args", &args, "--json"]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(json_of(&out)["arguments"].as_str(), Some(args.as_str()));
    let out = vouch(db, &["retry-failed", "--args-from-database", "--json"]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(json_of(&out), serde_json::json!({"queued": 2, "skipped": 0}));
    assert_eq!((queued(rows[1].0).await, queued(rows[2].0).await), (1, 1));
    let out = vouch(db, &["retry-config", "set", "--args", &format!("--verification-ids {} x-y", rows[0].1)]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(json_of(&vouch(db, &["retry-config", "show", "--json"]))["arguments"].as_str(), Some(args.as_str()));
}
on_both_backends!(retry_failed_takes_receipt_ids_like_open_edx, retry_by_receipt_id);
