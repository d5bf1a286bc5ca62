//! Content Security Policy on every response: who may frame our pages (anti-framing, so a
//! hostile page cannot overlay the camera flow or the staff console and trick a click), and
//! what our pages may load and run (a baseline that stops injected script).
//!
//! - The staff console (`/staff…`): nobody frames it (`frame-ancestors 'none'`).
//! - The learner pages (every other HTML page, the SPA): `'self'` plus the ancestors the LTI
//!   consumers are allowed (each consumer's own `frame_ancestors`, or `lti.frame_ancestors`
//!   for one without), because an LTI launch shows the SPA inside the LMS's iframe. The set
//!   is read from the database and kept for [`ANCESTORS_TTL`], so a consumer added through
//!   the API or the CLI counts within seconds on every replica.
//! - Everything else (JSON, photos, redirects): `default-src 'none'; frame-ancestors 'none'`.
//!
//! A handler that sets its own policy keeps it (the LTI launch's 303 names the consumer's).
//! The HTML pages get `default-src 'self'`, WebAssembly compilation (`'wasm-unsafe-eval'`),
//! and Trunk's inline start-up module by the SHA-256 of its text, computed from the served
//! `index.html` when the router is built (a rebuilt bundle means a restart, as for any
//! deploy). Photos taken in the browser are shown as `data:` images.

use crate::{
    config::lti::LtiConfig,
    service::{ServiceResult, Services, frame_ancestors},
};
use axum::{
    http::{HeaderValue, header},
    response::Response,
};
use base64::Engine;
use sha2::{Digest, Sha256};
use std::{
    path::Path,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

/// How long the LTI consumers' frame ancestors are reused before they are read again.
pub const ANCESTORS_TTL: Duration = Duration::from_secs(10);

/// The policy of responses that are not HTML pages.
const NOT_A_PAGE: &str = "default-src 'none'; frame-ancestors 'none'";

/// The policy of a web worker's script (Trunk's `*_loader.js`, the learner's quality
/// worker): a worker runs under its own script's policy, and this one must load its glue
/// and wasm from this origin and compile the wasm; it fetches nothing else.
const WORKER: &str =
    "default-src 'none'; script-src 'self' 'wasm-unsafe-eval'; connect-src 'self'; frame-ancestors 'none'";

/// The policies of this deployment's pages.
#[derive(Clone)]
pub struct Csp {
    inner: Arc<Inner>,
}

struct Inner {
    /// The learner SPA's policy, without `frame-ancestors`.
    learner: String,
    /// The staff console's whole policy.
    staff: String,
    services: Services,
    lti: LtiConfig,
    /// The learner pages' `frame-ancestors` sources and when they were read.
    ancestors: Mutex<Option<(Instant, String)>>,
}

impl Csp {
    /// The policies for the bundles under `static_dir` (the SPA's `index.html`, the
    /// console's `staff/index.html`; a missing file means no inline script is allowed).
    /// `frame_src` is the origin of a vendor page shown in an iframe, if any.
    pub fn new(static_dir: &Path, frame_src: Option<String>, services: Services, lti: LtiConfig) -> Self {
        let learner = page_policy(&inline_script_hashes(&static_dir.join("index.html")), frame_src.as_deref());
        let staff = format!(
            "{}; frame-ancestors 'none'",
            page_policy(&inline_script_hashes(&static_dir.join("staff").join("index.html")), None)
        );
        Self { inner: Arc::new(Inner { learner, staff, services, lti, ancestors: Mutex::new(None) }) }
    }

    /// The policies for `state`'s deployment: its static bundles, and as frame sources the
    /// origins of the registered vendors' pages (`IdvVendor::frame_url`) when vendors' flows
    /// are shown in an iframe.
    pub fn for_state(state: &super::AppState) -> Self {
        let cfg = &state.cfg;
        let iframe = cfg.idv.hosted_display == crate::config::vendors::HostedDisplay::Iframe;
        let mut origins: Vec<String> = Vec::new();
        if iframe {
            for name in state.services.vendors.names() {
                let url = state.services.vendors.get(name).and_then(|v| v.frame_url(cfg));
                // Only a plain http(s) origin: anything else could end the directive early.
                let plain = |o: &&str| {
                    (o.starts_with("https://") || o.starts_with("http://"))
                        && !o
                            .chars()
                            .any(|c| c.is_whitespace() || c.is_control() || matches!(c, ';' | ',' | '\'' | '"'))
                };
                let origin = url.as_deref().map(origin_of).filter(plain);
                if let Some(origin) = origin.filter(|o| !origins.iter().any(|x| x == o)) {
                    origins.push(origin.to_owned());
                }
            }
        }
        // One source list: `frame-src 'self' <origin> <origin>`.
        let frame_src = (!origins.is_empty()).then(|| origins.join(" "));
        Self::new(&state.cfg.server.static_dir, frame_src, state.services.clone(), state.cfg.lti.clone())
    }

    /// The learner pages' whole policy (with the current frame ancestors).
    pub async fn learner_policy(&self) -> String {
        format!("{}; frame-ancestors {}", self.inner.learner, self.learner_ancestors().await)
    }

    /// `'self'` and every LTI consumer's allowed ancestors, read at most every [`ANCESTORS_TTL`].
    async fn learner_ancestors(&self) -> String {
        let cached = self.inner.ancestors.lock().ok().and_then(|c| c.clone());
        if let Some((at, sources)) = cached
            && at.elapsed() < ANCESTORS_TTL
        {
            return sources;
        }
        let sources = match self.read_ancestors().await {
            Ok(s) => s,
            Err(e) => {
                // Fail closed: only our own pages may frame the learner's while the list is unknown.
                tracing::warn!(error = %e, "could not read the LTI consumers' frame ancestors");
                return "'self'".to_owned();
            }
        };
        if let Ok(mut c) = self.inner.ancestors.lock() {
            *c = Some((Instant::now(), sources.clone()));
        }
        sources
    }

    async fn read_ancestors(&self) -> ServiceResult<String> {
        let own = frame_ancestors::of_consumers(&self.inner.services, &self.inner.lti.frame_ancestors).await?;
        Ok(union_of_sources(std::iter::once("'self'").chain(own.iter().map(String::as_str))))
    }
}

/// The sources of `lists` (space-separated each), once each, in first-seen order. Anything
/// that could end the directive (`;`, `,`) or is not printable ASCII is dropped, whatever a
/// consumer's record holds.
fn union_of_sources<'a>(lists: impl Iterator<Item = &'a str>) -> String {
    let mut out: Vec<&str> = Vec::new();
    // A list that tries to end the directive (`;`) or start another policy (`,`) is not a
    // list of sources: all of it is dropped, not just the word that holds the separator.
    let clean = |list: &&str| list.bytes().all(|b| (b.is_ascii_graphic() || b == b' ') && b != b';' && b != b',');
    for source in lists.filter(clean).flat_map(str::split_ascii_whitespace) {
        if !out.contains(&source) {
            out.push(source);
        }
    }
    out.join(" ")
}

/// `scheme://host[:port]` of an absolute URL.
fn origin_of(url: &str) -> &str {
    let after_scheme = url.find("://").map_or(0, |i| i + 3);
    match url[after_scheme..].find(['/', '?', '#']) {
        Some(end) => &url[..after_scheme + end],
        None => url,
    }
}

/// The baseline policy of an HTML page of ours, without `frame-ancestors`.
fn page_policy(script_hashes: &[String], frame_src: Option<&str>) -> String {
    let mut script = String::from("'self' 'wasm-unsafe-eval'");
    for h in script_hashes {
        script.push(' ');
        script.push_str(h);
    }
    let frame = match frame_src {
        Some(origin) => format!("'self' {origin}"),
        None => "'self'".to_owned(),
    };
    format!(
        "default-src 'self'; script-src {script}; style-src 'self'; img-src 'self' data: blob:; \
         connect-src 'self'; frame-src {frame}; object-src 'none'; base-uri 'self'; form-action 'self'"
    )
}

/// `'sha256-…'` of every inline `<script>` (one without `src`) of the HTML file at `path`.
pub fn inline_script_hashes(path: &Path) -> Vec<String> {
    match std::fs::read_to_string(path) {
        Ok(html) => script_hashes(&html),
        Err(_) => Vec::new(),
    }
}

/// `'sha256-…'` of every inline `<script>` of `html`, over its exact text, as browsers hash it.
fn script_hashes(html: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = html;
    while let Some(start) = find_ci(rest, "<script") {
        let after = &rest[start..];
        let Some(open_end) = after.find('>') else { break };
        let attrs = &after[..open_end];
        let body_start = open_end + 1;
        let Some(close) = find_ci(&after[body_start..], "</script") else { break };
        if !attrs.to_ascii_lowercase().contains(" src=") {
            let body = &after[body_start..body_start + close];
            let digest = Sha256::digest(body.as_bytes());
            out.push(format!("'sha256-{}'", base64::engine::general_purpose::STANDARD.encode(digest)));
        }
        rest = &after[body_start + close..];
    }
    out
}

fn find_ci(haystack: &str, needle: &str) -> Option<usize> {
    haystack.to_ascii_lowercase().find(needle)
}

/// What the policy of a response depends on in its request, read before the request is
/// handed on.
#[derive(Debug, Clone, Copy)]
pub struct Target {
    staff: bool,
    worker: bool,
}

impl Target {
    /// The target of a request to `path`.
    pub fn of(path: &str) -> Self {
        Self { staff: path == "/staff" || path.starts_with("/staff/"), worker: path.ends_with("_loader.js") }
    }
}

/// Adds the policy that fits the response unless the handler set one.
pub async fn apply(csp: &Csp, target: Target, mut res: Response) -> Response {
    // A 304 has no content type, and browsers merge its headers into the cached page: a
    // policy here would replace the page's own (with "not a page"). The cached one stands.
    if res.status() == axum::http::StatusCode::NOT_MODIFIED
        || res.headers().contains_key(header::CONTENT_SECURITY_POLICY)
    {
        return res;
    }
    let content_type = res.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    let html = content_type.trim_start().to_ascii_lowercase().starts_with("text/html");
    // An image opened on its own (a staff photo link) is shown by the browser's image viewer,
    // whose own inline styles `default-src 'none'` would block: only framing is refused.
    let image = content_type.starts_with("image/");
    let value = match (html, target.staff) {
        (true, true) => HeaderValue::from_str(&csp.inner.staff),
        (true, false) => HeaderValue::from_str(&csp.learner_policy().await),
        // The fixed policies are static header values: no copy or check per response.
        (false, _) if image => Ok(HeaderValue::from_static("frame-ancestors 'none'")),
        (false, _) if target.worker => Ok(HeaderValue::from_static(WORKER)),
        (false, _) => Ok(HeaderValue::from_static(NOT_A_PAGE)),
    };
    if let Ok(v) = value {
        res.headers_mut().insert(header::CONTENT_SECURITY_POLICY, v);
    }
    res
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_inline_scripts_only() {
        let html = "<html><head><script type=\"module\">import init from '/a.js';\nawait init();</script>\
                    <SCRIPT src=\"/b.js\"></SCRIPT></head><body><script>x()</script></body></html>";
        let digest = |s: &str| {
            format!("'sha256-{}'", base64::engine::general_purpose::STANDARD.encode(Sha256::digest(s.as_bytes())))
        };
        assert_eq!(script_hashes(html), vec![digest("import init from '/a.js';\nawait init();"), digest("x()")]);
        assert!(script_hashes("<p>no scripts</p>").is_empty());
        // A known value: the SHA-256 of the empty string.
        assert_eq!(script_hashes("<script></script>"), vec!["'sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU='"]);
    }

    #[test]
    fn ancestors_are_a_clean_union() {
        let lists = ["'self'", "https://lms.example.edu 'self'", "https://a.example;script-src *", "https://b.example"];
        assert_eq!(union_of_sources(lists.into_iter()), "'self' https://lms.example.edu https://b.example");
    }

    #[test]
    fn page_policies() {
        let p = page_policy(&["'sha256-x'".to_owned()], Some("https://vendor.example"));
        assert!(p.starts_with("default-src 'self'; script-src 'self' 'wasm-unsafe-eval' 'sha256-x';"), "{p}");
        assert!(p.contains("frame-src 'self' https://vendor.example;"), "{p}");
        assert!(!p.contains("unsafe-inline"), "{p}");
        assert_eq!(origin_of("http://127.0.0.1:8150/api/"), "http://127.0.0.1:8150");
        assert_eq!(origin_of("https://vendor.example"), "https://vendor.example");
    }
}
