//! Starting the server: connect, migrate, build the state, listen, shut down gracefully.

use crate::{
    clock::{Clock, SystemClock},
    config::Config,
    http::{self, AppState},
    service::Services,
    store::{Store, sessions::DbSessionStore},
    vault::Vault,
};
use anyhow::Context;
use std::{sync::Arc, time::Duration};

/// Connects to the database (applying migrations) and the vault.
pub async fn services(cfg: Config, clock: Arc<dyn Clock>) -> anyhow::Result<Services> {
    let store =
        Store::connect(&cfg.database.url, cfg.database.max_connections).await.context("connecting to the database")?;
    store.migrate().await.context("applying migrations")?;
    let vault = Vault::local(&cfg.vault.local_dir)?;
    Ok(Services { cfg: Arc::new(cfg), store, vault, clock, deadline_cache: Arc::default() })
}

/// Runs the server until SIGINT or SIGTERM.
pub async fn serve(cfg: Config) -> anyhow::Result<()> {
    let key = http::auth::session_key(&cfg)?;
    let bind = cfg.server.bind;
    let services = services(cfg, Arc::new(SystemClock)).await?;
    spawn_session_cleanup(DbSessionStore::new(services.store.clone()));
    let store = services.store.clone();
    let app = http::router(AppState::new(services), key);
    let listener = tokio::net::TcpListener::bind(bind).await.with_context(|| format!("binding {bind}"))?;
    tracing::info!(address = %listener.local_addr()?, "vouch is listening");
    axum::serve(listener, app).with_graceful_shutdown(shutdown_signal()).await?;
    store.close().await;
    tracing::info!("vouch stopped");
    Ok(())
}

/// Removes expired sessions every hour.
fn spawn_session_cleanup(sessions: DbSessionStore) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(3600));
        loop {
            tick.tick().await;
            match sessions.delete_expired(chrono::Utc::now().timestamp()).await {
                Ok(n) => tracing::debug!(sessions.deleted = n, "expired sessions removed"),
                Err(e) => tracing::warn!(error = %e, "could not remove expired sessions"),
            }
        }
    });
}

async fn shutdown_signal() {
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
