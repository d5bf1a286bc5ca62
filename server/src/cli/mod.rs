//! The `vouch` command line: the server and its management commands.

pub mod admin;
pub mod churn;
pub mod debug;
pub mod expiry_emails;
pub mod lti;
pub mod needs;
pub mod photos;
pub mod retry_config;
pub mod review;
pub mod serve_constant;

use crate::{
    config::Config,
    service::{accounts, database, synthetic},
};
use anyhow::Context;
use clap::{Parser, Subcommand};
use std::path::PathBuf;

/// Vouch: identity verification for learning platforms.
#[derive(Debug, Parser)]
#[command(name = "vouch", version, about)]
pub struct Cli {
    /// Configuration file (default: ./vouch.toml if present). Every key can also be set in
    /// the environment as VOUCH_<SECTION>__<KEY>.
    #[arg(long, env = "VOUCH_CONFIG", global = true)]
    pub config: Option<PathBuf>,
    /// Log as JSON lines (for log collectors).
    #[arg(long, global = true)]
    pub json_logs: bool,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the server.
    Serve,
    /// Run background jobs only (several workers may share one PostgreSQL database).
    Worker,
    /// Re-submit photo verifications that must be retried.
    RetryFailed {
        /// Only these attempts: attempt ids or receipt ids (as Open edX's command takes).
        #[arg(long, num_args = 1.., conflicts_with = "args_from_database")]
        verification_ids: Vec<crate::service::retry::AttemptRef>,
        /// Take the ids from the stored retry configuration.
        #[arg(long)]
        args_from_database: bool,
        /// With neither option: retry at most this many must_retry attempts.
        #[arg(long, default_value_t = 1000)]
        limit: i64,
        /// Also run the queued submissions now (otherwise the server or a worker does).
        #[arg(long)]
        run: bool,
        /// Print one JSON document.
        #[arg(long)]
        json: bool,
    },
    /// The stored arguments of `retry-failed --args-from-database` (Open edX
    /// `SSPVerificationRetryConfig`).
    #[command(subcommand)]
    RetryConfig(retry_config::RetryConfigCommand),
    /// Apply database migrations and exit.
    Migrate,
    /// Helpers for operators integrating a vendor.
    #[command(subcommand)]
    Debug(DebugCommand),
    /// Fill the database with synthetic users and photo attempts (for benchmarks).
    SeedAttempts {
        /// How many users to create.
        #[arg(long, default_value_t = 10_000)]
        users: u64,
        /// How many photo attempts to spread over them.
        #[arg(long, default_value_t = 50_000)]
        attempts: u64,
        /// Rows per INSERT statement.
        #[arg(long, default_value_t = synthetic::DEFAULT_BATCH)]
        batch: usize,
        /// Print one JSON document: first_user, users, attempts, seconds.
        #[arg(long)]
        json: bool,
    },
    /// Retire a user: delete their photos and scrub their names from every attempt.
    RetireUser {
        /// The user's username.
        #[arg(long)]
        username: String,
    },
    /// Verify learners by hand from a file of emails (CSV: the first column; a header
    /// `email` is skipped), as Open edX's `manual_verifications`. Exit code 1 when some
    /// emails match no single account, 2 when the file cannot be used.
    ManualVerifications {
        /// The file of emails.
        #[arg(long)]
        email_ids_file: PathBuf,
        /// The reason recorded with each verification.
        #[arg(long, default_value = "verified by an operator (manual_verifications)")]
        reason: String,
        /// Print one JSON document.
        #[arg(long)]
        json: bool,
    },
    /// Approve a photo attempt by hand (test set-ups, support).
    Approve {
        /// The attempt's receipt id.
        #[arg(long)]
        receipt_id: String,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Deny a photo attempt by hand, with the reason shown to the learner.
    Deny {
        /// The attempt's receipt id.
        #[arg(long)]
        receipt_id: String,
        /// Why.
        #[arg(long)]
        reason: String,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Create a staff account (or make an existing user staff).
    CreateStaff {
        /// Username.
        #[arg(long)]
        username: String,
        /// Email address.
        #[arg(long)]
        email: Option<String>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Fill an empty database with a staff user and learners in each status, to try Vouch.
    SeedDemo {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Print the OpenAPI document of the REST API.
    Openapi,
    /// Email learners whose verification expires soon or has expired (once per attempt, and
    /// "expired" again every verification.expiry_email_resend_days days, as Open edX's
    /// send_verification_expiry_email).
    SendExpiryEmails {
        /// Print the summary as JSON (and no progress bar).
        #[arg(long)]
        json: bool,
        /// Learners per batch.
        #[arg(long, default_value_t = 1000, value_parser = clap::value_parser!(u64).range(1..))]
        batch_size: u64,
        /// Seconds to wait between batches (eases the load on the mail server).
        #[arg(long, default_value_t = 10)]
        sleep_time: u64,
        /// Count the emails that would be sent; send and record nothing.
        #[arg(long)]
        dry_run: bool,
    },
    /// Delete an attempt of any kind by uuid (its verified names and its photos go with it).
    DeleteAttempt {
        /// The attempt's uuid.
        #[arg(long)]
        uuid: String,
    },
    /// Delete the photos of attempts decided more than verification.photo_retention_days
    /// ago (what the scheduled job does), with a progress bar.
    PurgePhotos {
        /// Report what would be deleted; change nothing.
        #[arg(long)]
        dry_run: bool,
        /// Print the summary as one JSON document (and no progress bar).
        #[arg(long)]
        json: bool,
    },
    /// Delete vault objects that no attempt references (left by a crash between writing the
    /// photos and committing the attempt), if older than the grace period.
    GcPhotos {
        /// Report what would be deleted; change nothing.
        #[arg(long)]
        dry_run: bool,
        /// Leave objects younger than this alone: a submission in flight has written its
        /// photos but not committed yet.
        #[arg(long, default_value_t = crate::service::photo_gc::DEFAULT_GRACE_SECS)]
        grace_secs: u64,
        /// Print the summary as one JSON document (and no progress bar).
        #[arg(long)]
        json: bool,
    },
    /// LTI 1.1: manage the consumers (LMSs) allowed to launch Vouch.
    #[command(subcommand)]
    Lti(lti::LtiCommand),
    /// In-house review: the reviewer role and the queue's figures.
    #[command(subcommand)]
    Review(review::ReviewCommand),
    /// Set (or remove) a course's verification deadline.
    SetDeadline {
        /// The course key.
        #[arg(long)]
        course: String,
        /// The deadline (RFC 3339, e.g. 2027-01-31T23:59:00Z), or `none` to remove it.
        #[arg(long)]
        deadline: String,
        /// Mark the deadline as set explicitly by staff.
        #[arg(long)]
        explicit: bool,
    },
}

/// `vouch debug …`.
#[derive(Debug, Subcommand)]
pub enum DebugCommand {
    /// Write a new RSA key pair (PEM) for a development vendor: `<dir>/vendor-private.pem`
    /// and `<dir>/vendor-public.pem`. Never use these keys in production.
    GenKeys {
        /// Where to write the keys.
        #[arg(long)]
        out: PathBuf,
    },
    /// Print the canonical signing string, the Date and the Authorization header Vouch
    /// would send for a JSON body, with the configured access and secret keys.
    /// Exit code 2 when the body, date or method cannot be used.
    Sign(debug::SignArgs),
    /// Encrypt a photo as Vouch stores it (encrypt_and_encode) and, when a vendor public key
    /// is configured, wrap its key as PhotoIDKey and UserPhotoKey.
    /// Exit code 2 when the photo cannot be read or the key is not valid hex.
    Encrypt(debug::EncryptArgs),
    /// Serve a bare axum handler answering a constant JSON document on `/` (no database,
    /// no middleware): the limit of the HTTP stack, for benchmarks.
    ServeConstant(serve_constant::ServeConstantArgs),
    /// Keep flipping seeded learners' newest attempts between approved and denied at a
    /// steady rate (benchmarks of reads racing changes; writes to the configured database).
    Churn(churn::ChurnArgs),
}

/// Runs the parsed command with stock Vouch's vendors, steps and subscribers.
pub async fn run(cli: Cli) -> anyhow::Result<()> {
    run_with(cli, &crate::serve::Extensions::stock()).await
}

/// Runs the parsed command with the vendors, filter steps, subscribers and routes of `ext`
/// (what `server::App::run_cli` does). The configuration's vendor names are checked against
/// `ext`'s vendors.
pub async fn run_with(cli: Cli, ext: &crate::serve::Extensions) -> anyhow::Result<()> {
    let cfg = Config::load_with(cli.config.as_deref(), &ext.vendor_names())?;
    // The build's own tables are checked for every command, as Vouch's own settings are.
    ext.check_config(&cfg)?;
    match cli.command {
        Command::Worker => crate::serve::worker_with(cfg, ext).await,
        Command::RetryFailed { verification_ids, args_from_database, limit, run, json } => {
            use crate::service::retry::{Selection, retry_failed};
            let services = system_services(cfg, ext).await?;
            let selection = if args_from_database {
                Selection::FromConfig
            } else if verification_ids.is_empty() {
                Selection::AllMustRetry { limit }
            } else {
                Selection::Ids(verification_ids)
            };
            let bar = admin::progress(0, "retry-failed");
            let report = retry_failed(&services, selection, |done, total| {
                bar.set_length(total as u64);
                bar.set_position(done as u64);
            })
            .await?;
            bar.finish_and_clear();
            if json {
                println!("{}", serde_json::json!({ "queued": report.queued, "skipped": report.skipped }));
            } else {
                println!("queued {} submissions, skipped {}", report.queued, report.skipped);
            }
            if run {
                ext.runner(services.clone(), crate::serve::worker_name("retry-failed")).run_until_idle().await;
            }
            Ok(())
        }
        Command::Debug(DebugCommand::GenKeys { out }) => gen_keys(&out),
        Command::Debug(DebugCommand::Sign(args)) => debug::exit_on_bad_input(debug::sign_command(&cfg, &args)),
        Command::Debug(DebugCommand::Encrypt(args)) => debug::exit_on_bad_input(debug::encrypt_command(&cfg, &args)),
        Command::Debug(DebugCommand::ServeConstant(args)) => serve_constant::run(&args).await,
        Command::Debug(DebugCommand::Churn(args)) => churn::run(&cfg.database.url, &args).await,
        Command::SeedAttempts { users, attempts, batch, json } => {
            seed_command(&cfg, users, attempts, batch, json).await
        }
        Command::RetireUser { username } => {
            let services = system_services(cfg, ext).await?;
            let user = match accounts::by_username(&services, &username).await {
                Ok(user) => user,
                Err(crate::service::ServiceError::NotFound) => {
                    eprintln!("vouch: no user {username:?}");
                    return exit_with(admin::Outcome::BadInput);
                }
                Err(e) => return Err(e.into()),
            };
            let n = crate::service::retire::retire_user(&services, user.id).await?;
            println!("retired {username}: {n} attempts scrubbed");
            Ok(())
        }
        Command::SetDeadline { course, deadline, explicit } => {
            let services = system_services(cfg, ext).await?;
            let deadline = match deadline.as_str() {
                "none" => None,
                d => match chrono::DateTime::parse_from_rfc3339(d) {
                    Ok(t) => Some(t.with_timezone(&chrono::Utc)),
                    Err(_) => {
                        eprintln!("vouch: {d:?} is not an RFC 3339 time (e.g. 2027-01-31T23:59:00Z) or none");
                        return exit_with(admin::Outcome::BadInput);
                    }
                },
            };
            crate::service::deadlines::set_deadline(&services, &course, deadline, explicit, "cli").await?;
            println!("deadline of {course}: {}", deadline.map_or("none".to_owned(), |d| d.to_rfc3339()));
            Ok(())
        }
        Command::ManualVerifications { email_ids_file, reason, json } => {
            let services = system_services(cfg, ext).await?;
            exit_with(admin::manual_verifications(&services, &email_ids_file, &reason, json).await?)
        }
        Command::Approve { receipt_id, json } => {
            exit_with(admin::decide(&system_services(cfg, ext).await?, &receipt_id, None, json).await?)
        }
        Command::Deny { receipt_id, reason, json } => {
            exit_with(admin::decide(&system_services(cfg, ext).await?, &receipt_id, Some(&reason), json).await?)
        }
        Command::CreateStaff { username, email, json } => {
            exit_with(admin::create_staff(&system_services(cfg, ext).await?, &username, email.as_deref(), json).await?)
        }
        Command::SeedDemo { json } => {
            needs::vendor_public_key(&cfg, "seed-demo")?;
            exit_with(admin::seed_demo(&system_services(cfg, ext).await?, json).await?)
        }
        Command::Openapi => {
            let services = system_services(cfg, ext).await?;
            let doc = crate::http::rest::openapi::document(&crate::http::AppState::new(services));
            println!("{}", serde_json::to_string_pretty(&doc)?);
            Ok(())
        }
        Command::SendExpiryEmails { json, batch_size, sleep_time, dry_run } => {
            let options = expiry_emails::Options { json, batch_size: batch_size as usize, sleep_time, dry_run };
            expiry_emails::run(cfg, options, ext).await
        }
        Command::RetryConfig(command) => exit_with(retry_config::run(cfg, command, ext).await?),
        Command::DeleteAttempt { uuid } => {
            let services = system_services(cfg, ext).await?;
            let done = crate::service::attempt_delete::delete_attempt(&services, &uuid).await?;
            let photos = if done.photos > 0 { format!(", and {} photos", done.photos) } else { String::new() };
            println!(
                "deleted the {} attempt {uuid} and {} verified names{photos}",
                done.kind.as_str(),
                done.verified_names
            );
            if done.photos_left > 0 {
                eprintln!("vouch: {} photos could not be deleted; vouch gc-photos removes them", done.photos_left);
                return exit_with(admin::Outcome::Partial);
            }
            Ok(())
        }
        Command::PurgePhotos { dry_run, json } => photos::purge(cfg, ext, dry_run, json).await,
        Command::GcPhotos { dry_run, grace_secs, json } => photos::gc(cfg, ext, dry_run, grace_secs, json).await,
        Command::Lti(command) => lti::run(&system_services(cfg, ext).await?, command).await,
        Command::Review(command) => exit_with(review::run(cfg, command, ext).await?),
        Command::Serve => crate::serve::serve_with(cfg, ext).await,
        Command::Migrate => {
            database::open_migrated(&cfg, 1).await?;
            println!("migrations applied");
            Ok(())
        }
    }
}

/// `vouch seed-attempts`: a migrated database, then the seed, timed.
async fn seed_command(cfg: &Config, users: u64, attempts: u64, batch: usize, json: bool) -> anyhow::Result<()> {
    let store = database::open_migrated(cfg, 2).await?;
    let started = std::time::Instant::now();
    let retention = cfg.verification.photo_retention_days;
    let seeded = synthetic::seed_attempts(&store, users, attempts, batch, retention, |n| {
        if !json {
            eprintln!("  {n} / {attempts} attempts");
        }
    })
    .await?;
    let seconds = started.elapsed().as_secs_f64();
    if json {
        println!(
            "{}",
            serde_json::json!({ "first_user": seeded.first_user, "users": seeded.users, "attempts": seeded.attempts, "seconds": seconds })
        );
    } else {
        println!(
            "seeded {} users (ids from {}) and {attempts} attempts in {seconds:.1} s",
            seeded.users, seeded.first_user
        );
    }
    Ok(())
}

/// The services of a command: the system clock, and the vendors, filter steps and
/// subscribers of the build (`ext`), as `serve` and `worker` have them. Every command that
/// needs services builds them here, so none runs with the built-in plugins only when Vouch
/// is used as a library.
async fn system_services(cfg: Config, ext: &crate::serve::Extensions) -> anyhow::Result<crate::service::Services> {
    crate::serve::services_with(cfg, std::sync::Arc::new(crate::clock::SystemClock), ext).await
}

/// Ends the process with the command's exit code when it is not success.
fn exit_with(outcome: admin::Outcome) -> anyhow::Result<()> {
    match outcome {
        admin::Outcome::Done => Ok(()),
        other => std::process::exit(i32::from(other.code())),
    }
}

fn gen_keys(dir: &std::path::Path) -> anyhow::Result<()> {
    use rsa::pkcs8::{EncodePrivateKey, EncodePublicKey, LineEnding};
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let private = rsa::PrivateKey::new(&mut rand::rng(), 2048).context("generating the key")?;
    let private_pem = private.to_pkcs8_pem(LineEnding::LF).context("encoding the private key")?;
    let public_pem = private.to_public_key().to_public_key_pem(LineEnding::LF).context("encoding the public key")?;
    std::fs::write(dir.join("vendor-private.pem"), private_pem.as_bytes())?;
    std::fs::write(dir.join("vendor-public.pem"), public_pem)?;
    println!("wrote {}/vendor-private.pem and vendor-public.pem", dir.display());
    Ok(())
}
