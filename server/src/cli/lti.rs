//! `vouch lti consumer add|list|remove`: the LMSs allowed to launch Vouch.
//!
//! Exit codes: 0 done; 2 an argument cannot be used; 3 the key (or instance GUID) is
//! already taken; 4 no consumer has that key; 1 anything else (database unreachable…).
//! The secret is never printed, listed or logged.

use crate::{
    config::Config,
    lti::HostList,
    store::{Store, StoreError, lti},
};
use anyhow::Context as _;
use clap::Subcommand;
use serde::Serialize;

/// `vouch lti …`.
#[derive(Debug, Subcommand)]
pub enum LtiCommand {
    /// Manage LTI consumers.
    #[command(subcommand)]
    Consumer(ConsumerCommand),
}

/// `vouch lti consumer …`.
#[derive(Debug, Subcommand)]
pub enum ConsumerCommand {
    /// Allow an LMS to launch Vouch with this key and secret.
    Add {
        /// A name for people (e.g. "Canvas, main campus").
        #[arg(long)]
        name: String,
        /// The OAuth consumer key the LMS sends.
        #[arg(long)]
        key: String,
        /// The shared secret (at least 16 characters). Prefer the environment variable,
        /// which other users of the machine cannot see in the process list.
        #[arg(long, env = "VOUCH_LTI_CONSUMER_SECRET", hide_env_values = true)]
        secret: String,
        /// The LMS instance's tool_consumer_instance_guid, if known (else learnt on the
        /// first signed launch).
        #[arg(long)]
        instance_guid: Option<String>,
        /// Comma-separated hosts its outcome service URLs may use (default: lti setting).
        #[arg(long)]
        allowed_outcome_hosts: Option<String>,
        /// The frame-ancestors policy of its launches, e.g. "https://canvas.example.edu"
        /// (default: lti.frame_ancestors).
        #[arg(long)]
        frame_ancestors: Option<String>,
    },
    /// List the consumers (never their secrets).
    List {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Remove a consumer and its LTI records (the Vouch users and their verifications stay).
    Remove {
        /// The consumer's key.
        #[arg(long)]
        key: String,
    },
}

/// A consumer as listed.
#[derive(Debug, Serialize)]
struct Listed {
    name: String,
    key: String,
    instance_guid: Option<String>,
    allowed_outcome_hosts: Vec<String>,
    frame_ancestors: String,
}

fn exit(code: i32, message: &str) -> ! {
    eprintln!("vouch: {message}");
    std::process::exit(code);
}

/// Runs `vouch lti …`.
pub async fn run(cfg: &Config, command: LtiCommand) -> anyhow::Result<()> {
    let LtiCommand::Consumer(command) = command;
    let store = Store::connect(&cfg.database.url, 2).await.context("connecting to the database")?;
    store.migrate().await.context("applying migrations")?;
    let mut conn = store.conn().await?;
    match command {
        ConsumerCommand::Add { name, key, secret, instance_guid, allowed_outcome_hosts, frame_ancestors } => {
            let (name, key) = (name.trim().to_owned(), key.trim().to_owned());
            if name.is_empty() || key.is_empty() || key.chars().any(char::is_whitespace) {
                exit(2, "--name and --key must not be empty, and a key has no spaces");
            }
            if secret.chars().count() < 16 {
                exit(2, "--secret must be at least 16 characters");
            }
            if frame_ancestors.as_deref().is_some_and(|f| f.contains([';', ',', '\n', '\r'])) {
                exit(2, "--frame-ancestors is a space-separated list of sources");
            }
            let new = lti::NewConsumer {
                name,
                key: key.clone(),
                secret: secret.into(),
                instance_guid: instance_guid.map(|g| g.trim().to_owned()).filter(|g| !g.is_empty()),
                allowed_outcome_hosts: HostList::parse(allowed_outcome_hosts.as_deref().unwrap_or_default()).0,
                frame_ancestors: frame_ancestors.unwrap_or_default().trim().to_owned(),
            };
            match lti::insert_consumer(&mut conn, &new, chrono::Utc::now()).await {
                Ok(_) => println!("added LTI consumer {key}"),
                Err(StoreError::Duplicate(_)) => exit(3, &format!("a consumer with key {key:?} (or that GUID) exists")),
                Err(e) => return Err(e.into()),
            }
        }
        ConsumerCommand::List { json } => {
            let all = lti::consumers(&mut conn).await?;
            let listed: Vec<Listed> = all
                .into_iter()
                .map(|c| Listed {
                    name: c.name,
                    key: c.key,
                    instance_guid: c.instance_guid,
                    allowed_outcome_hosts: c.allowed_outcome_hosts,
                    frame_ancestors: c.frame_ancestors,
                })
                .collect();
            if json {
                println!("{}", serde_json::to_string_pretty(&listed)?);
            } else {
                for c in &listed {
                    println!("{}\t{}\t{}", c.key, c.name, c.instance_guid.as_deref().unwrap_or("-"));
                }
            }
        }
        ConsumerCommand::Remove { key } => {
            drop(conn);
            let mut tx = store.begin().await?;
            if !lti::delete_consumer(&mut tx, &key).await? {
                exit(4, &format!("no consumer with key {key:?}"));
            }
            tx.commit().await.map_err(StoreError::from)?;
            println!("removed LTI consumer {key}");
        }
    }
    Ok(())
}
