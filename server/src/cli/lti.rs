//! `vouch lti consumer add|update|list|remove`: the LMSs allowed to launch Vouch.
//!
//! Exit codes: 0 done; 2 an argument cannot be used; 3 the key (or instance GUID) is
//! already taken; 4 no consumer has that key; 1 anything else (database unreachable…).
//! The secret is never printed, listed or logged.

use crate::{
    lti::{
        HostList,
        consumers::{self, ConsumerInput, ConsumerUpdate, ConsumerView},
    },
    service::{ServiceError, Services, operator},
};
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

/// Runs `vouch lti …` through the LTI consumer services the staff API uses, with the
/// operator's staff rights.
pub async fn run(services: &Services, command: LtiCommand) -> anyhow::Result<()> {
    let LtiCommand::Consumer(command) = command;
    let staff = operator::staff();
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
            let shown = key.trim().to_owned();
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
            match consumers::add(services, staff, input).await {
                Ok(added) => println!("added LTI consumer {}", added.key),
                Err(ServiceError::Invalid(message)) => exit(2, &message),
                Err(ServiceError::Conflict(_)) => {
                    exit(3, &format!("a consumer with key {shown:?} (or that instance GUID) exists"))
                }
                Err(e) => return Err(e.into()),
            }
        }
        ConsumerCommand::Update { key, use_lti_pii, require_user_account } => {
            if use_lti_pii.is_none() && require_user_account.is_none() {
                exit(2, "give --use-lti-pii true|false, --require-user-account true|false, or both");
            }
            let update = ConsumerUpdate { use_lti_pii, require_user_account };
            let c = match consumers::update(services, staff, &key, update).await {
                Ok(c) => c,
                Err(ServiceError::NotFound) => exit(4, &format!("no consumer with key {key:?}")),
                Err(e) => return Err(e.into()),
            };
            println!(
                "updated LTI consumer {key}: use_lti_pii={}, require_user_account={}",
                c.use_lti_pii, c.require_user_account
            );
        }
        ConsumerCommand::List { json } => {
            let listed: Vec<ConsumerView> = consumers::list(services, staff).await?;
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
        ConsumerCommand::Remove { key } => match consumers::remove(services, staff, &key).await {
            Ok(()) => println!("removed LTI consumer {key}"),
            Err(ServiceError::NotFound) => exit(4, &format!("no consumer with key {key:?}")),
            Err(e) => return Err(e.into()),
        },
    }
    Ok(())
}
