//! Denial reasons read as sentences (Open edX's `parsed_error_msg`) wherever a learner reads
//! them: the accounts API's `message`, Vouch's status API, the SPA's status server function
//! and the denial email; in English and French; never the vendor's raw codes.

use crate::{
    emails::Sink,
    lifecycle_events::{learner, submit_photos, vendor},
    on_both_backends,
    support::{TestApp, TestDb, sfn},
};
use app::domain::photo_lifecycle::PhotoOp;
use axum::{
    body::Body,
    http::{Request, StatusCode, header},
};
use server::{service::lifecycle, store::transitions::Actor};

/// Two codes Open edX knows, one it does not, and a repeat.
const VENDOR_REASONS: &str = r#"[{"photoIdReasons": ["Not provided"]}, {"userPhotoReasons": ["Face out of view"]},
    {"photoIdReasons": ["Laminated glare 7"]}, {"photoIdReasons": ["Not provided"]}]"#;

const EN: [&str; 3] = [
    "No photo ID was provided.",
    "Your face was not visible in your self-photo.",
    "Your photos could not be verified. Please take new photos of your face and your ID.",
];
const FR: [&str; 3] = [
    "Aucune pièce d'identité avec photo n'a été fournie.",
    "Votre visage n'était pas visible sur votre photo.",
    "Vos photos n'ont pas pu être vérifiées. Reprenez une photo de votre visage et de votre pièce d'identité.",
];

fn get(path: &str, cookie: &str, language: Option<&str>) -> Request<Body> {
    let mut req = Request::get(path).header(header::COOKIE, cookie);
    if let Some(l) = language {
        req = req.header(header::ACCEPT_LANGUAGE, l);
    }
    req.body(Body::empty()).expect("request")
}

fn no_raw_codes(text: &str) {
    for raw in ["photoIdReasons", "userPhotoReasons", "Not provided", "Face out of view", "Laminated", "[{"] {
        assert!(!text.contains(raw), "raw vendor text {raw:?} in {text}");
    }
}

/// A learner denied with [`VENDOR_REASONS`].
async fn denied_learner(app: &TestApp) -> String {
    let (cookie, _) = learner(app, "ada", "Ada Lovelace").await;
    let (photo, _) = submit_photos(app, &cookie, "Ada Lovelace").await;
    let actor = Actor::Vendor("test".into());
    lifecycle::apply(&app.services, photo, &PhotoOp::MarkSubmit, &actor, "sent").await.expect("submit");
    let deny = PhotoOp::Deny { error_msg: VENDOR_REASONS.into(), error_code: "x".into(), reviewer: vendor() };
    lifecycle::apply(&app.services, photo, &deny, &actor, "verdict").await.expect("deny");
    cookie
}

async fn readable_in_the_apis(db: &TestDb) {
    let app = TestApp::new(db).await;
    let ada = denied_learner(&app).await;

    // Open edX's accounts API: one sentence per reason, each once, in the asked language.
    let path = "/api/user/v1/accounts/ada/verifications/";
    for (language, want) in
        [(None, EN), (Some("en-GB"), EN), (Some("fr-CA,fr;q=0.9,en;q=0.8"), FR), (Some("de, fr;q=0.5"), FR)]
    {
        let (status, list) = app.json(get(path, &ada, language)).await;
        assert_eq!(status, StatusCode::OK, "{list}");
        let message = list[0]["message"].as_str().expect("message");
        assert_eq!(message, want.join(" "), "{language:?}");
        no_raw_codes(message);
    }
    // Quality values decide, not the order.
    let (_, list) = app.json(get(path, &ada, Some("fr;q=0.2, en;q=0.9"))).await;
    assert_eq!(list[0]["message"].as_str(), Some(EN.join(" ").as_str()));

    // Vouch's status API: the sentences as a list; `error` keeps the stored codes for staff.
    let (status, body) = app.json(get("/api/v1/users/ada/status", &ada, Some("fr"))).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["status"], "must_reverify");
    assert_eq!(body["reasons"], serde_json::json!(FR));

    // The SPA's status: stable reason codes, which it words in the browser's language.
    let (status, body) = app.json(sfn("verification_status", Some(&ada), "{}".into())).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["reasons"], serde_json::json!(["id_not_provided", "face_out_of_view", "unknown"]));
}
on_both_backends!(denial_reasons_read_as_sentences_in_the_apis, readable_in_the_apis);

async fn not_for_other_statuses(db: &TestDb) {
    let app = TestApp::new(db).await;
    let (ada, _) = learner(&app, "ada", "Ada Lovelace").await;
    let (photo, _) = submit_photos(&app, &ada, "Ada Lovelace").await;
    // A system error (must_retry) is the operator's business, not a reason for the learner.
    let actor = Actor::Vendor("test".into());
    lifecycle::apply(&app.services, photo, &PhotoOp::MarkSubmit, &actor, "sent").await.expect("submit");
    let err = PhotoOp::SystemError { error_msg: "vendor said 502".into(), error_code: "".into(), reviewer: vendor() };
    lifecycle::apply(&app.services, photo, &err, &actor, "boom").await.expect("error");
    let (status, list) = app.json(get("/api/user/v1/accounts/ada/verifications/", &ada, None)).await;
    assert_eq!(status, StatusCode::OK, "{list}");
    assert_eq!(list[0]["status"], "must_retry");
    assert_eq!(list[0]["message"], "");
}
on_both_backends!(a_system_error_is_no_denial_reason, not_for_other_statuses);

async fn french_denial_email(db: &TestDb) {
    let sink = Sink::start(db.dir.path()).await;
    let mut cfg = db.config();
    sink.configure(&mut cfg);
    cfg.email.language = "fr".into();
    let app = TestApp::with_config(db, cfg).await;
    denied_learner(&app).await;
    server::reactions::runner(app.services.clone(), "test").run_until_idle().await;
    let mails = sink.wait_for(2).await;
    let denied = mails.iter().find(|m| m.body.contains("Pourquoi :")).unwrap_or_else(|| panic!("{mails:#?}"));
    assert!(denied.body.contains("Bonjour Ada Lovelace,"), "{}", denied.body);
    for sentence in FR {
        assert!(denied.body.contains(&format!("- {sentence}")), "{sentence:?} not in {}", denied.body);
    }
    no_raw_codes(&denied.body);
}
on_both_backends!(the_denial_email_lists_readable_reasons_in_the_site_language, french_denial_email);

/// A language Vouch cannot write stops the start with a message an operator can act on.
async fn unknown_email_language(db: &TestDb) {
    use crate::trust_config::{assert_refused, start};
    let d = crate::process_support::Deployment::without_vendor(db);
    let refused = start(&d, &["serve"], &[("VOUCH_EMAIL__LANGUAGE", "de")], &[]);
    assert_refused("email.language", refused, "email.language", "VOUCH_EMAIL__LANGUAGE", "set it to `en` or `fr`");
}
on_both_backends!(an_unknown_email_language_stops_the_start, unknown_email_language);

/// Vouch's attempts list reads like the accounts API: a denied attempt's `message` is the
/// sentences in the asked language, never the vendor's raw JSON.
async fn readable_in_the_attempts_list(db: &TestDb) {
    let app = TestApp::new(db).await;
    let ada = denied_learner(&app).await;
    for (language, want) in [(None, EN), (Some("fr"), FR)] {
        let (status, body) = app.json(get("/api/v1/users/ada/attempts", &ada, language)).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["results"][0]["status"], "denied", "{body}");
        let message = body["results"][0]["message"].as_str().expect("message");
        assert_eq!(message, want.join(" "), "{language:?}");
        no_raw_codes(message);
    }
}
on_both_backends!(denial_reasons_read_as_sentences_in_the_attempts_list, readable_in_the_attempts_list);
