//! The behaviours of the fake vendor, one scenario per test.

use std::time::{Duration, Instant};

use chrono::Utc;
use serde_json::json;

use super::Harness;
use ssencrypt::http_date;

/// Long enough for a wrongly started background task to have called back.
const QUIET: Duration = Duration::from_millis(400);

#[tokio::test]
async fn pass_is_called_back_signed() {
    let h = Harness::start(|_| {}).await;
    assert_eq!(h.post(&h.submission("r-pass", "Ada Lovelace")).await, (200, json!({"ok": true})));
    let entry = h.finished("r-pass").await;
    assert_eq!(
        entry,
        json!({"edx_id": "r-pass", "received": 1, "result": "PASS", "callback_status": 200,
               "expected_name": "Ada Lovelace"})
    );
    let callbacks = h.callbacks();
    assert_eq!(callbacks.len(), 1);
    assert!(callbacks[0].verified, "callback signature verifies");
    assert_eq!(
        callbacks[0].body,
        json!({"EdX-ID": "r-pass", "Result": "PASS", "Reason": "", "MessageType": "VERIFIED"})
    );
}

#[tokio::test]
async fn deny_marker_fails_with_reasons() {
    let h = Harness::start(|_| {}).await;
    assert_eq!(h.post(&h.submission("r-deny", "Ada DENY Lovelace")).await.0, 200);
    assert_eq!(h.finished("r-deny").await["result"], "FAIL");
    let callback = &h.callbacks()[0];
    assert!(callback.verified);
    assert_eq!(callback.body["Result"], "FAIL");
    assert_eq!(
        callback.body["Reason"],
        json!([{"userPhotoReasons": ["Face out of view"]}, {"photoIdReasons": ["Photo hidden/No photo"]}])
    );
    assert_eq!(callback.body["MessageType"], "DENIED");
}

#[tokio::test]
async fn system_fail_marker() {
    let h = Harness::start(|c| c.system_fail_marker = "BOOM".to_owned()).await;
    assert_eq!(h.post(&h.submission("r-sys", "Ada BOOM")).await.0, 200);
    assert_eq!(h.finished("r-sys").await["result"], "SYSTEM FAIL");
    let callback = &h.callbacks()[0];
    assert!(callback.verified);
    assert_eq!(callback.body["Result"], "SYSTEM FAIL");
    assert!(callback.body["Reason"].as_str().is_some_and(|r| !r.is_empty()));
}

#[tokio::test]
async fn unusable_photos_fail() {
    let h = Harness::start(|_| {}).await;
    let mut missing = h.submission("r-404", "Ada");
    missing["PhotoID"] = json!(format!("http://{}/photo/nothing-here", h.peer_addr));
    assert_eq!(h.post(&missing).await.0, 200);
    assert_eq!(h.finished("r-404").await["result"], "FAIL");

    // Decrypts fine but is not an image.
    let mut garbage = h.submission("r-garbage", "Ada");
    let (url, key) = h.add_photo("not-an-image", b"plain text, not a JPEG");
    garbage["UserPhoto"] = json!(url);
    garbage["UserPhotoKey"] = json!(ssencrypt::user_photo_key(&key, &h.keys.public).unwrap());
    assert_eq!(h.post(&garbage).await.0, 200);
    assert_eq!(h.finished("r-garbage").await["result"], "FAIL");

    let reason_of =
        |id: &str| h.callbacks().into_iter().find(|c| c.body["EdX-ID"] == id).unwrap().body["Reason"].clone();
    assert_eq!(reason_of("r-404"), json!([{"photoIdReasons": ["Not provided"]}]));
    assert_eq!(reason_of("r-garbage"), json!([{"userPhotoReasons": ["Image not clear"]}]));
}

#[tokio::test]
async fn bad_requests_are_refused_and_not_processed() {
    let h = Harness::start(|_| {}).await;
    let body = h.submission("r-bad", "Ada");
    let now = http_date(Utc::now());
    let (status, error) = h.post_signed(&body, &now, "not the secret").await;
    assert_eq!((status, &error["error"]), (401, &json!("bad_signature")));
    assert_eq!(h.post_raw(b"{not json".to_vec(), Some(&now), None).await.0, 400);
    let (status, error) = h.post_raw(b"{}".to_vec(), Some(&now), None).await;
    assert_eq!((status, error["error"].as_str()), (401, Some("missing_authorization")));
    let mut incomplete = body.clone();
    incomplete.as_object_mut().unwrap().remove("UserPhotoKey");
    let (status, error) = h.post(&incomplete).await;
    assert_eq!((status, error["error"].as_str()), (400, Some("missing_field")));
    let mut not_string = body;
    not_string["ExpectedName"] = json!(42);
    assert_eq!(h.post(&not_string).await.0, 400);

    tokio::time::sleep(QUIET).await;
    assert!(h.callbacks().is_empty(), "nothing refused is processed");
    assert_eq!(h.report().await, json!({"requests": [], "refused": 5}));
}

#[tokio::test]
async fn dates_outside_the_window_are_refused() {
    let h = Harness::start(|_| {}).await;
    let body = h.submission("r-date", "Ada");
    let stale = http_date(Utc::now() - chrono::Duration::minutes(6));
    let future = http_date(Utc::now() + chrono::Duration::minutes(6));
    let obsolete_form = "Sunday, 06-Nov-94 08:49:37 GMT";
    for (date, code) in [(stale.as_str(), "stale_date"), (&future, "stale_date"), (obsolete_form, "bad_date")] {
        let (status, error) = h.post_signed(&body, date, &h.keys.secret).await;
        assert_eq!((status, error["error"].as_str()), (401, Some(code)), "{date}");
    }
    let recent = http_date(Utc::now() - chrono::Duration::minutes(4));
    assert_eq!(h.post_signed(&body, &recent, &h.keys.secret).await.0, 200, "inside the window");
    assert_eq!(h.finished("r-date").await["received"], 1);
    assert_eq!(h.report().await["refused"], 3);
}

#[tokio::test]
async fn fail_first_answers_500_then_processes_once() {
    let h = Harness::start(|c| c.fail_first = 2).await;
    let body = h.submission("r-flaky", "Ada");
    assert_eq!(h.post(&body).await.0, 500);
    assert_eq!(h.post(&body).await.0, 500);
    tokio::time::sleep(QUIET).await;
    assert!(h.callbacks().is_empty(), "fail-first requests are not processed");
    assert_eq!(h.post(&body).await, (200, json!({"ok": true})));
    let entry = h.finished("r-flaky").await;
    assert_eq!((entry["received"].as_u64(), entry["result"].as_str()), (Some(3), Some("PASS")));
    tokio::time::sleep(QUIET).await;
    assert_eq!(h.callbacks().len(), 1, "exactly one callback");
}

#[tokio::test]
async fn callback_is_retried_on_5xx() {
    let h = Harness::start(|_| {}).await;
    h.peer.answers.lock().unwrap().extend([503, 503]);
    assert_eq!(h.post(&h.submission("r-retry", "Ada")).await.0, 200);
    assert_eq!(h.finished("r-retry").await["callback_status"], 200);
    let callbacks = h.callbacks();
    let statuses: Vec<u16> = callbacks.iter().map(|c| c.status).collect();
    assert_eq!(statuses, [503, 503, 200], "delivered once, after two refusals");
    assert!(callbacks.iter().all(|c| c.verified && c.body["EdX-ID"] == "r-retry"));
}

#[tokio::test]
async fn callback_stops_on_4xx_and_records_it() {
    let h = Harness::start(|_| {}).await;
    h.peer.answers.lock().unwrap().push_back(400);
    assert_eq!(h.post(&h.submission("r-4xx", "Ada")).await.0, 200);
    assert_eq!(h.finished("r-4xx").await["callback_status"], 400);
    tokio::time::sleep(QUIET).await;
    assert_eq!(h.callbacks().len(), 1, "a 4xx is final");
}

#[tokio::test]
async fn report_counts_in_arrival_order_and_delays_apply() {
    let delay = Duration::from_millis(150);
    let h = Harness::start(|c| {
        c.delay = delay;
        c.callback_delay = delay;
    })
    .await;
    let health = h.client.get(format!("http://{}/healthz", h.vendor)).send().await.unwrap();
    assert_eq!(health.status(), 200);
    let (second, first) = (h.submission("r-b", "Bea"), h.submission("r-a", "Al"));
    let started = Instant::now();
    assert_eq!(h.post(&second).await.0, 200);
    assert!(started.elapsed() >= delay, "--delay-ms holds the answer");
    assert_eq!(h.post(&first).await.0, 200);
    assert_eq!(h.post(&second).await.0, 200);
    h.finished("r-a").await;
    h.finished("r-b").await;
    tokio::time::sleep(QUIET).await;
    let report = h.report().await;
    let summary: Vec<(&str, u64)> = report["requests"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["edx_id"].as_str().unwrap(), e["received"].as_u64().unwrap()))
        .collect();
    assert_eq!(summary, [("r-b", 2), ("r-a", 1)]);
    assert_eq!(report["refused"], 0);
    // The resend of r-b arrived while r-b was in review: answered, counted, not reviewed
    // twice (one verdict per receipt id).
    assert_eq!(h.callbacks().len(), 2, "each receipt id is reviewed once");
}

/// A `w`×`h` grayscale PNG of `f(x, y)`.
fn png(w: u32, h: u32, f: impl Fn(u32, u32) -> u8) -> Vec<u8> {
    let mut out = Vec::new();
    let mut encoder = png::Encoder::new(&mut out, w, h);
    encoder.set_color(png::ColorType::Grayscale);
    let mut writer = encoder.write_header().unwrap();
    let pixels: Vec<u8> = (0..h).flat_map(|y| (0..w).map(move |x| (x, y))).map(|(x, y)| f(x, y)).collect();
    writer.write_image_data(&pixels).unwrap();
    writer.finish().unwrap();
    out
}

/// scikit-image's astronaut (a real face), shipped in its package (`cargo xtask test`
/// installs scikit-image).
fn astronaut() -> Vec<u8> {
    let out = std::process::Command::new("python3")
        .args(["-c", "import importlib.util as u; print(u.find_spec('skimage').submodule_search_locations[0])"])
        .output()
        .expect("python3");
    assert!(out.status.success(), "scikit-image is missing (pip install scikit-image)");
    let dir = String::from_utf8_lossy(&out.stdout).trim().to_owned();
    std::fs::read(format!("{dir}/data/astronaut.png")).expect("astronaut.png")
}

#[tokio::test]
async fn quality_rules_deny_dark_and_faceless_photos_and_pass_a_good_one() {
    let h = Harness::start(|c| c.quality_rules = true).await;
    // A sharp, evenly lit ID (a checkerboard): only the face photo decides.
    let id = png(320, 240, |x, y| if (x / 8 + y / 8) % 2 == 0 { 60 } else { 200 });
    let dark = png(320, 240, |x, y| ((x + y) % 16) as u8);
    let faceless = id.clone();
    for (edx_id, face) in [("q-good", astronaut()), ("q-dark", dark), ("q-noface", faceless)] {
        assert_eq!(h.post(&h.submission_with(edx_id, "Ada Lovelace", &id, &face)).await.0, 200);
        h.finished(edx_id).await;
    }
    let by_id = |id: &str| h.callbacks().into_iter().find(|c| c.body["EdX-ID"] == id).expect(id).body;
    assert_eq!(by_id("q-good")["Result"], "PASS");
    assert_eq!(by_id("q-dark")["Result"], "FAIL");
    assert_eq!(by_id("q-dark")["Reason"], json!([{"userPhotoReasons": ["Image not clear"]}]));
    assert_eq!(by_id("q-noface")["Reason"], json!([{"userPhotoReasons": ["Face out of view"]}]));
    // The same photos without the rules pass: the rules, not the photos' format, deny.
    let off = Harness::start(|_| {}).await;
    let dark = png(320, 240, |x, y| ((x + y) % 16) as u8);
    assert_eq!(off.post(&off.submission_with("q-off", "Ada Lovelace", &id, &dark)).await.0, 200);
    assert_eq!(off.finished("q-off").await["result"], "PASS");
}
