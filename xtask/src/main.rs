//! `cargo xtask <command>`: the project's developer commands.
//!
//! - `run`: install what is missing, build the SPA, serve Vouch on http://127.0.0.1:8000
//!   with SQLite in ./data, photos in ./data/photos and dev login on.
//! - `test`: formatting, clippy (native and wasm32), unit and integration tests on SQLite
//!   and PostgreSQL (with `examples/custom-vendor`'s end-to-end test), the check that
//!   `vouch` holds no fake-vendor code, and the browser tests in Debian's Chromium (with
//!   the plugin example's `custom-vouch` serving its own frontend build).
//! - `frontend`: build the learner SPA into ./dist and the staff console into ./dist/staff;
//!   fails when the learner's initial wasm is over its size budget (see `budget`).
//! - `modules`: the import graph of the server's top-level modules, its cycles and the
//!   largest files (`test` fails on any cycle; see `modgraph`).
//! - `prod-binary [--release]`: build `vouch` alone and check that it holds no fake-vendor
//!   code (`test` runs the check on the debug build it makes anyway).
//! - `pg`: start the throwaway PostgreSQL cluster and print its URL.
//! - `bench`: benchmark figures (see BENCHMARKS.md).
//! - `soak`: the long reliability cases (SIGKILLs, outages, 30 s load) on both databases;
//!   `test` runs them too.
//!
//! Every install step checks first, so running a command twice installs nothing twice.

mod bench;
mod bench_frontend;
mod bench_http;
mod budget;
mod deny;
mod modgraph;
mod pg;
mod prod_binary;
mod soak;
mod tools;
mod util;

use std::{path::PathBuf, process::ExitCode};
use util::{Step, cargo, root, run};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("run") => cmd_run(),
        Some("test") => cmd_test(),
        Some("frontend") => build_frontend().map(|_| ()),
        Some("pg") => pg::ensure().map(|url| println!("{url}")),
        Some("bench") => bench::cmd_bench(&args[1..]),
        Some("deny") => deny::check(),
        Some("soak") => soak::cmd_soak(None),
        Some("prod-binary") => prod_binary::cmd(args.get(1).is_some_and(|a| a == "--release")),
        Some("modules") if args.get(1).is_some_and(|a| a == "--check") => modgraph::check(),
        Some("modules") => modgraph::print(),
        _ => {
            eprintln!(
                "usage: cargo xtask <run|test|frontend|pg|deny|soak|prod-binary [--release]|modules [--check]|bench [crypto|status|submit|frontend]... [--quick] [--skip-frontend]>"
            );
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("xtask: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Installs the frontend tools and builds the SPA with Trunk (release profile, wasm-opt).
fn build_frontend() -> util::Result<PathBuf> {
    tools::ensure_frontend_tools()?;
    let step = Step::start("frontend build (trunk --release)");
    let mut trunk = tools::trunk_command();
    trunk.args(["build", "--release"]).current_dir(root());
    run(&mut trunk)?;
    step.done();
    let dist = root().join("dist");
    util::precompress(&dist)?;
    budget::check(&util::report_bundle(&dist)?)?;

    // The staff console is a separate bundle (the learner's has a size budget), built after
    // the learner's because Trunk empties dist/ first; served under /staff from dist/staff.
    let step = Step::start("staff console build (trunk --release, dist/staff)");
    let mut trunk = tools::trunk_command();
    trunk.args(["build", "--release", "--config", "staff/Trunk.toml"]).current_dir(root());
    run(&mut trunk)?;
    step.done();
    let staff = dist.join("staff");
    util::precompress(&staff)?;
    // The staff console has no budget: staff are few and on desktops.
    util::report_bundle(&staff)?;
    Ok(dist)
}

/// The plugin example's frontend (`examples/custom-vendor/frontend`): the stock SPA plus
/// Acme's slot filler, a Trunk project of its own.
pub const EXAMPLE_TRUNK_TOML: &str = "examples/custom-vendor/frontend/Trunk.toml";

/// Builds the plugin example's frontend with Trunk (release, offline) into its own dist
/// folder, which its `custom-vouch` serves in the browser tests. Its wasm differs from the
/// learner bundle's by one filler, so it reuses that build's compiled dependencies; it has
/// no size budget of its own (the stock bundle's is the one learners download).
fn build_example_frontend() -> util::Result<PathBuf> {
    let step = Step::start("plugin example frontend build (trunk --release, examples/custom-vendor/frontend/dist)");
    let mut trunk = tools::trunk_command();
    trunk.args(["build", "--release", "--config", EXAMPLE_TRUNK_TOML]).current_dir(root());
    run(&mut trunk)?;
    step.done();
    let dist = root().join("examples/custom-vendor/frontend/dist");
    util::precompress(&dist)?;
    util::report_bundle(&dist)?;
    Ok(dist)
}

fn cmd_run() -> util::Result<()> {
    let dist = build_frontend()?;
    let step = Step::start("server and fake-vendor build");
    let bins = util::build_binaries(false)?;
    step.done();
    let bin = bins.join("vouch");
    let vendor_bin = bins.join("fake-vendor");

    // Development-only vendor keys, made once under ./data (git-ignored).
    let keys = root().join("data/dev-keys");
    if !keys.join("vendor-public.pem").exists() {
        run(std::process::Command::new(&bin).args(["debug", "gen-keys", "--out"]).arg(&keys))?;
    }
    let public_pem = std::fs::read_to_string(keys.join("vendor-public.pem")).map_err(|e| format!("dev key: {e}"))?;
    let (access, secret) = ("dev-access-key", "development only: vendor hmac key");

    // The fake vendor plays Software Secure on 127.0.0.1:8090 (Vouch's default api_url).
    let mut vendor = std::process::Command::new(&vendor_bin)
        .args(["--bind", "127.0.0.1:8090", "--private-key"])
        .arg(keys.join("vendor-private.pem"))
        .env("FAKE_VENDOR_ACCESS_KEY", access)
        .env("FAKE_VENDOR_SECRET_KEY", secret)
        .stdout(std::process::Stdio::null())
        .spawn()
        .map_err(|e| format!("could not start fake-vendor: {e}"))?;

    println!("Vouch on http://127.0.0.1:8000/id-verification (Ctrl-C stops it)");
    let mut serve = std::process::Command::new(bin);
    serve.arg("serve").current_dir(root());
    for (key, value) in [
        ("VOUCH_AUTH__DEV_LOGIN", "true".to_owned()),
        ("VOUCH_SERVER__STATIC_DIR", dist.display().to_string()),
        ("VOUCH_SOFTWARE_SECURE__API_ACCESS_KEY", access.to_owned()),
        ("VOUCH_SOFTWARE_SECURE__API_SECRET_KEY", secret.to_owned()),
        ("VOUCH_SOFTWARE_SECURE__RSA_PUBLIC_KEY", public_pem),
        ("VOUCH_VAULT__URL_SECRET", "development only: signs local photo URLs".to_owned()),
    ] {
        if std::env::var_os(key).is_none() {
            serve.env(key, value);
        }
    }
    let result = run(&mut serve);
    let _ = vendor.kill();
    let _ = vendor.wait();
    result
}

fn cmd_test() -> util::Result<()> {
    let all = Step::start("cargo xtask test");

    let step = Step::start("cargo fmt --check");
    run(cargo().args(["fmt", "--all", "--", "--check"]))?;
    step.done();

    let step = Step::start("module graph of server/src (no import cycle)");
    modgraph::check()?;
    step.done();

    tools::ensure_frontend_tools()?;
    tools::check_wasm_bindgen_pin()?;

    let step = Step::start("clippy (native)");
    run(cargo().args(["clippy", "--workspace", "--all-targets", "--", "-D", "warnings"]))?;
    step.done();

    let step = Step::start("clippy (wasm32 frontend)");
    let wasm_clippy =
        ["clippy", "-p", "frontend", "-p", "custom-vendor-frontend", "--target", "wasm32-unknown-unknown"];
    run(cargo().args(wasm_clippy).args(["--", "-D", "warnings"]))?;
    run(cargo().args(["clippy", "-p", "staff", "--target", "wasm32-unknown-unknown", "--", "-D", "warnings"]))?;
    step.done();
    tools::check_no_tokio_in_wasm()?;
    deny::check()?;

    let pg_url = match std::env::var("VOUCH_TEST_PG_URL") {
        Ok(url) if !url.is_empty() => url,
        _ => pg::ensure()?,
    };

    tools::ensure_python_test_modules()?;
    let step = Step::start("server, fake-vendor and custom-vouch build (process and browser tests)");
    // `custom-vouch` (the plugin example) in the same run: the browser tests start it too.
    let bins = util::build_binaries_with(false, &["custom-vendor"])?;
    step.done();
    let step = Step::start("the vouch binary holds no fake-vendor code");
    prod_binary::check(&bins.join("vouch"))?;
    step.done();
    // `--workspace` includes `examples/custom-vendor`: its end-to-end test builds the
    // `custom-vouch` binary (Vouch as a library with an added vendor) and runs it.
    let step = Step::start("unit and integration tests (SQLite, PostgreSQL, processes, S3, examples/custom-vendor)");
    run(cargo()
        .args(["test", "--workspace"])
        .env("VOUCH_TEST_PG_URL", &pg_url)
        .env("VOUCH_FAKE_VENDOR_BIN", bins.join("fake-vendor")))?;
    step.done();
    soak::cmd_soak(Some(pg_url))?;

    build_frontend()?;
    let example_dist = build_example_frontend()?;
    tools::ensure_chromium()?;
    let step = Step::start("browser tests (Playwright + Chromium, fake camera)");
    let data = util::fresh_dir("vouch-e2e")?;
    let mut npx = std::process::Command::new("npx");
    npx.args(["--no-install", "playwright", "test"])
        .current_dir(root().join("end2end"))
        .env("VOUCH_BIN", bins.join("vouch"))
        .env("VOUCH_FAKE_VENDOR_BIN", bins.join("fake-vendor"))
        .env("VOUCH_EXAMPLE_BIN", bins.join("custom-vouch"))
        .env("VOUCH_EXAMPLE_DIST", &example_dist)
        .env("VOUCH_E2E_DATA", &data);
    run(&mut npx)?;
    step.done();
    util::report_first_interactive(&root().join("end2end/screenshots/metrics.json"));

    all.done();
    Ok(())
}
