//! `mcp-auth bridge` end to end: the real binary, driven over its stdio,
//! against the in-process fake MCP server. Whole messages are checked, and
//! the fake asserts the protocol it receives.
#![allow(clippy::unwrap_used, clippy::expect_used)]

/// The support this crate uses (files in tests/support/, see its README.md);
/// helpers of these modules that this crate does not call are allowed.
#[allow(dead_code)]
mod support {
    pub mod bridge;
    pub mod fake_as;
    pub mod fake_server;
    pub mod home;
    pub mod seed;
    pub mod served;
    pub mod token_ledger; // fake_as and fake_server need it
    pub use seed::*;
}

use std::collections::HashSet;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use support::bridge::{Bridge, Options};
use support::fake_server::{Behavior, FakeServer};

/// A home holding the credential "fake" for `server`, with its token
/// endpoint, as a login there would leave it: the set-up of every test of a
/// stored credential.
fn signed_in(server: &FakeServer, access: &str, refresh: Option<&str>) -> tempfile::TempDir {
    let home = tempfile::tempdir().unwrap();
    support::seed_credential(
        home.path(),
        "fake",
        &server.url,
        &format!("{}/token", server.base),
        access,
        refresh,
    );
    home
}

fn echo(b: &mut Bridge, text: &str) -> Value {
    b.request(
        "tools/call",
        json!({"name": "echo", "arguments": {"text": text}}),
    )
}

fn text_of(resp: &Value) -> &str {
    resp["result"]["content"][0]["text"]
        .as_str()
        .unwrap_or_else(|| panic!("no text in {resp}"))
}

#[test]
fn forwards_requests_and_attaches_session_and_version_headers_json_and_sse() {
    for sse in [false, true] {
        let server = FakeServer::start(Behavior {
            sse,
            ..Behavior::default()
        });
        let mut b = Bridge::start(&server.url);
        let init = b.initialize(json!({}));
        assert_eq!(init["protocolVersion"], "2025-06-18");
        let list = b.request("tools/list", json!({}));
        assert_eq!(list["result"]["tools"][0]["name"], "echo", "{list}");
        // Unicode, escapes and a big payload pass through untouched.
        let text = format!("héllo \"quoted\" \\ line\nbreak {}", "x".repeat(100_000));
        let r = echo(&mut b, &text);
        assert_eq!(text_of(&r), text);
        let ping = b.request("ping", json!({}));
        assert_eq!(
            ping,
            json!({"jsonrpc": "2.0", "id": ping["id"], "result": {}})
        );
        b.close_stdin();
        let (status, _) = b.wait_exit(Duration::from_secs(3));
        assert!(status.success());
        server.assert_no_violations();
        let seen = server.seen();
        assert_eq!(seen.initializes.len(), 1);
        assert_eq!(seen.deletes, vec![(Some("sess-1".into()), None)]);
        assert!(
            seen.client_messages
                .iter()
                .any(|m| m["method"] == "notifications/initialized")
        );
    }
}

#[test]
fn a_hundred_requests_in_flight_are_answered_once_each_matched_by_id() {
    let server = FakeServer::start(Behavior::default());
    let mut b = Bridge::start(&server.url);
    b.initialize(json!({}));
    let msgs: Vec<Value> = (0..100)
        .map(|i| {
            // Mixed id types, and replies that finish in scrambled order.
            let id = if i % 2 == 0 { json!(i) } else { json!(format!("req-{i}")) };
            json!({"jsonrpc": "2.0", "id": id, "method": "tools/call",
                   "params": {"name": "slow", "arguments": {"ms": (i * 37) % 200, "text": format!("t{i}")}}})
        })
        .collect();
    let start = Instant::now();
    b.send_many(&msgs);
    let mut seen_ids = HashSet::new();
    for _ in 0..100 {
        let r = b.recv_where("a response", |v| v.get("id").is_some());
        let id = r["id"].clone();
        let i = match &id {
            Value::Number(n) => n.as_u64().unwrap(),
            Value::String(s) => s.trim_start_matches("req-").parse().unwrap(),
            other => panic!("odd id {other}"),
        };
        assert_eq!(
            text_of(&r),
            format!("t{i}"),
            "reply matched to the wrong request: {r}"
        );
        assert!(seen_ids.insert(id.to_string()), "duplicate reply {r}");
    }
    // Sequentially this would take ~10 s; in flight at once, ~0.2 s.
    assert!(
        start.elapsed() < Duration::from_secs(5),
        "took {:?}",
        start.elapsed()
    );
    assert!(
        b.drain(Duration::from_millis(200)).is_empty(),
        "extra messages"
    );
    server.assert_no_violations();
}

#[test]
fn a_slow_request_does_not_block_a_ping_or_a_cancellation() {
    let server = FakeServer::start(Behavior::default());
    let mut b = Bridge::start(&server.url);
    b.initialize(json!({}));
    b.send(
        &json!({"jsonrpc": "2.0", "id": "slow", "method": "tools/call",
                   "params": {"name": "slow", "arguments": {"ms": 3000, "text": "late"}}}),
    );
    std::thread::sleep(Duration::from_millis(50));
    let start = Instant::now();
    let ping = b.request("ping", json!({}));
    assert!(ping.get("result").is_some());
    b.send(
        &json!({"jsonrpc": "2.0", "method": "notifications/cancelled",
                   "params": {"requestId": "slow", "reason": "test"}}),
    );
    server.wait_for("the cancellation", |s| {
        s.client_messages
            .iter()
            .any(|m| m["method"] == "notifications/cancelled")
    });
    assert!(
        start.elapsed() < Duration::from_millis(1500),
        "ping waited {:?}",
        start.elapsed()
    );
    let slow = b.response(&json!("slow"));
    assert_eq!(text_of(&slow), "late");
}

#[test]
fn an_expired_session_is_reinitialized_invisibly_with_the_clients_initialize() {
    for sse in [false, true] {
        let server = FakeServer::start(Behavior {
            sse,
            ..Behavior::default()
        });
        let mut b = Bridge::start(&server.url);
        b.initialize(json!({"roots": {}}));
        assert_eq!(text_of(&echo(&mut b, "before")), "before");
        server.expire_sessions();
        // Several requests hit the 404 at once: one re-initialisation.
        let ids: Vec<Value> = (0..5).map(|i| json!(format!("after-{i}"))).collect();
        let msgs: Vec<Value> = ids
            .iter()
            .map(|id| {
                json!({"jsonrpc": "2.0", "id": id, "method": "tools/call",
                             "params": {"name": "echo", "arguments": {"text": id}}})
            })
            .collect();
        b.send_many(&msgs);
        for id in &ids {
            let r = b.response(id);
            assert_eq!(text_of(&r), id.as_str().unwrap(), "{r}");
        }
        assert!(
            b.drain(Duration::from_millis(200)).is_empty(),
            "the client saw the replayed initialize"
        );
        server.assert_no_violations();
        let seen = server.seen();
        assert_eq!(seen.initializes.len(), 2, "one replay for five 404s");
        assert_eq!(seen.initializes[0]["params"], seen.initializes[1]["params"]);
        assert_ne!(seen.initializes[0]["id"], seen.initializes[1]["id"]);
        let inits = seen
            .client_messages
            .iter()
            .filter(|m| m["method"] == "notifications/initialized")
            .count();
        assert_eq!(inits, 2, "the new session was told it is initialized");
    }
}

#[test]
fn an_http_500_or_a_malformed_body_becomes_a_json_rpc_error_and_the_bridge_goes_on() {
    let server = FakeServer::start(Behavior::default());
    let mut b = Bridge::start(&server.url);
    b.initialize(json!({}));
    let r = b.request("tools/call", json!({"name": "fail500", "arguments": {}}));
    assert_eq!(r["error"]["code"], -32000, "{r}");
    assert_eq!(r["error"]["data"]["httpStatus"], 500);
    let msg = r["error"]["message"].as_str().unwrap();
    assert!(
        msg.contains("HTTP 500") && msg.contains("internal kaboom"),
        "{msg}"
    );
    let r = b.request("tools/call", json!({"name": "badjson", "arguments": {}}));
    assert_eq!(r["error"]["code"], -32000, "{r}");
    assert!(
        r["error"]["message"]
            .as_str()
            .unwrap()
            .contains("not valid JSON"),
        "{r}"
    );
    assert_eq!(text_of(&echo(&mut b, "still here")), "still here");
}

#[test]
fn malformed_stdin_gets_parse_and_invalid_request_errors_and_the_bridge_goes_on() {
    let server = FakeServer::start(Behavior::default());
    let mut b = Bridge::start(&server.url);
    b.send_raw("this is not json");
    let r = b.recv_where("a parse error", |v| v.get("error").is_some());
    assert_eq!(r["id"], Value::Null);
    assert_eq!(r["error"]["code"], -32700);
    b.send_raw(r#"{"jsonrpc":"2.0","id":5}"#.trim_end_matches('}'));
    let r = b.recv_where("a parse error", |v| v.get("error").is_some());
    assert_eq!(r["error"]["code"], -32700);
    b.send_raw(r#"{"jsonrpc":"2.0","params":{}}"#);
    let r = b.recv_where("an invalid request error", |v| v.get("error").is_some());
    assert_eq!(r["error"]["code"], -32600);
    b.send_raw(r#"{"jsonrpc":"2.0","id":3,"method":42}"#);
    let r = b.recv_where("an invalid request error", |v| v.get("error").is_some());
    assert_eq!(r["error"]["code"], -32600);
    b.send_raw(r#""just a string""#);
    let r = b.recv_where("an invalid request error", |v| v.get("error").is_some());
    assert_eq!(r["error"]["code"], -32600);
    b.send_raw("");
    b.send_raw("   ");
    b.initialize(json!({}));
    assert_eq!(text_of(&echo(&mut b, "ok")), "ok");
    server.assert_no_violations();
}

#[test]
fn a_dropped_sse_stream_is_resumed_with_last_event_id_after_retry() {
    let server = FakeServer::start(Behavior::default());
    let mut b = Bridge::start(&server.url);
    b.initialize(json!({}));
    b.send(&json!({"jsonrpc": "2.0", "id": 7, "method": "tools/call",
                   "params": {"name": "drop_resume", "arguments": {"text": "x"}, "_meta": {"progressToken": "p1"}}}));
    let progress = b.method("notifications/progress");
    assert_eq!(progress["params"]["progressToken"], "p1");
    let r = b.response(&json!(7));
    assert_eq!(text_of(&r), "resumed");
    assert!(
        b.drain(Duration::from_millis(200)).is_empty(),
        "duplicates after resumption"
    );
    assert!(server.seen().gets >= 1, "resumed with a GET");
    server.assert_no_violations();
}

#[test]
fn server_killed_mid_stream_gives_errors_and_the_bridge_keeps_running() {
    let mut server = FakeServer::start(Behavior::default());
    let mut b = Bridge::start(&server.url);
    b.initialize(json!({}));
    b.send(
        &json!({"jsonrpc": "2.0", "id": "in-flight", "method": "tools/call",
                   "params": {"name": "slow", "arguments": {"ms": 5000, "text": "never"}}}),
    );
    std::thread::sleep(Duration::from_millis(200));
    server.kill();
    let r = b.response(&json!("in-flight"));
    assert_eq!(r["error"]["code"], -32000, "{r}");
    let r = b.request("ping", json!({}));
    assert_eq!(r["error"]["code"], -32000, "{r}");
    let msg = r["error"]["message"].as_str().unwrap();
    assert!(msg.contains("cannot reach the MCP server"), "{msg}");
    // Still alive and answering.
    let r = b.request("tools/list", json!({}));
    assert_eq!(r["error"]["code"], -32000);
    b.close_stdin();
    let (status, took) = b.wait_exit(Duration::from_secs(3));
    assert!(status.success());
    assert!(took < Duration::from_secs(1), "exit took {took:?}");
}

#[test]
fn stdin_closed_mid_request_deletes_the_session_and_exits_0_within_a_second() {
    let server = FakeServer::start(Behavior::default());
    let mut b = Bridge::start(&server.url);
    b.initialize(json!({}));
    b.send(&json!({"jsonrpc": "2.0", "id": 1, "method": "tools/call",
                   "params": {"name": "hang", "arguments": {}}}));
    std::thread::sleep(Duration::from_millis(100));
    b.close_stdin();
    let (status, took) = b.wait_exit(Duration::from_secs(5));
    assert!(status.success(), "{status}");
    assert!(took < Duration::from_secs(1), "exit took {took:?}");
    assert_eq!(server.seen().deletes, vec![(Some("sess-1".into()), None)]);
}

#[test]
fn sigterm_and_sigint_delete_the_session_and_exit_0() {
    for sig in [libc::SIGTERM, libc::SIGINT] {
        let server = FakeServer::start(Behavior::default());
        let mut b = Bridge::start(&server.url);
        b.initialize(json!({}));
        b.send(&json!({"jsonrpc": "2.0", "id": 1, "method": "tools/call",
                       "params": {"name": "hang", "arguments": {}}}));
        std::thread::sleep(Duration::from_millis(100));
        b.signal(sig);
        let (status, took) = b.wait_exit(Duration::from_secs(5));
        assert!(status.success(), "signal {sig}: {status}");
        assert!(took < Duration::from_secs(1), "exit took {took:?}");
        assert_eq!(server.seen().deletes.len(), 1);
    }
}

#[test]
fn the_get_stream_carries_server_requests_and_the_clients_answers_go_back() {
    let server = FakeServer::start(Behavior {
        get_stream: true,
        ..Behavior::default()
    });
    let mut b = Bridge::start(&server.url);
    b.initialize(json!({"sampling": {}}));
    let note = b.method("notifications/message");
    assert_eq!(note["params"]["data"], "from the GET stream");
    let req = b.method("sampling/createMessage");
    assert_eq!(req["id"], "srv-1");
    b.send(&json!({"jsonrpc": "2.0", "id": "srv-1", "result": {
        "role": "assistant", "content": {"type": "text", "text": "sampled"}, "model": "test"}}));
    server.wait_for("the sampling answer", |s| {
        s.client_messages
            .iter()
            .any(|m| m["id"] == "srv-1" && m["result"]["model"] == "test")
    });
    assert_eq!(text_of(&echo(&mut b, "and requests")), "and requests");
    server.assert_no_violations();
}

#[test]
fn a_405_get_stream_is_not_retried() {
    let server = FakeServer::start(Behavior::default());
    let mut b = Bridge::start(&server.url);
    b.initialize(json!({}));
    echo(&mut b, "x");
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(server.seen().gets, 1, "one GET, answered 405, then none");
}

#[test]
fn falls_back_to_the_legacy_http_sse_transport() {
    let server = FakeServer::start(Behavior {
        legacy: true,
        ..Behavior::default()
    });
    let mut b = Bridge::start(&server.url);
    let init = b.initialize(json!({}));
    assert_eq!(init["serverInfo"]["name"], "fake-legacy");
    assert_eq!(text_of(&echo(&mut b, "over sse")), "over sse");
    let ping = b.request("ping", json!({}));
    assert!(ping.get("result").is_some());
    let seen = server.seen();
    assert_eq!(seen.initializes.len(), 1);
    assert!(
        seen.client_messages
            .iter()
            .any(|m| m["method"] == "notifications/initialized")
    );
    drop(seen);
    server.assert_no_violations();
}

#[test]
fn transport_sse_goes_straight_to_the_legacy_transport() {
    let server = FakeServer::start(Behavior {
        legacy: true,
        ..Behavior::default()
    });
    let mut b = Bridge::start_with(
        &server.url,
        Options::default().arg("--transport").arg("sse"),
    );
    b.initialize(json!({}));
    assert_eq!(text_of(&echo(&mut b, "direct")), "direct");
    assert_eq!(server.seen().gets, 1);
}

#[test]
fn the_legacy_transport_renews_on_a_401_like_the_others() {
    // The GET that opens the stream and a later POST are both refused;
    // each gets the same one renewal and retry as Streamable HTTP.
    let server = FakeServer::start(Behavior {
        legacy: true,
        bearer: true,
        ..Behavior::default()
    });
    server.set_valid_tokens(&[]);
    server.add_refresh_token("rt-1");
    let home = signed_in(&server, "at-old", Some("rt-1"));
    let mut b = Bridge::start_with(
        &server.url,
        Options::default()
            .home(home.path())
            .arg("--transport")
            .arg("sse"),
    );
    b.initialize(json!({}));
    assert_eq!(server.seen().refreshes, 1);
    server.set_valid_tokens(&[]);
    assert_eq!(text_of(&echo(&mut b, "renewed")), "renewed");
    assert_eq!(server.seen().refreshes, 2);
    server.assert_no_violations();
}

#[test]
fn a_reply_beyond_max_reply_is_an_error_and_the_bridge_goes_on() {
    // A JSON body and one event of a stream are both bounded.
    for sse in [false, true] {
        let server = FakeServer::start(Behavior {
            sse,
            ..Behavior::default()
        });
        let mut b = Bridge::start_with(
            &server.url,
            Options::default().env("MCP_AUTH_MAX_REPLY", "64KiB"),
        );
        b.initialize(json!({}));
        let big = "x".repeat(100 * 1024);
        let r = echo(&mut b, &big);
        let message = r["error"]["message"].as_str().unwrap_or_default();
        assert!(
            message.contains("larger than 64 KiB (max_reply)"),
            "sse={sse}: {}",
            &r.to_string()[..r.to_string().len().min(300)]
        );
        assert_eq!(text_of(&echo(&mut b, "small")), "small", "sse={sse}");
    }
}

#[test]
fn header_values_expand_from_the_environment_and_are_never_logged() {
    let server = FakeServer::start(Behavior {
        api_key: Some(("x-api-key".into(), "k-SECRET-123".into())),
        ..Behavior::default()
    });
    let mut b = Bridge::start_with(
        &server.url,
        Options::default()
            .arg("--header")
            .arg("X-Api-Key: ${TEST_BRIDGE_KEY}")
            .env("TEST_BRIDGE_KEY", "k-SECRET-123")
            .log("trace"),
    );
    b.initialize(json!({}));
    assert_eq!(text_of(&echo(&mut b, "keyed")), "keyed");
    b.close_stdin();
    b.wait_exit(Duration::from_secs(3));
    let stderr = b.stderr();
    assert!(
        !stderr.contains("k-SECRET-123"),
        "a header value was logged:\n{stderr}"
    );
    assert!(
        stderr.contains("TRACE") || stderr.contains("DEBUG"),
        "trace logging was on"
    );
}

#[test]
fn header_values_come_from_stored_secrets() {
    let server = FakeServer::start(Behavior {
        api_key: Some(("x-api-key".into(), "k-STORED-456".into())),
        ..Behavior::default()
    });
    let home = tempfile::tempdir().unwrap();
    let mut set = std::process::Command::new(support::bridge::BIN)
        .args(["secrets", "set", "svc-key", "--origin", &server.url])
        .env("MCP_AUTH_HOME", home.path())
        .env("MCP_AUTH_SECRET_STORE", "file")
        .stdin(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    set.stdin
        .take()
        .unwrap()
        .write_all(b"k-STORED-456\n")
        .unwrap();
    assert!(set.wait().unwrap().success());
    let mut b = Bridge::start_with(
        &server.url,
        Options::default()
            .home(home.path())
            .arg("--header")
            .arg("X-Api-Key: {secret:svc-key}")
            .log("trace"),
    );
    b.initialize(json!({}));
    assert_eq!(text_of(&echo(&mut b, "keyed")), "keyed");
    b.close_stdin();
    b.wait_exit(Duration::from_secs(3));
    assert!(!b.stderr().contains("k-STORED-456"), "{}", b.stderr());

    // An unknown secret fails (exit 4, like an unknown credential) before
    // anything is sent.
    let out = std::process::Command::new(support::bridge::BIN)
        .args([
            "bridge",
            &server.url,
            "--header",
            "X-Api-Key: {secret:nope}",
        ])
        .env("MCP_AUTH_HOME", home.path())
        .env("MCP_AUTH_SECRET_STORE", "file")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(4));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no secret named 'nope'"));
}

#[test]
fn a_missing_header_variable_is_a_clear_usage_error() {
    let out = std::process::Command::new(support::bridge::BIN)
        .args([
            "bridge",
            "http://127.0.0.1:9/mcp",
            "--header",
            "X-Key: ${SURELY_NOT_SET_VAR}",
        ])
        .env("MCP_AUTH_HOME", tempfile::tempdir().unwrap().path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("SURELY_NOT_SET_VAR"), "{err}");
    assert!(out.stdout.is_empty());
}

#[test]
fn the_stored_credential_is_attached_everywhere_and_the_session_is_audited() {
    let server = FakeServer::start(Behavior {
        bearer: true,
        get_stream: true,
        ..Behavior::default()
    });
    server.set_valid_tokens(&["at-stored-SECRET"]);
    let home = signed_in(&server, "at-stored-SECRET", None);
    let mut b = Bridge::start_with(
        &server.url,
        Options::default().home(home.path()).log("trace"),
    );
    b.initialize(json!({}));
    b.method("sampling/createMessage"); // the GET stream carried the bearer too
    for i in 0..3 {
        assert_eq!(text_of(&echo(&mut b, &format!("m{i}"))), format!("m{i}"));
    }
    b.close_stdin();
    b.wait_exit(Duration::from_secs(3));
    server.assert_no_violations();
    {
        let seen = server.seen();
        assert!(
            seen.bearers
                .iter()
                .all(|t| t.as_deref() == Some("at-stored-SECRET")),
            "every request carried the bearer: {:?}",
            seen.bearers
        );
        assert_eq!(
            seen.deletes,
            vec![(
                Some("sess-1".into()),
                Some("Bearer at-stored-SECRET".into())
            )]
        );
    }
    assert!(
        !b.stderr().contains("at-stored-SECRET"),
        "the token was logged"
    );
    let store = support::store(home.path());
    let cred = store.db().get("fake").unwrap().unwrap();
    assert!(cred.last_used_at.is_some());
    let uses: Vec<_> = store
        .db()
        .events(Some("fake"), 10)
        .unwrap()
        .into_iter()
        .filter(|e| e.kind == "use")
        .collect();
    assert_eq!(uses.len(), 1, "one audit row per session: {uses:?}");
    let detail = uses[0].detail.clone().unwrap_or_default();
    assert!(
        detail.starts_with(&format!(
            "bridge session to {}: 4 requests, 5 messages",
            server.base
        )),
        "{detail}"
    );
}

#[test]
fn a_401_refreshes_once_for_many_requests_and_retries() {
    let server = FakeServer::start(Behavior {
        bearer: true,
        ..Behavior::default()
    });
    server.set_valid_tokens(&[]); // the stored access token is refused
    server.add_refresh_token("rt-1");
    let home = signed_in(&server, "at-old", Some("rt-1"));
    let mut b = Bridge::start_with(&server.url, Options::default().home(home.path()));
    b.initialize(json!({}));
    assert_eq!(server.seen().refreshes, 1);
    // The server stops accepting the refreshed token; 20 requests in flight
    // all get 401 and share one refresh.
    server.set_valid_tokens(&[]);
    let msgs: Vec<Value> = (0..20)
        .map(|i| {
            json!({"jsonrpc": "2.0", "id": i, "method": "tools/call",
                        "params": {"name": "echo", "arguments": {"text": format!("r{i}")}}})
        })
        .collect();
    b.send_many(&msgs);
    for i in 0..20 {
        let r = b.response(&json!(i));
        assert_eq!(text_of(&r), format!("r{i}"), "{r}");
    }
    assert_eq!(server.seen().refreshes, 2, "one refresh for twenty 401s");
    // The rotated refresh token was stored.
    let tokens = support::store(home.path()).tokens("fake").unwrap().unwrap();
    assert_eq!(tokens.refresh_token.unwrap().expose(), "rt-new-2");
    server.assert_no_violations();
}

/// Several bridges (processes) refused the same token at once renew it
/// once: the first refreshes under the lock, the others find the token
/// replaced and take it, instead of each rotating the refresh token again.
#[test]
fn bridges_refused_at_once_share_one_refresh() {
    let server = FakeServer::start(Behavior {
        bearer: true,
        ..Behavior::default()
    });
    server.set_valid_tokens(&[]);
    server.add_refresh_token("rt-1");
    let home = signed_in(&server, "at-old", Some("rt-1"));
    let mut bridges: Vec<Bridge> = (0..4)
        .map(|_| Bridge::start_with(&server.url, Options::default().home(home.path())))
        .collect();
    std::thread::scope(|s| {
        for b in bridges.iter_mut() {
            s.spawn(move || b.initialize(json!({})));
        }
    });
    assert_eq!(server.seen().refreshes, 1, "four bridges, one refresh");
    server.set_valid_tokens(&[]);
    std::thread::scope(|s| {
        for (i, b) in bridges.iter_mut().enumerate() {
            s.spawn(move || {
                assert_eq!(text_of(&echo(b, &format!("b{i}"))), format!("b{i}"));
            });
        }
    });
    assert_eq!(
        server.seen().refreshes,
        2,
        "one more refresh for four refusals"
    );
    server.assert_no_violations();
}

#[test]
fn a_401_without_a_credential_and_no_login_is_a_clear_json_rpc_error() {
    let server = FakeServer::start(Behavior {
        bearer: true,
        ..Behavior::default()
    });
    let mut b = Bridge::start_with(&server.url, Options::default().arg("--no-login"));
    let id = json!(0);
    b.send(&json!({"jsonrpc": "2.0", "id": id, "method": "initialize",
        "params": {"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}}}));
    let r = b.response(&id);
    assert_eq!(r["error"]["code"], -32001, "{r}");
    let msg = r["error"]["message"].as_str().unwrap();
    assert!(msg.contains("--no-login"), "{msg}");
    assert_eq!(
        r["error"]["data"]["hint"],
        format!("mcp-auth login {}", server.url)
    );
    // The bridge keeps answering.
    let r = b.request("ping", json!({}));
    assert_eq!(r["error"]["code"], -32001);
}

#[test]
fn protocol_2026_07_28_gets_method_and_name_headers_and_no_get_stream() {
    let server = FakeServer::start(Behavior {
        version: "2026-07-28",
        ..Behavior::default()
    });
    let mut b = Bridge::start(&server.url);
    let init = b.initialize(json!({}));
    assert_eq!(init["protocolVersion"], "2026-07-28");
    assert_eq!(text_of(&echo(&mut b, "new")), "new");
    b.request("tools/list", json!({}));
    std::thread::sleep(Duration::from_millis(200));
    server.assert_no_violations();
    assert_eq!(server.seen().gets, 0);
}

#[test]
fn a_401_that_survives_the_refresh_is_an_authorization_error() {
    let server = FakeServer::start(Behavior {
        bearer: true,
        ..Behavior::default()
    });
    // No refresh token: the refused token cannot be renewed.
    let home = signed_in(&server, "at-x", None);
    let mut b = Bridge::start_with(&server.url, Options::default().home(home.path()));
    let id = json!(0);
    b.send(&json!({"jsonrpc": "2.0", "id": id, "method": "initialize",
        "params": {"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}}}));
    let r = b.response(&id);
    assert_eq!(r["error"]["code"], -32001, "{r}");
    let msg = r["error"]["message"].as_str().unwrap();
    assert!(
        msg.contains("'fake'") && msg.contains("mcp-auth login"),
        "{msg}"
    );
    assert!(!b.stderr().contains("at-x"), "the token was logged");
}

#[test]
fn stdin_and_stdout_as_files_use_the_thread_path_and_a_piped_request_still_gets_its_answer() {
    let server = FakeServer::start(Behavior::default());
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.jsonl");
    let output = dir.path().join("out.jsonl");
    std::fs::write(
        &input,
        concat!(
            r#"{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}"#,
            "\n",
            r#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#,
            "\n",
            r#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"echo","arguments":{"text":"from a file"}}}"#,
            "\n",
        ),
    )
    .unwrap();
    let status = std::process::Command::new(support::bridge::BIN)
        .args(["bridge", &server.url])
        .env("MCP_AUTH_HOME", dir.path())
        .env("MCP_AUTH_SECRET_STORE", "file")
        .stdin(std::fs::File::open(&input).unwrap())
        .stdout(std::fs::File::create(&output).unwrap())
        .status()
        .unwrap();
    assert!(status.success());
    let out = std::fs::read_to_string(&output).unwrap();
    let msgs: Vec<Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(msgs.len(), 2, "{out}");
    assert_eq!(msgs[0]["id"], 0);
    assert_eq!(text_of(&msgs[1]), "from a file");
    assert_eq!(server.seen().deletes.len(), 1);
}

// ---- MCP 2026-07-28 --------------------------------------------------------

const V2026: &str = "2026-07-28";

/// The `_meta` a 2026-era client puts on every request
/// (https://modelcontextprotocol.io/specification/2026-07-28/basic/index#meta).
fn meta(version: &str) -> Value {
    json!({
        "io.modelcontextprotocol/protocolVersion": version,
        "io.modelcontextprotocol/clientInfo": {"name": "t2026", "version": "1"},
        "io.modelcontextprotocol/clientCapabilities": {"elicitation": {}},
        "progressToken": "p-1"
    })
}

fn stateless() -> FakeServer {
    FakeServer::start(Behavior {
        stateless: true,
        sse: false,
        ..Behavior::default()
    })
}

/// The headers (lower-case name -> value) of the stateless POST whose body
/// has this `id`.
fn headers_of(server: &FakeServer, id: &Value) -> Vec<(String, String)> {
    let seen = server.seen();
    seen.stateless_posts
        .iter()
        .find(|(_, body)| serde_json::from_slice::<Value>(body).unwrap()["id"] == *id)
        .map(|(h, _)| h.clone())
        .unwrap_or_else(|| panic!("no POST with id {id}"))
}

fn header<'a>(h: &'a [(String, String)], name: &str) -> Option<&'a str> {
    h.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
}

#[test]
fn a_2026_client_gets_per_request_headers_custom_tool_headers_and_its_meta_untouched() {
    let server = stateless();
    let mut b = Bridge::start(&server.url);
    let discover = b.request("server/discover", json!({"_meta": meta(V2026)}));
    assert_eq!(
        discover["result"]["supportedVersions"][0], V2026,
        "{discover}"
    );
    let list = b.request("tools/list", json!({"_meta": meta(V2026)}));
    let names: Vec<&str> = list["result"]["tools"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    // The tool whose x-mcp-header is on a number is excluded (SEP-2243);
    // the rest of the result is as the server sent it.
    assert_eq!(names, ["echo", "slow", "locate"], "{list}");
    assert_eq!(list["result"]["ttlMs"], 60000);
    // A call whose _meta, escapes and key order must arrive byte for byte.
    let line = format!(
        r#"{{"jsonrpc":"2.0","id":"c1","method":"tools/call","params":{{"name":"locate","arguments":{{"region":"Zürich \"Nord\"","query":"x"}},"_meta":{}}}}}"#,
        meta(V2026)
    );
    b.send_raw(&line);
    let r = b.response(&json!("c1"));
    assert!(r.get("result").is_some(), "{r}");
    let h = headers_of(&server, &json!("c1"));
    assert_eq!(header(&h, "mcp-protocol-version"), Some(V2026));
    assert_eq!(header(&h, "mcp-method"), Some("tools/call"));
    assert_eq!(header(&h, "mcp-name"), Some("locate"));
    // Non-ASCII goes Base64 in the sentinel form.
    let region = header(&h, "mcp-param-region").unwrap();
    assert!(
        region.starts_with("=?base64?") && region.ends_with("?="),
        "{region}"
    );
    assert_eq!(header(&h, "mcp-param-query"), None);
    assert_eq!(header(&h, "mcp-session-id"), None);
    let body = server
        .seen()
        .stateless_posts
        .iter()
        .find(|(_, body)| body.windows(4).any(|w| w == b"\"c1\""))
        .map(|(_, body)| body.clone())
        .unwrap();
    assert_eq!(
        String::from_utf8(body).unwrap(),
        line,
        "the body was rewritten"
    );
    // A tool the bridge excluded is never called.
    let bad = b.request(
        "tools/call",
        json!({"name": "broken", "arguments": {"score": 1.5}, "_meta": meta(V2026)}),
    );
    assert_eq!(bad["error"]["code"], -32602, "{bad}");
    server.assert_no_violations();
    assert_eq!(server.seen().gets, 0, "no GET stream in 2026-07-28");
    assert!(server.seen().initializes.is_empty());
}

#[test]
fn requests_in_flight_are_isolated_and_each_carries_its_own_headers() {
    let server = stateless();
    let mut b = Bridge::start(&server.url);
    let msgs: Vec<Value> = (0..20)
        .map(|i| {
            let tool = if i % 2 == 0 { "slow" } else { "locate" };
            json!({"jsonrpc": "2.0", "id": i, "method": "tools/call", "params": {
                "name": tool, "arguments": {"ms": (i * 13) % 100, "text": format!("t{i}"), "region": format!("r{i}")},
                "_meta": meta(V2026)}})
        })
        .collect();
    b.request("tools/list", json!({"_meta": meta(V2026)}));
    b.send_many(&msgs);
    for _ in 0..20 {
        let r = b.recv_where("a response", |v| v.get("id").is_some());
        let i = r["id"].as_u64().unwrap();
        if i.is_multiple_of(2) {
            assert_eq!(text_of(&r), format!("t{i}"), "{r}");
        }
        let h = headers_of(&server, &json!(i));
        let want = if i.is_multiple_of(2) {
            "slow"
        } else {
            "locate"
        };
        assert_eq!(header(&h, "mcp-name"), Some(want));
        let region = format!("r{i}");
        assert_eq!(
            header(&h, "mcp-param-region"),
            (i % 2 == 1).then_some(region.as_str())
        );
    }
    server.assert_no_violations();
}

#[test]
fn an_unsupported_version_error_reaches_the_client_as_the_server_sent_it() {
    let server = stateless();
    let mut b = Bridge::start(&server.url);
    let r = b.request("server/discover", json!({"_meta": meta("2027-01-01")}));
    assert_eq!(r["error"]["code"], -32022, "{r}");
    assert_eq!(r["error"]["data"]["supported"][0], V2026, "{r}");
    // The client retries with a version the server named: it works.
    let r = b.request("server/discover", json!({"_meta": meta(V2026)}));
    assert!(r.get("result").is_some(), "{r}");
}

#[test]
fn a_2025_era_client_reaches_a_2026_only_server() {
    let server = stateless();
    let mut b = Bridge::start(&server.url);
    let init = b.initialize(json!({"roots": {}}));
    // The bridge answered initialize from server/discover.
    assert_eq!(init["capabilities"]["tools"], json!({}), "{init}");
    assert_eq!(init["serverInfo"]["name"], "fake-stateless", "{init}");
    let list = b.request("tools/list", json!({}));
    assert_eq!(
        list["result"]["tools"].as_array().unwrap().len(),
        3,
        "{list}"
    );
    assert_eq!(text_of(&echo(&mut b, "from 2025")), "from 2025");
    server.assert_no_violations();
    // Every request carried the _meta the client's initialize implied.
    let seen = server.seen();
    let calls: Vec<Value> = seen
        .stateless_posts
        .iter()
        .map(|(_, body)| serde_json::from_slice(body).unwrap())
        .filter(|m: &Value| m["method"] == "tools/call")
        .collect();
    assert_eq!(calls.len(), 1);
    let m = &calls[0]["params"]["_meta"];
    assert_eq!(m["io.modelcontextprotocol/protocolVersion"], V2026);
    assert_eq!(
        m["io.modelcontextprotocol/clientCapabilities"],
        json!({"roots": {}})
    );
    assert!(m["io.modelcontextprotocol/clientInfo"].is_object(), "{m}");
    // The refused initialize was tried once, and no session was ever sent.
    assert_eq!(seen.initializes.len(), 1);
    assert_eq!(seen.gets, 0);
}

#[test]
fn a_2026_era_client_reaches_a_legacy_http_sse_server() {
    // Found by probing (auto) or named by `--transport sse`: either way the
    // bridge opens the 2024-11-05 stream on the client's behalf.
    for forced in [false, true] {
        let server = FakeServer::start(Behavior {
            legacy: true,
            ..Behavior::default()
        });
        let opts = if forced {
            Options::default().arg("--transport").arg("sse")
        } else {
            Options::default()
        };
        let mut b = Bridge::start_with(&server.url, opts);
        let discover = b.request("server/discover", json!({"_meta": meta(V2026)}));
        assert_eq!(
            discover["result"]["serverInfo"]["name"], "fake-legacy",
            "forced={forced}: {discover}"
        );
        let r = b.request(
            "tools/call",
            json!({"name": "echo", "arguments": {"text": "to sse"}, "_meta": meta(V2026)}),
        );
        assert_eq!(text_of(&r), "to sse", "forced={forced}");
        let seen = server.seen();
        assert_eq!(seen.initializes.len(), 1, "forced={forced}");
        assert_eq!(
            seen.initializes[0]["params"]["clientInfo"]["name"], "t2026",
            "forced={forced}"
        );
        drop(seen);
        server.assert_no_violations();
    }
}

#[test]
fn a_2026_era_client_reaches_a_2025_only_server_and_server_requests_are_refused() {
    let server = FakeServer::start(Behavior {
        get_stream: true,
        ..Behavior::default()
    });
    let mut b = Bridge::start(&server.url);
    let discover = b.request("server/discover", json!({"_meta": meta(V2026)}));
    assert_eq!(
        discover["result"]["supportedVersions"],
        json!([V2026]),
        "{discover}"
    );
    assert_eq!(
        discover["result"]["capabilities"]["tools"],
        json!({}),
        "{discover}"
    );
    assert_eq!(
        discover["result"]["serverInfo"]["name"], "fake",
        "{discover}"
    );
    let r = b.request(
        "tools/call",
        json!({"name": "echo", "arguments": {"text": "to 2025"}, "_meta": meta(V2026)}),
    );
    assert_eq!(text_of(&r), "to 2025");
    // The session was opened with what the client's _meta said.
    {
        let seen = server.seen();
        assert_eq!(seen.initializes.len(), 1);
        let p = &seen.initializes[0]["params"];
        assert_eq!(p["clientInfo"]["name"], "t2026");
        assert_eq!(p["capabilities"], json!({"elicitation": {}}));
    }
    // The GET stream's sampling request cannot reach a 2026 client: the
    // server gets a JSON-RPC error for it, the client sees nothing of it.
    server.wait_for("the refusal", |s| {
        s.client_messages
            .iter()
            .any(|m| m["id"] == "srv-1" && m["error"]["code"] == -32601)
    });
    let extra = b.drain(Duration::from_millis(200));
    assert!(
        extra
            .iter()
            .all(|m| m["method"] != "sampling/createMessage"),
        "{extra:?}"
    );
    server.assert_no_violations();
}

#[test]
fn a_request_without_an_answer_times_out_and_is_cancelled_upstream() {
    for server in [FakeServer::start(Behavior::default()), stateless()] {
        let stateless = server.fake.behavior.stateless;
        let mut b = Bridge::start_with(
            &server.url,
            Options::default().arg("--request-timeout").arg("400ms"),
        );
        let meta = if stateless { meta(V2026) } else { json!({}) };
        if !stateless {
            b.initialize(json!({}));
        }
        let start = Instant::now();
        let r = b.request(
            "tools/call",
            json!({"name": "hang", "arguments": {}, "_meta": meta.clone()}),
        );
        assert!(
            start.elapsed() < Duration::from_secs(3),
            "{:?}",
            start.elapsed()
        );
        assert_eq!(r["error"]["code"], -32000, "{r}");
        assert!(
            r["error"]["message"]
                .as_str()
                .unwrap()
                .contains("request_timeout"),
            "{r}"
        );
        let id = r["id"].clone();
        server.wait_for("notifications/cancelled", |s| {
            s.client_messages
                .iter()
                .any(|m| m["method"] == "notifications/cancelled" && m["params"]["requestId"] == id)
        });
        assert!(
            b.stderr().contains("did not answer in time"),
            "{}",
            b.stderr()
        );
        // Progress restarts the time: five notifications 150 ms apart
        // outlast a 400 ms limit.
        if !stateless {
            let r = b.request(
                "tools/call",
                json!({"name": "progress", "arguments": {"count": 5, "ms": 150, "text": "done"}, "_meta": {"progressToken": "p"}}),
            );
            assert_eq!(text_of(&r), "done", "{r}");
        }
        server.assert_no_violations();
    }
}

#[test]
fn a_token_about_to_expire_is_renewed_before_it_is_sent() {
    let server = FakeServer::start(Behavior {
        bearer: true,
        ..Behavior::default()
    });
    server.set_valid_tokens(&["at-old"]);
    server.add_refresh_token("rt-1");
    let home = tempfile::tempdir().unwrap();
    // Valid for 7 s: enough to start with (5 s are asked), and expired
    // after the pause below (a short-lived token's margin is a tenth of
    // its lifetime: none here).
    support::seed_credential_expiring(
        home.path(),
        "fake",
        &server.url,
        &format!("{}/token", server.base),
        "at-old",
        Some("rt-1"),
        7,
    );
    let mut b = Bridge::start_with(&server.url, Options::default().home(home.path()));
    b.initialize(json!({}));
    assert_eq!(text_of(&echo(&mut b, "early")), "early");
    // The GET stream's attempt (405 here) goes with the token too, while
    // it is still valid; only what is sent after the pause counts.
    server.wait_for("the GET stream attempt", |s| s.gets >= 1);
    let before = server.seen().bearers.len();
    std::thread::sleep(Duration::from_millis(7600));
    assert_eq!(text_of(&echo(&mut b, "late")), "late");
    let seen = server.seen();
    assert_eq!(seen.refreshes, 1, "one refresh, before sending");
    let after: Vec<_> = seen.bearers[before..].to_vec();
    assert!(
        after.iter().all(|t| t.as_deref() == Some("at-new-1")),
        "a token known to expire was sent: {after:?}"
    );
}

#[test]
fn a_failed_login_opens_one_browser_tab_and_later_requests_get_its_error() {
    use support::fake_as::{AsConfig, AuthorizeMode, FakeAs, McpKnobs};
    let fake = FakeAs::start(AsConfig::default());
    fake.set_mcp(McpKnobs::default());
    // The person says no in the browser.
    fake.set_authorize_mode(AuthorizeMode::Deny);
    let mut b = Bridge::start_with(
        &fake.mcp_url(),
        Options::default().env("MCP_AUTH_BROWSER", support::home::FOLLOW_REDIRECT),
    );
    // Several requests need the login at once, more come after it failed.
    let first: Vec<Value> = (0..4)
        .map(|i| json!({"jsonrpc": "2.0", "id": i, "method": "tools/list", "params": {"_meta": meta(V2026)}}))
        .collect();
    b.send_many(&first);
    let mut errors = Vec::new();
    for _ in 0..4 {
        errors.push(b.recv_where("an answer", |v| v.get("id").is_some()));
    }
    for i in 4..8 {
        errors.push(b.request("tools/list", json!({"_meta": meta(V2026), "n": i})));
    }
    // The request that ran the login gets the login's own error; every
    // other one gets its cause with the command to run.
    let hint = format!("mcp-auth login {}", fake.mcp_url());
    let mut with_hint = 0;
    for e in &errors {
        let msg = e["error"]["message"].as_str().unwrap();
        assert!(msg.contains("denied"), "the real cause: {e}");
        if e["error"]["data"]["hint"] == hint.as_str() {
            assert_eq!(e["error"]["code"], -32001, "{e}");
            with_hint += 1;
        }
    }
    assert!(with_hint >= errors.len() - 1, "{errors:#?}");
    let stats = fake.stats();
    assert_eq!(stats.authorize_requests, 1, "one browser tab");
    assert_eq!(stats.registrations, 1, "one registration");
}

#[test]
fn a_2026_servers_input_request_reaches_a_2025_era_client_as_a_request_of_its_own() {
    let server = stateless();
    let mut b = Bridge::start(&server.url);
    b.initialize(json!({"elicitation": {}}));
    b.send(
        &json!({"jsonrpc": "2.0", "id": "call-1", "method": "tools/call",
        "params": {"name": "confirm", "arguments": {}}}),
    );
    let ask = b.method("elicitation/create");
    assert_eq!(ask["params"]["message"], "Sure?", "{ask}");
    b.send(&json!({"jsonrpc": "2.0", "id": ask["id"], "result": {"action": "accept", "content": {"ok": true}}}));
    let r = b.response(&json!("call-1"));
    assert_eq!(text_of(&r), "confirmed", "{r}");
    // The retry carried the answer and the state, under a new id.
    let seen = server.seen();
    let calls: Vec<Value> = seen
        .stateless_posts
        .iter()
        .map(|(_, body)| serde_json::from_slice(body).unwrap())
        .filter(|m: &Value| m["params"]["name"] == "confirm")
        .collect();
    assert_eq!(calls.len(), 2);
    assert_eq!(calls[0]["id"], "call-1");
    assert_ne!(calls[1]["id"], "call-1");
    assert_eq!(calls[1]["params"]["requestState"], "state-1");
    drop(seen);
    server.assert_no_violations();
}
