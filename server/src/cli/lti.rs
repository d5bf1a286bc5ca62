//! `vouch lti consumer add|update|list|remove`: the LMSs allowed to launch Vouch.
//!
//! Exit codes: 0 done; 2 an argument cannot be used; 3 the key (or instance GUID) is
//! already taken; 4 no consumer has that key; 1 anything else (database unreachable…).
//! The secret is never printed, listed or logged.

use crate::{
    config::Config,
    lti::{
        HostList,
        consumers::{self, ConsumerInput, ConsumerView},
    },
    store::{Store, StoreError, lti},
};
use anyhow::Context as _;
use clap::Subcommand;

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
        /// Open edX use_lti_pii: launches fill an empty profile name and email from
        /// lis_person_* (never overwriting). Off unless given.
        #[arg(long)]
        use_lti_pii: bool,
        /// Open edX require_user_account: a learner the consumer launches for the first time
        /// signs in with the LMS, and that account is linked (never by email). Off unless given.
        #[arg(long)]
        require_user_account: bool,
    },
    /// Change a consumer's opt-ins.
    Update {
        /// The consumer's key.
        #[arg(long)]
        key: String,
        /// Open edX use_lti_pii: true or false.
        #[arg(long, action = clap::ArgAction::Set)]
        use_lti_pii: Option<bool>,
        /// Open edX require_user_account: true or false.
        #[arg(long, action = clap::ArgAction::Set)]
        require_user_account: Option<bool>,
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

fn exit(code: i32, message: &str) -> ! {
    eprintln!("vouch: {message}");
    std::process::exit(code);
}

/// Runs `vouch lti …`.
pub async fn run(cfg: &Config, command: LtiCommand) -> anyhow::Result<()> {
    let LtiCommand::Consumer(command) = command;
    let store = Store::connect(&cfg.database.url, 2)
        .await
        .map_err(|e| anyhow::anyhow!(crate::config::database_unusable(&e)))?;
    store.migrate().await.context("applying migrations")?;
    let mut conn = store.conn().await?;
    match command {
        ConsumerCommand::Add {
            name,
            key,
            secret,
            instance_guid,
            allowed_outcome_hosts,
            frame_ancestors,
            use_lti_pii,
            require_user_account,
        } => {
            let input = ConsumerInput {
                name,
                key,
                secret: secret.into(),
                instance_guid,
                allowed_outcome_hosts: HostList::parse(allowed_outcome_hosts.as_deref().unwrap_or_default()),
                frame_ancestors: frame_ancestors.unwrap_or_default(),
                use_lti_pii,
                require_user_account,
            };
            let new = consumers::validate(input).unwrap_or_else(|message| exit(2, &message));
            match lti::insert_consumer(&mut conn, &new, chrono::Utc::now()).await {
                Ok(_) => println!("added LTI consumer {}", new.key),
                Err(StoreError::Duplicate(_)) => {
                    exit(3, &format!("a consumer with key {:?} (or that instance GUID) exists", new.key))
                }
                Err(e) => return Err(e.into()),
            }
        }
        ConsumerCommand::Update { key, use_lti_pii, require_user_account } => {
            if use_lti_pii.is_none() && require_user_account.is_none() {
                exit(2, "give --use-lti-pii true|false, --require-user-account true|false, or both");
            }
            if !lti::set_consumer_flags(&mut conn, &key, use_lti_pii, require_user_account).await? {
                exit(4, &format!("no consumer with key {key:?}"));
            }
            let c = lti::consumer_by_key(&mut conn, &key).await?.map(ConsumerView::from);
            let c = c.unwrap_or_else(|| exit(4, &format!("no consumer with key {key:?}")));
            println!(
                "updated LTI consumer {key}: use_lti_pii={}, require_user_account={}",
                c.use_lti_pii, c.require_user_account
            );
        }
        ConsumerCommand::List { json } => {
            let listed: Vec<ConsumerView> =
                lti::consumers(&mut conn).await?.into_iter().map(ConsumerView::from).collect();
            if json {
                println!("{}", serde_json::to_string_pretty(&listed)?);
            } else {
                for c in &listed {
                    println!(
                        "{}\t{}\t{}\tuse_lti_pii={}\trequire_user_account={}",
                        c.key,
                        c.name,
                        c.instance_guid.as_deref().unwrap_or("-"),
                        c.use_lti_pii,
                        c.require_user_account
                    );
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
