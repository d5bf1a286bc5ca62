//! Vouch as a library (`server::App::builder()`): a vendor, a `VendorRequested` step, a
//! subscriber and a route added from outside the crate, driven through HTTP. The routed
//! learner's attempt goes to the added vendor and records it; other learners keep the
//! default vendor; callbacks reach every registered vendor; the subscriber gets the
//! decision; a bad registry or plugin table is refused with a clear message.

use crate::support::{TestApp, TestDb, data_url, jpeg_bytes, sfn};
use app::domain::{GenericStatus, UserId};
use app::dto::SubmitPhotosRequest;
use axum::{
    Json,
    body::Body,
    extract::State,
    http::{HeaderMap, Request, StatusCode, header},
};
use serde_json::{Value, json};
use server::{
    App,
    events::Event,
    http::AppState,
    reactions::{Subscriber, SubscriberError},
    service::{
        ServiceError, Services,
        filters::{FilterStep, StepOutcome, VendorRequested},
        generic_attempts,
    },
    store::{hosted, transitions::Actor, users},
    vendors::{Handoff, IdvVendor, RegistryError, VendorError},
};
use std::sync::{Arc, Mutex};

const ACME: &str = "acme_test";
const TOKEN: &str = "acme-callback-token";

/// A hosted-style vendor: `start` records a generic attempt (vendor `acme_test`, reference
/// `ref-<user>`); its callback carries a shared token and `{"reference", "status"}`. It keeps
/// the course each `start` was given.
#[derive(Default)]
struct Acme {
    submitted: Mutex<Vec<(UserId, Option<String>)>>,
    started: Mutex<Vec<(UserId, Option<String>)>>,
}

#[async_trait::async_trait]
impl IdvVendor for Acme {
    fn name(&self) -> &'static str {
        ACME
    }

    fn default_filler(&self) -> &'static str {
        app::slot::HOSTED
    }

    async fn start(&self, services: &Services, user: UserId, course_id: Option<&str>) -> Result<Handoff, VendorError> {
        self.started.lock().expect("lock").push((user, course_id.map(str::to_owned)));
        let reference = format!("ref-{}", user.0);
        let open = {
            let mut conn = services.store.conn().await?;
            hosted::latest_for_user(&mut conn, user, ACME).await?
        };
        if open.is_none() {
            let attempt = generic_attempts::GenericAttempt {
                user,
                name: "Routed Learner".into(),
                status: GenericStatus::Created.as_str().into(),
                expiration: None,
                hide_status_from_user: false,
                vendor: ACME.into(),
                vendor_reference: reference.clone(),
            };
            generic_attempts::create_verification_attempt(services, attempt, &Actor::Learner(user)).await?;
        }
        Ok(Handoff::Hosted { url: format!("https://acme.invalid/flow/{reference}") })
    }

    async fn submit(&self, _: &Services, user: UserId, request: SubmitPhotosRequest) -> Result<(), VendorError> {
        self.submitted.lock().expect("lock").push((user, request.course_key));
        Ok(())
    }

    async fn receive(
        &self,
        services: &Services,
        headers: &HeaderMap,
        body: &[u8],
    ) -> Result<&'static str, VendorError> {
        if headers.get("x-acme-token").and_then(|v| v.to_str().ok()) != Some(TOKEN) {
            return Err(VendorError::Unauthorized);
        }
        let body: Value = serde_json::from_slice(body).map_err(|_| VendorError::BadRequest("bad JSON".into()))?;
        let (Some(reference), Some(status)) = (body["reference"].as_str(), body["status"].as_str()) else {
            return Err(VendorError::BadRequest("reference and status are required".into()));
        };
        let to = self.map_status(status).ok_or_else(|| VendorError::BadRequest("unknown status".into()))?;
        let attempt = {
            let mut conn = services.store.conn().await?;
            hosted::by_reference(&mut conn, ACME, reference).await?
        }
        .ok_or_else(|| VendorError::BadRequest("unknown reference".into()))?;
        let expiration = Some(Some(services.clock.now() + chrono::Duration::days(30)));
        generic_attempts::update_verification_attempt(
            services,
            attempt.id,
            None,
            Some(to.as_str()),
            expiration,
            &Actor::Vendor(ACME.into()),
        )
        .await
        .map_err(|e| match e {
            ServiceError::Conflict(m) => VendorError::Conflict(m.to_string()),
            e => VendorError::Service(e),
        })?;
        Ok("{}")
    }

    fn map_status(&self, vendor_status: &str) -> Option<GenericStatus> {
        match vendor_status {
            "approved" => Some(GenericStatus::Approved),
            "declined" => Some(GenericStatus::Denied),
            _ => None,
        }
    }
    fn frame_url(&self, _: &server::config::Config) -> Option<String> {
        Some("https://acme.invalid/flow".into())
    }
}

/// Routes learners whose username starts with `acme_` to the Acme vendor.
struct RouteAcmeLearners;

#[async_trait::async_trait]
impl FilterStep<VendorRequested> for RouteAcmeLearners {
    async fn run(&self, services: &Services, mut data: VendorRequested) -> StepOutcome<VendorRequested> {
        let Ok(mut conn) = services.store.conn().await else { return StepOutcome::Continue(data) };
        if let Ok(Some(u)) = users::by_id(&mut conn, data.user).await
            && u.username.starts_with("acme_")
        {
            data.vendor = ACME.into();
        }
        StepOutcome::Continue(data)
    }
}

/// Sends every learner to a vendor nobody registered (the default must serve).
struct RouteNowhere;

#[async_trait::async_trait]
impl FilterStep<VendorRequested> for RouteNowhere {
    async fn run(&self, _: &Services, mut data: VendorRequested) -> StepOutcome<VendorRequested> {
        if data.course_id.as_deref() == Some("course-v1:Nowhere+N+1") {
            data.vendor = "persona".into();
        }
        StepOutcome::Continue(data)
    }
}

/// Keeps the events it is handed.
#[derive(Default)]
struct Recorder {
    seen: Mutex<Vec<String>>,
}

#[async_trait::async_trait]
impl Subscriber for Recorder {
    fn name(&self) -> &'static str {
        "test_recorder"
    }

    async fn handle(&self, _: &Services, _: i64, event: &Event) -> Result<(), SubscriberError> {
        self.seen.lock().expect("lock").push(serde_json::to_string(event).map_err(SubscriberError::retry)?);
        Ok(())
    }
}

async fn ping(State(state): State<AppState>) -> Json<Value> {
    Json(json!({ "vendors": state.services.vendors.names() }))
}

fn callback(body: &Value, token: Option<&str>) -> Request<Body> {
    let mut b = Request::post(format!("/callbacks/{ACME}")).header(header::CONTENT_TYPE, "application/json");
    if let Some(t) = token {
        b = b.header("x-acme-token", t);
    }
    b.body(Body::from(body.to_string())).expect("request")
}

fn submit_form(cookie: &str, course: Option<&str>) -> Request<Body> {
    let photo = data_url("image/jpeg", &jpeg_bytes(100)).replace('+', "%2B").replace('/', "%2F").replace('=', "%3D");
    let mut form = format!("face_image={photo}&photo_id_image={photo}");
    if let Some(c) = course {
        form.push_str(&format!("&course_key={}", c.replace('+', "%2B").replace(':', "%3A")));
    }
    Request::post("/verify_student/submit-photos/")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(header::COOKIE, cookie)
        .body(Body::from(form))
        .expect("request")
}

/// The test database's configuration with a learner page to serve (for its CSP).
fn spa_config(db: &TestDb) -> server::config::Config {
    let mut cfg = db.config();
    let dist = db.dir.path().join("dist");
    std::fs::create_dir_all(&dist).expect("dist");
    std::fs::write(dist.join("index.html"), "<!doctype html><title>Vouch</title>").expect("index");
    cfg.server.static_dir = dist;
    cfg
}

async fn photo_attempts(app: &TestApp) -> i64 {
    let mut conn = app.services.store.conn().await.expect("conn");
    sqlx::query_scalar("select count(*) from photo_verification").fetch_one(&mut *conn).await.expect("q")
}

async fn plugins_through_http(db: &TestDb) {
    let acme = Arc::new(Acme::default());
    let recorder = Arc::new(Recorder::default());
    let app = App::builder()
        .vendor(acme.clone())
        .vendor_filter("route_acme", Arc::new(RouteAcmeLearners))
        .vendor_filter("route_nowhere", Arc::new(RouteNowhere))
        .subscriber(recorder.clone())
        .routes(axum::Router::new().route("/acme/ping", axum::routing::get(ping)))
        .build()
        .expect("a valid registry");
    let mut cfg = spa_config(db);
    // An unknown step is skipped, the two steps run in order, then the built-in course route.
    cfg.filters.vendor_requested =
        ["no_such_step", "route_acme", "route_nowhere", "vendor_by_course"].map(String::from).to_vec();
    cfg.filters.vendor_by_course.insert("course-v1:Acme+A+1".into(), ACME.into());
    cfg.validate_vendors(&app.extensions().vendor_names()).expect("acme_test is registered");
    let t = TestApp::with_extensions(cfg, app.extensions()).await;

    // The routed learner: the added vendor starts the attempt, with the hosted filler.
    let ada = t.login("acme_ada").await;
    let (s, slot) = t.json(sfn("slot_config", Some(&ada), String::new())).await;
    assert_eq!(s, StatusCode::OK, "{slot}");
    assert_eq!(slot["filler"], "hosted", "{slot}");
    assert!(slot["hosted"]["url"].as_str().is_some_and(|u| u.starts_with("https://acme.invalid/flow/ref-")), "{slot}");
    assert_eq!(
        acme.started.lock().expect("lock").last().map(|(_, c)| c.clone()),
        Some(None),
        "opened without a course"
    );
    let ada_id = {
        let mut conn = t.services.store.conn().await.expect("conn");
        users::by_username(&mut conn, "acme_ada").await.expect("q").expect("user").id
    };
    {
        // The attempt records the vendor it went to.
        let mut conn = t.services.store.conn().await.expect("conn");
        let rows: Vec<(String, String)> =
            sqlx::query_as("select vendor, status from verification_attempt where user_id = $1")
                .bind(ada_id.0)
                .fetch_all(&mut *conn)
                .await
                .expect("q");
        assert_eq!(rows, [(ACME.to_owned(), "created".to_owned())]);
    }

    // Another learner keeps the default vendor (Software Secure: Vouch's camera flow).
    let bob = t.login("bob").await;
    let (_, slot) = t.json(sfn("slot_config", Some(&bob), String::new())).await;
    assert_eq!((slot["filler"].as_str(), slot["hosted"].is_null()), (Some("builtin"), true), "{slot}");

    // The callback reaches the added vendor, which authenticates it.
    let approve = json!({"reference": format!("ref-{}", ada_id.0), "status": "approved"});
    let (s, body) = t.json(callback(&approve, None)).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED, "{body}");
    let (s, body) = t.json(callback(&json!({"status": "approved"}), Some(TOKEN))).await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{body}");
    assert!(body["error"]["message"].as_str().is_some_and(|m| m.contains("reference")), "{body}");
    let (s, body) = t.json(callback(&approve, Some(TOKEN))).await;
    assert_eq!(s, StatusCode::OK, "{body}");
    let (_, status) = t.json(sfn("verification_status", Some(&ada), String::new())).await;
    assert_eq!(status["status"], "approved", "{status}");
    // The built-in vendors' callbacks are still there; an unregistered name is not.
    let (s, _) = t.json(Request::post("/callbacks/software_secure").body(Body::from("{}")).expect("r")).await;
    assert_ne!(s, StatusCode::NOT_FOUND);
    let (s, _) = t.json(Request::post("/callbacks/persona").body(Body::from("{}")).expect("r")).await;
    assert_eq!(s, StatusCode::NOT_FOUND);

    // The added subscriber gets the decision, from the stock job runner plus the build's.
    app.extensions().runner(t.services.clone(), "test").run_until_idle().await;
    let seen = recorder.seen.lock().expect("lock").clone();
    assert!(seen.iter().any(|e| e.contains("approved")), "{seen:?}");

    // The learner page may frame the added vendor's flow (its origin only); stock Vouch may not.
    let page = || Request::get("/id-verification").body(Body::empty()).expect("r");
    let (s, headers, _) = t.send(page()).await;
    assert_eq!(s, StatusCode::OK);
    let csp = headers[header::CONTENT_SECURITY_POLICY].to_str().expect("ascii").to_owned();
    assert!(csp.contains("frame-src 'self' https://acme.invalid;"), "{csp}");
    let stock = TestApp::with_config(db, spa_config(db)).await;
    let (_, headers, _) = stock.send(page()).await;
    let csp = headers[header::CONTENT_SECURITY_POLICY].to_str().expect("ascii").to_owned();
    assert!(csp.contains("frame-src 'self';"), "{csp}");

    // The extra route is served with the app's state.
    let (s, body) = t.json(Request::get("/acme/ping").body(Body::empty()).expect("r")).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(body["vendors"], json!(["software_secure", "hosted", "manual", "in_house", ACME]));

    // A course routed by `filters.vendor_by_course` goes to Acme; other submissions to the
    // default (a photo attempt); a step naming an unregistered vendor leaves the default.
    let cy = t.login("cy").await;
    let before = photo_attempts(&t).await;
    let (s, body) = t.json(submit_form(&cy, Some("course-v1:Acme+A+1"))).await;
    assert_eq!(s, StatusCode::OK, "{body}");
    assert_eq!(photo_attempts(&t).await, before, "Acme took the photos, not Software Secure");
    let submitted = acme.submitted.lock().expect("lock").clone();
    assert_eq!(submitted.len(), 1);
    assert_eq!(submitted[0].1.as_deref(), Some("course-v1:Acme+A+1"));
    let (s, body) = t.json(submit_form(&cy, Some("course-v1:Nowhere+N+1"))).await;
    assert_eq!(s, StatusCode::OK, "{body}");
    assert_eq!(photo_attempts(&t).await, before + 1, "the default vendor served");
    assert_eq!(acme.submitted.lock().expect("lock").len(), 1);
}
crate::on_both_backends!(plugins_http, plugins_through_http);

/// `slot_config` as the SPA asks it for a course: the form field `course_id`.
fn slot_for_course(cookie: &str, course: &str) -> Request<Body> {
    let form = format!("course_id={}", form_urlencoded::byte_serialize(course.as_bytes()).collect::<String>());
    Request::post("/sfn/slot_config")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(header::COOKIE, cookie)
        .body(Body::from(form))
        .expect("request")
}

async fn attempts_of(app: &TestApp, username: &str) -> i64 {
    let mut conn = app.services.store.conn().await.expect("conn");
    let user = users::by_username(&mut conn, username).await.expect("q").expect("user");
    sqlx::query_scalar("select count(*) from verification_attempt where user_id = $1")
        .bind(user.id.0)
        .fetch_one(&mut *conn)
        .await
        .expect("q")
}

/// Opening the verification page for a course routes by that course too: the slot names the
/// routed vendor's filler and carries the course, so a filler can show it; a malformed course
/// is refused like every other door's bad course key, before any vendor opens anything.
async fn slot_config_routes_by_course(db: &TestDb) {
    const ROUTED: &str = "course-v1:Acme+A+1";
    let acme = Arc::new(Acme::default());
    let app = App::builder().vendor(acme.clone()).build().expect("a valid registry");
    let mut cfg = spa_config(db);
    cfg.filters.vendor_requested = vec!["vendor_by_course".into()];
    cfg.filters.vendor_by_course.insert(ROUTED.into(), ACME.into());
    cfg.validate_vendors(&app.extensions().vendor_names()).expect("acme_test is registered");
    let t = TestApp::with_extensions(cfg, app.extensions()).await;
    let dora = t.login("dora").await;

    // Bad course keys first, while the learner has nothing: refused, nothing started.
    for bad in ["a\u{0}b", "a\u{7}b", &"x".repeat(256)] {
        let (s, v) = t.json(slot_for_course(&dora, bad)).await;
        assert_eq!(
            (s, v["error"]["code"].as_str()),
            (StatusCode::BAD_REQUEST, Some("invalid_request")),
            "{bad:?}: {v}"
        );
        assert_eq!(v["error"]["message"], "That is not a course key.", "{v}");
    }
    assert_eq!(attempts_of(&t, "dora").await, 0, "no vendor was started for a refused course");
    // The same refusal, word for word, as the course flow's for the same key.
    let flow = json!({"request": {"course_key": "a\u{0}b", "flow": ""}}).to_string();
    let (flow_status, flow_error) = t.json(sfn("course_flow", Some(&dora), flow)).await;
    assert_eq!(t.json(slot_for_course(&dora, "a\u{0}b")).await, (flow_status, flow_error));

    // Without a course (an old client's empty body, or an empty field), the default
    // vendor's camera flow.
    for no_course in [sfn("slot_config", Some(&dora), String::new()), slot_for_course(&dora, "")] {
        let (s, slot) = t.json(no_course).await;
        assert_eq!(s, StatusCode::OK, "{slot}");
        assert_eq!((slot["filler"].as_str(), slot["course_id"].is_null()), (Some("builtin"), true), "{slot}");
    }
    // A course nobody routes: the default still serves, and the slot carries the course.
    let (s, slot) = t.json(slot_for_course(&dora, "course-v1:Other+B+2")).await;
    assert_eq!(s, StatusCode::OK, "{slot}");
    assert_eq!((slot["filler"].as_str(), slot["course_id"].as_str()), (Some("builtin"), Some("course-v1:Other+B+2")));
    assert_eq!(attempts_of(&t, "dora").await, 0);

    // The routed course: `filters.vendor_by_course` applies when the page opens, so the slot
    // names the routed vendor's filler with its flow, and the course it was opened for.
    let (s, slot) = t.json(slot_for_course(&dora, ROUTED)).await;
    assert_eq!(s, StatusCode::OK, "{slot}");
    assert_eq!(slot["filler"], "hosted", "{slot}");
    assert_eq!(slot["course_id"], ROUTED, "{slot}");
    assert!(slot["hosted"]["url"].as_str().is_some_and(|u| u.starts_with("https://acme.invalid/flow/ref-")), "{slot}");
    let mut conn = t.services.store.conn().await.expect("conn");
    let vendors: Vec<String> =
        sqlx::query_scalar("select vendor from verification_attempt").fetch_all(&mut *conn).await.expect("q");
    assert_eq!(vendors, [ACME], "the routed vendor started the learner's attempt");
    // The vendor's `start` was given the course the page was opened for.
    let started = acme.started.lock().expect("lock").clone();
    assert_eq!(started.iter().map(|(_, c)| c.as_deref()).collect::<Vec<_>>(), [Some(ROUTED)], "{started:?}");
}
crate::on_both_backends!(slot_config_course, slot_config_routes_by_course);

#[test]
fn a_bad_registry_is_refused() {
    struct Named(&'static str);
    #[async_trait::async_trait]
    impl IdvVendor for Named {
        fn name(&self) -> &'static str {
            self.0
        }
        fn default_filler(&self) -> &'static str {
            app::slot::HOSTED
        }
        async fn start(&self, _: &Services, _: UserId, _: Option<&str>) -> Result<Handoff, VendorError> {
            Ok(Handoff::Manual)
        }
        async fn submit(&self, _: &Services, _: UserId, _: SubmitPhotosRequest) -> Result<(), VendorError> {
            Err(VendorError::NotSupported("no"))
        }
        async fn receive(&self, _: &Services, _: &HeaderMap, _: &[u8]) -> Result<&'static str, VendorError> {
            Err(VendorError::NotSupported("no"))
        }
        fn map_status(&self, _: &str) -> Option<GenericStatus> {
            None
        }
    }
    let err = |v: &'static str| App::builder().vendor(Arc::new(Named(v))).build().expect_err("refused");
    assert_eq!(err("hosted"), RegistryError::Duplicate("hosted".into()));
    assert_eq!(err("Acme/1"), RegistryError::BadName("Acme/1".into()));
    assert_eq!(err(""), RegistryError::BadName(String::new()));
    let twice = App::builder().vendor(Arc::new(Named("a"))).vendor(Arc::new(Named("a"))).build();
    assert_eq!(twice.expect_err("refused"), RegistryError::Duplicate("a".into()));
    assert!(App::builder().vendor(Arc::new(Named("acme_2"))).build().is_ok());
}

#[test]
fn vendor_names_and_plugin_tables_are_checked_when_loading() {
    #[derive(Debug, serde::Deserialize, PartialEq)]
    struct AcmeSettings {
        api_url: String,
        #[serde(default)]
        retries: u32,
    }
    let dir = tempfile::tempdir().expect("dir");
    let file = dir.path().join("vouch.toml");
    let load = |toml: &str, names: &[&str]| {
        std::fs::write(&file, toml).expect("write");
        server::config::Config::load_with(Some(&file), names)
    };
    let names = ["software_secure", "hosted", "manual", "in_house", ACME];
    // A registered vendor is accepted only where it is registered.
    let cfg = load("[idv]\nvendor = \"acme_test\"\n", &names).expect("registered");
    assert_eq!(cfg.idv.vendor, ACME);
    let e = load("[idv]\nvendor = \"acme_test\"\n", &names[..4]).expect_err("not registered").to_string();
    assert!(
        e.contains("idv.vendor (VOUCH_IDV__VENDOR) is invalid: \"acme_test\" is not one of: software_secure"),
        "{e}"
    );
    let e = load("[idv]\nvendor = \"persona\"\n", &names).expect_err("unknown").to_string();
    assert!(e.contains("is not one of: software_secure, hosted, manual, in_house, acme_test"), "{e}");
    // A course route must name a registered vendor.
    let e = load("[filters.vendor_by_course]\n\"course-v1:X+Y+Z\" = \"persona\"\n", &names).expect_err("refused");
    assert!(e.to_string().contains("filters.vendor_by_course"), "{e}");
    // A plugin's table, typed by the plugin.
    let cfg =
        load("[plugins.acme]\napi_url = \"http://acme-plugin-host.invalid/\"\nretries = 3\n", &names).expect("loads");
    let settings: AcmeSettings = cfg.plugin("acme").expect("parses");
    assert_eq!(settings, AcmeSettings { api_url: "http://acme-plugin-host.invalid/".into(), retries: 3 });
    // Plugin tables may hold secrets: the configuration's Debug names the table, no value.
    let shown = format!("{cfg:?}");
    assert!(shown.contains("plugins: {\"acme\"}") && !shown.contains("acme-plugin-host"), "{shown}");
    let e = cfg.plugin::<AcmeSettings>("other").expect_err("api_url missing").to_string();
    assert!(e.contains("plugins.other (VOUCH_PLUGINS__OTHER__<KEY>) is invalid: missing field `api_url`"), "{e}");
    let cfg = load("[plugins.acme]\napi_url = \"x\"\nretries = \"many\"\n", &names).expect("loads untyped");
    let e = cfg.plugin::<AcmeSettings>("acme").expect_err("retries is not a number").to_string();
    assert!(e.contains("plugins.acme") && e.contains("retries") || e.contains("invalid type"), "{e}");
}
