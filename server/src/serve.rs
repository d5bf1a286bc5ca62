//! Starting the server: connect, migrate, build the state, listen, shut down gracefully.

use crate::{
    clock::{Clock, SystemClock},
    config::{Config, Process},
    http::{self, AppState},
    jobs::Runner,
    reactions::{Reactions, Subscriber},
    service::{Services, filters::FilterRegistry, keys::Keys, plugins::VendorRegistry},
    store::{Store, sessions::DbSessionStore},
    vault::Vault,
};
use anyhow::Context;
use std::{sync::Arc, time::Duration};

/// What a build adds to stock Vouch (see `server::App`): its vendors, filter steps,
/// subscribers and routes, beside the built-in ones. Every process of the build (server,
/// worker, commands) starts from the same value, so they agree on what exists.
#[derive(Clone)]
pub struct Extensions {
    /// Every vendor, the built-in ones first.
    pub vendors: Arc<VendorRegistry>,
    /// Every filter step, the built-in ones included.
    pub filters: Arc<FilterRegistry>,
    /// Subscribers beside Vouch's own (`Reactions::builtin`).
    pub subscribers: Vec<Arc<dyn Subscriber>>,
    /// Routes merged into the server's router, inside its middleware (sessions, CSP, JSON
    /// errors, request ids).
    pub routes: axum::Router<AppState>,
    /// The build's own configuration checks (its `[plugins.<name>]` tables), run after
    /// Vouch's when the configuration is loaded.
    pub config_checks: Vec<ConfigCheck>,
}

/// A build's check of the loaded configuration: the message names the key and the fix.
pub type ConfigCheck = Arc<dyn Fn(&Config) -> Result<(), crate::config::ConfigError> + Send + Sync>;

impl Extensions {
    /// Stock Vouch: the built-in vendors and steps, no extra subscriber or route.
    pub fn stock() -> Self {
        Self {
            vendors: Arc::new(VendorRegistry::new(crate::vendors::builtin()).expect("the built-in vendors are valid")),
            filters: Arc::default(),
            subscribers: Vec::new(),
            routes: axum::Router::new(),
            config_checks: Vec::new(),
        }
    }

    /// Checks `cfg` against this build: vendor names against its vendors, then its own
    /// checks. A configuration loaded by `Config::load` has seen neither.
    pub fn check_config(&self, cfg: &Config) -> Result<(), crate::config::ConfigError> {
        cfg.validate_vendors(&self.vendor_names())?;
        self.config_checks.iter().try_for_each(|check| check(cfg))
    }

    /// The names of the registered vendors, for validating the configuration.
    pub fn vendor_names(&self) -> Vec<&'static str> {
        self.vendors.names()
    }

    /// The job runner with every job kind, Vouch's subscribers and the build's.
    pub fn runner(&self, services: Services, worker: impl Into<String>) -> Runner {
        let mut reactions = Reactions::builtin(&services.cfg);
        for s in &self.subscribers {
            reactions.subscribe(s.clone());
        }
        crate::reactions::runner_with(services, worker, reactions)
    }
}

impl std::fmt::Debug for Extensions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Extensions")
            .field("vendors", &self.vendors)
            .field("subscribers", &self.subscribers.iter().map(|s| s.name()).collect::<Vec<_>>())
            .finish_non_exhaustive()
    }
}

/// Connects to the database (applying migrations) and the vault, with stock Vouch's
/// vendors and steps.
pub async fn services(cfg: Config, clock: Arc<dyn Clock>) -> anyhow::Result<Services> {
    services_with(cfg, clock, &Extensions::stock()).await
}

/// [`services`] with the vendors and filter steps of `ext`.
pub async fn services_with(cfg: Config, clock: Arc<dyn Clock>, ext: &Extensions) -> anyhow::Result<Services> {
    let acquire = Duration::from_secs_f64(cfg.database.acquire_timeout_secs.clamp(0.05, 300.0));
    let store = Store::connect_with_timeout(&cfg.database.url, cfg.database.max_connections, acquire)
        .await
        .map_err(|e| anyhow::anyhow!(crate::config::database_unusable(&e)))?;
    store.migrate().await.context("applying migrations")?;
    let vault = Vault::from_config(&cfg.vault)?;
    let keys = Arc::new(Keys::from_config(&cfg)?);
    let http = crate::outbound::client(&cfg).context("building the HTTP client")?;
    // Every process that reads statuses keeps its cache current, tests' servers included.
    let status_cache = crate::status_cache::StatusCache::new((&cfg.cache).into());
    crate::status_cache::listen::spawn(status_cache.clone(), store.clone(), cfg.database.url.clone());
    if cfg.cache.enabled {
        let cache = status_cache.clone();
        store.on_status_change(Arc::new(move |touched| cache.forget(touched)));
    }
    Ok(Services {
        status_cache,
        filters: ext.filters.clone(),
        vendors: ext.vendors.clone(),
        cfg: Arc::new(cfg),
        store,
        vault,
        clock,
        deadline_cache: Arc::default(),
        keys,
        http,
    })
}

/// Runs stock Vouch's server until SIGINT or SIGTERM.
pub async fn serve(cfg: Config) -> anyhow::Result<()> {
    serve_with(cfg, &Extensions::stock()).await
}

/// Runs the server with `ext` until SIGINT or SIGTERM.
pub async fn serve_with(cfg: Config, ext: &Extensions) -> anyhow::Result<()> {
    cfg.check_startup(Process::Serve)?;
    // A configuration loaded by the embedding crate may not have seen this registry.
    ext.check_config(&cfg)?;
    let key = http::auth::session_key(&cfg)?;
    // Refuse to start with JWT keys that do not parse, rather than refusing every sign-in.
    http::jwt::JwtVerifier::from_config(&cfg.auth)?;
    let bind = cfg.server.bind;
    // A queue nobody is told about can wait for days: say so once, at start-up.
    if cfg.idv.vendor == crate::vendors::IN_HOUSE
        && (cfg.review.alert_after_mins <= 0 || cfg.review.alert_addresses().is_empty())
    {
        tracing::warn!(
            "idv.vendor is in_house but no queue alert is set (review.alert_after_mins and review.alert_emails): \
             nobody is told when attempts wait too long"
        );
    }
    let services = services_with(cfg, Arc::new(SystemClock), ext).await?;
    spawn_session_cleanup(DbSessionStore::new(services.store.clone()), services.clone());
    // Stopped when this function returns or is dropped.
    let jobs = if services.cfg.jobs.run_in_server {
        let ext = ext.clone();
        Some(crate::job_thread::start(&services, move |own| ext.runner(own, worker_name("serve"))).await?)
    } else {
        None
    };
    let store = services.store.clone();
    let state = AppState::new(services);
    let metrics_bind = state.cfg.server.metrics_bind;
    let app = http::router_with(state.clone(), key, ext.routes.clone());
    let listener = tokio::net::TcpListener::bind(bind).await.map_err(|e| {
        anyhow::anyhow!(crate::config::invalid(
            "server.bind",
            &format!("{bind} cannot be listened on ({e})"),
            "free that port, or set another address (e.g. 127.0.0.1:8000)",
        ))
    })?;
    if let Some(metrics_bind) = metrics_bind {
        spawn_metrics_listener(metrics_bind, state).await?;
    }
    tracing::info!(address = %listener.local_addr()?, "vouch is listening");
    axum::serve(listener, app.into_make_service_with_connect_info::<std::net::SocketAddr>())
        .with_graceful_shutdown(shutdown_signal())
        .await?;
    drop(jobs);
    store.close().await;
    tracing::info!("vouch stopped");
    Ok(())
}

/// Serves `/metrics` alone, without a token, on `server.metrics_bind` (an address only the
/// scraper reaches). It ends with the process.
async fn spawn_metrics_listener(bind: std::net::SocketAddr, state: AppState) -> anyhow::Result<()> {
    let listener = tokio::net::TcpListener::bind(bind).await.map_err(|e| {
        anyhow::anyhow!(crate::config::invalid(
            "server.metrics_bind",
            &format!("{bind} cannot be listened on ({e})"),
            "free that port, set another address (e.g. 127.0.0.1:9100), or unset it",
        ))
    })?;
    tracing::info!(address = %listener.local_addr()?, "metrics are served");
    let app = http::metrics::listener_router(state);
    tokio::spawn(async move {
        if let Err(e) = axum::serve(listener, app).await {
            tracing::error!(error = %e, "the metrics listener stopped");
        }
    });
    Ok(())
}

/// A name for this process in job leases: role, host and process id.
pub fn worker_name(role: &str) -> String {
    let host = std::env::var("HOSTNAME").unwrap_or_else(|_| "localhost".into());
    format!("{role}@{host}:{}", std::process::id())
}

/// Runs stock Vouch's jobs only (`vouch worker`) until SIGINT or SIGTERM.
pub async fn worker(cfg: Config) -> anyhow::Result<()> {
    worker_with(cfg, &Extensions::stock()).await
}

/// Runs jobs only, with the subscribers and vendors of `ext`, until SIGINT or SIGTERM.
pub async fn worker_with(cfg: Config, ext: &Extensions) -> anyhow::Result<()> {
    cfg.check_startup(Process::Worker)?;
    ext.check_config(&cfg)?;
    let services = services_with(cfg, Arc::new(SystemClock), ext).await?;
    let runner = ext.runner(services.clone(), worker_name("worker"));
    tracing::info!("vouch worker started");
    tokio::select! {
        () = runner.run_forever() => {}
        () = shutdown_signal() => {}
    }
    services.store.close().await;
    Ok(())
}

/// Removes expired sessions, and "Continue on your phone" links of no more use, every hour.
fn spawn_session_cleanup(sessions: DbSessionStore, services: Services) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(3600));
        loop {
            tick.tick().await;
            match sessions.delete_expired(chrono::Utc::now().timestamp()).await {
                Ok(n) => tracing::debug!(sessions.deleted = n, "expired sessions removed"),
                Err(e) => tracing::warn!(error = %e, "could not remove expired sessions"),
            }
            match crate::service::handoff::purge_old(&services).await {
                Ok(n) => tracing::debug!(handoff.deleted = n, "old hand-off links removed"),
                Err(e) => tracing::warn!(error = %e, "could not remove old hand-off links"),
            }
        }
    });
}

/// Completes on ctrl-c or, on Unix, SIGTERM (what service managers and test harnesses send).
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { () = ctrl_c => {}, () = term => {} }
    tracing::info!("shutting down");
}
