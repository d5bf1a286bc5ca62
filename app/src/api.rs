//! Server functions: the SPA's private RPC, mounted under `/sfn/` with fixed endpoint names
//! (no build-dependent hashes) and listed in [`crate::sfn`]. Never hand these URLs to outside
//! systems; they use the REST API. Each body only forwards to the backend port, where the
//! service layer lives.
//! The SPA calls them through [`crate::rpc`] (one small `fetch`) rather than server_fn's
//! generic client, which kept the learner's download large.

use crate::{
    dto::{CourseFlow, CourseFlowRequest, FlowInfo, SessionInfo, SubmitPhotosRequest, VerificationStatus},
    error::AppError,
};
use leptos::{prelude::*, server_fn::codec::Json};

/// The signed-in user and how sign-in works on this deployment.
#[server(prefix = "/sfn", endpoint = "session_info")]
pub async fn get_session_info() -> Result<SessionInfo, AppError> {
    let ctx = crate::idv_port::context()?;
    ctx.port.session_info(&ctx.caller).await
}

/// The signed-in learner's verification status.
#[server(prefix = "/sfn", endpoint = "verification_status")]
pub async fn get_verification_status() -> Result<VerificationStatus, AppError> {
    let ctx = crate::idv_port::context()?;
    ctx.port.verification_status(&ctx.caller).await
}

/// Submits the learner's photos; returns the status afterwards.
#[server(prefix = "/sfn", endpoint = "submit_photos", input = Json)]
pub async fn submit_photos(request: SubmitPhotosRequest) -> Result<VerificationStatus, AppError> {
    let ctx = crate::idv_port::context()?;
    ctx.port.submit_photos(&ctx.caller, request).await
}

/// What the verification flow needs before it starts: the account name, the upload limit
/// and whether an approved ID photo can be reused.
#[server(prefix = "/sfn", endpoint = "flow_info")]
pub async fn get_flow_info() -> Result<FlowInfo, AppError> {
    let ctx = crate::idv_port::context()?;
    ctx.port.flow_info(&ctx.caller).await
}

/// What the flow does for the course the learner came with: its name, a passed deadline,
/// payment first, or verifying elsewhere.
#[server(prefix = "/sfn", endpoint = "course_flow", input = Json)]
pub async fn get_course_flow(request: CourseFlowRequest) -> Result<CourseFlow, AppError> {
    let ctx = crate::idv_port::context()?;
    ctx.port.course_flow(&ctx.caller, request).await
}
