//! `cargo xtask bench`: benchmark figures as ratios against a reference measured in the
//! same run on the same machine, since machines are shared and noisy. So far: photo
//! encryption (`encrypt_and_encode`, criterion) against `openssl speed -evp aes-256-cbc`.

use crate::util::{Result, Step, cargo, output, run, target_dir};
use std::process::Command;

/// Photo sizes the crypto benchmark measures (as its `BenchmarkId`s).
const SIZES: [(usize, &str); 2] = [(1 << 20, "1 MiB"), (5 << 20, "5 MiB")];

/// Runs every benchmark and prints the table.
pub fn cmd_bench() -> Result<()> {
    let step = Step::start("criterion: encrypt_and_encode (cargo bench, release)");
    run(cargo().args(["bench", "-p", "server", "--bench", "crypto", "--", "encrypt_and_encode"]))?;
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
