//! `cargo xtask bench frontend`: the learner bundle's wasm size (raw and gzip -9, as the
//! server sends it precompressed) and the time to first interactive the browser tests
//! measured in headless Chromium (`end2end/screenshots/metrics.json`).

use crate::{
    bench_http::{dist, has_wasm, json_number},
    util::{Result, gzip_size, root},
};

/// Prints the frontend table; builds the bundle first when `dist/` has none, unless `skip_build`.
pub fn run_frontend(skip_build: bool) -> Result<()> {
    let dist = dist();
    if !has_wasm(&dist) {
        if skip_build {
            println!("\nFrontend: no bundle in {} (--skip-frontend); run cargo xtask frontend", dist.display());
            return Ok(());
        }
        crate::build_frontend()?;
    }
    println!();
    println!("Frontend: learner bundle (dist/) and first interactive in headless Chromium");
    println!();
    println!("| measure | value |");
    println!("| --- | --- |");
    let entries = std::fs::read_dir(&dist).map_err(|e| format!("{}: {e}", dist.display()))?;
    for e in entries.flatten() {
        let p = e.path();
        if p.extension().is_none_or(|x| x != "wasm") {
            continue;
        }
        let raw = e.metadata().map(|m| m.len()).unwrap_or_default();
        // The `.gz` the build wrote: `gzip | wc -c` read a failed gzip as 0 bytes.
        let gz = gzip_size(&p)?;
        let name = p.file_name().unwrap_or_default().to_string_lossy().into_owned();
        // The quality worker (live photo checks, face detector) is loaded only by the camera
        // steps: it is reported apart from the initial bundle, which has the budget.
        if crate::budget::is_lazy(&name) {
            println!("| lazy quality worker wasm, raw ({name}) | {raw} B ({:.0} KiB) |", raw as f64 / 1024.0);
            println!("| lazy quality worker wasm, gzip -9 | {gz} B ({:.0} KiB) |", gz as f64 / 1024.0);
            continue;
        }
        println!("| learner wasm, raw ({name}) | {raw} B ({:.0} KiB) |", raw as f64 / 1024.0);
        println!("| learner wasm, gzip -9 | {gz} B ({:.0} KiB) |", gz as f64 / 1024.0);
    }
    let metrics = root().join("end2end/screenshots/metrics.json");
    match std::fs::read_to_string(&metrics) {
        Ok(text) => {
            for (key, label) in [("ttiColdMs", "cold cache"), ("ttiWarmMs", "warm cache")] {
                if let Some(ms) = json_number(&text, key) {
                    println!("| time to first interactive, {label} (headless Chromium, localhost) | {ms:.0} ms |");
                }
            }
        }
        Err(_) => println!(
            "| time to first interactive | not measured: run cargo xtask test first (browser tests write {}) |",
            metrics.display()
        ),
    }
    Ok(())
}
