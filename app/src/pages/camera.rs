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

/// Why the camera cannot be used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CameraError {
    /// The learner or the browser refused the permission.
    Denied,
    /// No camera, no `mediaDevices` (old browser, insecure page), or the camera is busy.
    Unavailable,
}

impl CameraError {
    /// The error for a `DOMException` name from `getUserMedia`.
    pub fn from_name(name: &str) -> Self {
        match name {
            "NotAllowedError" | "SecurityError" | "PermissionDeniedError" => Self::Denied,
            _ => Self::Unavailable,
        }
    }

    fn from_js(e: &JsValue) -> Self {
        let name = js_sys::Reflect::get(e, &"name".into()).ok().and_then(|n| n.as_string()).unwrap_or_default();
        Self::from_name(&name)
    }
}

/// Opens a camera stream, the `facing` one (`user` or `environment`) preferred.
pub async fn open(facing: &str) -> Result<MediaStream, CameraError> {
    let window = web_sys::window().ok_or(CameraError::Unavailable)?;
    let navigator = window.navigator();
    // Old browsers and insecure pages have no `navigator.mediaDevices` at all.
    let has_devices = js_sys::Reflect::get(&navigator, &"mediaDevices".into()).is_ok_and(|d| !d.is_undefined());
    if !has_devices {
        return Err(CameraError::Unavailable);
    }
    let devices = navigator.media_devices().map_err(|_| CameraError::Unavailable)?;
    let video_constraints = js_sys::Object::new();
    // `ideal`: a laptop without a back camera still gets its only camera.
    let facing_mode = js_sys::Object::new();
    let _ = js_sys::Reflect::set(&facing_mode, &"ideal".into(), &facing.into());
    let _ = js_sys::Reflect::set(&video_constraints, &"facingMode".into(), &facing_mode);
    let constraints = web_sys::MediaStreamConstraints::new();
    constraints.set_video(&video_constraints);
    constraints.set_audio(&JsValue::FALSE);
    let promise = devices.get_user_media_with_constraints(&constraints).map_err(|e| CameraError::from_js(&e))?;
    let stream = JsFuture::from(promise).await.map_err(|e| CameraError::from_js(&e))?;
    stream.dyn_into().map_err(|_| CameraError::Unavailable)
}

/// Asks for the camera permission once and closes the camera again.
pub async fn probe() -> Result<(), CameraError> {
    let stream = open("user").await?;
    stop(&stream);
    Ok(())
}

/// Asks for the camera (`facing` is `user` or `environment`) and plays it in `video`.
pub async fn start(video: &HtmlVideoElement, facing: &str) -> Result<MediaStream, CameraError> {
    let stream = open(facing).await?;
    video.set_muted(true);
    video.set_src_object(Some(&stream));
    // Autoplay may be refused; the stream is still attached and `play` is retried on capture.
    if let Ok(p) = video.play() {
        let _ = JsFuture::from(p).await;
    }
    Ok(stream)
}

/// Why an uploaded file is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileError {
    /// Not a JPEG or PNG.
    WrongType,
    /// Larger than the server accepts.
    TooBig,
    /// The browser could not read it.
    Unreadable,
}

/// Checks an upload before reading it: JPEG or PNG, at most `max` bytes.
pub fn check_file(mime: &str, size: f64, max: u64) -> Result<(), FileError> {
    if !matches!(mime, "image/jpeg" | "image/png") {
        return Err(FileError::WrongType);
    }
    // Sizes of real files are whole numbers far below 2^53, so the f64 comparison is exact.
    if size > max as f64 {
        return Err(FileError::TooBig);
    }
    Ok(())
}

/// Reads an uploaded photo as a data URL after [`check_file`]; the content is checked
/// again by its first bytes, so a text file named `.jpg` is refused here, not at submit.
pub async fn read_file(file: &web_sys::File, max: u64) -> Result<String, FileError> {
    check_file(&file.type_(), file.size(), max)?;
    let buffer = JsFuture::from(file.array_buffer()).await.map_err(|_| FileError::Unreadable)?;
    let bytes = js_sys::Uint8Array::new(&buffer).to_vec();
    let mime = sniff(&bytes).ok_or(FileError::WrongType)?;
    Ok(format!("data:{mime};base64,{}", base64(&bytes)))
}

/// The image type of `bytes` from their signature.
pub fn sniff(bytes: &[u8]) -> Option<&'static str> {
    if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some("image/jpeg")
    } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some("image/png")
    } else {
        None
    }
}

/// Standard base64 with padding (a dozen lines instead of a crate in the learner's download).
pub fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [chunk[0], chunk.get(1).copied().unwrap_or(0), chunk.get(2).copied().unwrap_or(0)];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
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
    use super::{CameraError, FileError, base64, check_file, scaled, sniff};

    #[test]
    fn base64_matches_the_standard() {
        assert_eq!(base64(b""), "");
        assert_eq!(base64(b"f"), "Zg==");
        assert_eq!(base64(b"fo"), "Zm8=");
        assert_eq!(base64(b"foo"), "Zm9v");
        assert_eq!(base64(b"foobar"), "Zm9vYmFy");
        assert_eq!(base64(&[0xFF, 0xD8, 0xFF, 0xE0]), "/9j/4A==");
    }

    #[test]
    fn uploads_are_checked() {
        assert_eq!(check_file("image/jpeg", 1000.0, 5000), Ok(()));
        assert_eq!(check_file("image/png", 5000.0, 5000), Ok(()));
        assert_eq!(check_file("image/png", 5001.0, 5000), Err(FileError::TooBig));
        assert_eq!(check_file("image/gif", 10.0, 5000), Err(FileError::WrongType));
        assert_eq!(check_file("text/plain", 10.0, 5000), Err(FileError::WrongType));
        assert_eq!(check_file("", 10.0, 5000), Err(FileError::WrongType));
        assert_eq!(sniff(&[0xFF, 0xD8, 0xFF, 0xDB]), Some("image/jpeg"));
        assert_eq!(sniff(b"\x89PNG\r\n\x1a\n...."), Some("image/png"));
        assert_eq!(sniff(b"hello"), None);
    }

    #[test]
    fn camera_errors_by_name() {
        assert_eq!(CameraError::from_name("NotAllowedError"), CameraError::Denied);
        assert_eq!(CameraError::from_name("NotFoundError"), CameraError::Unavailable);
        assert_eq!(CameraError::from_name("NotReadableError"), CameraError::Unavailable);
    }

    #[test]
    fn downscales_only() {
        assert_eq!(scaled(640, 480, 1280), (640, 480));
        assert_eq!(scaled(3840, 2160, 1280), (1280, 720));
        assert_eq!(scaled(1080, 1920, 1280), (720, 1280));
        assert_eq!(scaled(10_000, 1, 1280), (1280, 1));
    }
}
