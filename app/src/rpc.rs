//! The SPA's side of the server functions in [`crate::api`] and [`crate::slot`]: one small
//! `fetch` to `/sfn/<name>` with the bodies server_fn's own client sends (a form for the
//! functions without arguments and for `slot_config`'s optional course, `{"request": …}` as
//! JSON for `submit_photos` and `course_flow`), and the answer read as JSON or, on a
//! 4xx/5xx status, as the error envelope. Each call names its function by the struct
//! `#[server]` generated ([`ServerFunction`]): the path, the content type and the answer's
//! type come from the function's own declaration. Written by hand because server_fn's
//! generic client and the async resources around it were a third of the learner's
//! download; the server side is unchanged.

use crate::{
    api,
    dto::{CourseFlow, CourseFlowRequest, FlowInfo, SessionInfo, SubmitPhotosRequest, VerificationStatus},
    error::{AppError, ErrorCode},
    sfn::{Endpoint, ServerFunction},
    slot::{self, SlotConfig},
};
use leptos::{prelude::*, task::spawn_local};
use serde::{Serialize, de::DeserializeOwned};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

/// A server function's answer: `None` while it loads.
pub type Loaded<T> = RwSignal<Option<Result<T, AppError>>>;

/// The signed-in user and how sign-in works on this deployment.
pub fn session_info() -> Loaded<SessionInfo> {
    load::<api::GetSessionInfo>()
}

/// The signed-in learner's verification status.
pub fn verification_status() -> Loaded<VerificationStatus> {
    load::<api::GetVerificationStatus>()
}

/// What the verification flow needs before it starts.
pub fn flow_info() -> Loaded<FlowInfo> {
    load::<api::GetFlowInfo>()
}

/// What the `id_verification_slot` renders for this learner, verifying for `course_id`.
pub fn slot_config(course_id: Option<&str>) -> Loaded<SlotConfig> {
    let loaded = RwSignal::new(None);
    // server_fn's URL encoding of `Option<String>`: the field, or nothing for `None`.
    let form = course_id.map(|c| format!("course_id={}", encode(c))).unwrap_or_default();
    read_into::<slot::GetSlotConfig>(loaded, form);
    loaded
}

/// A form value, percent-encoded by the browser (`encodeURIComponent`: a course key's `+`
/// and `:` arrive as themselves, not as a space).
fn encode(value: &str) -> String {
    String::from(js_sys::encode_uri_component(value))
}

/// What the flow does for the course the learner came with.
pub fn course_flow(request: &CourseFlowRequest) -> Loaded<CourseFlow> {
    #[derive(Serialize)]
    struct Args<'a> {
        request: &'a CourseFlowRequest,
    }
    let loaded = RwSignal::new(None);
    match crate::wire_json::to_string(&Args { request }) {
        Some(json) => read_into::<api::GetCourseFlow>(loaded, json),
        None => loaded.set(Some(Err(AppError::internal()))),
    }
    loaded
}

/// What the SPA reads a server function's answer as.
pub trait Answer: DeserializeOwned + Send + Sync + 'static {}
impl<T: DeserializeOwned + Send + Sync + 'static> Answer for T {}

/// Reads `F`'s answer (a function without arguments) again into `into`; the previous answer
/// stays until then.
pub fn reload<F: ServerFunction<Output: Answer>>(into: Loaded<F::Output>) {
    read_into::<F>(into, String::new());
}

/// Sends `body` (in `F`'s encoding) to `F` and reads the answer into `into`.
fn read_into<F: ServerFunction<Output: Answer>>(into: Loaded<F::Output>, body: String) {
    fetch_then(
        F::ENDPOINT,
        body,
        Box::new(move |answer| {
            // The page may be gone by now.
            let _ = into.try_set(Some(answer.and_then(|text| parse::<F::Output>(&text))));
        }),
    );
}

/// One request future for every answer type (a boxed callback instead of a generic future
/// per type keeps the download small).
fn fetch_then(endpoint: Endpoint, body: String, then: Box<dyn FnOnce(Result<String, AppError>)>) {
    spawn_local(async move { then(call(endpoint, body).await) });
}

fn load<F: ServerFunction<Output: Answer>>() -> Loaded<F::Output> {
    let loaded = RwSignal::new(None);
    reload::<F>(loaded);
    loaded
}

/// Submits the learner's photos; returns the status afterwards.
pub async fn submit_photos(request: SubmitPhotosRequest) -> Result<VerificationStatus, AppError> {
    #[derive(Serialize)]
    struct Args {
        request: SubmitPhotosRequest,
    }
    type Submit = api::SubmitPhotos;
    let body = crate::wire_json::to_string(&Args { request }).ok_or_else(AppError::internal)?;
    // The answer's type from the function's declaration: a change there fails to compile here.
    parse::<<Submit as leptos::server_fn::ServerFn>::Output>(&call(Submit::ENDPOINT, body).await?)
}

fn parse<T: DeserializeOwned>(text: &str) -> Result<T, AppError> {
    crate::wire_json::from_str(text).ok_or_else(unreadable)
}

/// What server_fn reported for an answer it could not read.
fn unreadable() -> AppError {
    AppError::new(ErrorCode::InvalidRequest, "The request could not be read.")
}

/// Posts `body` to `endpoint` and returns the answer's text, or the server's error.
async fn call(endpoint: Endpoint, body: String) -> Result<String, AppError> {
    let unreachable =
        |_| AppError::new(ErrorCode::Unavailable, "Vouch could not be reached. Check your connection and try again.");
    let init = web_sys::RequestInit::new();
    init.set_method("POST");
    let headers = web_sys::Headers::new().map_err(unreachable)?;
    let _ = headers.set("Content-Type", endpoint.encoding().content_type());
    let _ = headers.set("Accept", "application/json");
    // Old browsers send neither Sec-Fetch-Site nor Origin; the server then takes this header,
    // which no cross-site form can send, as the sign that the call comes from this page.
    let _ = headers.set("X-Requested-With", "XMLHttpRequest");
    init.set_headers(&headers);
    init.set_body(&JsValue::from_str(&body));
    let response =
        JsFuture::from(window().fetch_with_str_and_init(endpoint.path(), &init)).await.map_err(unreachable)?;
    let response: web_sys::Response = response.dyn_into().map_err(unreachable)?;
    let text = JsFuture::from(response.text().map_err(unreachable)?).await.map_err(unreachable)?;
    let text = text.as_string().unwrap_or_default();
    if (400..=599).contains(&response.status()) {
        return Err(crate::wire_json::from_str::<AppError>(&text).unwrap_or_else(unreadable));
    }
    Ok(text)
}
