//! Discovery documents and the checks made on them: protected resource
//! metadata (RFC 9728) and authorization server metadata (RFC 8414 / OIDC)
//! as serde reads them, `resource_matches`, `auth_server_metadata_urls`,
//! `canonical_url`, `canonical_server_url`, `Discovery::scopes` and
//! `Discovery::check_pkce`.
//!
//! Input: the MCP server URL as typed, a newline, then the JSON document
//! (read both as resource and as authorization server metadata).
#![no_main]

use libfuzzer_sys::fuzz_target;
use mcp_auth::mcp::auth::challenge::BearerChallenge;
use mcp_auth::mcp::auth::discovery::{
    AuthServerMetadata, Discovery, ResourceMetadata, Source, auth_server_metadata_urls,
    canonical_string, canonical_url, resource_matches,
};
use mcp_auth::mcp::canonical_server_url;
use url::Url;

fn check_canonical(raw: &str) {
    if let Ok(c) = canonical_server_url(raw) {
        // Canonical means canonical: a second pass changes nothing.
        assert_eq!(
            canonical_server_url(&c).ok(),
            Some(c.clone()),
            "from {raw:?}"
        );
        let u = Url::parse(&c).expect("the canonical form is a URL");
        assert!(matches!(u.scheme(), "http" | "https"));
        assert!(u.fragment().is_none());
    }
    if let Ok(server) = canonical_url(raw) {
        assert!(
            server.scheme() == "https" || mcp_auth::providers::is_loopback(&server),
            "plain http only on loopback: {server}"
        );
        // A server's own canonical URL is a resource that matches it.
        assert!(
            resource_matches(&canonical_string(&server), &server),
            "{server} does not match itself"
        );
    }
}

fn check_matches(resource: &str, server: &Url) {
    if resource_matches(resource, server) {
        let r = Url::parse(resource).expect("a matching resource is a URL");
        assert_eq!(r.scheme(), server.scheme());
        assert_eq!(
            r.host_str().map(str::to_ascii_lowercase),
            server.host_str().map(str::to_ascii_lowercase)
        );
        assert_eq!(r.port_or_known_default(), server.port_or_known_default());
        let rp = r.path().trim_end_matches('/');
        assert!(
            server.path().starts_with(rp),
            "{resource} is not a parent of {server}"
        );
    }
}

fn check_issuer_urls(issuer: &str) {
    let Ok(u) = Url::parse(issuer) else { return };
    if u.cannot_be_a_base() {
        return;
    }
    for m in auth_server_metadata_urls(&u) {
        // Never another host: the issuer check relies on it. (Compared
        // part by part: opaque origins of odd schemes never compare equal.)
        assert_eq!(
            (m.scheme(), m.host_str(), m.port()),
            (u.scheme(), u.host_str(), u.port()),
            "{m} from {u}"
        );
        assert!(m.query().is_none());
        assert!(
            m.path().starts_with("/.well-known/")
                || m.path().ends_with("/.well-known/openid-configuration"),
            "{m}"
        );
    }
}

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let (raw_server, doc) = text.split_once('\n').unwrap_or((&text, ""));
    check_canonical(raw_server);
    let server = canonical_url(raw_server).ok();

    let prm = serde_json::from_str::<ResourceMetadata>(doc).ok();
    let asm = serde_json::from_str::<AuthServerMetadata>(doc).ok();
    if let Some(p) = &prm {
        check_canonical(&p.resource);
        if let Some(server) = &server {
            check_matches(&p.resource, server);
        }
        for a in &p.authorization_servers {
            check_issuer_urls(a);
        }
    }
    if let Some(a) = &asm {
        check_issuer_urls(&a.issuer);
    }

    let Some(auth_server) = asm else { return };
    for source in [
        Source::Metadata,
        Source::LegacyMetadata,
        Source::LegacyDefaults,
    ] {
        for challenge in [
            None,
            Some(BearerChallenge {
                scope: Some(raw_server.to_string()),
                ..Default::default()
            }),
        ] {
            let d = Discovery {
                server_url: String::new(),
                resource: String::new(),
                resource_metadata: prm.clone(),
                issuer: auth_server.issuer.clone(),
                auth_server: auth_server.clone(),
                source,
                challenge: challenge.clone(),
            };
            let pkce = d.check_pkce().is_ok();
            let s256 = auth_server
                .code_challenge_methods_supported
                .as_ref()
                .is_some_and(|m| m.iter().any(|m| m == "S256"));
            assert_eq!(pkce, s256 || source == Source::LegacyDefaults);

            let scopes = d.scopes();
            let base: Vec<String> = match &challenge {
                Some(c) => c.scopes(),
                None => prm
                    .as_ref()
                    .and_then(|p| p.scopes_supported.clone())
                    .unwrap_or_default(),
            };
            // The strategy's scopes, in order, plus at most offline_access.
            assert!(scopes.starts_with(&base));
            assert!(scopes.len() <= base.len() + 1);
            if scopes.len() == base.len() + 1 {
                assert_eq!(scopes.last().map(String::as_str), Some("offline_access"));
                assert!(!base.is_empty() && !base.iter().any(|s| s == "offline_access"));
            }
        }
    }
});
