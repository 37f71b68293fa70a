//! Retention and the audit log, through the real binary: `tokens prune
//! --retention-days 0` deletes every credential dead now (those `tokens
//! list` just showed as needing a login included), every audit event says
//! what happened (`use` and `refresh` with their details, none with a stray
//! leading `: `), and a bridge session whose client probed the server with
//! `server/discover` does not count that probe as a failed request, and
//! names the origin it talked to.
//!
//! `mcp-auth audit` on a real database: the events of a revoked and of a
//! pruned credential are still listed (`tokens show` cannot see them),
//! newest first; `--name`, `--kind`, `--since` (a duration, an RFC 3339
//! date, a date-time with an offset) and `--limit` filter; `--json` is a
//! JSON array; the table shows no control characters from a server; a
//! `--since` that is neither form fails naming the forms it takes.
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
        detail,
        format!(
            "bridge session to {}: 3 requests, 4 messages, 0 failed",
            server.base
        ),
        "the session names the origin it talked to"
    );
}

const DAY: i64 = 86_400;

/// Three credentials with a history: "kept" stays, "revoked" is revoked,
/// "pruned" has been dead for 40 days and is pruned (30 days' retention).
/// Returns the home and the moment the history is relative to.
fn history() -> (Home, i64) {
    let home = Home::new();
    for name in ["kept", "revoked", "pruned"] {
        support::seed_credential(
            home.path(),
            name,
            &format!("https://{name}.example.com/mcp"),
            "https://auth.example.com/token",
            "at-x",
            None,
        );
    }
    let now = mcp_auth::model::now();
    let store = support::store(home.path());
    let db = store.db();
    use mcp_auth::model::EventKind::*;
    for (name, kind, detail, at) in [
        ("kept", Login, "logged in", now - 5 * DAY),
        ("revoked", Login, "logged in", now - 5 * DAY),
        ("pruned", Login, "logged in", now - 5 * DAY),
        (
            "revoked",
            Use,
            "access token handed out by this process",
            now - 3 * DAY,
        ),
        (
            "pruned",
            RefreshFailed,
            // What a hostile server could put in its error description.
            "refused: \u{1b}[2J\u{1b}]0;pwned\u{7}invalid_grant\u{202e}",
            now - 2 * DAY,
        ),
        (
            "kept",
            Use,
            "access token handed out by this process",
            now - DAY,
        ),
    ] {
        db.add_event(Some(name), kind, Some(detail), at).unwrap();
    }
    let conn = rusqlite::Connection::open(home.database()).unwrap();
    conn.execute(
        "UPDATE credentials SET access_expires_at = ?1 WHERE name = 'pruned'",
        [now - 40 * DAY],
    )
    .unwrap();
    home.run(&["tokens", "revoke", "revoked", "--local-only"])
        .ok();
    let pruned = home
        .run(&["tokens", "prune", "--retention-days", "30", "--json"])
        .ok()
        .json();
    assert_eq!(pruned["deleted"], json!(["pruned"]), "{pruned}");
    (home, now)
}

/// `audit ARGS --json` as (credential, kind) pairs, checked newest first.
fn audit(home: &Home, args: &[&str]) -> Vec<(String, String)> {
    let mut all = vec!["audit", "--json"];
    all.extend_from_slice(args);
    let list = home.run(&all).ok().json();
    let events = list.as_array().expect("a JSON array");
    let times: Vec<i64> = events
        .iter()
        .map(|e| {
            mcp_auth::model::parse_rfc3339(e["at"].as_str().unwrap()).expect("an RFC 3339 time")
        })
        .collect();
    assert!(
        times.windows(2).all(|w| w[0] >= w[1]),
        "not newest first: {list}"
    );
    events
        .iter()
        .map(|e| {
            (
                e["credential"].as_str().unwrap_or("-").to_string(),
                e["kind"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect()
}

#[test]
fn audit_lists_the_events_of_revoked_and_pruned_credentials_newest_first() {
    let (home, _) = history();
    // What the audit command is for: these are gone from `tokens show`.
    home.run(&["tokens", "show", "revoked"])
        .fails_with(4, "revoked");
    home.run(&["tokens", "show", "pruned"])
        .fails_with(4, "pruned");
    assert_eq!(
        audit(&home, &[]),
        pairs(&[
            // The revocation and the prune happened just now, in this order.
            ("-", "prune"),
            ("revoked", "revoke"),
            ("kept", "use"),
            ("pruned", "refresh_failed"),
            ("revoked", "use"),
            ("pruned", "login"),
            ("revoked", "login"),
            ("kept", "login"),
        ])
    );
    let revoked = home
        .run(&["audit", "--json", "--name", "revoked"])
        .ok()
        .json();
    assert_eq!(revoked[0]["kind"], "revoke");
    assert_eq!(revoked[0]["detail"], "deleted here only", "{revoked}");
    let prune = home
        .run(&["audit", "--json", "--kind", "prune"])
        .ok()
        .json();
    assert!(
        prune[0]["detail"].as_str().unwrap().contains("deleted 1"),
        "{prune}"
    );
    assert_eq!(prune[0]["credential"], Value::Null);
}

#[test]
fn audit_filters_by_name_kind_since_and_limit() {
    let (home, now) = history();
    assert_eq!(
        audit(&home, &["--name", "pruned"]),
        pairs(&[("pruned", "refresh_failed"), ("pruned", "login")])
    );
    assert_eq!(audit(&home, &["--name", "never-existed"]), pairs(&[]));
    assert_eq!(
        audit(&home, &["--kind", "revoke,prune"]),
        pairs(&[("-", "prune"), ("revoked", "revoke")])
    );
    assert_eq!(
        audit(
            &home,
            &[
                "--kind",
                "use",
                "--kind",
                "refresh_failed",
                "--name",
                "kept"
            ]
        ),
        pairs(&[("kept", "use")])
    );
    // A duration back from now: the logins of five days ago are out.
    let recent = audit(&home, &["--since", "4d"]);
    assert_eq!(recent.len(), 5, "{recent:?}");
    assert!(recent.iter().all(|(_, k)| k != "login"), "{recent:?}");
    // An RFC 3339 time with an offset: 2.5 days ago, written in UTC+02:00.
    let local = mcp_auth::model::rfc3339(now - 2 * DAY - DAY / 2 + 2 * 3600).replace('Z', "+02:00");
    assert_eq!(
        audit(&home, &["--since", &local]),
        pairs(&[
            ("-", "prune"),
            ("revoked", "revoke"),
            ("kept", "use"),
            ("pruned", "refresh_failed"),
        ])
    );
    // The same moment in UTC, and a date long ago: everything.
    let utc = mcp_auth::model::rfc3339(now - 2 * DAY - DAY / 2);
    assert_eq!(audit(&home, &["--since", &utc]).len(), 4);
    assert_eq!(audit(&home, &["--since", "2000-01-01"]).len(), 8);
    assert_eq!(
        audit(&home, &["--limit", "2"]),
        pairs(&[("-", "prune"), ("revoked", "revoke")])
    );
    assert_eq!(
        audit(
            &home,
            &["--limit", "1", "--name", "revoked", "--kind", "login"]
        ),
        pairs(&[("revoked", "login")])
    );
}

#[test]
fn the_audit_table_is_newest_first_and_shows_no_control_characters() {
    let (home, _) = history();
    let out = home.run(&["audit"]).ok().stdout();
    let header = out.lines().nth(1).unwrap();
    for column in ["TIME", "CREDENTIAL", "KIND", "DETAIL"] {
        assert!(header.contains(column), "{out}");
    }
    assert!(
        !out.chars()
            .any(|c| (c.is_control() && c != '\n') || c == '\u{202e}'),
        "{out:?}"
    );
    assert!(out.contains("refused: [2J ]0;pwned invalid_grant"), "{out}");
    // Rows in the order of the JSON, each once.
    let rows: Vec<&str> = out.lines().filter(|l| l.starts_with(" 20")).collect();
    assert_eq!(rows.len(), 8, "{out}");
    assert!(
        rows[0].contains(" prune ") && rows[1].contains(" revoke "),
        "{out}"
    );
    assert!(
        rows[7].contains(" kept ") && rows[7].contains(" login "),
        "{out}"
    );
    // Columns line up: every row as wide as the header.
    let width = header.chars().count();
    assert!(rows.iter().all(|r| r.chars().count() == width), "{out}");
    // Nothing matched: said on stderr, nothing on stdout.
    let none = home.run(&["audit", "--name", "nobody"]);
    none.ok();
    assert_eq!(none.stdout(), "");
    assert!(
        none.stderr().contains("No audit event matches"),
        "{}",
        none.stderr()
    );
}

#[test]
fn audit_refuses_a_since_it_cannot_read_and_lists_its_kinds() {
    let home = Home::new();
    for bad in ["yesterday", "2026-11-01T09:30:00", "12/01/2026"] {
        let run = home.run(&["audit", "--since", bad]);
        run.fails_with(2, "is neither a duration back from now (7d, 12h, 30m)");
        assert!(
            run.stderr()
                .contains("RFC 3339 date or time (2026-11-01, 2026-11-01T09:30:00Z"),
            "{}",
            run.stderr()
        );
    }
    home.run(&["audit", "--kind", "logins"]).fails_with(
        2,
        "possible values: login, refresh, refresh_failed, use, revoke, prune",
    );
    let help = home.run(&["audit", "--help"]).ok().stdout();
    for kind in [
        "login",
        "refresh",
        "refresh_failed",
        "use",
        "revoke",
        "prune",
    ] {
        assert!(
            help.contains(&format!("- {kind}:")),
            "{kind} not in:\n{help}"
        );
    }
    // An empty log is an empty array for scripts.
    assert_eq!(home.run(&["audit", "--json"]).ok().json(), json!([]));
}
