//! `vouch lti consumer add|list|remove` as a process, with its exit codes.

use crate::support::TestDb;
use serde_json::Value;
use std::process::{Command, Output};

fn vouch(db: &TestDb, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut c = Command::new(env!("CARGO_BIN_EXE_vouch"));
    c.args(["lti", "consumer"]).args(args).env("VOUCH_DATABASE__URL", &db.url).env("VOUCH_LOG", "warn");
    c.env_remove("VOUCH_LTI_CONSUMER_SECRET");
    for (k, v) in env {
        c.env(k, v);
    }
    c.output().expect("run vouch")
}

fn text(o: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr))
}

async fn consumer_commands(db: &TestDb) {
    let secret = "cli-secret-0123456789abcdef";
    let add = |key: &'static str, secret: &'static str| {
        vec!["add", "--name", "Canvas main", "--key", key, "--secret", secret, "--instance-guid", "canvas.example.edu"]
    };
    let o = vouch(db, &add("canvas", secret), &[]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(text(&o).contains("added LTI consumer canvas"));
    // The same key again, or the same GUID under another key: taken (3).
    let o = vouch(db, &add("canvas", secret), &[]);
    assert_eq!(o.status.code(), Some(3), "{}", text(&o));
    let o = vouch(db, &add("canvas2", secret), &[]);
    assert_eq!(o.status.code(), Some(3), "{}", text(&o));
    // Unusable arguments (2).
    let o = vouch(db, &["add", "--name", "x", "--key", "short", "--secret", "tooshort"], &[]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    let o = vouch(db, &["add", "--name", "x", "--key", "has space", "--secret", secret], &[]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    // The secret from the environment, with its own outcome hosts and framing policy.
    let o = vouch(
        db,
        &[
            "add",
            "--name",
            "Moodle",
            "--key",
            "moodle",
            "--allowed-outcome-hosts",
            "moodle.example.edu, grades.example.edu",
            "--frame-ancestors",
            "https://moodle.example.edu",
        ],
        &[("VOUCH_LTI_CONSUMER_SECRET", "moodle-secret-0123456789")],
    );
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));

    let o = vouch(db, &["list", "--json"], &[]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let out = text(&o);
    assert!(!out.contains(secret) && !out.contains("moodle-secret"), "secrets are never listed: {out}");
    let listed: Value = serde_json::from_slice(&o.stdout).expect("JSON");
    let listed = listed.as_array().expect("list");
    assert_eq!(listed.len(), 2);
    assert_eq!(listed[0]["key"], "canvas");
    assert_eq!(listed[0]["instance_guid"], "canvas.example.edu");
    assert_eq!(listed[1]["key"], "moodle");
    assert_eq!(listed[1]["instance_guid"], Value::Null);
    assert_eq!(listed[1]["allowed_outcome_hosts"], serde_json::json!(["moodle.example.edu", "grades.example.edu"]));
    assert_eq!(listed[1]["frame_ancestors"], "https://moodle.example.edu");
    let o = vouch(db, &["list"], &[]);
    assert!(text(&o).contains("canvas\tCanvas main\tcanvas.example.edu"), "{}", text(&o));

    let o = vouch(db, &["remove", "--key", "canvas"], &[]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let o = vouch(db, &["remove", "--key", "canvas"], &[]);
    assert_eq!(o.status.code(), Some(4), "{}", text(&o));
    let o = vouch(db, &["list", "--json"], &[]);
    let listed: Value = serde_json::from_slice(&o.stdout).expect("JSON");
    assert_eq!(listed.as_array().map(Vec::len), Some(1));
}
crate::on_both_backends!(lti_consumer_cli, consumer_commands);
