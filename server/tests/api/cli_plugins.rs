//! The management commands run with the build's plugins (`server::App::builder()`), as
//! `serve` and `worker` do (issue 17 §5): a command started through the command-line entry
//! (`server::cli::run_with`, what `App::run_cli` calls) sees the filter steps the builder
//! registered, not only Vouch's built-in ones.

use crate::{on_both_backends, support::TestDb};
use clap::Parser;
use server::{
    cli::Cli,
    service::{
        Services, accounts,
        filters::{AttemptsRequested, FilterStep, StepOutcome},
        manual_verifications,
    },
};
use std::sync::{
    Arc,
    atomic::{AtomicUsize, Ordering},
};

/// Counts its runs and changes nothing.
struct CountRuns(Arc<AtomicUsize>);

#[async_trait::async_trait]
impl FilterStep<AttemptsRequested> for CountRuns {
    async fn run(&self, _: &Services, data: AttemptsRequested) -> StepOutcome<AttemptsRequested> {
        self.0.fetch_add(1, Ordering::SeqCst);
        StepOutcome::Continue(data)
    }
}

async fn run(file: &std::path::Path, args: &[&str], ext: &server::serve::Extensions) {
    let config = file.to_str().expect("a UTF-8 path");
    let cli = Cli::try_parse_from(["vouch", "--config", config].iter().chain(args)).expect("parses");
    server::cli::run_with(cli, ext).await.unwrap_or_else(|e| panic!("{args:?}: {e:#}"));
}

async fn commands_run_with_the_builders_plugins(db: &TestDb) {
    // A learner whose approval expires within the expiring-soon window, so the expiry
    // emails read their status through the verification service (and its filter steps).
    let mut cfg = db.config();
    cfg.verification.days_good_for = 5;
    let services = server::serve::services(cfg, Arc::new(server::clock::SystemClock)).await.expect("services start");
    let learner =
        accounts::ensure_with_name(&services, "soon", "soon@example.com", "Soon Expiring").await.expect("learner");
    manual_verifications::create_manual_verification(&services, learner.id, "Soon Expiring", "test set-up", None)
        .await
        .expect("manual verification");

    let dir = tempfile::tempdir().expect("dir");
    let file = dir.path().join("vouch.toml");
    let toml = format!(
        "[database]\nurl = {url:?}\n[vault]\nlocal_dir = {photos:?}\nurl_secret = \"test url secret 0123456789abcdef\"\n\
         [verification]\ndays_good_for = 5\n[filters]\nattempts_requested = [\"count_runs\"]\n",
        url = db.url,
        photos = db.dir.path().join("photos").to_str().expect("a UTF-8 path"),
    );
    std::fs::write(&file, toml).expect("write the configuration");
    let runs = Arc::new(AtomicUsize::new(0));
    let app = server::App::builder()
        .attempts_filter("count_runs", Arc::new(CountRuns(runs.clone())))
        .build()
        .expect("a valid build");
    let expiry = ["send-expiry-emails", "--dry-run", "--json", "--sleep-time", "0"];

    // Stock Vouch does not know the step: the configuration names it, and it is skipped.
    run(&file, &expiry, &server::serve::Extensions::stock()).await;
    assert_eq!(runs.load(Ordering::SeqCst), 0);
    // The build's command line runs it.
    run(&file, &expiry, app.extensions()).await;
    assert!(runs.load(Ordering::SeqCst) > 0, "send-expiry-emails ran without the build's filter step");

    // The other commands that build services take the build's too, and still do their work.
    for args in [
        &["purge-photos", "--dry-run", "--json"][..],
        &["gc-photos", "--dry-run", "--json"],
        &["retry-config", "show", "--json"],
        &["review", "stats", "--json"],
    ] {
        run(&file, args, app.extensions()).await;
    }
}
on_both_backends!(cli_commands_with_plugins, commands_run_with_the_builders_plugins);
