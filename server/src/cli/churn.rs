//! `vouch debug churn`: keeps changing seeded learners' statuses at a steady rate, so
//! `cargo xtask bench status` can measure reads of learners whose status changed in the last
//! second (the status cache's misses) next to the others. A benchmark tool: it writes to the
//! configured database.

use crate::service::{database, synthetic};
use anyhow::Context as _;
use app::domain::UserId;
use std::time::Duration;

/// Arguments of `vouch debug churn`.
#[derive(Debug, Clone, clap::Args)]
pub struct ChurnArgs {
    /// The learners to change, `FIRST..END` (user ids, END excluded), one after the other.
    #[arg(long, value_parser = parse_range)]
    pub users: (i64, i64),
    /// Changes per second.
    #[arg(long, default_value_t = 100)]
    pub per_second: u32,
}

fn parse_range(text: &str) -> Result<(i64, i64), String> {
    let (first, end) = text.split_once("..").ok_or("expected FIRST..END")?;
    let first: i64 = first.trim().parse().map_err(|e| format!("FIRST: {e}"))?;
    let end: i64 = end.trim().parse().map_err(|e| format!("END: {e}"))?;
    if end <= first {
        return Err("END must be greater than FIRST".into());
    }
    Ok((first, end))
}

/// Runs until SIGINT or SIGTERM; prints `churning` once the first change is written.
pub async fn run(database_url: &str, args: &ChurnArgs) -> anyhow::Result<()> {
    let store = database::open(database_url, 2).await?;
    anyhow::ensure!(args.per_second > 0, "--per-second must be at least 1");
    let mut tick = tokio::time::interval(Duration::from_secs(1) / args.per_second);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    let (first, end) = args.users;
    let mut next = first;
    let mut announced = false;
    let stop = crate::serve::shutdown_signal();
    tokio::pin!(stop);
    loop {
        tokio::select! {
            () = &mut stop => return Ok(()),
            _ = tick.tick() => {}
        }
        synthetic::flip_newest(&store, UserId(next)).await.context("changing a status")?;
        if !announced {
            println!("churning");
            announced = true;
        }
        next = if next + 1 >= end { first } else { next + 1 };
    }
}
