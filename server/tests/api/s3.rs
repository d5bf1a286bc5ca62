//! The photo vault on S3, against a real S3-compatible server (moto, from PyPI, started by
//! the test): photos are written sealed, the vendor's presigned URLs fetch them, and the
//! vendor's key decrypts them.

use crate::support::{TestApp, TestDb, data_url, fixture_keys, jpeg_bytes, sfn};
use server::{crypto, store::attempts, vendors::software_secure};
use std::{
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

struct Moto(Child);

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts `python3 -m moto.server` on a free port; `cargo xtask test` installs moto.
async fn moto() -> (Moto, String) {
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

#[tokio::test]
async fn photos_on_s3_with_presigned_urls() {
    let (_moto, endpoint) = moto().await;
    let db = TestDb::sqlite().await;
    let (app, _) = TestApp::listening(&db, |c| {
        c.vault.backend = server::config::VaultBackend::S3;
        c.vault.s3_bucket = "vouch-photos".into();
        c.vault.s3_prefix = "tenant-a/".into();
        c.vault.s3_endpoint = Some(endpoint.clone());
        c.vault.s3_allow_http = true;
        c.vault.s3_access_key_id = Some("testing".into());
        c.vault.s3_secret_access_key = Some("testing".to_owned().into());
    })
    .await;
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

    // The vendor's URLs are presigned S3 URLs that fetch the sealed photos.
    let mut conn = app.services.store.conn().await.expect("conn");
    let user = server::store::users::by_username(&mut conn, "ada").await.expect("q").expect("ada");
    let attempt = attempts::for_user(&mut conn, user.id).await.expect("list").remove(0);
    drop(conn);
    let request =
        software_secure::build_request(&app.services, &attempt, app.services.clock.now()).await.expect("request");
    let sent: serde_json::Value = serde_json::from_slice(&request.body).expect("json");
    let private = crypto::parse_private_key(fixture_keys().private_pem).expect("key");
    for (url_field, key_field) in [("UserPhoto", "UserPhotoKey"), ("PhotoID", "PhotoIDKey")] {
        let url = sent[url_field].as_str().expect("url");
        assert!(url.starts_with(&endpoint) && url.contains("X-Amz-Signature="), "{url}");
        let text =
            reqwest::get(url).await.expect("fetch").error_for_status().expect("200").bytes().await.expect("body");
        let aes = crypto::unwrap_photo_key(sent[key_field].as_str().expect("key"), &private).expect("unwrap");
        assert_eq!(crypto::decode_and_decrypt(&text, &aes).expect("decrypt"), jpeg_bytes(400));
    }

    // Retirement deletes the objects from the bucket too.
    server::service::retire::retire_user(&app.services, user.id).await.expect("retire");
    let listing =
        reqwest::get(format!("{endpoint}/vouch-photos?list-type=2")).await.expect("list").text().await.expect("xml");
    assert!(!listing.contains("<Key>"), "{listing}");
}
