//! What every response passes through on its way out, in one middleware: the control
//! character guard on the way in; then the JSON error envelope, the default security headers
//! and the content security policy on the way out.
//!
//! One `from_fn` rather than six layers: each `from_fn` boxes the rest of the request's
//! future (an allocation and a copy of a large future per request), and each response-header
//! layer wraps it again; as separate layers they were about 5 % of a cached status read's
//! CPU (perf). The order is the one the separate layers had, outermost last here.

use super::{csp, error, input_guard};
use axum::{
    extract::{Request, State},
    http::{HeaderName, HeaderValue},
    middleware::Next,
    response::Response,
};
use std::sync::Arc;

/// The headers every response carries unless its handler set its own (LTI pages set their
/// framing policy themselves). Shared: the middleware's state is cloned for every request.
#[derive(Clone)]
pub struct Edge(Arc<EdgeInner>);

struct EdgeInner {
    csp: csp::Csp,
    defaults: [(HeaderName, HeaderValue); 3],
}

impl Edge {
    /// The edge for a deployment whose pages are served over https or not (`hsts`).
    pub fn new(csp: csp::Csp, https: bool) -> Self {
        let hsts = if https { "max-age=31536000" } else { "max-age=0" };
        Self(Arc::new(EdgeInner {
            csp,
            defaults: [
                (HeaderName::from_static("strict-transport-security"), HeaderValue::from_static(hsts)),
                (
                    HeaderName::from_static("referrer-policy"),
                    HeaderValue::from_static("strict-origin-when-cross-origin"),
                ),
                (HeaderName::from_static("x-content-type-options"), HeaderValue::from_static("nosniff")),
            ],
        }))
    }
}

/// The middleware.
pub async fn edge(State(edge): State<Edge>, req: Request, next: Next) -> Response {
    let target = csp::Target::of(req.uri().path());
    let res = match input_guard::refuse_control_characters(req.uri()) {
        Some(refused) => refused,
        None => next.run(req).await,
    };
    let mut res = error::json_errors(res);
    let headers = res.headers_mut();
    for (name, value) in &edge.0.defaults {
        if !headers.contains_key(name) {
            headers.insert(name.clone(), value.clone());
        }
    }
    csp::apply(&edge.0.csp, target, res).await
}
