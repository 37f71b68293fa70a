//! What a person is told when something goes wrong, and what `--log-level
//! debug` shows: the real binary against the in-process fakes and against
//! tiny raw HTTP servers that answer with HTML.
//!
//! - `login` (MCP server and provider) logs each step at debug, to stderr
//!   or `--log-file`, and never a token, a secret, a code or a verifier;
//! - a bridge never logged in says so (and names the `login` to run),
//!   distinct from a credential that needs a new login;
//! - a server that asks for a token but publishes no OAuth metadata is
//!   named as such, not as a failed registration;
//! - a body that is not JSON is described by its content type, an HTML
//!   page by its title or the status line, never by its markup.
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

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;

use serde_json::{Value, json};
use support::bridge::{Bridge, Options};
use support::fake_as::{AsConfig, AsMetadataMode, FakeAs, McpKnobs, PrmMode};
use support::fake_server::{Behavior, FakeServer};
use support::home::Home;

/// A server that answers every request with `response` (raw HTTP) and
/// closes the connection; its URL ends in `/mcp`.
fn raw_server(response: String) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/mcp", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { return };
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut length = 0usize;
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap_or(0) == 0 {
                    break;
                }
                if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                    length = v.trim().parse().unwrap_or(0);
                }
                if line == "\r\n" {
                    break;
                }
            }
            let mut body = vec![0; length];
            let _ = reader.read_exact(&mut body);
            let _ = stream.write_all(response.as_bytes());
        }
    });
    url
}

fn http(status: &str, content_type: &str, body: &str) -> String {
    format!(
        "HTTP/1.1 {status}\r\ncontent-type: {content_type}\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    )
}

const STYLED_PAGE: &str = "<!DOCTYPE html><html><head><meta charset=utf-8>\
    <style>body{margin:0;padding:0;font:14px/1.4 -apple-system,sans-serif;background:#fafafa}\
    h1{font-weight:300}</style><title>502 Bad Gateway</title></head>\
    <body><h1>502 Bad Gateway</h1><hr><center>nginx</center></body></html>";

fn initialize(b: &mut Bridge) -> Value {
    let id = json!(0);
    b.send(&json!({"jsonrpc": "2.0", "id": id, "method": "initialize",
        "params": {"protocolVersion": "2025-06-18", "capabilities": {},
                   "clientInfo": {"name": "t", "version": "1"}}}));
    b.response(&id)
}

fn error_message(r: &Value) -> String {
    r["error"]["message"]
        .as_str()
        .unwrap_or_else(|| panic!("not an error: {r}"))
        .to_string()
}

#[test]
fn mcp_login_logs_each_step_at_debug_and_no_secret() {
    let fake = FakeAs::start(AsConfig::default());
    fake.set_mcp(McpKnobs::default());
    let home = Home::new();
    let log = home.path().join("login.log");
    home.run(&[
        "--log-level",
        "debug",
        "--log-file",
        log.to_str().unwrap(),
        "login",
        &fake.mcp_url(),
    ])
    .ok();
    let text = std::fs::read_to_string(&log).unwrap();
    let prm = format!(
        "{}/.well-known/oauth-protected-resource/mcp",
        fake.url.trim_end_matches('/')
    );
    for needle in [
        // The probe and its answer.
        "probing the server without a token",
        "the probe was answered",
        "status=401",
        "the server asks for a bearer token",
        // Discovery: each URL with its answer's status, then what was chosen.
        &format!("fetched the protected resource metadata url={prm} status=200"),
        "using this protected resource metadata",
        "fetched the authorization server metadata",
        "using this authorization server metadata",
        "token_endpoint=",
        // Registration.
        "registering a client (RFC 7591)",
        "client_id=dyn-1",
        // The redirect listener and where the browser is sent.
        "redirect_uri=http://127.0.0.1:",
        "authorization_host=127.0.0.1",
        // The callback and the exchange.
        "the callback came back with a code and the expected state",
        "exchanging the code for tokens",
        "the token endpoint issued tokens",
        "saving the credential",
    ] {
        assert!(text.contains(needle), "the log lacks {needle:?}:\n{text}");
    }
    assert_no_secrets(&home, &text);
    // To stderr, beside the person's messages (the login URL, which does
    // carry the state and the PKCE challenge, for the person to open).
    let again = home.run(&["--log-level", "debug", "login", &fake.mcp_url()]);
    let logged: String = again
        .ok()
        .stderr()
        .lines()
        .filter(|l| l.contains(" DEBUG ") || l.contains(" INFO ") || l.contains(" WARN "))
        .collect::<Vec<_>>()
        .join("\n");
    assert!(
        logged.contains("reusing the cached client registration"),
        "{logged}"
    );
    assert!(
        logged.contains("exchanging the code for tokens"),
        "{logged}"
    );
    assert_no_secrets(&home, &logged);
}

#[test]
fn provider_login_logs_each_step_at_debug_and_no_secret() {
    let fake = FakeAs::start(AsConfig {
        client_secret: Some("cs-SECRET-provider".into()),
        ..AsConfig::default()
    });
    let home = Home::new();
    home.write_config(&fake.provider_toml("acme"));
    let log = home.path().join("provider.log");
    let out = home
        .cmd()
        .env("ACME_SECRET", "cs-SECRET-provider")
        .args([
            "--log-level",
            "debug",
            "--log-file",
            log.to_str().unwrap(),
            "login",
            "acme",
            "--client-secret-env",
            "ACME_SECRET",
        ])
        .output()
        .unwrap();
    support::home::Run(out).ok();
    let text = std::fs::read_to_string(&log).unwrap();
    for needle in [
        "logging in to a provider",
        "provider=acme",
        &format!("token_endpoint={}/token", fake.url),
        "client_secret=true",
        "redirect_uri=http://127.0.0.1:",
        "authorization_host=127.0.0.1",
        "exchanging the code for tokens",
        "method=client_secret_post",
        "the token endpoint issued tokens",
        "refresh_token=true",
        "saving the credential",
    ] {
        assert!(text.contains(needle), "the log lacks {needle:?}:\n{text}");
    }
    assert!(!text.contains("cs-SECRET-provider"), "{text}");
    assert_no_secrets(&home, &text);
}

#[test]
fn device_login_logs_its_steps_and_no_secret() {
    let fake = FakeAs::start(AsConfig::default());
    fake.set_mcp(McpKnobs::default());
    let home = Home::new();
    let log = home.path().join("device.log");
    home.run(&[
        "--log-level",
        "debug",
        "--log-file",
        log.to_str().unwrap(),
        "login",
        &fake.mcp_url(),
        "--device",
    ])
    .ok();
    let text = std::fs::read_to_string(&log).unwrap();
    for needle in [
        "using this authorization server metadata",
        "registering a client (RFC 7591)",
        "redirect_uri=(device grant)",
        &format!(
            "starting the device authorization grant device_endpoint={}/device",
            fake.url
        ),
        "the token endpoint issued tokens",
        "saving the credential",
    ] {
        assert!(text.contains(needle), "the log lacks {needle:?}:\n{text}");
    }
    assert!(
        !text.contains("WDJB-MJHT"),
        "the user code was logged:\n{text}"
    );
    assert_no_secrets(&home, &text);
}

/// No access or refresh token the store holds, no authorization code of
/// the fake (`code-N`) and no PKCE verifier appear in `text`.
fn assert_no_secrets(home: &Home, text: &str) {
    let store = support::store(home.path());
    for c in store.db().list().unwrap() {
        let t = store.tokens(&c.name).unwrap().unwrap();
        assert!(
            !text.contains(t.access_token.expose()),
            "access token logged"
        );
        if let Some(r) = &t.refresh_token {
            assert!(!text.contains(r.expose()), "refresh token logged");
        }
    }
    assert!(
        !text.contains("at-"),
        "a token-like value was logged:\n{text}"
    );
    assert!(
        !text.contains("code-"),
        "an authorization code was logged:\n{text}"
    );
    for word in ["verifier", "code_challenge", "state="] {
        assert!(!text.contains(word), "{word} was logged:\n{text}");
    }
}

#[test]
fn never_logged_in_and_needs_a_new_login_are_told_apart() {
    let server = FakeServer::start(Behavior {
        bearer: true,
        ..Behavior::default()
    });
    // Nothing saved for the server.
    let mut b = Bridge::start_with(&server.url, Options::default().arg("--no-login"));
    let r = initialize(&mut b);
    assert_eq!(r["error"]["code"], -32001, "{r}");
    let msg = error_message(&r);
    assert!(
        msg.contains(&format!(
            "no credential for {}: run `mcp-auth login {}`",
            server.url, server.url
        )),
        "{msg}"
    );
    assert!(!msg.contains("needs a new login"), "{msg}");
    assert_eq!(
        r["error"]["data"]["hint"],
        format!("mcp-auth login {}", server.url)
    );

    // The CLI says the same for a URL.
    let home = Home::new();
    home.run(&["token", &server.url]).fails_with(
        5,
        &format!(
            "no credential for {}: run `mcp-auth login {}`",
            server.url, server.url
        ),
    );

    // Saved, but its token is refused and cannot be refreshed.
    let home = tempfile::tempdir().unwrap();
    support::seed_credential(
        home.path(),
        "fake",
        &server.url,
        &format!("{}/token", server.base),
        "at-refused",
        None,
    );
    let mut b = Bridge::start_with(
        &server.url,
        Options::default().home(home.path()).arg("--no-login"),
    );
    let msg = error_message(&initialize(&mut b));
    assert!(msg.contains("credential 'fake' needs a new login"), "{msg}");
    assert!(!msg.contains("no credential for"), "{msg}");
}

#[test]
fn a_server_without_any_oauth_metadata_is_named_as_such() {
    let fake = FakeAs::start(AsConfig::default());
    fake.set_mcp(McpKnobs {
        prm: PrmMode::None,
        as_metadata: AsMetadataMode::Missing,
        dcr: false,
        ..McpKnobs::default()
    });
    // The CLI.
    let home = Home::new();
    let run = home.run(&["login", &fake.mcp_url()]);
    run.fails_with(6, "this server publishes no OAuth metadata");
    assert!(!run.stderr().contains("http_404"), "{}", run.stderr());
    assert!(
        run.stderr()
            .contains(&format!("cannot log in to {}", fake.mcp_url())),
        "{}",
        run.stderr()
    );
    // The bridge's login on first use.
    let mut b = Bridge::start(&fake.mcp_url());
    let r = initialize(&mut b);
    let msg = error_message(&r);
    assert!(
        msg.contains("this server publishes no OAuth metadata"),
        "{msg}"
    );
    assert!(!msg.contains("client registration failed"), "{msg}");
}

#[test]
fn metadata_that_is_an_html_page_is_named_by_its_content_type_and_title() {
    let fake = FakeAs::start(AsConfig::default());
    fake.set_mcp(McpKnobs {
        as_metadata: AsMetadataMode::Html,
        ..McpKnobs::default()
    });
    let home = Home::new();
    let run = home.run(&["login", &fake.mcp_url()]);
    run.fails_with(
        6,
        "not JSON, content type text/html: an HTML page titled \"Sign in - Example SSO\"",
    );
    assert!(!run.stderr().contains("<style"), "{}", run.stderr());
}

#[test]
fn an_html_page_instead_of_json_names_the_content_type_and_its_title() {
    let url = raw_server(http(
        "200 OK",
        "text/html; charset=utf-8",
        &STYLED_PAGE.replace("502 Bad Gateway", "Company VPN"),
    ));
    let mut b = Bridge::start(&url);
    let msg = error_message(&initialize(&mut b));
    assert!(
        msg.contains(
            "(HTTP 200) is not JSON, content type text/html: an HTML page titled \"Company VPN\""
        ),
        "{msg}"
    );
    assert!(!msg.contains('<'), "raw HTML in the message: {msg}");
}

#[test]
fn html_error_pages_are_reduced_to_their_title_or_the_status_line() {
    let url = raw_server(http("502 Bad Gateway", "text/html", STYLED_PAGE));
    let mut b = Bridge::start(&url);
    let r = initialize(&mut b);
    let msg = error_message(&r);
    assert_eq!(r["error"]["data"]["httpStatus"], 502, "{r}");
    assert!(
        msg.contains("HTTP 502: an HTML page titled \"502 Bad Gateway\""),
        "{msg}"
    );
    assert!(!msg.contains('<') && !msg.contains("font:"), "{msg}");
    // The log line says the same, without a stray ": " of a field.
    let stderr = b.stderr_with("error=the MCP server answered HTTP 502");
    assert!(
        stderr.contains("error=the MCP server answered HTTP 502: an HTML page titled"),
        "{stderr}"
    );
    assert!(!stderr.contains("detail"), "{stderr}");

    // No title: the status line.
    let url = raw_server(http(
        "503 Service Unavailable",
        "text/html",
        "<html><head><style>p{}</style></head><body><p>down</p></body></html>",
    ));
    let mut b = Bridge::start(&url);
    let msg = error_message(&initialize(&mut b));
    assert!(msg.contains("HTTP 503 (Service Unavailable)"), "{msg}");
    assert!(!msg.contains('<'), "{msg}");
}
