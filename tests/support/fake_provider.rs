//! In-process fakes shaped like the real providers the templates target,
//! on 127.0.0.1:0, each enforcing what its provider documents (the URL of
//! each rule is beside it). One engine serves every shape; a [`Shape`]
//! decides the paths, the client type, the redirect URI matching rule, the
//! answer formats, what a refresh needs and what revocation answers.
//!
//! The templates are pointed at a fake the way a user points them at their
//! own instance: `--domain http://127.0.0.1:PORT` (GitHub Enterprise
//! Server, Microsoft's authority host, Okta, Auth0, GitLab under a path).
//! Google has no such parameter, so its endpoints are overridden in the
//! config ([`FakeProvider::google_toml`]), everything else staying the
//! template's.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::{Form, Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{delete, get, post};
use base64::Engine;
use oauth2::{PkceCodeChallenge, PkceCodeVerifier};
use serde_json::{Value, json};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shape {
    /// A GitHub OAuth app on GitHub Enterprise Server.
    GitHub,
    /// A GitHub App with expiring user tokens.
    GitHubApp,
    Google,
    Microsoft,
    Okta,
    Auth0,
    GitLab,
}

/// The client registered at the fake, and the provider's settings.
#[derive(Clone, Debug)]
pub struct Registered {
    pub client_id: String,
    /// The secret the provider issued (GitHub, Google); the code exchange
    /// and refresh demand it where the provider does.
    pub client_secret: Option<String>,
    /// The redirect URI registered (where the provider compares it).
    pub redirect_uri: String,
    /// GitHub: "Enable Device Flow" ticked. Microsoft: "Allow public client
    /// flows". Okta/Auth0: the device grant type ticked.
    pub device_enabled: bool,
    /// Google: the device flow needs a "TVs and Limited Input devices"
    /// client, another client id than the Desktop one.
    pub device_client_id: Option<String>,
    /// Microsoft: a single-tenant app's tenant id.
    pub single_tenant: Option<String>,
    /// Auth0: the APIs (audiences) that exist.
    pub audiences: Vec<String>,
}

impl Registered {
    pub fn new(client_id: &str) -> Registered {
        Registered {
            client_id: client_id.into(),
            client_secret: None,
            redirect_uri: "http://127.0.0.1/callback".into(),
            device_enabled: true,
            device_client_id: None,
            single_tenant: None,
            audiences: Vec::new(),
        }
    }
}

#[derive(Debug, Default, Clone)]
pub struct Stats {
    pub authorize_requests: usize,
    /// Every redirect_uri sent to the authorization endpoint.
    pub redirect_uris: Vec<String>,
    /// Every authorization request's query.
    pub authorize_queries: Vec<HashMap<String, String>>,
    pub code_exchanges: usize,
    pub refreshes: usize,
    pub device_polls: usize,
    /// Every token request's form, secrets removed.
    pub token_forms: Vec<HashMap<String, String>>,
    /// Requests the provider refused, with why.
    pub refused: Vec<String>,
    /// Tokens revoked.
    pub revoked: Vec<String>,
    /// Revocation requests answered "already invalid".
    pub revoked_unknown: usize,
    /// The path prefix (tenant, authorization server) of each request.
    pub prefixes: Vec<String>,
    /// Userinfo requests.
    pub userinfo: usize,
}

struct Grant {
    access: Vec<String>,
    refresh: Option<String>,
    scope: String,
    audience: Option<String>,
}

struct Pending {
    challenge: Option<String>,
    redirect_uri: String,
    scope: String,
    offline: bool,
    audience: Option<String>,
}

struct Inner {
    shape: Shape,
    reg: Registered,
    base: String,
    codes: HashMap<String, Pending>,
    /// Live grants, by id.
    grants: HashMap<u64, Grant>,
    /// Spent (rotated) refresh tokens.
    spent: Vec<String>,
    device: Option<(String, String, bool, Option<String>)>,
    counter: u64,
    stats: Stats,
}

pub struct FakeProvider {
    /// `http://127.0.0.1:PORT`
    pub origin: String,
    /// What `--domain` gets: the origin, plus `/gitlab` for GitLab.
    pub domain: String,
    inner: Arc<Mutex<Inner>>,
    _served: super::served::Served,
}

type Shared = State<Arc<Mutex<Inner>>>;

/// Where the fake's endpoints are, as the template builds them.
fn paths(shape: Shape) -> Vec<(&'static str, String)> {
    let p = |a: &str, t: &str, d: &str, r: &str, u: &str| {
        vec![
            ("authorize", a.to_string()),
            ("token", t.to_string()),
            ("device", d.to_string()),
            ("revoke", r.to_string()),
            ("userinfo", u.to_string()),
        ]
    };
    match shape {
        // https://docs.github.com/en/enterprise-server@latest/apps/oauth-apps/building-oauth-apps/authorizing-oauth-apps
        Shape::GitHub | Shape::GitHubApp => p(
            "/login/oauth/authorize",
            "/login/oauth/access_token",
            "/login/device/code",
            "/api/v3/applications/{client_id}/token",
            "/api/v3/user",
        ),
        // https://developers.google.com/identity/protocols/oauth2/native-app
        Shape::Google => p(
            "/o/oauth2/v2/auth",
            "/token",
            "/device/code",
            "/revoke",
            "/v1/userinfo",
        ),
        // https://learn.microsoft.com/en-us/entra/identity-platform/v2-protocols#endpoints
        Shape::Microsoft => p(
            "/{prefix}/oauth2/v2.0/authorize",
            "/{prefix}/oauth2/v2.0/token",
            "/{prefix}/oauth2/v2.0/devicecode",
            "/none/revoke",
            "/none/userinfo",
        ),
        // https://developer.okta.com/docs/concepts/auth-servers/ : the org
        // server at /oauth2/v1, custom ones at /oauth2/{id}/v1.
        Shape::Okta => p(
            "/oauth2/{prefix}/authorize",
            "/oauth2/{prefix}/token",
            "/oauth2/{prefix}/device/authorize",
            "/oauth2/{prefix}/revoke",
            "/oauth2/{prefix}/userinfo",
        ),
        // https://auth0.com/docs/api/authentication
        Shape::Auth0 => p(
            "/authorize",
            "/oauth/token",
            "/oauth/device/code",
            "/oauth/revoke",
            "/userinfo",
        ),
        // https://docs.gitlab.com/api/oauth2/ under a relative URL
        // (https://docs.gitlab.com/install/relative_url/).
        Shape::GitLab => p(
            "/gitlab/oauth/authorize",
            "/gitlab/oauth/token",
            "/gitlab/oauth/authorize_device",
            "/gitlab/oauth/revoke",
            "/gitlab/oauth/userinfo",
        ),
    }
}

impl FakeProvider {
    pub fn start(shape: Shape, reg: Registered) -> FakeProvider {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let origin = format!("http://127.0.0.1:{}", listener.local_addr().unwrap().port());
        let domain = match shape {
            Shape::GitLab => format!("{origin}/gitlab"),
            _ => origin.clone(),
        };
        let inner = Arc::new(Mutex::new(Inner {
            shape,
            reg,
            base: origin.clone(),
            codes: HashMap::new(),
            grants: HashMap::new(),
            spent: Vec::new(),
            device: None,
            counter: 0,
            stats: Stats::default(),
        }));
        let mut app = Router::new();
        for (what, path) in paths(shape) {
            // Okta: `{prefix}` is `v1` for the org server or `ID/v1`; an
            // axum segment is one path element, so both forms are routed.
            let variants: Vec<String> = if shape == Shape::Okta {
                vec![
                    path.replace("/{prefix}", "/v1"),
                    path.replace("{prefix}", "{server}/v1"),
                ]
            } else {
                vec![path.replace("{prefix}", "{tenant}")]
            };
            for p in variants {
                app = match what {
                    "authorize" => app.route(&p, get(authorize)),
                    "token" => app.route(&p, post(token)),
                    "device" => app.route(&p, post(device)),
                    "revoke" if matches!(shape, Shape::GitHub | Shape::GitHubApp) => {
                        app.route(&p, delete(revoke_github))
                    }
                    "revoke" => app.route(&p, post(revoke)),
                    _ => app.route(&p, get(userinfo)),
                };
            }
        }
        FakeProvider {
            origin,
            domain,
            _served: super::served::Served::start(listener, app.with_state(inner.clone())),
            inner,
        }
    }

    pub fn stats(&self) -> Stats {
        self.inner.lock().unwrap().stats.clone()
    }

    /// Is this access token live at the provider?
    pub fn access_live(&self, token: &str) -> bool {
        let g = self.inner.lock().unwrap();
        g.grants
            .values()
            .any(|gr| gr.access.iter().any(|a| a == token))
    }

    /// A personal access token the provider knows (GitHub's /user accepts
    /// it), for `tokens import`.
    pub fn personal_access_token(&self) -> String {
        let mut g = self.inner.lock().unwrap();
        g.counter += 1;
        let pat = format!("ghp_pat{}", g.counter);
        let id = 1_000_000 + g.counter;
        g.grants.insert(
            id,
            Grant {
                access: vec![pat.clone()],
                refresh: None,
                scope: "repo".into(),
                audience: None,
            },
        );
        pat
    }

    /// A grant issued earlier (to another tool): its access and refresh
    /// tokens, for `tokens import`.
    pub fn earlier_grant(&self, scope: &str) -> (String, String) {
        let mut g = self.inner.lock().unwrap();
        g.counter += 1;
        let n = g.counter;
        let (access, refresh) = (format!("at-earlier-{n}"), format!("rt-earlier-{n}"));
        g.grants.insert(
            2_000_000 + n,
            Grant {
                access: vec![access.clone()],
                refresh: Some(refresh.clone()),
                scope: scope.into(),
                audience: None,
            },
        );
        (access, refresh)
    }

    /// Forgets every grant, as a provider does for a user who revoked the
    /// app in its settings.
    pub fn forget_grants(&self) {
        self.inner.lock().unwrap().grants.clear();
    }

    /// The `[providers.google]` table pointing Google's template at this
    /// fake: endpoints overridden, every other fact the template's.
    pub fn google_toml(&self, client_id: &str, secret_env: Option<&str>) -> String {
        let u = &self.origin;
        let mut t = format!(
            "[providers.google]\nauthorize_url = \"{u}/o/oauth2/v2/auth\"\ntoken_url = \
             \"{u}/token\"\ndevice_authorization_url = \"{u}/device/code\"\nrevocation_url = \
             \"{u}/revoke\"\nuserinfo_url = \"{u}/v1/userinfo\"\nissuer = \"{u}\"\n\
             client_id = \"{client_id}\"\n"
        );
        if let Some(v) = secret_env {
            t.push_str(&format!("client_secret_env = \"{v}\"\n"));
        }
        t
    }
}

fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

/// An OAuth error the way the provider sends it: GitHub with HTTP 200
/// ("errors are returned with a 200 status"),
/// https://docs.github.com/en/apps/oauth-apps/maintaining-oauth-apps/troubleshooting-oauth-app-access-token-request-errors
/// everyone else with 400 (401 for client authentication).
fn error(g: &mut Inner, status: StatusCode, code: &str, why: &str) -> Response {
    g.stats.refused.push(format!("{code}: {why}"));
    let status = match g.shape {
        Shape::GitHub | Shape::GitHubApp => StatusCode::OK,
        _ => status,
    };
    (
        status,
        axum::Json(json!({"error": code, "error_description": why})),
    )
        .into_response()
}

fn github(g: &Inner) -> bool {
    matches!(g.shape, Shape::GitHub | Shape::GitHubApp)
}

/// Checks the redirect URI against the registered one by the provider's
/// rule.
fn redirect_ok(g: &Inner, sent: &str) -> Result<(), String> {
    let sent_url = url::Url::parse(sent).map_err(|_| "not a URL".to_string())?;
    let reg = url::Url::parse(&g.reg.redirect_uri).unwrap();
    let same_path = sent_url.path() == reg.path();
    match g.shape {
        // Loopback: any port; the path is the callback URL's or below it.
        // https://docs.github.com/en/apps/oauth-apps/building-oauth-apps/authorizing-oauth-apps#loopback-redirect-urls
        Shape::GitHub | Shape::GitHubApp => {
            if sent_url.scheme() == "http"
                && sent_url.host_str() == reg.host_str()
                && sent_url.path().starts_with(reg.path())
            {
                Ok(())
            } else {
                Err(
                    "The redirect_uri MUST match the registered callback URL for this application."
                        .into(),
                )
            }
        }
        // Desktop clients: any loopback IP, any port and path.
        // https://developers.google.com/identity/protocols/oauth2/native-app#redirect-uri_loopback
        Shape::Google => match sent_url.host_str() {
            Some("127.0.0.1") | Some("[::1]") | Some("localhost") => Ok(()),
            _ => Err("redirect_uri_mismatch".into()),
        },
        // localhost: the port is ignored, scheme, host and path compared.
        // https://learn.microsoft.com/en-us/entra/identity-platform/reply-url#localhost-exceptions
        Shape::Microsoft => {
            if sent_url.scheme() == reg.scheme()
                && sent_url.host_str() == reg.host_str()
                && same_path
            {
                Ok(())
            } else {
                Err(
                    "AADSTS50011: The redirect URI specified in the request does not match the \
                     redirect URIs configured for the application"
                        .into(),
                )
            }
        }
        // Exact comparison, port included.
        // https://developer.okta.com/docs/reference/api/oidc/#authorize
        // https://auth0.com/docs/get-started/applications/application-settings#application-uris
        Shape::Okta | Shape::Auth0 => {
            if sent == g.reg.redirect_uri {
                Ok(())
            } else {
                Err(format!("redirect_uri {sent} is not registered"))
            }
        }
        // Doorkeeper (GitLab's OAuth) matches loopback URIs with any port.
        // https://docs.gitlab.com/api/oauth2/
        // https://github.com/doorkeeper-gem/doorkeeper/issues/1170
        Shape::GitLab => {
            if sent_url.host_str() == reg.host_str() && same_path {
                Ok(())
            } else {
                Err("The redirect uri included is not valid.".into())
            }
        }
    }
}

/// Microsoft tenants and Okta authorization servers: is this prefix one
/// the provider serves for this client?
fn prefix_ok(g: &Inner, tenant: Option<&str>, server: Option<&str>) -> Result<(), String> {
    if g.shape == Shape::Microsoft {
        let t = tenant.unwrap_or("");
        // https://learn.microsoft.com/en-us/entra/identity-platform/reference-error-codes
        // AADSTS50194: a single-tenant app at /common.
        if let Some(own) = &g.reg.single_tenant {
            if t == "common" || t == "organizations" || t == "consumers" {
                return Err(format!(
                    "AADSTS50194: Application '{}' is not configured as a multi-tenant \
                     application. Usage of the /common endpoint is not supported for such \
                     applications created after '10/15/2018'. Use a tenant-specific endpoint or \
                     configure the application to be multi-tenant.",
                    g.reg.client_id
                ));
            }
            if t != own {
                return Err(format!("AADSTS90002: Tenant '{t}' not found."));
            }
        }
    }
    if g.shape == Shape::Okta && server.is_some_and(|s| s != "default" && s != "aus9custom") {
        return Err("no such authorization server".into());
    }
    Ok(())
}

fn prefix_label(tenant: Option<&str>, server: Option<&str>) -> String {
    match (tenant, server) {
        (Some(t), _) => t.to_string(),
        (None, Some(s)) => s.to_string(),
        (None, None) => "org".to_string(),
    }
}

#[derive(serde::Deserialize, Default)]
struct Prefix {
    tenant: Option<String>,
    server: Option<String>,
}

async fn authorize(
    State(s): Shared,
    prefix: Option<Path<Prefix>>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let prefix = prefix.map(|p| p.0).unwrap_or_default();
    let mut g = s.lock().unwrap();
    g.stats.authorize_requests += 1;
    g.stats.authorize_queries.push(q.clone());
    g.stats.prefixes.push(prefix_label(
        prefix.tenant.as_deref(),
        prefix.server.as_deref(),
    ));
    let redirect = q.get("redirect_uri").cloned().unwrap_or_default();
    g.stats.redirect_uris.push(redirect.clone());
    if q.get("client_id") != Some(&g.reg.client_id) {
        g.stats.refused.push("authorize: unknown client_id".into());
        return (StatusCode::BAD_REQUEST, "unknown client").into_response();
    }
    // A redirect URI that does not match is never redirected to: the
    // provider shows an error page.
    if let Err(why) = redirect_ok(&g, &redirect) {
        g.stats.refused.push(format!("authorize: {why}"));
        return (StatusCode::BAD_REQUEST, why).into_response();
    }
    let state = q.get("state").cloned().unwrap_or_default();
    let back = |params: &[(&str, &str)]| {
        let mut u = url::Url::parse(&redirect).unwrap();
        u.query_pairs_mut().extend_pairs(params.iter().copied());
        Redirect::to(u.as_str()).into_response()
    };
    if let Err(why) = prefix_ok(&g, prefix.tenant.as_deref(), prefix.server.as_deref()) {
        g.stats.refused.push(format!("authorize: {why}"));
        return back(&[
            ("error", "invalid_request"),
            ("error_description", &why),
            ("state", &state),
        ]);
    }
    let scope = q.get("scope").cloned().unwrap_or_default();
    let audience = q.get("audience").cloned();
    if g.shape == Shape::Auth0
        && let Some(a) = &audience
        && !g.reg.audiences.contains(a)
    {
        return back(&[
            ("error", "access_denied"),
            ("error_description", &format!("Service not found: {a}")),
            ("state", &state),
        ]);
    }
    // PKCE: required for public clients (Okta, Auth0, GitLab, Microsoft);
    // checked wherever sent.
    let challenge = q.get("code_challenge").cloned();
    if challenge.is_none() && !matches!(g.shape, Shape::GitHub | Shape::GitHubApp | Shape::Google) {
        return back(&[
            ("error", "invalid_request"),
            ("error_description", "PKCE code_challenge required"),
            ("state", &state),
        ]);
    }
    let offline = match g.shape {
        // A refresh token only with access_type=offline.
        // https://developers.google.com/identity/protocols/oauth2/web-server#offline
        Shape::Google => q.get("access_type").map(String::as_str) == Some("offline"),
        // offline_access: https://learn.microsoft.com/en-us/entra/identity-platform/scopes-oidc#offline_access
        // https://developer.okta.com/docs/guides/refresh-tokens/main/
        // https://auth0.com/docs/secure/tokens/refresh-tokens/get-refresh-tokens
        Shape::Microsoft | Shape::Okta | Shape::Auth0 => {
            scope.split(' ').any(|s| s == "offline_access")
        }
        Shape::GitHubApp | Shape::GitLab => true,
        Shape::GitHub => false,
    };
    g.counter += 1;
    let code = format!("code-{}", g.counter);
    g.codes.insert(
        code.clone(),
        Pending {
            challenge,
            redirect_uri: redirect.clone(),
            scope,
            offline,
            audience,
        },
    );
    back(&[("code", &code), ("state", &state)])
}

fn basic(headers: &HeaderMap) -> Option<(String, String)> {
    let v = headers.get("authorization")?.to_str().ok()?;
    let raw = base64::engine::general_purpose::STANDARD
        .decode(v.strip_prefix("Basic ")?)
        .ok()?;
    let (id, secret) = std::str::from_utf8(&raw).ok()?.split_once(':')?;
    Some((id.to_string(), secret.to_string()))
}

/// The client's authentication at the token endpoint.
fn client_ok(
    g: &Inner,
    headers: &HeaderMap,
    form: &HashMap<String, String>,
    needs_secret: bool,
) -> Result<(), &'static str> {
    let (id, secret) = match basic(headers) {
        Some((id, s)) => (Some(id), Some(s)),
        None => (
            form.get("client_id").cloned(),
            form.get("client_secret").cloned(),
        ),
    };
    let device_id = g.reg.device_client_id.as_ref();
    if id.as_ref() != Some(&g.reg.client_id) && id.as_ref() != device_id {
        return Err("unknown client_id");
    }
    if needs_secret && (g.reg.client_secret.is_none() || secret != g.reg.client_secret) {
        return Err("client_secret missing or wrong");
    }
    Ok(())
}

fn id_token(g: &Inner) -> String {
    let enc = |v: Value| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v.to_string());
    format!(
        "{}.{}.sig",
        enc(json!({"alg": "RS256", "typ": "JWT"})),
        enc(json!({"sub": "user-1", "email": "ada@example.com",
                   "preferred_username": "ada", "iss": g.base, "aud": g.reg.client_id}))
    )
}

/// Issues tokens for a grant (new, or the one being refreshed).
fn issue(
    g: &mut Inner,
    grant_id: Option<u64>,
    scope: &str,
    offline: bool,
    audience: Option<String>,
    refresh: bool,
) -> Value {
    g.counter += 1;
    let n = g.counter;
    let access = match &audience {
        // An access token for an API is a JWT for that audience.
        Some(a) => format!("eyJ.aud={a}.at-{n}"),
        None => format!("at-{n}"),
    };
    let id = grant_id.unwrap_or(n);
    let rotate = match g.shape {
        // GitHub Apps, GitLab, Microsoft and Okta/Auth0 (with rotation on)
        // issue a new refresh token with each refresh; Google does not.
        // https://docs.gitlab.com/api/oauth2/#access-token-expiration
        Shape::Google => false,
        _ => true,
    };
    let grant = g.grants.entry(id).or_insert(Grant {
        access: Vec::new(),
        refresh: None,
        scope: scope.to_string(),
        audience: audience.clone(),
    });
    grant.access.push(access.clone());
    let mut body = json!({"access_token": access, "token_type": "bearer"});
    let new_refresh = if offline && (!refresh || rotate) {
        let rt = format!("rt-{n}");
        if let Some(old) = grant.refresh.replace(rt.clone()) {
            g.spent.push(old);
        }
        Some(rt)
    } else {
        None
    };
    let grant_scope = g.grants[&id].scope.clone();
    if let Some(rt) = new_refresh {
        body["refresh_token"] = json!(rt);
    }
    match g.shape {
        // OAuth app tokens: no expiry, no refresh; scopes comma-separated.
        // https://docs.github.com/en/apps/oauth-apps/building-oauth-apps/authorizing-oauth-apps#2-users-are-redirected-back-to-your-site-by-github
        Shape::GitHub => {
            body["scope"] = json!(grant_scope.replace(' ', ","));
        }
        // 8 hours, refresh token 6 months.
        // https://docs.github.com/en/apps/creating-github-apps/authenticating-with-a-github-app/refreshing-user-access-tokens
        Shape::GitHubApp => {
            body["expires_in"] = json!(28800);
            body["refresh_token_expires_in"] = json!(15897600);
            body["scope"] = json!("");
        }
        Shape::GitLab => {
            body["expires_in"] = json!(7200);
            body["scope"] = json!(grant_scope);
            body["created_at"] = json!(now());
        }
        _ => {
            body["expires_in"] = json!(3599);
            body["scope"] = json!(grant_scope);
            if grant_scope.split(' ').any(|s| s == "openid") {
                body["id_token"] = json!(id_token(g));
            }
        }
    }
    body
}

/// GitHub answers form-encoded unless JSON is asked for.
/// https://docs.github.com/en/apps/oauth-apps/building-oauth-apps/authorizing-oauth-apps#2-users-are-redirected-back-to-your-site-by-github
fn answer(g: &Inner, headers: &HeaderMap, body: Value) -> Response {
    let wants_json = headers
        .get("accept")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("application/json"));
    if github(g) && !wants_json {
        let form: String = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(body.as_object().unwrap().iter().map(|(k, v)| {
                (
                    k.clone(),
                    v.as_str()
                        .map(str::to_string)
                        .unwrap_or_else(|| v.to_string()),
                )
            }))
            .finish();
        return (
            [("content-type", "application/x-www-form-urlencoded")],
            form,
        )
            .into_response();
    }
    axum::Json(body).into_response()
}

async fn token(
    State(s): Shared,
    prefix: Option<Path<Prefix>>,
    headers: HeaderMap,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    let prefix = prefix.map(|p| p.0).unwrap_or_default();
    let mut g = s.lock().unwrap();
    let mut logged = form.clone();
    logged.remove("client_secret");
    g.stats.token_forms.push(logged);
    g.stats.prefixes.push(prefix_label(
        prefix.tenant.as_deref(),
        prefix.server.as_deref(),
    ));
    if let Err(why) = prefix_ok(&g, prefix.tenant.as_deref(), prefix.server.as_deref()) {
        return error(&mut g, StatusCode::BAD_REQUEST, "invalid_request", &why);
    }
    let grant_type = form.get("grant_type").cloned().unwrap_or_default();
    let shape = g.shape;
    match grant_type.as_str() {
        "authorization_code" => {
            // GitHub and Google demand the client secret at the exchange.
            let needs_secret = matches!(shape, Shape::GitHub | Shape::GitHubApp | Shape::Google);
            if let Err(why) = client_ok(&g, &headers, &form, needs_secret) {
                let code = if github(&g) {
                    "incorrect_client_credentials"
                } else {
                    "invalid_client"
                };
                return error(&mut g, StatusCode::UNAUTHORIZED, code, why);
            }
            let code = form.get("code").cloned().unwrap_or_default();
            let Some(p) = g.codes.remove(&code) else {
                let code = if github(&g) {
                    "bad_verification_code"
                } else {
                    "invalid_grant"
                };
                return error(
                    &mut g,
                    StatusCode::BAD_REQUEST,
                    code,
                    "unknown or used code",
                );
            };
            if form.get("redirect_uri") != Some(&p.redirect_uri) {
                let code = if github(&g) {
                    "redirect_uri_mismatch"
                } else {
                    "invalid_grant"
                };
                return error(
                    &mut g,
                    StatusCode::BAD_REQUEST,
                    code,
                    "redirect_uri differs",
                );
            }
            if let Some(ch) = &p.challenge {
                let verifier = form.get("code_verifier").cloned().unwrap_or_default();
                let want =
                    PkceCodeChallenge::from_code_verifier_sha256(&PkceCodeVerifier::new(verifier));
                if want.as_str() != ch {
                    return error(
                        &mut g,
                        StatusCode::BAD_REQUEST,
                        "invalid_grant",
                        "PKCE verification failed",
                    );
                }
            }
            g.stats.code_exchanges += 1;
            let body = issue(&mut g, None, &p.scope, p.offline, p.audience, false);
            answer(&g, &headers, body)
        }
        "refresh_token" => {
            // Refreshing a GitHub App token and a Google token needs the
            // client secret.
            let needs_secret = matches!(shape, Shape::GitHubApp | Shape::Google);
            if let Err(why) = client_ok(&g, &headers, &form, needs_secret) {
                let code = if github(&g) {
                    "incorrect_client_credentials"
                } else {
                    "invalid_client"
                };
                return error(&mut g, StatusCode::UNAUTHORIZED, code, why);
            }
            // `scope` is required on Microsoft's refresh.
            // https://learn.microsoft.com/en-us/entra/identity-platform/v2-oauth2-auth-code-flow#refresh-the-access-token
            if shape == Shape::Microsoft && form.get("scope").is_none_or(|s| s.is_empty()) {
                return error(
                    &mut g,
                    StatusCode::BAD_REQUEST,
                    "invalid_request",
                    "AADSTS90014: The required field 'scope' is missing from the credential.",
                );
            }
            let rt = form.get("refresh_token").cloned().unwrap_or_default();
            let found = g
                .grants
                .iter()
                .find(|(_, gr)| gr.refresh.as_deref() == Some(&rt))
                .map(|(id, gr)| (*id, gr.scope.clone(), gr.audience.clone()));
            let Some((id, scope, audience)) = found else {
                let why = if g.spent.contains(&rt) {
                    "refresh token already used (rotated)"
                } else {
                    "unknown refresh token"
                };
                let code = if github(&g) {
                    "bad_refresh_token"
                } else {
                    "invalid_grant"
                };
                return error(&mut g, StatusCode::BAD_REQUEST, code, why);
            };
            g.stats.refreshes += 1;
            let body = issue(&mut g, Some(id), &scope, true, audience, true);
            answer(&g, &headers, body)
        }
        "urn:ietf:params:oauth:grant-type:device_code" => {
            let needs_secret = g.reg.device_client_id.is_some();
            if let Err(why) = client_ok(&g, &headers, &form, needs_secret) {
                return error(&mut g, StatusCode::UNAUTHORIZED, "invalid_client", why);
            }
            g.stats.device_polls += 1;
            let code = form.get("device_code").cloned().unwrap_or_default();
            let Some((dc, scope, approved, audience)) = g.device.clone() else {
                return error(
                    &mut g,
                    StatusCode::BAD_REQUEST,
                    "expired_token",
                    "no device code",
                );
            };
            if dc != code {
                return error(
                    &mut g,
                    StatusCode::BAD_REQUEST,
                    "invalid_grant",
                    "unknown device code",
                );
            }
            if !approved {
                // The person approves while the first poll is answered.
                g.device = Some((dc, scope, true, audience));
                // Not a refusal: pending is the normal answer.
                let body = json!({"error": "authorization_pending"});
                let status = if github(&g) {
                    StatusCode::OK
                } else {
                    StatusCode::BAD_REQUEST
                };
                return (status, axum::Json(body)).into_response();
            }
            g.device = None;
            let offline = match shape {
                Shape::GitHub => false,
                Shape::Google | Shape::GitHubApp | Shape::GitLab => true,
                _ => scope.split(' ').any(|s| s == "offline_access"),
            };
            let body = issue(&mut g, None, &scope, offline, audience, false);
            answer(&g, &headers, body)
        }
        other => error(
            &mut g,
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
            other,
        ),
    }
}

async fn device(
    State(s): Shared,
    prefix: Option<Path<Prefix>>,
    headers: HeaderMap,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    let prefix = prefix.map(|p| p.0).unwrap_or_default();
    let mut g = s.lock().unwrap();
    if let Err(why) = prefix_ok(&g, prefix.tenant.as_deref(), prefix.server.as_deref()) {
        return error(&mut g, StatusCode::BAD_REQUEST, "invalid_request", &why);
    }
    let id = form
        .get("client_id")
        .cloned()
        .or_else(|| basic(&headers).map(|b| b.0));
    // Google: a Desktop client cannot use the device flow.
    // https://developers.google.com/identity/protocols/oauth2/limited-input-device
    if let Some(tv) = g.reg.device_client_id.clone()
        && id.as_ref() != Some(&tv)
    {
        return error(
            &mut g,
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "Invalid client type.",
        );
    }
    if id.is_none() {
        return error(
            &mut g,
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "no client_id",
        );
    }
    // GitHub: "you must first enable device flow in your app's settings".
    // https://docs.github.com/en/apps/oauth-apps/building-oauth-apps/authorizing-oauth-apps#device-flow
    if !g.reg.device_enabled {
        let code = if github(&g) {
            "device_flow_disabled"
        } else {
            "unauthorized_client"
        };
        return error(
            &mut g,
            StatusCode::BAD_REQUEST,
            code,
            "device flow not enabled for this client",
        );
    }
    g.counter += 1;
    let dc = format!("dc-{}", g.counter);
    let scope = form.get("scope").cloned().unwrap_or_default();
    g.device = Some((dc.clone(), scope, false, form.get("audience").cloned()));
    let body = json!({
        "device_code": dc,
        "user_code": "WDJB-MJHT",
        "verification_uri": format!("{}/activate", g.base),
        "expires_in": 900,
        "interval": 1,
    });
    answer(&g, &headers, body)
}

/// RFC 7009 revocation, as each provider answers it.
async fn revoke(
    State(s): Shared,
    prefix: Option<Path<Prefix>>,
    headers: HeaderMap,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    let _ = prefix;
    let mut g = s.lock().unwrap();
    let token = form.get("token").cloned().unwrap_or_default();
    let shape = g.shape;
    // Okta, Auth0 and GitLab authenticate the (public) client by its id.
    if matches!(shape, Shape::Okta | Shape::Auth0 | Shape::GitLab)
        && client_ok(&g, &headers, &form, false).is_err()
    {
        return error(
            &mut g,
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "client_id required",
        );
    }
    // Auth0 revokes refresh tokens, and with one the whole grant.
    // https://auth0.com/docs/secure/tokens/refresh-tokens/revoke-refresh-tokens
    if shape == Shape::Auth0 && !token.starts_with("rt-") {
        g.stats
            .refused
            .push("revoke: Auth0 cannot revoke access tokens".into());
        return error(
            &mut g,
            StatusCode::BAD_REQUEST,
            "unsupported_token_type",
            "only refresh tokens",
        );
    }
    let found = g
        .grants
        .iter()
        .find(|(_, gr)| gr.refresh.as_deref() == Some(&token) || gr.access.contains(&token))
        .map(|(id, _)| *id);
    match found {
        Some(id) => {
            // Google: revoking either token revokes the grant.
            // https://developers.google.com/identity/protocols/oauth2/native-app#tokenrevoke
            // Okta, GitLab: revoking a refresh token revokes its access
            // tokens too; the whole grant goes here, a superset.
            g.grants.remove(&id);
            g.stats.revoked.push(token);
            StatusCode::OK.into_response()
        }
        None => {
            g.stats.revoked_unknown += 1;
            if shape == Shape::Google {
                // Google answers 400 invalid_token for a dead token.
                return (
                    StatusCode::BAD_REQUEST,
                    axum::Json(json!({"error": "invalid_token", "error_description": "Token expired or revoked"})),
                )
                    .into_response();
            }
            // RFC 7009 §2.2: invalid tokens are not an error.
            StatusCode::OK.into_response()
        }
    }
}

/// GitHub: DELETE /applications/{client_id}/token, Basic client_id and
/// secret, JSON body; 204, or 404 for a token GitHub does not know.
/// https://docs.github.com/en/rest/apps/oauth-applications#delete-an-app-token
async fn revoke_github(
    State(s): Shared,
    Path(client_id): Path<String>,
    headers: HeaderMap,
    body: String,
) -> Response {
    let mut g = s.lock().unwrap();
    let ok_auth = basic(&headers).is_some_and(|(id, secret)| {
        id == g.reg.client_id && Some(secret) == g.reg.client_secret && client_id == id
    });
    if !ok_auth {
        g.stats
            .refused
            .push("revoke: Basic client_id:client_secret required".into());
        return (
            StatusCode::NOT_FOUND,
            axum::Json(json!({"message": "Not Found"})),
        )
            .into_response();
    }
    let token = serde_json::from_str::<Value>(&body)
        .ok()
        .and_then(|v| v["access_token"].as_str().map(str::to_string))
        .unwrap_or_default();
    let found = g
        .grants
        .iter()
        .find(|(_, gr)| gr.access.contains(&token))
        .map(|(id, _)| *id);
    match found {
        Some(id) => {
            g.grants.remove(&id);
            g.stats.revoked.push(token);
            StatusCode::NO_CONTENT.into_response()
        }
        None => {
            g.stats.revoked_unknown += 1;
            (
                StatusCode::NOT_FOUND,
                axum::Json(json!({"message": "Not Found"})),
            )
                .into_response()
        }
    }
}

async fn userinfo(State(s): Shared, headers: HeaderMap) -> Response {
    let mut g = s.lock().unwrap();
    g.stats.userinfo += 1;
    let token = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("token "))
        })
        .unwrap_or_default()
        .to_string();
    if !g.grants.values().any(|gr| gr.access.contains(&token)) {
        return (StatusCode::UNAUTHORIZED, "bad token").into_response();
    }
    if github(&g) {
        // GitHub's /user: `login` and a numeric `id`.
        return axum::Json(json!({"login": "octocat", "id": 583231})).into_response();
    }
    axum::Json(json!({"sub": "user-1", "email": "ada@example.com", "preferred_username": "ada"}))
        .into_response()
}
