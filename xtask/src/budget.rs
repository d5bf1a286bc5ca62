//! The learner bundle's size budget: the wasm the first page downloads must stay at or
//! under 150,000 bytes `gzip -9` (issue 19). Files the camera steps load on demand (the
//! quality worker) are reported apart and have no budget.

use crate::util::{BundleFile, Result};

/// The most the learner's initial wasm may weigh, gzip -9, in bytes.
pub const LEARNER_WASM_GZIP: u64 = 150_000;

/// Whether `name` (a file of `dist/`) is loaded lazily, after the first page.
pub fn is_lazy(name: &str) -> bool {
    name.starts_with("quality-worker")
}

/// Fails the build when the learner's initial wasm is over [`LEARNER_WASM_GZIP`].
pub fn check(wasm: &[BundleFile]) -> Result<()> {
    let initial = verdict(wasm)?;
    eprintln!("    learner initial wasm: {initial} bytes gzip, within the {LEARNER_WASM_GZIP} B budget");
    for f in wasm.iter().filter(|f| is_lazy(&f.name)) {
        eprintln!("    lazy (no budget): {} bytes gzip, {} bytes raw ({})", f.gzip, f.raw, f.name);
    }
    Ok(())
}

/// The gzip size of the initial wasm (all wasm files not loaded lazily), or why the
/// bundle is refused: over budget, or no initial wasm at all (a broken build).
fn verdict(wasm: &[BundleFile]) -> Result<u64> {
    let initial: u64 = wasm.iter().filter(|f| !is_lazy(&f.name)).map(|f| f.gzip).sum();
    if !wasm.iter().any(|f| !is_lazy(&f.name)) {
        return Err("no learner wasm in dist/: the frontend build produced nothing to measure".into());
    }
    // gzip never writes 0 bytes: a 0 is a failed measure, and would pass any budget.
    if let Some(f) = wasm.iter().find(|f| f.gzip == 0) {
        return Err(format!("{}: measured 0 bytes gzip, so its size is unknown", f.name));
    }
    if initial > LEARNER_WASM_GZIP {
        return Err(format!(
            "the learner's initial wasm is {initial} bytes gzip, {} over its budget of {LEARNER_WASM_GZIP}: \
             make the new code smaller or load it lazily (like quality-worker; see README.md)",
            initial - LEARNER_WASM_GZIP
        ));
    }
    Ok(initial)
}

#[cfg(test)]
mod tests {
    use super::{LEARNER_WASM_GZIP, verdict};
    use crate::util::BundleFile;

    fn file(name: &str, gzip: u64) -> BundleFile {
        BundleFile { name: name.into(), raw: gzip * 2, gzip }
    }

    #[test]
    fn the_initial_wasm_must_fit_the_budget_and_the_worker_is_not_counted() {
        let worker = file("quality-worker_bg.wasm", 1_200_000);
        assert_eq!(verdict(&[file("frontend-1_bg.wasm", 146_000), worker]), Ok(146_000));
        let at = [file("frontend-1_bg.wasm", LEARNER_WASM_GZIP)];
        assert_eq!(verdict(&at), Ok(LEARNER_WASM_GZIP));
        let over = verdict(&[file("frontend-1_bg.wasm", LEARNER_WASM_GZIP + 1)]).expect_err("over budget");
        assert!(over.contains("150001 bytes gzip, 1 over"), "{over}");
        // Every eager wasm counts: a second one cannot hide beside the first.
        let split = [file("frontend-1_bg.wasm", 100_000), file("extra_bg.wasm", 60_000)];
        assert!(verdict(&split).is_err());
        // Only a worker, or nothing: the build is broken, not small.
        assert!(verdict(&[file("quality-worker_bg.wasm", 1)]).is_err());
        assert!(verdict(&[]).is_err());
        // A failed measure (0 bytes) is refused, not read as tiny.
        let zero = verdict(&[file("frontend-1_bg.wasm", 0)]).expect_err("0 bytes");
        assert!(zero.contains("0 bytes gzip"), "{zero}");
        assert!(verdict(&[file("frontend-1_bg.wasm", 100_000), file("quality-worker_bg.wasm", 0)]).is_err());
    }
}
