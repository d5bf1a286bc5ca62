//! Integration tests of the server, in one binary. Every test that touches the database
//! runs the same body on SQLite and on PostgreSQL (`VOUCH_TEST_PG_URL`, which
//! `cargo xtask test` always sets).

mod support;

mod domain_store;
mod health;
mod hosted;
mod processes;
mod s3;
mod server_fns;
mod software_secure;
mod staff_photos;
mod store_story;
mod submit;
mod vendor_plugins;
mod vendors_e2e;
