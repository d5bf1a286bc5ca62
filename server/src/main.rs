//! `vouch`: the server binary and its management commands.

use clap::Parser;
use server::cli::{Cli, run};
use tracing_subscriber::{EnvFilter, fmt};

/// mimalloc rather than glibc's allocator: a request allocates and frees dozens of small
/// blocks on whichever worker thread polls it, and glibc's malloc and free were 16 % of a
/// cached status read's CPU (perf).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    let filter = EnvFilter::try_from_env("VOUCH_LOG").unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn"));
    // Logs go to stderr, so a command's output on stdout (`--json` summaries) stays clean.
    if cli.json_logs {
        fmt().json().with_env_filter(filter).with_writer(std::io::stderr).init();
    } else {
        // Colours only on a terminal: a log file or journald gets plain text (and colouring
        // every span's fields was 3 % of a status read's CPU).
        let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr())
            && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
        fmt().with_env_filter(filter).with_ansi(ansi).with_writer(std::io::stderr).init();
    }
    match run(cli).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("vouch: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
