//! Vouch as a library: [`App::builder`] lets another crate add vendors, event subscribers,
//! filter steps and routes, then run any stock command with them ([`App::run_cli`]) or
//! start the server or a worker from code ([`App::serve`], [`App::worker`]). The stock
//! `vouch` binary is `App::builder().build().run_cli()`. `docs/plugins.md` is the guide.

use crate::{
    cli::Cli,
    config::Config,
    http::AppState,
    reactions::Subscriber,
    serve::{ConfigCheck, Extensions},
    service::{
        filters::{AttemptsRequested, FilterRegistry, FilterStep, UrlRequested, VendorRequested},
        plugins::{IdvVendor, RegistryError, VendorRegistry},
    },
};
use std::sync::Arc;

/// Collects what a build adds to Vouch; [`AppBuilder::build`] checks it.
pub struct AppBuilder {
    vendors: Vec<Arc<dyn IdvVendor>>,
    subscribers: Vec<Arc<dyn Subscriber>>,
    filters: FilterRegistry,
    routes: axum::Router<AppState>,
    config_checks: Vec<ConfigCheck>,
}

impl AppBuilder {
    /// Adds a verification vendor, reachable by its name in `[idv] vendor`, in
    /// `VendorRequested` steps and at `POST /callbacks/{name}`. Its name must not be a
    /// built-in vendor's or another added vendor's.
    #[must_use]
    pub fn vendor(mut self, vendor: Arc<dyn IdvVendor>) -> Self {
        self.vendors.push(vendor);
        self
    }

    /// Adds a lifecycle event subscriber (beside Vouch's own; one with the name of a
    /// built-in one replaces it).
    #[must_use]
    pub fn subscriber(mut self, subscriber: Arc<dyn Subscriber>) -> Self {
        self.subscribers.push(subscriber);
        self
    }

    /// Registers an `IDVerificationAttemptsRequested` step as `name` (it runs when
    /// `filters.attempts_requested` lists it; a built-in step of that name is replaced).
    #[must_use]
    pub fn attempts_filter(self, name: &str, step: Arc<dyn FilterStep<AttemptsRequested>>) -> Self {
        self.filters.register_attempts(name, step);
        self
    }

    /// Registers an `IDVerificationURLRequested` step as `name` (listed in `filters.url_requested`).
    #[must_use]
    pub fn url_filter(self, name: &str, step: Arc<dyn FilterStep<UrlRequested>>) -> Self {
        self.filters.register_url(name, step);
        self
    }

    /// Registers a `VendorRequested` step as `name` (listed in `filters.vendor_requested`):
    /// it may route a learner or course to another registered vendor.
    #[must_use]
    pub fn vendor_filter(self, name: &str, step: Arc<dyn FilterStep<VendorRequested>>) -> Self {
        self.filters.register_vendor(name, step);
        self
    }

    /// Merges `routes` into the server's router. They get [`AppState`] (the services, the
    /// configuration) and the stock middleware; a path that a stock route has panics when
    /// the server starts.
    #[must_use]
    pub fn routes(mut self, routes: axum::Router<AppState>) -> Self {
        self.routes = self.routes.merge(routes);
        self
    }

    /// Adds a check of the loaded configuration (typically: the plugin's
    /// `[plugins.<name>]` table parses, `Config::plugin`). It runs for every command and
    /// when `serve`/`worker` start, after Vouch's own checks; its error stops the process
    /// with its message, as a bad core setting does.
    #[must_use]
    pub fn config_check(
        mut self,
        check: impl Fn(&Config) -> Result<(), crate::config::ConfigError> + Send + Sync + 'static,
    ) -> Self {
        self.config_checks.push(Arc::new(check));
        self
    }

    /// The app, or why the vendors cannot be registered together (a name used twice, or
    /// not lowercase ASCII).
    pub fn build(self) -> Result<App, RegistryError> {
        let mut vendors = crate::vendors::builtin();
        vendors.extend(self.vendors);
        let ext = Extensions {
            vendors: Arc::new(VendorRegistry::new(vendors)?),
            filters: Arc::new(self.filters),
            subscribers: self.subscribers,
            routes: self.routes,
            config_checks: self.config_checks,
        };
        Ok(App { ext })
    }
}

/// Vouch with a build's plugins: run the command line, or a server or worker from code.
#[derive(Debug, Clone)]
pub struct App {
    ext: Extensions,
}

impl App {
    /// A builder holding Vouch's built-in vendors, steps and subscribers.
    pub fn builder() -> AppBuilder {
        AppBuilder {
            vendors: Vec::new(),
            subscribers: Vec::new(),
            filters: FilterRegistry::default(),
            routes: axum::Router::new(),
            config_checks: Vec::new(),
        }
    }

    /// What this app adds to stock Vouch (for tests building services or a router).
    pub fn extensions(&self) -> &Extensions {
        &self.ext
    }

    /// Parses the `vouch` command line (every stock command), sets up logging as `vouch`
    /// does (`VOUCH_LOG`, `--json-logs`, stderr) and runs the command with these plugins.
    /// Errors are printed to stderr and end in exit code 1.
    pub async fn run_cli(self) -> std::process::ExitCode {
        use clap::Parser;
        let cli = Cli::parse();
        init_logging(cli.json_logs);
        match crate::cli::run_with(cli, &self.ext).await {
            Ok(()) => std::process::ExitCode::SUCCESS,
            Err(e) => {
                let bin = std::env::args()
                    .next()
                    .and_then(|a| std::path::Path::new(&a).file_name().map(|n| n.to_string_lossy().into_owned()));
                eprintln!("{}: {e:#}", bin.as_deref().unwrap_or("vouch"));
                std::process::ExitCode::FAILURE
            }
        }
    }

    /// Runs the server with `cfg` until SIGINT or SIGTERM (the caller sets up logging).
    pub async fn serve(&self, cfg: Config) -> anyhow::Result<()> {
        crate::serve::serve_with(cfg, &self.ext).await
    }

    /// Runs jobs only with `cfg` until SIGINT or SIGTERM.
    pub async fn worker(&self, cfg: Config) -> anyhow::Result<()> {
        crate::serve::worker_with(cfg, &self.ext).await
    }

    /// Loads the configuration from `file` (or `./vouch.toml`) and the environment,
    /// checking vendor names against this app's vendors, and runs the build's checks.
    pub fn load_config(&self, file: Option<&std::path::Path>) -> Result<Config, crate::config::ConfigError> {
        let cfg = Config::load_with(file, &self.ext.vendor_names())?;
        self.ext.check_config(&cfg)?;
        Ok(cfg)
    }
}

/// Logs go to stderr, so a command's output on stdout (`--json` summaries) stays clean.
fn init_logging(json: bool) {
    use tracing_subscriber::{EnvFilter, fmt};
    let filter = EnvFilter::try_from_env("VOUCH_LOG").unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn"));
    if json {
        fmt().json().with_env_filter(filter).with_writer(std::io::stderr).init();
    } else {
        // Colours only on a terminal: a log file or journald gets plain text (and colouring
        // every span's fields was 3 % of a status read's CPU).
        let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr())
            && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
        fmt().with_env_filter(filter).with_ansi(ansi).with_writer(std::io::stderr).init();
    }
}
