//! The bridge against real OAuth-protected MCP servers nobody here wrote,
//! logging in on first use: the TypeScript SDK's demo server (`--oauth`:
//! RFC 9728/8414 metadata, dynamic registration, its own authorization
//! server), and a Python SDK server (`mcp` on PyPI) that trusts oidc-provider
//! and verifies tokens by introspection. Tools, resources and prompts each
//! go through with the bearer; a second bridge reuses the saved credential.
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

use std::process::{Command, Stdio};
use std::time::Duration;

use serde_json::{Value, json};
use support::bridge::{Bridge, Options};
use support::home::FOLLOW_REDIRECT;
use support::peers;

/// The TypeScript SDK's `simpleStreamableHttp.js --oauth`; its resource is
/// `http://localhost:P/mcp` (checked against exactly that).
fn ts_demo_server() -> peers::Peer {
    peers::ensure_installed();
    let dir = peers::peers_dir();
    let (mcp, auth) = (peers::free_port(), peers::free_port());
    let mut child = Command::new("node")
        .arg("--require")
        .arg(dir.join("loopback.cjs"))
        .arg(dir.join("node_modules/@modelcontextprotocol/sdk/dist/esm/examples/server/simpleStreamableHttp.js"))
        .arg("--oauth")
        .env("MCP_PORT", mcp.to_string())
        .env("MCP_AUTH_PORT", auth.to_string())
        .current_dir(&dir)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start the TypeScript SDK demo server");
    for port in [mcp, auth] {
        peers::wait_listening(port, &mut child, Duration::from_secs(30), None)
            .expect("the demo server listens");
    }
    peers::Peer::from_child(child, mcp, format!("http://localhost:{mcp}/mcp"))
}

fn result(v: &Value) -> &Value {
    assert!(v.get("error").is_none(), "{v}");
    &v["result"]
}

#[test]
fn ts_sdk_demo_server_logs_in_on_first_use_then_works_for_every_family() {
    let server = ts_demo_server();
    let home = tempfile::tempdir().unwrap();
    let opts = Options::default()
        .home(home.path())
        .env("MCP_AUTH_BROWSER", FOLLOW_REDIRECT);
    let mut b = Bridge::start_with(&server.url, opts.clone());
    let init = b.initialize(json!({}));
    assert!(init["capabilities"]["tools"].is_object(), "{init}");
    assert!(b.stderr().contains("logged in"), "{}", b.stderr());

    let tools = b.request("tools/list", json!({}));
    let names: Vec<&str> = result(&tools)["tools"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    assert!(names.contains(&"greet"), "{names:?}");
    let greet = b.request(
        "tools/call",
        json!({"name": "greet", "arguments": {"name": "Ada"}}),
    );
    let text = result(&greet)["content"][0]["text"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(text.contains("Ada"), "{text}");

    let resources = b.request("resources/list", json!({}));
    let first = result(&resources)["resources"][0]["uri"]
        .as_str()
        .unwrap()
        .to_string();
    let read = b.request("resources/read", json!({"uri": first}));
    assert!(
        result(&read)["contents"]
            .as_array()
            .is_some_and(|c| !c.is_empty()),
        "{read}"
    );

    let prompts = b.request("prompts/list", json!({}));
    let prompt = result(&prompts)["prompts"][0].clone();
    let mut args = serde_json::Map::new();
    for a in prompt["arguments"].as_array().cloned().unwrap_or_default() {
        args.insert(a["name"].as_str().unwrap().to_string(), json!("x"));
    }
    let got = b.request(
        "prompts/get",
        json!({"name": prompt["name"], "arguments": args}),
    );
    assert!(
        result(&got)["messages"]
            .as_array()
            .is_some_and(|m| !m.is_empty()),
        "{got}"
    );
    b.close_stdin();
    b.wait_exit(Duration::from_secs(5));

    // The saved credential serves the next bridge: no second login.
    let mut again = Bridge::start_with(&server.url, opts.env("MCP_AUTH_BROWSER", "false"));
    again.initialize(json!({}));
    result(&again.request("tools/list", json!({})));
    assert!(!again.stderr().contains("logging in"), "{}", again.stderr());
}

#[test]
fn python_sdk_server_with_oidc_provider_logs_in_on_first_use() {
    let (_idp, server) = peers::python_server_with_oidc(&[]);

    let mut b = Bridge::start_with(
        &server.url,
        Options::default().env("MCP_AUTH_BROWSER", &peers::browser_command()),
    );
    let init = b.initialize(json!({}));
    assert_eq!(init["serverInfo"]["name"], "python-peer", "{init}");
    let echo = b.request(
        "tools/call",
        json!({"name": "echo", "arguments": {"text": "hi"}}),
    );
    assert_eq!(result(&echo)["content"][0]["text"], "python says: hi");
    let read = b.request("resources/read", json!({"uri": "greeting://Ada"}));
    assert_eq!(result(&read)["contents"][0]["text"], "Hello, Ada!");
    let prompt = b.request(
        "prompts/get",
        json!({"name": "review", "arguments": {"code": "x = 1"}}),
    );
    let text = result(&prompt)["messages"][0]["content"]["text"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(text.contains("x = 1"), "{text}");
}

/// The daemon keeps a short-lived, rotating credential fresh while a bridge
/// uses it: oidc-provider issues 8-second access tokens and single-use
/// refresh tokens; the Python SDK server checks every token by
/// introspection. Every call through the bridge succeeds for half a minute,
/// across several refreshes that only the daemon performs.
#[test]
fn the_daemon_refreshes_while_a_bridge_keeps_working() {
    let (_idp, server) =
        peers::python_server_with_oidc(&[("ACCESS_TTL", "8"), ("REFRESH_ALWAYS", "1")]);

    let home = support::home::Home::new();
    let login = support::home::Run(
        home.cmd()
            .env("MCP_AUTH_BROWSER", peers::browser_command())
            .args(["login", &server.url, "--json"])
            .output()
            .unwrap(),
    );
    assert_eq!(login.ok().json()["renewable"], true);
    let daemon = support::daemon::Daemon::start(&home, &[]);
    let mut b = Bridge::start_with(&server.url, Options::default().home(home.path()));
    b.initialize(json!({}));
    let until = std::time::Instant::now() + Duration::from_secs(30);
    let mut calls = 0;
    while std::time::Instant::now() < until {
        let r = b.request(
            "tools/call",
            json!({"name": "echo", "arguments": {"text": calls.to_string()}}),
        );
        assert_eq!(
            result(&r)["content"][0]["text"],
            format!("python says: {calls}"),
            "call {calls}"
        );
        calls += 1;
        std::thread::sleep(Duration::from_millis(500));
    }
    let status = daemon.status().expect("the daemon answers");
    assert!(status["refreshes"].as_u64().unwrap() >= 3, "{status}");
    assert_eq!(status["refresh_failures"], 0, "{status}");
    assert_eq!(status["needs_login"], 0, "{status}");
    assert!(calls >= 40, "{calls}");
    b.close_stdin();
    b.wait_exit(Duration::from_secs(5));
    daemon.terminate();
}
