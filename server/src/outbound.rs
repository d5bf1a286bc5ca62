//! Reading the answers of servers Vouch calls: Software Secure, LMS outcome services,
//! webhook receivers, the hosted vendor and the LMS API. Every read is bounded, so a broken
//! or hostile server cannot make Vouch buffer an endless body (reqwest's `text()`/`json()`
//! read everything they are sent), and the client that calls them.

use std::time::Duration;

/// The client for vendors, webhooks and LMSs: `software_secure.request_timeout_secs` for a
/// whole exchange, 10 s to connect, and no redirect followed (a vendor's or receiver's
/// redirect could point the signed request anywhere).
pub fn client(cfg: &crate::config::Config) -> reqwest::Result<reqwest::Client> {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(cfg.software_secure.request_timeout_secs))
        .connect_timeout(Duration::from_secs(10))
        .redirect(reqwest::redirect::Policy::none())
        .build()
}

/// The most of an error answer kept for the job record: enough to diagnose, small enough
/// for a log line and a table cell.
pub const ERROR_PREFIX_BYTES: usize = 2048;

/// The largest answer Vouch parses (an outcome's POX XML, an inquiry's JSON, the LMS API's
/// course modes): real ones are a few kilobytes.
pub const MAX_ANSWER_BYTES: usize = 1024 * 1024;

/// A bounded read failed.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    /// The answer is larger than Vouch accepts.
    #[error("the answer is larger than {0} bytes")]
    TooLarge(usize),
    /// The connection failed while reading (the error is not kept: it may name the URL).
    #[error("the answer could not be read")]
    Transport,
}

/// Reads the whole answer, refusing one over `max` bytes (declared or streamed) without
/// reading past the limit.
pub async fn read_capped(mut response: reqwest::Response, max: usize) -> Result<Vec<u8>, ReadError> {
    if response.content_length().is_some_and(|len| len > max as u64) {
        return Err(ReadError::TooLarge(max));
    }
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(|_| ReadError::Transport)? {
        if body.len() + chunk.len() > max {
            return Err(ReadError::TooLarge(max));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// Reads the answer as text, refusing one over `max` bytes; invalid UTF-8 is replaced.
pub async fn text_capped(response: reqwest::Response, max: usize) -> Result<String, ReadError> {
    let body = read_capped(response, max).await?;
    Ok(String::from_utf8(body).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned()))
}

/// The first [`ERROR_PREFIX_BYTES`] of an (error) answer as text, for the job record: the
/// rest is never read, and a read that fails keeps what arrived.
pub async fn error_prefix(mut response: reqwest::Response) -> String {
    let mut body = Vec::new();
    while body.len() < ERROR_PREFIX_BYTES {
        match response.chunk().await {
            Ok(Some(chunk)) => body.extend_from_slice(&chunk),
            Ok(None) | Err(_) => break,
        }
    }
    body.truncate(ERROR_PREFIX_BYTES);
    String::from_utf8_lossy(&body).into_owned()
}
