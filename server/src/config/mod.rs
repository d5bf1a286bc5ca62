//! One typed configuration, loaded once at start: `vouch.toml` (or the file named by
//! `--config` / `VOUCH_CONFIG`), then the environment, where every key can be set as
//! `VOUCH_<SECTION>__<KEY>` (e.g. `VOUCH_DATABASE__URL`). Defaults are safe for development:
//! loopback only, SQLite under `./data`, dev login off.

pub mod cache;
pub mod email;
pub mod events;
pub mod jobs;
pub mod lti;
pub mod review;
pub mod vendors;

pub use jobs::JobsConfig;

use serde::Deserialize;
use std::{fmt, net::SocketAddr, path::PathBuf};

/// The whole configuration.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct Config {
    /// `[server]`.
    pub server: ServerConfig,
    /// `[database]`.
    pub database: DatabaseConfig,
    /// `[auth]`.
    pub auth: AuthConfig,
    /// `[vault]`: where photos are stored.
    pub vault: VaultConfig,
    /// `[verification]`: policy numbers.
    pub verification: VerificationConfig,
    /// `[platform]`: how Vouch names the platform to learners.
    pub platform: PlatformConfig,
    /// `[software_secure]`: the Software Secure vendor (Open edX's setting names).
    pub software_secure: SoftwareSecureConfig,
    /// `[jobs]`: the durable background jobs.
    pub jobs: JobsConfig,
    /// `[limits]`.
    pub limits: LimitsConfig,
    /// `[commerce]`: course modes, enrollments and checkout (pay-and-verify).
    pub commerce: CommerceConfig,
    /// `[events]`: lifecycle events and outbound webhooks.
    pub events: events::EventsConfig,
    /// `[filters]`: the verification service's filter pipelines.
    pub filters: events::FiltersConfig,
    /// `[email]`: learner emails over SMTP.
    pub email: email::EmailConfig,
    /// `[idv]`: the vendor plugin, the hosted-flow vendor and the plugin slot.
    pub idv: vendors::IdvConfig,
    /// `[lti]`: the LTI 1.1 tool provider.
    pub lti: lti::LtiConfig,
    /// `[review]`: the in-house review queue (vendor `in_house`).
    pub review: review::ReviewConfig,
    /// `[cache]`: the status cache.
    pub cache: cache::CacheConfig,
    /// `[plugins.<name>]`: each plugin's own table, read by the plugin with
    /// [`Config::plugin`] (`VOUCH_PLUGINS__<NAME>__<KEY>` in the environment).
    pub plugins: PluginTables,
}

/// The `[plugins.<name>]` tables, kept as parsed values until each plugin reads its own
/// with its own type. They may hold secrets (API keys, tokens) that Vouch cannot tell apart,
/// so `Debug` shows the table names only.
#[derive(Clone, Default, Deserialize)]
#[serde(transparent)]
pub struct PluginTables(pub std::collections::BTreeMap<String, serde_json::Value>);

impl fmt::Debug for PluginTables {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set().entries(self.0.keys()).finish()
    }
}

/// `[commerce]`: where pay-and-verify learns a course's modes and a learner's enrollment,
/// and where payment happens. Vouch never sees card data: payment is handed to the
/// platform's commerce service.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct CommerceConfig {
    /// The commerce service's add-to-basket URL; checkout is `<basket_url>?sku=<SKU>`
    /// (Open edX ecommerce: `https://ecommerce.example.com/basket/add/`). Unset: no checkout.
    pub basket_url: Option<String>,
    /// The learner dashboard to send finished learners to (default: Vouch's status page).
    pub dashboard_url: Option<String>,
    /// The LMS base URL: when set, modes and enrollments come from its course-modes and
    /// enrollment APIs instead of the lists below.
    pub lms_api_url: Option<String>,
    /// A bearer token (a service user's JWT) for the LMS API.
    pub lms_api_token: Option<Secret>,
    /// Course modes by course (when there is no LMS API).
    pub courses: Vec<CourseModes>,
    /// Enrollments (when there is no LMS API): demos and tests.
    pub enrollments: Vec<ConfiguredEnrollment>,
}

/// The modes of one course.
#[derive(Debug, Clone, Deserialize)]
pub struct CourseModes {
    /// The course key.
    pub course_key: String,
    /// Its modes.
    pub modes: Vec<app::domain::pay_and_verify::CourseMode>,
}

/// One learner's enrollment.
#[derive(Debug, Clone, Deserialize)]
pub struct ConfiguredEnrollment {
    /// The learner.
    pub username: String,
    /// The course.
    pub course_key: String,
    /// The mode's slug.
    pub mode: String,
    /// Active (default true).
    #[serde(default = "enrollment_active")]
    pub is_active: bool,
}

fn enrollment_active() -> bool {
    true
}

/// How the results callback is authenticated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CallbackAuth {
    /// HMAC signature, `Date` window and replay check (the default).
    Hmac,
    /// Open edX's legacy check: the access key alone. For vendors that cannot sign.
    AccessKey,
}

/// `[software_secure]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct SoftwareSecureConfig {
    /// Where submissions are POSTed.
    pub api_url: String,
    /// Access key (sent in the clear in `Authorization`).
    pub api_access_key: String,
    /// HMAC key of requests and callbacks, issued by the vendor (at least
    /// [`MIN_VENDOR_SECRET`] bytes).
    pub api_secret_key: Option<Secret>,
    /// Hex AES key of face photos migrated from Open edX (new photos use per-attempt keys).
    pub face_image_aes_key: Option<Secret>,
    /// The vendor's RSA public key (PEM), which wraps the photo keys.
    pub rsa_public_key: Option<String>,
    /// The matching private key (PEM): staff decrypt tools only.
    pub rsa_private_key: Option<Secret>,
    /// `hmac` (default) or `access_key` (legacy).
    pub callback_auth: CallbackAuth,
    /// Enables the staff decrypt endpoints.
    pub allow_decrypt: bool,
    /// Accepted clock difference of a callback's `Date`, in seconds.
    pub callback_window_secs: i64,
    /// Tries of a submission before the attempt becomes must_retry.
    pub max_attempts: i32,
    /// First retry delay of a submission in seconds (doubles each time, with jitter): this
    /// vendor's retry policy; other jobs follow `jobs.retry_base_secs`.
    pub retry_base_secs: f64,
    /// Lifetime of the photo URLs given to the vendor, in seconds (Open edX: 5 days).
    pub photo_url_ttl_secs: i64,
    /// Timeout of one request to the vendor, in seconds.
    pub request_timeout_secs: u64,
}

impl Default for SoftwareSecureConfig {
    fn default() -> Self {
        Self {
            api_url: "http://127.0.0.1:8090/".into(),
            api_access_key: String::new(),
            api_secret_key: None,
            face_image_aes_key: None,
            rsa_public_key: None,
            rsa_private_key: None,
            callback_auth: CallbackAuth::Hmac,
            allow_decrypt: false,
            callback_window_secs: 300,
            max_attempts: 6,
            retry_base_secs: 30.0,
            photo_url_ttl_secs: 5 * 24 * 3600,
            request_timeout_secs: 30,
        }
    }
}

/// `[platform]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct PlatformConfig {
    /// The platform's name in messages and emails.
    pub name: String,
}

impl Default for PlatformConfig {
    fn default() -> Self {
        Self { name: "Vouch".into() }
    }
}

/// `[server]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct ServerConfig {
    /// Address to listen on.
    pub bind: SocketAddr,
    /// The base URL that vendors, emails and LMSs use to reach Vouch.
    pub public_url: String,
    /// The built SPA (Trunk's `dist/`).
    pub static_dir: PathBuf,
    /// The largest photo accepted, in bytes (decoded).
    pub max_photo_bytes: usize,
    /// The scraper's bearer token for `/metrics` on the main listener (at least 32 bytes).
    /// Without it (and without `metrics_bind`), `/metrics` answers 401.
    pub metrics_token: Option<Secret>,
    /// A second listener serving `/metrics` alone, without a token (`VOUCH_SERVER__METRICS_BIND`):
    /// bind it where only the scraper reaches, e.g. `127.0.0.1:9100` or a private interface.
    pub metrics_bind: Option<SocketAddr>,
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            bind: SocketAddr::from(([127, 0, 0, 1], 8000)),
            public_url: "http://127.0.0.1:8000".into(),
            static_dir: "dist".into(),
            max_photo_bytes: 5 * 1024 * 1024,
            metrics_token: None,
            metrics_bind: None,
        }
    }
}

/// `[limits]`: request rate limits (0 turns one off).
#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct LimitsConfig {
    /// Photo submissions per learner per minute (REST and the SPA), with that many in a burst.
    pub submit_per_user_per_minute: u32,
    /// Vendor callbacks per second from one client address, with that many in a burst.
    pub callback_per_second: u32,
    /// Verification attempts a learner may start in any 24 hours, at every submit door
    /// (`VOUCH_LIMITS__SUBMIT_PER_USER_PER_DAY`; 0: off). Counted from the attempts stored
    /// in the database, so it holds across restarts and replicas.
    pub submit_per_user_per_day: u32,
}

impl Default for LimitsConfig {
    fn default() -> Self {
        Self { submit_per_user_per_minute: 10, callback_per_second: 200, submit_per_user_per_day: 5 }
    }
}

/// `[database]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct DatabaseConfig {
    /// `sqlite://path?mode=rwc` or `postgres://user@host/db`.
    pub url: String,
    /// Pool size.
    pub max_connections: u32,
    /// How long a request waits for a database connection before it fails with `503
    /// unavailable` (`VOUCH_DATABASE__ACQUIRE_TIMEOUT_SECS`): a bound on how long requests
    /// hang while the database is unreachable.
    pub acquire_timeout_secs: f64,
}

impl Default for DatabaseConfig {
    fn default() -> Self {
        Self { url: "sqlite://data/vouch.db?mode=rwc".into(), max_connections: 8, acquire_timeout_secs: 5.0 }
    }
}

/// `[auth]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct AuthConfig {
    /// Enables `POST /auth/dev-login` (sign in as any learner, never staff). Development
    /// only: `vouch serve` refuses it on a non-loopback `server.bind` or an https `public_url`.
    pub dev_login: bool,
    /// Key that signs session cookies (at least 64 bytes). Required by `vouch serve` and
    /// `vouch worker` outside development; in development (dev login on, http) a random key
    /// is made at start, so sessions do not survive a restart.
    pub session_secret: Option<Secret>,
    /// How long an idle session lives, in hours.
    pub session_idle_hours: i64,
    /// Mark cookies `Secure`; defaults to whether `server.public_url` is https.
    pub secure_cookies: Option<bool>,
    /// The LMS's HS256 JWT signing secret (Open edX `JWT_AUTH['JWT_SECRET_KEY']`), at least
    /// [`MIN_LMS_JWT_SECRET`] bytes.
    pub jwt_secret: Option<Secret>,
    /// The LMS's RS256 public keys: PEM block(s) or a JWKS document (JSON), inline.
    pub jwt_public_keys: Option<String>,
    /// The required `iss` claim (e.g. `https://lms.example.com/oauth2`): when set, a token
    /// without `iss` is refused.
    pub jwt_issuer: Option<String>,
    /// The required `aud` claim (Open edX's default is `openedx`): when set, a token without
    /// `aud` is refused.
    pub jwt_audience: Option<String>,
    /// A JWT claim by which the LMS says an identity provider verified the learner (e.g.
    /// `idv_sso`): when a token carries it (`true`, a provider slug, or an object with
    /// `identity_provider_type` and `identity_provider_slug`), sign-in records an approved
    /// SSO verification, once while one from that provider is valid. Unset: no claim is read.
    pub sso_verification_claim: Option<String>,
}

impl Default for AuthConfig {
    fn default() -> Self {
        Self {
            dev_login: false,
            session_secret: None,
            session_idle_hours: 24 * 14,
            secure_cookies: None,
            jwt_secret: None,
            jwt_public_keys: None,
            jwt_issuer: None,
            jwt_audience: None,
            sso_verification_claim: None,
        }
    }
}

/// Where photos are stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VaultBackend {
    /// A local folder (`vault.local_dir`); Vouch serves signed photo URLs itself.
    Local,
    /// An S3 bucket (or S3-compatible server); the vendor gets presigned URLs.
    S3,
}

/// `[vault]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct VaultConfig {
    /// `local` (default) or `s3`.
    pub backend: VaultBackend,
    /// Folder of the local photo store.
    pub local_dir: PathBuf,
    /// Key that signs the expiring photo URLs of the local store (at least 32 bytes). Every
    /// process of one deployment (server, workers) needs the same, so `vouch serve` and
    /// `vouch worker` require it outside development; in development a random key is made.
    pub url_secret: Option<Secret>,
    /// S3 bucket.
    pub s3_bucket: String,
    /// Key prefix inside the bucket (e.g. `vouch/`), empty for none.
    pub s3_prefix: String,
    /// S3 region.
    pub s3_region: String,
    /// Endpoint of an S3-compatible server (MinIO, Ceph, moto); unset for AWS.
    pub s3_endpoint: Option<String>,
    /// Access key id (unset: the usual AWS environment and instance credentials).
    pub s3_access_key_id: Option<String>,
    /// Secret access key.
    pub s3_secret_access_key: Option<Secret>,
    /// Allow plain-HTTP endpoints (local S3-compatible servers only).
    pub s3_allow_http: bool,
}

impl Default for VaultConfig {
    fn default() -> Self {
        Self {
            backend: VaultBackend::Local,
            local_dir: "data/photos".into(),
            url_secret: None,
            s3_bucket: String::new(),
            s3_prefix: String::new(),
            s3_region: "us-east-1".into(),
            s3_endpoint: None,
            s3_access_key_id: None,
            s3_secret_access_key: None,
            s3_allow_http: false,
        }
    }
}

/// `[verification]`: Open edX's policy numbers.
#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct VerificationConfig {
    /// How long an approval is good for (Open edX `DAYS_GOOD_FOR`).
    pub days_good_for: i64,
    /// Days before expiry when a verification counts as expiring soon.
    pub expiring_soon_window: i64,
    /// Days after an attempt is decided (approved or denied) until its sealed photos are
    /// deleted from the vault. 0 deletes them at the first sweep after the decision; there
    /// is no "keep forever" value (set a large number to keep them longer).
    pub photo_retention_days: u32,
    /// How often each job runner looks for photos past retention, in seconds (at least 1).
    pub photo_retention_interval_secs: u64,
    /// Days between "expired" emails to a learner who has not verified again (Open edX
    /// `VERIFICATION_EXPIRY_EMAIL['RESEND_DAYS']`); 0 never resends. The first one goes to
    /// approvals that expired within `expiring_soon_window` days (Open edX's `DAYS_RANGE`).
    pub expiry_email_resend_days: i64,
    /// How many "expired" emails one approval gets in all, the first included (Open edX
    /// `VERIFICATION_EXPIRY_EMAIL['DEFAULT_EMAILS']`; at least 1).
    pub expiry_email_default_emails: i64,
}

impl Default for VerificationConfig {
    fn default() -> Self {
        Self {
            days_good_for: 365,
            expiring_soon_window: 28,
            photo_retention_days: 30,
            photo_retention_interval_secs: 3600,
            expiry_email_resend_days: 15,
            expiry_email_default_emails: 2,
        }
    }
}

/// A secret value: never printed, never serialized.
#[derive(Clone, Deserialize)]
#[serde(transparent)]
pub struct Secret(String);

impl From<String> for Secret {
    fn from(s: String) -> Self {
        Self(s)
    }
}

impl Secret {
    /// The secret itself, for the one place that needs it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

/// The configuration could not be loaded or is not valid.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// Reading or parsing failed.
    #[error("configuration: {0}")]
    Load(#[from] config::ConfigError),
    /// A value is out of range.
    #[error("configuration: {0}")]
    Invalid(String),
}

/// The shortest HMAC key Vouch accepts for the keys it introduced (`vault.url_secret`,
/// `server.metrics_token`, `events.webhook_secret`, `idv.hosted_webhook_secret`): 32 bytes,
/// the output size of SHA-256 (RFC 2104 recommends no less than the hash's output).
pub const MIN_SECRET: usize = 32;

/// The shortest `software_secure.api_secret_key`. The vendor issues this key and an operator
/// moving from Open edX cannot choose it; Software Secure's keys are 40 characters, so 16
/// bytes refuses empty and placeholder keys without refusing any key a vendor hands out.
pub const MIN_VENDOR_SECRET: usize = 16;

/// The shortest `auth.jwt_secret`. The LMS owns this key (Open edX
/// `JWT_AUTH['JWT_SECRET_KEY']`) and every service of the site shares it, so Vouch cannot
/// demand a new one: Tutor generates 24 random characters. 16 bytes refuses empty keys and
/// devstack's public `lms-secret`; a longer key (or RS256) is still the operator's better choice.
pub const MIN_LMS_JWT_SECRET: usize = 16;

/// The environment variable of a dotted key: `auth.jwt_secret` → `VOUCH_AUTH__JWT_SECRET`.
pub fn env_var(key: &str) -> String {
    format!("VOUCH_{}", key.replace('.', "__").to_ascii_uppercase())
}

/// The start-up message for a key that is missing: names the key, its variable and the fix.
pub fn missing(key: &str, fix: &str) -> String {
    format!("{key} ({}) is missing: {fix}", env_var(key))
}

/// The start-up message for a key whose value is not usable.
/// Claims that registered JWTs and Open edX's tokens already carry: never an SSO
/// verification claim.
const CLAIMS_EVERY_TOKEN_CARRIES: &[&str] = &[
    "email_verified",
    "administrator",
    "user_id",
    "is_restricted",
    "preferred_username",
    "email",
    "name",
    "sub",
    "iss",
    "aud",
    "exp",
    "iat",
    "nbf",
    "jti",
    "scopes",
    "filters",
    "version",
    "given_name",
    "family_name",
];

pub fn invalid(key: &str, why: &str, fix: &str) -> String {
    format!("{key} ({}) is invalid: {why}; {fix}", env_var(key))
}

/// The message for a database that cannot be opened or reached: `database.url` is the one
/// setting involved. The URL itself is never repeated (it may hold a password).
pub fn database_unusable(error: &dyn fmt::Display) -> String {
    invalid(
        "database.url",
        &format!("the database it names cannot be opened or reached ({error})"),
        "set it to sqlite://<file>?mode=rwc or postgres://<user>@<host>/<database>, and check that the \
         server is running and the file's folder is writable",
    )
}

/// A loading error that names a key (a value of the wrong type, say), rewritten to name the
/// key's environment variable and the fix as well; others are kept as they are.
fn load_error(e: config::ConfigError) -> ConfigError {
    let key = match &e {
        config::ConfigError::Type { key: Some(k), .. } | config::ConfigError::At { key: Some(k), .. } => {
            Some(k.clone())
        }
        _ => None,
    }
    .or_else(|| {
        let text = e.to_string();
        text.split_once("for key `").and_then(|(_, rest)| rest.split_once('`')).map(|(k, _)| k.to_owned())
    });
    match key {
        Some(key) if !key.is_empty() => ConfigError::Invalid(invalid(
            &key,
            &e.to_string(),
            "correct the value in the configuration file or the environment (README: Configuration)",
        )),
        _ => ConfigError::Load(e),
    }
}

/// Refuses a set secret shorter than `min` bytes, with a message naming the key.
pub fn check_secret_len(key: &str, secret: Option<&Secret>, min: usize) -> Result<(), String> {
    match secret {
        Some(s) if s.expose().len() < min => Err(invalid(
            key,
            &format!("it is {} bytes long, the minimum is {min}", s.expose().len()),
            &format!("set it to at least {min} random bytes (e.g. `openssl rand -hex 32`), or unset it"),
        )),
        _ => Ok(()),
    }
}

/// Which long-running process is starting (each needs its own secrets).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Process {
    /// `vouch serve`.
    Serve,
    /// `vouch worker`.
    Worker,
}

/// Every empty string of the tree is removed, so an empty value means "unset" wherever it
/// comes from (a blank `VOUCH_AUTH__JWT_SECRET=` of a deploy template, or `jwt_secret = ""`
/// in the file), never an empty key.
fn drop_empty_strings(value: &mut config::Value) {
    match &mut value.kind {
        config::ValueKind::Table(table) => {
            table.retain(|_, v| !matches!(&v.kind, config::ValueKind::String(s) if s.is_empty()));
            table.values_mut().for_each(drop_empty_strings);
        }
        config::ValueKind::Array(items) => {
            items.retain(|v| !matches!(&v.kind, config::ValueKind::String(s) if s.is_empty()));
            items.iter_mut().for_each(drop_empty_strings);
        }
        _ => {}
    }
}

impl Config {
    /// The first retry delay of the jobs without a policy of their own: `jobs.retry_base_secs`,
    /// or unset, `software_secure.retry_base_secs` (which they all followed before).
    pub fn job_retry_base_secs(&self) -> f64 {
        self.jobs.retry_base_secs.unwrap_or(self.software_secure.retry_base_secs)
    }

    /// Loads the file (if any) and the environment, then validates. Empty values are unset.
    /// Vendor names are checked against the built-in vendors.
    pub fn load(file: Option<&std::path::Path>) -> Result<Self, ConfigError> {
        Self::load_with(file, vendors::NAMES)
    }

    /// [`Self::load`], with vendor names checked against `vendor_names` (the registry of a
    /// process built with `server::App`).
    pub fn load_with(file: Option<&std::path::Path>, vendor_names: &[&str]) -> Result<Self, ConfigError> {
        let mut builder = config::Config::builder();
        match file {
            Some(path) => builder = builder.add_source(config::File::from(path).required(true)),
            None => builder = builder.add_source(config::File::with_name("vouch.toml").required(false)),
        }
        builder = builder.add_source(
            config::Environment::with_prefix("VOUCH")
                .prefix_separator("_")
                .separator("__")
                .try_parsing(true)
                .ignore_empty(true),
        );
        let mut tree: config::Value = builder.build().and_then(|b| b.try_deserialize()).map_err(load_error)?;
        drop_empty_strings(&mut tree);
        let cfg: Self = tree.try_deserialize().map_err(load_error)?;
        cfg.validate(vendor_names)?;
        Ok(cfg)
    }

    /// Refuses `idv.vendor`, or a `filters.vendor_by_course` route, naming a vendor that is
    /// not among `vendor_names`.
    pub fn validate_vendors(&self, vendor_names: &[&str]) -> Result<(), ConfigError> {
        self.idv.validate_with(vendor_names).map_err(ConfigError::Invalid)?;
        for (course, vendor) in &self.filters.vendor_by_course {
            if !vendor_names.contains(&vendor.as_str()) {
                return Err(ConfigError::Invalid(format!(
                    "filters.vendor_by_course is invalid: course {course:?} is routed to {vendor:?}, which is not \
                     one of: {}; name a registered vendor",
                    vendor_names.join(", ")
                )));
            }
        }
        Ok(())
    }

    /// The table `[plugins.<name>]` as the plugin's own settings type (an absent table is
    /// read as an empty one, so `#[serde(default)]` settings need none).
    pub fn plugin<T: serde::de::DeserializeOwned>(&self, name: &str) -> Result<T, ConfigError> {
        let table = self.plugins.0.get(name).cloned().unwrap_or_else(|| serde_json::Value::Object(Default::default()));
        serde_json::from_value(table).map_err(|e| {
            ConfigError::Invalid(format!(
                "plugins.{name} (VOUCH_PLUGINS__{}__<KEY>) is invalid: {e}; correct the [plugins.{name}] table \
                 in the configuration file or the environment",
                name.to_ascii_uppercase()
            ))
        })
    }

    fn validate(&self, vendor_names: &[&str]) -> Result<(), ConfigError> {
        self.validate_secrets().map_err(ConfigError::Invalid)?;
        if !(self.server.public_url.starts_with("http://") || self.server.public_url.starts_with("https://")) {
            return Err(ConfigError::Invalid(invalid(
                "server.public_url",
                "it must be an http(s) URL",
                "set it to the address people reach Vouch at, e.g. https://verify.example.edu",
            )));
        }
        self.events.validate().map_err(ConfigError::Invalid)?;
        self.jobs.validate().map_err(ConfigError::Invalid)?;
        self.validate_vendors(vendor_names)?;
        self.review.validate(&self.idv.vendor).map_err(ConfigError::Invalid)?;
        self.cache.validate().map_err(ConfigError::Invalid)?;
        if self.verification.days_good_for <= 0 {
            return Err(ConfigError::Invalid(invalid(
                "verification.days_good_for",
                &format!("it is {}, it must be positive", self.verification.days_good_for),
                "set it to the number of days an approval lasts (Open edX's DAYS_GOOD_FOR; default 365)",
            )));
        }
        if !email::LANGUAGES.contains(&self.email.language.as_str()) {
            return Err(ConfigError::Invalid(invalid(
                "email.language",
                &format!("`{}` is not a language Vouch writes emails in", self.email.language),
                "set it to `en` or `fr`",
            )));
        }
        if self.verification.expiry_email_resend_days < 0 {
            return Err(ConfigError::Invalid(invalid(
                "verification.expiry_email_resend_days",
                "it is negative",
                "set a number of days, or 0 to never resend",
            )));
        }
        if self.verification.expiry_email_default_emails < 1 {
            return Err(ConfigError::Invalid(invalid(
                "verification.expiry_email_default_emails",
                "it is below 1",
                "set how many expired emails an approval gets in all (Open edX sends 2)",
            )));
        }
        if self
            .auth
            .sso_verification_claim
            .as_deref()
            .is_some_and(|c| c.trim().is_empty() || c.chars().any(char::is_control))
        {
            return Err(ConfigError::Invalid(invalid(
                "auth.sso_verification_claim",
                "it is blank or holds a control character",
                "set the name of the JWT claim, or unset it",
            )));
        }
        if let Some(c) = self.auth.sso_verification_claim.as_deref().map(str::trim)
            && CLAIMS_EVERY_TOKEN_CARRIES.contains(&c)
        {
            // Every LMS token carries these (`email_verified` is true for most learners),
            // so naming one would make every learner SSO-verified at sign-in.
            return Err(ConfigError::Invalid(invalid(
                "auth.sso_verification_claim",
                &format!("`{c}` is a claim every token carries (a registered JWT or Open edX claim)"),
                "set the name of a claim only your identity provider's sign-in adds (e.g. `idv_sso`), or unset it",
            )));
        }
        Ok(())
    }

    /// Every HMAC key that is set is long enough to be a key.
    fn validate_secrets(&self) -> Result<(), String> {
        if let Some(s) = &self.auth.session_secret
            && s.expose().len() < 64
        {
            return Err(invalid(
                "auth.session_secret",
                &format!("it is {} bytes long, the minimum is 64", s.expose().len()),
                "set it to at least 64 random bytes (e.g. `openssl rand -hex 32`)",
            ));
        }
        check_secret_len("vault.url_secret", self.vault.url_secret.as_ref(), MIN_SECRET)?;
        check_secret_len("server.metrics_token", self.server.metrics_token.as_ref(), MIN_SECRET)?;
        check_secret_len(
            "software_secure.api_secret_key",
            self.software_secure.api_secret_key.as_ref(),
            MIN_VENDOR_SECRET,
        )
        .map_err(|e| format!("{e} (the key Software Secure issued)"))?;
        check_secret_len("auth.jwt_secret", self.auth.jwt_secret.as_ref(), MIN_LMS_JWT_SECRET)
            .map_err(|e| format!("{e} (the LMS's JWT_AUTH['JWT_SECRET_KEY'])"))?;
        Ok(())
    }

    /// Whether this is a development set-up: dev login on and a plain-http public URL
    /// (`cargo xtask run`). Only then may per-process random secrets stand in for the shared ones.
    pub fn is_development(&self) -> bool {
        self.auth.dev_login && !self.server.public_url.starts_with("https://")
    }

    /// What `vouch serve` / `vouch worker` refuse to start with, beyond [`Config::load`]'s
    /// checks: outside development the secrets every process of a deployment must share
    /// (a random per-process key breaks sessions across replicas and restarts, and photo URLs
    /// signed by another process); and dev login anywhere it could be reached from outside.
    pub fn check_startup(&self, process: Process) -> Result<(), ConfigError> {
        if !self.is_development() {
            let why = "needed outside development (dev login off, or an https public_url) because every \
                       process of a deployment must share it";
            if self.auth.session_secret.is_none() {
                return Err(ConfigError::Invalid(missing(
                    "auth.session_secret",
                    &format!("{why}; set it to 64 random bytes (e.g. `openssl rand -hex 32`)"),
                )));
            }
            if self.vault.url_secret.is_none() {
                return Err(ConfigError::Invalid(missing(
                    "vault.url_secret",
                    &format!("{why}; set it to 32 random bytes (e.g. `openssl rand -hex 32`)"),
                )));
            }
        }
        if process == Process::Serve && self.auth.dev_login {
            if !self.server.bind.ip().is_loopback() {
                return Err(ConfigError::Invalid(invalid(
                    "auth.dev_login",
                    &format!(
                        "dev login (sign in as anyone) is on while server.bind is {}, not loopback",
                        self.server.bind
                    ),
                    "turn it off (VOUCH_AUTH__DEV_LOGIN=false) or bind 127.0.0.1",
                )));
            }
            if self.server.public_url.starts_with("https://") {
                return Err(ConfigError::Invalid(invalid(
                    "auth.dev_login",
                    "dev login (sign in as anyone) is on while server.public_url is https, a public deployment",
                    "turn it off (VOUCH_AUTH__DEV_LOGIN=false)",
                )));
            }
            // A loopback bind behind a reverse proxy is still public: the public URL says
            // where people reach Vouch, and only a loopback one keeps dev login local.
            if !public_url_is_loopback(&self.server.public_url) {
                return Err(ConfigError::Invalid(invalid(
                    "auth.dev_login",
                    &format!(
                        "dev login (sign in as anyone) is on while server.public_url ({}) is not a loopback address, \
                         so a reverse proxy may expose it",
                        self.server.public_url
                    ),
                    "turn it off (VOUCH_AUTH__DEV_LOGIN=false) or use http://127.0.0.1:<port> or http://localhost:<port>",
                )));
            }
        }
        if let Some(bind) = self.server.metrics_bind
            && bind == self.server.bind
        {
            return Err(ConfigError::Invalid(invalid(
                "server.metrics_bind",
                "it is server.bind itself",
                "give the metrics listener its own address (e.g. 127.0.0.1:9100) or unset it",
            )));
        }
        Ok(())
    }

    /// Whether cookies get the `Secure` flag.
    pub fn secure_cookies(&self) -> bool {
        self.auth.secure_cookies.unwrap_or_else(|| self.server.public_url.starts_with("https://"))
    }
}

/// Whether `url`'s host is `localhost` or a loopback IP address.
fn public_url_is_loopback(url: &str) -> bool {
    match url::Url::parse(url).ok().and_then(|u| u.host().map(|h| h.to_owned())) {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}
