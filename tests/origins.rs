//! Where a credential or a stored secret may go: the bridge sends a token
//! or expands `{secret:NAME}` only for a server at one of its allowed
//! origins. Each test is the attack an MCP client configuration written by
//! someone else could make, on two loopback origins (127.0.0.1 and
//! 127.0.0.2), with a fake server on the second counting what it receives.
#![allow(clippy::unwrap_used, clippy::expect_used)]

/// The support this crate uses (files in tests/support/, see its README.md);
/// helpers of these modules that this crate does not call are allowed.
#[allow(dead_code)]
mod support {
    pub mod bridge;
    pub mod fake_as;
    pub mod fake_server;
    pub mod home;
    pub mod served;
    pub mod token_ledger; // fake_as and fake_server need it
}

use std::time::Duration;

use serde_json::json;
use support::bridge::{Bridge, Options};
use support::fake_as::{AsConfig, FakeAs};
use support::fake_server::{Behavior, FakeServer};
use support::home::Home;

/// The origin of a fake server's MCP URL.
fn origin(server: &FakeServer) -> String {
    server.base.clone()
}

fn bridge(home: &Home, server: &FakeServer, args: &[&str]) -> Bridge {
    let mut opts = Options::default().home(home.path());
    for a in args {
        opts = opts.arg(*a);
    }
    Bridge::start_with(&server.url, opts)
}

/// Asks twice (initialize, then tools/list): both answers are the JSON-RPC
/// error naming `allow`, and stderr says it once.
fn assert_refused(mut b: Bridge, allow: &str) -> String {
    let first = b.request(
        "initialize",
        json!({"protocolVersion": "2025-06-18", "capabilities": {},
               "clientInfo": {"name": "t", "version": "1"}}),
    );
    let second = b.request("tools/list", json!({}));
    for resp in [&first, &second] {
        let msg = resp["error"]["message"].as_str().unwrap_or_default();
        assert!(msg.contains(allow), "{resp}");
    }
    b.close_stdin();
    b.wait_exit(Duration::from_secs(3));
    let err = b.stderr();
    assert_eq!(
        err.lines().filter(|l| l.contains(allow)).count(),
        1,
        "{err}"
    );
    first["error"]["message"].as_str().unwrap().to_string()
}

#[test]
fn a_credential_of_one_server_is_not_sent_to_another_until_allowed() {
    let other = FakeServer::start_on(
        "127.0.0.2",
        Behavior {
            bearer: true,
            ..Behavior::default()
        },
    );
    other.set_valid_tokens(&["tok-FOR-ONE"]);
    let home = Home::new();
    // A credential of the MCP server at http://127.0.0.1:9.
    home.run_with_stdin(
        &["tokens", "import", "one", "--url", "http://127.0.0.1:9/mcp"],
        "tok-FOR-ONE\n",
    )
    .ok();
    let shown = home.run(&["tokens", "show", "one", "--json"]).ok().json();
    assert_eq!(shown["allowed_origins"], json!(["http://127.0.0.1:9"]));

    let allow = format!("mcp-auth tokens allow one {}", origin(&other));
    let msg = assert_refused(bridge(&home, &other, &["--name", "one"]), &allow);
    assert!(msg.contains("may go only to http://127.0.0.1:9"), "{msg}");
    {
        let seen = other.seen();
        assert_eq!(seen.posts, 0, "a request reached the other origin");
        assert!(seen.bearers.is_empty(), "{:?}", seen.bearers);
    }

    home.run(&["tokens", "allow", "one", &other.url]).ok();
    let listed = home.run(&["tokens", "list", "--json"]).ok().json();
    assert_eq!(
        listed[0]["allowed_origins"],
        json!(["http://127.0.0.1:9", origin(&other)])
    );
    let mut b = bridge(&home, &other, &["--name", "one"]);
    b.initialize(json!({}));
    b.close_stdin();
    b.wait_exit(Duration::from_secs(3));
    assert!(
        other
            .seen()
            .bearers
            .iter()
            .any(|t| t.as_deref() == Some("tok-FOR-ONE"))
    );

    // Disallowed again: refused again, and the server's own origin stays.
    home.run(&["tokens", "disallow", "one", &other.url]).ok();
    let posts = other.seen().posts;
    assert_refused(bridge(&home, &other, &["--name", "one"]), &allow);
    assert_eq!(other.seen().posts, posts);
    home.run(&["tokens", "disallow", "one", "http://127.0.0.1:9"])
        .fails_with(2, "made for");
}

#[test]
fn a_stored_secret_is_expanded_only_for_its_origins() {
    let other = FakeServer::start_on(
        "127.0.0.2",
        Behavior {
            api_key: Some(("x-api-key".into(), "k-SECRET-1".into())),
            ..Behavior::default()
        },
    );
    let home = Home::new();
    home.run_with_stdin(
        &["secrets", "set", "k1", "--origin", "http://127.0.0.1:9/mcp"],
        "k-SECRET-1\n",
    )
    .ok();
    let header = ["--header", "X-Api-Key: {secret:k1}"];
    let allow = format!("mcp-auth secrets allow k1 {}", origin(&other));
    let msg = assert_refused(bridge(&home, &other, &header), &allow);
    assert!(!msg.contains("k-SECRET-1"));
    assert_eq!(other.seen().posts, 0, "a request reached the other origin");

    let changed = home
        .run(&["secrets", "allow", "k1", &other.url, "--json"])
        .ok()
        .json();
    assert_eq!(changed["origin"], json!(origin(&other)));
    let listed = home.run(&["secrets", "list", "--json"]).ok().json();
    assert_eq!(
        listed[0]["allowed_origins"],
        json!(["http://127.0.0.1:9", origin(&other)])
    );
    let mut b = bridge(&home, &other, &header);
    b.initialize(json!({}));
    b.close_stdin();
    b.wait_exit(Duration::from_secs(3));
    assert!(other.seen().posts > 0);
}

#[test]
fn a_secret_without_origins_is_refused_with_the_reason() {
    let other = FakeServer::start_on("127.0.0.2", Behavior::default());
    let home = Home::new();
    // Stored without --origin: like every secret stored before origins
    // were recorded (the migration gives those none).
    let set = home.run_with_stdin(&["secrets", "set", "old"], "k-OLD\n");
    assert!(
        set.ok().stderr().contains("secrets allow old URL"),
        "{}",
        set.stderr()
    );
    let listed = home.run(&["secrets", "list", "--json"]).ok().json();
    assert_eq!(listed[0]["allowed_origins"], json!([]));
    let allow = format!("mcp-auth secrets allow old {}", origin(&other));
    let msg = assert_refused(
        bridge(&home, &other, &["--header", "X-Api-Key: {secret:old}"]),
        &allow,
    );
    assert!(
        msg.contains("secrets stored before origins were recorded have none"),
        "{msg}"
    );
    assert_eq!(other.seen().posts, 0);
}

#[test]
fn a_providers_api_origins_are_recorded_at_login_and_used_by_the_bridge() {
    let other = FakeServer::start_on(
        "127.0.0.2",
        Behavior {
            bearer: true,
            ..Behavior::default()
        },
    );
    let elsewhere = FakeServer::start_on("127.0.0.2", Behavior::default());
    let server = FakeAs::start(AsConfig::default());
    let home = Home::new();
    home.write_config(&format!(
        "{}api_origins = [\"{}/some/path\"]\n",
        server.provider_toml("acme"),
        other.base
    ));
    home.run(&["login", "acme"]).ok();
    let shown = home.run(&["tokens", "show", "acme", "--json"]).ok().json();
    assert_eq!(shown["allowed_origins"], json!([origin(&other)]));
    let token = home.run(&["token", "acme"]).ok().stdout();
    other.set_valid_tokens(&[token.trim()]);

    let mut b = bridge(&home, &other, &["--name", "acme"]);
    b.initialize(json!({}));
    b.close_stdin();
    b.wait_exit(Duration::from_secs(3));
    assert!(
        other
            .seen()
            .bearers
            .iter()
            .any(|t| t.as_deref() == Some(token.trim()))
    );

    // Another port is another origin.
    let allow = format!("mcp-auth tokens allow acme {}", origin(&elsewhere));
    assert_refused(bridge(&home, &elsewhere, &["--name", "acme"]), &allow);
    assert_eq!(elsewhere.seen().posts, 0);
}
