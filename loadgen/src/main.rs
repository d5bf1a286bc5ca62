//! `loadgen`: a closed-loop HTTP/1.1 load generator for `cargo xtask bench`.
//!
//! `--connections` keep-alive connections each send one request, wait for the whole answer,
//! and send the next, for `--warmup` then `--duration` seconds (or until `--requests`).
//! Latencies of the measured phase go into an HDR histogram (microsecond resolution, three
//! significant digits). The result is one JSON line on stdout:
//! `{"requests","errors","seconds","rps","p50_ms","p99_ms","max_ms","mean_ms","statuses"}`.
//! An error is a failed connection or read, or a status other than `--expect-status`.
//!
//! Requests can carry `Authorization: JWT <token>` headers for many users (minted here,
//! HS256, with the claims `vouch seed-attempts` gives its users), spread round-robin over
//! the requests so per-user rate limits apply as they would in production; and a POST body,
//! either from a file or the Open edX submit form with two generated JPEG photos.

mod photos;
mod tokens;

use anyhow::{Context as _, bail};
use bytes::Bytes;
use clap::Parser;
use hdrhistogram::Histogram;
use http_body_util::{BodyExt as _, Full};
use hyper::Request;
use hyper_util::rt::TokioIo;
use std::{
    collections::BTreeMap,
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering},
    },
    time::{Duration, Instant},
};

/// Command-line arguments.
#[derive(Debug, Parser)]
#[command(name = "loadgen", about = "Closed-loop HTTP load generator (one JSON line of results)")]
struct Args {
    /// The URL (http only), e.g. http://127.0.0.1:8000/verify_student/status/.
    #[arg(long)]
    url: http::Uri,
    /// The method.
    #[arg(long, default_value = "GET")]
    method: http::Method,
    /// Connections kept open, each with one request in flight.
    #[arg(long, default_value_t = 64)]
    connections: usize,
    /// Seconds of warm-up (not measured).
    #[arg(long, default_value_t = 2.0)]
    warmup: f64,
    /// Seconds measured.
    #[arg(long, default_value_t = 10.0)]
    duration: f64,
    /// Stop the measured phase after this many requests instead (still bounded by --duration).
    #[arg(long)]
    requests: Option<u64>,
    /// An extra header, `Name: value` (repeatable).
    #[arg(long = "header", value_name = "NAME: VALUE")]
    headers: Vec<String>,
    /// The request body, from a file.
    #[arg(long, conflicts_with = "submit_photos_bytes")]
    body_file: Option<std::path::PathBuf>,
    /// The body's content type.
    #[arg(long, default_value = "application/json")]
    content_type: String,
    /// Send the Open edX submit form (face_image and photo_id_image as JPEG data URLs,
    /// form-urlencoded), each photo this many bytes.
    #[arg(long, value_name = "BYTES")]
    submit_photos_bytes: Option<usize>,
    /// Sign requests with HS256 JWTs made with this secret, for seeded users.
    #[arg(long, requires = "jwt_users")]
    jwt_secret: Option<String>,
    /// The seeded users to sign in as: `FIRST..END` (user ids, END excluded).
    #[arg(long, value_parser = tokens::parse_range)]
    jwt_users: Option<(i64, i64)>,
    /// How many distinct users (tokens), spread evenly over the --jwt-users range.
    #[arg(long, default_value_t = 1000)]
    jwt_count: usize,
    /// Learners whose status keeps changing (`vouch debug churn`): `FIRST..END`. With
    /// --hot-share, that share of the requests goes to them, one token each.
    #[arg(long, value_parser = tokens::parse_range, requires = "jwt_secret")]
    hot_users: Option<(i64, i64)>,
    /// Percent of the requests that go to --hot-users (0 to 100).
    #[arg(long, default_value_t = 0, value_parser = clap::value_parser!(u64).range(0..=100))]
    hot_share: u64,
    /// The status a successful answer has.
    #[arg(long, default_value_t = 200)]
    expect_status: u16,
}

/// What every connection shares.
struct Shared {
    args: Args,
    body: Bytes,
    tokens: Vec<String>,
    hot_tokens: Vec<String>,
    headers: Vec<(http::HeaderName, http::HeaderValue)>,
    next_token: AtomicU64,
    /// Requests started in the measured phase (for --requests).
    started: AtomicU64,
}

/// What one connection measured.
#[derive(Default)]
struct Tally {
    histogram: Option<Histogram<u64>>,
    errors: u64,
    statuses: BTreeMap<u16, u64>,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    if args.url.scheme_str() != Some("http") {
        bail!("only http:// URLs are supported");
    }
    if args.connections == 0 {
        bail!("--connections must be at least 1");
    }
    let body = match (&args.body_file, args.submit_photos_bytes) {
        (Some(path), _) => std::fs::read(path).with_context(|| format!("reading {}", path.display()))?.into(),
        (None, Some(bytes)) => photos::submit_form(bytes).into(),
        (None, None) => Bytes::new(),
    };
    let tokens = match (&args.jwt_secret, args.jwt_users) {
        (Some(secret), Some(range)) => tokens::mint(secret, range, args.jwt_count)?,
        _ => Vec::new(),
    };
    let hot_tokens = match (&args.jwt_secret, args.hot_users) {
        (Some(secret), Some((first, end))) => tokens::mint(secret, (first, end), (end - first) as usize)?,
        _ => Vec::new(),
    };
    let headers = args
        .headers
        .iter()
        .map(|h| {
            let (name, value) = h.split_once(':').with_context(|| format!("--header {h:?}: expected NAME: VALUE"))?;
            Ok((name.trim().parse()?, value.trim().parse()?))
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    let shared = Arc::new(Shared {
        args,
        body,
        tokens,
        hot_tokens,
        headers,
        next_token: AtomicU64::new(0),
        started: AtomicU64::new(0),
    });

    let begin = Instant::now();
    let measure_from = begin + Duration::from_secs_f64(shared.args.warmup.max(0.0));
    let end = measure_from + Duration::from_secs_f64(shared.args.duration.max(0.1));
    let tasks: Vec<_> =
        (0..shared.args.connections).map(|_| tokio::spawn(connection(shared.clone(), measure_from, end))).collect();
    let mut total = Tally { histogram: Some(new_histogram()), ..Tally::default() };
    let mut last_done = measure_from;
    for task in tasks {
        let (tally, done) = task.await?;
        last_done = last_done.max(done);
        if let (Some(all), Some(h)) = (total.histogram.as_mut(), tally.histogram.as_ref()) {
            all.add(h).context("merging histograms")?;
        }
        total.errors += tally.errors;
        for (status, n) in tally.statuses {
            *total.statuses.entry(status).or_default() += n;
        }
    }
    let h = total.histogram.unwrap_or_else(new_histogram);
    let seconds = last_done.saturating_duration_since(measure_from).as_secs_f64().max(1e-9);
    let ok = h.len();
    let ms = |us: u64| us as f64 / 1000.0;
    let statuses: serde_json::Map<String, serde_json::Value> =
        total.statuses.iter().map(|(s, n)| (s.to_string(), (*n).into())).collect();
    let report = serde_json::json!({
        "requests": ok + total.errors,
        "ok": ok,
        "errors": total.errors,
        "seconds": seconds,
        "rps": (ok + total.errors) as f64 / seconds,
        "p50_ms": ms(h.value_at_quantile(0.50)),
        "p99_ms": ms(h.value_at_quantile(0.99)),
        "max_ms": ms(h.max()),
        "mean_ms": h.mean() / 1000.0,
        "connections": shared.args.connections,
        "statuses": statuses,
    });
    println!("{report}");
    Ok(())
}

fn new_histogram() -> Histogram<u64> {
    // 1 µs to 60 s, three significant digits.
    Histogram::new_with_bounds(1, 60_000_000, 3).expect("valid histogram bounds")
}

/// One keep-alive connection's closed loop until `end`; reconnects after a failure.
/// Returns what it measured and when its last measured request finished.
async fn connection(shared: Arc<Shared>, measure_from: Instant, end: Instant) -> (Tally, Instant) {
    let mut tally = Tally { histogram: Some(new_histogram()), ..Tally::default() };
    let mut last = measure_from;
    let authority = shared.args.url.authority().map(|a| a.to_string()).unwrap_or_default();
    let path = shared.args.url.path_and_query().map_or("/".to_owned(), |p| p.to_string());
    'reconnect: while Instant::now() < end {
        let sender = match open(&authority).await {
            Ok(s) => s,
            Err(_) => {
                if Instant::now() >= measure_from {
                    tally.errors += 1;
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        let mut sender = sender;
        loop {
            let now = Instant::now();
            if now >= end {
                break 'reconnect;
            }
            let measured = now >= measure_from;
            if measured
                && let Some(limit) = shared.args.requests
                && shared.started.fetch_add(1, Ordering::Relaxed) >= limit
            {
                break 'reconnect;
            }
            let request = build_request(&shared, &authority, &path);
            let sent = Instant::now();
            let outcome = async {
                sender.ready().await?;
                let response = sender.send_request(request).await?;
                let status = response.status().as_u16();
                // The whole body is read: a response is done when its last byte is in.
                response.into_body().collect().await?;
                Ok::<u16, hyper::Error>(status)
            }
            .await;
            let done = Instant::now();
            if !measured {
                if outcome.is_err() {
                    continue 'reconnect;
                }
                continue;
            }
            last = done;
            match outcome {
                Ok(status) => {
                    *tally.statuses.entry(status).or_default() += 1;
                    if status == shared.args.expect_status {
                        let us = done.duration_since(sent).as_micros().max(1) as u64;
                        if let Some(h) = tally.histogram.as_mut() {
                            h.saturating_record(us);
                        }
                    } else {
                        tally.errors += 1;
                    }
                }
                Err(_) => {
                    tally.errors += 1;
                    continue 'reconnect;
                }
            }
        }
    }
    (tally, last)
}

type Sender = hyper::client::conn::http1::SendRequest<Full<Bytes>>;

/// Opens one HTTP/1.1 connection (Nagle off, as browsers and proxies do).
async fn open(authority: &str) -> anyhow::Result<Sender> {
    let stream = tokio::net::TcpStream::connect(authority).await?;
    stream.set_nodelay(true)?;
    let (sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream)).await?;
    tokio::spawn(async move {
        let _ = conn.await;
    });
    Ok(sender)
}

fn build_request(shared: &Shared, authority: &str, path: &str) -> Request<Full<Bytes>> {
    let args = &shared.args;
    let mut builder = Request::builder().method(args.method.clone()).uri(path).header(http::header::HOST, authority);
    if !shared.tokens.is_empty() {
        let n = shared.next_token.fetch_add(1, Ordering::Relaxed);
        // Every hundred requests, the first `hot_share` go to the learners whose status keeps
        // changing, round-robin; the rest round-robin over the others.
        let token = if !shared.hot_tokens.is_empty() && n % 100 < shared.args.hot_share {
            &shared.hot_tokens[(n / 100 * shared.args.hot_share + n % 100) as usize % shared.hot_tokens.len()]
        } else {
            &shared.tokens[n as usize % shared.tokens.len()]
        };
        builder = builder.header(http::header::AUTHORIZATION, format!("JWT {token}"));
    }
    for (name, value) in &shared.headers {
        builder = builder.header(name, value);
    }
    if !shared.body.is_empty() {
        let content_type = if args.submit_photos_bytes.is_some() {
            "application/x-www-form-urlencoded"
        } else {
            args.content_type.as_str()
        };
        builder = builder.header(http::header::CONTENT_TYPE, content_type);
    }
    builder.body(Full::new(shared.body.clone())).expect("a valid request")
}
