//! Interop with a real authorization server nobody here wrote: oidc-provider
//! (a certified OpenID provider) with rotating refresh tokens and a short
//! access token lifetime. Login through its real login and consent forms,
//! `token`, two refreshes, revoke.
#![allow(clippy::unwrap_used, clippy::expect_used)]

/// The support this crate uses (files in tests/support/, see its README.md);
/// helpers of these modules that this crate does not call are allowed.
#[allow(dead_code)]
mod support {
    pub mod home;
    pub mod peers;
}

use support::home::Home;
use support::peers;

#[test]
fn login_token_refresh_twice_and_revoke_against_oidc_provider() {
    let peer = peers::start("oidc-provider.mjs", &[("ACCESS_TTL", "120")]);
    let issuer = peer.url.clone();
    let home = Home::new();
    home.write_config(&peers::oidc_provider_config(&issuer));
    let browser = peers::browser_command();

    let login = home
        .cmd()
        .env("MCP_AUTH_BROWSER", &browser)
        .args(["login", "oidc", "--json"])
        .output()
        .unwrap();
    let login = support::home::Run(login);
    login.ok();
    let saved = login.json();
    assert_eq!(saved["user"], "alice");
    assert_eq!(saved["email"], "alice@example.com");
    assert_eq!(saved["renewable"], true, "{saved}");

    let first = home
        .run(&["token", "oidc"])
        .ok()
        .stdout()
        .trim()
        .to_string();
    assert_eq!(peers::userinfo_status(&issuer, &first), 200);

    // The access token lives 2 min, so wanting an hour refreshes, each time
    // with the refresh token the previous refresh rotated in. Reusing a
    // spent one would make oidc-provider revoke the whole grant.
    let second = home
        .run(&["token", "oidc", "--min-valid", "1h"])
        .ok()
        .stdout()
        .trim()
        .to_string();
    let third = home
        .run(&["token", "oidc", "--min-valid", "1h"])
        .ok()
        .stdout()
        .trim()
        .to_string();
    assert_ne!(first, second);
    assert_ne!(second, third);
    assert_eq!(peers::userinfo_status(&issuer, &third), 200);
    let shown = home.run(&["tokens", "show", "oidc", "--json"]).ok().json();
    assert_eq!(shown["health"], "expiring_soon");
    assert_eq!(shown["generation"], 3);

    home.run(&["tokens", "revoke", "oidc"]).ok();
    assert_eq!(peers::userinfo_status(&issuer, &third), 401);
    home.run(&["token", "oidc"])
        .fails_with(4, "no credential named 'oidc'");
}

#[test]
fn device_grant_and_client_credentials_against_oidc_provider() {
    let peer = peers::start(
        "oidc-provider.mjs",
        &[("ACCESS_TTL", "120"), ("CLIENT_SECRET", "m2m-secret")],
    );
    let issuer = peer.url.clone();
    let home = Home::new();
    home.write_config(&format!(
        "{}device_authorization_url = \"{issuer}/device/auth\"\n",
        peers::oidc_provider_config(&issuer)
    ));
    // The device grant: the scripted browser plays the person on another
    // device, entering the code on the provider's real pages.
    let device = support::home::Run(
        home.cmd()
            .env("MCP_AUTH_BROWSER", peers::browser_command())
            .args(["login", "oidc", "--device", "--json"])
            .output()
            .unwrap(),
    );
    let saved = device.ok().json();
    assert_eq!(saved["grant"], "device_code");
    assert_eq!(saved["email"], "alice@example.com");
    assert!(
        device.stderr().contains("enter the code"),
        "{}",
        device.stderr()
    );
    let token = home
        .run(&["token", "oidc"])
        .ok()
        .stdout()
        .trim()
        .to_string();
    assert_eq!(peers::userinfo_status(&issuer, &token), 200);
    let refreshed = home
        .run(&["token", "oidc", "--min-valid", "1h"])
        .ok()
        .stdout()
        .trim()
        .to_string();
    assert_ne!(token, refreshed);

    // Client credentials, re-minted when the token is not valid long enough.
    let m2m = support::home::Run(
        home.cmd()
            .env("M2M_SECRET", "m2m-secret")
            .args([
                "login",
                "oidc",
                "--name",
                "m2m",
                "--grant",
                "client-credentials",
                "--client-id",
                "mcp-auth-test-m2m",
                "--client-secret-env",
                "M2M_SECRET",
                "--scope",
                "api",
                "--json",
            ])
            .output()
            .unwrap(),
    );
    let saved = m2m.ok().json();
    assert_eq!(saved["grant"], "client_credentials");
    assert_eq!(saved["token_endpoint_auth_method"], "client_secret_basic");
    let first = home.run(&["token", "m2m"]).ok().stdout();
    let second = home
        .run(&["token", "m2m", "--min-valid", "1h"])
        .ok()
        .stdout();
    assert_ne!(first, second);
}
