//! The worker's message loop: frame in, issues out.

use crate::guidance;
use js_sys::{Object, Reflect};
use quality::{FaceBox, Gray, Kind, WORK_SIDE, detect::Detector};
use std::{cell::RefCell, rc::Rc};
use wasm_bindgen::{JsCast, JsValue, prelude::Closure};
use wasm_bindgen_futures::{JsFuture, spawn_local};
use web_sys::{
    DedicatedWorkerGlobalScope, ImageBitmap, MessageEvent, OffscreenCanvas, OffscreenCanvasRenderingContext2d,
};

/// The answer's code for a frame or photo that could not be checked (see the crate docs).
const UNCHECKED: &str = "unchecked";

/// Installs the message handler. The rustface detector is built on the first face frame
/// (reading its model takes a moment) and kept.
pub fn start() {
    let scope: DedicatedWorkerGlobalScope = js_sys::global().unchecked_into();
    let detector: Rc<RefCell<Option<Detector>>> = Rc::new(RefCell::new(None));
    let reply_to = scope.clone();
    let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |ev: MessageEvent| {
        let (scope, detector) = (reply_to.clone(), detector.clone());
        spawn_local(async move {
            // A frame that could not be checked (no OffscreenCanvas, a bitmap the browser
            // could not draw, an undecodable upload) is not the learner's fault, so no
            // message; but it is no good frame either: the page must neither count it
            // toward auto-capture nor call an upload good.
            let lang = Reflect::get(&ev.data(), &"l".into()).ok().and_then(|l| l.as_string()).unwrap_or_default();
            let out = Object::new();
            let codes = match analyse(&ev.data(), &detector).await {
                Ok(codes) => codes,
                Err(_) => {
                    let _ = Reflect::set(&out, &"c".into(), &UNCHECKED.into());
                    let _ = scope.post_message(&out);
                    return;
                }
            };
            let first = codes.first().copied().unwrap_or("");
            let _ = Reflect::set(&out, &"c".into(), &first.into());
            let _ = Reflect::set(&out, &"a".into(), &codes.join(" ").into());
            let _ = Reflect::set(&out, &"t".into(), &guidance::advice(&lang, first).into());
            let _ = Reflect::set(&out, &"w".into(), &guidance::warning(&lang, first).into());
            let _ = scope.post_message(&out);
        });
    });
    scope.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    // The handler lives as long as the worker.
    on_message.forget();
    // Messages that came while the wasm was loading found no handler and are gone: the page
    // posts nothing before this.
    let _ = scope.post_message(&"ready".into());
}

async fn analyse(data: &JsValue, detector: &Rc<RefCell<Option<Detector>>>) -> Result<Vec<&'static str>, JsValue> {
    let kind =
        if Reflect::get(data, &"k".into())?.as_string().as_deref() == Some("id") { Kind::Id } else { Kind::Face };
    let bitmap: ImageBitmap = match Reflect::get(data, &"b".into())? {
        b if b.is_object() => b.unchecked_into(),
        _ => decode(&Reflect::get(data, &"u".into())?).await?,
    };
    let (w, h) = scaled(bitmap.width(), bitmap.height());
    let canvas = OffscreenCanvas::new(w, h)?;
    let ctx: OffscreenCanvasRenderingContext2d =
        canvas.get_context("2d")?.ok_or_else(|| JsValue::from_str("no 2d context"))?.unchecked_into();
    ctx.draw_image_with_image_bitmap_and_dw_and_dh(&bitmap, 0.0, 0.0, f64::from(w), f64::from(h))?;
    bitmap.close();
    let image = ctx.get_image_data(0.0, 0.0, f64::from(w), f64::from(h))?;
    let frame = Gray::from_rgba(&image.data().0, w, h, WORK_SIDE).ok_or_else(|| JsValue::from_str("empty frame"))?;
    let faces = match kind {
        Kind::Id => Vec::new(),
        Kind::Face => match browser_faces(&image).await {
            Some(faces) => faces,
            None => {
                let mut d = detector.borrow_mut();
                if d.is_none() {
                    *d = Detector::new();
                }
                d.as_mut().map(|d| d.faces(&frame)).unwrap_or_default()
            }
        },
    };
    Ok(quality::check(&frame, kind, &faces).into_iter().map(quality::Issue::code).collect())
}

/// The faces found by the browser's own detector (the Shape Detection API's `FaceDetector`),
/// where it has one; `None` sends the frame to rustface.
async fn browser_faces(image: &web_sys::ImageData) -> Option<Vec<FaceBox>> {
    let class = Reflect::get(&js_sys::global(), &"FaceDetector".into()).ok()?;
    let class: js_sys::Function = class.dyn_into().ok()?;
    let options = Object::new();
    let _ = Reflect::set(&options, &"maxDetectedFaces".into(), &JsValue::from_f64(4.0));
    let detector = Reflect::construct(&class, &js_sys::Array::of1(&options)).ok()?;
    let detect: js_sys::Function = Reflect::get(&detector, &"detect".into()).ok()?.dyn_into().ok()?;
    let promise: js_sys::Promise = detect.call1(&detector, image).ok()?.dyn_into().ok()?;
    // A browser that exposes the class without a backend rejects here: fall back.
    let found: js_sys::Array = JsFuture::from(promise).await.ok()?.dyn_into().ok()?;
    let num = |o: &JsValue, k: &str| Reflect::get(o, &k.into()).ok().and_then(|v| v.as_f64()).unwrap_or(0.0) as f32;
    Some(
        found
            .iter()
            .filter_map(|f| Reflect::get(&f, &"boundingBox".into()).ok())
            .map(|b| FaceBox { x: num(&b, "x"), y: num(&b, "y"), width: num(&b, "width"), height: num(&b, "height") })
            .collect(),
    )
}

/// An uploaded photo (a data URL) as a bitmap, decoded by the browser. The base64 is
/// decoded here: the worker's policy lets it fetch nothing but this origin.
async fn decode(url: &JsValue) -> Result<ImageBitmap, JsValue> {
    let scope: DedicatedWorkerGlobalScope = js_sys::global().unchecked_into();
    let url = url.as_string().ok_or_else(|| JsValue::from_str("no frame"))?;
    let encoded = url.split_once(',').map(|(_, b)| b).ok_or_else(|| JsValue::from_str("not a data URL"))?;
    let binary = scope.atob(encoded)?;
    let bytes: Vec<u8> = binary.chars().map(|c| c as u32 as u8).collect();
    let array = js_sys::Uint8Array::from(bytes.as_slice());
    let blob = web_sys::Blob::new_with_u8_array_sequence(&js_sys::Array::of1(&array))?;
    Ok(JsFuture::from(scope.create_image_bitmap_with_blob(&blob)?).await?.unchecked_into())
}

/// A `w`×`h` bitmap's size at most [`WORK_SIDE`] on its longest side.
fn scaled(w: u32, h: u32) -> (u32, u32) {
    let longest = w.max(h).max(1);
    if longest <= WORK_SIDE {
        return (w.max(1), h.max(1));
    }
    ((w * WORK_SIDE / longest).max(1), (h * WORK_SIDE / longest).max(1))
}
