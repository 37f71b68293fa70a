//! DPoP (RFC 9449) end to end against an in-process authorization server
//! and MCP resource that take only DPoP-bound tokens
//! ([`support::fake_dpop`]): a login binds the tokens to a new key, with
//! the authorization server's nonce; the bridge presents the token with
//! the DPoP scheme and a fresh proof per request (`htm`, `htu`, `ath`, the
//! resource's nonce); a refresh keeps the key, a new login rotates it; the
//! stolen token alone (as a Bearer) is refused; `token --header` refuses
//! and `token --dpop-proof` prints a proof the resource accepts.
#![allow(clippy::unwrap_used, clippy::expect_used)]

/// The support this crate uses (files in tests/support/, see its README.md);
/// helpers of these modules that this crate does not call are allowed.
#[allow(dead_code)]
mod support {
    pub mod bridge;
    pub mod daemon;
    pub mod fake_dpop;
    pub mod home;
    pub mod served;
}

use serde_json::json;
use support::bridge::{Bridge, Options};
use support::fake_dpop::{FakeDpop, Knobs};
use support::home::Home;

fn name_of(fake: &FakeDpop) -> String {
    let port = fake.url.rsplit(':').next().unwrap();
    format!("127.0.0.1-{port}")
}

fn nonces() -> Knobs {
    Knobs {
        as_nonce: Some("as-nonce-1".into()),
        rs_nonce: Some("rs-nonce-1".into()),
        access_ttl: 0,
    }
}

/// POSTs `ping` to the resource with `headers`; the HTTP status.
fn post_status(url: &str, headers: &[String]) -> u16 {
    let mut cmd = std::process::Command::new("curl");
    cmd.args(["-s", "-o", "/dev/null", "-w", "%{http_code}", "-X", "POST"]);
    for h in headers {
        cmd.arg("-H").arg(h);
    }
    let out = cmd
        .args([
            "-H",
            "content-type: application/json",
            "-d",
            r#"{"jsonrpc":"2.0","id":1,"method":"ping"}"#,
        ])
        .arg(url)
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout).parse().unwrap()
}

#[test]
fn login_binds_the_tokens_to_a_key_and_every_use_proves_it() {
    let fake = FakeDpop::start(nonces());
    let home = Home::new();
    home.run(&["login", &fake.mcp_url()]).ok();
    let name = name_of(&fake);
    let seen = fake.seen();
    assert!(seen.errors.is_empty(), "{:?}", seen.errors);
    assert_eq!(
        seen.as_nonce_challenges, 1,
        "the AS nonce was asked for once"
    );
    assert_eq!(seen.bound_keys.len(), 1);

    // The token alone is printed, but is useless as a bearer token.
    let token = home.run(&["token", &name]).ok().stdout().trim().to_string();
    assert!(token.starts_with("dpop-at-"), "{token}");
    assert_eq!(
        post_status(&fake.mcp_url(), &[format!("Authorization: Bearer {token}")]),
        401
    );
    assert_eq!(fake.seen().bearer_refused, 1);
    home.run(&["token", &name, "--header"])
        .fails_with(2, "--dpop-proof");

    // --dpop-proof: the two headers of one request, which the resource
    // takes (with its nonce).
    let out = home
        .run(&[
            "token",
            &name,
            "--dpop-proof",
            "post",
            &fake.mcp_url(),
            "--dpop-nonce",
            "rs-nonce-1",
        ])
        .ok()
        .stdout();
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines[0], format!("Authorization: DPoP {token}"));
    assert!(lines[1].starts_with("DPoP: "), "{out}");
    assert_eq!(
        post_status(
            &fake.mcp_url(),
            &[lines[0].to_string(), lines[1].to_string()]
        ),
        200
    );
    // A proof is good once: the same headers again are refused.
    assert_eq!(
        post_status(
            &fake.mcp_url(),
            &[lines[0].to_string(), lines[1].to_string()]
        ),
        401
    );

    // The bridge: the DPoP scheme, a fresh proof per request, the
    // resource's nonce after its use_dpop_nonce challenge.
    let before = fake.seen();
    let mut bridge = Bridge::start_with(&fake.mcp_url(), Options::default().home(home.path()));
    let init = bridge.initialize(json!({}));
    assert_eq!(init["serverInfo"]["name"], "fake-dpop", "{init}");
    for _ in 0..3 {
        let r = bridge.request("tools/list", json!({}));
        assert!(r.get("result").is_some(), "{r}\n{}", bridge.stderr());
    }
    let seen = fake.seen();
    assert!(
        seen.errors.len() == 1,
        "only the replayed proof: {:?}",
        seen.errors
    );
    assert_eq!(seen.bearer_refused, before.bearer_refused, "never Bearer");
    assert_eq!(
        seen.rs_nonce_challenges,
        before.rs_nonce_challenges + 1,
        "the resource's nonce was asked for once, then carried"
    );
    assert!(seen.mcp_ok >= before.mcp_ok + 4);
    assert_eq!(
        seen.token_requests, before.token_requests,
        "a nonce challenge is not a reason to refresh"
    );

    // A refresh proves the same key (the refresh token is bound to it);
    // a new login makes a new one.
    home.run(&["tokens", "refresh", &name]).ok();
    home.run(&["login", &fake.mcp_url()]).ok();
    let seen = fake.seen();
    assert_eq!(
        seen.grants,
        ["authorization_code", "refresh_token", "authorization_code"]
    );
    assert_eq!(
        seen.bound_keys[1], seen.bound_keys[0],
        "refresh keeps the key"
    );
    assert_ne!(
        seen.bound_keys[2], seen.bound_keys[0],
        "a new login rotates it"
    );
    assert_eq!(seen.errors.len(), 1, "{:?}", seen.errors);
}

#[test]
fn the_daemon_refreshes_dpop_bound_tokens_with_their_key() {
    let fake = FakeDpop::start(nonces());
    let home = Home::new();
    home.run(&["login", &fake.mcp_url()]).ok();
    let name = name_of(&fake);
    let daemon = support::daemon::Daemon::start(&home, &[]);
    // Through the daemon: it refreshes, proving the key.
    home.run(&["tokens", "refresh", &name]).ok();
    let token = home.run(&["token", &name]).ok().stdout().trim().to_string();
    let seen = fake.seen();
    assert_eq!(seen.grants, ["authorization_code", "refresh_token"]);
    assert_eq!(seen.bound_keys[1], seen.bound_keys[0]);
    assert!(seen.errors.is_empty(), "{:?}", seen.errors);
    // The daemon handed the key out with the token: proofs still work.
    let out = home
        .run(&["token", &name, "--dpop-proof", "POST", &fake.mcp_url()])
        .ok()
        .stdout();
    let proof = out.lines().nth(1).unwrap().strip_prefix("DPoP: ").unwrap();
    fake.check_resource_proof(proof, &token, "POST")
        .expect("a proof for the refreshed token");
    drop(daemon);
}

/// SEP-2352: the resource moves to another authorization server while a
/// bridge runs. Its 401 leads to a registration and a login at the new
/// server, not to a refresh at the old one (whose tokens the resource no
/// longer takes), and the old server's client id is never shown to the new.
#[test]
fn a_resource_that_changes_its_authorization_server_gets_a_new_login_there() {
    let old = FakeDpop::start(Knobs::default());
    let new = FakeDpop::start(Knobs::default());
    let home = Home::new();
    let mut bridge = Bridge::start_with(
        &old.mcp_url(),
        Options::default()
            .home(home.path())
            .env("MCP_AUTH_BROWSER", support::home::FOLLOW_REDIRECT),
    );
    bridge.initialize(json!({}));
    assert!(
        bridge
            .request("tools/list", json!({}))
            .get("result")
            .is_some()
    );
    assert_eq!(old.seen().registrations, 1);

    old.move_to(&new);
    let r = bridge.request("tools/list", json!({}));
    assert!(r.get("result").is_some(), "{r}\n{}", bridge.stderr());
    let (old_seen, new_seen) = (old.seen(), new.seen());
    assert_eq!(
        old_seen.grants,
        ["authorization_code"],
        "no refresh at the old server"
    );
    assert_eq!(new_seen.registrations, 1, "registered at the new server");
    assert_eq!(new_seen.grants, ["authorization_code"]);
    assert!(
        new_seen
            .client_ids
            .iter()
            .all(|id| !old_seen.client_ids.contains(id)),
        "{:?} vs {:?}",
        new_seen.client_ids,
        old_seen.client_ids
    );
    let shown = home
        .run(&["tokens", "show", &name_of(&old), "--json"])
        .ok()
        .json();
    assert_eq!(
        shown["issuer"], new.url,
        "the credential is bound to the new issuer"
    );
}
