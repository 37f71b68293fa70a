//! Workload identity (RFC 7523 jwt-bearer, `--grant jwt-bearer`): the
//! platform's identity token is the assertion; with `--assertion-file` the
//! file is read again at every renewal (by this process and by the
//! daemon), so a token the platform rotated in place is the one sent; with
//! `--assertion-env` the login says it cannot be renewed, and a renewal
//! asks for a new login. Against [`support::fake_dpop`], which also binds
//! the tokens to the credential's DPoP key.
#![allow(clippy::unwrap_used, clippy::expect_used)]

/// The support this crate uses (files in tests/support/, see its README.md);
/// helpers of these modules that this crate does not call are allowed.
#[allow(dead_code)]
mod support {
    pub mod daemon;
    pub mod fake_dpop;
    pub mod home;
    pub mod served;
}

use base64::Engine;
use support::fake_dpop::{FakeDpop, Knobs};
use support::home::Home;

fn name_of(fake: &FakeDpop) -> String {
    let port = fake.url.rsplit(':').next().unwrap();
    format!("127.0.0.1-{port}")
}

/// An identity token as a platform issues one (unsigned here: the fake
/// only records it).
fn jwt(sub: &str, n: u32) -> String {
    let b = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    format!(
        "{}.{}.sig{n}",
        b.encode(r#"{"alg":"RS256"}"#),
        b.encode(format!(r#"{{"sub":"{sub}","n":{n}}}"#))
    )
}

#[test]
fn the_token_file_is_read_again_at_each_renewal_also_by_the_daemon() {
    let fake = FakeDpop::start(Knobs::default());
    let home = Home::new();
    let file = home.path().join("identity-token");
    std::fs::write(&file, format!("{}\n", jwt("repo:acme/app", 1))).unwrap();
    home.run(&[
        "login",
        &fake.mcp_url(),
        "--grant",
        "jwt-bearer",
        "--client-id",
        "ci-workload",
        "--assertion-file",
        file.to_str().unwrap(),
    ])
    .ok();
    let name = name_of(&fake);
    let shown = home.run(&["tokens", "show", &name, "--json"]).ok().json();
    assert_eq!(shown["subject"], "repo:acme/app", "{shown}");
    assert_eq!(fake.seen().assertions, [jwt("repo:acme/app", 1)]);

    // The platform rotates the token in place; a renewal sends the new one.
    std::fs::write(&file, jwt("repo:acme/app", 2)).unwrap();
    home.run(&["tokens", "refresh", &name]).ok();
    assert_eq!(
        fake.seen().assertions.last().unwrap(),
        &jwt("repo:acme/app", 2)
    );

    // The daemon renews it the same way.
    std::fs::write(&file, jwt("repo:acme/app", 3)).unwrap();
    let daemon = support::daemon::Daemon::start(&home, &[]);
    home.run(&["tokens", "refresh", &name]).ok();
    let seen = fake.seen();
    assert_eq!(seen.assertions.last().unwrap(), &jwt("repo:acme/app", 3));
    assert_eq!(
        seen.grants, ["urn:ietf:params:oauth:grant-type:jwt-bearer"; 3],
        "no other grant, no refresh token"
    );
    assert!(seen.errors.is_empty(), "{:?}", seen.errors);
    let token = home.run(&["token", &name]).ok().stdout();
    assert!(token.starts_with("dpop-at-"), "{token}");
    drop(daemon);
}

#[test]
fn an_identity_token_from_the_environment_serves_one_login_and_says_so() {
    let fake = FakeDpop::start(Knobs::default());
    let home = Home::new();
    let mut cmd = home.cmd();
    let out = cmd
        .args([
            "login",
            &fake.mcp_url(),
            "--grant",
            "jwt-bearer",
            "--client-id",
            "job",
            "--assertion-env",
            "CI_IDENTITY_TOKEN",
        ])
        .env("CI_IDENTITY_TOKEN", jwt("job-7", 1))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(stderr.contains("cannot renew"), "{stderr}");
    home.run(&["tokens", "refresh", &name_of(&fake)])
        .fails_with(1, "--assertion-file");
    home.run(&[
        "login",
        &fake.mcp_url(),
        "--grant",
        "jwt-bearer",
        "--client-id",
        "job",
    ])
    .fails_with(2, "--assertion-file PATH or --assertion-env VAR");
}
