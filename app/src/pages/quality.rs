//! The page's side of the live quality checks: a web worker (the `quality-worker` wasm,
//! loaded only when a camera step starts, so the first page stays small) gets a preview
//! frame a few times a second, or an uploaded photo, and answers with the first issue's
//! code. Nothing is posted before the worker says it is ready (see [`Link`]). Kept tiny on purpose: every byte here is in the learner's initial bundle.

use std::{
    cell::{Cell, RefCell},
    rc::Rc,
};
use wasm_bindgen::{JsCast, JsValue, prelude::Closure};
use wasm_bindgen_futures::JsFuture;
use web_sys::{HtmlVideoElement, MessageEvent, Worker};

/// A running worker (cloned cheaply; the last clone dropped terminates it).
#[derive(Clone)]
pub struct Checker(Rc<Inner>);

struct Inner {
    worker: Worker,
    link: Rc<Link>,
    kind: &'static str,
    lang: &'static str,
    _on_message: Closure<dyn FnMut(MessageEvent)>,
}

/// What the page and the worker's answers share.
#[derive(Default)]
struct Link {
    /// A frame or photo is being checked.
    busy: Cell<bool>,
    /// The worker said "ready": its handler is installed. A message posted before that is
    /// dropped by the worker (its wasm is still loading), so it waits here.
    ready: Cell<bool>,
    waiting: RefCell<Option<js_sys::Object>>,
}

impl Checker {
    /// Starts the worker for a `face` or `id` photo, answering in `lang`; `on_result` gets
    /// each answer: whether the frame is good (`None`: it could not be checked, e.g. no
    /// `OffscreenCanvas` in the worker; neither good nor bad), the sentence to show, and the
    /// warning to keep with a photo taken past failing checks. `None` where workers cannot start.
    pub fn start(
        kind: &'static str,
        lang: &'static str,
        mut on_result: Box<dyn FnMut(Option<bool>, String, String)>,
    ) -> Option<Self> {
        let worker = Worker::new(crate::routes::QUALITY_WORKER).ok()?;
        let link = Rc::new(Link::default());
        let (answered, to) = (link.clone(), worker.clone());
        let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |ev: MessageEvent| {
            let data = ev.data();
            if data.is_string() {
                answered.ready.set(true);
                if let Some(message) = answered.waiting.take()
                    && to.post_message(&message).is_err()
                {
                    answered.busy.set(false);
                }
                return;
            }
            answered.busy.set(false);
            let field =
                |k: &str| js_sys::Reflect::get(&data, &k.into()).ok().and_then(|c| c.as_string()).unwrap_or_default();
            let code = field("c");
            on_result((code != "unchecked").then_some(code.is_empty()), field("t"), field("w"));
        });
        worker.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        Some(Self(Rc::new(Inner { worker, link, kind, lang, _on_message: on_message })))
    }

    /// Sends the current frame of `video`, unless the previous one is still being checked
    /// (a slow device then checks fewer frames instead of queueing them).
    pub async fn frame(&self, video: &HtmlVideoElement) {
        let this = &self.0;
        // Frames before "ready" are skipped, not queued: the next tick sends a fresh one.
        if this.link.busy.get() || !this.link.ready.get() || video.video_width() == 0 {
            return;
        }
        let Some(window) = web_sys::window() else { return };
        let Ok(promise) = window.create_image_bitmap_with_html_video_element(video) else { return };
        this.link.busy.set(true);
        match JsFuture::from(promise).await {
            // Transferred, not copied: the page keeps no reference to the frame.
            Ok(bitmap) => this.post("b", &bitmap, true),
            Err(_) => this.link.busy.set(false),
        }
    }

    /// Sends an uploaded photo (a data URL) for the same checks, once the worker is ready.
    pub fn photo(&self, url: &str) {
        self.0.link.busy.set(true);
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
        } else if self.link.ready.get() {
            self.worker.post_message(&message)
        } else {
            self.link.waiting.replace(Some(message));
            Ok(())
        };
        if sent.is_err() {
            self.link.busy.set(false);
        }
    }
}

impl Drop for Inner {
    fn drop(&mut self) {
        self.worker.terminate();
    }
}
