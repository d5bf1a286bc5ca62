//! Server functions are all registered, under `/sfn/` only.

#[test]
fn every_server_function_is_under_sfn() {
    // Linking `server` links `app`'s server functions into this binary.
    let paths: Vec<String> = server_fn::axum::server_fn_paths().map(|(p, _)| p.to_owned()).collect();
    assert!(!paths.is_empty());
    for p in &paths {
        assert!(p.starts_with("/sfn/"), "{p} is outside /sfn/");
    }
    for endpoint in app::sfn::Endpoint::ALL {
        let name = endpoint.name();
        assert!(paths.contains(&format!("/sfn/{name}")), "{name} is not registered: {paths:?}");
    }
}
