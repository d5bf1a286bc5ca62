//! `user_status` for one learner, with 10k and 1M photo attempts in the database, on SQLite
//! and (when `VOUCH_BENCH_PG_URL` or `VOUCH_TEST_PG_URL` is set) PostgreSQL.
//!
//! `VOUCH_BENCH_SIZES=10000,1000000` chooses the table sizes (default both). Each size is
//! seeded once per run into a fresh database (1 user per 5 attempts).

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use server::{clock::SystemClock, config::Config, service::idv, store::seed};
use std::{sync::Arc, time::Duration};

fn sizes() -> Vec<u64> {
    std::env::var("VOUCH_BENCH_SIZES")
        .ok()
        .map(|s| s.split(',').filter_map(|n| n.trim().parse().ok()).collect())
        .unwrap_or_else(|| vec![10_000, 1_000_000])
}

fn pg_admin() -> Option<String> {
    std::env::var("VOUCH_BENCH_PG_URL").or_else(|_| std::env::var("VOUCH_TEST_PG_URL")).ok().filter(|u| !u.is_empty())
}

async fn database(backend: &str, size: u64, dir: &std::path::Path) -> String {
    match backend {
        "sqlite" => format!("sqlite://{}/bench-{size}.db?mode=rwc", dir.display()),
        _ => {
            let admin = pg_admin().expect("PostgreSQL URL");
            let name = format!("vouch_bench_{size}_{}", std::process::id());
            let store = server::store::Store::connect(&admin, 1).await.expect("admin connects");
            store.exec_admin(&format!("drop database if exists {name}")).await.expect("drop");
            store.exec_admin(&format!("create database {name}")).await.expect("create");
            let base = admin.rsplit_once('/').map_or(admin.as_str(), |(b, _)| b);
            format!("{base}/{name}")
        }
    }
}

fn bench_status(c: &mut Criterion) {
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let dir = tempfile::tempdir().expect("temp dir");
    let mut backends = vec!["sqlite"];
    if pg_admin().is_some() {
        backends.push("postgres");
    }
    let mut group = c.benchmark_group("user_status");
    group.measurement_time(Duration::from_secs(5));
    for backend in backends {
        for size in sizes() {
            let users = (size / 5).max(1);
            let services = rt.block_on(async {
                let mut cfg = Config::default();
                cfg.database.url = database(backend, size, dir.path()).await;
                cfg.vault.local_dir = dir.path().join("photos");
                let services = server::serve::services(cfg, Arc::new(SystemClock)).await.expect("services");
                seed::seed_attempts(&services.store, users, size, chrono::Utc::now(), |_| {}).await.expect("seed");
                services
            });
            let first = rt.block_on(async {
                let mut conn = services.store.conn().await.expect("conn");
                let (id,): (i64,) =
                    sqlx::query_as("select min(user_id) from app_user").fetch_one(&mut *conn).await.expect("q");
                id
            });
            let mut n = 0u64;
            group.bench_with_input(BenchmarkId::new(backend, size), &size, |b, _| {
                b.to_async(&rt).iter(|| {
                    // A different learner each time, so no single row stays hot.
                    n = (n + 7919) % users;
                    let user = app::domain::UserId(first + n as i64);
                    let services = services.clone();
                    async move { idv::user_status(&services, user).await.expect("status") }
                });
            });
        }
    }
    group.finish();
}

criterion_group!(benches, bench_status);
criterion_main!(benches);
