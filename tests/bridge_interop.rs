//! The bridge against a real MCP server nobody here wrote:
//! `@modelcontextprotocol/server-everything@2026.8.31` (pinned in
//! tests/peers), driven through the bridge's stdio by a test client.
//! Every method family: tools (with a long-running one that reports
//! progress), resources and templates, prompts, completion, server-initiated
//! sampling, elicitation and roots (over the POST and GET streams), logging,
//! the GET stream, DELETE.
#![allow(clippy::unwrap_used, clippy::expect_used)]

/// The support this crate uses (files in tests/support/, see its README.md);
/// helpers of these modules that this crate does not call are allowed.
#[allow(dead_code)]
mod support {
    pub mod bridge;
    pub mod peers;
}

use std::time::Duration;

use serde_json::{Value, json};
use support::bridge::Bridge;
use support::peers;

fn client_caps() -> Value {
    json!({"sampling": {}, "elicitation": {}, "roots": {"listChanged": true}})
}

#[test]
fn every_method_family_works_through_the_bridge_against_server_everything() {
    let peer = peers::server_everything();
    let mut b = Bridge::start(&peer.url);
    let init = b.initialize(client_caps());
    assert!(init["capabilities"]["tools"].is_object(), "{init}");
    assert!(init["serverInfo"]["name"].is_string());

    // The server asks for roots over the GET stream ~350 ms after
    // `initialized`; the answer goes back through the bridge, and the
    // server's log message about it comes over the GET stream too.
    let roots = b.method("roots/list");
    b.send(&json!({"jsonrpc": "2.0", "id": roots["id"], "result": {"roots": [{"uri": "file:///tmp", "name": "tmp"}]}}));
    let log = b.recv_where("the roots log message", |v| {
        v["method"] == "notifications/message"
            && v["params"]["data"]
                .as_str()
                .is_some_and(|d| d.contains("1 root(s)"))
    });
    assert_eq!(log["params"]["level"], "info");

    // Tools.
    let tools = b.request("tools/list", json!({}));
    let names: Vec<&str> = tools["result"]["tools"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    for want in [
        "echo",
        "get-sum",
        "trigger-long-running-operation",
        "trigger-sampling-request",
    ] {
        assert!(names.contains(&want), "{want} missing from {names:?}");
    }
    let r = b.request(
        "tools/call",
        json!({"name": "echo", "arguments": {"message": "héllo \"there\""}}),
    );
    assert_eq!(r["result"]["content"][0]["text"], "Echo: héllo \"there\"");
    let r = b.request(
        "tools/call",
        json!({"name": "get-sum", "arguments": {"a": 2, "b": 40}}),
    );
    assert!(
        r["result"]["content"][0]["text"]
            .as_str()
            .unwrap()
            .contains("42"),
        "{r}"
    );

    // A long-running tool with progress notifications, while a ping passes it.
    b.send(
        &json!({"jsonrpc": "2.0", "id": "long", "method": "tools/call", "params": {
        "name": "trigger-long-running-operation", "arguments": {"duration": 1, "steps": 4},
        "_meta": {"progressToken": "prog-1"}}}),
    );
    let ping = b.request("ping", json!({}));
    assert_eq!(ping["result"], json!({}));
    let mut progress = Vec::new();
    let done = loop {
        let v = b.recv_where("progress or the long result", |v| {
            v["method"] == "notifications/progress" || v["id"] == "long"
        });
        if v["id"] == "long" {
            break v;
        }
        assert_eq!(v["params"]["progressToken"], "prog-1");
        progress.push(v["params"]["progress"].as_f64().unwrap());
    };
    assert_eq!(
        progress,
        vec![1.0, 2.0, 3.0, 4.0],
        "progress in order, none lost"
    );
    assert!(
        done["result"]["content"][0]["text"]
            .as_str()
            .unwrap()
            .contains("completed"),
        "{done}"
    );

    // Sampling, server-initiated over the tool call's SSE stream.
    b.send(
        &json!({"jsonrpc": "2.0", "id": "sample", "method": "tools/call", "params": {
        "name": "trigger-sampling-request", "arguments": {"prompt": "say hi", "maxTokens": 5}}}),
    );
    let req = b.method("sampling/createMessage");
    b.send(&json!({"jsonrpc": "2.0", "id": req["id"], "result": {
        "role": "assistant", "content": {"type": "text", "text": "hi from the test client"}, "model": "test-model"}}));
    let r = b.response(&json!("sample"));
    assert!(r.to_string().contains("hi from the test client"), "{r}");

    // Elicitation, the same way.
    b.send(
        &json!({"jsonrpc": "2.0", "id": "elicit", "method": "tools/call", "params": {
        "name": "trigger-elicitation-request", "arguments": {}}}),
    );
    let req = b.method("elicitation/create");
    b.send(&json!({"jsonrpc": "2.0", "id": req["id"], "result": {"action": "decline"}}));
    let r = b.response(&json!("elicit"));
    assert!(r.get("result").is_some(), "{r}");
    assert!(r.to_string().to_lowercase().contains("decline"), "{r}");

    // Resources, templates, subscriptions.
    let res = b.request("resources/list", json!({}));
    let first = res["result"]["resources"][0].clone();
    assert!(first["uri"].is_string(), "{res}");
    let read = b.request("resources/read", json!({"uri": first["uri"]}));
    assert_eq!(read["result"]["contents"][0]["uri"], first["uri"], "{read}");
    let templates = b.request("resources/templates/list", json!({}));
    let tpl: Vec<&str> = templates["result"]["resourceTemplates"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["uriTemplate"].as_str().unwrap())
        .collect();
    assert!(
        tpl.contains(&"demo://resource/dynamic/text/{resourceId}"),
        "{tpl:?}"
    );
    let read = b.request(
        "resources/read",
        json!({"uri": "demo://resource/dynamic/text/7"}),
    );
    assert!(
        read["result"]["contents"][0]["text"]
            .as_str()
            .unwrap()
            .starts_with("Resource 7:"),
        "{read}"
    );
    let sub = b.request("resources/subscribe", json!({"uri": first["uri"]}));
    assert!(sub.get("result").is_some(), "{sub}");

    // Prompts.
    let prompts = b.request("prompts/list", json!({}));
    let pnames: Vec<&str> = prompts["result"]["prompts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert!(pnames.contains(&"completable-prompt"), "{pnames:?}");
    let got = b.request(
        "prompts/get",
        json!({"name": "completable-prompt",
        "arguments": {"department": "Engineering", "name": "Alice"}}),
    );
    let text = got["result"]["messages"][0]["content"]["text"]
        .as_str()
        .unwrap();
    assert_eq!(
        text,
        "Please promote Alice to the head of the Engineering team."
    );

    // Completion, for a prompt argument and a resource template variable.
    let c = b.request(
        "completion/complete",
        json!({
        "ref": {"type": "ref/prompt", "name": "completable-prompt"},
        "argument": {"name": "department", "value": "S"}}),
    );
    let values = c["result"]["completion"]["values"].clone();
    assert_eq!(values, json!(["Sales", "Support"]), "{c}");
    let c = b.request(
        "completion/complete",
        json!({
        "ref": {"type": "ref/prompt", "name": "completable-prompt"},
        "argument": {"name": "name", "value": "A"},
        "context": {"arguments": {"department": "Engineering"}}}),
    );
    assert_eq!(c["result"]["completion"]["values"], json!(["Alice"]), "{c}");
    let c = b.request(
        "completion/complete",
        json!({
        "ref": {"type": "ref/resource", "uri": "demo://resource/dynamic/text/{resourceId}"},
        "argument": {"name": "resourceId", "value": "3"}}),
    );
    assert_eq!(c["result"]["completion"]["values"], json!(["3"]), "{c}");

    // Logging level, an unknown method (the server's own error passes through).
    let r = b.request("logging/setLevel", json!({"level": "debug"}));
    assert!(r.get("result").is_some(), "{r}");
    let r = b.request("no/such/method", json!({}));
    assert_eq!(r["error"]["code"], -32601, "{r}");

    // Exit: DELETE, then the server no longer knows the session.
    b.close_stdin();
    let (status, took) = b.wait_exit(Duration::from_secs(5));
    assert!(status.success());
    assert!(took < Duration::from_secs(1), "exit took {took:?}");
    let stderr = b.stderr();
    assert!(!stderr.contains("ERROR"), "{stderr}");
}

#[test]
fn many_requests_in_flight_against_server_everything_are_all_answered() {
    let peer = peers::server_everything();
    let mut b = Bridge::start(&peer.url);
    b.initialize(json!({}));
    let msgs: Vec<Value> = (0..100)
        .map(|i| {
            json!({"jsonrpc": "2.0", "id": i, "method": "tools/call",
                        "params": {"name": "get-sum", "arguments": {"a": i, "b": 1000}}})
        })
        .collect();
    b.send_many(&msgs);
    let mut seen = std::collections::HashSet::new();
    for _ in 0..100 {
        let r = b.recv_where("a response", |v| {
            v.get("id").is_some() && v.get("method").is_none()
        });
        let i = r["id"].as_u64().unwrap();
        let text = r["result"]["content"][0]["text"]
            .as_str()
            .unwrap_or_else(|| panic!("{r}"));
        assert!(text.contains(&(i + 1000).to_string()), "{r}");
        assert!(seen.insert(i), "duplicate {i}");
    }
    assert!(
        b.drain(Duration::from_millis(300))
            .iter()
            .all(|m| m.get("method").is_some()),
        "only notifications may be left"
    );
}

#[test]
fn exit_deletes_the_session_at_server_everything() {
    let peer = peers::server_everything();
    let mut b = Bridge::start_with(&peer.url, support::bridge::Options::default().log("debug"));
    b.initialize(json!({}));
    b.request("ping", json!({}));
    b.close_stdin();
    let (status, _) = b.wait_exit(Duration::from_secs(5));
    assert!(status.success());
    let stderr = b.stderr();
    assert!(stderr.contains("session deleted status=200"), "{stderr}");
}
