//! The page's side of the live quality checks: a web worker (the `quality-worker` wasm,
//! loaded only when a camera step starts, so the first page stays small) gets a preview
//! frame a few times a second, or an uploaded photo, and answers with the first issue's
//! code. Kept tiny on purpose: every byte here is in the learner's initial bundle.

use std::{cell::Cell, rc::Rc};
use wasm_bindgen::{JsCast, JsValue, prelude::Closure};
use wasm_bindgen_futures::JsFuture;
use web_sys::{HtmlVideoElement, MessageEvent, Worker};

/// Trunk's loader for the worker (`frontend/index.html`), served beside the SPA.
const WORKER: &str = "/quality-worker_loader.js";

/// A running worker (cloned cheaply; the last clone dropped terminates it).
#[derive(Clone)]
pub struct Checker(Rc<Inner>);

struct Inner {
    worker: Worker,
    busy: Rc<Cell<bool>>,
    kind: &'static str,
    lang: &'static str,
    _on_message: Closure<dyn FnMut(MessageEvent)>,
}

impl Checker {
    /// Starts the worker for a `face` or `id` photo, answering in `lang`; `on_result` gets
    /// each answer: whether the frame is good, the sentence to show, and the warning to keep
    /// with a photo taken anyway. `None` where workers cannot start.
    pub fn start(
        kind: &'static str,
        lang: &'static str,
        mut on_result: Box<dyn FnMut(bool, String, String)>,
    ) -> Option<Self> {
        let worker = Worker::new(WORKER).ok()?;
        let busy = Rc::new(Cell::new(false));
        let free = busy.clone();
        let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |ev: MessageEvent| {
            free.set(false);
            let data = ev.data();
            let field =
                |k: &str| js_sys::Reflect::get(&data, &k.into()).ok().and_then(|c| c.as_string()).unwrap_or_default();
            on_result(field("c").is_empty(), field("t"), field("w"));
        });
        worker.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        Some(Self(Rc::new(Inner { worker, busy, kind, lang, _on_message: on_message })))
    }

    /// Sends the current frame of `video`, unless the previous one is still being checked
    /// (a slow device then checks fewer frames instead of queueing them).
    pub async fn frame(&self, video: &HtmlVideoElement) {
        let this = &self.0;
        if this.busy.get() || video.video_width() == 0 {
            return;
        }
        let Some(window) = web_sys::window() else { return };
        let Ok(promise) = window.create_image_bitmap_with_html_video_element(video) else { return };
        this.busy.set(true);
        match JsFuture::from(promise).await {
            // Transferred, not copied: the page keeps no reference to the frame.
            Ok(bitmap) => this.post("b", &bitmap, true),
            Err(_) => this.busy.set(false),
        }
    }

    /// Sends an uploaded photo (a data URL) for the same checks.
    pub fn photo(&self, url: &str) {
        self.0.busy.set(true);
        self.0.post("u", &JsValue::from_str(url), false);
    }
}

impl Inner {
    fn post(&self, key: &str, value: &JsValue, transfer: bool) {
        let message = js_sys::Object::new();
        let _ = js_sys::Reflect::set(&message, &"k".into(), &self.kind.into());
        let _ = js_sys::Reflect::set(&message, &"l".into(), &self.lang.into());
        let _ = js_sys::Reflect::set(&message, &key.into(), value);
        let sent = if transfer {
            self.worker.post_message_with_transfer(&message, &js_sys::Array::of1(value))
        } else {
            self.worker.post_message(&message)
        };
        if sent.is_err() {
            self.busy.set(false);
        }
    }
}

impl Drop for Inner {
    fn drop(&mut self) {
        self.worker.terminate();
    }
}
