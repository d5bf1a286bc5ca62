//! Switching vendors never reuses an ID photo sealed for the other key pair: after an
//! operator moves from `software_secure` to `in_house` (or back), a learner's earlier
//! approved ID photo is wrapped for a key the new reader cannot unwrap, so the flow asks
//! for a new one; reuse within one destination still works and still decrypts.

use crate::{
    on_both_backends,
    review_support::{claim, decide, in_house_config, req, reviewer},
    support::{TestApp, TestDb, data_url, jpeg_bytes, sfn},
};
use axum::http::StatusCode;
use serde_json::{Value, json};

async fn flow_info(app: &TestApp, cookie: &str) -> Value {
    let (s, info) = app.json(sfn("flow_info", Some(cookie), String::new())).await;
    assert_eq!(s, StatusCode::OK, "{info}");
    info
}

fn request(face: &[u8], id: Option<&[u8]>) -> String {
    let id = id.map(|b| data_url("image/jpeg", b));
    json!({"request": {"face_image": data_url("image/jpeg", face), "photo_id_image": id, "full_name": "Ada Lovelace"}})
        .to_string()
}

async fn last_receipt(app: &TestApp) -> String {
    let (receipt,): (String,) =
        sqlx::query_as("select receipt_id from photo_verification order by attempt_id desc limit 1")
            .fetch_one(&mut *app.services.store.conn().await.expect("conn"))
            .await
            .expect("attempt");
    receipt
}

async fn switch(db: &TestDb) {
    use app::domain::photo_lifecycle::{PhotoOp, Reviewer};
    use server::{service::lifecycle, store::transitions::Actor};
    let (face, id) = (jpeg_bytes(100), jpeg_bytes(120));

    // An approved Software Secure attempt, ID photo sealed for the vendor's key.
    let ss = TestApp::new(db).await;
    let ada = ss.login("ada").await;
    let (s, v) = ss.json(sfn("submit_photos", Some(&ada), request(&face, Some(&id)))).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let mut conn = ss.services.store.conn().await.expect("conn");
    let user = server::store::users::by_username(&mut conn, "ada").await.expect("q").expect("ada");
    let first = server::store::attempts::for_user(&mut conn, user.id).await.expect("list")[0].clone();
    drop(conn);
    let vendor = Actor::Vendor("SoftwareSecure".into());
    lifecycle::apply(&ss.services, first.id, &PhotoOp::MarkSubmit, &vendor, "").await.expect("submitted");
    let approve = PhotoOp::Approve { reviewer: Reviewer { user: None, service: "SoftwareSecure".into() } };
    lifecycle::apply(&ss.services, first.id, &approve, &vendor, "").await.expect("approved");
    assert_eq!(flow_info(&ss, &ada).await["id_photo_on_file"], json!(true), "reusable under software_secure");

    // The operator switches to in_house; the learner reverifies in the expiring-soon window.
    let ih = TestApp::with_config(db, in_house_config(db)).await;
    ih.clock.advance(chrono::Duration::days(345));
    let ada = ih.login("ada").await;
    let info = flow_info(&ih, &ada).await;
    assert_eq!(info["id_photo_on_file"], json!(false), "a vendor-sealed ID photo is not on file for in_house: {info}");
    let (s, v) = ih.json(sfn("submit_photos", Some(&ada), request(&face, None))).await;
    assert_eq!((s, &v["error"]["code"]), (StatusCode::BAD_REQUEST, &json!("invalid_image")), "{v}");
    assert_eq!(last_receipt(&ih).await, first.receipt_id, "nothing stored");

    // With a new ID photo it goes to the queue; a reviewer approves it.
    let (s, v) = ih.json(sfn("submit_photos", Some(&ada), request(&face, Some(&id)))).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let in_house_first = last_receipt(&ih).await;
    let rita = reviewer(&ih, "rita").await;
    assert_eq!(claim(&ih, &rita).await.1["receipt_id"], in_house_first.as_str());
    let (s, v) = decide(&ih, &rita, &in_house_first, json!({"decision": "approve"})).await;
    assert_eq!(s, StatusCode::OK, "{v}");

    // in_house -> in_house: the ID photo is reused, and both photos still decrypt.
    ih.clock.advance(chrono::Duration::days(345));
    assert_eq!(flow_info(&ih, &ada).await["id_photo_on_file"], json!(true));
    let (s, v) = ih.json(sfn("submit_photos", Some(&ada), request(&face, None))).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let reused = last_receipt(&ih).await;
    assert_eq!(claim(&ih, &rita).await.1["receipt_id"], reused.as_str());
    let (s, headers, body) = ih.send(req("GET", &format!("/api/v1/reviews/{reused}"), Some(&rita), None)).await;
    let detail: Value = serde_json::from_slice(&body).expect("json");
    assert_eq!(s, StatusCode::OK, "{detail}");
    assert_eq!(headers[axum::http::header::CACHE_CONTROL], "no-store", "the details are never cached");
    assert_eq!(detail["id_photo_reused"], true);
    for (link, want) in [(&detail["photos"]["face"], &face), (&detail["photos"]["photo_id"], &id)] {
        let (st, _, body) = ih.send(req("GET", link.as_str().expect("link"), Some(&rita), None)).await;
        assert_eq!(st, StatusCode::OK, "{link}");
        assert_eq!(&body, want, "{link} decrypts to the submitted photo");
    }

    // And back to software_secure: the in_house (review-key) ID photo is not on file there.
    let back = TestApp::new(db).await;
    back.clock.advance(chrono::Duration::days(345 * 2));
    let ada = back.login("ada").await;
    assert_eq!(flow_info(&back, &ada).await["id_photo_on_file"], json!(false), "a review-key ID photo is not reused");
    let (s, v) = back.json(sfn("submit_photos", Some(&ada), request(&face, None))).await;
    assert_eq!((s, &v["error"]["code"]), (StatusCode::BAD_REQUEST, &json!("invalid_image")), "{v}");
}
on_both_backends!(switching_vendors_never_reuses_an_id_photo_sealed_for_the_other_key_pair, switch);
