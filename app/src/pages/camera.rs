//! The browser camera through `getUserMedia`: start a stream into a `<video>`, capture a
//! downscaled JPEG, stop every track when done.

use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{CanvasRenderingContext2d, HtmlCanvasElement, HtmlVideoElement, MediaStream, MediaStreamTrack};

/// The longest side of a captured photo, in pixels: enough for a face or an ID to be read,
/// small enough that an upload stays far under the server's limit.
pub const MAX_SIDE: u32 = 1280;

/// JPEG quality of captured photos.
const JPEG_QUALITY: f64 = 0.85;

/// Asks for the camera (`facing` is `user` or `environment`) and plays it in `video`.
pub async fn start(video: &HtmlVideoElement, facing: &str) -> Result<MediaStream, JsValue> {
    let window = web_sys::window().ok_or_else(|| JsValue::from_str("no window"))?;
    let devices = window.navigator().media_devices()?;
    let video_constraints = js_sys::Object::new();
    js_sys::Reflect::set(&video_constraints, &"facingMode".into(), &facing.into())?;
    let constraints = web_sys::MediaStreamConstraints::new();
    constraints.set_video(&video_constraints);
    constraints.set_audio(&JsValue::FALSE);
    let stream: MediaStream =
        JsFuture::from(devices.get_user_media_with_constraints(&constraints)?).await?.dyn_into()?;
    video.set_muted(true);
    video.set_src_object(Some(&stream));
    // Autoplay may be refused; the stream is still attached and `play` is retried on capture.
    if let Ok(p) = video.play() {
        let _ = JsFuture::from(p).await;
    }
    Ok(stream)
}

/// Stops every track of `stream`, turning the camera light off.
pub fn stop(stream: &MediaStream) {
    for track in stream.get_tracks().iter() {
        if let Ok(track) = track.dyn_into::<MediaStreamTrack>() {
            track.stop();
        }
    }
}

/// Captures the current frame of `video` as a JPEG data URL, downscaled to [`MAX_SIDE`].
pub fn capture_jpeg(video: &HtmlVideoElement) -> Result<String, JsValue> {
    let (w, h) = (video.video_width(), video.video_height());
    if w == 0 || h == 0 {
        return Err(JsValue::from_str("the camera has no picture yet"));
    }
    let (cw, ch) = scaled(w, h, MAX_SIDE);
    let document = web_sys::window().and_then(|w| w.document()).ok_or_else(|| JsValue::from_str("no document"))?;
    let canvas: HtmlCanvasElement = document.create_element("canvas")?.dyn_into()?;
    canvas.set_width(cw);
    canvas.set_height(ch);
    let ctx: CanvasRenderingContext2d =
        canvas.get_context("2d")?.ok_or_else(|| JsValue::from_str("no 2d context"))?.dyn_into()?;
    ctx.draw_image_with_html_video_element_and_dw_and_dh(video, 0.0, 0.0, f64::from(cw), f64::from(ch))?;
    canvas.to_data_url_with_type_and_encoder_options("image/jpeg", &JsValue::from_f64(JPEG_QUALITY))
}

/// The size of a `w`×`h` frame scaled down (never up) so its longest side is at most `max`.
pub fn scaled(w: u32, h: u32, max: u32) -> (u32, u32) {
    let longest = w.max(h);
    if longest <= max {
        return (w, h);
    }
    let f = f64::from(max) / f64::from(longest);
    // Rounded products of u32 sides by a factor below 1 fit in u32.
    let s = |v: u32| ((f64::from(v) * f).round() as u32).max(1);
    (s(w), s(h))
}

#[cfg(test)]
mod tests {
    use super::scaled;

    #[test]
    fn downscales_only() {
        assert_eq!(scaled(640, 480, 1280), (640, 480));
        assert_eq!(scaled(3840, 2160, 1280), (1280, 720));
        assert_eq!(scaled(1080, 1920, 1280), (720, 1280));
        assert_eq!(scaled(10_000, 1, 1280), (1280, 1));
    }
}
