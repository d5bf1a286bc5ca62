//! The OpenAPI document of the REST API, built from the same declarations that register
//! the routes (utoipa-axum), and served at `/api/v1/openapi.json`.

use super::{
    super::{AppState, callbacks, limits, lti, sfn_body_limit, staff_photos, verified_names, verify_student, webhooks},
    lms, openedx, v1,
};
use axum::{extract::DefaultBodyLimit, response::IntoResponse};
use std::sync::Arc;
use utoipa::OpenApi;
use utoipa_axum::{router::OpenApiRouter, routes};

/// The document's fixed parts; paths come from the routes.
#[derive(OpenApi)]
#[openapi(
    info(title = "Vouch", description = "Identity verification for learning platforms: Open edX-compatible \
        endpoints and Vouch's own API. Authenticate with the LMS's JWT (`Authorization: JWT <token>`) or the \
        Vouch session cookie."),
    paths(verify_student::photo),
    tags((name = "open edx", description = "Open edX paths and shapes"),
        (name = "vouch", description = "Vouch's own API, /api/v1/"),
        (name = "vendor", description = "Called by identity vendors"),
        (name = "lti", description = "LTI 1.1 tool provider"))
)]
pub struct ApiDoc;

/// Every documented route, with the OpenAPI document.
pub fn router(state: &AppState) -> OpenApiRouter<AppState> {
    let submit = OpenApiRouter::new()
        .routes(routes!(verify_student::submit_photos))
        .layer(DefaultBodyLimit::max(sfn_body_limit(&state.cfg)));
    let callback = OpenApiRouter::new()
        .routes(routes!(verify_student::results_callback))
        .layer(DefaultBodyLimit::max(64 * 1024))
        .layer(axum::middleware::from_fn_with_state(state.limits.clone(), limits::callback));
    let vendor_callbacks = OpenApiRouter::new()
        .routes(routes!(callbacks::vendor))
        .layer(DefaultBodyLimit::max(callbacks::MAX_BODY))
        .layer(axum::middleware::from_fn_with_state(state.clone(), super::super::vendor_gate::only_configured_hosted))
        .layer(axum::middleware::from_fn_with_state(state.limits.clone(), limits::callback));
    let lti_launch =
        OpenApiRouter::new().routes(routes!(lti::launch)).layer(DefaultBodyLimit::max(lti::MAX_LAUNCH_BYTES));
    let lms_batches = OpenApiRouter::new()
        .routes(routes!(lms::verified_user_ids))
        .routes(routes!(lms::verification_statuses))
        .layer(DefaultBodyLimit::max(lms::BATCH_BODY_LIMIT));
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .merge(submit)
        .merge(callback)
        .merge(vendor_callbacks)
        .merge(lti_launch)
        .merge(lms_batches)
        .routes(routes!(verified_names::list, verified_names::create))
        .routes(routes!(verified_names::history))
        .routes(routes!(webhooks::list))
        .routes(routes!(webhooks::retry))
        .routes(routes!(lti::list_consumers, lti::add_consumer))
        .routes(routes!(lti::remove_consumer, lti::update_consumer))
        .routes(routes!(super::super::lti_link::link_page, super::super::lti_link::confirm_link))
        .routes(routes!(openedx::verify_student_status))
        .routes(routes!(openedx::account_verification_status))
        .routes(routes!(openedx::account_verifications))
        .routes(routes!(staff_photos::photo_urls))
        .routes(routes!(staff_photos::decrypt_face))
        .routes(routes!(staff_photos::decrypt_photo_id))
        .routes(routes!(v1::users::me))
        .routes(routes!(v1::users::search_users))
        .routes(routes!(v1::users::user_status))
        .routes(routes!(v1::users::user_attempts))
        .routes(routes!(v1::attempts::attempt_history))
        .routes(routes!(v1::manual_verifications::create_manual_verification))
        .routes(routes!(v1::manual_verifications::revoke_manual_verification))
        .routes(routes!(v1::attempts::retry_photo_attempt))
        .routes(routes!(v1::deadlines::get_deadline, v1::deadlines::set_deadline))
        .routes(routes!(v1::deadlines::deadline_history))
        .routes(routes!(super::courses::put_course_run))
        .routes(routes!(v1::pay_and_verify::pay_and_verify))
        .routes(routes!(v1::jobs::list_jobs))
        .routes(routes!(v1::jobs::retry_job))
        .routes(routes!(super::staff::verified_names))
        .routes(routes!(lms::verify_location))
        .routes(routes!(lms::create_sso_verification))
        .routes(routes!(lms::retire_user))
        .routes(routes!(lms::get_retry_config, lms::set_retry_config))
        .routes(routes!(super::reviews::claim))
        .routes(routes!(super::reviews::stats))
        .routes(routes!(super::reviews::reasons))
        .routes(routes!(super::reviews::detail))
        .routes(routes!(super::reviews::decision))
        .routes(routes!(super::reviews::release))
}

/// The document as served (JSON text, built once).
#[derive(Clone)]
pub struct OpenApiJson(pub Arc<String>);

impl OpenApiJson {
    /// Serializes `doc`.
    pub fn new(doc: &utoipa::openapi::OpenApi) -> Self {
        Self(Arc::new(doc.to_json().expect("the OpenAPI document serializes")))
    }
}

/// `GET /api/v1/openapi.json`.
pub async fn serve(axum::extract::State(doc): axum::extract::State<OpenApiJson>) -> impl IntoResponse {
    ([(axum::http::header::CONTENT_TYPE, "application/json")], doc.0.as_str().to_owned())
}

/// The document as a JSON value (for tests and `vouch openapi`).
pub fn document(state: &AppState) -> serde_json::Value {
    let (_, doc) = router(state).split_for_parts();
    serde_json::to_value(&doc).expect("the OpenAPI document serializes")
}
