//! `cargo xtask bench [crypto|status|submit|frontend]... [--quick] [--skip-frontend]`:
//! benchmark figures as ratios against a reference measured in the same run on the same
//! machine, since machines are shared and noisy. With no part named, all of them:
//! - `crypto`: photo encryption (`encrypt_and_encode`, criterion) against `openssl speed
//!   -evp aes-256-cbc`;
//! - `status`, `submit`: Vouch over HTTP against the bare HTTP stack ([`crate::bench_http`]);
//! - `frontend`: the learner bundle and first interactive ([`crate::bench_frontend`]).

use crate::util::{Result, Step, cargo, output, run, target_dir};
use std::process::Command;

/// Photo sizes the crypto benchmark measures (as its `BenchmarkId`s).
const SIZES: [(usize, &str); 2] = [(1 << 20, "1 MiB"), (5 << 20, "5 MiB")];

/// Runs the benchmarks `args` name (all without one) and prints their tables.
pub fn cmd_bench(args: &[String]) -> Result<()> {
    let mut parts = Vec::new();
    let (mut quick, mut skip_frontend) = (false, false);
    for a in args {
        match a.as_str() {
            "crypto" | "status" | "submit" | "frontend" => parts.push(a.as_str()),
            "--quick" => quick = true,
            "--skip-frontend" => skip_frontend = true,
            other => {
                return Err(format!(
                    "unknown bench argument {other:?}: use [crypto|status|submit|frontend]... [--quick] [--skip-frontend]"
                ));
            }
        }
    }
    let all = parts.is_empty();
    let wants = |p: &str| all || parts.contains(&p);
    if wants("crypto") {
        crypto()?;
    }
    if wants("status") || wants("submit") {
        crate::bench_http::run_plan(crate::bench_http::Plan {
            status: wants("status"),
            submit: wants("submit"),
            quick,
        })?;
    }
    if wants("frontend") {
        crate::bench_frontend::run_frontend(skip_frontend)?;
    }
    Ok(())
}

/// Photo encryption against OpenSSL.
fn crypto() -> Result<()> {
    let step = Step::start("criterion: encrypt_and_encode (cargo bench, release)");
    run(cargo().args(["bench", "-p", "ssencrypt", "--bench", "crypto", "--", "encrypt_and_encode"]))?;
    step.done();
    let step =
        Step::start("reference: openssl speed -elapsed -evp aes-256-cbc (16 KiB blocks, wall clock like criterion)");
    let openssl = openssl_aes_bytes_per_sec()?;
    step.done();
    println!();
    println!("| measure | Vouch | reference (OpenSSL, same run) | ratio (target ≥ 0.8) |");
    println!("| --- | --- | --- | --- |");
    for (size, label) in SIZES {
        let ns = criterion_mean_ns("encrypt_and_encode", &size.to_string())?;
        let vouch = size as f64 / (ns / 1e9);
        println!(
            "| encrypt + encode {label} | {:.0} MB/s | {:.0} MB/s | {:.2}× |",
            vouch / 1e6,
            openssl / 1e6,
            vouch / openssl
        );
    }
    Ok(())
}

/// The mean time of one criterion benchmark, in nanoseconds, from its saved estimates.
fn criterion_mean_ns(group: &str, id: &str) -> Result<f64> {
    let path = target_dir().join("criterion").join(group).join(id).join("new/estimates.json");
    let text = std::fs::read_to_string(&path).map_err(|e| format!("reading {}: {e}", path.display()))?;
    // A std-only reader of `"mean": {…, "point_estimate": X, …}`.
    let mean = text.find("\"mean\"").ok_or("no mean in the estimates")?;
    let rest = &text[mean..];
    let at = rest.find("\"point_estimate\":").ok_or("no point estimate")? + "\"point_estimate\":".len();
    let number: String = rest[at..]
        .trim_start()
        .chars()
        .take_while(|c| c.is_ascii_digit() || matches!(c, '.' | 'e' | 'E' | '-' | '+'))
        .collect();
    number.parse().map_err(|e| format!("bad estimate {number:?}: {e}"))
}

/// OpenSSL's AES-256-CBC encryption speed on 16 KiB blocks, bytes per second.
fn openssl_aes_bytes_per_sec() -> Result<f64> {
    let out = output(Command::new("openssl").args([
        "speed",
        "-elapsed",
        "-evp",
        "aes-256-cbc",
        "-bytes",
        "16384",
        "-seconds",
        "3",
    ]))
    .ok_or("openssl speed failed (is openssl installed?)")?;
    // The result line: `AES-256-CBC   123456.78k` (thousands of bytes per second).
    let line = out.lines().rev().find(|l| l.to_ascii_lowercase().starts_with("aes-256-cbc")).ok_or("no result line")?;
    let value = line.split_whitespace().last().ok_or("empty result line")?;
    let k: f64 = value.trim_end_matches('k').parse().map_err(|e| format!("bad openssl figure {value:?}: {e}"))?;
    Ok(k * 1000.0)
}
