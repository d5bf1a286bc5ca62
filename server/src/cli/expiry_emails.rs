//! `vouch send-expiry-emails [--json] [--batch-size N] [--sleep-time S] [--dry-run]`: sends
//! the expiring-soon and expired emails (Open edX `send_verification_expiry_email`, with
//! its options), with a progress bar on a terminal (none when stderr is not one, or with
//! `--json`), then a summary: a line of text, or the report as JSON.

use crate::{
    config::Config,
    serve::Extensions,
    service::{
        database,
        expiry_emails::{self, RunOptions},
    },
};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;

/// The command's options.
#[derive(Debug, Clone, Copy)]
pub struct Options {
    /// Print the report as JSON.
    pub json: bool,
    /// Learners per batch.
    pub batch_size: usize,
    /// Seconds between batches.
    pub sleep_time: u64,
    /// Count only; send and record nothing.
    pub dry_run: bool,
}

/// Runs the command; the exit code is 1 when some emails failed (the next run retries them).
pub async fn run(cfg: Config, options: Options, ext: &Extensions) -> anyhow::Result<()> {
    // A dry run sends nothing, so it works without a mail server (to size a first run).
    if !options.dry_run && !cfg.email.enabled() {
        anyhow::bail!(crate::config::missing(
            "email.smtp_host",
            "send-expiry-emails sends email; set it to your SMTP server's host name (and email.from, \
             email.smtp_port as needed), or pass --dry-run to count the emails without sending",
        ));
    }
    let services = super::system_services(cfg, ext).await?;
    let users = expiry_emails::candidates(&services).await?;
    let bar = ProgressBar::new(users.len() as u64);
    if options.json || !std::io::stderr().is_terminal() {
        bar.set_draw_target(ProgressDrawTarget::hidden());
    }
    bar.set_style(
        ProgressStyle::with_template("{spinner} expiry emails [{bar:30}] {pos}/{len} learners ({eta})")
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
    );
    let run = RunOptions {
        batch_size: options.batch_size.max(1),
        sleep: std::time::Duration::from_secs(options.sleep_time),
        dry_run: options.dry_run,
    };
    let report = expiry_emails::send_expiry_emails(&services, &users, run, || bar.inc(1)).await?;
    bar.finish_and_clear();
    if options.json {
        println!("{}", serde_json::to_string(&report)?);
    } else {
        let (head, verb, again) = if report.dry_run {
            ("expiry emails (dry run, nothing sent)", "to send", "to resend")
        } else {
            ("expiry emails", "sent", "resent")
        };
        println!(
            "{head}: {} learners, {} expiring-soon {verb}, {} expired {verb}, {} expired {again}, {} already sent, \
             {} skipped, {} failed",
            report.candidates,
            report.sent_expiring_soon,
            report.sent_expired,
            report.resent_expired,
            report.already_sent,
            report.skipped,
            report.failed
        );
    }
    database::close(&services).await;
    if report.failed > 0 {
        std::process::exit(1);
    }
    Ok(())
}
