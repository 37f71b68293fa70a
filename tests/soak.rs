//! The rotation soak: 8 bridges share one credential of a real
//! authorization server (oidc-provider: 10-second access tokens, refresh
//! tokens that rotate and are single-use, reuse revokes the whole grant)
//! and call a real resource server (the Python SDK server, which checks
//! every token by introspection) without pause, with the daemon as the one
//! refresher, and again without it (each bridge renews under the
//! cross-process lock). Zero failed requests, zero refresh failures, the
//! credential never needs a login.
//!
//! The default run does a short version of both (about 40 s each). The
//! full soak is ignored by default:
//!
//! ```sh
//! cargo test --test soak -- --ignored --nocapture      # 10 minutes each
//! MCP_AUTH_SOAK_SECS=1800 cargo test --test soak -- --ignored --nocapture
//! ```
#![allow(clippy::unwrap_used, clippy::expect_used)]

/// The support this crate uses (files in tests/support/, see its README.md);
/// helpers of these modules that this crate does not call are allowed.
#[allow(dead_code)]
mod support {
    pub mod bridge;
    pub mod daemon;
    pub mod home;
    pub mod peers;
}

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use serde_json::json;
use support::bridge::{Bridge, Options};
use support::home::{Home, Run};
use support::peers;

const BRIDGES: usize = 8;
const ACCESS_TTL: &str = "10";

struct Outcome {
    calls: u64,
    failures: Vec<String>,
    refreshes: u64,
}

fn soak(duration: Duration, with_daemon: bool) -> Outcome {
    let (_idp, server) =
        peers::python_server_with_oidc(&[("ACCESS_TTL", ACCESS_TTL), ("REFRESH_ALWAYS", "1")]);

    let home = Home::new();
    let login = Run(home
        .cmd()
        .env("MCP_AUTH_BROWSER", peers::browser_command())
        .args(["login", &server.url, "--json"])
        .output()
        .unwrap());
    let name = login.ok().json()["name"].as_str().unwrap().to_string();
    let daemon = with_daemon.then(|| support::daemon::Daemon::start(&home, &[]));

    let calls = AtomicU64::new(0);
    let failures = std::sync::Mutex::new(Vec::new());
    let until = Instant::now() + duration;
    std::thread::scope(|s| {
        for n in 0..BRIDGES {
            let (calls, failures, url, home) = (&calls, &failures, &server.url, home.path());
            s.spawn(move || {
                let mut b = Bridge::start_with(url, Options::default().home(home));
                b.initialize(json!({}));
                let mut i = 0u64;
                while Instant::now() < until {
                    let text = format!("b{n}-{i}");
                    let r = b.request(
                        "tools/call",
                        json!({"name": "echo", "arguments": {"text": text}}),
                    );
                    calls.fetch_add(1, Ordering::Relaxed);
                    if r["result"]["content"][0]["text"] != format!("python says: {text}") {
                        failures
                            .lock()
                            .unwrap()
                            .push(format!("bridge {n} call {i}: {r}"));
                    }
                    i += 1;
                    std::thread::sleep(Duration::from_millis(100));
                }
                b.close_stdin();
                b.wait_exit(Duration::from_secs(5));
            });
        }
    });
    if let Some(d) = daemon {
        d.terminate();
    }
    // The audit log: every refresh and every failed one, by whichever
    // process made it.
    let events = home.run(&["tokens", "show", &name, "--json"]).ok().json();
    let conn = rusqlite::Connection::open(home.database()).unwrap();
    let count = |kind: &str| -> u64 {
        conn.query_row(
            "SELECT COUNT(*) FROM events WHERE credential = ?1 AND kind = ?2",
            [name.as_str(), kind],
            |r| r.get::<_, i64>(0),
        )
        .unwrap() as u64
    };
    let mut failures = failures.into_inner().unwrap();
    let failed_refreshes = count("refresh_failed");
    if failed_refreshes > 0 {
        failures.push(format!("{failed_refreshes} failed refreshes: {events}"));
    }
    if events["health"] == "needs_login" {
        failures.push(format!("the credential needs a login: {events}"));
    }
    // The credential still works after the soak.
    home.run(&["token", &name]).ok();
    Outcome {
        calls: calls.into_inner(),
        failures,
        refreshes: count("refresh"),
    }
}

fn check(label: &str, duration: Duration, with_daemon: bool) {
    let o = soak(duration, with_daemon);
    let ttl: u64 = ACCESS_TTL.parse().unwrap();
    eprintln!(
        "{label}: {} calls through {BRIDGES} bridges in {duration:?}, {} refreshes, {} failures",
        o.calls,
        o.refreshes,
        o.failures.len()
    );
    assert!(o.failures.is_empty(), "{label}:\n{}", o.failures.join("\n"));
    // The tokens were renewed all along, about once per lifetime: not less
    // (they would have expired) and not many times more (eight clients
    // refused at once must not each spend a refresh token).
    let lifetimes = duration.as_secs() / ttl;
    assert!(
        o.refreshes >= lifetimes - 1,
        "{label}: only {} refreshes in {duration:?}",
        o.refreshes
    );
    assert!(
        o.refreshes <= 2 * lifetimes + 2,
        "{label}: {} refreshes in {duration:?}: a refresh storm",
        o.refreshes
    );
    assert!(
        o.calls > BRIDGES as u64 * duration.as_secs(),
        "{label}: {} calls",
        o.calls
    );
}

fn long_duration() -> Duration {
    Duration::from_secs(
        std::env::var("MCP_AUTH_SOAK_SECS")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(600),
    )
}

#[test]
fn rotation_soak_short_with_and_without_the_daemon() {
    check("with the daemon", Duration::from_secs(40), true);
    check("without the daemon", Duration::from_secs(40), false);
}

#[test]
#[ignore = "the full 10-minute soak; run with --ignored"]
fn rotation_soak_with_the_daemon() {
    check("with the daemon", long_duration(), true);
}

#[test]
#[ignore = "the full 10-minute soak; run with --ignored"]
fn rotation_soak_without_the_daemon() {
    check("without the daemon", long_duration(), false);
}
