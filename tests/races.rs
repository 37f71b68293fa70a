//! Commands that change a credential while another process refreshes it:
//! the fake server holds the refresh in flight while the other command
//! runs. Neither may undo the other: a revocation must not be followed by
//! the refresh storing a secret that nothing owns (and a grant left alive
//! at the provider), and a new login must not be overwritten by the old
//! grant's refresh.
#![allow(clippy::unwrap_used, clippy::expect_used)]

/// The support this crate uses (files in tests/support/, see its README.md);
/// helpers of these modules that this crate does not call are allowed.
#[allow(dead_code)]
mod support {
    pub mod daemon;
    pub mod fake_as;
    pub mod home;
    pub mod seed;
    pub mod served;
    pub mod token_ledger; // fake_as needs it
    pub use seed::*;
}

use std::process::Stdio;
use std::time::Duration;

use support::daemon::{eventually, stored_tokens};
use support::expire_access;
use support::fake_as::{AsConfig, FakeAs};
use support::home::{Home, Run};

fn setup() -> (FakeAs, Home) {
    let server = FakeAs::start(AsConfig::default());
    let home = Home::new();
    home.write_config(&server.provider_toml("acme"));
    home.run(&["login", "acme"]).ok();
    (server, home)
}

/// Starts `token acme` (which must refresh) and waits until its refresh
/// is held at the server.
fn refresh_in_flight(server: &FakeAs, home: &Home) -> std::process::Child {
    expire_access(home.path(), "acme");
    server.set_hold_refreshes(true);
    let before = server.stats().token_requests;
    let child = home
        .cmd()
        .args(["token", "acme"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    assert!(
        eventually(Duration::from_secs(10), || server.stats().token_requests
            > before),
        "the refresh never reached the server"
    );
    child
}

fn journal_len(home: &Home) -> i64 {
    let conn = rusqlite::Connection::open(home.database()).unwrap();
    conn.query_row("SELECT count(*) FROM secret_journal", [], |r| r.get(0))
        .unwrap()
}

#[test]
fn a_revoke_during_a_refresh_waits_for_it_and_leaves_no_orphan_secret_or_live_grant() {
    let (server, home) = setup();
    let refreshing = refresh_in_flight(&server, &home);
    let revoke = std::thread::scope(|s| {
        let revoke = s.spawn(|| home.run(&["tokens", "revoke", "acme"]));
        std::thread::sleep(Duration::from_millis(500));
        server.set_hold_refreshes(false);
        revoke.join().unwrap()
    });
    let refreshed = Run(refreshing.wait_with_output().unwrap());
    revoke.ok();
    eprintln!(
        "refresh: {}\nrevoke: {}",
        refreshed.stderr(),
        revoke.stdout()
    );
    let stored = stored_tokens(&home);
    assert!(
        !stored.contains_key("acme"),
        "a secret without a row: {stored:?}"
    );
    assert_eq!(journal_len(&home), 0);
    home.run(&["tokens", "show", "acme"])
        .fails_with(4, "no credential");
    // Whatever the refresh got was revoked too.
    if refreshed.code() == 0 {
        let token = refreshed.stdout().trim().to_string();
        assert!(
            !server.access_token_valid(&token),
            "the refreshed grant is alive"
        );
    }
    assert_eq!(server.stats().reused_refresh_tokens, 0);
}

#[test]
fn a_login_during_a_refresh_is_not_overwritten_by_the_old_grants_refresh() {
    let (server, home) = setup();
    let refreshing = refresh_in_flight(&server, &home);
    let login = std::thread::scope(|s| {
        let login = s.spawn(|| home.run(&["login", "acme"]));
        std::thread::sleep(Duration::from_millis(500));
        server.set_hold_refreshes(false);
        login.join().unwrap()
    });
    let refreshed = Run(refreshing.wait_with_output().unwrap());
    login.ok();
    refreshed.ok();
    let from_refresh = refreshed.stdout().trim().to_string();
    let stored = &stored_tokens(&home)["acme"];
    let shown = home.run(&["tokens", "show", "acme", "--json"]).ok().json();
    assert_ne!(
        stored.access_token, from_refresh,
        "the old grant's refresh overwrote the new login"
    );
    assert_eq!(shown["generation"].as_i64(), Some(stored.generation));
    assert_eq!(stored.generation, 3, "login 1, refresh 2, login 3");
    let token = home
        .run(&["token", "acme", "--min-valid", "2h"])
        .ok()
        .stdout();
    assert!(server.access_token_valid(token.trim()));
    assert_eq!(server.stats().reused_refresh_tokens, 0);
}

#[test]
fn a_refresh_whose_credential_was_pruned_meanwhile_leaves_no_orphan_secret() {
    // Prune takes no credential lock (it deletes only long-dead
    // credentials, thousands at a time); one whose refresh token expired
    // long ago is dead, and a refresh of it may still be in flight.
    let (server, home) = setup();
    let conn = rusqlite::Connection::open(home.database()).unwrap();
    let long_ago = mcp_auth::model::now() - 100 * 86_400;
    conn.execute(
        "UPDATE credentials SET refresh_expires_at = ?1",
        rusqlite::params![long_ago],
    )
    .unwrap();
    drop(conn);
    let refreshing = refresh_in_flight(&server, &home);
    let pruned = home
        .run(&["tokens", "prune", "--retention-days", "0", "--json"])
        .ok()
        .json();
    assert_eq!(pruned["deleted"], serde_json::json!(["acme"]));
    server.set_hold_refreshes(false);
    let refreshed = Run(refreshing.wait_with_output().unwrap());
    refreshed.fails_with(4, "no credential named 'acme'");
    assert!(
        stored_tokens(&home).is_empty(),
        "{:?}",
        stored_tokens(&home)
    );
    assert_eq!(journal_len(&home), 0);
}
