//! `mcp-auth doctor` finds what is wrong and says how to fix it.
#![allow(clippy::unwrap_used, clippy::expect_used)]

/// The support this crate uses (files in tests/support/, see its README.md);
/// helpers of these modules that this crate does not call are allowed.
#[allow(dead_code)]
mod support {
    pub mod daemon;
    pub mod fake_as;
    pub mod home;
    pub mod served;
    pub mod token_ledger; // fake_as needs it
}

use support::fake_as::{AsConfig, FakeAs, TokenMode};
use support::home::Home;

fn status<'a>(checks: &'a serde_json::Value, name: &str) -> &'a str {
    checks
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["check"] == name)
        .unwrap_or_else(|| panic!("no {name} check in {checks}"))["status"]
        .as_str()
        .unwrap()
}

#[test]
fn a_healthy_installation_passes() {
    let server = FakeAs::start(AsConfig::default());
    let home = Home::new();
    home.write_config(&server.provider_toml("acme"));
    home.run(&["login", "acme"]).ok();
    let run = home.run(&["doctor", "--json"]);
    let checks = run.ok().json();
    assert_eq!(status(&checks, "database"), "pass");
    // config.toml was written 0644, as an editor would: worth a warning only
    // while it holds no secret.
    assert_eq!(status(&checks, "permissions"), "warn");
    assert_eq!(
        status(&checks, "browser"),
        "pass",
        "MCP_AUTH_BROWSER is set: {checks}"
    );
    // The plaintext file store works but is worth a warning.
    assert_eq!(status(&checks, "secret store"), "warn");
    assert_eq!(status(&checks, "credential acme"), "pass");
    assert_eq!(
        status(&checks, "daemon"),
        "pass",
        "not running is fine: {checks}"
    );
    // A running daemon is reported with what it does.
    let daemon = support::daemon::Daemon::start(&home, &[]);
    let checks = home.run(&["doctor", "--json"]).ok().json();
    let line = checks
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["check"] == "daemon")
        .unwrap()["message"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(line.contains(&format!("pid {}", daemon.pid())), "{line}");
    daemon.terminate();
    // --online proves the refresh works.
    let checks = home.run(&["doctor", "--online", "--json"]).ok().json();
    assert_eq!(status(&checks, "credential acme"), "pass");
    assert_eq!(server.stats().refreshes, 1);
}

#[test]
fn problems_fail_with_a_fix() {
    let server = FakeAs::start(AsConfig::default());
    let home = Home::new();
    home.write_config(&server.provider_toml("acme"));
    home.run(&["login", "acme"]).ok();
    server.set_token_mode(TokenMode::InvalidGrant);
    home.run(&["tokens", "refresh", "acme"])
        .fails_with(1, "needs a new login");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(
            home.path().join("config.toml"),
            std::fs::Permissions::from_mode(0o644),
        )
        .unwrap();
    }
    let run = home.run(&["doctor"]);
    run.fails_with(1, "check(s) failed");
    let out = run.stdout();
    assert!(out.contains("FAIL  credential acme"), "{out}");
    assert!(out.contains("fix: mcp-auth login acme"), "{out}");
    #[cfg(unix)]
    assert!(
        out.contains("config.toml has mode 644 (expected 600)"),
        "{out}"
    );

    let bad = Home::new();
    std::fs::create_dir_all(bad.path().join("data")).unwrap();
    std::fs::write(bad.database(), vec![7u8; 4096]).unwrap();
    let run = bad.run(&["doctor"]);
    run.fails_with(1, "check(s) failed");
    assert!(run.stdout().contains("FAIL  database"), "{}", run.stdout());
    let missing = support::home::Run(
        bad.cmd()
            .args(["doctor", "--json"])
            .env("MCP_AUTH_BROWSER", "/nonexistent/browser")
            .output()
            .unwrap(),
    );
    assert_eq!(status(&missing.json(), "browser"), "fail");
}
