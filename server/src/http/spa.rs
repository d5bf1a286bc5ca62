//! The SPA: Trunk's `dist/` served as static files, with `index.html` for every other path
//! so that client-side routes (`/id-verification/status`) load the app.

use axum::http::{HeaderValue, header};
use std::path::Path;
use tower::Layer;
use tower_http::{
    services::{ServeDir, ServeFile},
    set_header::SetResponseHeaderLayer,
};

/// The static-file service with the `index.html` fallback.
pub fn service(dir: &Path) -> tower_http::set_header::SetResponseHeader<ServeDir<ServeFile>, HeaderValue> {
    let index = ServeFile::new(dir.join("index.html"));
    let files = ServeDir::new(dir).precompressed_gzip().fallback(index);
    // Revalidate on every load so a new deployment is picked up at once.
    SetResponseHeaderLayer::if_not_present(header::CACHE_CONTROL, HeaderValue::from_static("no-cache")).layer(files)
}
