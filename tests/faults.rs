//! Fault injection: the real binary against an authorization server, a
//! secret store and a database that fail in every way the issue lists.
//! Each fault must give a clear message and the documented exit code (or
//! JSON-RPC error, in the bridge), never a panic, and lose no credential:
//! once the fault is gone the stored credential works with no new login.
#![allow(clippy::unwrap_used, clippy::expect_used)]

/// The support this crate uses (files in tests/support/, see its README.md);
/// helpers of these modules that this crate does not call are allowed.
#[allow(dead_code)]
mod support {
    pub mod bridge;
    pub mod daemon;
    pub mod fake_as;
    pub mod fake_server;
    pub mod fs_faults;
    pub mod home;
    pub mod seed;
    pub mod served;
    pub mod token_ledger; // fake_as and fake_server need it
    pub use seed::*;
}

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
fn a_server_that_is_gone_is_a_network_error_and_keeps_the_stored_tokens() {
    // Connection refused: nothing was sent, so nothing can have been spent.
    let (server, home) = setup(AsConfig::default());
    expire_access(home.path(), "acme");
    let before = stored_tokens(&home)["acme"].clone();
    drop(server);
    let run = home.run(&["token", "acme"]);
    eprintln!("{}", run.stderr());
    run.fails_with(7, "the refresh failed: could not connect");
    let after = &stored_tokens(&home)["acme"];
    assert_eq!(after.refresh_token, before.refresh_token);
    assert_eq!(after.generation, before.generation);
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

// ---- the metadata database --------------------------------------------------

use support::fs_faults::{ReadOnly, in_mount_namespace};

/// What a fault must not do: reach the server (a refresh spent, a grant
/// revoked, a login made for nothing).
#[track_caller]
fn server_untouched(server: &FakeAs, before: &support::fake_as::Stats) {
    let now = server.stats();
    assert_eq!(
        now.token_requests, before.token_requests,
        "a token request was made"
    );
    assert_eq!(
        now.authorize_requests, before.authorize_requests,
        "a login was started"
    );
    assert_eq!(now.revoked, before.revoked, "something was revoked");
}

#[test]
fn a_read_only_database_file_is_exit_9_before_anything_is_spent_and_loses_nothing() {
    let (server, home) = setup(AsConfig::default());
    let before = server.stats();
    let guard = ReadOnly::file(&home.database());
    // Reading works; every command that has to write fails, and those that
    // would spend something at the server fail before they do.
    home.run(&["tokens", "list"]).ok();
    home.run(&["token", "acme"])
        .fails_with(9, "the database is read-only");
    drop(guard);
    expire_access(home.path(), "acme");
    let guard = ReadOnly::file(&home.database());
    let before_refresh = server.stats();
    for args in [
        &["token", "acme"][..],
        &["tokens", "refresh", "acme"],
        &["login", "acme", "--name", "second"],
        &["tokens", "revoke", "acme"],
        &["tokens", "prune"],
    ] {
        let run = home.run(args);
        eprintln!("{args:?}: {}", run.stderr());
        let code = if args[1] == "refresh" || args[1] == "revoke" {
            1
        } else {
            9
        };
        run.fails_with(code, "the database is read-only");
    }
    server_untouched(&server, &before_refresh);
    assert_eq!(before.token_requests, before_refresh.token_requests);
    drop(guard);
    nothing_lost(&server, &home);
}

#[test]
fn a_read_only_file_system_is_exit_9_and_loses_nothing() {
    let (server, home) = setup(AsConfig::default());
    expire_access(home.path(), "acme");
    let before = server.stats();
    let outcomes = in_mount_namespace(
        &home,
        r#"
        mount --bind "$H/data" "$H/data" && mount -o remount,ro,bind "$H/data" || exit 99
        run list tokens list
        run token token acme
        run login login acme --name second
        run revoke tokens revoke acme
        "#,
    );
    for name in ["list", "token", "login", "revoke"] {
        let run = outcomes.get(name);
        eprintln!("{name}: {}", run.stderr());
        run.fails_with(9, "is mounted read-only");
    }
    server_untouched(&server, &before);
    nothing_lost(&server, &home);
}

#[test]
fn a_locked_database_is_exit_9_before_anything_is_spent() {
    let (server, home) = setup(AsConfig::default());
    expire_access(home.path(), "acme");
    let before = server.stats();
    // Another process holds the write lock for longer than the 5 s busy
    // timeout: a refresh and a login both give up before reaching the
    // server (run side by side to wait once).
    let conn = rusqlite::Connection::open(home.database()).unwrap();
    conn.execute_batch("BEGIN EXCLUSIVE").unwrap();
    let (refresh, login) = std::thread::scope(|s| {
        let r = s.spawn(|| home.run(&["token", "acme"]));
        let l = s.spawn(|| home.run(&["login", "acme", "--name", "second"]));
        (r.join().unwrap(), l.join().unwrap())
    });
    for run in [&refresh, &login] {
        eprintln!("{}", run.stderr());
        run.fails_with(9, "locked by another process");
    }
    server_untouched(&server, &before);
    conn.execute_batch("ROLLBACK").unwrap();
    drop(conn);
    nothing_lost(&server, &home);
}

#[test]
fn a_full_disk_is_exit_9_before_anything_is_spent_and_loses_nothing() {
    let (server, home) = setup(AsConfig::default());
    // A secrets file of ~400 KiB (one big static secret), so that rewriting
    // it needs more room than the database's next transactions: the case
    // where a refresh answer could be had but not stored.
    {
        let store = support::store(home.path());
        let meta = mcp_auth::store::SecretMeta {
            name: "padding".into(),
            created_at: 1,
            updated_at: 1,
            expires_at: None,
            last_used_at: None,
            note: None,
        };
        let value = mcp_auth::model::Secret::new("x".repeat(400 * 1024));
        store.save_user_secret(&meta, &value).unwrap();
    }
    expire_access(home.path(), "acme");
    let before = server.stats();
    let outcomes = in_mount_namespace(
        &home,
        r#"
        D="$H/data"
        mkdir "$H/keep" && cp -a "$D/." "$H/keep/" || exit 98
        mount -t tmpfs -o size=2m,mode=0700 tmpfs "$D" || exit 99
        cp -a "$H/keep/." "$D/" && rm -rf "$H/keep"
        fill() { dd if=/dev/zero of="$D/filler" bs=4k 2>/dev/null; truncate -s "-$1" "$D/filler"; }
        # Room for the database, not for a copy of the secrets file.
        fill 300K
        run some-list tokens list
        run some-refresh token acme
        run some-login login acme --name second
        run some-revoke tokens revoke acme
        # No room at all.
        rm "$D/filler"; fill 0
        run none-list tokens list
        run none-token token acme
        # Space again: everything works, with no new login.
        rm "$D/filler"
        run after token acme
        mkdir "$H/keep" && cp -a "$D/." "$H/keep/" && umount "$D" && cp -a "$H/keep/." "$D/"
        rm -rf "$H/keep"
        "#,
    );
    outcomes.get("some-list").ok();
    for (name, code, needle) in [
        ("some-refresh", 9, "no room to store new tokens"),
        ("some-login", 9, "no room to store new tokens"),
        ("some-revoke", 1, "no room to store new tokens"),
        ("none-list", 9, "the disk is full"),
        ("none-token", 9, "the disk is full"),
    ] {
        let run = outcomes.get(name);
        eprintln!("{name}: {}", run.stderr());
        run.fails_with(code, needle);
    }
    let after = outcomes.get("after");
    after.ok();
    assert!(server.access_token_valid(after.stdout().trim()));
    let stats = server.stats();
    assert_eq!(
        stats.token_requests,
        before.token_requests + 1,
        "only the last refresh"
    );
    assert_eq!(stats.authorize_requests, before.authorize_requests);
    assert!(stats.revoked.is_empty());
    nothing_lost(&server, &home);
}

// ---- the file secret store ----------------------------------------------------

fn secrets_file(home: &Home) -> std::path::PathBuf {
    home.path().join("data/secrets.json")
}

#[test]
fn a_damaged_secrets_file_is_exit_8_before_anything_is_spent_and_is_never_overwritten() {
    let (server, home) = setup(AsConfig::default());
    let token = home
        .run(&["token", "acme"])
        .ok()
        .stdout()
        .trim()
        .to_string();
    let path = secrets_file(&home);
    let good = std::fs::read(&path).unwrap();
    std::fs::write(&path, &good[..good.len() / 2]).unwrap();
    let damaged = std::fs::read(&path).unwrap();
    let before = server.stats();
    let cases: [(&[&str], i32); 4] = [
        (&["token", "acme"], 8),
        (&["login", "acme", "--name", "second"], 8),
        (&["tokens", "refresh", "acme"], 1),
        (&["tokens", "revoke", "acme"], 1),
    ];
    for (args, code) in cases {
        let run = home.run(args);
        eprintln!("{args:?}: {}", run.stderr());
        run.fails_with(code, "is damaged (truncated); restore it from a backup");
        assert!(!run.stderr().contains(&token), "the message quotes a token");
    }
    server_untouched(&server, &before);
    assert_eq!(
        std::fs::read(&path).unwrap(),
        damaged,
        "the damaged file was written"
    );
    std::fs::write(&path, good).unwrap();
    nothing_lost(&server, &home);
}

#[test]
fn an_unreadable_secrets_file_is_exit_8_and_loses_nothing() {
    let (server, home) = setup(AsConfig::default());
    let path = secrets_file(&home);
    let aside = home.path().join("secrets.aside");
    // Root reads any file whatever its mode; nobody reads a directory as
    // a file.
    std::fs::rename(&path, &aside).unwrap();
    std::fs::create_dir(&path).unwrap();
    let run = home.run(&["token", "acme"]);
    eprintln!("{}", run.stderr());
    run.fails_with(8, "the secrets file store cannot read");
    std::fs::remove_dir(&path).unwrap();
    std::fs::rename(&aside, &path).unwrap();
    nothing_lost(&server, &home);
}

#[test]
fn a_secrets_file_that_cannot_be_written_stops_a_refresh_before_it_is_spent() {
    let (server, home) = setup(AsConfig::default());
    expire_access(home.path(), "acme");
    let before = server.stats();
    let guard = ReadOnly::file(&secrets_file(&home));
    for args in [
        &["token", "acme"][..],
        &["login", "acme", "--name", "second"],
    ] {
        let run = home.run(args);
        eprintln!("{args:?}: {}", run.stderr());
        run.fails_with(8, "the secrets file store cannot write");
    }
    server_untouched(&server, &before);
    drop(guard);
    nothing_lost(&server, &home);
}

// ---- the bridge ----------------------------------------------------------------

use serde_json::{Value, json};
use support::bridge::{Bridge, Options};
use support::fake_server::{Behavior, FakeServer};

fn call(b: &mut Bridge, tool: &str, arguments: Value) -> Value {
    b.request("tools/call", json!({"name": tool, "arguments": arguments}))
}

#[track_caller]
fn upstream_error(r: &Value, needle: &str) {
    assert_eq!(r["error"]["code"], -32000, "{r}");
    let message = r["error"]["message"].as_str().unwrap();
    assert!(message.contains(needle), "{message}");
}

#[test]
fn the_mcp_server_resetting_mid_answer_is_a_json_rpc_error_and_the_bridge_goes_on() {
    let server = FakeServer::start(Behavior::default());
    let mut b = Bridge::start(&server.url);
    b.initialize(json!({}));
    let r = call(&mut b, "reset_sse", json!({}));
    eprintln!("{r}");
    upstream_error(
        &r,
        "the MCP server closed the response stream before answering",
    );
    let r = call(&mut b, "reset_json", json!({}));
    eprintln!("{r}");
    upstream_error(&r, "cannot reach the MCP server: the response was cut off");
    // What the server sent before the reset was passed on.
    let progress = b.method("notifications/progress");
    assert_eq!(progress["params"]["progress"], 1);
    let echoed = call(&mut b, "echo", json!({"text": "still here"}));
    assert_eq!(echoed["result"]["content"][0]["text"], "still here");
    assert!(!b.stderr().contains("panicked"));
}

#[test]
fn http_503_from_the_mcp_server_passes_retry_after_on_to_the_client() {
    let server = FakeServer::start(Behavior::default());
    let mut b = Bridge::start(&server.url);
    b.initialize(json!({}));
    let r = call(&mut b, "unavailable", json!({"retry_after": 7}));
    eprintln!("{r}");
    upstream_error(
        &r,
        "HTTP 503 (Service Unavailable); it asked to retry in 7s",
    );
    assert_eq!(
        r["error"]["data"],
        json!({"httpStatus": 503, "retryAfter": 7})
    );
    let r = call(&mut b, "unavailable", json!({}));
    upstream_error(&r, "HTTP 503 (Service Unavailable)");
    assert_eq!(r["error"]["data"], json!({"httpStatus": 503}));
    // The bridge repeats nothing by itself: the request may have had an
    // effect. One call each.
    let calls = server.seen().calls.clone();
    assert_eq!(calls.iter().filter(|c| *c == "unavailable").count(), 2);
    let echoed = call(&mut b, "echo", json!({"text": "ok"}));
    assert_eq!(echoed["result"]["content"][0]["text"], "ok");
}

#[test]
fn the_authorization_server_failing_while_the_bridge_renews_is_a_json_rpc_error_and_loses_nothing()
{
    // The MCP server stops taking the stored token; the bridge's refresh
    // at the authorization server then resets, answers 503 with
    // Retry-After, or is slower than http_timeout. Each is an upstream
    // error for that request; the bridge goes on, and once the
    // authorization server is back the stored credential works with no
    // new login.
    let as_ = FakeAs::start(AsConfig::default());
    let server = FakeServer::start(Behavior {
        bearer: true,
        ..Behavior::default()
    });
    server.set_valid_tokens(&["at-old"]);
    let home = Home::new();
    let rt = as_.mint_refresh_token();
    support::seed_credential(
        home.path(),
        "fake",
        &server.url,
        &format!("{}/token", as_.url),
        "at-old",
        Some(&rt),
    );
    let mut b = Bridge::start_with(
        &server.url,
        Options::default()
            .home(home.path())
            .env("MCP_AUTH_HTTP_TIMEOUT", "1s"),
    );
    b.initialize(json!({}));
    server.set_valid_tokens(&[]);
    let faults: [(TokenMode, &str); 3] = [
        (TokenMode::ResetMidResponse, "the response was cut off"),
        (
            TokenMode::Unavailable {
                status: 503,
                retry_after: Some(9),
            },
            "the server asked to retry in 9s",
        ),
        (
            TokenMode::Slow(Duration::from_secs(3)),
            "did not answer within 1s",
        ),
    ];
    for (mode, needle) in faults {
        as_.set_token_mode(mode);
        let r = call(&mut b, "echo", json!({"text": "x"}));
        eprintln!("{r}");
        upstream_error(&r, "authorization: cannot refresh 'fake'");
        upstream_error(&r, needle);
    }
    std::thread::sleep(Duration::from_secs(3)); // the slow request ends
    assert!(
        as_.refresh_token_live(&rt),
        "a failed refresh spent the token"
    );
    // Back to normal: another process refreshes, and the bridge takes the
    // stored token on its next 401 (no login, no second refresh).
    as_.set_token_mode(TokenMode::Normal);
    let token = Run(home
        .cmd()
        .args(["token", "fake", "--min-valid", "2h"])
        .output()
        .unwrap());
    let token = token.ok().stdout().trim().to_string();
    server.set_valid_tokens(&[token.as_str()]);
    let echoed = call(&mut b, "echo", json!({"text": "back"}));
    assert_eq!(echoed["result"]["content"][0]["text"], "back", "{echoed}");
    assert_eq!(as_.stats().refreshes, 1);
    assert_eq!(as_.stats().reused_refresh_tokens, 0);
    assert!(!b.stderr().contains("panicked"));
}
