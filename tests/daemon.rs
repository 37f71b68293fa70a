//! The daemon as a user sees it: `daemon start | run | status | stop |
//! install | uninstall`, the socket and its safety checks, tokens served
//! from memory, changes made by the CLI seen without a restart, failure
//! classification, client credentials re-minted, and retention pruning at
//! start and on its interval (with controlled clocks: rows are aged in the
//! database).
#![allow(clippy::unwrap_used, clippy::expect_used)]

/// The support this crate uses (files in tests/support/, see its README.md);
/// helpers of these modules that this crate does not call are allowed.
#[allow(dead_code)]
mod support {
    pub mod daemon;
    pub mod fake_as;
    pub mod home;
    pub mod seed;
    pub mod served;
    pub mod token_ledger; // fake_as needs it
    pub use seed::*;
}

use std::time::{Duration, Instant};

use support::daemon::{Daemon, eventually, seed_dead, stored_tokens};
use support::fake_as::{AsConfig, FakeAs, TokenMode};
use support::home::{Home, Run};

const DAY: i64 = 86_400;

fn setup(config: AsConfig, settings: &str) -> (FakeAs, Home) {
    let server = FakeAs::start(config);
    let home = Home::new();
    home.write_config(&format!("{settings}\n{}", server.provider_toml("acme")));
    (server, home)
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

fn sql(home: &Home, statement: &str) {
    let conn = rusqlite::Connection::open(home.database()).unwrap();
    conn.busy_timeout(Duration::from_secs(5)).unwrap();
    conn.execute_batch(statement).unwrap();
}

fn count(home: &Home, query: &str) -> i64 {
    let conn = rusqlite::Connection::open(home.database()).unwrap();
    conn.busy_timeout(Duration::from_secs(5)).unwrap();
    conn.query_row(query, [], |r| r.get(0)).unwrap()
}

fn names(home: &Home) -> Vec<String> {
    home.run(&["tokens", "list", "--json"])
        .ok()
        .json()
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap().to_string())
        .collect()
}

/// Stops a daemon started with `daemon start` when the test ends, however
/// it ends.
struct StopOnDrop<'a>(&'a Home);

impl Drop for StopOnDrop<'_> {
    fn drop(&mut self) {
        let _ = self.0.cmd().args(["daemon", "stop"]).output();
    }
}

#[test]
fn start_status_stop_and_only_one_daemon_at_a_time() {
    let home = Home::new();
    let _guard = StopOnDrop(&home);
    home.run(&["daemon", "status"])
        .fails_with(1, "the mcp-auth daemon is not running");
    let down = home.run(&["daemon", "status", "--json"]);
    assert_eq!(down.code(), 1);
    assert_eq!(down.json()["running"], false);

    let started = home.run(&["daemon", "start"]);
    let line = started.ok().stdout();
    let pid: u32 = line
        .trim()
        .strip_prefix("Started the mcp-auth daemon (pid ")
        .and_then(|r| r.strip_suffix(").").map(str::to_string))
        .unwrap_or_else(|| panic!("{line}"))
        .parse()
        .unwrap();
    assert!(
        started.stderr().contains("daemon.log"),
        "{}",
        started.stderr()
    );

    let status = home.run(&["daemon", "status", "--json"]).ok().json();
    assert_eq!(status["running"], true);
    assert_eq!(status["pid"], pid);
    assert_eq!(status["protocol"], 1);
    assert_eq!(status["credentials"], 0);
    assert_eq!(status["retention_days"], 90);
    assert_eq!(status["refresh_ahead_secs"], 300);
    assert_eq!(status["prune_interval_secs"], 86_400);
    assert!(
        status["socket"]
            .as_str()
            .unwrap()
            .ends_with("run/daemon.sock")
    );
    for key in [
        "uptime_secs",
        "watched",
        "needs_login",
        "next_refresh",
        "last_prune",
        "next_prune_at",
        "refreshes",
        "refresh_failures",
        "requests",
        "log_file",
    ] {
        assert!(status.get(key).is_some(), "status lacks {key}: {status}");
    }
    let text = home.run(&["daemon", "status"]).ok().stdout();
    assert!(text.contains(&format!("running (pid {pid}")), "{text}");

    // One daemon per installation.
    home.run(&["daemon", "run"])
        .fails_with(1, &format!("already running (pid {pid})"));
    let again = home.run(&["daemon", "start"]);
    assert!(again.ok().stdout().contains("already running"));

    let stopped = home.run(&["daemon", "stop"]);
    assert!(
        stopped
            .ok()
            .stdout()
            .contains(&format!("Stopped the mcp-auth daemon (pid {pid})"))
    );
    assert!(!home.path().join("run/daemon.sock").exists());
    home.run(&["daemon", "status"]).fails_with(1, "not running");
    let idle = home.run(&["daemon", "stop"]);
    assert!(idle.ok().stdout().contains("not running"));
}

#[test]
fn sigterm_stops_cleanly_and_a_stale_socket_is_replaced() {
    let (server, home) = setup(AsConfig::default(), "");
    home.run(&["login", "acme"]).ok();
    let socket = home.path().join("run/daemon.sock");

    let d = Daemon::start(&home, &[]);
    let status = d.terminate();
    assert!(status.success(), "{status:?}");
    assert!(!socket.exists(), "a clean stop removes the socket");

    // A killed daemon leaves its socket; callers fall back at once and the
    // next daemon replaces it.
    let d = Daemon::start(&home, &[]);
    d.kill9();
    assert!(socket.exists());
    let started = Instant::now();
    let token = home.run(&["token", "acme"]).ok().stdout();
    assert!(server.access_token_valid(token.trim()));
    assert!(started.elapsed() < Duration::from_secs(5));
    home.run(&["daemon", "status"]).fails_with(1, "not running");
    let d = Daemon::start(&home, &[]);
    assert!(
        d.log_text().contains("replaced the stale socket"),
        "{}",
        d.log_text()
    );
    let via_daemon = home.run(&["token", "acme"]).ok().stdout();
    assert_eq!(via_daemon, token);
}

#[cfg(unix)]
#[test]
fn a_runtime_directory_with_loose_permissions_is_refused_clearly() {
    use std::os::unix::fs::PermissionsExt;
    let (_server, home) = setup(AsConfig::default(), "");
    home.run(&["login", "acme"]).ok();
    let run = home.path().join("run");
    std::fs::create_dir_all(&run).unwrap();
    std::fs::set_permissions(&run, std::fs::Permissions::from_mode(0o755)).unwrap();
    let expected = format!(
        "{} has incorrect permissions (expected 700, got 755)",
        run.display()
    );
    home.run(&["daemon", "run"]).fails_with(3, &expected);

    std::fs::set_permissions(&run, std::fs::Permissions::from_mode(0o700)).unwrap();
    let _d = Daemon::start(&home, &[]);
    // Loosened while a daemon runs: callers refuse to trust the socket.
    std::fs::set_permissions(&run, std::fs::Permissions::from_mode(0o755)).unwrap();
    home.run(&["token", "acme"]).fails_with(3, &expected);
    std::fs::set_permissions(&run, std::fs::Permissions::from_mode(0o700)).unwrap();
    home.run(&["token", "acme"]).ok();
    let mode = std::fs::metadata(run.join("daemon.sock"))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600);
}

#[test]
fn tokens_come_from_the_daemons_memory_and_each_use_is_recorded_once() {
    let (server, home) = setup(AsConfig::default(), "");
    home.run(&["login", "acme"]).ok();
    let d = Daemon::start(&home, &[]);
    let uses = |h: &Home| count(h, "SELECT count(*) FROM events WHERE kind = 'use'");
    let before = uses(&home);
    let first = home.run(&["token", "acme"]).ok().stdout();
    assert!(server.access_token_valid(first.trim()));

    // Without its secret store this installation cannot produce a token by
    // itself; the daemon answers from memory.
    let secrets = home.path().join("data/secrets.json");
    let saved = std::fs::read(&secrets).unwrap();
    std::fs::write(&secrets, b"{ damaged").unwrap();
    for _ in 0..5 {
        assert_eq!(home.run(&["token", "acme"]).ok().stdout(), first);
    }
    let header = home.run(&["token", "acme", "--header"]).ok().stdout();
    assert_eq!(
        header.trim(),
        format!("Authorization: Bearer {}", first.trim())
    );
    assert!(eventually(Duration::from_secs(5), || uses(&home) == before + 7));

    drop(d);
    home.run(&["token", "acme"]).fails_with(8, "damaged");
    std::fs::write(&secrets, saved).unwrap();
    assert_eq!(home.run(&["token", "acme"]).ok().stdout(), first);
    assert_eq!(uses(&home), before + 8, "one use per token handed out");
}

/// What the bridge does: `Credentials::valid_token` from the library, which
/// asks the daemon and leaves the audit of the session to its caller.
#[test]
fn valid_token_asks_the_daemon_without_recording_a_use() {
    let (server, home) = setup(AsConfig::default(), "");
    home.run(&["login", "acme"]).ok();
    let d = Daemon::start(&home, &[]);
    let uses = || count(&home, "SELECT count(*) FROM events WHERE kind = 'use'");
    let (uses_before, requests_before) =
        (uses(), d.status().unwrap()["requests"].as_u64().unwrap());
    let creds = mcp_auth::credentials::Credentials::new(support::store(home.path()));
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let token = rt
        .block_on(creds.valid_token("acme", Duration::from_secs(60)))
        .unwrap();
    assert!(server.access_token_valid(token.token.expose()));
    // status itself is a request: two more than before.
    let requests = d.status().unwrap()["requests"].as_u64().unwrap();
    assert_eq!(requests, requests_before + 2, "the daemon answered");
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(uses(), uses_before, "no use recorded per bridge request");
}

#[test]
fn tokens_refresh_is_done_by_the_daemon_when_it_runs() {
    let (server, home) = setup(AsConfig::default(), "");
    home.run(&["login", "acme"]).ok();
    let d = Daemon::start(&home, &[]);
    let before = home.run(&["token", "acme"]).ok().stdout();
    let out = home
        .run(&["tokens", "refresh", "acme", "--json"])
        .ok()
        .json();
    assert_eq!(out[0]["ok"], true, "{out}");
    assert!(
        d.log_text().contains("refreshed credential=acme"),
        "{}",
        d.log_text()
    );
    // The daemon's memory has the new token at once.
    let after = home.run(&["token", "acme"]).ok().stdout();
    assert_ne!(before, after);
    assert!(server.access_token_valid(after.trim()));
    assert_eq!(after.trim(), stored_tokens(&home)["acme"].access_token);
    assert_eq!(server.stats().refreshes, 1);
}

#[test]
fn logins_revokes_logouts_and_config_changes_are_seen_without_a_restart() {
    let (server, home) = setup(AsConfig::default(), "");
    home.run(&["login", "acme"]).ok();
    let d = Daemon::start(&home, &[]);
    assert!(eventually(Duration::from_secs(10), || d.status().unwrap()
        ["watched"]
        == 1));

    home.run(&["login", "acme", "--name", "second"]).ok();
    assert!(
        eventually(Duration::from_secs(12), || {
            let s = d.status().unwrap();
            s["credentials"] == 2 && s["watched"] == 2
        }),
        "{:?}",
        d.status()
    );
    let second = home.run(&["token", "second"]).ok().stdout();
    assert!(server.access_token_valid(second.trim()));

    // A new login replaces what the daemon holds in memory.
    let before = home.run(&["token", "acme"]).ok().stdout();
    home.run(&["login", "acme"]).ok();
    let after = home.run(&["token", "acme"]).ok().stdout();
    assert_ne!(before, after);
    assert_eq!(
        after.trim(),
        stored_tokens(&home)["acme"].access_token,
        "the new login's token"
    );

    // Revoke and logout take effect at once, memory or not.
    home.run(&["tokens", "revoke", "acme"]).ok();
    home.run(&["token", "acme"])
        .fails_with(4, "no credential named 'acme'");
    home.run(&["logout", "second"]).ok();
    home.run(&["token", "second"])
        .fails_with(4, "no credential named 'second'");
    assert!(
        eventually(
            Duration::from_secs(12),
            || d.status().unwrap()["credentials"] == 0
        ),
        "{:?}",
        d.status()
    );

    // Settings follow config.toml.
    home.write_config(&format!(
        "refresh_ahead = \"1m\"\nretention_days = 7\n{}",
        server.provider_toml("acme")
    ));
    assert!(
        eventually(Duration::from_secs(12), || {
            let s = d.status().unwrap();
            s["refresh_ahead_secs"] == 60 && s["retention_days"] == 7
        }),
        "{:?}",
        d.status()
    );
    assert!(d.log_text().contains("configuration reloaded"));
}

#[test]
fn transient_failures_back_off_and_keep_the_refresh_token() {
    let (server, home) = setup(
        AsConfig {
            access_ttl: 4,
            ..AsConfig::default()
        },
        "",
    );
    home.run(&["login", "acme"]).ok();
    let login_rt = stored_tokens(&home)["acme"].refresh_token.clone().unwrap();
    server.set_token_mode(TokenMode::ServerError);
    let d = Daemon::start(&home, &[]);
    assert!(
        eventually(Duration::from_secs(15), || {
            let s = d.status().unwrap();
            s["refresh_failures"].as_u64().unwrap() >= 2 && s["backing_off"] == 1
        }),
        "{:?}\n{}",
        d.status(),
        d.log_text()
    );
    // Still active with its refresh token: nothing was given up.
    let shown = home.run(&["tokens", "show", "acme", "--json"]).ok().json();
    assert_ne!(shown["health"], "needs_login");
    assert_eq!(
        stored_tokens(&home)["acme"].refresh_token.as_deref(),
        Some(login_rt.as_str())
    );
    assert!(server.refresh_token_live(&login_rt));

    server.set_token_mode(TokenMode::Normal);
    assert!(
        eventually(Duration::from_secs(20), || {
            let s = d.status().unwrap();
            s["refreshes"].as_u64().unwrap() >= 1 && s["backing_off"] == 0
        }),
        "{:?}\n{}",
        d.status(),
        d.log_text()
    );
    let token = home
        .run(&["token", "acme", "--min-valid", "0s"])
        .ok()
        .stdout();
    assert!(server.access_token_valid(token.trim()));
    assert_eq!(server.stats().reused_refresh_tokens, 0);
}

#[test]
fn a_refused_refresh_marks_needs_login_once_and_is_not_retried() {
    let (server, home) = setup(
        AsConfig {
            access_ttl: 4,
            ..AsConfig::default()
        },
        "",
    );
    home.run(&["login", "acme"]).ok();
    server.set_token_mode(TokenMode::InvalidGrant);
    let d = Daemon::start(&home, &[]);
    assert!(
        eventually(Duration::from_secs(15), || {
            d.status().unwrap()["needs_login"] == 1
        }),
        "{:?}\n{}",
        d.status(),
        d.log_text()
    );
    let requests = server.stats().token_requests;
    std::thread::sleep(Duration::from_secs(6));
    assert_eq!(
        server.stats().token_requests,
        requests,
        "no more attempts once refused"
    );
    let shown = home.run(&["tokens", "show", "acme", "--json"]).ok().json();
    assert_eq!(shown["health"], "needs_login");
    home.run(&["token", "acme"])
        .fails_with(5, "needs a new login");
    let log = d.log_text();
    assert_eq!(
        log.matches("refresh refused; the credential needs a new login")
            .count(),
        1,
        "{log}"
    );
    // A new login brings it back under the daemon's care.
    server.set_token_mode(TokenMode::Normal);
    home.run(&["login", "acme"]).ok();
    assert!(
        eventually(Duration::from_secs(12), || {
            let s = d.status().unwrap();
            s["needs_login"] == 0 && s["watched"] == 1
        }),
        "{:?}",
        d.status()
    );
}

#[test]
fn client_credentials_tokens_are_reminted_ahead_of_expiry() {
    let (server, home) = setup(
        AsConfig {
            client_id: "svc".into(),
            client_secret: Some("machine-secret".into()),
            access_ttl: 4,
            ..AsConfig::default()
        },
        "",
    );
    let login = home
        .cmd()
        .args([
            "login",
            "acme",
            "--grant",
            "client-credentials",
            "--client-id",
            "svc",
            "--client-secret-env",
            "SVC_SECRET",
        ])
        .env("SVC_SECRET", "machine-secret")
        .output()
        .unwrap();
    Run(login).ok();
    let d = Daemon::start(&home, &[]);
    assert!(
        eventually(Duration::from_secs(15), || server
            .stats()
            .client_credentials
            >= 4),
        "{:?}\n{}",
        server.stats(),
        d.log_text()
    );
    let stored = &stored_tokens(&home)["acme"];
    assert!(server.access_token_valid(&stored.access_token));
    assert!(stored.refresh_token.is_none());
    assert_eq!(d.status().unwrap()["refresh_failures"], 0);
}

/// Makes `name` dead for `days`: its access token expired that long ago and
/// nothing can renew it.
fn age(home: &Home, name: &str, days: i64) {
    sql(
        home,
        &format!(
            "UPDATE credentials SET has_refresh_token = 0, access_expires_at = {} \
             WHERE name = '{name}'",
            now() - days * DAY
        ),
    );
}

#[test]
fn the_daemon_prunes_at_start_and_on_its_interval() {
    let (_server, home) = setup(
        AsConfig::default(),
        "retention_days = 30\nprune_interval = \"1s\"",
    );
    for name in ["d45", "d20", "later", "alive"] {
        home.run(&["login", "acme", "--name", name]).ok();
    }
    age(&home, "d45", 45);
    age(&home, "d20", 20);
    sql(
        &home,
        &format!(
            "INSERT INTO events (at, credential, kind) VALUES ({}, 'x', 'use')",
            now() - 40 * DAY
        ),
    );
    let d = Daemon::start(&home, &[]);
    assert!(eventually(Duration::from_secs(10), || {
        d.status().unwrap()["last_prune"]["deleted"] == 1
    }));
    assert_eq!(names(&home), ["alive", "d20", "later"]);
    let secrets = stored_tokens(&home);
    assert!(!secrets.contains_key("d45") && secrets.contains_key("d20"));
    assert_eq!(
        count(&home, "SELECT count(*) FROM events WHERE credential = 'x'"),
        0,
        "audit events past the retention go too"
    );

    // Refused 31 days ago: the next interval's run deletes it.
    sql(
        &home,
        &format!(
            "UPDATE credentials SET status = 'needs_login', status_changed_at = {} \
             WHERE name = 'later'",
            now() - 31 * DAY
        ),
    );
    assert!(
        eventually(Duration::from_secs(10), || names(&home) == ["alive", "d20"]),
        "{:?}",
        names(&home)
    );
    // Each run records itself once it is done.
    let prunes = || count(&home, "SELECT count(*) FROM events WHERE kind = 'prune'");
    assert!(
        eventually(Duration::from_secs(5), || prunes() >= 2),
        "{}",
        prunes()
    );
    assert!(d.log_text().contains("prune examined="), "{}", d.log_text());
}

#[test]
fn the_default_retention_is_90_days() {
    let (_server, home) = setup(AsConfig::default(), "");
    for name in ["d45", "d100"] {
        home.run(&["login", "acme", "--name", name]).ok();
    }
    age(&home, "d45", 45);
    age(&home, "d100", 100);
    let d = Daemon::start(&home, &[]);
    assert!(eventually(Duration::from_secs(10), || {
        d.status().unwrap()["last_prune"]["deleted"] == 1
    }));
    assert_eq!(names(&home), ["d45"]);
    // With retention 30 given on the command line, d45 goes too.
    let dry = home.run(&[
        "tokens",
        "prune",
        "--retention-days",
        "30",
        "--dry-run",
        "--json",
    ]);
    assert_eq!(dry.ok().json()["deleted"], serde_json::json!(["d45"]));
}

#[test]
fn a_prune_of_100_000_dead_credentials_takes_seconds() {
    let home = Home::new();
    seed_dead(&home, 100_000);
    let started = Instant::now();
    let report = home
        .run(&["tokens", "prune", "--retention-days", "30", "--json"])
        .ok()
        .json();
    let took = started.elapsed();
    assert_eq!(report["examined"], 100_000);
    assert_eq!(report["deleted"].as_array().unwrap().len(), 100_000);
    assert!(
        took < Duration::from_secs(20),
        "pruning 100,000 credentials took {took:?}"
    );
    eprintln!("pruned 100,000 dead credentials in {took:?} (whole process, debug build)");
    assert_eq!(count(&home, "SELECT count(*) FROM credentials"), 0);
    assert_eq!(count(&home, "SELECT count(*) FROM secret_journal"), 0);
    assert!(stored_tokens(&home).is_empty());
}

/// A fake `systemctl` that records its arguments and answers `status`.
fn fake_systemctl(dir: &std::path::Path, exit: i32, message: &str) -> std::path::PathBuf {
    use std::os::unix::fs::PermissionsExt;
    let bin = dir.join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    let script = bin.join("systemctl");
    std::fs::write(
        &script,
        format!(
            "#!/bin/sh\necho \"$@\" >> {}\nif [ \"$1\" = --version ]; then exit 0; fi\necho '{message}' >&2\nexit {exit}\n",
            dir.join("calls").display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    bin
}

#[test]
fn install_writes_a_systemd_user_unit_or_explains_why_it_cannot() {
    let home = Home::new();
    let user = tempfile::tempdir().unwrap();
    let config_home = user.path().join("config");
    let unit = config_home.join("systemd/user/mcp-auth.service");
    let install = |path: &std::path::Path, args: &[&str]| {
        Run(home
            .cmd()
            .args(args)
            .env("HOME", user.path())
            .env("XDG_CONFIG_HOME", &config_home)
            .env("PATH", path)
            .output()
            .unwrap())
    };

    // No systemd at all: nothing written, the way out shown.
    let empty = user.path().join("empty");
    std::fs::create_dir_all(&empty).unwrap();
    install(&empty, &["daemon", "install"])
        .fails_with(1, "systemd is not available here")
        .fails_with(1, "mcp-auth daemon start");
    assert!(!unit.exists());

    // systemd, but no user manager to talk to.
    let broken = tempfile::tempdir().unwrap();
    let bin = fake_systemctl(
        broken.path(),
        1,
        "Failed to connect to bus: No medium found",
    );
    // A daemon started by hand keeps running, and nothing is written.
    let started = install(&bin, &["daemon", "start", "--json"]).ok().json();
    assert_eq!(started["changed"], true);
    assert!(started["pid"].is_u64(), "{started}");
    install(&bin, &["daemon", "install"])
        .fails_with(1, "Failed to connect to bus")
        .fails_with(1, "nothing was changed")
        .fails_with(1, "loginctl enable-linger")
        .fails_with(1, "mcp-auth daemon start");
    assert!(!unit.exists());
    install(&bin, &["daemon", "status"]).ok();
    let stopped = install(&bin, &["daemon", "stop", "--json"]).ok().json();
    assert_eq!(stopped["changed"], true);
    assert_eq!(stopped["pid"], started["pid"]);

    // A working user manager.
    let ok = tempfile::tempdir().unwrap();
    let bin = fake_systemctl(ok.path(), 0, "");
    let run = install(&bin, &["daemon", "install"]);
    assert!(
        run.ok().stdout().contains(&unit.display().to_string()),
        "{}",
        run.stdout()
    );
    assert!(run.stderr().contains("systemctl --user status mcp-auth"));
    let text = std::fs::read_to_string(&unit).unwrap();
    assert!(
        text.contains(&format!("ExecStart={} daemon run\n", support::home::BIN)),
        "{text}"
    );
    assert!(
        text.contains(&format!(
            "Environment=MCP_AUTH_HOME={}\n",
            home.path().display()
        )),
        "{text}"
    );
    assert!(text.contains("Environment=MCP_AUTH_SECRET_STORE=file\n"));
    assert!(text.contains("Restart=on-failure"));
    let calls = std::fs::read_to_string(ok.path().join("calls")).unwrap();
    assert!(calls.contains("--user daemon-reload\n"), "{calls}");
    assert!(
        calls.contains("--user enable --now mcp-auth.service\n"),
        "{calls}"
    );

    let run = install(&bin, &["daemon", "uninstall"]);
    assert!(run.ok().stdout().contains("removed"), "{}", run.stdout());
    assert!(!unit.exists());
    let calls = std::fs::read_to_string(ok.path().join("calls")).unwrap();
    assert!(
        calls.contains("--user disable --now mcp-auth.service\n"),
        "{calls}"
    );
    let again = install(&bin, &["daemon", "uninstall"]);
    assert!(again.ok().stdout().contains("No user service is installed"));
    let again = install(&bin, &["daemon", "uninstall", "--json"])
        .ok()
        .json();
    assert_eq!(again["changed"], false);
    let installed = install(&bin, &["daemon", "install", "--json"]).ok().json();
    assert_eq!(installed["changed"], true);
    assert_eq!(installed["path"], unit.display().to_string());
    let removed = install(&bin, &["daemon", "uninstall", "--json"])
        .ok()
        .json();
    assert_eq!(removed["changed"], true);
    assert!(!unit.exists());
}
