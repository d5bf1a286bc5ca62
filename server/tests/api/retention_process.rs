//! Photo retention with real processes, on both databases: a `vouch serve` whose scheduled
//! job deletes the photos of a decision made "31 days ago" (the decision seeded through the
//! library with a clock set back, the server on the real clock), `vouch purge-photos
//! --dry-run` changing nothing, `vouch delete-attempt` deleting photos, and `vouch gc-photos`
//! after a SIGKILL between the photo write and the commit (the debug-build failpoint
//! `VOUCH_TEST_FAILPOINT_PAUSE_AFTER_PHOTO_WRITE` holds the request right there).

use crate::{
    on_both_backends,
    process_support::{Deployment, Proc, client, dev_login, form_photo, submit_photos},
    retention::{decide, deleted_at, deletions, in_vault, keys_of, services_at, submit_attempt},
    support::{TestDb, until},
};
use chrono::{Duration, Utc};
use serde_json::Value;
use server::store::attempts;
use std::time::Duration as StdDuration;

/// Secrets a non-development deployment must set (at least 64 characters each).
const SECRETS: [(&str, &str); 2] = [
    ("VOUCH_AUTH__SESSION_SECRET", "k3Jq9vX2mP8rT5wY1zB7nC4dF6gH0jL2sA9eR3tU5iO8pQ1wE4rT7yU0iP3aS6dF"),
    ("VOUCH_VAULT__URL_SECRET", "Z8xC5vB2nM7qW4eR1tY9uI6oP3aS0dF7gH4jK1lZ8xC5vB2nM9qW6eR3tY0uI7oP"),
];

/// Runs `vouch <args>` to the end with the deployment's environment; returns stdout.
fn run(d: &Deployment, args: &[&str]) -> String {
    let out = d.vouch(args, &SECRETS).stdout(std::process::Stdio::piped()).output().expect("run vouch");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(out.status.success(), "vouch {args:?}: {}\n{stdout}", String::from_utf8_lossy(&out.stderr));
    stdout
}

fn json_of(stdout: &str) -> Value {
    serde_json::from_str(stdout.trim()).unwrap_or_else(|e| panic!("{e}: {stdout}"))
}

async fn scheduled_job_deletes_old_photos(db: &TestDb) {
    // Decided 31 days ago, and another decided yesterday, through the library.
    let (s, clock) = services_at(db, Utc::now() - Duration::days(31), |_| {}).await;
    let old = submit_attempt(&s, "ada").await;
    decide(&s, old.id, true).await;
    clock.advance(Duration::days(30));
    let recent = submit_attempt(&s, "bob").await;
    decide(&s, recent.id, false).await;
    assert!(keys_of(&old).iter().chain(&keys_of(&recent)).all(|k| in_vault(db, k)));

    // A real server on the real clock, its job runner sweeping every second.
    let d = Deployment::without_vendor(db);
    let mut env = SECRETS.to_vec();
    env.extend([("VOUCH_JOBS__RUN_IN_SERVER", "true"), ("VOUCH_VERIFICATION__PHOTO_RETENTION_INTERVAL_SECS", "1")]);
    let mut vouch: Proc = d.serve(&env).await;
    let (svc, uuid) = (&s, old.uuid.as_str());
    let when =
        until("the scheduled sweep", StdDuration::from_secs(30), || async move { deleted_at(svc, uuid).await }).await;
    // The sweep ran as a job of the job table (claimed, leased, then marked done there).
    until("the sweep job to be done", StdDuration::from_secs(30), || async move {
        let mut conn = svc.store.conn().await.ok()?;
        let (done,): (i64,) =
            sqlx::query_as("select count(*) from job where kind = 'photos.retention_sweep' and status = 'done'")
                .fetch_one(&mut *conn)
                .await
                .ok()?;
        (done >= 1).then_some(())
    })
    .await;
    vouch.sigkill();
    assert!(when > Utc::now() - Duration::minutes(5), "deleted now, by the server's clock: {when}");
    assert!(keys_of(&old).iter().all(|k| !in_vault(db, k)), "the old decision's photos are gone");
    assert!(keys_of(&recent).iter().all(|k| in_vault(db, k)), "yesterday's decision keeps its photos");
    assert_eq!(deleted_at(&s, &recent.uuid).await, None);
    let row = {
        let mut conn = s.store.conn().await.expect("conn");
        attempts::by_id(&mut conn, old.id).await.expect("query").expect("the attempt keeps its row")
    };
    assert_eq!(row.status().as_str(), "approved");
    let audit = deletions(&s).await;
    assert_eq!(audit.len(), 2, "{audit:?}");
    assert!(audit.iter().all(|a| a.cause == "retention" && a.actor == "job"), "{audit:?}");
}
on_both_backends!(a_real_server_deletes_photos_of_a_decision_made_31_days_ago, scheduled_job_deletes_old_photos);

async fn purge_command(db: &TestDb) {
    let (s, _) = services_at(db, Utc::now() - Duration::days(31), |_| {}).await;
    let old = submit_attempt(&s, "ada").await;
    decide(&s, old.id, true).await;
    let d = Deployment::without_vendor(db);

    let dry = json_of(&run(&d, &["purge-photos", "--dry-run", "--json"]));
    assert_eq!(
        (dry["dry_run"].as_bool(), dry["attempts"].as_u64(), dry["objects_deleted"].as_u64()),
        (Some(true), Some(1), Some(2))
    );
    assert!(keys_of(&old).iter().all(|k| in_vault(db, k)), "--dry-run deletes nothing");
    assert_eq!(deleted_at(&s, &old.uuid).await, None, "--dry-run marks nothing");
    assert!(deletions(&s).await.is_empty(), "--dry-run audits nothing");
    let row = {
        let mut conn = s.store.conn().await.expect("conn");
        attempts::by_id(&mut conn, old.id).await.expect("query").expect("row")
    };
    assert_eq!(row.face_image_ref, old.face_image_ref);

    let done = json_of(&run(&d, &["purge-photos", "--json"]));
    assert_eq!(
        (done["dry_run"].as_bool(), done["attempts"].as_u64(), done["objects_deleted"].as_u64()),
        (Some(false), Some(1), Some(2))
    );
    assert!(keys_of(&old).iter().all(|k| !in_vault(db, k)));
    assert!(deletions(&s).await.iter().all(|a| a.actor == "cli"));
    let again = json_of(&run(&d, &["purge-photos", "--json"]));
    assert_eq!(again["attempts"].as_u64(), Some(0), "idempotent");
}
on_both_backends!(purge_photos_dry_run_changes_nothing_then_purges, purge_command);

async fn delete_attempt_command(db: &TestDb) {
    let (s, _) = services_at(db, Utc::now(), |_| {}).await;
    let a = submit_attempt(&s, "ada").await;
    let other = submit_attempt(&s, "bob").await;
    let d = Deployment::without_vendor(db);
    let out = run(&d, &["delete-attempt", "--uuid", &a.uuid]);
    assert!(out.contains("2 photos"), "{out}");
    assert!(keys_of(&a).iter().all(|k| !in_vault(db, k)), "delete-attempt deletes its photos");
    assert!(keys_of(&other).iter().all(|k| in_vault(db, k)));
}
on_both_backends!(delete_attempt_command_deletes_the_photos, delete_attempt_command);

async fn gc_after_sigkill(db: &TestDb) {
    let marker = db.dir.path().join("paused-after-photo-write");
    let d = Deployment::without_vendor(db);
    // The deployment needs the vendor's public key to seal photos; no vendor is called.
    let keys = crate::support::fixture_keys();
    let mut env = SECRETS.to_vec();
    env.extend([
        ("VOUCH_SOFTWARE_SECURE__RSA_PUBLIC_KEY", keys.public_pem.as_str()),
        ("VOUCH_JOBS__RUN_IN_SERVER", "false"),
    ]);
    // A committed attempt first: its photos are referenced and must survive every gc.
    let (s, _) = services_at(db, Utc::now(), |_| {}).await;
    let kept = submit_attempt(&s, "bob").await;

    let marker_path = marker.to_string_lossy().into_owned();
    let mut paused_env = env.clone();
    paused_env.push(("VOUCH_TEST_FAILPOINT_PAUSE_AFTER_PHOTO_WRITE", marker_path.as_str()));
    let mut vouch = d.serve(&paused_env).await;
    let http = client();
    let cookie = dev_login(&http, &d.public_url, "ada").await.expect("login");
    let request = submit_photos(&http, &d.public_url, &cookie, &form_photo()).send();
    let in_flight = tokio::spawn(request);
    let m = &marker;
    let object =
        until(
            "the photos to be written",
            StdDuration::from_secs(30),
            || async move { std::fs::read_to_string(m).ok() },
        )
        .await;
    assert!(object.starts_with("photo_id/"), "{object}");
    let face = object.replacen("photo_id/", "face/", 1);
    assert!(in_vault(db, &object) && in_vault(db, &face), "both photos written");

    // While the submission is in flight (written, not committed), gc leaves its photos alone.
    let report = json_of(&run(&d, &["gc-photos", "--json"]));
    assert_eq!(
        (report["objects"].as_u64(), report["too_young"].as_u64(), report["deleted"].as_u64()),
        (Some(4), Some(2), Some(0))
    );
    assert!(in_vault(db, &object) && in_vault(db, &face));

    // SIGKILL right there: the photos stay, no attempt refers to them.
    vouch.sigkill();
    let _ = in_flight.await;
    let mut conn = s.store.conn().await.expect("conn");
    let (n,): (i64,) =
        sqlx::query_as("select count(*) from photo_verification").fetch_one(&mut *conn).await.expect("n");
    drop(conn);
    assert_eq!(n, 1, "the killed submission committed nothing");

    // Within the grace period nothing goes; a dry run past it reports the orphans only.
    let report = json_of(&run(&d, &["gc-photos", "--json"]));
    assert_eq!(report["deleted"].as_u64(), Some(0), "{report}");
    let report = json_of(&run(&d, &["gc-photos", "--dry-run", "--grace-secs", "0", "--json"]));
    let mut orphans: Vec<&str> =
        report["deleted_keys"].as_array().expect("keys").iter().filter_map(Value::as_str).collect();
    orphans.sort_unstable();
    let mut expected = vec![face.as_str(), object.as_str()];
    expected.sort_unstable();
    assert_eq!(orphans, expected, "{report}");
    assert!(in_vault(db, &object) && in_vault(db, &face), "--dry-run deletes nothing");

    let report = json_of(&run(&d, &["gc-photos", "--grace-secs", "0", "--json"]));
    assert_eq!((report["deleted"].as_u64(), report["referenced"].as_u64()), (Some(2), Some(2)), "{report}");
    assert!(!in_vault(db, &object) && !in_vault(db, &face), "the orphans are gone");
    assert!(keys_of(&kept).iter().all(|k| in_vault(db, k)), "a committed attempt's photos stay");
    let audit = deletions(&s).await;
    assert_eq!(audit.len(), 2);
    assert!(audit.iter().all(|a| a.cause == "gc" && a.attempt_uuid.is_none()), "{audit:?}");
}
on_both_backends!(gc_photos_removes_what_a_sigkill_between_photo_write_and_commit_left, gc_after_sigkill);
