//! `fake-vendor`: plays Software Secure on this machine for development and end-to-end
//! tests. All behaviour lives in the library ([`fake_vendor`]); this is flags, logs and signals.

use std::io::Write as _;

use clap::Parser;
use fake_vendor::{cli::Args, hosted, serve};
use tracing_subscriber::{EnvFilter, fmt};

#[tokio::main]
async fn main() -> std::process::ExitCode {
    // `fake-vendor hosted …` plays a hosted-flow vendor; without it, Software Secure.
    if std::env::args().nth(1).as_deref() == Some("hosted") {
        let args = hosted::cli::Args::parse_from(std::env::args().skip(1));
        init_logs();
        return exit(run_hosted(args).await);
    }
    let args = Args::parse();
    init_logs();
    exit(run(args).await)
}

async fn run(args: Args) -> anyhow::Result<()> {
    let (addr, server) = serve(args.into_config()?, stop_requested()).await?;
    {
        let mut stdout = std::io::stdout().lock();
        writeln!(stdout, "fake-vendor listening on http://{addr}")?;
        // A parent reading through a pipe would otherwise wait for a block-buffer flush.
        stdout.flush()?;
    }
    server.await?;
    Ok(())
}

/// Logs go to stderr: stdout carries only the "listening" line that tests read.
fn init_logs() {
    let filter = EnvFilter::try_from_env("FAKE_VENDOR_LOG").unwrap_or_else(|_| EnvFilter::new("info"));
    fmt().with_env_filter(filter).with_writer(std::io::stderr).init();
}

fn exit(result: anyhow::Result<()>) -> std::process::ExitCode {
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("fake-vendor: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn run_hosted(args: hosted::cli::Args) -> anyhow::Result<()> {
    let (addr, server) = hosted::serve(args.into_config(), stop_requested()).await?;
    {
        let mut stdout = std::io::stdout().lock();
        writeln!(stdout, "fake-vendor hosted listening on http://{addr}")?;
        stdout.flush()?;
    }
    server.await?;
    Ok(())
}

/// Completes on Ctrl-C (SIGINT) or SIGTERM, so that open requests finish before the process
/// exits (pending callbacks are abandoned, as a vendor that restarts would). The same rule
/// as `vouch serve`'s, which this crate cannot depend on.
async fn stop_requested() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            // No handler could be installed: the default action still ends the process.
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { () = ctrl_c => {}, () = term => {} }
    tracing::info!("fake-vendor stopping");
}
