//! The learner's page of the fake hosted vendor: camera, photo, submit. Plain HTML and JS.

/// The page for inquiry `id` with session `session`; `redirect_uri` and `parent_origin`
/// come from the platform and are passed to the script as JSON (never spliced as HTML).
pub(super) fn render(id: &str, session: &str, redirect_uri: &str, parent_origin: &str) -> String {
    let data = serde_json::json!({
        "id": id, "session": session, "redirect": redirect_uri, "parent": parent_origin,
    })
    .to_string()
    .replace("</", "<\\/");
    PAGE.replace("__DATA__", &data)
}

const PAGE: &str = r#"<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Verify your identity — Fake Hosted Vendor</title>
<style>
  body { font-family: system-ui, sans-serif; margin: 1rem; color: #1b1b1b; }
  video, img { width: 100%; max-width: 360px; border-radius: 6px; background: #222; display: block; }
  button { font-size: 1rem; padding: .5rem 1rem; margin: .5rem .5rem 0 0; }
  [hidden] { display: none !important; }
</style>
</head>
<body>
<h1 id="vendor-heading">Fake Hosted Vendor</h1>
<p id="instructions">Take a photo of your face. We check it and tell the platform.</p>
<video id="camera" autoplay playsinline muted></video>
<img id="captured" alt="Your photo" hidden>
<div>
  <button id="take-photo" disabled>Take photo</button>
  <button id="submit-photo" hidden>Submit</button>
</div>
<p id="message" role="status"></p>
<canvas id="canvas" hidden></canvas>
<script>
const cfg = __DATA__;
const video = document.getElementById('camera');
const img = document.getElementById('captured');
const take = document.getElementById('take-photo');
const submit = document.getElementById('submit-photo');
const message = document.getElementById('message');
let photo = null;
navigator.mediaDevices.getUserMedia({ video: true, audio: false }).then((stream) => {
  video.srcObject = stream;
  take.disabled = false;
}).catch((e) => { message.textContent = 'The camera is not available: ' + e.name; });
take.addEventListener('click', () => {
  const canvas = document.getElementById('canvas');
  canvas.width = video.videoWidth || 640;
  canvas.height = video.videoHeight || 480;
  canvas.getContext('2d').drawImage(video, 0, 0, canvas.width, canvas.height);
  photo = canvas.toDataURL('image/jpeg', 0.85);
  img.src = photo;
  img.hidden = false;
  video.hidden = true;
  submit.hidden = false;
  (video.srcObject?.getTracks() ?? []).forEach((t) => t.stop());
});
submit.addEventListener('click', async () => {
  submit.disabled = true;
  message.textContent = 'Sending…';
  const res = await fetch('/flow/' + encodeURIComponent(cfg.id) + '/submit', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ session: cfg.session, photo }),
  });
  if (!res.ok) { message.textContent = 'Something went wrong (' + res.status + ').'; submit.disabled = false; return; }
  message.textContent = 'Thank you. You can return to the platform.';
  document.body.dataset.done = 'true';
  if (window.parent !== window) {
    window.parent.postMessage('vouch-hosted:done', cfg.parent);
  } else {
    window.location.assign(cfg.redirect);
  }
});
</script>
</body>
</html>
"#;
