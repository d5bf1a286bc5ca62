//! Learner emails at a real SMTP server started by the test (Python `aiosmtpd`, writing each
//! message to a Maildir): lifecycle emails from the event hooks, and the expiry batch of
//! `vouch send-expiry-emails` as a real process.

use crate::{
    lifecycle_events::{learner, submit_photos, vendor},
    on_both_backends,
    support::{TestApp, TestDb},
};
use app::domain::photo_lifecycle::PhotoOp;
use server::{
    config::Config,
    config::email::SmtpSecurity,
    service::{generic_attempts, lifecycle, manual_verifications, sso},
    store::transitions::Actor,
};
use std::{
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

/// The SMTP sink: a child process killed when dropped.
pub struct Sink {
    child: Child,
    pub port: u16,
    pub maildir: PathBuf,
}

impl Drop for Sink {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One received message, decoded enough to check.
#[derive(Debug, Clone)]
pub struct Mail {
    pub to: String,
    pub from: String,
    pub subject: String,
    /// Every part's text, quoted-printable soft breaks and escapes decoded.
    pub body: String,
}

fn decode_qp(s: &str) -> String {
    let s = s.replace("=\r\n", "").replace("=\n", "");
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'='
            && i + 2 < bytes.len()
            && let Ok(b) = u8::from_str_radix(&s[i + 1..i + 3], 16)
        {
            out.push(b);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn header(raw: &str, name: &str) -> String {
    raw.lines()
        .take_while(|l| !l.trim().is_empty())
        .find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.eq_ignore_ascii_case(name).then(|| v.trim().to_owned())
        })
        .unwrap_or_default()
}

impl Sink {
    pub async fn start(dir: &Path) -> Self {
        let port = crate::support::free_port();
        let maildir = dir.join("maildir");
        let child = Command::new("python3")
            .args(["-m", "aiosmtpd", "-n", "-l", &format!("127.0.0.1:{port}"), "-c", "aiosmtpd.handlers.Mailbox"])
            .arg(&maildir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("python3 -m aiosmtpd (pip install aiosmtpd; cargo xtask test installs it)");
        let start = Instant::now();
        while tokio::net::TcpStream::connect(("127.0.0.1", port)).await.is_err() {
            assert!(start.elapsed() < Duration::from_secs(20), "the SMTP sink did not start");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        Self { child, port, maildir }
    }

    /// Every message received so far.
    pub fn mails(&self) -> Vec<Mail> {
        let Ok(entries) = std::fs::read_dir(self.maildir.join("new")) else { return Vec::new() };
        let mut out: Vec<Mail> = entries
            .flatten()
            .filter_map(|e| std::fs::read_to_string(e.path()).ok())
            .map(|raw| Mail {
                to: header(&raw, "To"),
                from: header(&raw, "From"),
                subject: header(&raw, "Subject"),
                body: decode_qp(&raw),
            })
            .collect();
        out.sort_by(|a, b| (&a.to, &a.subject).cmp(&(&b.to, &b.subject)));
        out
    }

    /// Waits until `n` messages have arrived.
    pub async fn wait_for(&self, n: usize) -> Vec<Mail> {
        let start = Instant::now();
        loop {
            let m = self.mails();
            if m.len() >= n {
                return m;
            }
            assert!(start.elapsed() < Duration::from_secs(20), "expected {n} emails, got {}: {m:#?}", m.len());
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Points `cfg` at this sink.
    pub fn configure(&self, cfg: &mut Config) {
        cfg.email.smtp_host = Some("127.0.0.1".into());
        cfg.email.smtp_port = self.port;
        cfg.email.smtp_security = SmtpSecurity::None;
        cfg.email.from = "Acme Verification <idv@acme.test>".into();
        cfg.platform.name = "Acme Learning".into();
        cfg.server.public_url = "https://verify.acme.test".into();
    }
}

async fn lifecycle_emails(db: &TestDb) {
    let sink = Sink::start(db.dir.path()).await;
    let mut cfg = db.config();
    sink.configure(&mut cfg);
    let app = TestApp::with_config(db, cfg).await;
    let s = &app.services;
    let (cookie, ada) = learner(&app, "ada", "Ada Lovelace").await;
    let runner = server::reactions::runner(s.clone(), "test");

    // Photo: submitted (confirmation), then denied with Software Secure's reasons.
    let (photo, _) = submit_photos(&app, &cookie, "Ada Lovelace").await;
    let actor = Actor::Vendor("test".into());
    lifecycle::apply(s, photo, &PhotoOp::MarkSubmit, &actor, "sent").await.expect("submit");
    let reasons = r#"[{"photoIdReasons": ["Not provided"]}, {"userPhotoReasons": ["Face out of view"]}]"#;
    let deny = PhotoOp::Deny { error_msg: reasons.into(), error_code: "x".into(), reviewer: vendor() };
    lifecycle::apply(s, photo, &deny, &actor, "verdict").await.expect("deny");
    // Manual: approved. SSO: no email.
    manual_verifications::create_manual_verification(s, ada, "Ada Lovelace", "checked", None).await.expect("manual");
    sso::create_sso_verification(s, ada, "Ada Lovelace", "tpa-saml", "idp", "Acme").await.expect("sso");
    runner.run_until_idle().await;

    let mails = sink.wait_for(3).await;
    assert_eq!(mails.len(), 3, "{mails:#?}");
    for m in &mails {
        assert_eq!(m.to, "ada@example.com");
        assert_eq!(m.from, "\"Acme Verification\" <idv@acme.test>");
        assert!(m.body.contains("Hello Ada Lovelace,"), "{}", m.body);
        assert!(m.body.contains("The Acme Learning team"));
        assert!(m.body.contains("text/html"), "an HTML alternative");
    }
    let subjects: Vec<&str> = mails.iter().map(|m| m.subject.as_str()).collect();
    assert_eq!(
        subjects,
        [
            "We received your Acme Learning identity verification",
            "Your Acme Learning identity verification was approved",
            "Your Acme Learning identity verification was denied",
        ]
    );
    let denied = &mails[2];
    // Open edX's readable sentences, never the vendor's codes.
    assert!(denied.body.contains("- No photo ID was provided."), "{}", denied.body);
    assert!(denied.body.contains("- Your face was not visible in your self-photo."), "{}", denied.body);
    assert!(!denied.body.contains("photoIdReasons") && !denied.body.contains("Not provided"), "{}", denied.body);
    assert!(denied.body.contains("Verify again: https://verify.acme.test/id-verification/reverify"));
    assert!(denied.body.contains("href=\"https://verify.acme.test/id-verification/reverify\""));
    assert!(mails[0].body.contains("https://verify.acme.test/id-verification/status"));

    // Delivered once: running the jobs again (or a re-delivered event) sends nothing more.
    runner.run_until_idle().await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(sink.mails().len(), 3);
}
on_both_backends!(lifecycle_emails_reach_a_real_smtp_server, lifecycle_emails);

/// Runs `vouch` against the test database and the sink; returns (exit ok, stdout).
fn vouch(db: &TestDb, sink: &Sink, args: &[&str]) -> (bool, String) {
    vouch_with(db, sink, args, &[])
}

/// [`vouch`] with more environment variables.
pub fn vouch_with(db: &TestDb, sink: &Sink, args: &[&str], env: &[(&str, &str)]) -> (bool, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_vouch"))
        .args(args)
        .envs(env.iter().copied())
        .env("VOUCH_DATABASE__URL", &db.url)
        .env("VOUCH_VAULT__LOCAL_DIR", db.dir.path().join("photos"))
        .env("VOUCH_EMAIL__SMTP_HOST", "127.0.0.1")
        .env("VOUCH_EMAIL__SMTP_PORT", sink.port.to_string())
        .env("VOUCH_EMAIL__SMTP_SECURITY", "none")
        .env("VOUCH_EMAIL__FROM", "Acme Verification <idv@acme.test>")
        .env("VOUCH_PLATFORM__NAME", "Acme Learning")
        .env("VOUCH_SERVER__PUBLIC_URL", "https://verify.acme.test")
        .env("VOUCH_VAULT__URL_SECRET", "expiry test url secret 0123456789")
        .env("VOUCH_LOG", "warn")
        .output()
        .expect("run vouch");
    (out.status.success(), String::from_utf8_lossy(&out.stdout).into_owned())
}

async fn expiry_batch(db: &TestDb) {
    let sink = Sink::start(db.dir.path()).await;
    let app = TestApp::new(db).await;
    let s = &app.services;
    let day = 86_400_000_000_i64;
    let now = chrono::Utc::now().timestamp_micros();
    // Bob's manual approval expires in 10 days; Dee's has 200 days left. Cy's hosted-vendor
    // approval expired 3 days ago. Eve's did too, but she has a newer one. (An expired manual
    // approval counts as no verification at all, so it gets no "expired" email.)
    for (who, days) in [("bob", 10), ("dee", 200)] {
        let (_, u) = learner(&app, who, &format!("{who} Learner")).await;
        let id = manual_verifications::create_manual_verification(s, u, who, "checked", None).await.expect("manual");
        s.store
            .exec_admin(&format!(
                "update manual_verification set expires_at = {} where attempt_id = {id}",
                now + days * day
            ))
            .await
            .expect("expiry");
    }
    for who in ["cy", "eve"] {
        let (_, u) = learner(&app, who, &format!("{who} Learner")).await;
        let expired = chrono::DateTime::from_timestamp_micros(now - 3 * day).expect("time");
        let new = generic_attempts::GenericAttempt {
            user: u,
            name: who.into(),
            status: "approved".into(),
            expiration: Some(expired),
            hide_status_from_user: false,
            vendor: "hosted".into(),
            vendor_reference: format!("inq_{who}"),
        };
        generic_attempts::create_verification_attempt(s, new, &Actor::System).await.expect("generic");
    }
    let (_, eve) = learner(&app, "eve", "eve Learner").await;
    manual_verifications::create_manual_verification(s, eve, "eve", "renewed", None).await.expect("renewal");

    let (ok, out) = vouch(db, &sink, &["send-expiry-emails", "--json"]);
    assert!(ok, "{out}");
    let report: serde_json::Value = serde_json::from_str(out.trim()).expect("JSON summary");
    assert_eq!(
        report,
        serde_json::json!({"candidates": 3, "sent_expiring_soon": 1, "sent_expired": 1, "resent_expired": 0,
                           "already_sent": 0, "skipped": 1, "failed": 0, "batches": 1, "dry_run": false})
    );
    let mails = sink.wait_for(2).await;
    assert_eq!(mails.len(), 2);
    assert_eq!(mails[0].to, "bob@example.com");
    assert_eq!(mails[0].subject, "Your Acme Learning identity verification expires soon");
    assert_eq!(mails[1].to, "cy@example.com");
    assert_eq!(mails[1].subject, "Your Acme Learning identity verification has expired");
    for m in &mails {
        assert!(m.body.contains("https://verify.acme.test/id-verification/reverify"), "{}", m.body);
    }

    // Once per attempt: the next run sends nothing; without --json it prints a line.
    let (ok, out) = vouch(db, &sink, &["send-expiry-emails"]);
    assert!(ok, "{out}");
    assert_eq!(
        out.trim(),
        "expiry emails: 3 learners, 0 expiring-soon sent, 0 expired sent, 0 expired resent, 2 already sent, 1 skipped, \
         0 failed"
    );
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(sink.mails().len(), 2);
}
on_both_backends!(expiry_emails_are_sent_once_by_the_command, expiry_batch);
