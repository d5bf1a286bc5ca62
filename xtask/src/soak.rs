//! `cargo xtask soak`: the long reliability cases of issue 10 (`server/tests/soak`): 20
//! SIGKILLs of `vouch serve` during a stream of submissions and callbacks, the vendor and
//! the webhook receiver down, the database unreachable or locked, and 30 s of mixed load
//! with a memory bound, on SQLite and PostgreSQL. `cargo xtask test` runs the same step.
//!
//! The cases are `#[ignore]`d in plain `cargo test` (they take minutes) and run here one at
//! a time, so the load figures are not disturbed by another case. Each prints a `SOAK`
//! line with its figures; the seed of the random kills is printed and `VOUCH_SOAK_SEED`
//! replays it.

use crate::{pg, util};
use util::{Step, cargo, run};

/// Runs the soak suite against `pg_url` (started when not given).
pub fn cmd_soak(pg_url: Option<String>) -> util::Result<()> {
    let pg_url = match pg_url.or_else(|| std::env::var("VOUCH_TEST_PG_URL").ok().filter(|u| !u.is_empty())) {
        Some(url) => url,
        None => pg::ensure()?,
    };
    let bins = util::build_binaries(false)?;
    let step = Step::start("reliability soak (SIGKILL x20, receivers down, database away, 30 s load)");
    run(cargo()
        .args(["test", "-p", "server", "--test", "soak", "--", "--include-ignored", "--test-threads=1", "--nocapture"])
        .env("VOUCH_TEST_PG_URL", &pg_url)
        .env("VOUCH_FAKE_VENDOR_BIN", bins.join("fake-vendor")))?;
    step.done();
    Ok(())
}
