//! Interop with a real fastmcp 4.1.6 server that is its own authorization
//! server (the MCP Python SDK's auth stack: it lists client_secret_post and
//! client_secret_basic and finds `client_id` only in the body), access
//! tokens living a few seconds: `mcp-auth login` registers once and opens
//! the browser once; the bridge calls a tool; the token is renewed across
//! several lifetimes without a browser; revocation works and the revoked
//! token is refused. Browser opens and registrations are counted.
//!
//! The bridge is started within each token lifetime: this provider revokes
//! the refresh token when shown an expired access token, so a bridge kept
//! open across an expiry needs the bridge's proactive renewal.
#![allow(clippy::unwrap_used, clippy::expect_used)]

/// The support this crate uses (files in tests/support/, see its README.md);
/// helpers of these modules that this crate does not call are allowed.
#[allow(dead_code)]
mod support {
    pub mod bridge;
    pub mod home;
    pub mod peers;
}

use std::time::Duration;

use serde_json::json;
use support::bridge::{Bridge, Options};
use support::home::{FOLLOW_REDIRECT, Home};
use support::peers;

const TTL: u64 = 4;

fn lines(path: &std::path::Path) -> usize {
    std::fs::read_to_string(path)
        .map(|s| s.lines().count())
        .unwrap_or(0)
}

#[test]
fn login_bridge_renewals_and_revoke_with_one_browser_and_one_registration() {
    let home = Home::new();
    let registrations = home.path().join("registrations.log");
    let opened = home.path().join("browser-opens.log");
    let server = peers::fastmcp_server(TTL, &registrations);
    let name = format!("127.0.0.1-{}", server.port);
    // A "browser" that counts its opens, then follows the redirects.
    let browser = format!(
        "sh -c 'echo x >> {}; {FOLLOW_REDIRECT} \"$0\"'",
        opened.display()
    );

    let login = home
        .cmd()
        .env("MCP_AUTH_BROWSER", &browser)
        .args(["login", &server.url])
        .output()
        .unwrap();
    assert!(
        login.status.success(),
        "{}",
        String::from_utf8_lossy(&login.stderr)
    );
    assert_eq!(lines(&opened), 1, "one browser open");
    assert_eq!(lines(&registrations), 1, "one registration");

    for lifetime in 0..3 {
        if lifetime > 0 {
            // The token has expired; a renewal gets another, no browser.
            std::thread::sleep(Duration::from_secs(TTL + 1));
            home.run(&["token", &name]).ok();
        }
        let mut bridge = Bridge::start_with(
            &server.url,
            Options::default()
                .home(home.path())
                .env("MCP_AUTH_BROWSER", &browser),
        );
        bridge.initialize(json!({}));
        let r = bridge.request(
            "tools/call",
            json!({"name": "add", "arguments": {"a": 2, "b": 3}}),
        );
        assert_eq!(
            r["result"]["structuredContent"]["result"],
            5,
            "{r}\n{}",
            bridge.stderr()
        );
        bridge.close_stdin();
        bridge.wait_exit(Duration::from_secs(10));
    }
    let shown = home.run(&["tokens", "show", &name, "--json"]).ok().json();
    assert!(shown["last_refreshed_at"].is_string(), "renewed: {shown}");
    assert_eq!(lines(&opened), 1, "still one browser open");
    assert_eq!(lines(&registrations), 1, "still one registration");

    // Revocation at the server (its client authentication wants client_id
    // in the body), then the token is refused.
    let token = home.run(&["token", &name]).ok().stdout().trim().to_string();
    home.run(&["tokens", "revoke", &name, "--yes"]).ok();
    let status = std::process::Command::new("curl")
        .args(["-s", "-o", "/dev/null", "-w", "%{http_code}", "-X", "POST"])
        .arg("-H")
        .arg(format!("Authorization: Bearer {token}"))
        .args([
            "-H",
            "accept: application/json, text/event-stream",
            "-H",
            "content-type: application/json",
            "-d",
            r#"{"jsonrpc":"2.0","id":1,"method":"ping"}"#,
        ])
        .arg(&server.url)
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&status.stdout), "401");
}
