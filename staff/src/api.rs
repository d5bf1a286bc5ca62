//! The REST API over the browser's `fetch`, with the session cookie (same origin). Writes
//! pass the server's CSRF check because the browser sends `Sec-Fetch-Site: same-origin`,
//! or, in a browser too old for that, because of `X-Requested-With`.

use serde::{Serialize, de::DeserializeOwned};
use serde_json::Value;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{Request, RequestCredentials, RequestInit, Response};

/// A failed call: the HTTP status (0 when the network failed) and a message for people.
#[derive(Debug, Clone)]
pub struct ApiError {
    /// HTTP status.
    pub status: u16,
    /// The server's `error.message`, or a description of the failure.
    pub message: String,
}

fn network(_: JsValue) -> ApiError {
    ApiError { status: 0, message: "The server could not be reached. Try again.".to_owned() }
}

/// One request; JSON in and out. 2xx answers give their JSON (`null` when empty).
pub async fn call(method: &str, path: &str, body: Option<Value>) -> Result<Value, ApiError> {
    let init = RequestInit::new();
    init.set_method(method);
    init.set_credentials(RequestCredentials::SameOrigin);
    if let Some(b) = &body {
        init.set_body(&JsValue::from_str(&b.to_string()));
    }
    let req = Request::new_with_str_and_init(path, &init).map_err(network)?;
    req.headers().set("Accept", "application/json").map_err(network)?;
    // Old browsers send neither Sec-Fetch-Site nor Origin; the server then takes this header,
    // which no cross-site form can send, as the sign that the write comes from this page.
    req.headers().set("X-Requested-With", "XMLHttpRequest").map_err(network)?;
    if body.is_some() {
        req.headers().set("Content-Type", "application/json").map_err(network)?;
    }
    let window = web_sys::window().ok_or_else(|| network(JsValue::NULL))?;
    let resp: Response = JsFuture::from(window.fetch_with_request(&req)).await.map_err(network)?.unchecked_into();
    let status = resp.status();
    let text = JsFuture::from(resp.text().map_err(network)?).await.map_err(network)?.as_string().unwrap_or_default();
    let json: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
    if resp.ok() {
        return Ok(json);
    }
    let message = json["error"]["message"]
        .as_str()
        .map(str::to_owned)
        .unwrap_or_else(|| format!("The server answered with status {status}."));
    Err(ApiError { status, message })
}

/// `GET path`.
pub async fn get(path: &str) -> Result<Value, ApiError> {
    call("GET", path, None).await
}

/// `method path` with a JSON body.
pub async fn send(method: &str, path: &str, body: Value) -> Result<Value, ApiError> {
    call(method, path, Some(body)).await
}

/// An answer that is not the body the console expects (a server of another version).
fn unreadable(status: u16) -> ApiError {
    ApiError { status, message: "The server's answer could not be read. Reload the page.".to_owned() }
}

/// `GET path`, read as `T` (a body of `rest_types`).
pub async fn get_as<T: DeserializeOwned>(path: &str) -> Result<T, ApiError> {
    serde_json::from_value(get(path).await?).map_err(|_| unreadable(200))
}

/// `method path` with `body`, the answer read as `T`.
pub async fn send_as<T: DeserializeOwned>(method: &str, path: &str, body: &impl Serialize) -> Result<T, ApiError> {
    let body = serde_json::to_value(body).map_err(|_| unreadable(0))?;
    // The write succeeded (2xx) even when its answer cannot be read: say so, or the person
    // would do it again and meet a conflict.
    serde_json::from_value(send(method, path, body).await?).map_err(|_| ApiError {
        status: 200,
        message: "Done, but the server's answer could not be read. Reload the page to see the result.".to_owned(),
    })
}

/// `method path` with `body`, for an answer with no body (`204 No Content`).
pub async fn send_only(method: &str, path: &str, body: &impl Serialize) -> Result<(), ApiError> {
    let body = serde_json::to_value(body).map_err(|_| unreadable(0))?;
    send(method, path, body).await.map(drop)
}
