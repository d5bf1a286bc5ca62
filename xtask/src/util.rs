//! Running commands, timing steps, paths.

use std::{
    path::{Path, PathBuf},
    process::Command,
    time::Instant,
};

/// Errors are messages for the developer.
pub type Result<T> = std::result::Result<T, String>;

/// The workspace root: from the `CARGO_MANIFEST_DIR` that `cargo run` sets at run time, not
/// the one compiled in. Cargo does not rebuild a workspace member whose checkout moved, so with
/// a shared `CARGO_TARGET_DIR` (CI's cache, git worktrees) a compiled-in path names whichever
/// checkout built xtask last, and `cargo xtask test` would test that one.
pub fn root() -> PathBuf {
    let manifest_dir = std::env::var_os("CARGO_MANIFEST_DIR").map(PathBuf::from);
    let manifest_dir = manifest_dir.unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")));
    manifest_dir.parent().map(Path::to_path_buf).unwrap_or_else(|| PathBuf::from("."))
}

/// Cargo's target folder (honours CARGO_TARGET_DIR).
pub fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR").map(PathBuf::from).unwrap_or_else(|| root().join("target"))
}

/// `cargo` in the workspace root.
pub fn cargo() -> Command {
    let mut c = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
    c.current_dir(root());
    // `cargo run` gave xtask its own CARGO_MANIFEST_DIR, and ring's build script tracks that
    // variable: inherited, it differs between clones (CI's is fresh each run) and from plain
    // `cargo` commands, and each difference rebuilt ring, rustls, sqlx and the server.
    c.env_remove("CARGO_MANIFEST_DIR");
    c
}

/// Builds the programs that `run`, the process tests and the benchmarks start: `vouch` and
/// `fake-vendor` (a package of its own, so that the production binary never contains it).
/// Returns the folder holding both.
pub fn build_binaries(release: bool) -> Result<PathBuf> {
    build_binaries_with(release, &[])
}

/// [`build_binaries`] plus the binaries of the packages `extra`, in the same cargo run.
pub fn build_binaries_with(release: bool, extra: &[&str]) -> Result<PathBuf> {
    let mut build = cargo();
    build.args(["build", "-p", "server", "-p", "fake-vendor"]);
    for package in extra {
        build.args(["-p", package]);
    }
    build.arg("--bins");
    if release {
        build.arg("--release");
    }
    run(&mut build)?;
    Ok(target_dir().join(if release { "release" } else { "debug" }))
}

/// Runs `cmd`, failing unless it exits 0.
pub fn run(cmd: &mut Command) -> Result<()> {
    eprintln!("$ {}", describe(cmd));
    let status = cmd.status().map_err(|e| format!("could not start {}: {e}", describe(cmd)))?;
    if status.success() { Ok(()) } else { Err(format!("{} failed ({status})", describe(cmd))) }
}

/// Runs `cmd` and returns its standard output, or None when it cannot run or fails.
pub fn output(cmd: &mut Command) -> Option<String> {
    let out = cmd.output().ok()?;
    out.status.success().then(|| String::from_utf8_lossy(&out.stdout).into_owned())
}

fn describe(cmd: &Command) -> String {
    let mut s = cmd.get_program().to_string_lossy().into_owned();
    for a in cmd.get_args() {
        s.push(' ');
        s.push_str(&a.to_string_lossy());
    }
    s
}

/// A timed step: prints its name, then its duration when done.
pub struct Step {
    name: &'static str,
    start: Instant,
}

impl Step {
    /// Starts timing `name`.
    pub fn start(name: &'static str) -> Self {
        eprintln!("==> {name}");
        Self { name, start: Instant::now() }
    }

    /// Prints how long it took.
    pub fn done(self) {
        eprintln!("<== {} ({:.1} s)", self.name, self.start.elapsed().as_secs_f64());
    }
}

/// A new empty folder under the system temp dir.
pub fn fresh_dir(prefix: &str) -> Result<PathBuf> {
    let dir = std::env::temp_dir().join(format!("{prefix}-{}-{}", std::process::id(), now_nanos()));
    std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    Ok(dir)
}

fn now_nanos() -> u128 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or_default()
}

/// One built file of a bundle and its sizes.
pub struct BundleFile {
    pub name: String,
    pub raw: u64,
    /// `gzip -9 -n`, as the server sends it precompressed.
    pub gzip: u64,
}

/// Prints the size of the built bundle (raw and gzip), so every build reports it, and
/// returns the sizes of its wasm files. The gzip size is that of the `.gz` twin
/// [`precompress`] wrote (what the server sends); a missing or empty one is an error, never
/// a size of 0 that would pass any budget.
pub fn report_bundle(dist: &Path) -> Result<Vec<BundleFile>> {
    let mut wasm = Vec::new();
    let entries = std::fs::read_dir(dist).map_err(|e| format!("{}: {e}", dist.display()))?;
    for e in entries.flatten() {
        let p = e.path();
        let ext = p.extension().and_then(|e| e.to_str()).unwrap_or_default();
        if !["wasm", "js", "css"].contains(&ext) {
            continue;
        }
        let raw = e.metadata().map(|m| m.len()).unwrap_or_default();
        let gz = gzip_size(&p)?;
        let name = p.file_name().unwrap_or_default().to_string_lossy().into_owned();
        // The quality worker is loaded on demand by the camera steps, not with the first page.
        let when = if crate::budget::is_lazy(&name) { ", lazy" } else { "" };
        eprintln!("    bundle {ext:>4}: {raw:>8} bytes raw, {gz:>8} bytes gzip ({name}{when})");
        if ext == "wasm" {
            wasm.push(BundleFile { name, raw, gzip: gz });
        }
    }
    Ok(wasm)
}

/// The size of `file`'s precompressed twin `file.gz` (written by [`precompress`] with
/// `gzip -9 -n`). Missing or empty is an error: gzip's output is never empty (its header
/// alone is 18 bytes), so 0 means the measure failed, not that the file is small.
pub fn gzip_size(file: &Path) -> Result<u64> {
    let mut gz = file.as_os_str().to_owned();
    gz.push(".gz");
    let gz = PathBuf::from(gz);
    let len =
        std::fs::metadata(&gz).map_err(|e| format!("{}: {e} (was the bundle precompressed?)", gz.display()))?.len();
    if len == 0 {
        return Err(format!("{}: empty, so its gzip size is unknown", gz.display()));
    }
    Ok(len)
}

/// Prints the time to first interactive the browser tests measured (written by
/// `end2end/tests/flow.spec.ts`), beside the bundle sizes.
pub fn report_first_interactive(metrics: &Path) {
    let Ok(text) = std::fs::read_to_string(metrics) else {
        return;
    };
    // Two numbers from a file we write ourselves: no JSON parser needed in xtask.
    let number = |key: &str| {
        let rest = text.split(&format!("\"{key}\":")).nth(1)?;
        rest.trim_start().split(|c: char| !c.is_ascii_digit()).next().map(str::to_owned)
    };
    if let (Some(cold), Some(warm)) = (number("ttiColdMs"), number("ttiWarmMs")) {
        eprintln!("    first interactive (headless Chromium, localhost): cold {cold} ms, warm {warm} ms");
    }
}

/// Writes a `.gz` beside each wasm, JS and CSS file of `dist`: the server's static files
/// serve them to browsers that accept gzip, so learners download the gzip sizes reported.
pub fn precompress(dist: &Path) -> Result<()> {
    let Ok(entries) = std::fs::read_dir(dist) else {
        return Ok(());
    };
    for e in entries.flatten() {
        let p = e.path();
        let ext = p.extension().and_then(|e| e.to_str()).unwrap_or_default();
        if ["wasm", "js", "css"].contains(&ext) {
            run(Command::new("gzip").args(["-9", "-k", "-f", "-n"]).arg(&p))?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::gzip_size;

    #[test]
    fn a_missing_or_empty_gzip_is_an_error_not_zero_bytes() {
        let dir = std::env::temp_dir().join(format!("xtask-gzip-size-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("dir");
        let wasm = dir.join("frontend_bg.wasm");
        std::fs::write(&wasm, b"\0asm").expect("wasm");
        let missing = gzip_size(&wasm).expect_err("no .gz");
        assert!(missing.contains("frontend_bg.wasm.gz"), "{missing}");
        std::fs::write(dir.join("frontend_bg.wasm.gz"), b"").expect("empty gz");
        let empty = gzip_size(&wasm).expect_err("0 bytes");
        assert!(empty.contains("empty"), "{empty}");
        std::fs::write(dir.join("frontend_bg.wasm.gz"), [0x1f, 0x8b, 8, 0]).expect("gz");
        assert_eq!(gzip_size(&wasm), Ok(4));
        let _ = std::fs::remove_dir_all(&dir);
    }
}
