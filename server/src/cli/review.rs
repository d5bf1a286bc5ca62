//! `vouch review grant|revoke|stats`: the reviewer role and the in-house review queue's
//! figures.
//!
//! Exit codes: 0 done; 2 no such user (nothing changed); 1 anything else.

use super::admin::Outcome;
use crate::{
    config::Config,
    serve::Extensions,
    service::{review::stats, reviewer_role},
};
use clap::Subcommand;

/// `vouch review …`.
#[derive(Debug, Subcommand)]
pub enum ReviewCommand {
    /// Give a user the reviewer role (they may use the review queue; staff already may).
    Grant {
        /// The user's username.
        username: String,
        /// Print one JSON document.
        #[arg(long)]
        json: bool,
    },
    /// Take the reviewer role away.
    Revoke {
        /// The user's username.
        username: String,
        /// Print one JSON document.
        #[arg(long)]
        json: bool,
    },
    /// The queue's size, oldest age, live claims and decision times.
    Stats {
        /// Print one JSON document.
        #[arg(long)]
        json: bool,
    },
}

/// Runs a `vouch review` command.
pub async fn run(cfg: Config, command: ReviewCommand, ext: &Extensions) -> anyhow::Result<Outcome> {
    let services = super::system_services(cfg, ext).await?;
    match command {
        ReviewCommand::Grant { username, json } => set_role(&services, &username, true, json).await,
        ReviewCommand::Revoke { username, json } => set_role(&services, &username, false, json).await,
        ReviewCommand::Stats { json } => {
            let s = stats::stats(&services).await.map_err(|e| anyhow::anyhow!("{e}"))?;
            if json {
                println!("{}", serde_json::to_string(&s)?);
            } else {
                let secs = |v: Option<i64>| v.map_or_else(|| "-".to_owned(), |s| format!("{s} s"));
                println!(
                    "queue: {} waiting ({} claimed), oldest {} s\ndecided in the last 24 h: {}, time to decision p50 {}, \
                     p95 {}",
                    s.size,
                    s.claimed,
                    s.oldest_age_secs,
                    s.decided_last_24h,
                    secs(s.time_to_decision_p50_secs),
                    secs(s.time_to_decision_p95_secs)
                );
            }
            Ok(Outcome::Done)
        }
    }
}

async fn set_role(
    services: &crate::service::Services,
    username: &str,
    on: bool,
    json: bool,
) -> anyhow::Result<Outcome> {
    let Some(user) = reviewer_role::set(services, username, on, "cli").await? else {
        if json {
            println!(
                "{}",
                serde_json::json!({"error": {"code": "not_found", "message": format!("no user {username:?}")}})
            );
        } else {
            eprintln!("vouch: no user {username:?}");
        }
        return Ok(Outcome::BadInput);
    };
    if json {
        println!("{}", serde_json::json!({ "username": user.username, "is_reviewer": on }));
    } else {
        println!("{} {} the reviewer role", user.username, if on { "has" } else { "no longer has" });
    }
    Ok(Outcome::Done)
}
