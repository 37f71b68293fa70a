//! Fault injection: the real binary against an authorization server, a
//! secret store and a database that fail in every way the issue lists.
//! Each fault must give a clear message and the documented exit code (or
//! JSON-RPC error, in the bridge), never a panic, and lose no credential:
//! once the fault is gone the stored credential works with no new login.

mod support;

use std::time::{Duration, Instant};

use support::daemon::stored_tokens;
use support::expire_access;
use support::fake_as::{AsConfig, FakeAs, TokenMode};
use support::home::{Home, Run};

fn setup(config: AsConfig) -> (FakeAs, Home) {
    let server = FakeAs::start(config);
    let home = Home::new();
    home.write_config(&server.provider_toml("acme"));
    home.run(&["login", "acme"]).ok();
    (server, home)
}

/// The stored refresh token of `name`.
fn stored_rt(home: &Home, name: &str) -> String {
    stored_tokens(home)[name].refresh_token.clone().unwrap()
}

/// After a fault: the stored refresh token is still the one the server
/// considers live, and a refresh with it works.
#[track_caller]
fn nothing_lost(server: &FakeAs, home: &Home) {
    let rt = stored_rt(home, "acme");
    assert!(server.refresh_token_live(&rt), "the stored {rt} was spent");
    server.set_token_mode(TokenMode::Normal);
    let token = home.run(&["token", "acme", "--min-valid", "2h"]);
    assert!(server.access_token_valid(token.ok().stdout().trim()));
    assert_eq!(server.stats().reused_refresh_tokens, 0);
    let shown = home.run(&["tokens", "show", "acme", "--json"]).ok().json();
    assert_eq!(shown["health"], "valid", "{shown}");
}

#[test]
fn a_connection_reset_mid_answer_is_a_network_error_and_keeps_the_refresh_token() {
    let (server, home) = setup(AsConfig::default());
    expire_access(home.path(), "acme");
    server.set_token_mode(TokenMode::ResetMidResponse);
    let run = home.run(&["token", "acme"]);
    eprintln!("{}", run.stderr());
    run.fails_with(7, "the refresh failed: the response was cut off");
    nothing_lost(&server, &home);
}

#[test]
fn a_reset_before_any_answer_is_a_network_error_and_keeps_the_refresh_token() {
    // The server is gone: connection refused, the same class of failure.
    let (mut server, home) = setup(AsConfig::default());
    let _ = &mut server;
    expire_access(home.path(), "acme");
    let port = server.url.rsplit(':').next().unwrap().to_string();
    drop(server);
    let run = home.run(&["token", "acme"]);
    eprintln!("{}", run.stderr());
    run.fails_with(7, "could not connect");
    assert!(!run.stderr().contains(&port) || run.stderr().contains("127.0.0.1"));
}

#[test]
fn a_slow_server_times_out_after_http_timeout_and_keeps_the_refresh_token() {
    let (server, home) = setup(AsConfig::default());
    expire_access(home.path(), "acme");
    server.set_token_mode(TokenMode::Slow(Duration::from_secs(4)));
    let started = Instant::now();
    let run = Run(home
        .cmd()
        .env("MCP_AUTH_HTTP_TIMEOUT", "1s")
        .args(["token", "acme"])
        .output()
        .unwrap());
    eprintln!("{}", run.stderr());
    run.fails_with(
        10,
        "the refresh failed: the server did not answer within 1s (raise http_timeout",
    );
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
    // The server would have processed it late, had the client still been
    // there: wait past that, then nothing may be spent.
    std::thread::sleep(Duration::from_secs(4));
    nothing_lost(&server, &home);
}

#[test]
fn http_500_and_503_with_and_without_retry_after_are_clear_and_keep_the_refresh_token() {
    let (server, home) = setup(AsConfig::default());
    expire_access(home.path(), "acme");
    for (status, retry_after, needle) in [
        (
            500,
            None,
            "the refresh failed: http_500 (the server answered HTTP 500 Internal Server Error)",
        ),
        (
            503,
            None,
            "the refresh failed: http_503 (the server answered HTTP 503 Service Unavailable)",
        ),
        (
            503,
            Some(30),
            "HTTP 503 Service Unavailable); the server asked to retry in 30s",
        ),
        (
            429,
            Some(7),
            "HTTP 429 Too Many Requests); the server asked to retry in 7s",
        ),
    ] {
        server.set_token_mode(TokenMode::Unavailable {
            status,
            retry_after,
        });
        let run = home.run(&["token", "acme"]);
        eprintln!("{}", run.stderr());
        run.fails_with(6, needle);
        if retry_after.is_none() {
            assert!(!run.stderr().contains("retry in"), "{}", run.stderr());
        }
        let shown = home.run(&["tokens", "show", "acme", "--json"]).ok().json();
        assert!(
            shown["last_error"]
                .as_str()
                .unwrap()
                .contains(&format!("http_{status}"))
        );
        assert_ne!(shown["health"], "needs_login");
    }
    nothing_lost(&server, &home);
}

#[test]
fn truncated_json_is_a_clear_error_and_keeps_the_refresh_token() {
    let (server, home) = setup(AsConfig::default());
    expire_access(home.path(), "acme");
    server.set_token_mode(TokenMode::Garbage);
    let run = home.run(&["token", "acme"]);
    eprintln!("{}", run.stderr());
    run.fails_with(
        6,
        "the refresh failed: the server's answer is not a valid token response",
    );
    nothing_lost(&server, &home);
}

#[test]
fn a_token_response_without_expires_in_is_saved_as_not_expiring_and_still_renews() {
    let server = FakeAs::start(AsConfig::default());
    let home = Home::new();
    home.write_config(&server.provider_toml("acme"));
    server.set_token_mode(TokenMode::NoExpiresIn);
    let saved = home.run(&["login", "acme", "--json"]).ok().json();
    assert!(saved["expires_at"].is_null(), "{saved}");
    assert_eq!(saved["health"], "valid");
    let first = home
        .run(&["token", "acme", "--min-valid", "2h"])
        .ok()
        .stdout();
    assert!(server.access_token_valid(first.trim()));
    // Nothing says it expires, so nothing refreshes it on a schedule; a
    // forced refresh still works and keeps the refresh token rotating.
    assert_eq!(server.stats().refreshes, 0);
    home.run(&["tokens", "refresh", "acme"]).ok();
    let second = home.run(&["token", "acme"]).ok().stdout();
    assert_ne!(first, second);
    assert!(server.access_token_valid(second.trim()));
    assert_eq!(stored_tokens(&home)["acme"].generation, 2);
    // A server that adds expires_in later is believed again.
    server.set_token_mode(TokenMode::Normal);
    home.run(&["tokens", "refresh", "acme"]).ok();
    let shown = home.run(&["tokens", "show", "acme", "--json"]).ok().json();
    assert!(shown["expires_at"].is_string(), "{shown}");
    assert_eq!(server.stats().reused_refresh_tokens, 0);
}

#[test]
fn a_refresh_without_a_new_refresh_token_keeps_the_old_one_and_it_keeps_working() {
    let (server, home) = setup(AsConfig {
        rotate_refresh: false,
        ..AsConfig::default()
    });
    let rt = stored_rt(&home, "acme");
    for generation in 2..=4 {
        home.run(&["tokens", "refresh", "acme"]).ok();
        let stored = &stored_tokens(&home)["acme"];
        assert_eq!(stored.refresh_token.as_deref(), Some(rt.as_str()));
        assert_eq!(stored.generation, generation);
        assert!(server.access_token_valid(&stored.access_token));
    }
    assert!(server.refresh_token_live(&rt));
    assert_eq!(server.stats().refreshes, 3);
    let shown = home.run(&["tokens", "show", "acme", "--json"]).ok().json();
    assert_eq!(shown["refresh_expires_at"], serde_json::Value::Null);
    assert_eq!(shown["renewable"], true);
}

#[test]
fn a_rotating_refresh_stores_the_new_refresh_token_before_the_old_one_is_dropped() {
    let (server, home) = setup(AsConfig::default());
    let mut rt = stored_rt(&home, "acme");
    for _ in 0..3 {
        home.run(&["tokens", "refresh", "acme"]).ok();
        let now = stored_rt(&home, "acme");
        assert_ne!(now, rt);
        assert!(!server.refresh_token_live(&rt), "the old one is spent");
        assert!(server.refresh_token_live(&now), "the stored one is live");
        rt = now;
    }
    assert_eq!(server.stats().reused_refresh_tokens, 0);
}

#[test]
fn a_refresh_answered_twice_after_a_lost_answer_is_stored_once_and_consistently() {
    // The server spends the refresh token and issues new tokens, but the
    // answer is lost on the way: the client keeps the old refresh token.
    // A server with a reuse interval answers its next use with the same
    // tokens again: they must be stored as one new generation.
    let (server, home) = setup(AsConfig {
        replay_spent: true,
        ..AsConfig::default()
    });
    expire_access(home.path(), "acme");
    let old_rt = stored_rt(&home, "acme");
    server.set_token_mode(TokenMode::ResetAfterIssue);
    home.run(&["token", "acme"])
        .fails_with(7, "the response was cut off");
    assert!(!server.refresh_token_live(&old_rt), "the server spent it");
    assert_eq!(stored_rt(&home, "acme"), old_rt, "the client kept it");
    server.set_token_mode(TokenMode::Normal);
    let token = home.run(&["token", "acme"]).ok().stdout();
    let stats = server.stats();
    assert_eq!(stats.replays, 1, "{stats:?}");
    assert!(server.access_token_valid(token.trim()));
    let stored = &stored_tokens(&home)["acme"];
    assert_eq!(stored.generation, 2);
    assert!(server.refresh_token_live(stored.refresh_token.as_deref().unwrap()));
    let shown = home.run(&["tokens", "show", "acme", "--json"]).ok().json();
    assert_eq!(shown["generation"], 2);
    assert_eq!(shown["health"], "valid");
    // The replayed answer is an ordinary one from here on.
    home.run(&["tokens", "refresh", "acme"]).ok();
    assert_eq!(stored_tokens(&home)["acme"].generation, 3);
    assert_eq!(server.stats().reused_refresh_tokens, 0);
}

#[test]
fn a_lost_answer_from_a_strict_server_ends_in_needs_login_never_in_a_broken_valid() {
    // Without a reuse interval the spent refresh token is refused: only a
    // new login helps, and the credential says so (its record kept).
    let (server, home) = setup(AsConfig::default());
    expire_access(home.path(), "acme");
    server.set_token_mode(TokenMode::ResetAfterIssue);
    home.run(&["token", "acme"])
        .fails_with(7, "the response was cut off");
    server.set_token_mode(TokenMode::Normal);
    let run = home.run(&["token", "acme"]);
    eprintln!("{}", run.stderr());
    run.fails_with(5, "needs a new login");
    assert!(
        run.stderr().contains("mcp-auth login acme"),
        "{}",
        run.stderr()
    );
    let shown = home.run(&["tokens", "show", "acme", "--json"]).ok().json();
    assert_eq!(shown["health"], "needs_login");
    home.run(&["login", "acme"]).ok();
    home.run(&["token", "acme", "--min-valid", "2h"]).ok();
}

#[test]
fn login_faults_are_clear_and_save_nothing() {
    let server = FakeAs::start(AsConfig::default());
    let home = Home::new();
    home.write_config(&server.provider_toml("acme"));
    let cases: [(TokenMode, i32, &str); 4] = [
        (
            TokenMode::ResetMidResponse,
            7,
            "the token exchange failed: the response was cut off",
        ),
        (
            TokenMode::Unavailable {
                status: 503,
                retry_after: Some(12),
            },
            6,
            "HTTP 503 Service Unavailable); the server asked to retry in 12s",
        ),
        (TokenMode::Garbage, 6, "not a valid token response"),
        (
            TokenMode::Slow(Duration::from_secs(3)),
            10,
            "did not answer within 1s",
        ),
    ];
    for (mode, code, needle) in cases {
        server.set_token_mode(mode);
        let run = Run(home
            .cmd()
            .env("MCP_AUTH_HTTP_TIMEOUT", "1s")
            .args(["login", "acme"])
            .output()
            .unwrap());
        eprintln!("{}", run.stderr());
        run.fails_with(code, needle);
        let list = home.run(&["tokens", "list", "--json"]).ok().json();
        assert_eq!(list, serde_json::json!([]), "{mode:?}");
    }
    assert!(stored_tokens(&home).is_empty());
}

#[test]
fn the_daemon_waits_as_long_as_retry_after_asks_before_refreshing_again() {
    use support::daemon::{Daemon, eventually};
    // Two servers whose tokens live 4 s, both answering refreshes with
    // 503: one asks for 5 s, the other says nothing (plain backoff, about
    // 2 s).
    let config = AsConfig {
        access_ttl: 4,
        ..AsConfig::default()
    };
    let asks = FakeAs::start(config.clone());
    let silent = FakeAs::start(config);
    let home = Home::new();
    home.write_config(&format!(
        "{}{}",
        asks.provider_toml("asks"),
        silent.provider_toml("silent")
    ));
    home.run(&["login", "asks"]).ok();
    home.run(&["login", "silent"]).ok();
    asks.set_token_mode(TokenMode::Unavailable {
        status: 503,
        retry_after: Some(5),
    });
    silent.set_token_mode(TokenMode::Unavailable {
        status: 503,
        retry_after: None,
    });
    let d = Daemon::start(&home, &[]);
    // The login's code exchange was request 0; refresh attempts follow.
    let attempts = |s: &FakeAs| s.stats().token_request_ms;
    assert!(
        eventually(Duration::from_secs(10), || attempts(&asks).len() >= 2),
        "{}",
        d.log_text()
    );
    // The next attempt may succeed: it shows when the daemon came back.
    asks.set_token_mode(TokenMode::Normal);
    assert!(
        eventually(Duration::from_secs(10), || attempts(&silent).len() >= 3),
        "{}",
        d.log_text()
    );
    silent.set_token_mode(TokenMode::Normal);
    assert!(
        eventually(Duration::from_secs(12), || attempts(&asks).len() >= 3),
        "{}",
        d.log_text()
    );
    let a = attempts(&asks);
    let gap = a[2] - a[1];
    assert!(gap >= 5_000, "retried {gap} ms after a Retry-After of 5 s");
    let s = attempts(&silent);
    let gap = s[2] - s[1];
    assert!(gap < 3_500, "plain backoff took {gap} ms");
    // Both recover; nothing was spent for nothing.
    for (server, name) in [(&asks, "asks"), (&silent, "silent")] {
        assert!(eventually(Duration::from_secs(10), || {
            server.stats().refreshes >= 1
        }));
        let token = home.run(&["token", name]).ok().stdout();
        assert!(server.access_token_valid(token.trim()), "{name}");
        assert_eq!(server.stats().reused_refresh_tokens, 0);
    }
    assert!(
        d.log_text().contains("server_asked_secs=5")
            || d.log_text().contains("asked to retry in 5s")
    );
}
