//! The photo vault on S3, against a real S3-compatible server (moto, from PyPI, started by
//! the test): photos are written sealed, the vendor's signed URLs (served by Vouch, which
//! streams from the bucket) fetch them until the attempt is decided, and the vendor's key
//! decrypts them; retention, attempt deletion and garbage collection delete from the bucket.

use crate::{
    on_both_backends,
    support::{TestApp, TestDb, data_url, fixture_keys, jpeg_bytes, sfn},
};
use server::{store::attempts, vendors::software_secure};
use std::{
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

pub struct Moto(Child);

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts `python3 -m moto.server` on a free port; `cargo xtask test` installs moto.
pub async fn moto() -> (Moto, String) {
    let port = crate::support::free_port();
    let child = Command::new("python3")
        .args(["-m", "moto.server", "-H", "127.0.0.1", "-p", &port.to_string()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("python3 -m moto.server (pip install 'moto[server]'; cargo xtask test installs it)");
    let moto = Moto(child);
    let url = format!("http://127.0.0.1:{port}");
    let start = Instant::now();
    // Create the bucket (moto accepts unsigned requests), retrying until the server is up.
    loop {
        if let Ok(r) = reqwest::Client::new().put(format!("{url}/vouch-photos")).send().await
            && r.status().is_success()
        {
            break;
        }
        assert!(start.elapsed() < Duration::from_secs(30), "moto did not start");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    (moto, url)
}

/// Points `c` at the moto bucket under the prefix `tenant-a/`.
pub fn use_s3(c: &mut server::config::Config, endpoint: &str) {
    c.vault.backend = server::config::VaultBackend::S3;
    c.vault.s3_bucket = "vouch-photos".into();
    c.vault.s3_prefix = "tenant-a/".into();
    c.vault.s3_endpoint = Some(endpoint.to_owned());
    c.vault.s3_allow_http = true;
    c.vault.s3_access_key_id = Some("testing".into());
    c.vault.s3_secret_access_key = Some("testing".to_owned().into());
}

/// The keys in the moto bucket.
pub async fn bucket_keys(endpoint: &str) -> Vec<String> {
    let listing =
        reqwest::get(format!("{endpoint}/vouch-photos?list-type=2")).await.expect("list").text().await.expect("xml");
    listing.split("<Key>").skip(1).filter_map(|k| k.split("</Key>").next()).map(str::to_owned).collect()
}

#[tokio::test]
async fn photos_on_s3_with_signed_urls() {
    let (_moto, endpoint) = moto().await;
    let db = TestDb::sqlite().await;
    let (app, base) = TestApp::listening(&db, |c| use_s3(c, &endpoint)).await;
    let ada = app.login("ada").await;
    let photo = data_url("image/jpeg", &jpeg_bytes(400));
    let body = serde_json::json!({"request": {"face_image": photo, "photo_id_image": photo, "full_name": null}});
    let (s, v) = app.json(sfn("submit_photos", Some(&ada), body.to_string())).await;
    assert_eq!(s, 200, "{v}");
    assert!(db.photo_files().is_empty(), "nothing on local disk");

    // The objects sit under the prefix in the bucket, and none is a plaintext image.
    let listing =
        reqwest::get(format!("{endpoint}/vouch-photos?list-type=2")).await.expect("list").text().await.expect("xml");
    let keys: Vec<&str> = listing.split("<Key>").skip(1).filter_map(|k| k.split("</Key>").next()).collect();
    assert_eq!(keys.len(), 2, "{listing}");
    assert!(keys.iter().all(|k| k.starts_with("tenant-a/face/") || k.starts_with("tenant-a/photo_id/")), "{keys:?}");
    for key in &keys {
        let raw =
            reqwest::get(format!("{endpoint}/vouch-photos/{key}")).await.expect("get").bytes().await.expect("bytes");
        assert!(!raw.windows(3).any(|w| w == [0xFF, 0xD8, 0xFF]), "{key} is plaintext");
    }

    // The vendor's URLs are Vouch's signed URLs (never S3 presigned ones, which nothing can
    // revoke), streaming the sealed photos from the bucket.
    let mut conn = app.services.store.conn().await.expect("conn");
    let user = server::store::users::by_username(&mut conn, "ada").await.expect("q").expect("ada");
    let attempt = attempts::for_user(&mut conn, user.id).await.expect("list").remove(0);
    drop(conn);
    let request =
        software_secure::build_request(&app.services, &attempt, app.services.clock.now()).await.expect("request");
    let sent: serde_json::Value = serde_json::from_slice(&request.body).expect("json");
    let private = ssencrypt::parse_private_key(fixture_keys().private_pem).expect("key");
    for (url_field, key_field) in [("UserPhoto", "UserPhotoKey"), ("PhotoID", "PhotoIDKey")] {
        let url = sent[url_field].as_str().expect("url");
        assert!(url.starts_with(&format!("{base}/verify_student/photos/")) && !url.contains("X-Amz"), "{url}");
        let text =
            reqwest::get(url).await.expect("fetch").error_for_status().expect("200").bytes().await.expect("body");
        let aes = ssencrypt::unwrap_photo_key(sent[key_field].as_str().expect("key"), &private).expect("unwrap");
        assert_eq!(ssencrypt::decode_and_decrypt(&text, &aes).expect("decrypt"), jpeg_bytes(400));
    }

    // Once the attempt is decided, the same URLs are refused (a JSON 404).
    crate::retention::decide(&app.services, attempt.id, true).await;
    for field in ["UserPhoto", "PhotoID"] {
        let r = reqwest::get(sent[field].as_str().expect("url")).await.expect("fetch");
        assert_eq!(r.status(), 404, "{field}");
        let v: serde_json::Value = r.json().await.expect("JSON error");
        assert_eq!(v["error"]["code"], "not_found");
    }

    // Retirement deletes the objects from the bucket too.
    server::service::retire::retire_user(&app.services, user.id).await.expect("retire");
    let listing =
        reqwest::get(format!("{endpoint}/vouch-photos?list-type=2")).await.expect("list").text().await.expect("xml");
    assert!(!listing.contains("<Key>"), "{listing}");
}

async fn retention_delete_and_gc_on_s3(db: &TestDb) {
    use crate::retention::{decide, keys_of, services_at, submit_attempt};
    use server::{
        service::{attempt_delete, photo_gc, retention},
        store::photo_retention::Deleter,
    };
    let (_moto, endpoint) = moto().await;
    let (s, clock) = services_at(db, chrono::Utc::now(), |c| use_s3(c, &endpoint)).await;
    let decided = submit_attempt(&s, "ada").await;
    let pending = submit_attempt(&s, "bob").await;
    let doomed = submit_attempt(&s, "carol").await;
    decide(&s, decided.id, true).await;
    let in_bucket = |a: &attempts::PhotoVerification| -> Vec<String> {
        keys_of(a).into_iter().map(|k| format!("tenant-a/{k}")).collect()
    };
    assert_eq!(bucket_keys(&endpoint).await.len(), 6);

    clock.advance(chrono::Duration::days(31));
    let options = retention::SweepOptions { dry_run: false, deleter: Deleter::Cli, budget: None };
    let report = retention::sweep(&s, options, |_, _| {}).await.expect("sweep");
    assert_eq!((report.attempts, report.objects_deleted), (1, 2));
    let keys = bucket_keys(&endpoint).await;
    assert!(in_bucket(&decided).iter().all(|k| !keys.contains(k)), "{keys:?}");
    assert!(in_bucket(&pending).iter().chain(&in_bucket(&doomed)).all(|k| keys.contains(k)), "{keys:?}");

    let deleted = attempt_delete::delete_attempt(&s, &doomed.uuid).await.expect("delete");
    assert_eq!(deleted.photos, 2);
    let mut keys = bucket_keys(&endpoint).await;
    keys.sort();
    let mut expected = in_bucket(&pending);
    expected.sort();
    assert_eq!(keys, expected, "only the undecided attempt's photos remain");

    // An orphan, as a crash between writing the photos and the commit leaves it.
    s.vault.put("photo_id/0rphan-0000", b"sealed".to_vec()).await.expect("put");
    let report = photo_gc::collect(&s, std::time::Duration::ZERO, true, |_, _| {}).await.expect("dry gc");
    assert_eq!((report.objects, report.referenced, report.deleted), (3, 2, 1));
    assert_eq!(bucket_keys(&endpoint).await.len(), 3, "a dry run deletes nothing");
    let report = photo_gc::collect(&s, std::time::Duration::ZERO, false, |_, _| {}).await.expect("gc");
    assert_eq!(report.deleted_keys, ["photo_id/0rphan-0000"]);
    let mut keys = bucket_keys(&endpoint).await;
    keys.sort();
    assert_eq!(keys, expected);
}
on_both_backends!(retention_attempt_deletion_and_gc_delete_from_the_bucket, retention_delete_and_gc_on_s3);
