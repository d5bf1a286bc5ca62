//! A throwaway PostgreSQL cluster for the tests: no systemd, trust auth on loopback,
//! fsync off. Idempotent: an existing running cluster is reused.

use crate::{
    tools::{apt_install, is_root},
    util::{Result, Step, output, run},
};
use std::{
    path::{Path, PathBuf},
    process::Command,
};

const PORT: &str = "5433";

fn pg_bin_dir() -> Option<PathBuf> {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path().join("bin"))
        .filter(|p| p.join("initdb").exists())
        .collect();
    dirs.sort();
    dirs.pop()
}

/// Runs a PostgreSQL tool as the `postgres` user when we are root (the server refuses root).
fn as_postgres(bin: &Path) -> Command {
    if is_root() {
        let mut c = Command::new("runuser");
        c.args(["-u", "postgres", "--"]).arg(bin);
        c
    } else {
        Command::new(bin)
    }
}

/// Makes sure the cluster runs; returns its admin URL.
pub fn ensure() -> Result<String> {
    let url = format!("postgres://postgres@127.0.0.1:{PORT}/postgres");
    let bin = match pg_bin_dir() {
        Some(b) => b,
        None => {
            let s = Step::start("install postgresql (apt)");
            apt_install(&["postgresql"])?;
            s.done();
            pg_bin_dir().ok_or("PostgreSQL installed but initdb not found under /usr/lib/postgresql")?
        }
    };
    let data = std::env::temp_dir().join("vouch-test-pg");
    let pg_ctl = bin.join("pg_ctl");
    let running = as_postgres(&pg_ctl).arg("status").arg("-D").arg(&data).output().is_ok_and(|o| o.status.success());
    if running {
        return Ok(url);
    }
    let s = Step::start("start throwaway PostgreSQL");
    if !data.join("PG_VERSION").exists() {
        std::fs::create_dir_all(&data).map_err(|e| format!("{}: {e}", data.display()))?;
        if is_root() {
            run(Command::new("chown").args(["-R", "postgres:postgres"]).arg(&data))?;
        }
        run(as_postgres(&bin.join("initdb")).args(["-A", "trust", "-U", "postgres", "-E", "UTF8", "-D"]).arg(&data))?;
    }
    let opts = format!(
        "-p {PORT} -k /tmp -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off \
         -c full_page_writes=off -c max_connections=300"
    );
    run(as_postgres(&pg_ctl)
        .args(["-w", "-t", "60", "-D"])
        .arg(&data)
        .arg("-l")
        .arg(data.join("server.log"))
        .args(["-o", &opts, "start"]))?;
    s.done();
    // Fail early and clearly if it does not answer.
    if output(Command::new(bin.join("pg_isready")).args(["-h", "127.0.0.1", "-p", PORT])).is_none() {
        return Err("PostgreSQL started but does not answer on 127.0.0.1:5433".into());
    }
    Ok(url)
}
