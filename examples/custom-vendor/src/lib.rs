//! An example of Vouch built as a library (`docs/plugins.md` walks through it): stock
//! Vouch plus
//!
//! - the vendor `acme` ([`Acme`]), a hosted-flow vendor reached over HTTP: Vouch opens a
//!   session through its API, the learner completes the vendor's flow, and the vendor posts
//!   the result to `POST /callbacks/acme` with a shared token. Its learners see the slot
//!   filler `acme_flow` of the example's frontend crate (`frontend/`, served as
//!   `server.static_dir`), which leads them to the session;
//! - the subscriber `acme_event_log` ([`EventLog`]), which appends every lifecycle event to
//!   a file, once per event;
//! - the filter step `acme_route` ([`AcmeRoute`]), which sends the learners of some courses,
//!   or some named learners, to Acme while `idv.vendor` serves everyone else;
//! - the route `GET /acme/status`.
//!
//! Its settings are the table `[plugins.acme]` ([`Settings`]). Nothing in Vouch's own crates
//! knows about any of this.

use app::domain::{GenericStatus, UserId};
use app::dto::SubmitPhotosRequest;
use axum::{Json, extract::State, http::HeaderMap, routing::get};
use serde::Deserialize;
use serde_json::{Value, json};
use server::{
    App, AppBuilder,
    config::{Config, ConfigError},
    events::Event,
    http::AppState,
    reactions::{Subscriber, SubscriberError},
    service::{
        ServiceError, Services,
        filters::{FilterStep, StepOutcome, VendorRequested},
        generic_attempts, submit,
    },
    store::{hosted, transitions::Actor, users},
    vendors::{Handoff, IdvVendor, VendorError},
};
use std::{path::PathBuf, sync::Arc};
use subtle::ConstantTimeEq;

/// The vendor's registry name: `idv.vendor = "acme"`, `/callbacks/acme`, `[plugins.acme]`.
pub const NAME: &str = "acme";

/// The header carrying the shared callback token.
pub const TOKEN_HEADER: &str = "x-acme-token";

/// `[plugins.acme]` (or `VOUCH_PLUGINS__ACME__<KEY>`).
#[derive(Debug, Clone, Deserialize)]
pub struct Settings {
    /// Base URL of Acme's API (sessions are created under `sessions`).
    pub api_url: String,
    /// Bearer key of Vouch's calls to Acme.
    pub api_key: String,
    /// The token Acme sends in `x-acme-token` with each callback (at least 16 bytes).
    pub callback_token: String,
    /// Course keys whose learners Acme verifies (a list, or comma-separated in the environment).
    #[serde(default, deserialize_with = "list")]
    pub courses: Vec<String>,
    /// Usernames Acme verifies whatever the course.
    #[serde(default, deserialize_with = "list")]
    pub learners: Vec<String>,
    /// Where `acme_event_log` appends events (unset: it only logs them).
    pub events_file: Option<PathBuf>,
}

/// A list from a TOML array, or from a comma-separated environment variable.
fn list<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Items {
        List(Vec<String>),
        One(String),
    }
    let items = match Items::deserialize(d)? {
        Items::List(l) => l,
        Items::One(s) => s.split(',').map(str::to_owned).collect(),
    };
    Ok(items.into_iter().map(|s| s.trim().to_owned()).filter(|s| !s.is_empty()).collect())
}

/// The plugin's settings, as checked at start-up.
pub fn settings(cfg: &Config) -> Result<Settings, ConfigError> {
    let s: Settings = cfg.plugin(NAME)?;
    if !(s.api_url.starts_with("http://") || s.api_url.starts_with("https://")) {
        return Err(ConfigError::Invalid("plugins.acme.api_url is invalid: it is not an http(s) URL".into()));
    }
    if s.callback_token.len() < 16 {
        return Err(ConfigError::Invalid(
            "plugins.acme.callback_token is invalid: it is shorter than 16 bytes; set the token Acme shows".into(),
        ));
    }
    Ok(s)
}

/// Stock Vouch with the Acme plugins: what `custom-vouch` runs.
pub fn builder() -> AppBuilder {
    // The fillers the example's frontend registers, registered here too: the server then
    // knows the name `Acme::default_filler` gives (it warns about unknown ones).
    custom_vendor_frontend::register();
    App::builder()
        .vendor(Arc::new(Acme))
        .subscriber(Arc::new(EventLog))
        .vendor_filter("acme_route", Arc::new(AcmeRoute))
        .routes(axum::Router::new().route("/acme/status", get(status)))
        // A missing or malformed `[plugins.acme]` stops every command at start-up, as a bad
        // core setting does, rather than failing at the first learner.
        .config_check(|cfg| settings(cfg).map(|_| ()))
}

/// The settings inside a request: checked at start-up, so an error here is ours.
fn settings_now(services: &Services) -> Result<Settings, VendorError> {
    settings(&services.cfg).map_err(|e| VendorError::Unavailable(e.to_string()))
}

/// A session as Acme's API answers it.
#[derive(Debug, Deserialize)]
struct Session {
    id: String,
    flow_url: String,
    status: String,
}

/// The Acme vendor.
#[derive(Debug, Clone, Copy)]
pub struct Acme;

impl Acme {
    /// One call to Acme's API with the bearer key. Transport failures and non-2xx answers
    /// are `Unavailable` (the learner is told to try again; nothing was recorded).
    async fn call(&self, s: &Settings, req: reqwest::RequestBuilder) -> Result<Session, VendorError> {
        let res = req.bearer_auth(&s.api_key).send().await.map_err(|e| VendorError::Unavailable(e.to_string()))?;
        if !res.status().is_success() {
            return Err(VendorError::Unavailable(format!("Acme answered {}", res.status())));
        }
        res.json().await.map_err(|e| VendorError::Unavailable(format!("Acme's answer: {e}")))
    }
}

#[async_trait::async_trait]
impl IdvVendor for Acme {
    fn name(&self) -> &'static str {
        NAME
    }

    /// Acme's own filler from the example's frontend crate. (Without a frontend of one's
    /// own, `app::slot::HOSTED` shows the same session in Vouch's hosted-flow filler.)
    fn default_filler(&self) -> &'static str {
        custom_vendor_frontend::ACME_FLOW
    }

    /// Resumes the learner's open session, or opens one (a new one is billed, so only when
    /// the learner may verify now) and records a generic attempt for it. A new session is
    /// tagged with the course the learner came from, for Acme's reports; an open one is
    /// resumed whatever the course (one verification serves every course).
    async fn start(&self, services: &Services, user: UserId, course_id: Option<&str>) -> Result<Handoff, VendorError> {
        let s = settings_now(services)?;
        let base = s.api_url.trim_end_matches('/');
        let open = {
            let mut conn = services.store.conn().await?;
            match hosted::latest_for_user(&mut conn, user, NAME).await? {
                Some(a) if a.status == GenericStatus::Created.as_str() => {
                    hosted::vendor_reference(&mut conn, a.id).await?
                }
                _ => None,
            }
        };
        if let Some(id) = open {
            let session = self.call(&s, services.http.get(format!("{base}/sessions/{id}"))).await?;
            if session.status == "open" {
                return Ok(Handoff::Hosted { url: session.flow_url });
            }
        }
        submit::ensure_can_start(services, user).await?;
        let account = {
            let mut conn = services.store.conn().await?;
            users::by_id(&mut conn, user).await?.ok_or(ServiceError::Unauthenticated)?
        };
        let public_url = services.cfg.server.public_url.trim_end_matches('/');
        // Acme sends its result to the callback and the learner back to their status page.
        let body = json!({
            "reference_id": format!("user-{}", user.0),
            "callback_url": format!("{public_url}/callbacks/{NAME}"),
            "return_url": format!("{public_url}/id-verification/status"),
            "course_id": course_id,
        });
        let session = self.call(&s, services.http.post(format!("{base}/sessions")).json(&body)).await?;
        let attempt = generic_attempts::GenericAttempt {
            user,
            name: if account.full_name.is_empty() { account.username } else { account.full_name },
            status: GenericStatus::Created.as_str().into(),
            expiration: None,
            hide_status_from_user: false,
            vendor: NAME.into(),
            vendor_reference: session.id,
        };
        generic_attempts::create_verification_attempt(services, attempt, &Actor::Learner(user)).await?;
        Ok(Handoff::Hosted { url: session.flow_url })
    }

    async fn submit(&self, _: &Services, _: UserId, _: SubmitPhotosRequest) -> Result<(), VendorError> {
        Err(VendorError::NotSupported("Acme collects the photos on its own page."))
    }

    /// `{"session_id": "…", "status": "approved" | "declined" | "completed"}` with the
    /// shared token. Idempotent: a decided attempt keeps its decision and the repeat is
    /// acknowledged, so Acme's retries are harmless.
    async fn receive(
        &self,
        services: &Services,
        headers: &HeaderMap,
        body: &[u8],
    ) -> Result<&'static str, VendorError> {
        let s = settings_now(services)?;
        let token = headers.get(TOKEN_HEADER).map(|v| v.as_bytes()).unwrap_or_default();
        if !bool::from(token.ct_eq(s.callback_token.as_bytes())) {
            return Err(VendorError::Unauthorized);
        }
        #[derive(Deserialize)]
        struct Result {
            session_id: String,
            status: String,
        }
        let result: Result = serde_json::from_slice(body)
            .map_err(|_| VendorError::BadRequest("Expected {session_id, status}.".into()))?;
        let Some(to) = self.map_status(&result.status) else {
            return Err(VendorError::BadRequest(format!("Unknown status {:?}.", result.status)));
        };
        let attempt = {
            let mut conn = services.store.conn().await?;
            hosted::by_reference(&mut conn, NAME, &result.session_id).await?
        }
        .ok_or_else(|| VendorError::BadRequest("Unknown session.".into()))?;
        let decided = [GenericStatus::Approved.as_str(), GenericStatus::Denied.as_str()];
        if attempt.status == to.as_str() || decided.contains(&attempt.status.as_str()) {
            return Ok("{}");
        }
        let expiration = (to == GenericStatus::Approved)
            .then(|| Some(services.clock.now() + chrono::Duration::days(services.policy().days_good_for)));
        let actor = Actor::Vendor(NAME.into());
        match generic_attempts::update_verification_attempt(
            services,
            attempt.id,
            None,
            Some(to.as_str()),
            expiration,
            &actor,
        )
        .await
        {
            Ok(()) => Ok("{}"),
            // Another writer moved it meanwhile: Acme retries, and the retry reads afresh.
            Err(ServiceError::Raced) => Err(VendorError::Conflict("the attempt changed meanwhile; retry".into())),
            Err(e) => Err(e.into()),
        }
    }

    /// Acme's flow pages live on its API's origin; the learner page may frame them.
    fn frame_url(&self, cfg: &Config) -> Option<String> {
        settings(cfg).ok().map(|s| s.api_url)
    }

    fn map_status(&self, vendor_status: &str) -> Option<GenericStatus> {
        match vendor_status {
            "open" => Some(GenericStatus::Created),
            "completed" => Some(GenericStatus::Pending),
            "approved" => Some(GenericStatus::Approved),
            "declined" => Some(GenericStatus::Denied),
            _ => None,
        }
    }
}

/// Appends each lifecycle event to `[plugins.acme] events_file` as one JSON line
/// `{"seq": …, "event": …}`. Delivery is at least once, so a line already written for this
/// `seq` is not written again. A file it cannot read or write is retried (a full or
/// unmounted disk may come back); what no retry can fix is given up.
#[derive(Debug, Clone, Copy)]
pub struct EventLog;

#[async_trait::async_trait]
impl Subscriber for EventLog {
    fn name(&self) -> &'static str {
        "acme_event_log"
    }

    async fn handle(&self, services: &Services, seq: i64, event: &Event) -> Result<(), SubscriberError> {
        // Checked at start-up; the process's settings do not change while it runs.
        let s = settings(&services.cfg).map_err(SubscriberError::give_up)?;
        let Some(path) = s.events_file else {
            tracing::info!(seq, "acme_event_log: event seen (no events_file set)");
            return Ok(());
        };
        let line = serde_json::to_string(&json!({ "seq": seq, "event": event })).map_err(SubscriberError::give_up)?;
        let file_error = |e: std::io::Error| SubscriberError::retry(format!("{}: {e}", path.display()));
        let marker = format!("{{\"seq\":{seq},");
        let existing = match tokio::fs::read_to_string(&path).await {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
            Err(e) => return Err(file_error(e)),
        };
        if existing.lines().any(|l| l.starts_with(&marker)) {
            return Ok(());
        }
        use tokio::io::AsyncWriteExt;
        let mut file = tokio::fs::OpenOptions::new().create(true).append(true).open(&path).await.map_err(file_error)?;
        file.write_all(format!("{line}\n").as_bytes()).await.map_err(file_error)
    }
}

/// `VendorRequested` step: the learners of `[plugins.acme] courses`, and the usernames in
/// `learners`, verify with Acme. It reads and never writes.
#[derive(Debug, Clone, Copy)]
pub struct AcmeRoute;

#[async_trait::async_trait]
impl FilterStep<VendorRequested> for AcmeRoute {
    async fn run(&self, services: &Services, mut data: VendorRequested) -> StepOutcome<VendorRequested> {
        let Ok(s) = settings(&services.cfg) else { return StepOutcome::Continue(data) };
        let by_course = data.course_id.as_ref().is_some_and(|c| s.courses.contains(c));
        let by_learner = !s.learners.is_empty() && {
            match services.store.conn().await {
                Ok(mut conn) => users::by_id(&mut conn, data.user)
                    .await
                    .ok()
                    .flatten()
                    .is_some_and(|u| s.learners.contains(&u.username)),
                // Unreadable now: the default vendor serves rather than nobody.
                Err(_) => false,
            }
        };
        if by_course || by_learner {
            data.vendor = NAME.into();
        }
        StepOutcome::Continue(data)
    }
}

/// `GET /acme/status`: what this build adds, for operators.
async fn status(State(state): State<AppState>) -> Json<Value> {
    let cfg = &state.services.cfg;
    let routed = settings(cfg).map(|s| (s.courses.len(), s.learners.len())).unwrap_or_default();
    Json(json!({
        "plugin": NAME,
        "default_vendor": cfg.idv.vendor,
        "vendors": state.services.vendors.names(),
        "routed_courses": routed.0,
        "routed_learners": routed.1,
    }))
}
