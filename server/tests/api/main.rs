//! Integration tests of the server, in one binary. Every test that touches the database
//! runs the same body on SQLite and on PostgreSQL (`VOUCH_TEST_PG_URL`, which
//! `cargo xtask test` always sets).

mod support;

mod authz_matrix;
mod bad_input;
mod bench_tools;
mod cli;
mod cli_config;
mod course_flow;
mod domain_store;
mod emails;
mod events_processes;
mod expiry_resend;
mod filters_names;
mod health;
mod hosted;
mod lifecycle_events;
mod lms_api;
mod logs;
mod logs_full_flow;
mod lti_accounts;
mod lti_cli;
mod lti_e2e;
mod lti_expiry;
mod lti_launch;
mod lti_outcomes;
mod lti_staff;
mod lti_support;
mod ops;
mod process_support;
mod processes;
mod properties;
mod reasons;
mod rest;
mod retention;
mod retention_process;
mod s3;
mod server_fns;
mod signatures;
mod software_secure;
mod staff_api;
mod staff_photos;
mod store_story;
mod submit;
mod trust_auth;
mod trust_caches;
mod trust_config;
mod trust_csp;
mod trust_names;
mod trust_outbound;
mod trust_submit;
mod trust_support;
mod vendor_plugins;
mod vendors_e2e;
mod webhooks;
