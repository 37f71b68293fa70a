//! Every provider template against a fake shaped like its provider
//! (support::fake_provider, which enforces what each provider documents):
//! login, refresh, revoke and the device flow for GitHub (OAuth app and
//! GitHub App, on an Enterprise Server host), Google, Microsoft, Okta, Auth0
//! and GitLab under a relative URL. Each login's redirect URI is compared
//! with the one `providers show --json` tells the user to register, in the
//! port too where the provider compares ports. Also: logins that cannot
//! work stop before the browser opens, `tokens import`, `tokens refresh
//! --scope`, and a refresh of a token that neither expires nor refreshes.
#![allow(clippy::unwrap_used, clippy::expect_used)]

/// The support this crate uses (files in tests/support/, see its README.md);
/// helpers of these modules that this crate does not call are allowed.
#[allow(dead_code)]
mod support {
    pub mod fake_provider;
    pub mod home;
    pub mod served;
}

use std::io::Write;
use std::process::Stdio;

use support::fake_provider::{FakeProvider, Registered, Shape};
use support::home::{Home, Run};

const SECRET_VAR: &str = "PROVIDER_TEST_CLIENT_SECRET";

/// Runs the binary with extra environment and, optionally, stdin.
fn run(home: &Home, args: &[&str], env: &[(&str, &str)], stdin: Option<&str>) -> Run {
    let mut cmd = home.cmd();
    cmd.args(args);
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
    if stdin.is_some() {
        cmd.stdin(Stdio::piped());
    }
    let mut child = cmd.spawn().unwrap();
    if let Some(input) = stdin {
        child
            .stdin
            .take()
            .unwrap()
            .write_all(input.as_bytes())
            .unwrap();
    }
    Run(child.wait_with_output().unwrap())
}

fn with_secret(home: &Home, args: &[&str]) -> Run {
    run(home, args, &[(SECRET_VAR, "s3cret")], None)
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// The redirect URI `providers show --json` says to register.
fn shown_redirect(home: &Home, args: &[&str]) -> (String, serde_json::Value) {
    let mut all = vec!["providers", "show"];
    all.extend_from_slice(args);
    all.push("--json");
    let shown = home.run(&all).ok().json();
    (shown["redirect_uri"].as_str().unwrap().to_string(), shown)
}

/// Fails when the login's redirect URI differs from the registered one in
/// scheme, host or path, or in the port where the provider matches ports.
#[track_caller]
fn assert_same_redirect(shown: &str, sent: &str, port_matched: bool) {
    let a = url::Url::parse(shown).unwrap();
    let b = url::Url::parse(sent).unwrap();
    assert_eq!(
        (a.scheme(), a.host_str(), a.path()),
        (b.scheme(), b.host_str(), b.path()),
        "shown {shown}, sent {sent}"
    );
    if port_matched {
        assert_eq!(a.port(), b.port(), "shown {shown}, sent {sent}");
        assert!(a.port().is_some(), "an exact URI names its port: {shown}");
    } else {
        assert_eq!(a.port(), None, "any port: nothing to register: {shown}");
    }
}

fn github(shape: Shape, secret: bool) -> (FakeProvider, Home) {
    let mut reg = Registered::new("Iv1.abc");
    reg.client_secret = Some("s3cret".into());
    let fake = FakeProvider::start(shape, reg);
    let home = Home::new();
    let mut toml = format!(
        "[providers.github]\nclient_id = \"Iv1.abc\"\ndomain = \"{}\"\n",
        fake.domain
    );
    if secret {
        toml.push_str(&format!("client_secret_env = \"{SECRET_VAR}\"\n"));
    }
    home.write_config(&toml);
    (fake, home)
}

#[test]
fn github_web_flow_without_the_secret_stops_before_the_browser() {
    let (fake, home) = github(Shape::GitHub, false);
    home.run(&["login", "github"])
        .fails_with(2, "--client-secret-env")
        .fails_with(2, "Enable Device Flow");
    assert_eq!(fake.stats().authorize_requests, 0, "no browser was opened");
    let shown = home
        .run(&["providers", "show", "github", "--json"])
        .ok()
        .json();
    assert_eq!(shown["client_secret_required"], true);
    assert_eq!(shown["device_client_secret_required"], false);
}

#[test]
fn github_oauth_app_on_enterprise_server_login_refresh_and_revoke() {
    let (fake, home) = github(Shape::GitHub, true);
    let login = with_secret(
        &home,
        &[
            "login", "github", "--scope", "repo", "--scope", "gist", "--json",
        ],
    );
    let saved = login.ok().json();
    let stats = fake.stats();
    assert!(stats.refused.is_empty(), "{:?}", stats.refused);
    assert_eq!(saved["user"], "octocat", "GHES API at /api/v3");
    // Comma-separated scopes in the answer, no expiry, no refresh token.
    assert_eq!(saved["scopes"], serde_json::json!(["repo", "gist"]));
    assert_eq!(saved["expires_at"], serde_json::Value::Null);
    assert_eq!(saved["renewable"], false);
    assert_eq!(saved["health"], "valid");
    let (shown, _) = shown_redirect(&home, &["github"]);
    assert_eq!(shown, "http://127.0.0.1/callback");
    assert_same_redirect(&shown, &stats.redirect_uris[0], false);

    // Nothing expires, nothing refreshes: said truthfully, exit 0.
    let refresh = home.run(&["tokens", "refresh", "github"]);
    assert!(
        refresh.ok().stdout().contains("nothing to refresh"),
        "{}",
        refresh.stdout()
    );
    let token = home.run(&["token", "github"]).ok().stdout();
    assert!(fake.access_live(token.trim()));

    // DELETE /applications/{client_id}/token with the secret.
    let revoke = with_secret(&home, &["tokens", "revoke", "github", "--json"]);
    let out = revoke.ok().json();
    assert_eq!(out[0]["ok"], true);
    assert!(
        out[0]["message"]
            .as_str()
            .unwrap()
            .contains("revoked at the provider")
    );
    assert!(!fake.access_live(token.trim()));
    home.run(&["tokens", "show", "github"])
        .fails_with(4, "no credential");

    // A token GitHub no longer knows (the user revoked the app): revoked.
    with_secret(&home, &["login", "github"]).ok();
    fake.forget_grants();
    let out = with_secret(&home, &["logout", "github", "--json"])
        .ok()
        .json();
    assert!(
        out[0]["message"]
            .as_str()
            .unwrap()
            .contains("no longer knew it"),
        "{out}"
    );
    home.run(&["tokens", "show", "github"])
        .fails_with(4, "no credential");
}

#[test]
fn github_app_tokens_expire_in_eight_hours_and_refresh_with_the_secret() {
    let (fake, home) = github(Shape::GitHubApp, true);
    let saved = with_secret(&home, &["login", "github", "--json"])
        .ok()
        .json();
    assert_eq!(saved["renewable"], true);
    let expires = saved["expires_at"].as_str().unwrap().to_string();
    assert!(!expires.is_empty());
    let first = home.run(&["token", "github"]).ok().stdout();
    // Valid for 8 hours, not 9: this refreshes, with the client secret.
    let second = with_secret(&home, &["token", "github", "--min-valid", "9h"])
        .ok()
        .stdout();
    assert_ne!(first, second);
    assert_eq!(fake.stats().refreshes, 1, "{:?}", fake.stats().refused);
    // The secret is kept with the credential in the secret store, so later
    // refreshes (the daemon's too) need no environment.
    home.run(&["tokens", "refresh", "github"]).ok();
    assert_eq!(fake.stats().refreshes, 2, "{:?}", fake.stats().refused);
}

#[test]
fn a_github_app_device_login_without_the_secret_warns_it_cannot_be_refreshed() {
    let (_fake, home) = github(Shape::GitHubApp, false);
    let login = home.run(&["login", "github", "--device", "--no-browser"]);
    assert!(
        login
            .ok()
            .stderr()
            .contains("refreshes tokens only with the client secret"),
        "{}",
        login.stderr()
    );
}

#[test]
fn github_device_flow_needs_no_secret_and_says_when_it_is_disabled() {
    let (fake, home) = github(Shape::GitHub, false);
    let login = home.run(&["login", "github", "--device", "--no-browser", "--json"]);
    let saved = login.ok().json();
    assert_eq!(saved["grant"], "device_code");
    assert_eq!(saved["user"], "octocat");
    assert!(login.stderr().contains("WDJB-MJHT"), "{}", login.stderr());
    assert_eq!(fake.stats().device_polls, 2);
    // No secret, so GitHub cannot be asked to revoke: said, and deleted.
    let out = home.run(&["logout", "github", "--json"]).ok().json();
    assert!(
        out[0]["message"]
            .as_str()
            .unwrap()
            .contains("Settings > Applications"),
        "{out}"
    );

    let mut reg = Registered::new("Iv1.abc");
    reg.device_enabled = false;
    let off = FakeProvider::start(Shape::GitHub, reg);
    home.run(&["login", "github", "--device", "--domain", &off.domain])
        .fails_with(6, "enable Device Flow");
}

fn google(device_client: bool) -> (FakeProvider, Home) {
    let mut reg = Registered::new("desktop.apps.googleusercontent.com");
    reg.client_secret = Some("s3cret".into());
    if device_client {
        reg.device_client_id = Some("tv.apps.googleusercontent.com".into());
    }
    let fake = FakeProvider::start(Shape::Google, reg);
    let home = Home::new();
    home.write_config(&fake.google_toml("desktop.apps.googleusercontent.com", Some(SECRET_VAR)));
    (fake, home)
}

#[test]
fn google_desktop_login_asks_for_offline_access_and_revokes_the_grant() {
    let (fake, home) = google(false);
    let saved = with_secret(&home, &["login", "google", "--json"])
        .ok()
        .json();
    assert_eq!(saved["user"], "ada");
    assert_eq!(
        saved["renewable"], true,
        "access_type=offline brought a refresh token"
    );
    let stats = fake.stats();
    let q = &stats.authorize_queries[0];
    assert_eq!(q.get("access_type").map(String::as_str), Some("offline"));
    assert_eq!(q.get("prompt").map(String::as_str), Some("consent"));
    let (shown, json) = shown_redirect(&home, &["google"]);
    assert_eq!(json["client_secret_required"], true);
    assert_same_redirect(&shown, &stats.redirect_uris[0], false);
    // Only the authorization request carries them: Google refuses unknown
    // parameters elsewhere.
    assert!(
        stats
            .token_forms
            .iter()
            .all(|f| !f.contains_key("access_type"))
    );

    // Refresh with the secret; Google's refresh token does not rotate.
    with_secret(&home, &["token", "google", "--min-valid", "2h"]).ok();
    with_secret(&home, &["token", "google", "--min-valid", "2h"]).ok();
    assert_eq!(fake.stats().refreshes, 2, "{:?}", fake.stats().refused);

    // Revoking the refresh token ends the grant; the access token then
    // answers 400 invalid_token, which counts as revoked.
    let out = with_secret(&home, &["tokens", "revoke", "google", "--json"])
        .ok()
        .json();
    assert_eq!(out[0]["ok"], true, "{out}");
    let stats = fake.stats();
    assert_eq!(stats.revoked.len(), 1);
    assert_eq!(stats.revoked_unknown, 1);
    home.run(&["tokens", "show", "google"])
        .fails_with(4, "no credential");

    // Already dead at Google: deleted here too, not kept as valid.
    with_secret(&home, &["login", "google"]).ok();
    fake.forget_grants();
    let out = with_secret(&home, &["logout", "google", "--json"])
        .ok()
        .json();
    assert!(
        out[0]["message"]
            .as_str()
            .unwrap()
            .contains("no longer knew it"),
        "{out}"
    );
    home.run(&["tokens", "show", "google"])
        .fails_with(4, "no credential");
}

#[test]
fn google_needs_its_secret_and_a_tv_client_for_the_device_flow() {
    let (fake, home) = google(true);
    home.run(&["login", "google"]).fails_with(2, SECRET_VAR);
    home.run(&["login", "google", "--device"])
        .fails_with(2, SECRET_VAR);
    home.write_config(&fake.google_toml("desktop.apps.googleusercontent.com", None));
    home.run(&["login", "google"])
        .fails_with(2, "--client-secret-env");
    home.run(&["login", "google", "--device"])
        .fails_with(2, "device flow needs");
    assert_eq!(fake.stats().authorize_requests, 0, "no browser was opened");
    home.write_config(&fake.google_toml("desktop.apps.googleusercontent.com", Some(SECRET_VAR)));
    // A Desktop client cannot use the device flow.
    with_secret(&home, &["login", "google", "--device", "--no-browser"])
        .fails_with(6, "Invalid client type")
        .fails_with(6, "TVs and Limited Input devices");
    let saved = with_secret(
        &home,
        &[
            "login",
            "google",
            "--device",
            "--no-browser",
            "--client-id",
            "tv.apps.googleusercontent.com",
            "--name",
            "google-tv",
            "--json",
        ],
    )
    .ok()
    .json();
    assert_eq!(saved["grant"], "device_code");
    assert_eq!(saved["renewable"], true);
    // A parameter Google's template does not take is an error.
    home.run(&["login", "google", "--domain", "example.com"])
        .fails_with(2, "--domain does not apply to google");
}

fn microsoft(single_tenant: Option<&str>) -> (FakeProvider, Home) {
    let mut reg = Registered::new("11111111-2222-3333-4444-555555555555");
    reg.redirect_uri = "http://localhost/callback".into();
    reg.single_tenant = single_tenant.map(str::to_string);
    let fake = FakeProvider::start(Shape::Microsoft, reg);
    let home = Home::new();
    home.write_config(&format!(
        "[providers.microsoft]\nclient_id = \"11111111-2222-3333-4444-555555555555\"\ndomain = \
         \"{}\"\n",
        fake.domain
    ));
    (fake, home)
}

#[test]
fn microsoft_uses_localhost_any_port_and_sends_the_scope_on_refresh() {
    let (fake, home) = microsoft(None);
    let saved = home.run(&["login", "microsoft", "--json"]).ok().json();
    assert_eq!(saved["user"], "ada");
    assert_eq!(saved["renewable"], true);
    let stats = fake.stats();
    assert!(stats.refused.is_empty(), "{:?}", stats.refused);
    assert_eq!(stats.prefixes[0], "common");
    let (shown, json) = shown_redirect(&home, &["microsoft"]);
    assert_eq!(shown, "http://localhost/callback");
    assert_eq!(json["client_secret_required"], false);
    assert_same_redirect(&shown, &stats.redirect_uris[0], false);

    home.run(&["token", "microsoft", "--min-valid", "2h"]).ok();
    let stats = fake.stats();
    assert_eq!(stats.refreshes, 1, "{:?}", stats.refused);
    let form = stats.token_forms.last().unwrap();
    assert!(form["scope"].contains("offline_access"), "{form:?}");

    // No revocation endpoint: said plainly, deleted here.
    let out = home.run(&["logout", "microsoft", "--json"]).ok().json();
    assert!(
        out[0]["message"]
            .as_str()
            .unwrap()
            .contains("no revocation endpoint"),
        "{out}"
    );

    let saved = home
        .run(&["login", "microsoft", "--device", "--no-browser", "--json"])
        .ok()
        .json();
    assert_eq!(saved["grant"], "device_code");
}

#[test]
fn microsoft_single_tenant_apps_are_told_to_pass_their_tenant() {
    let (fake, home) = microsoft(Some("contoso-tenant-id"));
    home.run(&["login", "microsoft"])
        .fails_with(6, "AADSTS50194")
        .fails_with(6, "--tenant");
    // Once Microsoft has said so, the next login stops before the browser.
    let asked = fake.stats().authorize_requests;
    home.run(&["login", "microsoft"])
        .fails_with(2, "single-tenant")
        .fails_with(2, "--tenant");
    assert_eq!(
        fake.stats().authorize_requests,
        asked,
        "no browser was opened"
    );
    home.run(&["login", "microsoft", "--device"])
        .fails_with(2, "--tenant");
    let saved = home
        .run(&[
            "login",
            "microsoft",
            "--tenant",
            "contoso-tenant-id",
            "--json",
        ])
        .ok()
        .json();
    assert_eq!(saved["user"], "ada");
    assert_eq!(fake.stats().prefixes.last().unwrap(), "contoso-tenant-id");
}

#[test]
fn okta_org_and_custom_servers_with_an_exact_redirect() {
    let port = free_port();
    let mut reg = Registered::new("0oa1okta");
    reg.redirect_uri = format!("http://127.0.0.1:{port}/callback");
    let fake = FakeProvider::start(Shape::Okta, reg);
    let home = Home::new();
    home.write_config(&format!(
        "[providers.okta]\nclient_id = \"0oa1okta\"\ndomain = \"{}\"\nredirect_port = {port}\n",
        fake.domain
    ));
    let saved = home.run(&["login", "okta", "--json"]).ok().json();
    assert_eq!(saved["user"], "ada");
    assert_eq!(saved["renewable"], true);
    let stats = fake.stats();
    assert!(stats.refused.is_empty(), "{:?}", stats.refused);
    assert_eq!(stats.prefixes[0], "default");
    let (shown, json) = shown_redirect(&home, &["okta"]);
    assert_eq!(json["redirect_match"], "exact");
    assert_same_redirect(&shown, &stats.redirect_uris[0], true);

    home.run(&["token", "okta", "--min-valid", "2h"]).ok();
    assert_eq!(fake.stats().refreshes, 1);
    let out = home
        .run(&["tokens", "revoke", "okta", "--json"])
        .ok()
        .json();
    assert!(
        out[0]["message"]
            .as_str()
            .unwrap()
            .contains("revoked at the provider"),
        "{out}"
    );
    assert!(!fake.stats().revoked.is_empty());

    // The org authorization server and a custom one.
    let saved = home
        .run(&["login", "okta", "--auth-server", "org", "--json"])
        .ok()
        .json();
    assert_eq!(saved["issuer"], fake.origin.as_str());
    home.run(&[
        "login",
        "okta",
        "--auth-server",
        "aus9custom",
        "--name",
        "custom",
    ])
    .ok();
    let prefixes = fake.stats().prefixes;
    assert!(prefixes.contains(&"org".to_string()), "{prefixes:?}");
    assert!(prefixes.contains(&"aus9custom".to_string()), "{prefixes:?}");
    let saved = home
        .run(&[
            "login",
            "okta",
            "--device",
            "--no-browser",
            "--name",
            "dev",
            "--json",
        ])
        .ok()
        .json();
    assert_eq!(saved["grant"], "device_code");
    assert_eq!(saved["renewable"], true);
}

#[test]
fn okta_and_auth0_register_a_fixed_documented_port() {
    let home = Home::new();
    for name in ["okta", "auth0"] {
        let (shown, json) = shown_redirect(&home, &[name, "--domain", "example.com"]);
        assert_eq!(shown, "http://127.0.0.1:18735/callback");
        assert_eq!(json["client_secret_required"], false);
    }
    let (shown, _) = shown_redirect(&home, &["gitlab"]);
    assert_eq!(shown, "http://127.0.0.1/callback");
}

#[test]
fn auth0_exact_redirect_audience_and_refresh_token_revocation() {
    let port = free_port();
    let mut reg = Registered::new("auth0-native");
    reg.redirect_uri = format!("http://127.0.0.1:{port}/callback");
    reg.audiences = vec!["https://api.example.com".into()];
    let fake = FakeProvider::start(Shape::Auth0, reg);
    let home = Home::new();
    home.write_config(&format!(
        "[providers.auth0]\nclient_id = \"auth0-native\"\ndomain = \"{}\"\nredirect_port = {port}\n",
        fake.domain
    ));
    home.run(&["login", "auth0", "--audience", "https://api.example.com"])
        .ok();
    let stats = fake.stats();
    assert!(stats.refused.is_empty(), "{:?}", stats.refused);
    let token = home.run(&["token", "auth0"]).ok().stdout();
    assert!(
        token.starts_with("eyJ.aud=https://api.example.com"),
        "{token}"
    );
    let (shown, _) = shown_redirect(&home, &["auth0", "--audience", "https://api.example.com"]);
    assert_same_redirect(&shown, &stats.redirect_uris[0], true);

    home.run(&["token", "auth0", "--min-valid", "2h"]).ok();
    assert_eq!(fake.stats().refreshes, 1);
    // Only the refresh token goes to /oauth/revoke; that ends the grant.
    let out = home
        .run(&["tokens", "revoke", "auth0", "--json"])
        .ok()
        .json();
    assert_eq!(out[0]["ok"], true, "{out}");
    let stats = fake.stats();
    assert_eq!(stats.revoked.len(), 1);
    assert!(stats.revoked[0].starts_with("rt-"));
    assert!(stats.refused.is_empty(), "{:?}", stats.refused);

    let saved = home
        .run(&[
            "login",
            "auth0",
            "--device",
            "--no-browser",
            "--audience",
            "https://api.example.com",
            "--json",
        ])
        .ok()
        .json();
    assert_eq!(saved["grant"], "device_code");
    home.run(&["login", "auth0", "--tenant", "x"])
        .fails_with(2, "--tenant does not apply to auth0");
}

#[test]
fn gitlab_under_a_relative_url_rotates_refresh_tokens() {
    let fake = FakeProvider::start(Shape::GitLab, Registered::new("gl-app"));
    let home = Home::new();
    home.write_config("[providers.gitlab]\nclient_id = \"gl-app\"\n");
    let saved = home
        .run(&["login", "gitlab", "--domain", &fake.domain, "--json"])
        .ok()
        .json();
    assert_eq!(saved["user"], "ada");
    let stats = fake.stats();
    assert!(stats.refused.is_empty(), "{:?}", stats.refused);
    let (shown, _) = shown_redirect(&home, &["gitlab", "--domain", &fake.domain]);
    assert_same_redirect(&shown, &stats.redirect_uris[0], false);

    // Each refresh spends the refresh token; none is reused.
    home.run(&["token", "gitlab", "--min-valid", "3h"]).ok();
    home.run(&["token", "gitlab", "--min-valid", "3h"]).ok();
    let stats = fake.stats();
    assert_eq!(stats.refreshes, 2);
    assert!(stats.refused.is_empty(), "{:?}", stats.refused);

    // More scopes: a new login for the union.
    home.write_config(&format!(
        "[providers.gitlab]\nclient_id = \"gl-app\"\ndomain = \"{}\"\n",
        fake.domain
    ));
    home.run(&["tokens", "refresh", "gitlab", "--scope", "api"])
        .ok();
    let stats = fake.stats();
    let scope = stats.authorize_queries.last().unwrap()["scope"].clone();
    assert!(
        scope.contains("api") && scope.contains("read_user"),
        "{scope}"
    );
    let shown = home
        .run(&["tokens", "show", "gitlab", "--json"])
        .ok()
        .json();
    assert!(
        shown["scopes"]
            .as_array()
            .unwrap()
            .contains(&serde_json::json!("api"))
    );

    let out = home
        .run(&["tokens", "revoke", "gitlab", "--json"])
        .ok()
        .json();
    assert!(
        out[0]["message"]
            .as_str()
            .unwrap()
            .contains("revoked at the provider"),
        "{out}"
    );
    let saved = home
        .run(&["login", "gitlab", "--device", "--no-browser", "--json"])
        .ok()
        .json();
    assert_eq!(saved["grant"], "device_code");
}

#[test]
fn gitlab_without_a_configured_domain_refuses_step_up_to_another_host() {
    let fake = FakeProvider::start(Shape::GitLab, Registered::new("gl-app"));
    let home = Home::new();
    home.write_config("[providers.gitlab]\nclient_id = \"gl-app\"\n");
    home.run(&["login", "gitlab", "--domain", &fake.domain])
        .ok();
    // gitlab.com is not where this credential came from.
    home.run(&["tokens", "refresh", "gitlab", "--scope", "api"])
        .fails_with(2, "template parameters");
}

#[test]
fn imported_personal_access_tokens_are_used_and_never_refreshed() {
    let (fake, home) = github(Shape::GitHub, false);
    let pat = fake.personal_access_token();
    let saved = run(
        &home,
        &[
            "tokens",
            "import",
            "gh-pat",
            "--provider",
            "github",
            "--json",
        ],
        &[],
        Some(&format!("{pat}\n")),
    )
    .ok()
    .json();
    assert_eq!(saved["user"], "octocat");
    assert_eq!(saved["grant"], "imported");
    assert_eq!(saved["health"], "valid");
    assert_eq!(home.run(&["token", "gh-pat"]).ok().stdout().trim(), pat);
    assert!(
        home.run(&["tokens", "refresh", "gh-pat"])
            .ok()
            .stdout()
            .contains("nothing to refresh")
    );
    // Never on the command line, and never echoed.
    let args = home
        .run(&["tokens", "show", "gh-pat", "--json"])
        .ok()
        .stdout();
    assert!(!args.contains(&pat));

    let saved = run(
        &home,
        &[
            "tokens",
            "import",
            "mcp",
            "--url",
            "https://mcp.example.com/mcp",
            "--json",
        ],
        &[],
        Some(r#"{"access_token":"at-imported","expires_in":3600}"#),
    )
    .ok()
    .json();
    assert_eq!(saved["kind"], "mcp_server");
    assert!(saved["expires_at"].is_string());
    run(
        &home,
        &[
            "tokens",
            "import",
            "x",
            "--url",
            "https://mcp.example.com/mcp",
        ],
        &[],
        Some(r#"{"access_token":"a","refresh_token":"r"}"#),
    )
    .fails_with(2, "--provider");
}

#[test]
fn an_imported_refresh_token_is_refreshed_with_the_providers_client() {
    let fake = FakeProvider::start(Shape::GitLab, Registered::new("gl-app"));
    let home = Home::new();
    home.write_config(&format!(
        "[providers.gitlab]\nclient_id = \"gl-app\"\ndomain = \"{}\"\n",
        fake.domain
    ));
    let (access, refresh) = fake.earlier_grant("read_user");
    let input = format!(
        r#"{{"access_token":"{access}","refresh_token":"{refresh}","expires_in":60,"scope":"read_user"}}"#
    );
    let saved = run(
        &home,
        &[
            "tokens",
            "import",
            "moved",
            "--provider",
            "gitlab",
            "--json",
        ],
        &[],
        Some(&input),
    )
    .ok()
    .json();
    assert_eq!(saved["renewable"], true);
    assert_eq!(saved["user"], "ada");
    let token = home
        .run(&["token", "moved", "--min-valid", "1h"])
        .ok()
        .stdout();
    assert_ne!(token.trim(), access);
    assert!(fake.access_live(token.trim()));
    assert_eq!(fake.stats().refreshes, 1, "{:?}", fake.stats().refused);
}

#[test]
fn a_host_without_a_scheme_gets_the_url_it_probably_meant() {
    let home = Home::new();
    home.run(&["login", "mcp.example.com"])
        .fails_with(2, "https://mcp.example.com");
}
