//! The real binary against the in-process fake authorization server: login
//! with PKCE over the loopback redirect, `token`, refresh with rotation,
//! revoke, prune, and every way those can go wrong.
#![allow(clippy::unwrap_used, clippy::expect_used)]

/// The support this crate uses (files in tests/support/, see its README.md);
/// helpers of these modules that this crate does not call are allowed.
#[allow(dead_code)]
mod support {
    pub mod fake_as;
    pub mod home;
    pub mod served;
    pub mod token_ledger; // fake_as needs it
}

use support::fake_as::{AsConfig, AuthorizeMode, FakeAs, TokenMode};
use support::home::Home;

fn setup(config: AsConfig) -> (FakeAs, Home) {
    let server = FakeAs::start(config);
    let home = Home::new();
    home.write_config(&server.provider_toml("acme"));
    (server, home)
}

fn login(home: &Home) {
    home.run(&["login", "acme"]).ok();
}

#[test]
fn login_saves_the_credential_with_user_scopes_and_a_working_token() {
    let (server, home) = setup(AsConfig::default());
    let run = home.run(&["login", "acme", "--json"]);
    run.ok();
    let saved = run.json();
    assert_eq!(saved["name"], "acme");
    assert_eq!(saved["user"], "ada");
    assert_eq!(saved["email"], "ada@example.com");
    assert_eq!(saved["health"], "valid");
    assert_eq!(saved["scopes"], serde_json::json!(["read", "write"]));
    // The URL is printed for the person, never secrets.
    assert!(run.stderr().contains("/authorize?"), "{}", run.stderr());

    let stats = server.stats();
    assert_eq!(stats.authorize_requests, 1);
    assert_eq!(stats.code_exchanges, 1, "errors: {:?}", stats.errors);
    assert_eq!(stats.pkce_failures, 0);
    assert!(stats.errors.is_empty(), "{:?}", stats.errors);
    assert_eq!(stats.last_scope.as_deref(), Some("read write"));

    let token = home.run(&["token", "acme"]);
    token.ok();
    let value = token.stdout().trim().to_string();
    assert!(server.access_token_valid(&value), "{value}");
    let header = home.run(&["token", "acme", "--header"]);
    assert_eq!(
        header.ok().stdout().trim(),
        format!("Authorization: Bearer {value}")
    );

    // The token is in the 0600 secrets file, never in the database.
    let db = std::fs::read(home.database()).unwrap();
    assert!(!String::from_utf8_lossy(&db).contains(&value));
    let list = home.run(&["tokens", "list"]);
    assert!(!list.ok().stdout().contains(&value));
    assert!(list.stdout().contains("acme") && list.stdout().contains("ada"));

    let show = home.run(&["tokens", "show", "acme", "--json"]);
    let shown = show.ok().json();
    let kinds: Vec<&str> = shown["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert!(
        kinds.contains(&"login") && kinds.contains(&"use"),
        "{kinds:?}"
    );
    assert!(shown["last_used_at"].is_string());
}

#[cfg(unix)]
#[test]
fn files_and_directories_are_private() {
    use std::os::unix::fs::PermissionsExt;
    let (_server, home) = setup(AsConfig::default());
    login(&home);
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&home.path().join("data")), 0o700);
    for f in std::fs::read_dir(home.path().join("data")).unwrap() {
        let f = f.unwrap().path();
        if f.is_file() {
            assert_eq!(mode(&f), 0o600, "{}", f.display());
        }
    }
}

#[test]
fn refresh_rotates_and_never_reuses_a_refresh_token() {
    let (server, home) = setup(AsConfig::default());
    login(&home);
    let first = home.run(&["token", "acme"]).ok().stdout();
    // A token valid for an hour is not "valid for two": this refreshes.
    let second = home
        .run(&["token", "acme", "--min-valid", "2h"])
        .ok()
        .stdout();
    let third = home
        .run(&["token", "acme", "--min-valid", "2h"])
        .ok()
        .stdout();
    assert_ne!(first, second);
    assert_ne!(second, third);
    let stats = server.stats();
    assert_eq!(stats.refreshes, 2);
    assert_eq!(stats.reused_refresh_tokens, 0);
    assert!(server.access_token_valid(third.trim()));
    let shown = home.run(&["tokens", "show", "acme", "--json"]).ok().json();
    assert!(shown["last_refreshed_at"].is_string());
    assert_eq!(shown["generation"], 3);

    home.run(&["tokens", "refresh", "acme"]).ok();
    assert_eq!(server.stats().refreshes, 3);
}

#[test]
fn concurrent_processes_spend_each_refresh_token_once() {
    let (server, home) = setup(AsConfig::default());
    login(&home);
    let children: Vec<_> = (0..6)
        .map(|_| {
            home.cmd()
                .args(["token", "acme", "--min-valid", "2h"])
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    for c in children {
        let out = c.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let token = String::from_utf8_lossy(&out.stdout).trim().to_string();
        assert!(server.access_token_valid(&token));
    }
    // Every process wanted a token valid for 2 h and the server's last
    // one hour: each refreshed in turn under the lock, none reused one.
    assert_eq!(server.stats().reused_refresh_tokens, 0);
}

#[test]
fn invalid_grant_marks_needs_login_and_keeps_the_record() {
    let (server, home) = setup(AsConfig::default());
    login(&home);
    server.set_token_mode(TokenMode::InvalidGrant);
    home.run(&["token", "acme", "--min-valid", "2h"])
        .fails_with(5, "needs a new login");
    let shown = home.run(&["tokens", "show", "acme", "--json"]).ok().json();
    assert_eq!(shown["health"], "needs_login");
    assert!(
        shown["last_error"]
            .as_str()
            .unwrap()
            .contains("invalid_grant")
    );
    // It stays marked: no more refresh attempts until a login.
    home.run(&["token", "acme"])
        .fails_with(5, "mcp-auth login acme");
    server.set_token_mode(TokenMode::Normal);
    login(&home);
    let shown = home.run(&["tokens", "show", "acme", "--json"]).ok().json();
    assert_eq!(shown["health"], "valid");
}

#[test]
fn transient_refresh_failures_keep_the_refresh_token() {
    let (server, home) = setup(AsConfig::default());
    login(&home);
    let before = home.run(&["token", "acme"]).ok().stdout();
    server.set_token_mode(TokenMode::ServerError);
    // The current token is still valid: it is returned with a warning.
    let during = home.run(&["token", "acme", "--min-valid", "2h"]);
    assert_eq!(during.ok().stdout(), before);
    assert!(
        during.stderr().contains("refresh failed"),
        "{}",
        during.stderr()
    );
    home.run(&["tokens", "refresh", "acme"])
        .fails_with(1, "HTTP 500");
    server.set_token_mode(TokenMode::Garbage);
    home.run(&["tokens", "refresh", "acme"])
        .fails_with(1, "not a valid token response");
    server.set_token_mode(TokenMode::Normal);
    let after = home
        .run(&["token", "acme", "--min-valid", "2h"])
        .ok()
        .stdout();
    assert_ne!(after, before);
    assert_eq!(server.stats().reused_refresh_tokens, 0);
    let shown = home.run(&["tokens", "show", "acme", "--json"]).ok().json();
    assert_eq!(shown["health"], "valid");
}

#[test]
fn sloppy_token_responses_are_accepted() {
    let (server, home) = setup(AsConfig::default());
    server.set_token_mode(TokenMode::Sloppy);
    let saved = home.run(&["login", "acme", "--json"]).ok().json();
    assert!(saved["expires_at"].is_string(), "{saved}");
}

#[test]
fn login_errors_are_clear_and_leave_nothing_behind() {
    let (server, home) = setup(AsConfig::default());
    server.set_authorize_mode(AuthorizeMode::Deny);
    home.run(&["login", "acme"])
        .fails_with(6, "declined: access_denied (The user said no)");
    // A callback with another state is not this login's answer: it is
    // ignored (anyone on the machine can reach the listener, and must not be
    // able to cancel a login), and the login waits on for the real one.
    server.set_authorize_mode(AuthorizeMode::WrongState);
    home.run(&["login", "acme", "--timeout", "2s"])
        .fails_with(10, "no answer from the browser within 2s");
    server.set_authorize_mode(AuthorizeMode::Approve);
    server.set_token_mode(TokenMode::Garbage);
    home.run(&["login", "acme"])
        .fails_with(6, "not a valid token response");
    server.set_token_mode(TokenMode::ServerError);
    home.run(&["login", "acme"]).fails_with(6, "HTTP 500");
    let list = home.run(&["tokens", "list", "--json"]).ok().json();
    assert_eq!(list, serde_json::json!([]));
}

#[test]
fn the_browser_that_never_comes_back_times_out() {
    let (_server, home) = setup(AsConfig::default());
    let run = Run::from(
        home.cmd()
            .args(["login", "acme", "--timeout", "1s"])
            .env("MCP_AUTH_BROWSER", "true")
            .output()
            .unwrap(),
    );
    run.fails_with(10, "no answer from the browser within 1s");
}

use support::home::Run;

impl From<std::process::Output> for Run {
    fn from(o: std::process::Output) -> Run {
        Run(o)
    }
}

#[test]
fn usage_errors_have_their_own_exit_codes() {
    let home = Home::new();
    home.run(&["login", "nosuch"])
        .fails_with(4, "unknown provider 'nosuch'");
    home.run(&["token", "nosuch"])
        .fails_with(4, "no credential named 'nosuch'");
    home.run(&["login", "github"])
        .fails_with(2, "github needs an OAuth client id");
    home.run(&["login", "okta", "--client-id", "x"])
        .fails_with(2, "--domain");
    home.run(&["login", "github", "--name", "../evil", "--client-id", "x"])
        .fails_with(2, "not a usable credential name");
    home.run(&["token", "x", "--min-valid", "soon"])
        .fails_with(2, "--min-valid");
    home.run(&["nonsense"])
        .fails_with(2, "unrecognized subcommand");
    home.write_config("retention_days = \"many\"\n");
    home.run(&["tokens", "list"])
        .fails_with(3, "retention_days");
}

#[test]
fn revoke_calls_the_provider_then_deletes() {
    let (server, home) = setup(AsConfig::default());
    login(&home);
    let token = home
        .run(&["token", "acme"])
        .ok()
        .stdout()
        .trim()
        .to_string();
    let out = home.run(&["tokens", "revoke", "acme"]);
    assert!(
        out.ok().stdout().contains("revoked at the provider"),
        "{}",
        out.stdout()
    );
    let revoked = server.stats().revoked;
    assert!(revoked.contains(&token), "{revoked:?}");
    assert!(revoked.iter().any(|t| t.starts_with("rt-")), "{revoked:?}");
    assert!(!server.access_token_valid(&token));
    home.run(&["token", "acme"])
        .fails_with(4, "no credential named 'acme'");
    let show = home.run(&["tokens", "show", "acme"]);
    show.fails_with(4, "no credential");
}

#[test]
fn revoke_keeps_the_credential_when_the_provider_is_unreachable() {
    let (server, home) = setup(AsConfig::default());
    login(&home);
    drop(server);
    home.run(&["tokens", "revoke", "acme"])
        .fails_with(1, "kept so it can be revoked later");
    home.run(&["tokens", "show", "acme"]).ok();
    home.run(&["tokens", "revoke", "acme", "--local-only"]).ok();
    home.run(&["tokens", "show", "acme"])
        .fails_with(4, "no credential");
}

#[test]
fn bulk_revoke_needs_confirmation_or_yes() {
    let (_server, home) = setup(AsConfig::default());
    login(&home);
    home.run(&["login", "acme", "--name", "second"]).ok();
    home.run(&["tokens", "revoke", "--all"])
        .fails_with(2, "pass --yes");
    assert_eq!(
        home.run(&["tokens", "list", "--json"])
            .json()
            .as_array()
            .unwrap()
            .len(),
        2
    );
    let out = home.run(&["tokens", "revoke", "--all", "--yes", "--json"]);
    let outcomes = out.ok().json();
    assert_eq!(outcomes.as_array().unwrap().len(), 2);
    assert_eq!(
        home.run(&["tokens", "list", "--json"]).json(),
        serde_json::json!([])
    );
}

#[test]
fn list_filters_by_provider_and_health() {
    let (_server, home) = setup(AsConfig {
        issue_refresh: false,
        access_ttl: 1,
        ..AsConfig::default()
    });
    login(&home);
    std::thread::sleep(std::time::Duration::from_millis(2100));
    let expired = home
        .run(&["tokens", "list", "--status", "expired", "--json"])
        .ok()
        .json();
    assert_eq!(expired.as_array().unwrap().len(), 1);
    let valid = home
        .run(&["tokens", "list", "--status", "valid", "--json"])
        .ok()
        .json();
    assert_eq!(valid, serde_json::json!([]));
    let other = home
        .run(&["tokens", "list", "--provider", "github", "--json"])
        .ok()
        .json();
    assert_eq!(other, serde_json::json!([]));
    // Expired with no refresh token: only a login helps.
    home.run(&["token", "acme"])
        .fails_with(5, "no refresh token");
    // A dead credential goes with prune once it is past the retention.
    let dry = home.run(&[
        "tokens",
        "prune",
        "--retention-days",
        "0",
        "--dry-run",
        "--json",
    ]);
    assert_eq!(dry.ok().json()["deleted"], serde_json::json!(["acme"]));
    home.run(&["tokens", "prune", "--retention-days", "0"]).ok();
    assert_eq!(
        home.run(&["tokens", "list", "--json"]).json(),
        serde_json::json!([])
    );
}

#[test]
fn storage_failures_are_clear() {
    let (_server, home) = setup(AsConfig::default());
    login(&home);
    // Locked: another process holds a write transaction on the database.
    let conn = rusqlite::Connection::open(home.database()).unwrap();
    conn.execute_batch("BEGIN EXCLUSIVE").unwrap();
    home.run(&["token", "acme"])
        .fails_with(9, "locked by another process");
    conn.execute_batch("ROLLBACK").unwrap();
    drop(conn);
    home.run(&["token", "acme"]).ok();
    // Corrupt: the database is not a database any more.
    for ext in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{ext}", home.database().display()));
    }
    std::fs::write(home.database(), vec![0x5a; 4096]).unwrap();
    home.run(&["tokens", "list"])
        .fails_with(9, "not a valid database");
}

#[test]
fn keyring_unreachable_is_explained_not_bypassed() {
    let (_server, home) = setup(AsConfig::default());
    let runtime = tempfile::tempdir().unwrap();
    let run = Run::from(
        home.cmd()
            .env_remove("MCP_AUTH_SECRET_STORE")
            .env_remove("DBUS_SESSION_BUS_ADDRESS")
            .env("XDG_RUNTIME_DIR", runtime.path())
            .args(["login", "acme"])
            .output()
            .unwrap(),
    );
    run.fails_with(8, "MCP_AUTH_SECRET_STORE=file");
    assert!(
        run.stderr().contains("D-Bus session bus"),
        "{}",
        run.stderr()
    );
    // Nothing was written in plaintext behind the user's back.
    assert!(!home.path().join("data/secrets.json").exists());
}

#[test]
fn providers_are_listed_and_shown() {
    let home = Home::new();
    home.write_config(
        "[providers.work]\ntemplate = \"okta\"\ndomain = \"work.okta.com\"\nclient_id = \"abc\"\n",
    );
    let list = home.run(&["providers", "list", "--json"]).ok().json();
    let names: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    for n in [
        "github",
        "google",
        "microsoft",
        "okta",
        "auth0",
        "gitlab",
        "work",
    ] {
        assert!(names.contains(&n), "{names:?}");
    }
    let work = home
        .run(&["providers", "show", "work", "--json"])
        .ok()
        .json();
    assert_eq!(
        work["token_url"],
        "https://work.okta.com/oauth2/default/v1/token"
    );
    assert_eq!(work["client_id"], "abc");
    let ms = home.run(&[
        "providers",
        "show",
        "microsoft",
        "--tenant",
        "contoso.onmicrosoft.com",
    ]);
    assert!(
        ms.ok()
            .stdout()
            .contains("login.microsoftonline.com/contoso.onmicrosoft.com/")
    );
    let okta = home.run(&["providers", "show", "okta"]);
    assert!(okta.ok().stdout().contains("https://your-domain/"));
}

#[test]
fn broken_pipe_is_not_an_error() {
    let (_server, home) = setup(AsConfig::default());
    for i in 0..30 {
        home.run(&["login", "acme", "--name", &format!("c{i}")])
            .ok();
    }
    let mut child = home
        .cmd()
        .args(["tokens", "list"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{:?} {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!String::from_utf8_lossy(&out.stderr).contains("panicked"));
}

/// A parent that closed stdout: the process opens it on /dev/null before
/// anything else, so the token goes nowhere and the command succeeds. (A
/// closed descriptor 1 would otherwise be taken by the first file opened,
/// here SQLite's placeholder for low descriptors, and the print fail.)
#[test]
fn a_closed_stdout_is_opened_on_dev_null() {
    use std::os::unix::process::CommandExt;
    let (_server, home) = setup(AsConfig::default());
    home.run(&["login", "acme"]).ok();
    let mut cmd = home.cmd();
    cmd.args(["token", "acme"])
        .stderr(std::process::Stdio::piped());
    // SAFETY: close() is async-signal-safe, and the child has one thread.
    unsafe {
        cmd.pre_exec(|| {
            libc::close(1);
            Ok(())
        });
    }
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "{:?} {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A secret named by `--client-secret-env` must not reach child processes
/// (the browser command would inherit it otherwise).
#[test]
fn the_browser_command_does_not_inherit_secret_variables() {
    let server = FakeAs::start(AsConfig {
        client_secret: Some("s3cret-value".into()),
        ..AsConfig::default()
    });
    let home = Home::new();
    home.write_config(&server.provider_toml("acme"));
    let dump = home.path().join("browser-env");
    let browser = format!(
        "sh -c 'env > {} && curl -fsSL -o /dev/null \"$0\"'",
        dump.display()
    );
    let run = Run::from(
        home.cmd()
            .args(["login", "acme", "--client-secret-env", "ACME_SECRET"])
            .env("ACME_SECRET", "s3cret-value")
            .env("MCP_AUTH_BROWSER", browser)
            .output()
            .unwrap(),
    );
    run.ok();
    let env = std::fs::read_to_string(&dump).unwrap();
    assert!(
        env.contains("MCP_AUTH_HOME"),
        "the dump is the browser's environment"
    );
    assert!(!env.contains("s3cret-value"), "{env}");
}
