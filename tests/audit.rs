//! Retention and the audit log, through the real binary: `tokens prune
//! --retention-days 0` deletes every credential dead now (those `tokens
//! list` just showed as needing a login included), every audit event says
//! what happened (`use` and `refresh` with their details, none with a stray
//! leading `: `), and a bridge session whose client probed the server with
//! `server/discover` does not count that probe as a failed request.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::time::Duration;

use serde_json::{Value, json};
use support::bridge::{Bridge, Options};
use support::fake_as::{AsConfig, FakeAs};
use support::fake_server::{Behavior, FakeServer};
use support::home::Home;

fn events(home: &Home, name: &str) -> Vec<Value> {
    home.run(&["tokens", "show", name, "--json"]).ok().json()["events"]
        .as_array()
        .unwrap()
        .clone()
}

fn details_of<'a>(events: &'a [Value], kind: &str) -> Vec<&'a str> {
    events
        .iter()
        .filter(|e| e["kind"] == kind)
        .map(|e| e["detail"].as_str().unwrap_or(""))
        .collect()
}

#[test]
fn prune_with_zero_retention_deletes_everything_dead_now() {
    let home = Home::new();
    for name in ["gone-a", "gone-b", "alive"] {
        support::seed_credential(
            home.path(),
            name,
            &format!("https://{name}.example.com/mcp"),
            "https://auth.example.com/token",
            "at-x",
            None,
        );
    }
    // Two die now: their access tokens expire this very second and
    // nothing can renew them.
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let conn = rusqlite::Connection::open(home.database()).unwrap();
    conn.execute(
        "UPDATE credentials SET access_expires_at = ?1 WHERE name IN ('gone-a', 'gone-b')",
        [now],
    )
    .unwrap();
    let list = home.run(&["tokens", "list", "--json"]).ok().json();
    let dead: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["health"] == "expired")
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(dead, vec!["gone-a", "gone-b"], "{list}");
    let pruned = home
        .run(&["tokens", "prune", "--retention-days", "0", "--json"])
        .ok()
        .json();
    assert_eq!(pruned["deleted"], json!(["gone-a", "gone-b"]), "{pruned}");
    let left = home.run(&["tokens", "list", "--json"]).ok().json();
    let names: Vec<&str> = left
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, vec!["alive"]);
}

#[test]
fn use_and_refresh_events_say_what_happened() {
    let fake = FakeAs::start(AsConfig::default());
    let home = Home::new();
    home.write_config(&fake.provider_toml("acme"));
    home.run(&["login", "acme"]).ok();
    home.run(&["token", "acme"]).ok();
    home.run(&["tokens", "refresh", "acme"]).ok();
    let ev = events(&home, "acme");
    let uses = details_of(&ev, "use");
    assert!(
        uses.iter()
            .any(|d| d.starts_with("access token handed out by this process, expires in ")),
        "{ev:?}"
    );
    let refreshes = details_of(&ev, "refresh");
    assert_eq!(refreshes.len(), 1, "{ev:?}");
    assert!(
        refreshes[0].starts_with("access token refreshed, expires in ")
            && refreshes[0].ends_with("; refresh token rotated"),
        "{}",
        refreshes[0]
    );
    for e in &ev {
        let d = e["detail"].as_str().unwrap_or("");
        assert!(!d.is_empty() && !d.starts_with(':'), "{e}");
    }
}

#[test]
fn a_server_discover_probe_is_not_a_failed_request_of_the_session() {
    let server = FakeServer::start(Behavior {
        bearer: true,
        ..Behavior::default()
    });
    server.set_valid_tokens(&["at-stored"]);
    let home = tempfile::tempdir().unwrap();
    support::seed_credential(
        home.path(),
        "fake",
        &server.url,
        &format!("{}/token", server.base),
        "at-stored",
        None,
    );
    let mut b = Bridge::start_with(&server.url, Options::default().home(home.path()));
    // A 2026-07-28 client asks first; this 2025 server refuses (HTTP 400).
    let probe = b.request("server/discover", json!({}));
    assert!(probe.get("error").is_some(), "{probe}");
    b.initialize(json!({}));
    let r = b.request(
        "tools/call",
        json!({"name": "echo", "arguments": {"text": "hi"}}),
    );
    assert!(r.get("result").is_some(), "{r}");
    b.close_stdin();
    b.wait_exit(Duration::from_secs(5));
    assert!(
        !b.stderr().contains("WARN"),
        "the probe is no warning:\n{}",
        b.stderr()
    );
    let store = support::store(home.path());
    let uses: Vec<_> = store
        .db()
        .events(Some("fake"), 10)
        .unwrap()
        .into_iter()
        .filter(|e| e.kind == "use")
        .collect();
    assert_eq!(uses.len(), 1, "{uses:?}");
    let detail = uses[0].detail.clone().unwrap_or_default();
    assert_eq!(
        detail, "bridge session: 3 requests, 4 messages, 0 failed",
        "{detail}"
    );
}
