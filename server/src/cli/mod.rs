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
}

/// Runs the parsed command.
pub async fn run(cli: Cli) -> anyhow::Result<()> {
    let cfg = Config::load(cli.config.as_deref())?;
    match cli.command {
        Command::Serve => crate::serve::serve(cfg).await,
        Command::Migrate => {
            let store = Store::connect(&cfg.database.url, 1)
                .await
                .context("connecting to the database")?;
            store.migrate().await.context("applying migrations")?;
            println!("migrations applied");
            Ok(())
        }
    }
}
