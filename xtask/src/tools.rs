//! Installing the tools the build needs, each only when missing.

use crate::util::{Result, Step, cargo, output, root, run};
use std::{path::PathBuf, process::Command};

/// Trunk's version: 0.22 needs a newer rustc than this toolchain.
const TRUNK_VERSION: &str = "0.21.14";

/// The wasm-bindgen version Cargo.lock resolves (the CLI must match it exactly).
pub fn locked_wasm_bindgen() -> Result<String> {
    let lock = std::fs::read_to_string(root().join("Cargo.lock")).map_err(|e| format!("Cargo.lock: {e}"))?;
    let mut lines = lock.lines();
    while let Some(line) = lines.next() {
        if line == "name = \"wasm-bindgen\""
            && let Some(v) = lines.next().and_then(|l| l.strip_prefix("version = \""))
        {
            return Ok(v.trim_end_matches('"').to_owned());
        }
    }
    Err("wasm-bindgen is not in Cargo.lock".into())
}

fn cargo_bin(name: &str) -> PathBuf {
    let home = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")))
        .unwrap_or_else(|| PathBuf::from(".cargo"));
    home.join("bin").join(name)
}

fn version_of(bin: &PathBuf) -> Option<String> {
    output(Command::new(bin).arg("--version"))
}

/// The wasm32 target, Trunk, wasm-bindgen-cli and the npm tools (binaryen, Playwright).
pub fn ensure_frontend_tools() -> Result<()> {
    let installed = output(Command::new("rustup").args(["target", "list", "--installed"])).unwrap_or_default();
    if !installed.lines().any(|l| l.trim() == "wasm32-unknown-unknown") {
        let s = Step::start("install wasm32 target");
        run(Command::new("rustup").args(["target", "add", "wasm32-unknown-unknown"]))?;
        s.done();
    }
    if version_of(&cargo_bin("trunk")).is_none_or(|v| !v.contains(TRUNK_VERSION)) {
        let s = Step::start("install trunk");
        run(cargo().args(["install", "trunk", "--version", TRUNK_VERSION, "--locked"]))?;
        s.done();
    }
    let wb = locked_wasm_bindgen()?;
    let installed_wb = version_of(&cargo_bin("wasm-bindgen"));
    if installed_wb.is_none_or(|v| v.split_whitespace().nth(1) != Some(wb.as_str())) {
        let s = Step::start("install wasm-bindgen-cli");
        // With --locked the install can fail on a dependency version missing from the
        // registry; the same version without --locked builds.
        if run(cargo().args(["install", "wasm-bindgen-cli", "--version", &wb, "--locked", "--force"])).is_err() {
            run(cargo().args(["install", "wasm-bindgen-cli", "--version", &wb, "--force"]))?;
        }
        s.done();
    }
    ensure_npm()
}

/// `npm ci` in end2end/ when its node_modules are missing or older than the lock file.
fn ensure_npm() -> Result<()> {
    let dir = root().join("end2end");
    let marker = dir.join("node_modules/.package-lock.json");
    let lock = dir.join("package-lock.json");
    let fresh = match (
        std::fs::metadata(&marker).and_then(|m| m.modified()),
        std::fs::metadata(&lock).and_then(|m| m.modified()),
    ) {
        (Ok(m), Ok(l)) => m >= l,
        _ => false,
    };
    if !fresh {
        let s = Step::start("npm ci (end2end: playwright, binaryen)");
        run(Command::new("npm").args(["ci", "--no-audit", "--no-fund"]).current_dir(&dir))?;
        s.done();
    }
    Ok(())
}

/// Trunk with the environment it needs: offline, binaryen's wasm-opt first on PATH.
pub fn trunk_command() -> Command {
    let mut c = Command::new(cargo_bin("trunk"));
    let npm_bin = root().join("end2end/node_modules/.bin");
    let path = std::env::var_os("PATH").unwrap_or_default();
    let mut paths = vec![npm_bin, cargo_bin("")];
    paths.extend(std::env::split_paths(&path));
    if let Ok(joined) = std::env::join_paths(paths) {
        c.env("PATH", joined);
    }
    c.env("TRUNK_SKIP_VERSION_CHECK", "true");
    c
}

/// Trunk.toml must pin the same wasm-bindgen as Cargo.lock (else: schema mismatch at build).
pub fn check_wasm_bindgen_pin() -> Result<()> {
    let wb = locked_wasm_bindgen()?;
    // The learner SPA's, the staff console's and the plugin example's Trunk.toml.
    for file in ["Trunk.toml", "staff/Trunk.toml", crate::EXAMPLE_TRUNK_TOML] {
        let trunk = std::fs::read_to_string(root().join(file)).map_err(|e| format!("{file}: {e}"))?;
        if !trunk.contains(&format!("wasm_bindgen = \"{wb}\"")) {
            return Err(format!("{file} [tools] wasm_bindgen must be \"{wb}\", the version in Cargo.lock"));
        }
    }
    Ok(())
}

/// Server-only crates must never reach the wasm build (tokio would mean they did): neither
/// the learner SPA's nor the plugin example's, whose filler crate `custom-vouch` also links.
pub fn check_no_tokio_in_wasm() -> Result<()> {
    for package in ["frontend", "custom-vendor-frontend"] {
        let out = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()))
            .current_dir(root())
            .args(["tree", "-p", package, "--target", "wasm32-unknown-unknown", "-e", "features", "-i", "tokio"])
            .output()
            .map_err(|e| e.to_string())?;
        let stdout = String::from_utf8_lossy(&out.stdout);
        if out.status.success() && !stdout.trim().is_empty() {
            return Err(format!("tokio is in the wasm dependency tree of {package}:\n{stdout}"));
        }
    }
    Ok(())
}

/// Debian's Chromium for the browser tests (never a downloaded browser).
pub fn ensure_chromium() -> Result<()> {
    if std::path::Path::new("/usr/bin/chromium").exists() {
        return Ok(());
    }
    let s = Step::start("install chromium (apt)");
    apt_install(&["chromium"])?;
    s.done();
    Ok(())
}

/// `apt-get install -y` (after an update), as root or through sudo.
pub fn apt_install(packages: &[&str]) -> Result<()> {
    let sudo: &[&str] = if is_root() { &[] } else { &["sudo"] };
    let mut update = Command::new(sudo.first().copied().unwrap_or("apt-get"));
    if sudo.is_empty() {
        update.args(["update", "-qq"])
    } else {
        update.args(["apt-get", "update", "-qq"])
    };
    run(&mut update)?;
    let mut install = Command::new(sudo.first().copied().unwrap_or("apt-get"));
    if !sudo.is_empty() {
        install.arg("apt-get");
    }
    install.args(["install", "-y", "-qq"]).args(packages).env("DEBIAN_FRONTEND", "noninteractive");
    run(&mut install)
}

/// Whether we run as root.
pub fn is_root() -> bool {
    output(Command::new("id").arg("-u")).is_some_and(|u| u.trim() == "0")
}

/// Python modules the tests start or call, as (import name, pip requirement). One line per
/// tool: the S3 vault test starts moto's server; add new test-side Python tools here.
const PYTHON_TEST_MODULES: &[(&str, &str)] = &[
    ("moto.server", "moto[server]"),
    ("openapi_spec_validator", "openapi-spec-validator"),
    ("aiosmtpd", "aiosmtpd"),
    ("oauthlib", "oauthlib"),
    // The photo-quality measurement (quality/tests/measure.rs) and the browser tests' fake
    // camera feeds read scikit-image's sample pictures (PIL writes the feeds).
    ("skimage", "scikit-image"),
    ("PIL", "pillow"),
];

/// Installs each missing Python test module from PyPI.
pub fn ensure_python_test_modules() -> Result<()> {
    for (module, requirement) in PYTHON_TEST_MODULES {
        let have = Command::new("python3")
            .args(["-c", &format!("import {module}")])
            .output()
            .is_ok_and(|o| o.status.success());
        if !have {
            let s = Step::start("install a Python test tool (pip)");
            run(Command::new("python3").args(["-m", "pip", "install", "-q", requirement]))?;
            s.done();
        }
    }
    Ok(())
}
