//! The seam between server functions and the backend. The server implements [`IdvPort`] and
//! provides a [`RequestContext`] to each server-function call, so `app` never depends on
//! `server` and the SPA's RPC uses the same services as the REST API.

use crate::{
    domain::UserId,
    dto::{CourseFlow, CourseFlowRequest, FlowInfo, SessionInfo, SubmitPhotosRequest, VerificationStatus},
    error::AppError,
};
use leptos::prelude::use_context;
use std::sync::Arc;

/// Who is calling, as the server resolved it from the session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Caller {
    /// The signed-in user's id, if any.
    pub user_id: Option<UserId>,
    /// Whether the session is a "Continue on your phone" session (never staff).
    pub phone: bool,
}

/// The backend operations the SPA may ask for.
#[async_trait::async_trait]
pub trait IdvPort: Send + Sync + 'static {
    /// The signed-in user and sign-in options.
    async fn session_info(&self, caller: &Caller) -> Result<SessionInfo, AppError>;
    /// The caller's verification status.
    async fn verification_status(&self, caller: &Caller) -> Result<VerificationStatus, AppError>;
    /// Stores the caller's photos as a new attempt.
    async fn submit_photos(
        &self,
        caller: &Caller,
        request: SubmitPhotosRequest,
    ) -> Result<VerificationStatus, AppError>;
    /// What the caller's `id_verification_slot` renders (issue 7: the plugin slot), verifying
    /// for `course_id` when the page was opened for a course.
    async fn slot_config(
        &self,
        caller: &Caller,
        course_id: Option<String>,
    ) -> Result<crate::slot::SlotConfig, AppError>;
    /// What the caller's verification flow needs before it starts.
    async fn flow_info(&self, caller: &Caller) -> Result<FlowInfo, AppError>;
    /// What the flow does for the course the caller came with (issue 16).
    async fn course_flow(&self, caller: &Caller, request: CourseFlowRequest) -> Result<CourseFlow, AppError>;
}

/// What a server function gets from the server for one request.
#[derive(Clone)]
pub struct RequestContext {
    /// The backend.
    pub port: Arc<dyn IdvPort>,
    /// The caller.
    pub caller: Caller,
}

/// The context of the current server-function call.
pub fn context() -> Result<RequestContext, AppError> {
    use_context::<RequestContext>().ok_or_else(AppError::internal)
}
