//! `vouch send-expiry-emails [--json]`: sends the expiring-soon and expired emails once per
//! attempt, with a progress bar on a terminal (none when stderr is not one, or with
//! `--json`), then a summary: a line of text, or the report as JSON.

use crate::{clock::SystemClock, config::Config, service::expiry_emails};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::{io::IsTerminal, sync::Arc};

/// Runs the command; the exit code is 1 when some emails failed (the next run retries them).
pub async fn run(cfg: Config, json: bool) -> anyhow::Result<()> {
    if !cfg.email.enabled() {
        anyhow::bail!(crate::config::missing(
            "email.smtp_host",
            "send-expiry-emails sends email; set it to your SMTP server's host name (and email.from_address, \
             email.smtp_port as needed)",
        ));
    }
    let services = crate::serve::services(cfg, Arc::new(SystemClock)).await?;
    let users = expiry_emails::candidates(&services).await?;
    let bar = ProgressBar::new(users.len() as u64);
    if json || !std::io::stderr().is_terminal() {
        bar.set_draw_target(ProgressDrawTarget::hidden());
    }
    bar.set_style(
        ProgressStyle::with_template("{spinner} expiry emails [{bar:30}] {pos}/{len} learners ({eta})")
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
    );
    let report = expiry_emails::send_expiry_emails(&services, &users, || bar.inc(1)).await?;
    bar.finish_and_clear();
    if json {
        println!("{}", serde_json::to_string(&report)?);
    } else {
        println!(
            "expiry emails: {} learners, {} expiring-soon sent, {} expired sent, {} already sent, {} skipped, {} failed",
            report.candidates,
            report.sent_expiring_soon,
            report.sent_expired,
            report.already_sent,
            report.skipped,
            report.failed
        );
    }
    services.store.close().await;
    if report.failed > 0 {
        std::process::exit(1);
    }
    Ok(())
}
