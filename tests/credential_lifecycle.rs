//! Property test of a credential's lifecycle (valid → expiring → refreshed
//! / needs login / revoked / pruned) against the real `Store` (file secret
//! store and SQLite in a temp dir) and `Credentials`, with a scripted
//! rotating token endpoint ([`fake_token`]).
//!
//! Random sequences of events (logins, time passing, refreshes that
//! succeed with or without a new refresh token, fail transiently or with
//! `invalid_grant`, revocation, pruning with a retention, a secret store
//! that loses an entry) run against three credentials and a simple model.
//! After every step:
//!
//! - the row exists exactly when the model says: nothing disappears unless
//!   it was revoked or pruned past its retention, and prune deletes exactly
//!   the model's dead-past-retention set;
//! - `Credential::health` agrees with the model's health;
//! - a row's tokens are in the secret store, as the row describes them
//!   (generation, refresh token presence, expiry), unless the store lost
//!   them, and then the credential reads as needing a login, never valid;
//! - the stored refresh token is one the server still honours, and no
//!   spent refresh token is ever presented;
//! - generations only increase while a row lives.
//!
//! Time passing is simulated by moving every stored timestamp into the
//! past (rows, audit events and the token sets' expiry), so the library's
//! own clock reads stay real. Durations are multiples of a minute and a
//! case takes well under one, so "is it fresh now" has one answer.
#![allow(clippy::unwrap_used, clippy::expect_used)]

/// The support this crate uses (files in tests/support/, see its README.md);
/// helpers of these modules that this crate does not call are allowed.
#[allow(dead_code)]
mod support {
    pub mod fake_token;
    pub mod served;
    pub mod token_ledger; // fake_token needs it
    pub use served::*;
}

use std::time::Duration;

use mcp_auth::config::{Config, SecretStoreKind};
use mcp_auth::credentials::{Credentials, NewCredential};
use mcp_auth::error::Error;
use mcp_auth::model::{
    EXPIRING_SOON_SECS, GrantKind, Health, Origin, Secret, Status, Timestamp, now,
};
use mcp_auth::oauth::identity::Identity;
use mcp_auth::oauth::{ClientAuth, Tokens};
use mcp_auth::paths::Paths;
use mcp_auth::store::{Store, keys};
use proptest::prelude::*;
use support::fake_token::{Answer, FakeToken};

const NAMES: [&str; 3] = ["c0", "c1", "c2"];

#[derive(Clone, Copy, Debug)]
enum Ev {
    Login {
        who: usize,
        refresh: bool,
        ttl: Option<u32>,
    },
    /// `force`: `Credentials::refresh(name, true)` (what `tokens refresh`
    /// and the daemon do); else `valid_token(name, 0)` (every use).
    Refresh {
        who: usize,
        force: bool,
        answer: Answer,
    },
    Advance {
        secs: u32,
    },
    Revoke {
        who: usize,
    },
    Prune {
        retention_days: u32,
    },
    /// The secret store loses the entry (a wiped keyring); the next
    /// reader finds out.
    LoseSecret {
        who: usize,
    },
}

fn ttl() -> impl Strategy<Value = Option<u32>> {
    prop_oneof![
        1 => Just(None),
        1 => Just(Some(0)),
        4 => prop::sample::select(vec![60u32, 300, 360, 3600, 86_400]).prop_map(Some),
    ]
}

fn answer() -> impl Strategy<Value = Answer> {
    prop_oneof![
        6 => (
            any::<bool>(),
            ttl(),
            prop_oneof![3 => Just(None), 1 => prop::sample::select(vec![60u32, 3600, 86_400]).prop_map(Some)]
        )
            .prop_map(|(rotate, ttl, refresh_ttl)| Answer::Ok { rotate, ttl, refresh_ttl }),
        2 => Just(Answer::Unavailable),
        1 => Just(Answer::InvalidGrant),
    ]
}

fn event() -> impl Strategy<Value = Ev> {
    let who = 0..NAMES.len();
    prop_oneof![
        2 => (who.clone(), prop::bool::weighted(0.8), ttl())
            .prop_map(|(who, refresh, ttl)| Ev::Login { who, refresh, ttl }),
        8 => (who.clone(), any::<bool>(), answer())
            .prop_map(|(who, force, answer)| Ev::Refresh { who, force, answer }),
        5 => prop::sample::select(vec![60u32, 240, 300, 3600, 86_400, 2 * 86_400])
            .prop_map(|secs| Ev::Advance { secs }),
        1 => who.clone().prop_map(|who| Ev::Revoke { who }),
        2 => (0u32..=2).prop_map(|retention_days| Ev::Prune { retention_days }),
        1 => who.prop_map(|who| Ev::LoseSecret { who }),
    ]
}

/// What the model knows of one credential.
#[derive(Clone, Debug)]
struct M {
    status: Status,
    status_changed_at: Timestamp,
    access: String,
    refresh: Option<String>,
    access_exp: Option<Timestamp>,
    refresh_exp: Option<Timestamp>,
    generation: i64,
    secret_lost: bool,
}

impl M {
    /// Health, written from the definitions rather than from the code.
    fn health(&self, t: Timestamp) -> Health {
        if self.status == Status::NeedsLogin {
            return Health::NeedsLogin;
        }
        let Some(exp) = self.access_exp else {
            return Health::Valid;
        };
        if exp - t > EXPIRING_SOON_SECS {
            Health::Valid
        } else if exp > t {
            Health::ExpiringSoon
        } else if self.refresh.is_some() && self.refresh_exp.is_none_or(|r| r > t) {
            Health::Refreshable
        } else {
            Health::Expired
        }
    }

    /// Since when nothing but a login can revive it.
    fn dead_since(&self, t: Timestamp) -> Option<Timestamp> {
        match self.health(t) {
            Health::NeedsLogin => Some(self.status_changed_at),
            Health::Expired => {
                let access = self.access_exp.unwrap_or(t);
                let last = match (&self.refresh, self.refresh_exp) {
                    (Some(_), Some(r)) => access.max(r),
                    _ => access,
                };
                Some(last.min(t))
            }
            _ => None,
        }
    }

    fn fresh(&self, t: Timestamp) -> bool {
        self.access_exp.is_none_or(|e| e > t)
    }
}

struct World {
    _dir: tempfile::TempDir,
    db_path: std::path::PathBuf,
    store: Store,
    creds: Credentials,
    fake: FakeToken,
    models: [Option<M>; 3],
    /// The last generation seen of each live row.
    seen_generation: [Option<i64>; 3],
}

impl World {
    fn new() -> World {
        let dir = tempfile::tempdir().unwrap();
        let paths = Paths::under(dir.path());
        let config = Config {
            secret_store: Some(SecretStoreKind::File),
            ..Config::default()
        };
        let store = Store::open(&paths, &config, None).unwrap();
        World {
            db_path: paths.database(),
            creds: Credentials::new(store.clone()),
            store,
            _dir: dir,
            fake: FakeToken::start(),
            models: [None, None, None],
            seen_generation: [None, None, None],
        }
    }

    async fn step(&mut self, ev: Ev) {
        match ev {
            Ev::Login { who, refresh, ttl } => self.login(who, refresh, ttl).await,
            Ev::Refresh { who, force, answer } => self.refresh(who, force, answer).await,
            Ev::Advance { secs } => self.advance(secs),
            Ev::Revoke { who } => {
                let existed = self.store.delete_credential(NAMES[who]).unwrap();
                assert_eq!(existed, self.models[who].is_some());
                if let Some(rt) = self.models[who].take().and_then(|m| m.refresh) {
                    self.fake.revoke(&rt);
                }
            }
            Ev::Prune { retention_days } => {
                let t = now();
                let mut deleted = Vec::new();
                let report = self
                    .store
                    .prune(t, retention_days, false, |n| {
                        deleted.push(n.to_string());
                        Ok(())
                    })
                    .unwrap();
                assert_eq!(report.deleted, deleted.len());
                let cutoff = t - i64::from(retention_days) * 86_400;
                let expected: Vec<String> = (0..NAMES.len())
                    .filter(|&i| {
                        self.models[i]
                            .as_ref()
                            .and_then(|m| m.dead_since(t))
                            .is_some_and(|since| since <= cutoff)
                    })
                    .map(|i| NAMES[i].to_string())
                    .collect();
                deleted.sort();
                assert_eq!(deleted, expected, "prune deletes exactly the dead set");
                for name in &deleted {
                    let i = NAMES.iter().position(|n| n == name).unwrap();
                    self.models[i] = None;
                }
            }
            Ev::LoseSecret { who } => {
                let Some(m) = self.models[who].as_mut() else {
                    return;
                };
                self.store.delete_secret(&keys::tokens(NAMES[who])).unwrap();
                let t0 = now();
                // The next reader finds out, and says so.
                let e = self.creds.load(NAMES[who]).await.unwrap_err();
                assert!(matches!(e, Error::NeedsLogin { .. }), "{e}");
                let row = self.store.db().get(NAMES[who]).unwrap().unwrap();
                if m.status != Status::NeedsLogin {
                    assert!((t0..=now()).contains(&row.status_changed_at));
                    m.status_changed_at = row.status_changed_at;
                }
                m.status = Status::NeedsLogin;
                m.secret_lost = true;
            }
        }
    }

    async fn login(&mut self, who: usize, refresh: bool, ttl: Option<u32>) {
        let (at, rt) = self.fake.mint(refresh);
        let t0 = now();
        let n = NewCredential {
            name: NAMES[who].into(),
            origin: Origin::Provider {
                provider: "fake".into(),
            },
            issuer: None,
            resource: None,
            token_url: self.fake.url.clone(),
            revocation_url: None,
            auth: ClientAuth::public("client"),
            grant: GrantKind::AuthorizationCode,
            requested_scopes: vec!["read".into()],
            identity: Identity::default(),
            tokens: Tokens {
                access_token: Secret::new(at.clone()),
                refresh_token: rt.clone().map(Secret::new),
                id_token: None,
                access_expires_at: ttl.map(|s| t0 + i64::from(s)),
                refresh_expires_at: None,
                scopes: None,
                token_type: "bearer".into(),
            },
            token_params: Vec::new(),
            idp: None,
            assertion_file: None,
            allowed_origins: Vec::new(),
        };
        let cred = self.creds.save_login(n).await.unwrap();
        assert!((t0..=now()).contains(&cred.status_changed_at));
        let generation = self.models[who].as_ref().map_or(1, |m| m.generation + 1);
        self.models[who] = Some(M {
            status: Status::Active,
            status_changed_at: cred.status_changed_at,
            access: at,
            refresh: rt,
            access_exp: ttl.map(|s| t0 + i64::from(s)),
            refresh_exp: None,
            generation,
            secret_lost: false,
        });
    }

    async fn refresh(&mut self, who: usize, force: bool, answer: Answer) {
        let name = NAMES[who];
        let requests = self.fake.requests();
        self.fake.script(answer);
        let t0 = now();
        let result = if force {
            self.creds
                .refresh(name, true)
                .await
                .map(|r| (r.token.token, Some((r.performed, r.failure))))
        } else {
            self.creds
                .valid_token(name, Duration::ZERO)
                .await
                .map(|t| (t.token, None))
        };
        let t1 = now();
        self.fake.clear_script();
        let asked = self.fake.requests() - requests;

        let Some(m) = self.models[who].as_mut() else {
            assert!(matches!(result, Err(Error::CredentialNotFound(_))));
            assert_eq!(asked, 0);
            return;
        };
        let needs_login = |r: &Result<_, Error>| matches!(r, Err(Error::NeedsLogin { .. }));
        if m.secret_lost || m.status == Status::NeedsLogin {
            assert!(needs_login(&result), "a dead credential gave a token");
            assert_eq!(asked, 0);
            return;
        }
        if !force && m.fresh(t0) {
            let (token, _) = result.expect("a fresh token is served");
            assert_eq!(token.expose(), m.access, "the current token, not a new one");
            assert_eq!(asked, 0, "no refresh for a fresh token");
            return;
        }
        if m.refresh.is_none() {
            // Nothing can renew it: a login is needed (the row is left as
            // it is; its health already says expired).
            assert!(needs_login(&result), "{:?}", result.err());
            assert_eq!(asked, 0);
            return;
        }
        assert_eq!(asked, 1, "exactly one refresh request");
        let row = self.store.db().get(name).unwrap().unwrap();
        match answer {
            Answer::Ok {
                rotate,
                ttl,
                refresh_ttl,
            } => {
                let (token, outcome) = result.expect("a successful refresh gives a token");
                if let Some((performed, failure)) = outcome {
                    assert!(performed && failure.is_none());
                }
                assert!(self.fake.issued(token.expose()));
                assert_ne!(token.expose(), m.access);
                m.access = token.expose().to_string();
                if rotate {
                    let set = self.store.tokens(name).unwrap().unwrap();
                    let new = set.refresh_token.expect("the rotated refresh token");
                    assert_ne!(Some(new.expose()), m.refresh.as_deref());
                    m.refresh = Some(new.expose().to_string());
                }
                let within = |got: Option<Timestamp>, secs: Option<u32>| match secs {
                    None => true,
                    Some(s) => {
                        got.is_some_and(|g| (t0 + i64::from(s)..=t1 + i64::from(s)).contains(&g))
                    }
                };
                assert!(within(row.access_expires_at, ttl));
                assert_eq!(row.access_expires_at.is_some(), ttl.is_some());
                m.access_exp = row.access_expires_at;
                if refresh_ttl.is_some() {
                    assert!(within(row.refresh_expires_at, refresh_ttl));
                    m.refresh_exp = row.refresh_expires_at;
                }
                m.generation += 1;
            }
            Answer::Unavailable => {
                // Transient: nothing changes; the current token serves
                // while it lasts.
                if m.access_exp.is_some_and(|e| e > t0) {
                    let (token, outcome) = result.expect("the current token still serves");
                    assert_eq!(token.expose(), m.access);
                    if let Some((performed, failure)) = outcome {
                        assert!(!performed && failure.is_some());
                    }
                } else {
                    let e = result.expect_err("no token to fall back on");
                    assert!(e.is_transient(), "{e}");
                }
            }
            Answer::InvalidGrant => {
                assert!(needs_login(&result));
                assert!((t0..=t1).contains(&row.status_changed_at));
                m.status = Status::NeedsLogin;
                m.status_changed_at = row.status_changed_at;
            }
        }
    }

    /// Time passes: every stored moment moves `secs` into the past.
    fn advance(&mut self, secs: u32) {
        let d = i64::from(secs);
        let conn = rusqlite::Connection::open(&self.db_path).unwrap();
        conn.busy_timeout(Duration::from_secs(5)).unwrap();
        conn.execute(
            "UPDATE credentials SET created_at = created_at - ?1, \
             last_used_at = last_used_at - ?1, last_refreshed_at = last_refreshed_at - ?1, \
             access_expires_at = access_expires_at - ?1, \
             refresh_expires_at = refresh_expires_at - ?1, \
             status_changed_at = status_changed_at - ?1",
            [d],
        )
        .unwrap();
        conn.execute("UPDATE events SET at = at - ?1", [d]).unwrap();
        for (i, name) in NAMES.iter().enumerate() {
            if let Some(mut set) = self.store.tokens(name).unwrap() {
                set.access_expires_at = set.access_expires_at.map(|e| e - d);
                self.store.put_tokens(name, &set).unwrap();
            }
            if let Some(m) = self.models[i].as_mut() {
                m.status_changed_at -= d;
                m.access_exp = m.access_exp.map(|e| e - d);
                m.refresh_exp = m.refresh_exp.map(|e| e - d);
            }
        }
    }

    fn check(&mut self, after: &Ev) {
        let t = now();
        for (i, name) in NAMES.iter().enumerate() {
            let row = self.store.db().get(name).unwrap();
            let set = self.store.tokens(name).unwrap();
            let Some(m) = &self.models[i] else {
                assert!(row.is_none(), "{name} should be gone after {after:?}");
                assert!(set.is_none(), "{name}'s secrets outlived its row");
                self.seen_generation[i] = None;
                continue;
            };
            let row = row.unwrap_or_else(|| panic!("{name} disappeared after {after:?}"));
            assert_eq!(row.status, m.status, "{name} after {after:?}");
            assert_eq!(row.health(t), m.health(t), "{name} health after {after:?}");
            assert_eq!(row.generation, m.generation, "{name}");
            if let Some(seen) = self.seen_generation[i] {
                assert!(row.generation >= seen, "generation went back");
            }
            self.seen_generation[i] = Some(row.generation);
            assert_eq!(row.status_changed_at, m.status_changed_at);
            assert_eq!(row.access_expires_at, m.access_exp);
            assert_eq!(row.refresh_expires_at, m.refresh_exp);
            if m.secret_lost {
                assert!(set.is_none());
                assert_eq!(
                    row.health(t),
                    Health::NeedsLogin,
                    "lost tokens read as valid"
                );
                continue;
            }
            let set = set.unwrap_or_else(|| panic!("{name}'s row claims tokens that are gone"));
            assert_eq!(set.generation, row.generation);
            assert_eq!(set.access_token.expose(), m.access);
            assert_eq!(set.access_expires_at, row.access_expires_at);
            assert_eq!(
                set.refresh_token.as_ref().map(|s| s.expose().to_string()),
                m.refresh,
                "the refresh token was lost or replaced"
            );
            assert_eq!(row.has_refresh_token, set.refresh_token.is_some());
            if let Some(rt) = &set.refresh_token {
                assert!(
                    self.fake.refresh_usable(rt.expose()),
                    "{name} keeps a refresh token the server has spent"
                );
            }
        }
        assert_eq!(self.fake.reused(), 0, "a spent refresh token was presented");
    }
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 40,
        max_shrink_iters: 200,
        ..ProptestConfig::default()
    })]

    #[test]
    fn credential_lifecycle_matches_the_model(
        events in prop::collection::vec(event(), 1..40)
    ) {
        support::shared_runtime().block_on(async {
            let mut w = World::new();
            for (who, ttl) in [(0, Some(3600)), (1, Some(60)), (2, None)] {
                let ev = Ev::Login { who, refresh: who != 2, ttl };
                w.step(ev).await;
                w.check(&ev);
            }
            for ev in events {
                w.step(ev).await;
                w.check(&ev);
            }
        });
    }
}
