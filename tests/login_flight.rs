//! One login, however many processes ask: bridges (and `mcp-auth token`)
//! started at once against a server with nothing saved open one browser,
//! register one client and are all served; a killed login lets the next
//! one start at once; a failed one is reported to every waiter without
//! another login; servers of one authorization server and resource share a
//! credential, servers of different resources do not; an expired
//! credential is refreshed once for many bridges. The real binary against
//! the in-process fake authorization server, which counts what it sees.
#![allow(clippy::unwrap_used, clippy::expect_used)]

/// The support this crate uses (files in tests/support/, see its README.md);
/// helpers of these modules that this crate does not call are allowed.
#[allow(dead_code)]
mod support {
    pub mod bridge;
    pub mod daemon;
    pub mod fake_as;
    pub mod home;
    pub mod seed;
    pub mod served;
    pub mod token_ledger; // fake_as needs it
    pub use seed::*;
}

use std::process::Stdio;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use support::bridge::{Bridge, Options};
use support::fake_as::{AsConfig, AuthorizeMode, FakeAs, McpKnobs};
use support::home::{FOLLOW_REDIRECT, Home};

/// The `_meta` a 2026-era client puts on every request: no handshake, so
/// the first request is the one that meets the 401.
fn meta() -> Value {
    json!({
        "io.modelcontextprotocol/protocolVersion": "2026-07-28",
        "io.modelcontextprotocol/clientInfo": {"name": "t", "version": "1"},
        "io.modelcontextprotocol/clientCapabilities": {}
    })
}

fn list(b: &mut Bridge) -> Value {
    b.request("tools/list", json!({"_meta": meta()}))
}

/// A browser that records each opening in `log`, takes `delay` (a person
/// reading the consent page), then follows the redirect as curl.
fn slow_browser(log: &std::path::Path, delay: &str) -> String {
    format!(
        "sh -c 'echo open >> {}; sleep {delay}; exec {FOLLOW_REDIRECT} \"$0\"'",
        log.display()
    )
}

fn opens(log: &std::path::Path) -> usize {
    std::fs::read_to_string(log)
        .map(|t| t.lines().count())
        .unwrap_or(0)
}

fn name_of(fake: &FakeAs) -> String {
    let port = fake.url.rsplit(':').next().unwrap();
    format!("127.0.0.1-{port}")
}

fn fake() -> FakeAs {
    let fake = FakeAs::start(AsConfig::default());
    fake.set_mcp(McpKnobs::default());
    fake
}

const WAITING: &str = "is in progress in another process (pid ";

#[test]
fn bridges_and_a_token_call_started_at_once_share_one_login() {
    one_login_for_bridges_and_a_token(false);
}

/// The daemon holds no browser: with it up, the login lock decides alike.
#[test]
fn with_the_daemon_up_bridges_and_a_token_call_share_one_login_too() {
    one_login_for_bridges_and_a_token(true);
}

fn one_login_for_bridges_and_a_token(daemon: bool) {
    let fake = fake();
    let home = Home::new();
    let _daemon = daemon.then(|| support::daemon::Daemon::start(&home, &[]));
    let log = home.path().join("browser-opens");
    // Long enough for every bridge to meet the running login on a busy
    // machine.
    let browser = slow_browser(&log, "2");
    let url = fake.mcp_url();
    let opts = Options::default()
        .home(home.path())
        .env("MCP_AUTH_BROWSER", &browser);
    let mut bridges: Vec<Bridge> = (0..4)
        .map(|_| Bridge::start_with(&url, opts.clone()))
        .collect();
    // Every bridge meets the 401 at once.
    let answers: Vec<Value> = std::thread::scope(|s| {
        let handles: Vec<_> = bridges
            .iter_mut()
            .map(|b| s.spawn(move || list(b)))
            .collect();
        // A script asks for the token while the login runs.
        wait_for_holder(&home, &name_of(&fake));
        let token = home
            .cmd()
            .args(["token", &url])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&token.stderr).into_owned();
        assert!(token.status.success(), "token failed: {err}");
        let printed = String::from_utf8_lossy(&token.stdout).trim().to_string();
        assert!(
            fake.access_token_valid(&printed),
            "token printed {printed:?}"
        );
        assert!(err.contains(WAITING), "token did not say it waits: {err}");
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    for (a, b) in answers.iter().zip(&bridges) {
        assert_eq!(a["result"], json!({"ok": true}), "{a}\n{}", b.stderr());
    }
    let stats = fake.stats();
    assert_eq!(opens(&log), 1, "one browser opening");
    assert_eq!(stats.authorize_requests, 1, "one authorization request");
    assert_eq!(stats.registrations, 1, "one client registration");
    assert_eq!(stats.code_exchanges, 1);
    assert!(stats.errors.is_empty(), "{:?}", stats.errors);
    // Every bridge but the one that logged in said, once, that it waits,
    // for which credential and which process.
    let name = name_of(&fake);
    let leader: Vec<u32> = bridges
        .iter()
        .filter(|b| b.stderr().contains("logged in; saved as"))
        .map(Bridge::pid)
        .collect();
    assert_eq!(leader.len(), 1, "one bridge logged in");
    for b in bridges.iter().filter(|b| b.pid() != leader[0]) {
        let err = b.stderr();
        let line = format!(
            "a login for '{name}' is in progress in another process (pid {}",
            leader[0]
        );
        assert_eq!(err.matches(&line).count(), 1, "said once: {err}");
        assert!(
            !err.contains("mcp-auth: logging in to"),
            "a waiter logged in: {err}"
        );
    }
}

#[test]
fn a_login_in_a_terminal_satisfies_bridges_waiting_for_it() {
    let fake = fake();
    let home = Home::new();
    let log = home.path().join("browser-opens");
    let mut login = home
        .cmd()
        .args(["login", &fake.mcp_url()])
        .env("MCP_AUTH_BROWSER", slow_browser(&log, "2"))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    wait_for_holder(&home, &name_of(&fake));
    let opts = Options::default()
        .home(home.path())
        .env("MCP_AUTH_BROWSER", "false");
    let mut bridges: Vec<Bridge> = (0..2)
        .map(|_| Bridge::start_with(&fake.mcp_url(), opts.clone()))
        .collect();
    std::thread::scope(|s| {
        for b in bridges.iter_mut() {
            s.spawn(move || {
                let a = list(b);
                assert_eq!(a["result"], json!({"ok": true}), "{a}\n{}", b.stderr());
            });
        }
    });
    assert!(login.wait().unwrap().success());
    for b in &bridges {
        let err = b.stderr();
        assert!(
            err.contains(&format!("(pid {}, mcp-auth login)", login.id())),
            "{err}"
        );
    }
    assert_eq!(opens(&log), 1);
    assert_eq!(fake.stats().authorize_requests, 1);
}

/// Waits until a login holds the lock of `name` (its holder record exists).
fn wait_for_holder(home: &Home, name: &str) {
    let holder = home.path().join(format!("run/login-{name}.holder"));
    let deadline = Instant::now() + Duration::from_secs(10);
    while !holder.exists() {
        assert!(Instant::now() < deadline, "no login took the lock");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn a_killed_login_lets_the_next_one_start_within_seconds() {
    let fake = fake();
    let home = Home::new();
    // The first login's browser never comes back: the person walked away.
    let mut first = home
        .cmd()
        .args(["login", &fake.mcp_url(), "--timeout", "5m"])
        .env("MCP_AUTH_BROWSER", "true")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    wait_for_holder(&home, &name_of(&fake));
    let mut b = Bridge::start_with(
        &fake.mcp_url(),
        Options::default()
            .home(home.path())
            .env("MCP_AUTH_BROWSER", FOLLOW_REDIRECT),
    );
    b.send(
        &json!({"jsonrpc": "2.0", "id": 1, "method": "tools/list", "params": {"_meta": meta()}}),
    );
    let said = b.stderr_with(WAITING);
    assert!(said.contains(&format!("(pid {}", first.id())), "{said}");
    // Killed: no result is left, and the kernel drops its lock.
    first.kill().unwrap();
    first.wait().unwrap();
    let killed = Instant::now();
    let a = b.response(&json!(1));
    assert_eq!(a["result"], json!({"ok": true}), "{a}\n{}", b.stderr());
    assert!(
        killed.elapsed() < Duration::from_secs(5),
        "took {:?} after the kill",
        killed.elapsed()
    );
    assert!(b.stderr().contains("logged in; saved as"), "{}", b.stderr());
}

#[test]
fn a_failed_login_reaches_every_waiter_once_and_is_not_run_again() {
    let fake = fake();
    fake.set_authorize_mode(AuthorizeMode::Deny);
    let home = Home::new();
    let log = home.path().join("browser-opens");
    let opts = Options::default()
        .home(home.path())
        .env("MCP_AUTH_BROWSER", &slow_browser(&log, "2"));
    let mut bridges: Vec<Bridge> = (0..3)
        .map(|_| Bridge::start_with(&fake.mcp_url(), opts.clone()))
        .collect();
    let answers: Vec<Value> = std::thread::scope(|s| {
        let handles: Vec<_> = bridges
            .iter_mut()
            .map(|b| s.spawn(move || list(b)))
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    for a in &answers {
        let msg = a["error"]["message"].as_str().unwrap_or_default();
        assert!(msg.contains("denied") || msg.contains("said no"), "{a}");
    }
    let waited: Vec<&Value> = answers
        .iter()
        .filter(|a| {
            a["error"]["message"]
                .as_str()
                .unwrap_or_default()
                .contains("in another process (pid")
        })
        .collect();
    assert_eq!(waited.len(), 2, "{answers:#?}");
    assert_eq!(opens(&log), 1, "one browser opening");
    assert_eq!(fake.stats().authorize_requests, 1);
    assert_eq!(fake.stats().registrations, 1);
}

#[test]
fn servers_of_one_issuer_and_resource_share_a_credential() {
    let fake = fake();
    // Both servers name the same resource: their common origin.
    fake.set_mcp(McpKnobs {
        prm_resource: Some(fake.url.clone()),
        ..McpKnobs::default()
    });
    let home = Home::new();
    let opts = Options::default()
        .home(home.path())
        .env("MCP_AUTH_BROWSER", FOLLOW_REDIRECT);
    let mut a = Bridge::start_with(&fake.mcp_url(), opts.clone());
    assert_eq!(list(&mut a)["result"], json!({"ok": true}));
    let mut b = Bridge::start_with(&fake.other_mcp_url(), opts.clone());
    let r = list(&mut b);
    assert_eq!(r["result"], json!({"ok": true}), "{r}\n{}", b.stderr());
    assert!(
        b.stderr()
            .contains(&format!("shares the credential '{}'", name_of(&fake))),
        "{}",
        b.stderr()
    );
    assert_eq!(fake.stats().authorize_requests, 1, "one login for both");
    // From now on the second server finds the credential by its URL,
    // without discovery or a login.
    drop(b);
    let mut again = Bridge::start_with(
        &fake.other_mcp_url(),
        opts.clone().env("MCP_AUTH_BROWSER", "false"),
    );
    assert_eq!(list(&mut again)["result"], json!({"ok": true}));
    let token = home.run(&["token", &fake.other_mcp_url()]);
    assert!(fake.access_token_valid(token.ok().stdout().trim()));
    assert_eq!(fake.stats().authorize_requests, 1);
}

#[test]
fn servers_of_different_resources_each_log_in_and_keep_their_own_credential() {
    let fake = fake();
    let home = Home::new();
    let name = name_of(&fake);
    // The second server first, as an earlier version saved it: under the
    // host's name alone.
    home.run(&["login", &fake.other_mcp_url()]).ok();
    assert!(
        support::store(home.path())
            .db()
            .get(&name)
            .unwrap()
            .is_some()
    );
    let opts = Options::default()
        .home(home.path())
        .env("MCP_AUTH_BROWSER", FOLLOW_REDIRECT);
    let mut a = Bridge::start_with(&fake.mcp_url(), opts.clone());
    let r = list(&mut a);
    assert_eq!(r["result"], json!({"ok": true}), "{r}\n{}", a.stderr());
    assert_eq!(fake.stats().authorize_requests, 2, "one login per resource");
    // The host's name is taken by the other server: this one's has its path.
    assert!(
        a.stderr().contains(&format!("saved as '{name}-mcp'")),
        "{}",
        a.stderr()
    );
    let store = support::store(home.path());
    let other = store.db().get(&name).unwrap().unwrap();
    assert_eq!(
        other.resource.as_deref(),
        Some(fake.other_mcp_url().as_str())
    );
    let mine = store.db().get(&format!("{name}-mcp")).unwrap().unwrap();
    assert_eq!(mine.resource.as_deref(), Some(fake.mcp_url().as_str()));
    // The credential under the host-only name is still the other server's,
    // found by its URL with no login.
    let mut b = Bridge::start_with(&fake.other_mcp_url(), opts.env("MCP_AUTH_BROWSER", "false"));
    assert_eq!(list(&mut b)["result"], json!({"ok": true}));
    assert_eq!(fake.stats().authorize_requests, 2);
}

#[test]
fn ten_bridges_with_an_expired_credential_and_no_daemon_refresh_once() {
    let fake = fake();
    let home = Home::new();
    let rt = fake.mint_refresh_token();
    support::seed_credential_expiring(
        home.path(),
        "fake",
        &fake.mcp_url(),
        &format!("{}/token", fake.url),
        "at-expired",
        Some(&rt),
        -10,
    );
    let opts = Options::default()
        .home(home.path())
        .env("MCP_AUTH_BROWSER", "false");
    let mut bridges: Vec<Bridge> = (0..10)
        .map(|_| Bridge::start_with(&fake.mcp_url(), opts.clone()))
        .collect();
    std::thread::scope(|s| {
        for b in bridges.iter_mut() {
            s.spawn(move || {
                let a = list(b);
                assert_eq!(a["result"], json!({"ok": true}), "{a}\n{}", b.stderr());
            });
        }
    });
    let stats = fake.stats();
    assert_eq!(stats.refreshes, 1, "one refresh between ten bridges");
    assert_eq!(stats.reused_refresh_tokens, 0);
    assert_eq!(stats.authorize_requests, 0);
}

#[test]
fn an_explicit_login_for_other_scopes_runs_after_the_running_one() {
    let fake = fake();
    let home = Home::new();
    let log = home.path().join("browser-opens");
    let mut b = Bridge::start_with(
        &fake.mcp_url(),
        Options::default()
            .home(home.path())
            .env("MCP_AUTH_BROWSER", &slow_browser(&log, "2")),
    );
    b.send(
        &json!({"jsonrpc": "2.0", "id": 1, "method": "tools/list", "params": {"_meta": meta()}}),
    );
    wait_for_holder(&home, &name_of(&fake));
    let login = home.run(&["login", &fake.mcp_url(), "--scope", "mcp:write"]);
    login.ok();
    assert!(
        login
            .stderr()
            .contains(&format!("(pid {}, mcp-auth bridge)", b.pid())),
        "{}",
        login.stderr()
    );
    let a = b.response(&json!(1));
    assert_eq!(a["result"], json!({"ok": true}), "{a}");
    // Not merged: it ran after the bridge's, with its own consent, and its
    // scopes replaced what the bridge's login saved.
    let stats = fake.stats();
    assert_eq!(stats.authorize_requests, 2);
    assert_eq!(stats.last_scope.as_deref(), Some("mcp:write"));
    let saved = support::store(home.path())
        .db()
        .get(&name_of(&fake))
        .unwrap()
        .unwrap();
    assert_eq!(saved.scopes, vec!["mcp:write".to_string()]);
}

#[test]
fn two_servers_of_one_resource_starting_at_once_make_one_login() {
    let fake = fake();
    fake.set_mcp(McpKnobs {
        prm_resource: Some(fake.url.clone()),
        ..McpKnobs::default()
    });
    let home = Home::new();
    let log = home.path().join("browser-opens");
    let opts = Options::default()
        .home(home.path())
        .env("MCP_AUTH_BROWSER", &slow_browser(&log, "1"));
    let mut a = Bridge::start_with(&fake.mcp_url(), opts.clone());
    let mut b = Bridge::start_with(&fake.other_mcp_url(), opts);
    std::thread::scope(|s| {
        for x in [&mut a, &mut b] {
            s.spawn(move || {
                let r = list(x);
                assert_eq!(r["result"], json!({"ok": true}), "{r}\n{}", x.stderr());
            });
        }
    });
    assert_eq!(opens(&log), 1, "one browser opening");
    assert_eq!(fake.stats().authorize_requests, 1);
    // One logged in; the other waited, then shared its credential under
    // its own name (the host's name went to the first).
    let shared = [&a, &b]
        .iter()
        .filter(|x| x.stderr().contains("shares the credential"))
        .count();
    assert_eq!(shared, 1, "{}\n{}", a.stderr(), b.stderr());
}

/// Regression guard: two servers on one host with nothing saved both want
/// the host's name at first; the one that waited must not take the other
/// server's credential (another resource) for its own.
#[test]
fn two_servers_of_different_resources_starting_at_once_log_in_each_for_itself() {
    let fake = fake();
    let home = Home::new();
    let opts = Options::default().home(home.path()).env(
        "MCP_AUTH_BROWSER",
        &slow_browser(&home.path().join("opens"), "1"),
    );
    let mut a = Bridge::start_with(&fake.mcp_url(), opts.clone());
    let mut b = Bridge::start_with(&fake.other_mcp_url(), opts);
    std::thread::scope(|s| {
        for x in [&mut a, &mut b] {
            s.spawn(move || {
                let r = list(x);
                assert_eq!(r["result"], json!({"ok": true}), "{r}\n{}", x.stderr());
            });
        }
    });
    assert_eq!(fake.stats().authorize_requests, 2, "one login per resource");
    let store = support::store(home.path());
    for url in [fake.mcp_url(), fake.other_mcp_url()] {
        let server = mcp_auth::mcp::canonical_server_url(&url).unwrap();
        let found = store.db().find_by_server(&server).unwrap();
        assert_eq!(found.len(), 1, "{url}: {found:?}");
        assert_eq!(found[0].resource.as_deref(), Some(url.as_str()));
    }
}

#[test]
fn a_token_call_waits_for_a_provider_login_running_in_a_terminal() {
    let fake = FakeAs::start(AsConfig::default());
    let home = Home::new();
    home.write_config(&fake.provider_toml("work"));
    let log = home.path().join("browser-opens");
    let mut login = home
        .cmd()
        .args(["login", "work"])
        .env("MCP_AUTH_BROWSER", slow_browser(&log, "1"))
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    wait_for_holder(&home, "work");
    let token = home.run(&["token", "work"]);
    let printed = token.ok().stdout().trim().to_string();
    assert!(fake.access_token_valid(&printed), "{printed:?}");
    assert!(
        token.stderr().contains(&format!(
            "a login for 'work' is in progress in another process (pid {}, mcp-auth login)",
            login.id()
        )),
        "{}",
        token.stderr()
    );
    assert!(login.wait().unwrap().success());
    // Nothing running: a missing credential is said at once.
    let start = Instant::now();
    home.run(&["token", "nothing"])
        .fails_with(4, "no credential named");
    assert!(start.elapsed() < Duration::from_secs(5));
}
