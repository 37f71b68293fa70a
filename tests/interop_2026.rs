//! MCP 2026-07-28 through `mcp-auth bridge` with real peers, started by the
//! test: a stateless TypeScript SDK v2 server (@modelcontextprotocol/server
//! 2.4.0, `createMcpHandler` with `legacy: 'reject'`: it speaks only
//! 2026-07-28 and checks `Mcp-Param-Region` against the body) reached by
//!
//! - a 2026-era client: the TypeScript SDK v2 client (2.4.0), negotiating
//!   with `server/discover`;
//! - a 2025-era client (initialize first): the bridge adapts it;
//! - the Python SDK 2.3.0 client, which must end up on 2026-07-28.
#![allow(clippy::unwrap_used, clippy::expect_used)]

/// The support this crate uses (files in tests/support/, see its README.md);
/// helpers of these modules that this crate does not call are allowed.
#[allow(dead_code)]
mod support {
    pub mod bridge;
    pub mod peers;
}

use std::process::Command;
use std::time::Duration;

use serde_json::json;
use support::bridge::{BIN, Bridge};
use support::peers;

fn ts_server() -> peers::Peer {
    peers::start("ts-server-2026.mjs", &[("PORT", "0")])
}

#[test]
fn a_2026_era_client_reaches_a_stateless_ts_v2_server() {
    let server = ts_server();
    let home = tempfile::tempdir().unwrap();
    let out = Command::new(peers::node22())
        .arg(peers::peers_dir().join("conformance-driver-2026.mjs"))
        .arg(&server.url)
        .env("MCP_AUTH_BIN", BIN)
        .env("MCP_AUTH_HOME", home.path())
        .current_dir(peers::peers_dir())
        .output()
        .expect("run the TypeScript SDK v2 client");
    let log = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{log}");
    assert!(log.contains("connected; protocol 2026-07-28"), "{log}");
    assert!(
        log.contains("tools/call locate: ok") && log.contains("tools/call echo: ok"),
        "{log}"
    );
}

#[test]
fn a_2025_era_client_reaches_a_stateless_ts_v2_server() {
    let server = ts_server();
    let mut b = Bridge::start(&server.url);
    let init = b.initialize(json!({}));
    assert_eq!(init["serverInfo"]["name"], "ts-v2-stateless", "{init}");
    assert!(init["capabilities"]["tools"].is_object(), "{init}");
    b.send(&json!({"jsonrpc": "2.0", "method": "notifications/initialized"}));
    let list = b.request("tools/list", json!({}));
    assert_eq!(
        list["result"]["tools"].as_array().unwrap().len(),
        2,
        "{list}"
    );
    // The server refuses a call whose Mcp-Param-Region disagrees with the
    // body: a non-ASCII value with a trailing space must go Base64-encoded.
    let r = b.request(
        "tools/call",
        json!({"name": "locate", "arguments": {"region": "Zürich Nord ", "query": "q"}}),
    );
    assert_eq!(
        r["result"]["content"][0]["text"], "region Zürich Nord ",
        "{r}"
    );
    let r = b.request(
        "tools/call",
        json!({"name": "echo", "arguments": {"text": "hi"}}),
    );
    assert_eq!(r["result"]["content"][0]["text"], "hi", "{r}");
    b.close_stdin();
    let (status, _) = b.wait_exit(Duration::from_secs(3));
    assert!(status.success());
}

#[test]
fn a_call_before_any_listing_learns_the_tool_headers_and_goes_through() {
    let server = ts_server();
    let mut b = Bridge::start(&server.url);
    b.initialize(json!({}));
    // No tools/list first: the server answers HEADER_MISMATCH, the bridge
    // lists the tools itself and calls once more.
    let r = b.request(
        "tools/call",
        json!({"name": "locate", "arguments": {"region": "eu-west", "query": "q"}}),
    );
    assert_eq!(r["result"]["content"][0]["text"], "region eu-west", "{r}");
}

#[test]
fn the_python_sdk_client_negotiates_2026_07_28_through_the_bridge() {
    let server = ts_server();
    let home = tempfile::tempdir().unwrap();
    let out = Command::new(peers::python())
        .arg(peers::peers_dir().join("python-client-2026.py"))
        .args([BIN, "bridge", &server.url])
        .env("MCP_AUTH_HOME", home.path())
        .env("MCP_AUTH_SECRET_STORE", "file")
        .output()
        .expect("run the Python SDK client");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_str(stdout.trim()).unwrap();
    assert_eq!(v["protocol_version"], "2026-07-28", "{v}");
    assert_eq!(v["tools"], json!(["echo", "locate"]));
    assert_eq!(v["text"], "region Zürich");
}
