//! The `vouch` command line: the server and its management commands.

use crate::{config::Config, store::Store};
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
    /// Apply database migrations and exit.
    Migrate,
    /// Fill the database with synthetic users and photo attempts (for benchmarks).
    SeedAttempts {
        /// How many users to create.
        #[arg(long, default_value_t = 10_000)]
        users: u64,
        /// How many photo attempts to spread over them.
        #[arg(long, default_value_t = 50_000)]
        attempts: u64,
    },
    /// Retire a user: delete their photos and scrub their names from every attempt.
    RetireUser {
        /// The user's username.
        #[arg(long)]
        username: String,
    },
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

/// Runs the parsed command.
pub async fn run(cli: Cli) -> anyhow::Result<()> {
    let cfg = Config::load(cli.config.as_deref())?;
    match cli.command {
        Command::SeedAttempts { users, attempts } => {
            let store = Store::connect(&cfg.database.url, 2).await.context("connecting to the database")?;
            store.migrate().await.context("applying migrations")?;
            let started = std::time::Instant::now();
            crate::store::seed::seed_attempts(&store, users, attempts, chrono::Utc::now(), |n| {
                if n % 100_000 == 0 || n == attempts {
                    eprintln!("  {n} / {attempts} attempts");
                }
            })
            .await?;
            println!("seeded {users} users and {attempts} attempts in {:.1} s", started.elapsed().as_secs_f64());
            Ok(())
        }
        Command::RetireUser { username } => {
            let services = crate::serve::services(cfg, std::sync::Arc::new(crate::clock::SystemClock)).await?;
            let mut conn = services.store.conn().await?;
            let user = crate::store::users::by_username(&mut conn, &username)
                .await?
                .ok_or_else(|| anyhow::anyhow!("no user {username:?}"))?;
            drop(conn);
            let n = crate::service::retire::retire_user(&services, user.id).await?;
            println!("retired {username}: {n} attempts scrubbed");
            Ok(())
        }
        Command::SetDeadline { course, deadline, explicit } => {
            let services = crate::serve::services(cfg, std::sync::Arc::new(crate::clock::SystemClock)).await?;
            let deadline = match deadline.as_str() {
                "none" => None,
                d => Some(
                    chrono::DateTime::parse_from_rfc3339(d)
                        .with_context(|| format!("{d:?} is not an RFC 3339 time"))?
                        .with_timezone(&chrono::Utc),
                ),
            };
            crate::service::deadlines::set_deadline(&services, &course, deadline, explicit, "cli").await?;
            println!("deadline of {course}: {}", deadline.map_or("none".to_owned(), |d| d.to_rfc3339()));
            Ok(())
        }
        Command::Serve => crate::serve::serve(cfg).await,
        Command::Migrate => {
            let store = Store::connect(&cfg.database.url, 1).await.context("connecting to the database")?;
            store.migrate().await.context("applying migrations")?;
            println!("migrations applied");
            Ok(())
        }
    }
}
