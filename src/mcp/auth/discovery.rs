//! MCP authorization discovery: from a server URL (and the 401 challenge, if
//! any) to its protected resource metadata (RFC 9728) and its authorization
//! server's metadata (RFC 8414 / OpenID Connect Discovery), in the order the
//! MCP specification gives, with the checks that keep a hostile document
//! from redirecting the login:
//!
//! - a resource metadata document whose `resource` is not this server (or a
//!   parent path of it on the same origin) is refused before any
//!   authorization request;
//! - an authorization server document whose `issuer` is not the issuer the
//!   URL was built from is refused (2025-03-26 servers without resource
//!   metadata: same origin required);
//! - every endpoint must be https, or http on a loopback host;
//! - redirects are not followed, bodies are capped (see `oauth::http`).

use serde::Deserialize;
use url::Url;

use super::challenge::BearerChallenge;
use crate::error::{Error, Result};
use crate::oauth::http;
use crate::oauth::reach::{self, Reach};
use crate::providers::is_loopback;

/// The protocol version sent on discovery requests.
pub const PROTOCOL_VERSION: &str = "2025-11-25";

#[derive(Debug, Clone, Deserialize, Default)]
pub struct ResourceMetadata {
    pub resource: String,
    #[serde(default)]
    pub authorization_servers: Vec<String>,
    #[serde(default)]
    pub scopes_supported: Option<Vec<String>>,
    /// RFC 9728 §2: the DPoP proof algorithms the resource checks, and
    /// whether it takes only DPoP-bound tokens.
    #[serde(default)]
    pub dpop_signing_alg_values_supported: Option<Vec<String>>,
    #[serde(default)]
    pub dpop_bound_access_tokens_required: bool,
}

#[derive(Debug, Clone, Deserialize, Default)]
pub struct AuthServerMetadata {
    pub issuer: String,
    pub authorization_endpoint: Option<String>,
    pub token_endpoint: Option<String>,
    pub registration_endpoint: Option<String>,
    pub revocation_endpoint: Option<String>,
    pub device_authorization_endpoint: Option<String>,
    pub userinfo_endpoint: Option<String>,
    #[serde(default)]
    pub scopes_supported: Option<Vec<String>>,
    #[serde(default)]
    pub code_challenge_methods_supported: Option<Vec<String>>,
    #[serde(default)]
    pub token_endpoint_auth_methods_supported: Option<Vec<String>>,
    #[serde(default)]
    pub grant_types_supported: Option<Vec<String>>,
    #[serde(default)]
    pub authorization_response_iss_parameter_supported: bool,
    #[serde(default)]
    pub client_id_metadata_document_supported: bool,
    /// RFC 9449 §5.1: the algorithms the server binds tokens to; its
    /// presence is how a client learns that the server issues DPoP-bound
    /// tokens.
    #[serde(default)]
    pub dpop_signing_alg_values_supported: Option<Vec<String>>,
}

/// Where the authorization server's description came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// RFC 8414 or OpenID discovery, issuer checked.
    Metadata,
    /// A 2025-03-26 server: metadata at the server's root, same origin.
    LegacyMetadata,
    /// A 2025-03-26 server without metadata: the default endpoints.
    LegacyDefaults,
}

/// Everything discovery learnt about one MCP server.
#[derive(Debug, Clone)]
pub struct Discovery {
    /// The server URL in canonical form: what credentials are saved under.
    pub server_url: String,
    /// The RFC 8707 resource to request tokens for.
    pub resource: String,
    pub resource_metadata: Option<ResourceMetadata>,
    pub issuer: String,
    pub auth_server: AuthServerMetadata,
    pub source: Source,
    pub challenge: Option<BearerChallenge>,
}

impl Discovery {
    pub fn authorization_endpoint(&self) -> Result<&str> {
        self.auth_server
            .authorization_endpoint
            .as_deref()
            .ok_or_else(|| refuse("the authorization server has no authorization_endpoint"))
    }

    pub fn token_endpoint(&self) -> Result<&str> {
        self.auth_server
            .token_endpoint
            .as_deref()
            .ok_or_else(|| refuse("the authorization server has no token_endpoint"))
    }

    /// PKCE with S256 is required; metadata that does not offer it is
    /// refused. Servers with no metadata at all (2025-03-26 defaults) get
    /// S256 anyway.
    pub fn check_pkce(&self) -> Result<()> {
        if self.source == Source::LegacyDefaults {
            return Ok(());
        }
        let offers_s256 = self
            .auth_server
            .code_challenge_methods_supported
            .as_ref()
            .is_some_and(|m| m.iter().any(|m| m == "S256"));
        if offers_s256 {
            Ok(())
        } else {
            Err(refuse(
                "the authorization server does not advertise PKCE with S256 \
                 (code_challenge_methods_supported); refusing to log in without it",
            ))
        }
    }

    /// A new DPoP key when both ends take DPoP-bound tokens, else `None`
    /// (bearer tokens). Every login makes a new one, which is how a
    /// credential's key rotates.
    ///
    /// The authorization server must bind tokens to ES256 keys
    /// (`dpop_signing_alg_values_supported`, RFC 9449 §5.1), and the
    /// resource must take them: its challenge is a DPoP one (RFC 9449
    /// §7.1), or its metadata lists ES256 for proofs or requires bound
    /// tokens (RFC 9728 §2). An authorization server offering DPoP in front
    /// of a resource that knows only Bearer (oidc-provider before the
    /// Python SDK's resource server, say) keeps bearer tokens: a DPoP-bound
    /// token would be refused there.
    pub fn dpop_key(&self) -> Result<Option<crate::oauth::dpop::Key>> {
        let resource_takes_it = self.challenge.as_ref().is_some_and(|c| c.dpop)
            || self.resource_metadata.as_ref().is_some_and(|m| {
                m.dpop_bound_access_tokens_required
                    || crate::oauth::dpop::offered(m.dpop_signing_alg_values_supported.as_deref())
            });
        if resource_takes_it
            && crate::oauth::dpop::offered(
                self.auth_server
                    .dpop_signing_alg_values_supported
                    .as_deref(),
            )
        {
            crate::oauth::dpop::Key::generate().map(Some)
        } else {
            Ok(None)
        }
    }

    /// Scopes to request (MCP scope selection strategy): the challenge's,
    /// else all the resource supports, else none; `offline_access` added
    /// when the authorization server lists it, to ask for a refresh token,
    /// and never asked for when it does not list it, whoever suggested it
    /// (SEP-2207, MCP 2026-07-28 authorization,
    /// https://modelcontextprotocol.io/specification/2026-07-28/basic/authorization).
    pub fn scopes(&self) -> Vec<String> {
        let mut scopes: Vec<String> = match &self.challenge {
            Some(c) if c.scope.is_some() => c.scopes(),
            _ => self
                .resource_metadata
                .as_ref()
                .and_then(|m| m.scopes_supported.clone())
                .unwrap_or_default(),
        };
        let offered = self
            .auth_server
            .scopes_supported
            .as_ref()
            .is_some_and(|s| s.iter().any(|s| s == "offline_access"));
        if !offered {
            scopes.retain(|s| s != "offline_access");
        } else if !scopes.is_empty() && !scopes.iter().any(|s| s == "offline_access") {
            scopes.push("offline_access".to_string());
        }
        scopes
    }
}

fn refuse(message: impl Into<String>) -> Error {
    Error::protocol("MCP authorization discovery", message)
}

/// The server's canonical URL ([`crate::mcp::canonical_server_url`]),
/// refusing plain http beyond loopback: a login would send credentials
/// over it.
pub fn canonical_url(raw: &str) -> Result<Url> {
    let canonical = crate::mcp::canonical_server_url(raw)?;
    let url =
        Url::parse(&canonical).map_err(|e| Error::Usage(format!("{raw:?} is not a URL: {e}")))?;
    if url.scheme() == "http" && !is_loopback(&url) {
        return Err(Error::Usage(format!(
            "{raw} uses plain http; MCP servers other than loopback must use https"
        )));
    }
    Ok(url)
}

/// The canonical URL as a string (no lone trailing slash).
pub fn canonical_string(url: &Url) -> String {
    crate::mcp::canonical_server_url(url.as_str()).unwrap_or_else(|_| url.to_string())
}

/// Runs `fut`, the discovery or registration requests for the MCP server
/// at `server`, with host names resolving to public addresses only when
/// the server itself is on a public address: the address a name resolves
/// to is held to the same rule as an IP literal in [`check_endpoint`].
pub async fn guarded<F: std::future::Future>(server: &Url, fut: F) -> F::Output {
    let public = reach::of_server(server).await == Reach::Public;
    http::public_only(public, fut).await
}

/// An endpoint a server's metadata names, checked against that server
/// (`server`): https, or plain http on loopback when the server is on
/// loopback too; and an endpoint on this machine or a private network only
/// for a server that is there itself. Otherwise a remote server's metadata
/// could point registration or authorization at local services (SSRF, RFC
/// 9700 §4.1 and the MCP security best practices). IP literals and
/// `localhost` are judged here; the addresses other names resolve to are
/// judged when they are connected to (see [`guarded`]).
fn check_endpoint(server: &Url, what: &str, raw: &str) -> Result<Url> {
    let url = Url::parse(raw).map_err(|_| refuse(format!("{what} {raw:?} is not a URL")))?;
    let (at, from) = (reach::of_url(&url), reach::of_url(server));
    if at < Reach::Public && from == Reach::Public {
        return Err(refuse(format!(
            "{what} {raw} is on {}, but the MCP server is not; refusing to send anything there",
            if at == Reach::Loopback {
                "this machine"
            } else {
                "a private network"
            }
        )));
    }
    match url.scheme() {
        "https" => Ok(url),
        "http" if is_loopback(&url) && from == Reach::Loopback => Ok(url),
        _ => Err(refuse(format!(
            "{what} {raw} does not use https; refusing to send credentials to it"
        ))),
    }
}

/// Does the resource metadata's `resource` identify this server? Equal, or
/// a parent path on the same origin (one document can cover several
/// endpoints of a server).
pub fn resource_matches(resource: &str, server: &Url) -> bool {
    let Ok(r) = Url::parse(resource) else {
        return false;
    };
    if r.scheme() != server.scheme()
        || r.host_str().map(str::to_ascii_lowercase)
            != server.host_str().map(str::to_ascii_lowercase)
        || r.port_or_known_default() != server.port_or_known_default()
        || r.fragment().is_some()
    {
        return false;
    }
    let rp = r.path().trim_end_matches('/');
    let sp = server.path().trim_end_matches('/');
    sp == rp || sp.starts_with(&format!("{rp}/"))
}

/// Outcome of a GET for a metadata document.
enum Fetched<T> {
    Found(T),
    /// Not there (4xx, a redirect, or not a document of this kind).
    Absent(String),
}

async fn get_json<T: serde::de::DeserializeOwned>(url: &Url, what: &str) -> Result<Fetched<T>> {
    let client = http::client()?;
    let resp = client
        .get(url.clone())
        .header("accept", "application/json")
        .header("mcp-protocol-version", PROTOCOL_VERSION)
        .send()
        .await
        .map_err(|e| http::request_error(&format!("cannot fetch the {what} at {url}"), &e))?;
    let status = resp.status();
    tracing::debug!(%url, status = status.as_u16(), "fetched the {what}");
    if status.is_redirection() {
        return Ok(Fetched::Absent(format!(
            "{url} redirects elsewhere (not followed)"
        )));
    }
    if status.is_server_error() {
        return Err(Error::Protocol {
            context: format!("the {what} at {url}"),
            message: format!("the server answered HTTP {status}"),
        });
    }
    if !status.is_success() {
        return Ok(Fetched::Absent(format!("{url}: HTTP {status}")));
    }
    let content_type = resp
        .headers()
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let body = http::read_body(resp).await.map_err(|e| match e {
        http::TransportError::Http(e) => http::request_error(&format!("reading {url}"), &e),
        other => refuse(format!("the {what} at {url}: {other}")),
    })?;
    match serde_json::from_slice::<T>(&body) {
        Ok(doc) => Ok(Fetched::Found(doc)),
        Err(e) => {
            let why = match e.classify() {
                serde_json::error::Category::Data => "missing or mistyped fields".to_string(),
                _ => crate::body_text::not_json(content_type.as_deref(), &body),
            };
            let why = format!("{url} is not a valid {what} ({why})");
            tracing::debug!("{why}");
            Ok(Fetched::Absent(why))
        }
    }
}

/// The well-known URL with `suffix` inserted before the path (RFC 8414 §3,
/// RFC 9728 §3): `https://h/.well-known/<suffix>/<path>`.
fn path_inserted(base: &Url, suffix: &str) -> Url {
    let mut u = base.clone();
    let path = base.path().trim_end_matches('/');
    u.set_path(&format!("/.well-known/{suffix}{path}"));
    u.set_query(None);
    u.set_fragment(None);
    u
}

fn at_root(base: &Url, suffix: &str) -> Url {
    let mut u = base.clone();
    u.set_path(&format!("/.well-known/{suffix}"));
    u.set_query(None);
    u.set_fragment(None);
    u
}

/// RFC 9728: the challenge's `resource_metadata` first, then the
/// path-inserted well-known URL, then the root one.
pub async fn resource_metadata(
    server: &Url,
    challenge: Option<&BearerChallenge>,
) -> Result<Option<ResourceMetadata>> {
    let mut candidates = Vec::new();
    if let Some(u) = challenge.and_then(|c| c.resource_metadata.as_deref()) {
        candidates.push((check_endpoint(server, "resource_metadata", u)?, true));
    } else {
        if !server.path().trim_end_matches('/').is_empty() {
            candidates.push((path_inserted(server, "oauth-protected-resource"), false));
        }
        candidates.push((at_root(server, "oauth-protected-resource"), false));
    }
    let mut misses = Vec::new();
    for (url, named) in candidates {
        match get_json::<ResourceMetadata>(&url, "protected resource metadata").await? {
            Fetched::Found(doc) => {
                if !resource_matches(&doc.resource, server) {
                    return Err(refuse(format!(
                        "the protected resource metadata at {url} is for {:?}, not for {}; \
                         refusing to authorize (a server may not send your login elsewhere)",
                        doc.resource.chars().take(200).collect::<String>(),
                        canonical_string(server)
                    )));
                }
                tracing::debug!(
                    %url,
                    resource = %doc.resource,
                    authorization_servers = %doc.authorization_servers.join(" "),
                    scopes_supported = %doc.scopes_supported.as_deref().unwrap_or_default().join(" "),
                    "using this protected resource metadata"
                );
                return Ok(Some(doc));
            }
            // The server named this document itself: its absence is an error.
            Fetched::Absent(why) if named => {
                return Err(refuse(format!(
                    "the resource metadata the server points to is unusable: {why}"
                )));
            }
            Fetched::Absent(why) => misses.push(why),
        }
    }
    tracing::debug!(?misses, "no protected resource metadata");
    Ok(None)
}

/// RFC 8414 / OpenID discovery URLs for an issuer, in the MCP order.
pub fn auth_server_metadata_urls(issuer: &Url) -> Vec<Url> {
    let path = issuer.path().trim_end_matches('/');
    if path.is_empty() {
        vec![
            at_root(issuer, "oauth-authorization-server"),
            at_root(issuer, "openid-configuration"),
        ]
    } else {
        let mut appended = issuer.clone();
        appended.set_path(&format!("{path}/.well-known/openid-configuration"));
        appended.set_query(None);
        vec![
            path_inserted(issuer, "oauth-authorization-server"),
            path_inserted(issuer, "openid-configuration"),
            appended,
        ]
    }
}

fn same_issuer(a: &str, b: &str) -> bool {
    a.trim_end_matches('/') == b.trim_end_matches('/')
}

fn check_auth_server(server: &Url, doc: &AuthServerMetadata) -> Result<()> {
    for (what, url) in [
        ("authorization_endpoint", &doc.authorization_endpoint),
        ("token_endpoint", &doc.token_endpoint),
        ("registration_endpoint", &doc.registration_endpoint),
        ("revocation_endpoint", &doc.revocation_endpoint),
        (
            "device_authorization_endpoint",
            &doc.device_authorization_endpoint,
        ),
        ("userinfo_endpoint", &doc.userinfo_endpoint),
    ] {
        if let Some(u) = url {
            check_endpoint(server, what, u)?;
        }
    }
    Ok(())
}

/// Says which authorization server metadata a login goes on with.
fn log_auth_server(url: &Url, doc: &AuthServerMetadata) {
    let or_none = |v: &Option<String>| v.clone().unwrap_or_else(|| "-".into());
    tracing::debug!(
        %url,
        issuer = %doc.issuer,
        authorization_endpoint = %or_none(&doc.authorization_endpoint),
        token_endpoint = %or_none(&doc.token_endpoint),
        registration_endpoint = %or_none(&doc.registration_endpoint),
        "using this authorization server metadata"
    );
}

/// Fetches an issuer's metadata and checks that it names that issuer.
pub async fn auth_server_metadata(server: &Url, issuer: &str) -> Result<AuthServerMetadata> {
    let issuer_url = check_endpoint(server, "authorization server", issuer)?;
    let mut misses = Vec::new();
    for url in auth_server_metadata_urls(&issuer_url) {
        match get_json::<AuthServerMetadata>(&url, "authorization server metadata").await? {
            Fetched::Found(doc) => {
                if !same_issuer(&doc.issuer, issuer) {
                    return Err(refuse(format!(
                        "the metadata at {url} names issuer {:?}, not {issuer}; refusing it \
                         (possible mix-up attack)",
                        doc.issuer.chars().take(200).collect::<String>()
                    )));
                }
                check_auth_server(server, &doc)?;
                log_auth_server(&url, &doc);
                return Ok(doc);
            }
            Fetched::Absent(why) => misses.push(why),
        }
    }
    Err(refuse(format!(
        "no authorization server metadata for {issuer} ({})",
        misses.join("; ")
    )))
}

/// The authorization server the protected resource names now, when it is
/// no longer `issuer`: a credential is bound to the authorization server
/// that issued it, and when the resource's metadata stops listing that one
/// the credential (and the client registration behind it) is of no use
/// there. MCP 2026-07-28 authorization, SEP-2352
/// (https://modelcontextprotocol.io/specification/2026-07-28/basic/authorization):
/// the client re-registers and re-authorizes with the new server and never
/// presents the old server's client credentials to it. `None` when the
/// issuer is still listed, or the metadata cannot be read (then a refresh
/// at the old server is still the best try).
pub async fn moved_issuer(
    server_url: &str,
    challenge: Option<&BearerChallenge>,
    issuer: &str,
) -> Option<String> {
    let server = canonical_url(server_url).ok()?;
    match guarded(&server, resource_metadata(&server, challenge)).await {
        Ok(Some(prm)) if !prm.authorization_servers.iter().any(|a| a == issuer) => {
            prm.authorization_servers.first().cloned()
        }
        Ok(_) => None,
        Err(e) => {
            tracing::debug!(error = %e, "cannot re-read the protected resource metadata");
            None
        }
    }
}

/// The whole discovery for a server, given the challenge of its 401 if one
/// was seen.
pub async fn discover(server_url: &str, challenge: Option<BearerChallenge>) -> Result<Discovery> {
    let server = canonical_url(server_url)?;
    guarded(&server, discover_at(server.clone(), challenge)).await
}

async fn discover_at(server: Url, challenge: Option<BearerChallenge>) -> Result<Discovery> {
    let server_string = canonical_string(&server);
    if let Some(prm) = resource_metadata(&server, challenge.as_ref()).await? {
        let issuer = prm.authorization_servers.first().cloned().ok_or_else(|| {
            refuse("the protected resource metadata lists no authorization_servers")
        })?;
        let auth_server = auth_server_metadata(&server, &issuer).await?;
        return Ok(Discovery {
            server_url: server_string,
            resource: prm.resource.clone(),
            resource_metadata: Some(prm),
            issuer,
            auth_server,
            source: Source::Metadata,
            challenge,
        });
    }
    // 2025-03-26: the authorization base URL is the server's origin.
    let mut base = server.clone();
    base.set_path("/");
    base.set_query(None);
    let origin = canonical_string(&base);
    let legacy = at_root(&base, "oauth-authorization-server");
    let (auth_server, source) =
        match get_json::<AuthServerMetadata>(&legacy, "authorization server metadata").await? {
            Fetched::Found(doc) => {
                let same_origin = Url::parse(&doc.issuer)
                    .map(|u| u.origin() == base.origin())
                    .unwrap_or(false);
                if !same_origin {
                    return Err(refuse(format!(
                        "the metadata at {legacy} names issuer {:?}, which is not on {origin}; \
                         refusing it",
                        doc.issuer.chars().take(200).collect::<String>()
                    )));
                }
                check_auth_server(&server, &doc)?;
                log_auth_server(&legacy, &doc);
                (doc, Source::LegacyMetadata)
            }
            Fetched::Absent(_) => {
                tracing::debug!(
                    %origin,
                    "no metadata at all; trying the 2025-03-26 default endpoints \
                     /authorize, /token and /register"
                );
                (
                    AuthServerMetadata {
                        issuer: origin.clone(),
                        authorization_endpoint: Some(format!("{origin}/authorize")),
                        token_endpoint: Some(format!("{origin}/token")),
                        registration_endpoint: Some(format!("{origin}/register")),
                        ..AuthServerMetadata::default()
                    },
                    Source::LegacyDefaults,
                )
            }
        };
    Ok(Discovery {
        server_url: server_string.clone(),
        resource: server_string,
        resource_metadata: None,
        issuer: auth_server.issuer.clone(),
        auth_server,
        source,
        challenge,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(s: &str) -> Url {
        Url::parse(s).unwrap()
    }

    #[test]
    fn canonical_urls() {
        let u = canonical_url("HTTPS://MCP.Example.com:443/mcp#frag").unwrap();
        assert_eq!(canonical_string(&u), "https://mcp.example.com/mcp");
        let u = canonical_url("https://mcp.example.com/").unwrap();
        assert_eq!(canonical_string(&u), "https://mcp.example.com");
        assert!(canonical_url("http://mcp.example.com/mcp").is_err());
        assert!(canonical_url("http://localhost:3000/mcp").is_ok());
        assert!(canonical_url("ftp://x/").is_err());
        assert!(canonical_url("https://x").is_ok());
        assert!(canonical_url("not a url").is_err());
    }

    #[test]
    fn resource_matching() {
        let server = url("https://mcp.example.com/v1/mcp");
        assert!(resource_matches("https://mcp.example.com/v1/mcp", &server));
        assert!(resource_matches("https://mcp.example.com/v1/mcp/", &server));
        assert!(resource_matches("https://mcp.example.com/v1", &server));
        assert!(resource_matches("https://MCP.example.com:443", &server));
        assert!(!resource_matches("https://mcp.example.com/v1/m", &server));
        assert!(!resource_matches(
            "https://evil.example.com/v1/mcp",
            &server
        ));
        assert!(!resource_matches("http://mcp.example.com/v1/mcp", &server));
        assert!(!resource_matches(
            "https://mcp.example.com:8443/v1/mcp",
            &server
        ));
        assert!(!resource_matches(
            "https://mcp.example.com/v1/mcp#x",
            &server
        ));
        assert!(!resource_matches("garbage", &server));
    }

    #[test]
    fn metadata_urls_in_spec_order() {
        let with_path = auth_server_metadata_urls(&url("https://auth.example.com/tenant1"));
        let s: Vec<String> = with_path.iter().map(|u| u.to_string()).collect();
        assert_eq!(
            s,
            vec![
                "https://auth.example.com/.well-known/oauth-authorization-server/tenant1",
                "https://auth.example.com/.well-known/openid-configuration/tenant1",
                "https://auth.example.com/tenant1/.well-known/openid-configuration",
            ]
        );
        let root = auth_server_metadata_urls(&url("https://auth.example.com/"));
        let s: Vec<String> = root.iter().map(|u| u.to_string()).collect();
        assert_eq!(
            s,
            vec![
                "https://auth.example.com/.well-known/oauth-authorization-server",
                "https://auth.example.com/.well-known/openid-configuration",
            ]
        );
        assert_eq!(
            path_inserted(&url("https://h/public/mcp"), "oauth-protected-resource").as_str(),
            "https://h/.well-known/oauth-protected-resource/public/mcp"
        );
    }

    #[test]
    fn insecure_endpoints_are_refused() {
        let local = Url::parse("http://127.0.0.1:8/mcp").unwrap();
        assert!(check_endpoint(&local, "x", "http://auth.example.com/token").is_err());
        assert!(check_endpoint(&local, "x", "http://127.0.0.1:9/token").is_ok());
        assert!(check_endpoint(&local, "x", "javascript:alert(1)").is_err());
        let doc = AuthServerMetadata {
            issuer: "https://a".into(),
            token_endpoint: Some("http://a.example/token".into()),
            ..Default::default()
        };
        assert!(check_auth_server(&local, &doc).is_err());
    }

    #[test]
    fn a_remote_server_cannot_point_discovery_or_registration_at_local_services() {
        let remote = Url::parse("https://mcp.example.com/mcp").unwrap();
        for local in [
            "http://127.0.0.1:8080/register",
            "https://127.0.0.2/register",
            "https://localhost/register",
            "https://app.localhost/register",
            "https://10.0.0.5/register",
            "https://172.16.1.1/register",
            "https://192.168.1.1/register",
            "https://169.254.169.254/latest/meta-data",
            "https://100.64.0.1/register",
            "https://[::1]/register",
            "https://[fd00::1]/register",
            "https://[fe80::1]/register",
            "https://[::ffff:127.0.0.1]/register",
        ] {
            let e = check_endpoint(&remote, "registration_endpoint", local).unwrap_err();
            assert!(
                e.to_string().contains("but the MCP server is not"),
                "{local}: {e}"
            );
        }
        assert!(check_endpoint(&remote, "x", "https://auth.example.com/register").is_ok());
        // A server on a private network may use its network's endpoints,
        // over https; plain http is for loopback servers only.
        let lan = Url::parse("https://10.0.0.2/mcp").unwrap();
        assert!(check_endpoint(&lan, "x", "https://10.0.0.3/register").is_ok());
        assert!(check_endpoint(&lan, "x", "http://10.0.0.3/register").is_err());
        assert!(check_endpoint(&lan, "x", "http://127.0.0.1/register").is_err());
        let local = Url::parse("http://127.0.0.1:8/mcp").unwrap();
        assert!(check_endpoint(&local, "x", "https://192.168.1.1/register").is_ok());
        assert!(check_endpoint(&local, "x", "http://localhost:9/register").is_ok());
    }

    fn discovery(
        challenge: Option<&str>,
        prm_scopes: Option<Vec<&str>>,
        as_scopes: Option<Vec<&str>>,
    ) -> Discovery {
        Discovery {
            server_url: "https://m/mcp".into(),
            resource: "https://m/mcp".into(),
            resource_metadata: Some(ResourceMetadata {
                resource: "https://m/mcp".into(),
                authorization_servers: vec!["https://a".into()],
                scopes_supported: prm_scopes.map(|v| v.into_iter().map(String::from).collect()),
                ..Default::default()
            }),
            issuer: "https://a".into(),
            auth_server: AuthServerMetadata {
                issuer: "https://a".into(),
                scopes_supported: as_scopes.map(|v| v.into_iter().map(String::from).collect()),
                code_challenge_methods_supported: Some(vec!["S256".into()]),
                ..Default::default()
            },
            source: Source::Metadata,
            challenge: challenge.map(|s| BearerChallenge {
                scope: Some(s.into()),
                ..Default::default()
            }),
        }
    }

    #[test]
    fn scope_selection_follows_the_spec() {
        assert_eq!(
            discovery(Some("a b"), Some(vec!["x"]), None).scopes(),
            vec!["a", "b"]
        );
        assert_eq!(
            discovery(None, Some(vec!["x", "y"]), None).scopes(),
            vec!["x", "y"]
        );
        assert!(discovery(None, None, None).scopes().is_empty());
        assert_eq!(
            discovery(None, Some(vec!["x"]), Some(vec!["x", "offline_access"])).scopes(),
            vec!["x", "offline_access"]
        );
        // No scope at all stays no scope, even when offline_access exists.
        assert!(
            discovery(None, None, Some(vec!["offline_access"]))
                .scopes()
                .is_empty()
        );
    }

    /// SEP-2207: offline_access only when the authorization server lists
    /// it, even when the resource or its challenge suggests it.
    #[test]
    fn offline_access_is_never_asked_of_a_server_that_does_not_list_it() {
        assert_eq!(
            discovery(Some("a offline_access"), None, Some(vec!["a"])).scopes(),
            vec!["a"]
        );
        assert_eq!(
            discovery(None, Some(vec!["x", "offline_access"]), None).scopes(),
            vec!["x"]
        );
        assert_eq!(
            discovery(Some("a offline_access"), None, Some(vec!["offline_access"])).scopes(),
            vec!["a", "offline_access"]
        );
    }

    /// DPoP only when the authorization server binds ES256 keys and the
    /// resource takes bound tokens (its challenge or its metadata says).
    #[test]
    fn dpop_needs_both_the_authorization_server_and_the_resource() {
        let mut d = discovery(None, None, None);
        d.auth_server.dpop_signing_alg_values_supported = Some(vec!["ES256".into()]);
        assert!(d.dpop_key().unwrap().is_none(), "a Bearer-only resource");
        d.challenge = Some(BearerChallenge {
            dpop: true,
            ..Default::default()
        });
        assert!(d.dpop_key().unwrap().is_some(), "a DPoP challenge");
        d.challenge = None;
        if let Some(m) = d.resource_metadata.as_mut() {
            m.dpop_bound_access_tokens_required = true;
        }
        assert!(d.dpop_key().unwrap().is_some(), "required by the metadata");
        d.auth_server.dpop_signing_alg_values_supported = Some(vec!["RS256".into()]);
        assert!(d.dpop_key().unwrap().is_none(), "no ES256 at the server");
    }

    #[test]
    fn pkce_s256_is_required_when_metadata_exists() {
        let mut d = discovery(None, None, None);
        assert!(d.check_pkce().is_ok());
        d.auth_server.code_challenge_methods_supported = Some(vec!["plain".into()]);
        assert!(d.check_pkce().is_err());
        d.auth_server.code_challenge_methods_supported = None;
        assert!(d.check_pkce().is_err());
        d.source = Source::LegacyDefaults;
        assert!(d.check_pkce().is_ok());
    }
}
