//! The dependency check of the reliability suite: `cargo deny` over Cargo.lock for
//! security advisories, banned or duplicate crates, licenses and sources (`deny.toml`).
//!
//! The advisory database is a git repository on GitHub. Where it cannot be fetched, the
//! advisory check is skipped with a one-line message and the offline checks still run, so
//! the suite passes on machines without GitHub but never silently skips licenses or bans.

use crate::util::{Result, Step, cargo, output, run};
use std::{path::PathBuf, process::Command};

/// The cargo-deny release installed (builds with the workspace's rustc 1.95).
const CARGO_DENY_VERSION: &str = "0.20.2";

fn cargo_deny_bin() -> PathBuf {
    let home = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")))
        .unwrap_or_else(|| PathBuf::from(".cargo"));
    home.join("bin").join("cargo-deny")
}

/// Installs cargo-deny from crates.io unless it is already there.
fn ensure_installed() -> Result<()> {
    if output(Command::new(cargo_deny_bin()).arg("--version")).is_some() {
        return Ok(());
    }
    let s = Step::start("install cargo-deny");
    run(cargo().args(["install", "cargo-deny", "--version", CARGO_DENY_VERSION, "--locked"]))?;
    s.done();
    Ok(())
}

/// Whether cargo-deny's output says the advisory database could not be fetched (as
/// opposed to an advisory that matched).
fn database_unreachable(stderr: &str) -> bool {
    let text = stderr.to_ascii_lowercase();
    ["failed to fetch", "failed to open advisory database", "unable to fetch", "could not resolve", "network"]
        .iter()
        .any(|m| text.contains(m))
}

/// The most telling line of cargo-deny's complaint about the database (git's own reason,
/// e.g. "Could not resolve host", when there is one), for the skip message.
fn reason(stderr: &str) -> String {
    let lines: Vec<&str> = stderr.lines().map(str::trim).collect();
    let pick = |needle: &str| lines.iter().find(|l| l.to_ascii_lowercase().contains(needle)).copied();
    pick("fatal:")
        .or_else(|| pick("resolve"))
        .or_else(|| pick("fetch"))
        .unwrap_or("no details")
        .trim_start_matches("fatal: ")
        .chars()
        .take(160)
        .collect()
}

/// `cargo deny check advisories bans licenses sources`, or without advisories when their
/// database cannot be fetched from here.
pub fn check() -> Result<()> {
    ensure_installed()?;
    let step = Step::start("cargo deny check");
    let out = cargo()
        .args([
            "deny",
            "--log-level",
            "error",
            "check",
            "--hide-inclusion-graph",
            "advisories",
            "bans",
            "licenses",
            "sources",
        ])
        .output()
        .map_err(|e| format!("could not start cargo deny: {e}"))?;
    let stderr = String::from_utf8_lossy(&out.stderr);
    if out.status.success() {
        eprint!("{stderr}");
    } else if database_unreachable(&stderr) {
        eprintln!("advisories skipped: advisory database unreachable ({})", reason(&stderr));
        // Duplicate versions are warnings (deny.toml): shown, one line each, never fatal.
        run(cargo().args(["deny", "check", "--hide-inclusion-graph", "bans", "licenses", "sources"]))?;
    } else {
        eprint!("{stderr}");
        return Err("cargo deny check failed".into());
    }
    step.done();
    Ok(())
}
