//! The reliability soak (issue 10, faults and load), with real processes: `vouch serve`,
//! `vouch worker` and `fake-vendor` on loopback, on SQLite and on PostgreSQL.
//!
//! - `kills`: `vouch serve` (and often the worker) SIGKILLed 20 times at random moments
//!   during a stream of submissions and vendor callbacks; nothing accepted is lost.
//! - `outages`: the vendor and the webhook receiver down for a while; the database
//!   unreachable (PostgreSQL behind a proxy that is cut) or locked (SQLite): 503, nothing
//!   half-written, recovery without a restart.
//! - `load`: 30 s of mixed load with no error and a memory bound.
//! - `replicas`: two `vouch serve` replicas and two `vouch worker`s on one database (S3
//!   photos on PostgreSQL); the status cache's promise read by read, one replica cut off the
//!   database meanwhile.
//!
//! Every case is `#[ignore]`d: they take minutes, so `cargo xtask soak` (also run by
//! `cargo xtask test`) runs them with `--include-ignored --test-threads=1`, one at a time so
//! the load figures are not disturbed by another case.

#[path = "../api/support.rs"]
#[allow(dead_code)]
mod support;

#[path = "../api/process_support.rs"]
mod process_support;

mod harness;
mod kills;
mod load;
mod outages;
mod replicas;
