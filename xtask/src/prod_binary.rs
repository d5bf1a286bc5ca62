//! The production `vouch` binary holds no fake-vendor code: the fake vendor holds the
//! vendor's private key and plays the vendor (it decides attempts and calls back), which no
//! deployment may be able to do.
//!
//! Two checks, because each alone can be fooled. The server's dependency tree outside its
//! tests (normal and build edges, every target and every feature, so an optional dependency
//! behind a feature counts) has no `fake-vendor` package: that is the rule. The built binary
//! has none of its code (no symbol of the `fake_vendor` crate, no panic location under
//! `fake-vendor/src/`): that is the result. The binary must show the server's own panic
//! locations, so a binary stripped of everything cannot pass by saying nothing.

use crate::util::{Result, Step, cargo, root, run, target_dir};
use std::{path::Path, process::Command};

/// What the fake vendor's code leaves in a binary: its crate name in mangled symbols, and
/// its source paths in panic locations.
const FAKE_VENDOR_MARKERS: [&[u8]; 2] = [b"fake_vendor", b"fake-vendor/src/"];

/// What the server's own code leaves (panic locations), proving the binary can be read.
const SERVER_MARKER: &[u8] = b"server/src/";

/// `cargo xtask prod-binary [--release]`: builds `vouch` on its own, as a deployment does
/// (nothing else selected, so no other package's features are unified in), and checks it.
pub fn cmd(release: bool) -> Result<()> {
    let step = Step::start("vouch build (alone)");
    let mut build = cargo();
    build.args(["build", "-p", "server", "--bin", "vouch"]);
    if release {
        build.arg("--release");
    }
    run(&mut build)?;
    step.done();
    let step = Step::start("the vouch binary holds no fake-vendor code");
    check(&target_dir().join(if release { "release" } else { "debug" }).join("vouch"))?;
    step.done();
    Ok(())
}

/// Checks the dependency tree and the built `vouch` binary at `vouch`.
pub fn check(vouch: &Path) -> Result<()> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let out = Command::new(cargo)
        .current_dir(root())
        .env_remove("CARGO_MANIFEST_DIR")
        .args(["tree", "-p", "server", "--all-features", "-e", "normal,build", "--target", "all", "--prefix", "none"])
        .args(["--format", "{p}"])
        .output()
        .map_err(|e| format!("cargo tree: {e}"))?;
    if !out.status.success() {
        return Err(format!("cargo tree failed: {}", String::from_utf8_lossy(&out.stderr)));
    }
    let binary = std::fs::read(vouch).map_err(|e| format!("{}: {e}", vouch.display()))?;
    verdict(&String::from_utf8_lossy(&out.stdout), &binary)
}

/// The decision: `tree` is `cargo tree --prefix none --format {p}` of the server (one
/// package per line, name first), `binary` the bytes of `vouch`.
fn verdict(tree: &str, binary: &[u8]) -> Result<()> {
    if let Some(line) = tree.lines().find(|l| l.split_whitespace().next() == Some("fake-vendor")) {
        return Err(format!("the server depends on fake-vendor outside its tests: {line}"));
    }
    if !contains(binary, SERVER_MARKER) {
        return Err("the vouch binary shows none of the server's own code (stripped?), so it proves nothing".into());
    }
    if let Some(marker) = FAKE_VENDOR_MARKERS.iter().find(|m| contains(binary, m)) {
        return Err(format!(
            "the vouch binary contains fake-vendor code (found {:?})",
            String::from_utf8_lossy(marker)
        ));
    }
    Ok(())
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::verdict;

    const TREE: &str = "server v0.1.0 (/w/server)\napp v0.1.0 (/w/app)\nssencrypt v0.1.0 (/w/ssencrypt)\n";
    const CLEAN: &[u8] = b"\x7fELF..._ZN6server5serve3run17h0123E...server/src/serve.rs\0...";

    #[test]
    fn a_clean_tree_and_binary_pass() {
        assert_eq!(verdict(TREE, CLEAN), Ok(()));
    }

    #[test]
    fn a_normal_dependency_on_fake_vendor_fails() {
        let tree = format!("{TREE}fake-vendor v0.1.0 (/w/fake-vendor)\n");
        let e = verdict(&tree, CLEAN).expect_err("refused");
        assert!(e.contains("depends on fake-vendor"), "{e}");
        // A package whose name merely contains it is another package.
        assert_eq!(verdict(&format!("{TREE}not-fake-vendor v1.0.0\n"), CLEAN), Ok(()));
    }

    #[test]
    fn fake_vendor_symbols_or_source_paths_in_the_binary_fail() {
        let symbol = [CLEAN, b"_ZN11fake_vendor7process3run17habcdE".as_slice()].concat();
        assert!(verdict(TREE, &symbol).expect_err("symbol").contains("fake_vendor"));
        let location = [CLEAN, b"fake-vendor/src/intake.rs".as_slice()].concat();
        assert!(verdict(TREE, &location).expect_err("path").contains("fake-vendor/src/"));
        // The binary's name in a string (a log line, a help text) is not its code.
        assert_eq!(verdict(TREE, &[CLEAN, b"start fake-vendor first".as_slice()].concat()), Ok(()));
    }

    #[test]
    fn a_binary_without_the_servers_own_traces_proves_nothing() {
        let e = verdict(TREE, b"\x7fELF stripped").expect_err("refused");
        assert!(e.contains("proves nothing"), "{e}");
    }
}
