//! The status cache's memory per 100,000 learners (issue 18), read from the process's resident
//! set before and after filling a cache the way `vouch serve` does: each learner with the
//! records the status read loads (two photo attempts here, the seeded benchmark's average, with
//! a 36-character UUID and a realistic name and reviewer message).
//!
//! Then the remembered LMS tokens (`http::jwt`), 100,000 of them with the claims an Open edX
//! LMS puts in its JWT cookie.
//!
//! `cargo bench -p server --bench status_cache_memory`; prints one `MEMORY` line per size.

use app::domain::{AnyStatus, AttemptKind, AttemptStatus, UserId, Verification};
use chrono::{TimeZone, Utc};
use server::status_cache::{Limits, StatusCache};
use std::{sync::Arc, time::Duration};

fn resident_bytes() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .map_or(0, |kb| kb * 1024)
}

fn records(user: i64) -> Arc<Vec<Verification>> {
    let t = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).single().expect("time");
    let one = |id: i64, status: AttemptStatus, msg: &str| Verification {
        kind: AttemptKind::Photo,
        id,
        uuid: format!("{:08x}-0000-4000-8000-{:012x}", user, id),
        user_id: UserId(user),
        name: format!("Learner Number {user}"),
        status: AnyStatus::Attempt(status),
        created_at: t,
        updated_at: t,
        status_changed_at: t,
        expiration: Some(t + chrono::Duration::days(365)),
        error_msg: msg.to_owned(),
        hide_status_from_user: false,
    };
    Arc::new(vec![
        one(user * 2, AttemptStatus::Denied, "Photo ID is unreadable."),
        one(user * 2 + 1, AttemptStatus::Approved, ""),
    ])
}

fn main() {
    // Each size in a fresh process: memory freed by one size would be reused by the next and
    // hide from the resident-set difference.
    let args: Vec<String> = std::env::args().collect();
    if let Some(n) = args.iter().position(|a| a == "--learners").and_then(|i| args.get(i + 1)) {
        measure(n.parse().expect("--learners N"));
        return;
    }
    if let Some(n) = args.iter().position(|a| a == "--tokens").and_then(|i| args.get(i + 1)) {
        measure_tokens(n.parse().expect("--tokens N"));
        return;
    }
    let me = std::env::current_exe().expect("own path");
    for (what, n) in [("--learners", "100000"), ("--learners", "1000000"), ("--tokens", "100000")] {
        let status = std::process::Command::new(&me).args([what, n]).status().expect("run");
        assert!(status.success(), "measuring {what} {n} failed");
    }
}

/// Remembered tokens: each learner's token as Open edX mints it (its `JWT_AUTH` payload:
/// names, scopes, filters, flags), verified once.
fn measure_tokens(tokens: u64) {
    use jsonwebtoken::{EncodingKey, Header, encode};
    use server::{config::AuthConfig, http::jwt::JwtVerifier};
    let secret = "memory-bench-secret";
    let cfg = AuthConfig { jwt_secret: Some(secret.to_owned().into()), ..AuthConfig::default() };
    let verifier = JwtVerifier::from_config(&cfg).expect("key").remembering(tokens, Duration::from_secs(3600), None);
    let now = Utc::now();
    let key = EncodingKey::from_secret(secret.as_bytes());
    let minted: Vec<String> = (1..=tokens as i64)
        .map(|id| {
            let claims = serde_json::json!({
                "aud": "lms-key", "iss": "https://lms.example.org/oauth2", "exp": now.timestamp() + 3600,
                "iat": now.timestamp(), "sub": format!("{id:032x}"), "jti": format!("{id:08x}-aaaa-4bbb-8ccc-{id:012x}"),
                "preferred_username": format!("learner_{id}"), "email": format!("learner_{id}@example.org"),
                "name": format!("Learner Number {id}"), "given_name": "Learner", "family_name": format!("Number {id}"),
                "administrator": false, "superuser": false, "email_verified": true, "version": "1.2.0",
                "scopes": ["user_id", "email", "profile"], "filters": ["user:me"], "is_restricted": false,
                "user_id": id,
            });
            encode(&Header::default(), &claims, &key).expect("token")
        })
        .collect();
    let before = resident_bytes();
    for t in &minted {
        verifier.verify_remembered(t, now).expect("valid");
    }
    let after = resident_bytes();
    let per = after.saturating_sub(before) / tokens.max(1);
    println!(
        "MEMORY remembered LMS tokens: {tokens} tokens, resident +{:.1} MiB, {per} B per token, {:.1} MiB per 100k tokens",
        after.saturating_sub(before) as f64 / (1024.0 * 1024.0),
        (per * 100_000) as f64 / (1024.0 * 1024.0)
    );
}

fn measure(learners: u64) {
    let cache = StatusCache::new(Limits {
        enabled: true,
        max_stale: Duration::from_secs(60),
        max_learners: learners,
        ttl: Duration::from_secs(3600),
    });
    cache.mark_fresh(std::time::Instant::now());
    let before = resident_bytes();
    for user in 1..=learners as i64 {
        let ticket = cache.ticket();
        cache.store_records(UserId(user), ticket, records(user));
    }
    let held = cache.learners();
    let after = resident_bytes();
    let per_learner = after.saturating_sub(before) / held.max(1);
    println!(
        "MEMORY status cache: {held} learners held, resident +{:.1} MiB, {per_learner} B per learner, {:.1} MiB per 100k learners",
        after.saturating_sub(before) as f64 / (1024.0 * 1024.0),
        (per_learner * 100_000) as f64 / (1024.0 * 1024.0)
    );
}
