//! `cargo xtask <command>`: the project's developer commands.
//!
//! - `run`: install what is missing, build the SPA, serve Vouch on http://127.0.0.1:8000
//!   with SQLite in ./data, photos in ./data/photos and dev login on.
//! - `test`: formatting, clippy (native and wasm32), unit and integration tests on SQLite
//!   and PostgreSQL, and the browser tests in Debian's Chromium.
//! - `frontend`: build the SPA into ./dist.
//! - `pg`: start the throwaway PostgreSQL cluster and print its URL.
//!
//! Every install step checks first, so running a command twice installs nothing twice.

mod pg;
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
        _ => {
            eprintln!("usage: cargo xtask <run|test|frontend|pg>");
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
    util::report_bundle(&dist);
    Ok(dist)
}

fn cmd_run() -> util::Result<()> {
    let dist = build_frontend()?;
    let step = Step::start("server build");
    run(cargo().args(["build", "-p", "server", "--bin", "vouch"]))?;
    step.done();
    let bin = util::target_dir().join("debug/vouch");
    println!("Vouch on http://127.0.0.1:8000/id-verification (Ctrl-C stops it)");
    let mut serve = std::process::Command::new(bin);
    serve.arg("serve").current_dir(root());
    for (key, value) in
        [("VOUCH_AUTH__DEV_LOGIN", "true".to_owned()), ("VOUCH_SERVER__STATIC_DIR", dist.display().to_string())]
    {
        if std::env::var_os(key).is_none() {
            serve.env(key, value);
        }
    }
    run(&mut serve)
}

fn cmd_test() -> util::Result<()> {
    let all = Step::start("cargo xtask test");

    let step = Step::start("cargo fmt --check");
    run(cargo().args(["fmt", "--all", "--", "--check"]))?;
    step.done();

    tools::ensure_frontend_tools()?;
    tools::check_wasm_bindgen_pin()?;

    let step = Step::start("clippy (native)");
    run(cargo().args(["clippy", "--workspace", "--all-targets", "--", "-D", "warnings"]))?;
    step.done();

    let step = Step::start("clippy (wasm32 frontend)");
    run(cargo().args(["clippy", "-p", "frontend", "--target", "wasm32-unknown-unknown", "--", "-D", "warnings"]))?;
    step.done();
    tools::check_no_tokio_in_wasm()?;

    let pg_url = match std::env::var("VOUCH_TEST_PG_URL") {
        Ok(url) if !url.is_empty() => url,
        _ => pg::ensure()?,
    };

    let step = Step::start("unit and integration tests (SQLite and PostgreSQL)");
    run(cargo().args(["test", "--workspace"]).env("VOUCH_TEST_PG_URL", &pg_url))?;
    step.done();

    build_frontend()?;
    let step = Step::start("server build for browser tests");
    run(cargo().args(["build", "-p", "server", "--bin", "vouch"]))?;
    step.done();
    tools::ensure_chromium()?;
    let step = Step::start("browser tests (Playwright + Chromium, fake camera)");
    let data = util::fresh_dir("vouch-e2e")?;
    let mut npx = std::process::Command::new("npx");
    npx.args(["--no-install", "playwright", "test"])
        .current_dir(root().join("end2end"))
        .env("VOUCH_BIN", util::target_dir().join("debug/vouch"))
        .env("VOUCH_E2E_DATA", &data);
    run(&mut npx)?;
    step.done();

    all.done();
    Ok(())
}
