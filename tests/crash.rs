//! Crash safety: SIGKILL the real binary during login, re-login, refresh,
//! revoke, prune and the daemon, at every write it makes, again and again
//! on the same store; after every kill the store must be consistent (see
//! `support::crash::check`), the next command must work, and a prune (with
//! the journal's grace period passed) must leave nothing behind.
//!
//! How the kills land: an inotify watch on the data directory counts the
//! command's changes (WAL and shared-memory writes, the secrets file's
//! temporary copy created, renamed, removed) and SIGKILLs it right after
//! the n-th, plus a few microseconds of jitter; n goes 1, 2, 3, ... until
//! the command finishes before its n-th change, so every step of its
//! writes gets a kill. A few more kills land at random times (network
//! steps included), and some while the server holds the refresh in flight.
//!
//! The authorization server replays the answer of a spent refresh token
//! (a reuse interval, as many real servers have), so even a kill between
//! the server answering and the answer being stored must recover with no
//! new login. `strict_server_kills_end_in_needs_login_never_in_a_broken_valid`
//! covers servers without one.
//!
//! `MCP_AUTH_CRASH_SWEEPS=N` repeats every sweep N times (default 1);
//! `MCP_AUTH_CRASH_RANDOM=N` sets the random-time kills per command
//! (default 6). The defaults take about half a minute on two cores.
#![allow(clippy::unwrap_used, clippy::expect_used)]

/// The support this crate uses (files in tests/support/, see its README.md);
/// helpers of these modules that this crate does not call are allowed.
#[allow(dead_code)]
mod support {
    pub mod crash;
    pub mod daemon;
    pub mod fake_as;
    pub mod home;
    pub mod seed;
    pub mod served;
    pub mod token_ledger; // fake_as needs it
    pub use seed::*;
}

use std::time::Duration;

use mcp_auth::model::{AuthMethod, Credential, GrantKind, Origin, Secret, Status, TokenSet, now};
use support::crash::{Fate, age_journal, check, check_clean, run_killed_at};
use support::fake_as::{AsConfig, FakeAs, McpKnobs};
use support::home::Home;

fn env_count(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn sweeps() -> usize {
    env_count("MCP_AUTH_CRASH_SWEEPS", 1)
}

fn randoms() -> usize {
    env_count("MCP_AUTH_CRASH_RANDOM", 6)
}

/// Microseconds of extra delay before the kill, varied per round.
fn jitter(round: usize) -> Duration {
    Duration::from_micros([0, 30, 150, 600][round % 4])
}

/// A small deterministic random number generator (xorshift), so a failing
/// run can be repeated.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n.max(1)
    }
}

struct Bench {
    server: FakeAs,
    home: Home,
    kills: usize,
}

impl Bench {
    fn new(config: AsConfig) -> Bench {
        let server = FakeAs::start(config);
        let home = Home::new();
        home.write_config(&server.provider_toml("acme"));
        home.run(&["login", "acme"]).ok();
        Bench {
            server,
            home,
            kills: 0,
        }
    }

    fn data(&self) -> std::path::PathBuf {
        self.home.path().join("data")
    }

    /// Runs `args` killed after the `nth` change; checks the invariants
    /// whatever happened.
    fn kill_at(&mut self, args: &[&str], nth: usize, delay: Duration, what: &str) -> Fate {
        let mut cmd = self.home.cmd();
        cmd.args(args);
        let (fate, out) = run_killed_at(cmd, &self.data(), nth, delay);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!stderr.contains("panicked"), "{what}: {stderr}");
        let killed = fate == Fate::Killed;
        if killed {
            self.kills += 1;
        }
        check(&self.home, what);
        // Every few kills, recovery runs as if the crash were long ago.
        if killed && self.kills.is_multiple_of(7) {
            self.recover_all(what);
        }
        fate
    }

    /// Ages the journal past its grace period and prunes: afterwards
    /// nothing is left to recover and no secret lacks an owner.
    fn recover_all(&self, what: &str) {
        age_journal(&self.home);
        self.home
            .run(&["tokens", "prune", "--retention-days", "3650"])
            .ok();
        check_clean(&self.home, &format!("{what}, after prune"));
    }

    /// Sweeps the kill point over every change `args` makes, until it
    /// makes fewer changes than the kill waits for.
    fn sweep(
        &mut self,
        label: &str,
        mut before: impl FnMut(&mut Bench, usize),
        args: impl Fn(usize) -> Vec<String>,
        mut after: impl FnMut(&mut Bench, usize, bool),
    ) {
        let mut landed = 0;
        for round in 1..=200 {
            before(self, round);
            let args = args(round);
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            let what = format!("{label}, killed after change {round}");
            let fate = self.kill_at(&args, round, jitter(round), &what);
            after(self, round, fate == Fate::Killed);
            match fate {
                Fate::Killed => landed += 1,
                // Finished in the microseconds the kill took: go on.
                Fate::Outran => {}
                Fate::Finished => {
                    eprintln!("{label}: {landed} kills, then it finished before change {round}");
                    return;
                }
            }
        }
        panic!("{label}: still making changes after 200");
    }

    /// Kills `args` at random times up to `within`.
    fn random_kills(
        &mut self,
        label: &str,
        rng: &mut Rng,
        within: Duration,
        mut before: impl FnMut(&mut Bench, usize),
        args: impl Fn(usize) -> Vec<String>,
        mut after: impl FnMut(&mut Bench, usize, bool),
    ) {
        for round in 0..randoms() {
            before(self, round);
            let args = args(round);
            let mut cmd = self.home.cmd();
            cmd.args(&args)
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::null());
            let mut child = cmd.spawn().unwrap();
            let wait = Duration::from_micros(rng.below(within.as_micros() as u64));
            std::thread::sleep(wait);
            let _ = child.kill();
            let status = child.wait().unwrap();
            let killed = !status.success();
            if killed {
                self.kills += 1;
            }
            check(&self.home, &format!("{label}, killed after {wait:?}"));
            after(self, round, killed);
        }
    }

    /// `token NAME` works: the credential survived.
    fn usable(&self, name: &str, what: &str) -> String {
        let run = self.home.run(&["token", name]);
        assert_eq!(run.code(), 0, "{what}: {}", run.stderr());
        let token = run.stdout().trim().to_string();
        assert!(
            self.server.access_token_valid(&token),
            "{what}: {name} gave a dead token"
        );
        token
    }

    /// A credential saved straight into the store, as a login would.
    fn seed(&self, name: &str, dead: bool) {
        let at = now();
        let exp = if dead { at - 45 * 86_400 } else { at + 3600 };
        let cred = Credential {
            name: name.into(),
            origin: Origin::Provider {
                provider: "acme".into(),
            },
            issuer: Some(self.server.url.clone()),
            resource: None,
            token_url: format!("{}/token", self.server.url),
            revocation_url: Some(format!("{}/revoke", self.server.url)),
            client_id: "test-client".into(),
            auth_method: AuthMethod::None,
            grant: GrantKind::AuthorizationCode,
            subject: None,
            username: Some("ada".into()),
            email: None,
            scopes: vec!["read".into()],
            has_refresh_token: false,
            created_at: exp - 3600,
            last_used_at: None,
            last_refreshed_at: None,
            access_expires_at: Some(exp),
            refresh_expires_at: None,
            status: Status::Active,
            status_changed_at: exp - 3600,
            last_error: None,
            generation: 1,
        };
        let tokens = TokenSet {
            generation: 1,
            access_token: Secret::new(format!("at-seeded-{name}")),
            refresh_token: None,
            id_token: None,
            client_secret: None,
            access_expires_at: Some(exp),
            client_assertion_alg: None,
            token_params: Vec::new(),
            idp: None,
            dpop_key: None,
            assertion_file: None,
        };
        support::store(self.home.path())
            .save_login(&cred, &tokens)
            .unwrap();
    }
}

fn strings(args: &[&str]) -> Vec<String> {
    args.iter().map(|s| s.to_string()).collect()
}

#[test]
fn kill_9_during_login_and_relogin_leaves_a_consistent_store() {
    let mut b = Bench::new(AsConfig {
        replay_spent: true,
        ..AsConfig::default()
    });
    let mut rng = Rng(0x5eed_1091);
    for sweep in 0..sweeps() {
        // A new credential: afterwards it exists and works, or does not
        // exist at all.
        let new_name = move |round: usize| format!("new-{sweep}-{round}");
        b.sweep(
            "login",
            |_, _| {},
            |round| strings(&["login", "acme", "--name", &new_name(round)]),
            |b, round, _| {
                let name = new_name(round);
                let run = b.home.run(&["token", &name]);
                match run.code() {
                    0 => assert!(b.server.access_token_valid(run.stdout().trim())),
                    4 => {}
                    _ => panic!("login of {name} killed: then {}", run.stderr()),
                }
            },
        );
        // A second login of the same credential: it always works after.
        b.sweep(
            "re-login",
            |_, _| {},
            |_| strings(&["login", "acme"]),
            |b, round, _| {
                b.usable("acme", &format!("re-login killed at {round}"));
            },
        );
        // An MCP server login with dynamic client registration and a
        // client secret: the server forgets its clients before each round,
        // so each login registers anew and replaces the cached client.
        b.server.set_mcp(McpKnobs {
            dcr_secret: true,
            as_auth_methods: vec!["client_secret_post".into()],
            ..McpKnobs::default()
        });
        let url = b.server.mcp_url();
        b.sweep(
            "MCP login with a registered client",
            |b, _| b.server.forget_registrations(),
            |_| strings(&["login", &url, "--name", "mcp"]),
            |b, _, _| {
                let run = b.home.run(&["token", "mcp"]);
                assert!(matches!(run.code(), 0 | 4), "{}", run.stderr());
            },
        );
        b.random_kills(
            "login at a random time",
            &mut rng,
            Duration::from_millis(250),
            |_, _| {},
            |_| strings(&["login", "acme"]),
            |b, _, _| {
                b.usable("acme", "login killed at random");
            },
        );
    }
    b.recover_all("login");
    assert_eq!(b.server.stats().reused_refresh_tokens, 0);
    eprintln!("login: {} kills landed", b.kills);
}

#[test]
fn kill_9_during_refresh_recovers_with_no_new_login() {
    let mut b = Bench::new(AsConfig {
        replay_spent: true,
        ..AsConfig::default()
    });
    let mut rng = Rng(0x5eed_2002);
    for _ in 0..sweeps() {
        for args in [
            &["tokens", "refresh", "acme"][..],
            &["token", "acme", "--min-valid", "2h"],
        ] {
            b.sweep(
                &format!("{args:?}"),
                |_, _| {},
                |_| strings(args),
                |b, round, _| {
                    // The stored refresh token still works: a forced
                    // refresh succeeds (replayed if the kill lost an answer).
                    let run = b.home.run(&["tokens", "refresh", "acme"]);
                    assert_eq!(run.code(), 0, "refresh killed at {round}: {}", run.stderr());
                    b.usable("acme", "after a killed refresh");
                },
            );
        }
        b.random_kills(
            "refresh at a random time",
            &mut rng,
            Duration::from_millis(120),
            |_, _| {},
            |_| strings(&["tokens", "refresh", "acme"]),
            |b, _, _| {
                b.usable("acme", "refresh killed at random");
                b.home.run(&["tokens", "refresh", "acme"]).ok();
            },
        );
        // Killed while the server holds the request: nothing was spent.
        for _ in 0..2 {
            b.server.set_hold(true);
            let before = b.server.stats().held;
            let mut child = b
                .home
                .cmd()
                .args(["tokens", "refresh", "acme"])
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::null())
                .spawn()
                .unwrap();
            assert!(support::daemon::eventually(Duration::from_secs(10), || {
                b.server.stats().held > before
            }));
            child.kill().unwrap();
            child.wait().unwrap();
            b.server.set_hold(false);
            check(&b.home, "refresh killed while held");
            b.home.run(&["tokens", "refresh", "acme"]).ok();
        }
    }
    b.recover_all("refresh");
    let shown = b
        .home
        .run(&["tokens", "show", "acme", "--json"])
        .ok()
        .json();
    assert_eq!(shown["health"], "valid");
    assert_eq!(b.server.stats().reused_refresh_tokens, 0);
    eprintln!(
        "refresh: {} kills landed, {} answers replayed",
        b.kills,
        b.server.stats().replays
    );
}

#[test]
fn kill_9_during_revoke_and_prune_leaves_nothing_prune_cannot_clean() {
    let mut b = Bench::new(AsConfig::default());
    let mut rng = Rng(0x5eed_3003);
    for sweep in 0..sweeps() {
        let victim = move |round: usize| format!("victim-{sweep}-{round}");
        b.sweep(
            "revoke",
            |b, round| b.seed(&victim(round), false),
            |round| strings(&["tokens", "revoke", &victim(round)]),
            |b, round, _| {
                // Kept (to be revoked again) or gone, never half of each.
                let name = victim(round);
                let run = b.home.run(&["tokens", "show", &name]);
                assert!(matches!(run.code(), 0 | 4), "{}", run.stderr());
                if run.code() == 0 {
                    b.home.run(&["tokens", "revoke", &name]).ok();
                }
            },
        );
        let dead = move |round: usize, i: usize| format!("dead-{sweep}-{round}-{i}");
        b.sweep(
            "prune",
            |b, round| {
                for i in 0..8 {
                    b.seed(&dead(round, i), true);
                }
            },
            |_| strings(&["tokens", "prune", "--retention-days", "30"]),
            |b, _, _| {
                b.home
                    .run(&["tokens", "prune", "--retention-days", "30"])
                    .ok();
                b.usable("acme", "prune killed");
            },
        );
        b.random_kills(
            "prune at a random time",
            &mut rng,
            Duration::from_millis(60),
            |b, round| {
                for i in 0..8 {
                    b.seed(&dead(1000 + round, i), true);
                }
            },
            |_| strings(&["tokens", "prune", "--retention-days", "30"]),
            // The next prune finishes what a killed one started, so what
            // is left at the end does not depend on where the last kill
            // landed.
            |b, _, killed| {
                if killed {
                    b.home
                        .run(&["tokens", "prune", "--retention-days", "30"])
                        .ok();
                }
            },
        );
    }
    b.recover_all("revoke and prune");
    let left = b.home.run(&["tokens", "list", "--json"]).ok().json();
    let names: Vec<&str> = left
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["acme"], "only the live credential is left");
    eprintln!("revoke and prune: {} kills landed", b.kills);
}

#[test]
fn kill_9_of_the_daemon_while_it_refreshes_and_prunes_loses_nothing() {
    // Tokens that live 2 s: the daemon refreshes each about every 1.3 s,
    // and prunes at start.
    let mut b = Bench::new(AsConfig {
        access_ttl: 2,
        replay_spent: true,
        ..AsConfig::default()
    });
    // Credentials dead for 45 days go with the daemon's prune at start.
    b.home.write_config(&format!(
        "retention_days = 30\n{}",
        b.server.provider_toml("acme")
    ));
    let names: Vec<String> = (0..4).map(|i| format!("d{i}")).collect();
    for n in &names {
        b.home.run(&["login", "acme", "--name", n]).ok();
    }
    let points: Vec<usize> = (1..=12).chain((15..=45).step_by(6)).collect();
    for _ in 0..sweeps() {
        for (i, &nth) in points.iter().enumerate() {
            b.seed(&format!("gone-{nth}-{i}"), true);
            let args = ["daemon", "run"];
            let what = format!("daemon killed after change {nth}");
            let fate = b.kill_at(&args, nth, jitter(i), &what);
            assert_eq!(fate, Fate::Killed, "{what}: the daemon exited by itself");
            for n in names.iter().chain(["acme".to_string()].iter()) {
                b.usable(n, &what);
            }
        }
    }
    b.recover_all("daemon");
    let left = b.home.run(&["tokens", "list", "--json"]).ok().json();
    assert!(
        left.as_array().unwrap().len() <= names.len() + 2,
        "the daemon's prunes deleted the dead credentials: {left}"
    );
    assert_eq!(b.server.stats().reused_refresh_tokens, 0);
    eprintln!("daemon: {} kills landed", b.kills);
}

#[test]
fn strict_server_kills_end_in_needs_login_never_in_a_broken_valid() {
    // Without a reuse interval, a kill after the server spent the refresh
    // token and before the answer was stored costs a login: the next
    // refresh is refused, the credential says it needs a login (exit 5),
    // and a login brings it back. Never a credential shown as valid whose
    // refresh cannot work after that refusal.
    let mut b = Bench::new(AsConfig::default());
    let mut lost = 0;
    b.sweep(
        "refresh against a strict server",
        |_, _| {},
        |_| strings(&["tokens", "refresh", "acme"]),
        |b, round, _| {
            let run = b.home.run(&["tokens", "refresh", "acme"]);
            if run.code() == 0 {
                b.usable("acme", "strict refresh killed");
                return;
            }
            lost += 1;
            assert!(
                run.stderr().contains("needs a new login"),
                "killed at {round}: {}",
                run.stderr()
            );
            b.home
                .run(&["token", "acme", "--min-valid", "2h"])
                .fails_with(5, "mcp-auth login acme");
            let shown = b
                .home
                .run(&["tokens", "show", "acme", "--json"])
                .ok()
                .json();
            assert_eq!(shown["health"], "needs_login");
            b.home.run(&["login", "acme"]).ok();
            b.usable("acme", "after a new login");
        },
    );
    eprintln!(
        "strict server: {} kills, {lost} landed between the server's answer and its storing",
        b.kills
    );
    b.recover_all("strict");
}
