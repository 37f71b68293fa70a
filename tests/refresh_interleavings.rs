//! Property test of the refresh path under interleavings: several callers
//! (tasks in this process and separate `mcp-auth token` processes) want a
//! token for the same credential at once; its access token has expired and
//! its refresh token rotates (single use) at a server that answers after
//! random delays. Some cases run with the daemon (then the only refresher,
//! and its scheduler a caller of its own), some without (then the file
//! lock orders the refreshing processes).
//!
//! Whatever the counts, delays and mix of callers:
//! - every caller gets an access token the server issued by a refresh (the
//!   expired one is never handed out);
//! - no spent refresh token is ever presented (the server counts reuse);
//! - callers that only need a valid token cause exactly one refresh; each
//!   forced refresh (`tokens refresh`) causes one more, and no more;
//! - the stored generation is the login's plus one per refresh, the stored
//!   refresh token is the server's newest, and the row agrees with the
//!   secret.
#![allow(clippy::unwrap_used, clippy::expect_used)]

/// The support this crate uses (files in tests/support/, see its README.md);
/// helpers of these modules that this crate does not call are allowed.
#[allow(dead_code)]
mod support {
    pub mod daemon;
    pub mod fake_token;
    pub mod home;
    pub mod seed;
    pub mod served;
    pub mod token_ledger; // fake_token needs it
    pub use seed::*;
    pub use served::*;
}

use std::time::Duration;

use mcp_auth::credentials::{Credentials, NewCredential};
use mcp_auth::model::{GrantKind, Origin, Secret, now};
use mcp_auth::oauth::identity::Identity;
use mcp_auth::oauth::{ClientAuth, Tokens};
use proptest::prelude::*;
use support::daemon::Daemon;
use support::fake_token::FakeToken;
use support::home::Home;

#[derive(Clone, Copy, Debug)]
enum Caller {
    /// `Credentials::valid_token` in this process.
    Task,
    /// `Credentials::refresh(name, true)` in this process.
    ForcedTask,
    /// `mcp-auth token NAME`, a process of its own.
    Process,
}

fn caller() -> impl Strategy<Value = Caller> {
    prop_oneof![
        4 => Just(Caller::Task),
        1 => Just(Caller::ForcedTask),
        2 => Just(Caller::Process),
    ]
}

async fn run_case(daemon: bool, callers: Vec<Caller>, delays: Vec<u64>, starts: Vec<u64>) {
    let home = Home::new();
    let store = support::store(home.path());
    let creds = Credentials::new(store.clone());
    let fake = FakeToken::start();
    fake.delays(delays.iter().map(|&ms| Duration::from_millis(ms)));

    // A login whose access token has already expired.
    let (expired, rt) = fake.mint(true);
    let login = creds
        .save_login(NewCredential {
            name: "shared".into(),
            origin: Origin::Provider {
                provider: "fake".into(),
            },
            issuer: None,
            resource: None,
            token_url: fake.url.clone(),
            revocation_url: None,
            auth: ClientAuth::public("client"),
            grant: GrantKind::AuthorizationCode,
            requested_scopes: Vec::new(),
            identity: Identity::default(),
            tokens: Tokens {
                access_token: Secret::new(expired.clone()),
                refresh_token: rt.map(Secret::new),
                id_token: None,
                access_expires_at: Some(now() - 10),
                refresh_expires_at: None,
                scopes: None,
                token_type: "bearer".into(),
            },
            token_params: Vec::new(),
            idp: None,
            assertion_file: None,
            allowed_origins: Vec::new(),
        })
        .await
        .unwrap();
    // Started after the login, so its scheduler finds the expired token at
    // once and races the callers for it.
    let _daemon = daemon.then(|| Daemon::start(&home, &[]));

    let mut handles = Vec::new();
    for (i, c) in callers.iter().copied().enumerate() {
        let creds = creds.clone();
        let mut cmd = tokio::process::Command::from(home.cmd());
        let start = Duration::from_millis(starts.get(i).copied().unwrap_or(0));
        handles.push(tokio::spawn(async move {
            tokio::time::sleep(start).await;
            match c {
                Caller::Task => creds
                    .valid_token("shared", Duration::ZERO)
                    .await
                    .map(|t| t.token.expose().to_string())
                    .map_err(|e| e.to_string()),
                Caller::ForcedTask => creds
                    .refresh("shared", true)
                    .await
                    .map(|r| r.token.token.expose().to_string())
                    .map_err(|e| e.to_string()),
                Caller::Process => {
                    let out = cmd
                        .args(["token", "shared"])
                        .output()
                        .await
                        .map_err(|e| e.to_string())?;
                    if out.status.success() {
                        Ok(String::from_utf8_lossy(&out.stdout).trim().to_string())
                    } else {
                        Err(String::from_utf8_lossy(&out.stderr).into_owned())
                    }
                }
            }
        }));
    }
    let mut tokens = Vec::new();
    for (h, c) in handles.into_iter().zip(&callers) {
        let token = h
            .await
            .unwrap()
            .unwrap_or_else(|e| panic!("{c:?} got no token: {e}"));
        tokens.push(token);
    }

    for (t, c) in tokens.iter().zip(&callers) {
        assert_ne!(t, &expired, "{c:?} was handed the expired token");
        assert!(fake.issued(t), "{c:?} got a token the server never issued");
    }
    assert_eq!(fake.reused(), 0, "a spent refresh token was presented");
    let forced = callers
        .iter()
        .filter(|c| matches!(c, Caller::ForcedTask))
        .count();
    let refreshes = fake.refreshes();
    // Forced refreshes each spend one; whoever only needs a valid token
    // (the daemon's scheduler too) refreshes only if nobody has yet.
    assert!(
        refreshes == forced || refreshes == forced + 1,
        "{refreshes} refreshes for {forced} forced callers"
    );
    if forced == 0 {
        assert_eq!(refreshes, 1, "callers that need a token refresh once");
    }
    let row = store.db().get("shared").unwrap().unwrap();
    let set = store.tokens("shared").unwrap().unwrap();
    assert_eq!(row.generation, login.generation + refreshes as i64);
    assert_eq!(set.generation, row.generation);
    let stored_rt = set.refresh_token.expect("the refresh token is kept");
    assert!(
        fake.refresh_usable(stored_rt.expose()),
        "the stored refresh token is spent"
    );
    assert!(fake.issued(set.access_token.expose()));
    assert!(row.has_refresh_token);
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 20,
        max_shrink_iters: 50,
        ..ProptestConfig::default()
    })]

    #[test]
    fn concurrent_refreshes_never_spend_a_token_twice(
        daemon in any::<bool>(),
        callers in prop::collection::vec(caller(), 2..7),
        delays in prop::collection::vec(0u64..80, 0..8),
        starts in prop::collection::vec(0u64..40, 0..7),
    ) {
        support::shared_runtime().block_on(run_case(daemon, callers, delays, starts));
    }
}
