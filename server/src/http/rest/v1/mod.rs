//! Vouch's own REST API, `/api/v1/`, one file per resource: the caller and learners
//! (`users`), attempts' history and retries (`attempts`), manual verifications, course
//! deadlines, the pay-and-verify page and the job queue. Learners see their own data;
//! staff (the `administrator` claim or the staff flag) see anyone's.

pub mod attempts;
pub mod deadlines;
pub mod jobs;
pub mod manual_verifications;
pub mod pay_and_verify;
pub mod users;

use crate::{config::Config, http::AppState};

/// `path` under the deployment's public URL (links in responses).
fn public_url(cfg: &Config, path: &str) -> String {
    format!("{}{path}", cfg.server.public_url.trim_end_matches('/'))
}

/// [`public_url`] of `state`'s deployment.
fn url(state: &AppState, path: &str) -> String {
    public_url(&state.cfg, path)
}

/// `s` as one URL query value or path segment.
fn urlencode(s: &str) -> String {
    percent_encoding::utf8_percent_encode(s, percent_encoding::NON_ALPHANUMERIC).to_string()
}
