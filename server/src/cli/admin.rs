//! Management commands for operators and test set-ups: manual verifications from a file of
//! emails (Open edX's `manual_verifications`), approving or denying an attempt by hand,
//! creating staff, and a demo data set. Long commands draw a progress bar on a terminal
//! only; `--json` prints one JSON document for scripts.
//!
//! Exit codes: 0 done, 1 done with some rows failed, 2 bad input (nothing changed),
//! other failures (database unreachable…) 1 with the error on stderr.

use crate::service::{Services, accounts, manual_decision, manual_verifications, submit};
use anyhow::Context;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use serde::Serialize;
use std::{io::IsTerminal, path::Path};

/// The outcome of a command, for its exit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Everything done.
    Done,
    /// Done, but some rows failed.
    Partial,
    /// The input could not be used; nothing changed.
    BadInput,
}

impl Outcome {
    /// The process exit code.
    pub fn code(self) -> u8 {
        match self {
            Self::Done => 0,
            Self::Partial => 1,
            Self::BadInput => 2,
        }
    }
}

/// A progress bar on stderr when it is a terminal, hidden otherwise (logs, CI, pipes).
pub fn progress(len: u64, what: &str) -> ProgressBar {
    let bar = ProgressBar::with_draw_target(
        Some(len),
        if std::io::stderr().is_terminal() { ProgressDrawTarget::stderr() } else { ProgressDrawTarget::hidden() },
    );
    bar.set_style(
        ProgressStyle::with_template("{msg} [{bar:30}] {pos}/{len} ({eta})")
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
    );
    bar.set_message(what.to_owned());
    bar
}

fn bad_input(json: bool, message: &str) -> Outcome {
    if json {
        println!("{}", serde_json::json!({ "error": message }));
    } else {
        eprintln!("vouch: {message}");
    }
    Outcome::BadInput
}

/// What `manual-verifications` did.
#[derive(Debug, Default, Serialize)]
pub struct ManualReport {
    /// Emails verified now.
    pub created: Vec<String>,
    /// Emails already verified (nothing done).
    pub already_verified: Vec<String>,
    /// Emails with no account, or more than one.
    pub failed: Vec<String>,
}

/// Reads the emails of a CSV or plain list: the first column of each row; a header row
/// whose first cell is `email` is skipped, blank rows too.
pub fn read_emails(path: &Path) -> anyhow::Result<Vec<String>> {
    let text = std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let mut reader = csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(text.as_bytes());
    let mut emails = Vec::new();
    for record in reader.records() {
        let record = record.context("the file is not valid CSV")?;
        let Some(first) = record.get(0).map(str::trim).filter(|s| !s.is_empty()) else { continue };
        if emails.is_empty() && first.eq_ignore_ascii_case("email") {
            continue;
        }
        if !first.contains('@') || first.len() > 254 {
            anyhow::bail!("{first:?} is not an email address");
        }
        emails.push(first.to_owned());
    }
    Ok(emails)
}

/// `vouch manual-verifications --email-ids-file F`: verifies every listed learner by hand.
pub async fn manual_verifications(
    services: &Services,
    file: &Path,
    reason: &str,
    json: bool,
) -> anyhow::Result<Outcome> {
    let emails = match read_emails(file) {
        Ok(e) => e,
        Err(e) => return Ok(bad_input(json, &format!("{e:#}"))),
    };
    if reason.trim().is_empty() {
        return Ok(bad_input(json, "--reason must not be empty"));
    }
    let bar = progress(emails.len() as u64, "manual verifications");
    let mut report = ManualReport::default();
    for email in emails {
        match accounts::by_email(services, &email).await?.as_slice() {
            [user] => {
                if crate::service::idv::user_is_verified(services, user.id).await? {
                    report.already_verified.push(email);
                } else {
                    manual_verifications::create_manual_verification(services, user.id, &user.full_name, reason, None)
                        .await?;
                    report.created.push(email);
                }
            }
            _ => report.failed.push(email),
        }
        bar.inc(1);
    }
    bar.finish_and_clear();
    if json {
        println!("{}", serde_json::to_string(&report)?);
    } else {
        println!(
            "manual verifications: {} created, {} already verified, {} failed",
            report.created.len(),
            report.already_verified.len(),
            report.failed.len()
        );
        for email in &report.failed {
            eprintln!("  no single account with email {email}");
        }
    }
    Ok(if report.failed.is_empty() { Outcome::Done } else { Outcome::Partial })
}

/// `vouch approve|deny --receipt-id R`: decides a photo attempt by hand (test set-ups and
/// support). A ready attempt is first marked submitted, as the vendor would have it.
pub async fn decide(
    services: &Services,
    receipt_id: &str,
    deny_reason: Option<&str>,
    json: bool,
) -> anyhow::Result<Outcome> {
    match manual_decision::decide(services, receipt_id, deny_reason).await? {
        Ok(status) => {
            if json {
                println!("{}", serde_json::json!({ "receipt_id": receipt_id, "status": status.as_str() }));
            } else {
                println!("{receipt_id}: {}", status.as_str());
            }
            Ok(Outcome::Done)
        }
        Err(message) => Ok(bad_input(json, &message)),
    }
}

/// `vouch create-staff --username U [--email E]`: a staff account (created if missing).
pub async fn create_staff(
    services: &Services,
    username: &str,
    email: Option<&str>,
    json: bool,
) -> anyhow::Result<Outcome> {
    if !crate::http::auth::valid_username(username) {
        return Ok(bad_input(json, "a username is 2 to 30 letters, digits or _ - . @ +"));
    }
    let user = accounts::ensure_staff(services, username, email).await?;
    if json {
        println!("{}", serde_json::json!({ "username": user.username, "is_staff": true }));
    } else {
        println!("{} is staff", user.username);
    }
    Ok(Outcome::Done)
}

/// A tiny valid JPEG (the demo's photos): an 8×8 grey image.
fn demo_jpeg() -> Vec<u8> {
    use base64::Engine as _;
    const GREY_8X8: &str = "/9j/4AAQSkZJRgABAQEASABIAAD/2wBDAAMCAgICAgMCAgIDAwMDBAYEBAQEBAgGBgUGCQgKCgkICQkKDA8MCgsOCwkJDRENDg8QEBEQCgwSExIQEw8QEBD/yQALCAAIAAgBAREA/8wABgAQEAX/2gAIAQEAAD8A0s8g/9k=";
    base64::engine::general_purpose::STANDARD.decode(GREY_8X8).unwrap_or_default()
}

/// One demo learner and what happened to them.
#[derive(Debug, Serialize)]
struct DemoUser {
    username: String,
    status: String,
}

/// `vouch seed-demo`: a staff user and learners in each status, for trying the product.
pub async fn seed_demo(services: &Services, json: bool) -> anyhow::Result<Outcome> {
    let mut made = Vec::new();
    let staff = accounts::ensure_staff(services, "staff", Some("staff@example.com")).await?;
    made.push(DemoUser { username: staff.username.clone(), status: "staff".into() });
    let photo = format!("data:image/jpeg;base64,{}", {
        use base64::Engine as _;
        base64::engine::general_purpose::STANDARD.encode(demo_jpeg())
    });
    let plan: [(&str, Option<Option<&str>>); 4] = [
        ("learner", None),
        ("approved", Some(None)),
        ("denied", Some(Some("Photo ID is blurry"))),
        ("pending", Some(Some("__pending__"))),
    ];
    for (username, decision) in plan {
        let email = format!("{username}@example.com");
        let user = accounts::ensure_with_name(services, username, &email, &format!("Demo {username}")).await?;
        let already = !crate::service::idv::verifications_for_user(services, user.id).await?.is_empty();
        let status = match decision {
            _ if already => "unchanged".to_owned(),
            None => "none".to_owned(),
            Some(outcome) => {
                let request = app::dto::SubmitPhotosRequest {
                    face_image: photo.clone(),
                    photo_id_image: Some(photo.clone()),
                    full_name: None,
                    course_key: None,
                };
                let id = submit::submit_photos(services, user.id, request).await?;
                let receipt = manual_decision::receipt_id(services, id).await?;
                match outcome {
                    Some("__pending__") => "ready".to_owned(),
                    deny => match manual_decision::decide(services, &receipt, deny).await? {
                        Ok(status) => status.as_str().to_owned(),
                        Err(refused) => refused,
                    },
                }
            }
        };
        made.push(DemoUser { username: username.to_owned(), status });
    }
    if json {
        println!("{}", serde_json::to_string(&made)?);
    } else {
        for u in &made {
            println!("{:10} {}", u.username, u.status);
        }
    }
    Ok(Outcome::Done)
}
