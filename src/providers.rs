//! Provider templates: what each provider documents, encoded once, and
//! their resolution with the config and flags into what one login uses.
//!
//! Each fact sits beside the URL of the documentation it comes from. A
//! template names the parameters it takes (`--domain`, `--tenant`,
//! `--auth-server`, `--audience`); giving one to a template that does not
//! take it is an error, so a wrong guess never silently logs in somewhere
//! else. Endpoints are built from those parameters here and nowhere else.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::config::{Config, ProviderConfig};
use crate::error::{Error, Result};

/// The port of the redirect URI for providers that compare ports too
/// (Okta, Auth0): a fixed, documented number the user registers, below
/// Linux's ephemeral range (32768-60999) so no outgoing connection holds it.
/// `redirect_port` in the config or `--port` picks another.
pub const FIXED_REDIRECT_PORT: u16 = 18735;

/// The path of every redirect URI (the loopback listener serves only it).
pub const REDIRECT_PATH: &str = crate::oauth::loopback::CALLBACK_PATH;

/// A template parameter, given as a flag or in `[providers.NAME]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Param {
    Domain,
    Tenant,
    AuthServer,
    Audience,
}

impl Param {
    pub fn flag(self) -> &'static str {
        match self {
            Param::Domain => "--domain",
            Param::Tenant => "--tenant",
            Param::AuthServer => "--auth-server",
            Param::Audience => "--audience",
        }
    }
}

/// How a provider compares the redirect URI a login sends with the
/// registered one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RedirectMatch {
    /// `http://127.0.0.1` and the path as registered, any port: the
    /// loopback rule of RFC 8252 §7.3.
    LoopbackAnyPort,
    /// `http://localhost` and the path as registered, any port.
    LocalhostAnyPort,
    /// Scheme, host, port and path exactly as registered.
    Exact,
}

impl RedirectMatch {
    pub fn port_matched(self) -> bool {
        self == RedirectMatch::Exact
    }

    fn host(self) -> &'static str {
        match self {
            RedirectMatch::LocalhostAnyPort => "localhost",
            _ => "127.0.0.1",
        }
    }
}

/// How tokens are revoked at the provider.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Revocation {
    /// RFC 7009: POST the token to the revocation endpoint.
    Rfc7009,
    /// RFC 7009's request, for refresh tokens only; revoking one ends the
    /// grant (access tokens are JWTs that live until they expire).
    RefreshTokenOnly,
    /// GitHub: `DELETE /applications/{client_id}/token` with the client id
    /// and secret as Basic credentials and the token in a JSON body.
    GitHubAppToken,
    /// The provider offers no endpoint an app can call.
    Unsupported,
}

/// A built-in provider: what its documentation says, as data.
#[derive(Debug, Clone, Copy)]
pub struct Template {
    pub name: &'static str,
    pub title: &'static str,
    /// The parameters it takes.
    pub params: &'static [Param],
    pub scopes: &'static [&'static str],
    /// Parameters of the authorization request only (never sent to the
    /// token or device endpoints, which may refuse unknown ones).
    pub authorize_params: &'static [(&'static str, &'static str)],
    pub redirect: RedirectMatch,
    /// The code exchange (and the refresh) needs the client secret.
    pub secret_for_code: bool,
    /// The device flow needs the client secret.
    pub secret_for_device: bool,
    /// A refresh sends the scopes again (`scope` is required there).
    pub scope_on_refresh: bool,
    pub revocation: Revocation,
    /// Where to register the client.
    pub register_url: &'static str,
    /// What to create there.
    pub register: &'static str,
    /// Settings to tick besides the redirect URI.
    pub settings: &'static [&'static str],
    /// What the device flow (`--device`) needs.
    pub device: &'static str,
    /// When a refresh token is issued.
    pub refresh: &'static str,
    /// What `tokens revoke` does there.
    pub revoke: &'static str,
}

pub const TEMPLATES: &[Template] = &[
    Template {
        name: "github",
        title: "GitHub",
        // GitHub Enterprise Server: the same OAuth paths on its own host,
        // the REST API under /api/v3.
        // https://docs.github.com/en/enterprise-server@latest/apps/oauth-apps/building-oauth-apps/authorizing-oauth-apps
        // https://docs.github.com/en/enterprise-server@latest/rest/quickstart
        params: &[Param::Domain],
        scopes: &["read:user"],
        authorize_params: &[],
        // "the redirect_uri does not need to match the port specified in
        // the callback URL" for loopback URLs; the path must be the
        // callback URL's or below it.
        // https://docs.github.com/en/apps/oauth-apps/building-oauth-apps/authorizing-oauth-apps#loopback-redirect-urls
        redirect: RedirectMatch::LoopbackAnyPort,
        // The web flow's code exchange requires client_secret, PKCE or not.
        // https://docs.github.com/en/apps/oauth-apps/building-oauth-apps/authorizing-oauth-apps#2-users-are-redirected-back-to-your-site-by-github
        // GitHub App user tokens expire after 8 hours; refreshing them
        // needs client_secret too.
        // https://docs.github.com/en/apps/creating-github-apps/authenticating-with-a-github-app/refreshing-user-access-tokens
        secret_for_code: true,
        // The device flow takes the client id alone.
        // https://docs.github.com/en/apps/oauth-apps/building-oauth-apps/authorizing-oauth-apps#device-flow
        secret_for_device: false,
        scope_on_refresh: false,
        // https://docs.github.com/en/rest/apps/oauth-applications#delete-an-app-token
        revocation: Revocation::GitHubAppToken,
        register_url: "https://github.com/settings/developers",
        register: "an OAuth app (or a GitHub App) with callback URL http://127.0.0.1/callback; \
                   generate a client secret and keep it in client_secret_env or \
                   `--client-secret-env VAR`",
        settings: &[],
        device: "tick \"Enable Device Flow\" in the app's settings; no client secret needed",
        refresh: "OAuth app tokens never expire and have no refresh token; GitHub App tokens \
                  expire after 8 hours and are refreshed with the client secret",
        revoke: "DELETE /applications/{client_id}/token with the client secret (device-flow \
                 logins without a secret: revoke in Settings > Applications)",
    },
    Template {
        name: "google",
        title: "Google",
        params: &[],
        scopes: &["openid", "email", "profile"],
        // A refresh token only with access_type=offline; prompt=consent so
        // a repeated login gets one again.
        // https://developers.google.com/identity/protocols/oauth2/web-server#offline
        authorize_params: &[("access_type", "offline"), ("prompt", "consent")],
        // Desktop clients accept any loopback port and path; nothing is
        // registered.
        // https://developers.google.com/identity/protocols/oauth2/native-app#redirect-uri_loopback
        redirect: RedirectMatch::LoopbackAnyPort,
        // The exchange and the refresh send client_secret, which for a
        // Desktop client "is obviously not treated as a secret".
        // https://developers.google.com/identity/protocols/oauth2/native-app#exchange-authorization-code
        secret_for_code: true,
        // https://developers.google.com/identity/protocols/oauth2/limited-input-device#step-4:-poll-googles-authorization-server
        secret_for_device: true,
        scope_on_refresh: false,
        // POST https://oauth2.googleapis.com/revoke; 200 when revoked, 400
        // with invalid_token for a token already dead; revoking either
        // token ends the grant.
        // https://developers.google.com/identity/protocols/oauth2/native-app#tokenrevoke
        revocation: Revocation::Rfc7009,
        register_url: "https://console.cloud.google.com/apis/credentials",
        register: "an OAuth client ID of type \"Desktop app\" (no redirect URI to enter: any \
                   loopback port works); keep its secret in client_secret_env",
        settings: &[
            "configure the OAuth consent screen and add yourself as a test user while \
                     the app is in testing",
        ],
        // Desktop clients cannot use the device flow: it needs a client of
        // type "TVs and Limited Input devices", and only some scopes.
        // https://developers.google.com/identity/protocols/oauth2/limited-input-device#allowedscopes
        device: "a separate OAuth client of type \"TVs and Limited Input devices\" (its id and \
                 secret); only openid, email, profile and a few API scopes are allowed",
        refresh: "with access_type=offline (sent); the refresh token does not rotate",
        revoke: "POST https://oauth2.googleapis.com/revoke; an already dead token counts as \
                 revoked",
    },
    Template {
        name: "microsoft",
        title: "Microsoft Entra ID",
        // --tenant: common, organizations, consumers, a tenant id or domain.
        // https://learn.microsoft.com/en-us/entra/identity-platform/v2-protocols#endpoints
        // --domain: the authority host of a national cloud
        // (login.microsoftonline.us, login.chinacloudapi.cn).
        // https://learn.microsoft.com/en-us/entra/identity-platform/authentication-national-cloud
        params: &[Param::Tenant, Param::Domain],
        // offline_access is what brings a refresh token.
        // https://learn.microsoft.com/en-us/entra/identity-platform/scopes-oidc#offline_access
        scopes: &["openid", "profile", "email", "offline_access"],
        authorize_params: &[],
        // Entra ignores the port of a localhost redirect URI and compares
        // the path; the portal takes http only for "localhost" (http with
        // 127.0.0.1 needs the app manifest), hence localhost here.
        // https://learn.microsoft.com/en-us/entra/identity-platform/reply-url#localhost-exceptions
        redirect: RedirectMatch::LocalhostAnyPort,
        // A "Mobile and desktop" (public) client has no secret.
        // https://learn.microsoft.com/en-us/entra/identity-platform/scenario-desktop-app-registration
        secret_for_code: false,
        secret_for_device: false,
        // `scope` is required on the refresh request.
        // https://learn.microsoft.com/en-us/entra/identity-platform/v2-oauth2-auth-code-flow#refresh-the-access-token
        scope_on_refresh: true,
        // The identity platform has no revocation endpoint for apps; a
        // user's refresh tokens end with revokeSignInSessions (Graph).
        // https://learn.microsoft.com/en-us/graph/api/user-revokesigninsessions
        revocation: Revocation::Unsupported,
        register_url: "https://entra.microsoft.com/#view/Microsoft_AAD_RegisteredApps",
        register: "an app registration with platform \"Mobile and desktop applications\" and \
                   redirect URI http://localhost/callback (Entra ignores the port of localhost)",
        settings: &[
            "a single-tenant app needs --tenant TENANT-ID (the default `common` answers \
                     AADSTS50194 for it)",
        ],
        // https://learn.microsoft.com/en-us/entra/identity-platform/v2-oauth2-device-code
        device: "set \"Allow public client flows\" to Yes under Authentication",
        refresh: "with the offline_access scope (requested by default); refresh tokens rotate",
        revoke: "no revocation endpoint: the credential is deleted here; end sessions in \
                 https://myaccount.microsoft.com or with Graph revokeSignInSessions",
    },
    Template {
        name: "okta",
        title: "Okta",
        // The org authorization server at https://DOMAIN/oauth2/v1, custom
        // ones (like `default`) at https://DOMAIN/oauth2/ID/v1.
        // https://developer.okta.com/docs/concepts/auth-servers/
        params: &[Param::Domain, Param::AuthServer],
        // https://developer.okta.com/docs/guides/refresh-tokens/main/#get-a-refresh-token
        scopes: &["openid", "profile", "email", "offline_access"],
        authorize_params: &[],
        // Sign-in redirect URIs are compared exactly, port included.
        // ("must match the value preregistered in Okta"; no loopback port
        // exception is documented)
        // https://developer.okta.com/docs/reference/api/oidc/#authorize
        redirect: RedirectMatch::Exact,
        // A Native app integration is a public client with PKCE.
        // https://developer.okta.com/docs/guides/implement-grant-type/authcodepkce/main/
        secret_for_code: false,
        secret_for_device: false,
        scope_on_refresh: false,
        // https://developer.okta.com/docs/guides/revoke-tokens/main/
        revocation: Revocation::Rfc7009,
        register_url: "https://login.okta.com",
        register: "an OIDC \"Native Application\" app integration (Admin Console > \
                   Applications > Create App Integration) with sign-in redirect URI \
                   http://127.0.0.1:18735/callback (exactly, port included)",
        settings: &[
            "grant types: Authorization Code and Refresh Token",
            "--auth-server default (the default) needs API Access Management; use \
                     --auth-server org for the org authorization server",
        ],
        // https://developer.okta.com/docs/guides/device-authorization-grant/main/
        device: "tick the \"Device Authorization\" grant type in the app integration",
        refresh: "with offline_access and the Refresh Token grant type ticked",
        revoke: "RFC 7009 at /v1/revoke",
    },
    Template {
        name: "auth0",
        title: "Auth0",
        params: &[Param::Domain, Param::Audience],
        // https://auth0.com/docs/secure/tokens/refresh-tokens/get-refresh-tokens
        scopes: &["openid", "profile", "email", "offline_access"],
        authorize_params: &[],
        // Allowed Callback URLs are compared exactly, port included.
        // https://auth0.com/docs/get-started/applications/application-settings#application-uris
        redirect: RedirectMatch::Exact,
        // A Native application authenticates with PKCE, no secret.
        // https://auth0.com/docs/get-started/authentication-and-authorization-flow/authorization-code-flow-with-pkce
        secret_for_code: false,
        secret_for_device: false,
        scope_on_refresh: false,
        // /oauth/revoke takes refresh tokens; revoking one revokes the
        // grant. Access tokens (JWTs) cannot be revoked.
        // https://auth0.com/docs/secure/tokens/refresh-tokens/revoke-refresh-tokens
        revocation: Revocation::RefreshTokenOnly,
        register_url: "https://manage.auth0.com",
        register: "a \"Native\" application (Applications > Create Application) with Allowed \
                   Callback URL \
                   http://127.0.0.1:18735/callback (exactly, port included)",
        settings: &[
            "for an API: --audience API-IDENTIFIER, and \"Allow Offline Access\" on \
                     that API for refresh tokens",
        ],
        // https://auth0.com/docs/get-started/authentication-and-authorization-flow/device-authorization-flow
        device: "tick the \"Device Code\" grant type (Advanced Settings > Grant Types)",
        refresh: "with offline_access (requested) and, for an API, its \"Allow Offline Access\"",
        revoke: "the refresh token at /oauth/revoke, which ends the grant",
    },
    Template {
        name: "gitlab",
        title: "GitLab",
        // Self-managed instances, also under a relative URL
        // (https://example.com/gitlab).
        // https://docs.gitlab.com/install/relative_url/
        params: &[Param::Domain],
        scopes: &["openid", "profile", "email", "read_user"],
        authorize_params: &[],
        // GitLab's OAuth is Doorkeeper's, which matches loopback IP
        // redirect URIs with any port (RFC 8252 §7.3) since 2019.
        // https://docs.gitlab.com/api/oauth2/
        // https://github.com/doorkeeper-gem/doorkeeper/issues/1170
        redirect: RedirectMatch::LoopbackAnyPort,
        // A non-confidential application uses PKCE without a secret.
        // https://docs.gitlab.com/api/oauth2/#authorization-code-with-proof-key-for-code-exchange-pkce
        secret_for_code: false,
        secret_for_device: false,
        scope_on_refresh: false,
        // https://docs.gitlab.com/api/oauth2/#revoke-a-token
        revocation: Revocation::Rfc7009,
        register_url: "https://gitlab.com/-/user_settings/applications",
        register: "an application, \"Confidential\" unticked, with redirect URI \
                   http://127.0.0.1/callback",
        settings: &[],
        // https://docs.gitlab.com/api/oauth2/#device-authorization-grant-flow
        device: "GitLab 17.1 or later; nothing to tick",
        // Access tokens expire after two hours; each refresh rotates the
        // refresh token.
        // https://docs.gitlab.com/api/oauth2/#access-token-expiration
        refresh: "always; access tokens last 2 hours and each refresh rotates the refresh token",
        revoke: "RFC 7009 at /oauth/revoke",
    },
];

pub fn template(name: &str) -> Option<&'static Template> {
    TEMPLATES.iter().find(|t| t.name == name)
}

/// The template a provider name resolves to (itself, or `template =` in
/// its config table).
pub fn template_of(name: &str, config: &Config) -> Option<&'static Template> {
    match config
        .providers
        .get(name)
        .and_then(|c| c.template.as_deref())
    {
        Some(base) => template(base),
        None => template(name),
    }
}

/// Everything one login with a provider needs, resolved.
#[derive(Debug, Clone, Serialize)]
pub struct Provider {
    pub name: String,
    /// The built-in template it is based on, if any.
    pub template: Option<String>,
    pub authorize_url: String,
    pub token_url: String,
    pub device_authorization_url: Option<String>,
    pub revocation_url: Option<String>,
    pub revocation: Revocation,
    pub userinfo_url: Option<String>,
    pub issuer: Option<String>,
    pub client_id: Option<String>,
    /// Where the client secret comes from, never the secret itself.
    pub client_secret_source: Option<SecretSource>,
    /// A browser login cannot work without the client secret.
    pub client_secret_required: bool,
    /// `--device` cannot work without the client secret.
    pub device_client_secret_required: bool,
    pub scopes: Vec<String>,
    /// Parameters of the authorization and device requests.
    pub extra_params: BTreeMap<String, String>,
    /// Parameters of the authorization request only.
    pub authorize_params: BTreeMap<String, String>,
    /// The redirect URI to register; a login sends it with its port.
    pub redirect_uri: String,
    pub redirect_match: RedirectMatch,
    /// The listener's port: fixed where the provider compares ports,
    /// else any free one unless configured.
    pub redirect_port: Option<u16>,
    /// A refresh sends the granted scopes again.
    pub scope_on_refresh: bool,
    /// Where and how to register, for `providers show` and hints.
    pub registration: Option<RegistrationGuide>,
    /// Origins its tokens may be sent to by the bridge: the template's API
    /// origins, or `api_origins` in the provider's config table.
    pub api_origins: Vec<String>,
}

/// What a person registers at the provider, and what the provider allows.
#[derive(Debug, Clone, Serialize)]
pub struct RegistrationGuide {
    pub url: &'static str,
    pub create: &'static str,
    pub settings: Vec<&'static str>,
    pub device_flow: &'static str,
    pub refresh: &'static str,
    pub revocation: &'static str,
}

impl Provider {
    /// The loopback host the redirect URI names.
    pub fn redirect_host(&self) -> &'static str {
        self.redirect_match.host()
    }

    /// A hint naming where to register, for messages.
    pub fn register_hint(&self) -> Option<String> {
        self.registration
            .as_ref()
            .map(|r| format!("create {} at {}", r.create, r.url))
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "from", content = "name")]
pub enum SecretSource {
    /// `client_secret` in config.toml (plaintext).
    Config,
    /// An environment variable.
    Env(String),
}

/// Values given on the command line for one login.
#[derive(Debug, Clone, Default)]
pub struct Overrides {
    pub client_id: Option<String>,
    pub client_secret_env: Option<String>,
    pub scopes: Vec<String>,
    pub domain: Option<String>,
    pub tenant: Option<String>,
    pub auth_server: Option<String>,
    pub audience: Option<String>,
    pub redirect_port: Option<u16>,
}

/// A base URL given as `--domain`: `host[:port]`, or `https://host[:port]`
/// with a path where the template allows one; `http://` only on loopback
/// (local instances and test servers).
#[derive(Debug, Clone, PartialEq, Eq)]
struct Base {
    /// `scheme://host[:port]`
    origin: String,
    /// Empty, or `/path` without a trailing slash.
    path: String,
}

fn parse_base(raw: &str, allow_path: bool) -> Result<Base> {
    let raw = raw.trim();
    let with_scheme = if raw.contains("://") {
        raw.to_string()
    } else {
        format!("https://{raw}")
    };
    let bad = |why: &str| {
        Error::Usage(format!(
            "--domain {raw:?} {why} (give a host like dev-123.okta.com{})",
            if allow_path {
                " or a URL like https://example.com/gitlab"
            } else {
                ""
            }
        ))
    };
    let url = url::Url::parse(&with_scheme).map_err(|_| bad("is not a host name"))?;
    let host = url
        .host_str()
        .filter(|h| !h.is_empty())
        .ok_or_else(|| bad("has no host"))?;
    if !url.username().is_empty()
        || url.password().is_some()
        || url.query().is_some()
        || url.fragment().is_some()
    {
        return Err(bad("is not a host name"));
    }
    match url.scheme() {
        "https" => {}
        "http" if is_loopback(&url) => {}
        "http" => return Err(bad("must use https (plain http only on loopback)")),
        _ => return Err(bad("is not a host name")),
    }
    let path = url.path().trim_end_matches('/').to_string();
    if !path.is_empty() && !allow_path {
        return Err(bad("must not have a path"));
    }
    let origin = match url.port() {
        Some(p) => format!("{}://{host}:{p}", url.scheme()),
        None => format!("{}://{host}", url.scheme()),
    };
    Ok(Base { origin, path })
}

/// The origin of a URL built here from a checked base; the URL itself when
/// it does not parse (it always does: the base was parsed).
fn origin_of_url(raw: &str) -> String {
    crate::origins::origin_of(raw).unwrap_or_else(|_| raw.to_string())
}

/// The endpoints of a template for its parameters.
struct Endpoints {
    authorize: String,
    token: String,
    device: Option<String>,
    revocation: Option<String>,
    userinfo: Option<String>,
    issuer: Option<String>,
    /// The origins of the provider's APIs: where its tokens may be sent
    /// ([`crate::origins`]).
    api_origins: Vec<String>,
}

struct Values<'a> {
    name: &'a str,
    domain: Option<&'a str>,
    tenant: Option<&'a str>,
    auth_server: Option<&'a str>,
    client_id: Option<&'a str>,
}

fn needs_domain(name: &str, example: &str) -> Error {
    Error::Usage(format!(
        "{name} needs a domain: pass --domain (e.g. --domain {example}) or set domain under \
         [providers.{name}] in config.toml"
    ))
}

fn endpoints(t: &Template, v: &Values<'_>) -> Result<Endpoints> {
    let name = v.name;
    Ok(match t.name {
        "github" => {
            let (web, api) = match v.domain {
                None => (
                    "https://github.com".to_string(),
                    "https://api.github.com".to_string(),
                ),
                Some(d) => {
                    let b = parse_base(d, false)?;
                    (b.origin.clone(), format!("{}/api/v3", b.origin))
                }
            };
            // The client id is part of the revocation path; until one is
            // known, `providers show` prints a placeholder.
            let client = v.client_id.unwrap_or("CLIENT_ID");
            let client: String = url::form_urlencoded::byte_serialize(client.as_bytes()).collect();
            Endpoints {
                authorize: format!("{web}/login/oauth/authorize"),
                token: format!("{web}/login/oauth/access_token"),
                device: Some(format!("{web}/login/device/code")),
                revocation: Some(format!("{api}/applications/{client}/token")),
                userinfo: Some(format!("{api}/user")),
                issuer: None,
                // The REST API, and the GitHub MCP server's remote endpoint
                // (https://api.githubcopilot.com/mcp/), which takes GitHub
                // OAuth tokens. GitHub Enterprise Server serves its API on
                // its own host (`/api/v3`).
                // https://docs.github.com/en/rest/quickstart
                // https://github.com/github/github-mcp-server#remote-github-mcp-server
                api_origins: match v.domain {
                    None => vec![
                        "https://api.github.com".into(),
                        "https://api.githubcopilot.com".into(),
                    ],
                    Some(_) => vec![origin_of_url(&api)],
                },
            }
        }
        "google" => Endpoints {
            // https://developers.google.com/identity/protocols/oauth2/native-app#step-2:-send-a-request-to-googles-oauth-2.0-server
            authorize: "https://accounts.google.com/o/oauth2/v2/auth".into(),
            token: "https://oauth2.googleapis.com/token".into(),
            device: Some("https://oauth2.googleapis.com/device/code".into()),
            revocation: Some("https://oauth2.googleapis.com/revoke".into()),
            userinfo: Some("https://openidconnect.googleapis.com/v1/userinfo".into()),
            issuer: Some("https://accounts.google.com".into()),
            // Google APIs are served from www.googleapis.com and per-API
            // hosts; these are the ones the OAuth scopes list names for the
            // common Workspace APIs (others: `mcp-auth tokens allow`).
            // https://developers.google.com/identity/protocols/oauth2/scopes
            api_origins: [
                "https://www.googleapis.com",
                "https://openidconnect.googleapis.com",
                "https://gmail.googleapis.com",
                "https://people.googleapis.com",
                "https://sheets.googleapis.com",
                "https://docs.googleapis.com",
                "https://calendar-json.googleapis.com",
            ]
            .map(String::from)
            .to_vec(),
        },
        "microsoft" => {
            let tenant = v.tenant.unwrap_or("common");
            let custom_authority = v.domain.is_some();
            let authority = match v.domain {
                None => "https://login.microsoftonline.com".to_string(),
                Some(d) => parse_base(d, false)?.origin,
            };
            let base = format!("{authority}/{tenant}/oauth2/v2.0");
            Endpoints {
                authorize: format!("{base}/authorize"),
                token: format!("{base}/token"),
                device: Some(format!("{base}/devicecode")),
                revocation: None,
                // Graph's userinfo serves the public cloud; elsewhere the
                // ID token names the user.
                userinfo: (!custom_authority)
                    .then(|| "https://graph.microsoft.com/oidc/userinfo".to_string()),
                // Issuers differ per tenant; with `common` there is no one
                // issuer to compare with.
                issuer: None,
                // Microsoft Graph, public cloud; a national cloud's Graph
                // host is added by hand.
                // https://learn.microsoft.com/en-us/graph/deployments
                api_origins: if custom_authority {
                    Vec::new()
                } else {
                    vec!["https://graph.microsoft.com".into()]
                },
            }
        }
        "okta" => {
            let d = v
                .domain
                .ok_or_else(|| needs_domain(name, "dev-123.okta.com"))?;
            let o = parse_base(d, false)?.origin;
            let (base, issuer) = match v.auth_server.unwrap_or("default") {
                "org" => (format!("{o}/oauth2/v1"), o.clone()),
                id => (format!("{o}/oauth2/{id}/v1"), format!("{o}/oauth2/{id}")),
            };
            Endpoints {
                authorize: format!("{base}/authorize"),
                token: format!("{base}/token"),
                device: Some(format!("{base}/device/authorize")),
                revocation: Some(format!("{base}/revoke")),
                userinfo: Some(format!("{base}/userinfo")),
                issuer: Some(issuer),
                // Okta's own APIs are on the org's domain.
                // https://developer.okta.com/docs/api/
                api_origins: vec![o.clone()],
            }
        }
        "auth0" => {
            let d = v
                .domain
                .ok_or_else(|| needs_domain(name, "dev-abc.us.auth0.com"))?;
            let o = parse_base(d, false)?.origin;
            // https://auth0.com/docs/api/authentication
            Endpoints {
                authorize: format!("{o}/authorize"),
                token: format!("{o}/oauth/token"),
                device: Some(format!("{o}/oauth/device/code")),
                revocation: Some(format!("{o}/oauth/revoke")),
                userinfo: Some(format!("{o}/userinfo")),
                issuer: Some(format!("{o}/")),
                // The Management API is on the tenant's domain.
                // https://auth0.com/docs/api/management/v2
                api_origins: vec![o.clone()],
            }
        }
        "gitlab" => {
            let b = parse_base(v.domain.unwrap_or("gitlab.com"), true)?;
            let root = format!("{}{}", b.origin, b.path);
            // https://docs.gitlab.com/api/oauth2/
            Endpoints {
                authorize: format!("{root}/oauth/authorize"),
                token: format!("{root}/oauth/token"),
                device: Some(format!("{root}/oauth/authorize_device")),
                revocation: Some(format!("{root}/oauth/revoke")),
                userinfo: Some(format!("{root}/oauth/userinfo")),
                issuer: Some(root),
                // The REST API is on the instance's host (`/api/v4`).
                // https://docs.gitlab.com/api/rest/
                api_origins: vec![b.origin.clone()],
            }
        }
        other => {
            return Err(Error::Config(format!(
                "template {other:?} has no endpoints (a bug)"
            )));
        }
    })
}

/// Looks up `name` among custom providers and templates and applies config
/// and flags. Flags win over config, config over the template.
pub fn resolve(name: &str, config: &Config, over: &Overrides) -> Result<Provider> {
    let custom = config.providers.get(name);
    let base_name = custom.and_then(|c| c.template.as_deref()).unwrap_or(name);
    let template = template(base_name);
    if custom.and_then(|c| c.template.as_deref()).is_some() && template.is_none() {
        return Err(Error::Config(format!(
            "[providers.{name}] is based on template {base_name:?}, which does not exist; \
             templates: {}",
            TEMPLATES
                .iter()
                .map(|t| t.name)
                .collect::<Vec<_>>()
                .join(", ")
        )));
    }
    if custom.is_none() && template.is_none() {
        return Err(Error::UnknownProvider(name.to_string()));
    }
    let empty = ProviderConfig::default();
    let c = custom.unwrap_or(&empty);

    // A parameter the template does not take is a mistake, not a no-op.
    let takes = |p: Param| template.is_some_and(|t| t.params.contains(&p));
    for (param, given) in [
        (Param::Domain, over.domain.is_some()),
        (Param::Tenant, over.tenant.is_some()),
        (Param::AuthServer, over.auth_server.is_some()),
        (Param::Audience, over.audience.is_some()),
    ] {
        if given && !takes(param) {
            let accepted: Vec<&str> = template
                .map(|t| t.params.iter().map(|p| p.flag()).collect())
                .unwrap_or_default();
            return Err(Error::Usage(format!(
                "{} does not apply to {name} ({})",
                param.flag(),
                if accepted.is_empty() {
                    format!("{name} takes no template parameters")
                } else {
                    format!("it takes {}", accepted.join(", "))
                }
            )));
        }
    }

    // The same in the config table of a template.
    if let Some(t) = template {
        for (param, key, given) in [
            (Param::Domain, "domain", c.domain.is_some()),
            (Param::Tenant, "tenant", c.tenant.is_some()),
            (Param::AuthServer, "auth_server", c.auth_server.is_some()),
            (Param::Audience, "audience", c.audience.is_some()),
        ] {
            if given && !t.params.contains(&param) {
                return Err(Error::Config(format!(
                    "[providers.{name}] sets {key}, which the {} template does not take",
                    t.name
                )));
            }
        }
    }

    let domain = over.domain.clone().or_else(|| c.domain.clone());
    let tenant = over.tenant.clone().or_else(|| c.tenant.clone());
    if let Some(t) = &tenant
        && (t.is_empty()
            || !t
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "-.".contains(c)))
    {
        return Err(Error::Usage(format!(
            "tenant {t:?} is not a tenant name or id"
        )));
    }
    let auth_server = over.auth_server.clone().or_else(|| c.auth_server.clone());
    if let Some(a) = &auth_server
        && (a.is_empty() || !a.chars().all(|c| c.is_ascii_alphanumeric()))
    {
        return Err(Error::Usage(format!(
            "--auth-server {a:?} is not an authorization server id (like default, org or \
             aus1a2b3c4d5)"
        )));
    }
    let audience = over.audience.clone().or_else(|| c.audience.clone());
    if let Some(a) = &audience
        && (a.is_empty() || a.chars().any(char::is_whitespace))
    {
        return Err(Error::Usage(format!(
            "--audience {a:?} is not an API identifier"
        )));
    }
    let client_id = over.client_id.clone().or_else(|| c.client_id.clone());

    let ends = template
        .map(|t| {
            endpoints(
                t,
                &Values {
                    name,
                    domain: domain.as_deref(),
                    tenant: tenant.as_deref(),
                    auth_server: auth_server.as_deref(),
                    client_id: client_id.as_deref(),
                },
            )
        })
        .transpose()?;
    let pick = |own: &Option<String>, tmpl: Option<String>| own.clone().or(tmpl);
    let authorize_url = pick(&c.authorize_url, ends.as_ref().map(|e| e.authorize.clone()))
        .ok_or_else(|| missing(name, "authorize_url"))?;
    let token_url = pick(&c.token_url, ends.as_ref().map(|e| e.token.clone()))
        .ok_or_else(|| missing(name, "token_url"))?;
    for (what, url) in [("authorize_url", &authorize_url), ("token_url", &token_url)] {
        check_url(name, what, url)?;
    }
    let optional = |own: &Option<String>, tmpl: Option<String>, what: &str| {
        let v = pick(own, tmpl);
        if let Some(u) = &v {
            check_url(name, what, u)?;
        }
        Ok::<_, Error>(v)
    };
    let client_secret_source = match (
        &over.client_secret_env,
        &c.client_secret_env,
        &c.client_secret,
    ) {
        (Some(var), _, _) => Some(SecretSource::Env(var.clone())),
        (None, Some(var), _) => Some(SecretSource::Env(var.clone())),
        (None, None, Some(_)) => Some(SecretSource::Config),
        _ => None,
    };
    let scopes = if !over.scopes.is_empty() {
        split_scopes(&over.scopes)
    } else if let Some(s) = &c.scopes {
        s.clone()
    } else {
        template
            .map(|t| t.scopes.iter().map(|s| s.to_string()).collect())
            .unwrap_or_default()
    };
    let mut extra_params = c.extra_params.clone();
    if let Some(a) = &audience {
        // Auth0 issues an access token for an API only when the request
        // names it.
        // https://auth0.com/docs/secure/tokens/access-tokens/get-access-tokens#control-access-token-audience
        extra_params.insert("audience".into(), a.clone());
    }
    let authorize_params: BTreeMap<String, String> = template
        .map(|t| {
            t.authorize_params
                .iter()
                .filter(|(k, _)| !extra_params.contains_key(*k))
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect()
        })
        .unwrap_or_default();
    let redirect_match = template.map_or(
        if c.redirect_port.is_some() {
            RedirectMatch::Exact
        } else {
            RedirectMatch::LoopbackAnyPort
        },
        |t| t.redirect,
    );
    let redirect_port = over.redirect_port.or(c.redirect_port).or((redirect_match
        == RedirectMatch::Exact
        && template.is_some())
    .then_some(FIXED_REDIRECT_PORT));
    let redirect_uri = match (redirect_match.port_matched(), redirect_port) {
        (true, Some(port)) => format!("http://{}:{port}{REDIRECT_PATH}", redirect_match.host()),
        _ => format!("http://{}{REDIRECT_PATH}", redirect_match.host()),
    };
    let revocation_url = optional(
        &c.revocation_url,
        ends.as_ref().and_then(|e| e.revocation.clone()),
        "revocation_url",
    )?;
    let revocation = match (template, &revocation_url) {
        (_, None) => Revocation::Unsupported,
        (Some(t), Some(_)) if t.revocation != Revocation::Unsupported => t.revocation,
        _ => Revocation::Rfc7009,
    };
    Ok(Provider {
        name: name.to_string(),
        template: template.map(|t| t.name.to_string()),
        device_authorization_url: optional(
            &c.device_authorization_url,
            ends.as_ref().and_then(|e| e.device.clone()),
            "device_authorization_url",
        )?,
        revocation_url,
        revocation,
        userinfo_url: optional(
            &c.userinfo_url,
            ends.as_ref().and_then(|e| e.userinfo.clone()),
            "userinfo_url",
        )?,
        issuer: pick(&c.issuer, ends.as_ref().and_then(|e| e.issuer.clone())),
        authorize_url,
        token_url,
        client_id,
        client_secret_source,
        client_secret_required: template.is_some_and(|t| t.secret_for_code),
        device_client_secret_required: template.is_some_and(|t| t.secret_for_device),
        scopes,
        extra_params,
        authorize_params,
        redirect_uri,
        redirect_match,
        redirect_port,
        scope_on_refresh: template.is_some_and(|t| t.scope_on_refresh),
        registration: template.map(|t| RegistrationGuide {
            url: t.register_url,
            create: t.register,
            settings: t.settings.to_vec(),
            device_flow: t.device,
            refresh: t.refresh,
            revocation: t.revoke,
        }),
        api_origins: match &c.api_origins {
            Some(list) => list
                .iter()
                .map(|o| {
                    crate::origins::origin_of(o)
                        .map_err(|e| Error::Config(format!("[providers.{name}] api_origins: {e}")))
                })
                .collect::<Result<Vec<_>>>()?,
            None => ends.map(|e| e.api_origins).unwrap_or_default(),
        },
    })
}

/// Splits `--scope "a b" --scope c` into `a`, `b`, `c`, keeping order and
/// dropping duplicates.
pub fn split_scopes(raw: &[String]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for s in raw.iter().flat_map(|s| s.split_whitespace()) {
        if !out.iter().any(|o| o == s) {
            out.push(s.to_string());
        }
    }
    out
}

fn missing(name: &str, field: &str) -> Error {
    Error::Config(format!(
        "[providers.{name}] needs {field} (the provider's OAuth endpoint) in config.toml"
    ))
}

/// Endpoints must be https, except on loopback (local test servers).
fn check_url(provider: &str, what: &str, raw: &str) -> Result<()> {
    let url = url::Url::parse(raw).map_err(|e| {
        Error::Config(format!(
            "[providers.{provider}] {what} {raw:?} is not a URL: {e}"
        ))
    })?;
    if url.scheme() == "https" || (url.scheme() == "http" && is_loopback(&url)) {
        return Ok(());
    }
    Err(Error::Config(format!(
        "[providers.{provider}] {what} {raw:?} must use https (plain http is only allowed on loopback)"
    )))
}

pub fn is_loopback(url: &url::Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(toml: &str) -> Config {
        Config::from_sources(toml, "t", Vec::new()).unwrap()
    }

    #[test]
    fn templates_list_their_api_origins() {
        let origins = |name: &str, domain: Option<&str>| {
            resolve(
                name,
                &config(""),
                &Overrides {
                    domain: domain.map(str::to_string),
                    ..Default::default()
                },
            )
            .unwrap()
            .api_origins
        };
        assert_eq!(
            origins("github", None),
            ["https://api.github.com", "https://api.githubcopilot.com"]
        );
        assert_eq!(
            origins("github", Some("ghe.example.com")),
            ["https://ghe.example.com"]
        );
        assert_eq!(origins("gitlab", None), ["https://gitlab.com"]);
        assert_eq!(
            origins("gitlab", Some("gitlab.example.com:8443")),
            ["https://gitlab.example.com:8443"]
        );
        assert_eq!(origins("microsoft", None), ["https://graph.microsoft.com"]);
        assert_eq!(
            origins("okta", Some("dev-1.okta.com")),
            ["https://dev-1.okta.com"]
        );
        assert_eq!(
            origins("auth0", Some("dev-a.us.auth0.com")),
            ["https://dev-a.us.auth0.com"]
        );
        assert!(origins("google", None).contains(&"https://www.googleapis.com".to_string()));
        let custom = config(
            "[providers.corp]\nauthorize_url = \"https://id.corp.example/a\"\n\
             token_url = \"https://id.corp.example/t\"\n\
             api_origins = [\"https://api.corp.example/v1\"]\n",
        );
        let p = resolve("corp", &custom, &Overrides::default()).unwrap();
        assert_eq!(p.api_origins, ["https://api.corp.example"]);
    }

    #[test]
    fn templates_resolve_with_their_parameters() {
        let p = resolve(
            "okta",
            &config(""),
            &Overrides {
                domain: Some("https://dev-1.okta.com/".into()),
                ..Default::default()
            },
        )
        .unwrap();
        assert_eq!(
            p.token_url,
            "https://dev-1.okta.com/oauth2/default/v1/token"
        );
        assert_eq!(
            p.issuer.as_deref(),
            Some("https://dev-1.okta.com/oauth2/default")
        );

        let p = resolve("microsoft", &config(""), &Overrides::default()).unwrap();
        assert!(p.authorize_url.contains("/common/"));
        let p = resolve("gitlab", &config(""), &Overrides::default()).unwrap();
        assert_eq!(p.token_url, "https://gitlab.com/oauth/token");
    }

    #[test]
    fn a_missing_domain_says_how_to_give_one() {
        let e = resolve("auth0", &config(""), &Overrides::default()).unwrap_err();
        assert!(e.to_string().contains("--domain"), "{e}");
        let e = resolve(
            "okta",
            &config(""),
            &Overrides {
                domain: Some("evil.com/x?".into()),
                ..Default::default()
            },
        )
        .unwrap_err();
        assert!(e.to_string().contains("not a host"), "{e}");
    }

    #[test]
    fn config_overrides_template_and_flags_override_config() {
        let c = config("[providers.github]\nclient_id = \"from-config\"\nscopes = [\"repo\"]\n");
        let p = resolve("github", &c, &Overrides::default()).unwrap();
        assert_eq!(p.client_id.as_deref(), Some("from-config"));
        assert_eq!(p.scopes, vec!["repo"]);
        let p = resolve(
            "github",
            &c,
            &Overrides {
                client_id: Some("flag".into()),
                scopes: vec!["a b".into(), "a".into()],
                ..Default::default()
            },
        )
        .unwrap();
        assert_eq!(p.client_id.as_deref(), Some("flag"));
        assert_eq!(p.scopes, vec!["a", "b"]);
    }

    #[test]
    fn custom_providers_need_endpoints_and_https() {
        let e = resolve(
            "acme",
            &config("[providers.acme]\nclient_id = \"x\"\n"),
            &Overrides::default(),
        )
        .unwrap_err();
        assert!(e.to_string().contains("authorize_url"), "{e}");
        let c = config(
            "[providers.acme]\nauthorize_url = \"http://acme.example/a\"\ntoken_url = \"https://acme.example/t\"\n",
        );
        let e = resolve("acme", &c, &Overrides::default()).unwrap_err();
        assert!(e.to_string().contains("https"), "{e}");
        let c = config(
            "[providers.local]\nauthorize_url = \"http://127.0.0.1:9/a\"\ntoken_url = \"http://127.0.0.1:9/t\"\n",
        );
        assert!(resolve("local", &c, &Overrides::default()).is_ok());
    }

    #[test]
    fn named_instances_of_a_template() {
        let c = config("[providers.work]\ntemplate = \"okta\"\ndomain = \"work.okta.com\"\n");
        let p = resolve("work", &c, &Overrides::default()).unwrap();
        assert_eq!(p.template.as_deref(), Some("okta"));
        assert!(p.authorize_url.starts_with("https://work.okta.com/"));
        let c = config("[providers.x]\ntemplate = \"nope\"\n");
        assert!(resolve("x", &c, &Overrides::default()).is_err());
        assert!(matches!(
            resolve("nope", &config(""), &Overrides::default()),
            Err(Error::UnknownProvider(_))
        ));
    }

    fn with(name: &str, over: Overrides) -> Result<Provider> {
        resolve(name, &config(""), &over)
    }

    #[test]
    fn enterprise_and_self_managed_hosts() {
        let p = with(
            "github",
            Overrides {
                domain: Some("ghe.example.com".into()),
                client_id: Some("Iv1.x".into()),
                ..Default::default()
            },
        )
        .unwrap();
        assert_eq!(
            p.authorize_url,
            "https://ghe.example.com/login/oauth/authorize"
        );
        assert_eq!(
            p.userinfo_url.as_deref(),
            Some("https://ghe.example.com/api/v3/user")
        );
        assert_eq!(
            p.revocation_url.as_deref(),
            Some("https://ghe.example.com/api/v3/applications/Iv1.x/token")
        );
        let p = with("github", Overrides::default()).unwrap();
        assert_eq!(
            p.userinfo_url.as_deref(),
            Some("https://api.github.com/user")
        );
        assert_eq!(p.revocation, Revocation::GitHubAppToken);
        assert!(p.client_secret_required && !p.device_client_secret_required);

        let p = with(
            "gitlab",
            Overrides {
                domain: Some("https://example.com/gitlab/".into()),
                ..Default::default()
            },
        )
        .unwrap();
        assert_eq!(p.token_url, "https://example.com/gitlab/oauth/token");
        // A path only where the provider can live under one.
        let e = with(
            "okta",
            Overrides {
                domain: Some("https://example.com/okta".into()),
                ..Default::default()
            },
        )
        .unwrap_err();
        assert!(e.to_string().contains("path"), "{e}");
        // Plain http only on loopback.
        let e = with(
            "gitlab",
            Overrides {
                domain: Some("http://gitlab.example.com".into()),
                ..Default::default()
            },
        )
        .unwrap_err();
        assert!(e.to_string().contains("https"), "{e}");
    }

    #[test]
    fn okta_org_and_custom_authorization_servers() {
        let okta = |server: Option<&str>| {
            with(
                "okta",
                Overrides {
                    domain: Some("dev-1.okta.com".into()),
                    auth_server: server.map(str::to_string),
                    ..Default::default()
                },
            )
            .unwrap()
        };
        let org = okta(Some("org"));
        assert_eq!(org.token_url, "https://dev-1.okta.com/oauth2/v1/token");
        assert_eq!(org.issuer.as_deref(), Some("https://dev-1.okta.com"));
        let custom = okta(Some("aus1"));
        assert_eq!(
            custom.token_url,
            "https://dev-1.okta.com/oauth2/aus1/v1/token"
        );
        assert_eq!(
            okta(None).redirect_uri,
            format!("http://127.0.0.1:{FIXED_REDIRECT_PORT}/callback")
        );
    }

    #[test]
    fn parameters_a_template_does_not_take_are_refused() {
        for (name, over) in [
            (
                "google",
                Overrides {
                    domain: Some("x.com".into()),
                    ..Default::default()
                },
            ),
            (
                "github",
                Overrides {
                    tenant: Some("t".into()),
                    ..Default::default()
                },
            ),
            (
                "okta",
                Overrides {
                    domain: Some("x.com".into()),
                    audience: Some("https://api".into()),
                    ..Default::default()
                },
            ),
        ] {
            let e = with(name, over).unwrap_err();
            assert!(e.to_string().contains("does not apply"), "{e}");
        }
        let p = with(
            "auth0",
            Overrides {
                domain: Some("t.auth0.com".into()),
                audience: Some("https://api.example.com".into()),
                ..Default::default()
            },
        )
        .unwrap();
        assert_eq!(p.extra_params["audience"], "https://api.example.com");
    }

    #[test]
    fn microsoft_uses_localhost_and_sends_scopes_on_refresh() {
        let p = with("microsoft", Overrides::default()).unwrap();
        assert_eq!(p.redirect_uri, "http://localhost/callback");
        assert_eq!(p.redirect_host(), "localhost");
        assert!(p.scope_on_refresh);
        assert_eq!(p.revocation, Revocation::Unsupported);
        let google = with("google", Overrides::default()).unwrap();
        assert_eq!(google.authorize_params["access_type"], "offline");
        assert!(google.extra_params.is_empty());
    }

    #[test]
    fn the_fixed_port_the_hints_name_is_the_one_used() {
        for t in TEMPLATES
            .iter()
            .filter(|t| t.redirect == RedirectMatch::Exact)
        {
            assert!(
                t.register
                    .contains(&format!("127.0.0.1:{FIXED_REDIRECT_PORT}/callback")),
                "{}",
                t.name
            );
        }
    }
}
