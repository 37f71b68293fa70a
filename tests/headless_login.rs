//! Logins without a local browser: the device authorization grant (RFC 8628)
//! and paste-back, for providers and MCP servers.
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

use std::io::{BufRead, BufReader, Write};
use std::process::Stdio;

use support::fake_as::{AsConfig, DeviceMode, FakeAs};
use support::home::{Home, Run};

fn setup() -> (FakeAs, Home) {
    let server = FakeAs::start(AsConfig::default());
    let home = Home::new();
    home.write_config(&server.provider_toml("acme"));
    (server, home)
}

#[test]
fn device_login_shows_the_code_and_polls_until_approved() {
    let (server, home) = setup();
    let run = home.run(&["login", "acme", "--device", "--json"]);
    let saved = run.ok().json();
    assert_eq!(saved["grant"], "device_code");
    assert_eq!(saved["user"], "ada");
    assert_eq!(saved["renewable"], true);
    let err = run.stderr();
    assert!(err.contains("WDJB-MJHT"), "{err}");
    assert!(err.contains(&format!("{}/activate", server.url)), "{err}");
    let stats = server.stats();
    assert_eq!(
        stats.device_polls.len(),
        3,
        "two pending answers, then the token"
    );
    assert_eq!(stats.authorize_requests, 0);
    assert_eq!(stats.last_scope.as_deref(), Some("read write"));
    // Polls keep to the interval (1 s).
    for pair in stats.device_polls.windows(2) {
        assert!(pair[1] - pair[0] >= 900, "{:?}", stats.device_polls);
    }
    home.run(&["token", "acme", "--min-valid", "2h"]).ok();
    assert_eq!(server.stats().refreshes, 1);
}

#[test]
fn device_login_slows_down_when_asked() {
    let (server, home) = setup();
    server.set_device_mode(DeviceMode::SlowDownThenApprove);
    home.run(&["login", "acme", "--device"]).ok();
    let polls = server.stats().device_polls;
    assert_eq!(polls.len(), 3, "{polls:?}");
    // RFC 8628 §3.5: slow_down adds 5 seconds to the interval.
    assert!(polls[1] - polls[0] >= 5900, "{polls:?}");
}

#[test]
fn device_login_refusals_are_clear() {
    let (server, home) = setup();
    server.set_device_mode(DeviceMode::Deny);
    home.run(&["login", "acme", "--device"])
        .fails_with(6, "access_denied");
    server.set_device_mode(DeviceMode::Expire);
    home.run(&["login", "acme", "--device"])
        .fails_with(6, "expired_token");
    assert_eq!(
        home.run(&["tokens", "list", "--json"]).json(),
        serde_json::json!([])
    );
    // A provider without a device endpoint says what to do instead.
    home.write_config("[providers.plain]\nauthorize_url = \"http://127.0.0.1:9/a\"\ntoken_url = \"http://127.0.0.1:9/t\"\nclient_id = \"c\"\n");
    home.run(&["login", "plain", "--device"])
        .fails_with(2, "--paste");
}

#[test]
fn device_login_to_an_mcp_server_registers_for_the_device_grant() {
    let server = FakeAs::start(AsConfig::default());
    server.set_mcp(Default::default());
    let home = Home::new();
    let saved = home
        .run(&["login", &server.mcp_url(), "--device", "--json"])
        .ok()
        .json();
    assert_eq!(saved["grant"], "device_code");
    assert_eq!(saved["resource"], server.mcp_url());
    assert_eq!(
        server.stats().last_resource.as_deref(),
        Some(server.mcp_url().as_str())
    );
    home.run(&["login", &server.mcp_url(), "--device"]).ok();
    assert_eq!(
        server.stats().registrations,
        1,
        "the device registration is reused"
    );
}

/// Runs `login --paste`, plays the remote browser with the URL it prints,
/// and pastes `answer(final_url)` back.
fn paste_login(home: &Home, answer: impl Fn(&str) -> String) -> Run {
    let mut child = home
        .cmd()
        .args(["login", "acme", "--paste", "--json"])
        .env_remove("MCP_AUTH_BROWSER")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let mut seen = String::new();
    let url = loop {
        let mut line = String::new();
        assert!(
            stderr.read_line(&mut line).unwrap() > 0,
            "no URL printed: {seen}"
        );
        seen.push_str(&line);
        if let Some(u) = line
            .trim()
            .strip_prefix("http")
            .filter(|u| u.contains("/authorize?"))
        {
            break format!("http{u}");
        }
    };
    // The "browser" on another machine: follows the login, stops at the
    // redirect to 127.0.0.1 it cannot load.
    let out = std::process::Command::new("curl")
        .args(["-s", "-o", "/dev/null", "-w", "%{redirect_url}"])
        .arg(&url)
        .output()
        .unwrap();
    let final_url = String::from_utf8(out.stdout).unwrap();
    assert!(final_url.starts_with("http://127.0.0.1:"), "{final_url}");
    let mut stdin = child.stdin.take().unwrap();
    writeln!(stdin, "{}", answer(&final_url)).unwrap();
    drop(stdin);
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut stderr, &mut rest).unwrap();
    let mut out = child.wait_with_output().unwrap();
    out.stderr = format!("{seen}{rest}").into_bytes();
    Run(out)
}

#[test]
fn paste_back_completes_the_login() {
    let (server, home) = setup();
    let run = paste_login(&home, |u| format!("  {u}  "));
    assert_eq!(run.ok().json()["user"], "ada");
    assert!(run.stderr().contains("paste it here"), "{}", run.stderr());
    assert_eq!(server.stats().code_exchanges, 1);
}

#[test]
fn paste_back_checks_state_like_the_listener() {
    let (server, home) = setup();
    let run = paste_login(&home, |u| u.replace("state=", "state=forged"));
    run.fails_with(6, "state does not match");
    assert_eq!(server.stats().code_exchanges, 0);
    let run = paste_login(&home, |_| "not a url at all".to_string());
    run.fails_with(6, "no state");
}
