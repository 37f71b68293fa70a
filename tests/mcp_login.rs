//! `mcp-auth login <MCP server URL>` against the in-process fake: discovery
//! in the specification's order, dynamic registration reused per issuer,
//! PKCE and `resource`, and refusal of hostile metadata before any
//! authorization request is made.
#![allow(clippy::unwrap_used, clippy::expect_used)]

/// The support this crate uses (files in tests/support/, see its README.md);
/// helpers of these modules that this crate does not call are allowed.
#[allow(dead_code)]
mod support {
    pub mod fake_as;
    pub mod home;
    pub mod served;
    pub mod token_ledger; // fake_as needs it
}

use support::fake_as::{AsConfig, AsMetadataMode, FakeAs, McpKnobs, PrmMode};
use support::home::Home;

fn server(knobs: McpKnobs) -> (FakeAs, Home) {
    let fake = FakeAs::start(AsConfig::default());
    fake.set_mcp(knobs);
    (fake, Home::new())
}

fn name_of(fake: &FakeAs) -> String {
    let port = fake.url.rsplit(':').next().unwrap();
    format!("127.0.0.1-{port}")
}

/// POSTs to the fake's /mcp with the saved token: 200 when it is accepted.
fn mcp_status(fake: &FakeAs, token: &str) -> u16 {
    let out = std::process::Command::new("curl")
        .args([
            "-s",
            "-o",
            "/dev/null",
            "-w",
            "%{http_code}",
            "-X",
            "POST",
            "-H",
        ])
        .arg(format!("Authorization: Bearer {token}"))
        .args([
            "-H",
            "content-type: application/json",
            "-d",
            r#"{"jsonrpc":"2.0","id":1,"method":"ping"}"#,
        ])
        .arg(fake.mcp_url())
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout)
        .trim()
        .parse()
        .unwrap_or(0)
}

#[test]
fn discovers_registers_and_logs_in_with_resource_and_pkce() {
    let (fake, home) = server(McpKnobs::default());
    let run = home.run(&["login", &fake.mcp_url(), "--json"]);
    let saved = run.ok().json();
    assert_eq!(saved["kind"], "mcp_server");
    assert_eq!(saved["server_url"], fake.mcp_url());
    assert_eq!(saved["resource"], fake.mcp_url());
    assert_eq!(saved["issuer"], fake.url);
    assert_eq!(saved["client_id"], "dyn-1");
    assert_eq!(saved["user"], "ada");
    let stats = fake.stats();
    assert!(stats.errors.is_empty(), "{:?}", stats.errors);
    assert_eq!(stats.registrations, 1);
    assert_eq!(stats.pkce_failures, 0);
    assert_eq!(
        stats.last_resource.as_deref(),
        Some(fake.mcp_url().as_str())
    );
    assert_eq!(stats.last_scope.as_deref(), Some("mcp:read"));
    // The challenge named the metadata: the root location was never asked.
    assert!(!stats.metadata_requests.contains(&"prm-root".to_string()));

    let name = name_of(&fake);
    let token = home.run(&["token", &name]).ok().stdout().trim().to_string();
    assert_eq!(mcp_status(&fake, &token), 200);
    assert_eq!(mcp_status(&fake, "forged"), 401);

    // The redirect URI registered names the issuer in its path (RFC 9700
    // §4.4.2: an answer meant for another server's login cannot complete
    // this one).
    let db = rusqlite::Connection::open(home.database()).unwrap();
    let uri: String = db
        .query_row("SELECT redirect_uri FROM registrations", [], |r| r.get(0))
        .unwrap();
    let path = mcp_auth::oauth::loopback::callback_path_for(&fake.url);
    assert!(
        uri.starts_with("http://127.0.0.1:") && uri.ends_with(&path),
        "{uri}"
    );
    drop(db);

    // A second login reuses the registration.
    home.run(&["login", &fake.mcp_url()]).ok();
    assert_eq!(fake.stats().registrations, 1);
    // A server that forgot its clients: a registration made moments ago
    // is kept, even one that worked; the refusal is reported and nothing
    // is registered again (regression: a refusal right after registering
    // made mcp-auth register again and open the browser again, each time).
    fake.forget_registrations();
    home.run(&["login", &fake.mcp_url()])
        .fails_with(6, "invalid_client");
    assert_eq!(fake.stats().registrations, 1);
    // One that had worked and is not fresh is replaced, once.
    age_registrations(&home, 3600);
    home.run(&["login", &fake.mcp_url()]).ok();
    assert_eq!(fake.stats().registrations, 2);
}

/// Makes every cached registration `secs` older, as if made that long ago.
fn age_registrations(home: &Home, secs: i64) {
    let db = rusqlite::Connection::open(home.database()).unwrap();
    db.execute(
        "UPDATE registrations SET registered_at = registered_at - ?1",
        [secs],
    )
    .unwrap();
}

/// A registration that never got tokens is never taken for forgotten,
/// however old: the refusal is about something else.
#[test]
fn a_registration_that_never_worked_is_kept_on_invalid_client() {
    let (fake, home) = server(McpKnobs::default());
    home.run(&["login", &fake.mcp_url()]).ok();
    fake.forget_registrations();
    let db = rusqlite::Connection::open(home.database()).unwrap();
    db.execute("UPDATE registrations SET worked_at = NULL", [])
        .unwrap();
    age_registrations(&home, 3600);
    home.run(&["login", &fake.mcp_url()])
        .fails_with(6, "invalid_client");
    assert_eq!(fake.stats().registrations, 1);
}

#[test]
fn well_known_locations_are_tried_in_order() {
    let (fake, home) = server(McpKnobs {
        prm: PrmMode::RootOnly,
        ..McpKnobs::default()
    });
    home.run(&["login", &fake.mcp_url()]).ok();
    let asked = fake.stats().metadata_requests;
    assert_eq!(&asked[..3], ["prm-path", "prm-root", "as"], "{asked:?}");

    let (fake, home) = server(McpKnobs {
        prm: PrmMode::PathOnly,
        ..McpKnobs::default()
    });
    home.run(&["login", &fake.mcp_url()]).ok();
    assert_eq!(&fake.stats().metadata_requests[..2], ["prm-path", "as"]);
}

#[test]
fn servers_of_the_2025_03_26_revision_still_work() {
    // Metadata at the root, no resource metadata.
    let (fake, home) = server(McpKnobs {
        prm: PrmMode::None,
        ..McpKnobs::default()
    });
    let saved = home.run(&["login", &fake.mcp_url(), "--json"]).ok().json();
    assert_eq!(saved["issuer"], fake.url);
    // No metadata at all: the default endpoints.
    let (fake, home) = server(McpKnobs {
        prm: PrmMode::None,
        as_metadata: AsMetadataMode::Missing,
        ..McpKnobs::default()
    });
    home.run(&["login", &fake.mcp_url()]).ok();
    assert_eq!(fake.stats().registrations, 1);
    assert_eq!(fake.stats().code_exchanges, 1);
}

#[test]
fn scopes_come_from_the_challenge_then_the_metadata() {
    let (fake, home) = server(McpKnobs {
        challenge_scope: Some("mcp:write mcp:read".into()),
        as_scopes: Some(vec![
            "mcp:read".into(),
            "mcp:write".into(),
            "offline_access".into(),
        ]),
        ..McpKnobs::default()
    });
    home.run(&["login", &fake.mcp_url()]).ok();
    assert_eq!(
        fake.stats().last_scope.as_deref(),
        Some("mcp:write mcp:read offline_access")
    );

    let (fake, home) = server(McpKnobs {
        prm_scopes: None,
        ..McpKnobs::default()
    });
    home.run(&["login", &fake.mcp_url()]).ok();
    assert_eq!(fake.stats().last_scope, None, "no scope parameter at all");

    let (fake, home) = server(McpKnobs::default());
    home.run(&["login", &fake.mcp_url(), "--scope", "custom"])
        .ok();
    assert_eq!(fake.stats().last_scope.as_deref(), Some("custom"));
}

/// Each hostile server is refused with a clear message before the person
/// is sent to any login page.
#[test]
fn hostile_metadata_is_refused_before_authorizing() {
    let cases: Vec<(McpKnobs, &str)> = vec![
        (
            McpKnobs {
                prm_resource: Some("https://evil.example.com/mcp".into()),
                ..McpKnobs::default()
            },
            "not for",
        ),
        (
            McpKnobs {
                as_issuer: Some("https://evil.example.com".into()),
                ..McpKnobs::default()
            },
            "possible mix-up attack",
        ),
        (
            McpKnobs {
                as_pkce: Some(vec!["plain".into()]),
                ..McpKnobs::default()
            },
            "S256",
        ),
        (
            McpKnobs {
                as_pkce: None,
                ..McpKnobs::default()
            },
            "S256",
        ),
        (
            McpKnobs {
                as_metadata: AsMetadataMode::Redirect("https://evil.example.com/meta".into()),
                ..McpKnobs::default()
            },
            "redirects elsewhere (not followed)",
        ),
        (
            McpKnobs {
                as_metadata: AsMetadataMode::Huge,
                ..McpKnobs::default()
            },
            "larger than",
        ),
        (
            McpKnobs {
                as_metadata: AsMetadataMode::Malformed,
                ..McpKnobs::default()
            },
            "not a valid authorization server metadata",
        ),
        (
            McpKnobs {
                as_endpoint_base: Some("http://auth.example.com".into()),
                ..McpKnobs::default()
            },
            "does not use https",
        ),
    ];
    for (knobs, needle) in cases {
        let (fake, home) = server(knobs.clone());
        home.run(&["login", &fake.mcp_url()]).fails_with(6, needle);
        let stats = fake.stats();
        assert_eq!(stats.authorize_requests, 0, "{knobs:?}");
        assert_eq!(stats.registrations, 0, "{knobs:?}");
        assert_eq!(
            home.run(&["tokens", "list", "--json"]).json(),
            serde_json::json!([])
        );
    }
}

#[test]
fn pre_registered_clients_and_metadata_documents() {
    // No dynamic registration: a pre-registered client with its secret from
    // the environment, never the command line.
    let fake = FakeAs::start(AsConfig {
        client_id: "pre".into(),
        client_secret: Some("s3cret".into()),
        ..AsConfig::default()
    });
    fake.set_mcp(McpKnobs {
        dcr: false,
        as_auth_methods: vec!["client_secret_basic".into()],
        ..McpKnobs::default()
    });
    let home = Home::new();
    home.run(&["login", &fake.mcp_url()])
        .fails_with(2, "offers no dynamic client registration");
    let run = home
        .cmd()
        .args([
            "login",
            &fake.mcp_url(),
            "--client-id",
            "pre",
            "--client-secret-env",
            "PRE_SECRET",
            "--json",
        ])
        .env("PRE_SECRET", "s3cret")
        .output()
        .unwrap();
    let saved = support::home::Run(run).ok().json();
    assert_eq!(saved["client_id"], "pre");
    assert_eq!(saved["token_endpoint_auth_method"], "client_secret_basic");
    assert!(fake.stats().errors.is_empty(), "{:?}", fake.stats().errors);

    // A Client ID Metadata Document, when the server supports them.
    let (fake, home) = server(McpKnobs {
        cimd: true,
        ..McpKnobs::default()
    });
    let url = "https://client.example.com/mcp-auth.json";
    let saved = home
        .run(&[
            "login",
            &fake.mcp_url(),
            "--client-metadata-url",
            url,
            "--json",
        ])
        .ok()
        .json();
    assert_eq!(saved["client_id"], url);
    assert_eq!(fake.stats().registrations, 0);
}

#[test]
fn bad_server_urls_are_usage_errors() {
    let home = Home::new();
    home.run(&["login", "http://mcp.example.com/mcp"])
        .fails_with(2, "must use https");
    home.run(&["login", "ftp://x/y"])
        .fails_with(2, "only http:// and https:// server URLs");
    home.run(&["login", "http://127.0.0.1:9/mcp", "--domain", "x"])
        .fails_with(2, "apply to provider templates");
    home.run(&["login", "http://127.0.0.1:9/mcp"])
        .fails_with(7, "cannot reach");
}

/// A P-256 key as PKCS#8 PEM, and its public point for the fake to verify.
fn es256_key(dir: &std::path::Path) -> (std::path::PathBuf, Vec<u8>) {
    use base64::Engine;
    use ring::signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, KeyPair};
    let rng = ring::rand::SystemRandom::new();
    let doc = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng).unwrap();
    let pair =
        EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, doc.as_ref(), &rng).unwrap();
    let pem = format!(
        "-----BEGIN PRIVATE KEY-----\n{}\n-----END PRIVATE KEY-----\n",
        base64::engine::general_purpose::STANDARD.encode(doc.as_ref())
    );
    let path = dir.join("key.pem");
    std::fs::write(&path, pem).unwrap();
    (path, pair.public_key().as_ref().to_vec())
}

#[test]
fn machines_log_in_with_a_signed_assertion_and_re_mint() {
    let keydir = tempfile::tempdir().unwrap();
    let (key, public) = es256_key(keydir.path());
    let fake = FakeAs::start(AsConfig {
        client_id: "svc".into(),
        jwt_public_key: Some(public),
        ..AsConfig::default()
    });
    fake.set_mcp(McpKnobs {
        as_auth_methods: vec!["private_key_jwt".into()],
        ..McpKnobs::default()
    });
    let home = Home::new();
    let key = key.to_str().unwrap();
    let saved = home
        .run(&[
            "login",
            &fake.mcp_url(),
            "--grant",
            "client-credentials",
            "--client-id",
            "svc",
            "--private-key-file",
            key,
            "--json",
        ])
        .ok()
        .json();
    assert_eq!(saved["grant"], "client_credentials");
    assert_eq!(saved["token_endpoint_auth_method"], "private_key_jwt");
    assert_eq!(saved["renewable"], true);
    assert!(fake.stats().errors.is_empty(), "{:?}", fake.stats().errors);
    assert_eq!(
        fake.stats().authorize_requests,
        0,
        "no browser for a machine"
    );
    assert_eq!(
        fake.stats().last_resource.as_deref(),
        Some(fake.mcp_url().as_str())
    );
    // The key file can go: it is in the secret store, and renewals sign anew.
    drop(keydir);
    let name = name_of(&fake);
    let first = home.run(&["token", &name]).ok().stdout();
    let second = home
        .run(&["token", &name, "--min-valid", "2h"])
        .ok()
        .stdout();
    assert_ne!(first, second);
    assert_eq!(fake.stats().client_credentials, 2);
    assert_eq!(mcp_status(&fake, second.trim()), 200);
    // The key never reaches the database.
    let db = std::fs::read(home.database()).unwrap();
    assert!(!String::from_utf8_lossy(&db).contains("PRIVATE KEY"));
}

#[test]
fn machines_log_in_with_a_client_secret() {
    let fake = FakeAs::start(AsConfig {
        client_id: "svc".into(),
        client_secret: Some("machine-secret".into()),
        ..AsConfig::default()
    });
    fake.set_mcp(McpKnobs {
        as_auth_methods: vec!["client_secret_basic".into()],
        ..McpKnobs::default()
    });
    let home = Home::new();
    home.write_config(&fake.provider_toml("acme"));
    home.run(&[
        "login",
        "acme",
        "--grant",
        "client-credentials",
        "--client-id",
        "svc",
    ])
    .fails_with(2, "needs the client's secret");
    for target in ["acme".to_string(), fake.mcp_url()] {
        let run = home
            .cmd()
            .args([
                "login",
                &target,
                "--grant",
                "client-credentials",
                "--client-id",
                "svc",
                "--client-secret-env",
                "SVC_SECRET",
                "--json",
            ])
            .env("SVC_SECRET", "machine-secret")
            .output()
            .unwrap();
        let saved = support::home::Run(run).ok().json();
        assert_eq!(saved["token_endpoint_auth_method"], "client_secret_basic");
        assert_eq!(saved["user"], "svc");
    }
    assert!(fake.stats().errors.is_empty(), "{:?}", fake.stats().errors);
    home.run(&["token", "acme", "--min-valid", "2h"]).ok();
    assert_eq!(fake.stats().client_credentials, 3);
}
