//! The daemon's proofs that take time. They mostly wait, so one test runs
//! them all side by side on threads (the test harness would run only as
//! many at once as there are cores, two here, and take twice as long):
//!
//! - 20 credentials whose access tokens live 6 s, with rotating single-use
//!   refresh tokens, kept valid by the daemon alone for a minute;
//! - 8 processes calling `mcp-auth token` in a loop for 30 s on one
//!   rotating credential, with and without the daemon;
//! - SIGKILL to the daemon in the middle of refreshes, many times;
//! - the daemon against oidc-provider with a short access token lifetime.
#![allow(clippy::unwrap_used, clippy::expect_used)]

/// The support this crate uses (files in tests/support/, see its README.md);
/// helpers of these modules that this crate does not call are allowed.
#[allow(dead_code)]
mod support {
    pub mod daemon;
    pub mod fake_as;
    pub mod home;
    pub mod peers;
    pub mod served;
    pub mod token_ledger; // fake_as needs it
}

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use support::daemon::{Daemon, eventually, stored_tokens};
use support::fake_as::{AsConfig, FakeAs};
use support::home::{Home, Run};
use support::peers;

fn setup(config: AsConfig) -> (FakeAs, Home) {
    let server = FakeAs::start(config);
    let home = Home::new();
    home.write_config(&server.provider_toml("acme"));
    (server, home)
}

/// Logs in `n` credentials, four at a time.
fn login_many(home: &Home, n: usize) -> Vec<String> {
    let started = Instant::now();
    let names: Vec<String> = (0..n).map(|i| format!("c{i:02}")).collect();
    std::thread::scope(|s| {
        for chunk in names.chunks(n.div_ceil(4)) {
            s.spawn(move || {
                for name in chunk {
                    home.run(&["login", "acme", "--name", name]).ok();
                }
            });
        }
    });
    eprintln!("{n} logins in {:?}", started.elapsed());
    names
}

/// Nothing any credential needs to be used is missing, damaged or lost:
/// the secrets file parses, the database is intact, every row has its
/// secrets at a generation at least the row's, no journal entry is left
/// (beyond the grace a login in progress gets), and none needs a login.
///
/// The daemon may still be refreshing. A refresh stores the secret before
/// the row, so the rows are read first and the secrets after: a secret read
/// later is at least as new as the row read before it. Read the other way
/// round, a refresh landing between the two reads looks like a secret
/// left behind.
fn assert_intact(home: &Home, names: &[String]) {
    let conn = rusqlite::Connection::open(home.database()).unwrap();
    let check: String = conn
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(check, "ok");
    let rows: Vec<(String, i64, String)> = names
        .iter()
        .map(|name| {
            let (generation, status) = conn
                .query_row(
                    "SELECT generation, status FROM credentials WHERE name = ?1",
                    [name],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .unwrap_or_else(|e| panic!("the row of {name} is gone: {e}"));
            (name.clone(), generation, status)
        })
        .collect();
    let stored = stored_tokens(home);
    for (name, generation, status) in &rows {
        let generation = *generation;
        assert_eq!(status, "active", "{name}");
        let s = stored
            .get(name)
            .unwrap_or_else(|| panic!("the secrets of {name} are gone"));
        assert!(
            s.generation >= generation,
            "{name}: secret at generation {} behind its row at {generation}",
            s.generation
        );
    }
}

#[test]
fn the_daemon_under_load_side_by_side() {
    let scenarios: [(&str, fn()); 5] = [
        (
            "twenty credentials stay valid for a minute with zero invalid_grant",
            twenty_credentials_stay_valid_for_a_minute_with_zero_invalid_grant,
        ),
        (
            "eight processes with the daemon never spend a refresh token twice",
            || hammer(true),
        ),
        (
            "eight processes without the daemon never spend a refresh token twice",
            || hammer(false),
        ),
        (
            "kill -9 in the middle of refreshes loses nothing",
            kill_9_in_the_middle_of_refreshes_loses_nothing,
        ),
        (
            "the daemon keeps an oidc-provider credential valid through several refreshes",
            the_daemon_keeps_an_oidc_provider_credential_valid_through_several_refreshes,
        ),
    ];
    let running: Vec<_> = scenarios
        .into_iter()
        .map(|(name, f)| {
            let t = std::thread::Builder::new()
                .name(name.to_string())
                .spawn(f)
                .unwrap();
            (name, t)
        })
        .collect();
    let failed: Vec<&str> = running
        .into_iter()
        .filter_map(|(name, t)| t.join().is_err().then_some(name))
        .collect();
    assert!(
        failed.is_empty(),
        "failed (see the panics above): {failed:?}"
    );
}

fn twenty_credentials_stay_valid_for_a_minute_with_zero_invalid_grant() {
    let (server, home) = setup(AsConfig {
        access_ttl: 6,
        ..AsConfig::default()
    });
    let names = login_many(&home, 20);
    let d = Daemon::start(&home, &[]);
    let started = Instant::now();
    let mut invalid = Vec::new();
    let mut polls = 0;
    let mut calls = 0;
    while started.elapsed() < Duration::from_secs(60) {
        // What the daemon stored must be valid at the server at every
        // moment: nobody but the daemon refreshes here.
        for (name, s) in stored_tokens(&home) {
            if !server.access_token_valid(&s.access_token) {
                invalid.push(format!("{:?} stored {name}", started.elapsed()));
            }
        }
        polls += 1;
        if polls % 4 == 0 {
            let name = &names[calls % names.len()];
            calls += 1;
            let run = home.run(&["token", name, "--min-valid", "0s"]);
            let token = run.ok().stdout();
            if !server.access_token_valid(token.trim()) {
                invalid.push(format!("{:?} token {name}", started.elapsed()));
            }
        }
        std::thread::sleep(Duration::from_millis(250));
    }
    let status = d.status().unwrap();
    let stats = server.stats();
    assert!(
        invalid.is_empty(),
        "invalid tokens: {invalid:?}\n{}",
        d.log_text()
    );
    assert_eq!(stats.reused_refresh_tokens, 0);
    assert!(stats.errors.is_empty(), "{:?}", stats.errors);
    assert_eq!(status["refresh_failures"], 0, "{status}");
    assert_eq!(status["watched"], 20, "{status}");
    // Each token lives 6 s and is refreshed 2 to 2.4 s ahead: about 15
    // refreshes per credential in a minute.
    let refreshes = status["refreshes"].as_u64().unwrap();
    assert!(refreshes >= 20 * 12, "only {refreshes} refreshes: {status}");
    // Every refresh was the daemon's. The daemon counts a refresh once it
    // has stored the answer, the server once it has sent it, and the two
    // were read one after the other while refreshes go on: the server may be
    // ahead by the ones in flight, at most one per credential. A poll that
    // refreshed by itself would put it far ahead.
    let served = stats.refreshes as u64;
    assert!(
        (refreshes..=refreshes + 20).contains(&served),
        "the server served {served} refreshes, the daemon made {refreshes}"
    );
    let list = home.run(&["tokens", "list", "--json"]).ok().json();
    for c in list.as_array().unwrap() {
        assert!(c["last_error"].is_null(), "{c}");
        assert_ne!(c["health"], "needs_login", "{c}");
    }
    assert_intact(&home, &names);
    eprintln!(
        "20 credentials for 60 s: {refreshes} refreshes, {polls} checks of all 20, {calls} token calls, 0 invalid"
    );
}

/// 8 processes, each calling `token acme --min-valid 2h` in a loop for
/// 30 s. The server's tokens live 1 h, so every call needs a refresh:
/// the most pressure a rotating refresh token can get.
fn hammer(with_daemon: bool) {
    let (server, home) = setup(AsConfig::default());
    home.run(&["login", "acme"]).ok();
    let daemon = with_daemon.then(|| Daemon::start(&home, &[]));
    let server = Arc::new(server);
    let home = Arc::new(home);
    let failures = Arc::new(Mutex::new(Vec::new()));
    let calls = Arc::new(AtomicUsize::new(0));
    let deadline = Instant::now() + Duration::from_secs(30);
    let workers: Vec<_> = (0..8)
        .map(|_| {
            let (server, home, failures, calls) = (
                server.clone(),
                home.clone(),
                failures.clone(),
                calls.clone(),
            );
            std::thread::spawn(move || {
                while Instant::now() < deadline {
                    let run = home.run(&["token", "acme", "--min-valid", "2h"]);
                    calls.fetch_add(1, Ordering::Relaxed);
                    let token = run.stdout().trim().to_string();
                    if run.code() != 0 || !server.access_token_valid(&token) {
                        failures.lock().unwrap().push(format!(
                            "exit {}: {}",
                            run.code(),
                            run.stderr()
                        ));
                    }
                }
            })
        })
        .collect();
    for w in workers {
        w.join().unwrap();
    }
    let calls = calls.load(Ordering::Relaxed);
    let failures = failures.lock().unwrap();
    let stats = server.stats();
    let log = daemon.as_ref().map(|d| d.log_text()).unwrap_or_default();
    assert!(
        failures.is_empty(),
        "{} of {calls} calls failed: {:?}\n{log}",
        failures.len(),
        &failures[..failures.len().min(5)]
    );
    assert_eq!(stats.reused_refresh_tokens, 0);
    assert!(stats.errors.is_empty(), "{:?}", stats.errors);
    assert!(calls >= 100, "only {calls} calls in 30 s");
    assert!(
        stats.refreshes >= calls,
        "{} refreshes for {calls} calls",
        stats.refreshes
    );
    let shown = home.run(&["tokens", "show", "acme", "--json"]).ok().json();
    assert_eq!(shown["health"], "valid");
    assert_intact(&home, &["acme".to_string()]);
    eprintln!(
        "8 processes for 30 s {} the daemon: {calls} calls, {} refreshes, 0 reused",
        if with_daemon { "with" } else { "without" },
        stats.refreshes
    );
}

/// SIGKILL lands while refresh requests are in flight: the server holds
/// them (they spend nothing), the daemon dies waiting, and the held
/// requests are then answered `temporarily_unavailable` to nobody.
///
/// The one moment no client of a strictly single-use server can survive —
/// between the server spending a refresh token and the client storing the
/// new one, a few milliseconds — is left out on purpose: the kill waits
/// until every stored refresh token is live at the server.
fn kill_9_in_the_middle_of_refreshes_loses_nothing() {
    let (server, home) = setup(AsConfig {
        access_ttl: 4,
        ..AsConfig::default()
    });
    let names = login_many(&home, 10);
    let mut held_kills = 0;
    for round in 0..8u64 {
        let d = Daemon::start(&home, &[]);
        // Let it refresh for a while (varying, so kills land at different
        // points of the schedule).
        std::thread::sleep(Duration::from_millis(600 + (round * 337) % 1500));
        let held_before = server.stats().held;
        server.set_hold(true);
        let in_flight = eventually(Duration::from_secs(4), || server.stats().held > held_before);
        let settled = eventually(Duration::from_secs(5), || {
            stored_tokens(&home).values().all(|s| {
                s.refresh_token
                    .as_deref()
                    .is_some_and(|rt| server.refresh_token_live(rt))
            })
        });
        assert!(
            settled,
            "round {round}: answered refreshes were never stored"
        );
        if in_flight {
            held_kills += 1;
        }
        d.kill9();
        server.set_hold(false);
        assert_intact(&home, &names);
    }
    assert!(
        held_kills >= 4,
        "only {held_kills} of 8 kills caught refreshes in flight"
    );
    // The next start carries on: every credential refreshes and works.
    let d = Daemon::start(&home, &[]);
    let refreshed_before = server.stats().refreshes;
    assert!(eventually(Duration::from_secs(15), || {
        d.status().unwrap()["refreshes"].as_u64().unwrap() >= 10
    }));
    for name in &names {
        let token = home
            .run(&["token", name, "--min-valid", "0s"])
            .ok()
            .stdout();
        assert!(server.access_token_valid(token.trim()), "{name}");
    }
    let stats = server.stats();
    assert!(stats.refreshes > refreshed_before);
    assert_eq!(stats.reused_refresh_tokens, 0, "{}", d.log_text());
    assert_eq!(d.status().unwrap()["needs_login"], 0);
    assert_intact(&home, &names);
    eprintln!(
        "8 SIGKILLs ({held_kills} with refreshes in flight, {} requests held): nothing lost",
        stats.held
    );
}

/// oidc-provider rotates refresh tokens and, on reuse of a spent one,
/// revokes the whole grant: any slip would end the test with
/// `invalid_grant`.
fn the_daemon_keeps_an_oidc_provider_credential_valid_through_several_refreshes() {
    let peer = peers::start("oidc-provider.mjs", &[("ACCESS_TTL", "6")]);
    let issuer = peer.url.clone();
    let home = Home::new();
    home.write_config(&peers::oidc_provider_config(&issuer));
    let login = home
        .cmd()
        .env("MCP_AUTH_BROWSER", peers::browser_command())
        .args(["login", "oidc"])
        .output()
        .unwrap();
    Run(login).ok();
    let d = Daemon::start(&home, &[]);
    let mut seen = std::collections::HashSet::new();
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(22) {
        let token = home
            .run(&["token", "oidc", "--min-valid", "0s"])
            .ok()
            .stdout()
            .trim()
            .to_string();
        assert_eq!(
            peers::userinfo_status(&issuer, &token),
            200,
            "at {:?}\n{}",
            started.elapsed(),
            d.log_text()
        );
        seen.insert(token);
        std::thread::sleep(Duration::from_millis(700));
    }
    let status = d.status().unwrap();
    let refreshes = status["refreshes"].as_u64().unwrap();
    assert!(refreshes >= 4, "{status}");
    assert_eq!(status["refresh_failures"], 0, "{status}\n{}", d.log_text());
    assert!(seen.len() >= 4, "{} distinct tokens", seen.len());
    let shown = home.run(&["tokens", "show", "oidc", "--json"]).ok().json();
    assert!(shown["last_error"].is_null(), "{shown}");
    assert!(shown["generation"].as_i64().unwrap() > 4, "{shown}");
    eprintln!(
        "oidc-provider: {refreshes} refreshes by the daemon, {} distinct tokens, all accepted",
        seen.len()
    );
}
