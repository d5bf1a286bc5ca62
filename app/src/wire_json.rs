//! JSON for the browser's own use: the server functions' bodies and answers, and the flow
//! kept in `sessionStorage`. In the browser the engine's `JSON.parse`/`JSON.stringify` do
//! the text; `serde-wasm-bindgen` maps our types to the engine's values and [`tree`] maps
//! parsed values back to our types, so serde_json's parser and printer (several KB of the
//! learner's download) are not shipped. The text is the same as
//! serde_json's for our types (fields in declaration order, `None` as `null`, the same
//! string escapes), so the server, which reads and writes with serde_json, sees no change.
//! Elsewhere (native builds, unit tests) serde_json does the work.

use serde::{Serialize, de::DeserializeOwned};

pub mod tree;

/// `value` as JSON text (`None` when it cannot be written).
pub fn to_string<T: Serialize>(value: &T) -> Option<String> {
    #[cfg(target_arch = "wasm32")]
    {
        // json_compatible: `None` as `null` and maps as objects, as serde_json writes them.
        let js = value.serialize(&serde_wasm_bindgen::Serializer::json_compatible()).ok()?;
        js_sys::JSON::stringify(&js).ok()?.as_string()
    }
    #[cfg(not(target_arch = "wasm32"))]
    {
        serde_json::to_string(value).ok()
    }
}

/// `text` read as JSON into `T` (`None` when it is not JSON or not a `T`).
pub fn from_str<T: DeserializeOwned>(text: &str) -> Option<T> {
    #[cfg(target_arch = "wasm32")]
    {
        T::deserialize(tree::from_js(&js_sys::JSON::parse(text).ok()?).ok()?).ok()
    }
    #[cfg(not(target_arch = "wasm32"))]
    {
        serde_json::from_str(text).ok()
    }
}
