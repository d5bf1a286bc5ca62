//! `vouch retry-config set|show`: the arguments `vouch retry-failed --args-from-database`
//! runs with (Open edX's `SSPVerificationRetryConfig`, set in Django admin there).
//!
//! Exit codes: 0 done; 2 the arguments cannot be used (nothing stored); 1 anything else.

use super::admin::Outcome;
use crate::{
    config::Config,
    serve::Extensions,
    service::{ServiceError, database, records::RetryConfigRow, retry_config},
};
use clap::Subcommand;

/// `vouch retry-config …`.
#[derive(Debug, Subcommand)]
pub enum RetryConfigCommand {
    /// Store the arguments, e.g. `--args "--verification-ids 12 15"`.
    Set {
        /// The arguments: `--verification-ids <id> <id> ...` (attempt ids or receipt ids).
        #[arg(long, allow_hyphen_values = true)]
        args: String,
        /// Store them disabled (`--args-from-database` then refuses to run).
        #[arg(long)]
        disabled: bool,
        /// Print the stored configuration as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Print the configuration in force.
    Show {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

fn json(row: Option<&RetryConfigRow>) -> serde_json::Value {
    match row {
        Some(r) => serde_json::json!({
            "arguments": r.arguments, "enabled": r.enabled, "changed_by": r.changed_by,
            "changed_at": r.changed_at.to_rfc3339(),
        }),
        None => serde_json::json!({ "arguments": null, "enabled": false, "changed_by": null, "changed_at": null }),
    }
}

fn line(row: Option<&RetryConfigRow>) -> String {
    match row {
        Some(r) => format!(
            "retry configuration: {} ({}, by {} at {})",
            r.arguments,
            if r.enabled { "enabled" } else { "disabled" },
            r.changed_by,
            r.changed_at.to_rfc3339()
        ),
        None => "retry configuration: none stored".to_owned(),
    }
}

/// Runs the command.
pub async fn run(cfg: Config, command: RetryConfigCommand, ext: &Extensions) -> anyhow::Result<Outcome> {
    let services = super::system_services(cfg, ext).await?;
    let (row, as_json) = match command {
        RetryConfigCommand::Set { args, disabled, json } => {
            match retry_config::set(&services, &args, !disabled, "cli").await {
                Ok(row) => (Some(row), json),
                Err(ServiceError::Invalid(why)) => {
                    eprintln!("vouch: the retry arguments cannot be used: {why} Nothing was stored.");
                    return Ok(Outcome::BadInput);
                }
                Err(e) => return Err(e.into()),
            }
        }
        RetryConfigCommand::Show { json } => (retry_config::current(&services).await?, json),
    };
    if as_json {
        println!("{}", json(row.as_ref()));
    } else {
        println!("{}", line(row.as_ref()));
    }
    database::close(&services).await;
    Ok(Outcome::Done)
}
