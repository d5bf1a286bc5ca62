//! `vouch send-expiry-emails` with Open edX's options, as a real process against a real SMTP
//! sink: `--dry-run` sends and records nothing, `--batch-size`/`--sleep-time` pace the run,
//! and the "expired" email is sent again every `verification.expiry_email_resend_days` days
//! (up to `expiry_email_default_emails` in all) while the learner has not verified again.

use crate::{
    emails::{Sink, vouch_with},
    lifecycle_events::learner,
    on_both_backends,
    support::{TestApp, TestDb},
};
use serde_json::Value;
use server::{
    service::{generic_attempts, manual_verifications},
    store::transitions::Actor,
};
use std::time::{Duration, Instant};

const DAY: i64 = 86_400_000_000;

fn report(out: &str) -> Value {
    serde_json::from_str(out.trim()).unwrap_or_else(|e| panic!("not JSON ({e}): {out}"))
}

/// The fields of `r` that the test checks, as (name, value) pairs.
fn counts(r: &Value) -> [(&'static str, i64); 5] {
    let n = |k: &str| r[k].as_i64().unwrap_or(-1);
    [
        ("sent_expiring_soon", n("sent_expiring_soon")),
        ("sent_expired", n("sent_expired")),
        ("resent_expired", n("resent_expired")),
        ("already_sent", n("already_sent")),
        ("skipped", n("skipped")),
    ]
}

fn expect(soon: i64, expired: i64, resent: i64, already: i64, skipped: i64) -> [(&'static str, i64); 5] {
    [
        ("sent_expiring_soon", soon),
        ("sent_expired", expired),
        ("resent_expired", resent),
        ("already_sent", already),
        ("skipped", skipped),
    ]
}

async fn emails_recorded(app: &TestApp) -> i64 {
    let mut conn = app.services.store.conn().await.expect("conn");
    let (n,): (i64,) = sqlx::query_as("select count(*) from email_sent").fetch_one(&mut *conn).await.expect("count");
    n
}

async fn resend(db: &TestDb) {
    let sink = Sink::start(db.dir.path()).await;
    let app = TestApp::new(db).await;
    let s = &app.services;
    let now = chrono::Utc::now().timestamp_micros();
    // Bob's approval expires in 10 days; Cy's and Eve's expired 3 days ago; Gus's 40 days
    // ago, before the window (he was never emailed, and is not now).
    let (_, bob) = learner(&app, "bob", "Bob Learner").await;
    let id = manual_verifications::create_manual_verification(s, bob, "bob", "checked", None).await.expect("manual");
    s.store
        .exec_admin(&format!("update manual_verification set expires_at = {} where attempt_id = {id}", now + 10 * DAY))
        .await
        .expect("expiry");
    for (who, days_ago) in [("cy", 3), ("eve", 3), ("gus", 40)] {
        let (_, u) = learner(&app, who, &format!("{who} Learner")).await;
        let new = generic_attempts::GenericAttempt {
            user: u,
            name: who.into(),
            status: "approved".into(),
            expiration: chrono::DateTime::from_timestamp_micros(now - days_ago * DAY),
            hide_status_from_user: false,
            vendor: "hosted".into(),
            vendor_reference: format!("inq_{who}"),
        };
        generic_attempts::create_verification_attempt(s, new, &Actor::System).await.expect("generic");
    }
    let run = |args: &[&str], env: &[(&str, &str)]| {
        let mut all = vec!["send-expiry-emails", "--json"];
        all.extend_from_slice(args);
        let (ok, out) = vouch_with(db, &sink, &all, env);
        assert!(ok, "{out}");
        report(&out)
    };

    // A dry run counts what a run would send, and sends and records nothing.
    let r = run(&["--dry-run"], &[]);
    assert_eq!(counts(&r), expect(1, 2, 0, 0, 0), "{r}");
    assert_eq!((r["dry_run"].as_bool(), r["candidates"].as_i64()), (Some(true), Some(3)));
    // No wait needed before counting: the command has exited, and the sink writes each mail
    // to its Maildir before it answers 250, so every mail sent is already there.
    assert!(sink.mails().is_empty(), "a dry run sends nothing");
    assert_eq!(emails_recorded(&app).await, 0, "a dry run records nothing");

    // One learner per batch, a second between batches: three batches, two pauses.
    let started = Instant::now();
    let r = run(&["--batch-size", "1", "--sleep-time", "1"], &[]);
    assert!(started.elapsed() >= Duration::from_secs(2), "two pauses of a second: {:?}", started.elapsed());
    assert_eq!(counts(&r), expect(1, 2, 0, 0, 0), "{r}");
    assert_eq!((r["batches"].as_i64(), r["dry_run"].as_bool()), (Some(3), Some(false)));
    assert_eq!(sink.wait_for(3).await.len(), 3);

    // Eve verifies again; right away nothing is due.
    let (_, eve) = learner(&app, "eve", "eve Learner").await;
    manual_verifications::create_manual_verification(s, eve, "eve", "renewed", None).await.expect("renewal");
    let r = run(&[], &[]);
    assert_eq!(counts(&r), expect(0, 0, 0, 2, 1), "{r}");

    // Sixteen days later (resend_days is 15 by default): Cy, still expired, is emailed
    // again; Eve, verified again, is not; "expiring soon" is never resent.
    s.store.exec_admin(&format!("update email_sent set sent_at = sent_at - {}", 16 * DAY)).await.expect("age");
    let r = run(&[], &[]);
    assert_eq!(counts(&r), expect(0, 0, 1, 1, 1), "{r}");
    let mails = sink.wait_for(4).await;
    let to_cy: Vec<_> = mails.iter().filter(|m| m.to == "cy@example.com").collect();
    assert_eq!(to_cy.len(), 2);
    assert!(to_cy.iter().all(|m| m.subject == "Your Acme Learning identity verification has expired"));

    // Sixteen more days: resend_days 0 never resends; by default two emails are the most
    // (Open edX's DEFAULT_EMAILS); allowing three sends the third.
    s.store.exec_admin(&format!("update email_sent set sent_at = sent_at - {}", 16 * DAY)).await.expect("age");
    let r = run(&[], &[("VOUCH_VERIFICATION__EXPIRY_EMAIL_RESEND_DAYS", "0")]);
    assert_eq!(r["resent_expired"], 0, "{r}");
    let r = run(&[], &[]);
    assert_eq!(r["resent_expired"], 0, "{r}");
    let r = run(&[], &[("VOUCH_VERIFICATION__EXPIRY_EMAIL_DEFAULT_EMAILS", "3")]);
    assert_eq!(r["resent_expired"], 1, "{r}");
    assert_eq!(sink.wait_for(5).await.len(), 5);
    let mails = sink.mails();
    assert_eq!(mails.len(), 5, "{mails:#?}");
    assert!(!mails.iter().any(|m| m.to == "gus@example.com"), "an expiry before the window is never emailed");

    // A batch size of 0 is refused before anything runs; a bad setting names its variable.
    let (ok, _) = vouch_with(db, &sink, &["send-expiry-emails", "--batch-size", "0"], &[]);
    assert!(!ok);
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_vouch"))
        .args(["send-expiry-emails", "--dry-run"])
        .env("VOUCH_DATABASE__URL", &db.url)
        .env("VOUCH_VERIFICATION__EXPIRY_EMAIL_RESEND_DAYS", "-1")
        .env("VOUCH_LOG", "warn")
        .output()
        .expect("run vouch");
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("VOUCH_VERIFICATION__EXPIRY_EMAIL_RESEND_DAYS"), "{err}");
    // A dry run needs no mail server (to size a first run); a real run without one says so.
    let bare = |args: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_vouch"))
            .args(args)
            .env("VOUCH_DATABASE__URL", &db.url)
            .env("VOUCH_VAULT__LOCAL_DIR", db.dir.path().join("photos"))
            .env("VOUCH_VAULT__URL_SECRET", "expiry test url secret 0123456789")
            .env("VOUCH_LOG", "warn")
            .output()
            .expect("run vouch")
    };
    let out = bare(&["send-expiry-emails", "--dry-run", "--json"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(report(&String::from_utf8_lossy(&out.stdout))["dry_run"], true);
    let out = bare(&["send-expiry-emails"]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("VOUCH_EMAIL__SMTP_HOST") && err.contains("missing") && err.contains("--dry-run"), "{err}");
    assert_eq!(sink.mails().len(), 5);
}
on_both_backends!(expiry_emails_batch_dry_run_and_resend_as_open_edx, resend);

/// Open edX's bound on resends: once the days since the expiry reach `resend_days *
/// (default_emails - 1)`, no more "expired" emails. An approval that expired long ago and
/// was emailed once (e.g. before resends existed) is not emailed again by a later run.
async fn no_resend_past_the_bound(db: &TestDb) {
    let sink = Sink::start(db.dir.path()).await;
    let app = TestApp::new(db).await;
    let s = &app.services;
    let now = chrono::Utc::now().timestamp_micros();
    for who in ["old", "new"] {
        let (_, u) = learner(&app, who, &format!("{who} Learner")).await;
        let new = generic_attempts::GenericAttempt {
            user: u,
            name: who.into(),
            status: "approved".into(),
            expiration: chrono::DateTime::from_timestamp_micros(now - 3 * DAY),
            hide_status_from_user: false,
            vendor: "hosted".into(),
            vendor_reference: format!("inq_{who}"),
        };
        generic_attempts::create_verification_attempt(s, new, &Actor::System).await.expect("generic");
    }
    let run = || {
        let (ok, out) = vouch_with(db, &sink, &["send-expiry-emails", "--json"], &[]);
        assert!(ok, "{out}");
        report(&out)
    };
    let r = run();
    assert_eq!(r["sent_expired"], 2, "{r}");
    assert_eq!(sink.wait_for(2).await.len(), 2);
    // Old's approval expired (and was emailed) two years ago; New's expired 3 days ago and
    // its email is made 16 days old. Both are due by resend_days; only New is within the bound.
    s.store.exec_admin(&format!("update email_sent set sent_at = sent_at - {}", 16 * DAY)).await.expect("age");
    s.store
        .exec_admin(&format!(
            "update email_sent set sent_at = sent_at - {d} where user_id = (select user_id from app_user where username = 'old')",
            d = 700 * DAY
        ))
        .await
        .expect("age old");
    s.store
        .exec_admin(&format!(
            "update verification_attempt set expires_at = expires_at - {d} where name = 'old'",
            d = 716 * DAY
        ))
        .await
        .expect("expire old");
    let r = run();
    assert_eq!(r["resent_expired"], 1, "{r}");
    assert_eq!(sink.wait_for(3).await.len(), 3);
    let to_old = sink.mails().iter().filter(|m| m.to == "old@example.com").count();
    assert_eq!(to_old, 1, "an approval that expired two years ago is not emailed again");
    // A third run sends nothing more.
    let r = run();
    assert_eq!(r["resent_expired"], 0, "{r}");
    assert_eq!(emails_recorded(&app).await, 3);
}
on_both_backends!(expired_email_resends_stop_at_open_edx_bound, no_resend_past_the_bound);
