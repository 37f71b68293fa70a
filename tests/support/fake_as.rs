//! A fake OAuth 2.0 authorization server on 127.0.0.1:0 that asserts the
//! protocol it receives: PKCE S256 verifier against the stored challenge,
//! redirect URI, client id, state round trip, `resource`. Refresh tokens are
//! single-use and rotate; a reused one is counted and refused with
//! `invalid_grant`, as real rotating servers do (or, with
//! [`AsConfig::replay_spent`], answered again with the same tokens, as
//! servers with a reuse interval do).
//!
//! Faults, one knob each: [`TokenMode`] says how the token endpoint
//! answers (garbage, 500/503 with or without `Retry-After`, a connection
//! reset halfway through the answer before or after the request took
//! effect, a slow answer, no `expires_in`); [`FakeAs::set_hold`] and
//! [`FakeAs::set_hold_refreshes`] keep requests waiting so a test can act
//! while they are in flight.
//!
//! Its refresh tokens live in `token_ledger`, which a crate declares beside
//! it (with `served`).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};

use axum::Router;
use axum::extract::{Form, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use oauth2::{PkceCodeChallenge, PkceCodeVerifier};
use serde_json::json;

use super::token_ledger::{Ledger, Presented};

#[derive(Clone, Debug)]
pub struct AsConfig {
    pub client_id: String,
    /// Required client secret (client_secret_basic or _post), if any.
    pub client_secret: Option<String>,
    pub access_ttl: u64,
    pub issue_refresh: bool,
    pub rotate_refresh: bool,
    pub iss_param: bool,
    pub expected_resource: Option<String>,
    /// The P-256 public key `private_key_jwt` assertions must verify with.
    pub jwt_public_key: Option<Vec<u8>>,
    /// A spent refresh token presented again gets the very answer it got
    /// the first time (same tokens), instead of `invalid_grant`: the reuse
    /// interval of real servers, and a refresh answered twice.
    pub replay_spent: bool,
}

impl Default for AsConfig {
    fn default() -> Self {
        AsConfig {
            client_id: "test-client".into(),
            client_secret: None,
            access_ttl: 3600,
            issue_refresh: true,
            rotate_refresh: true,
            iss_param: false,
            expected_resource: None,
            jwt_public_key: None,
            replay_spent: false,
        }
    }
}

/// How /authorize answers.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum AuthorizeMode {
    Approve,
    Deny,
    WrongState,
}

/// How /token answers.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum TokenMode {
    Normal,
    /// HTTP 200 with JSON cut off in the middle (a truncated answer).
    Garbage,
    /// HTTP 500 with an HTML page.
    ServerError,
    InvalidGrant,
    /// `expires_in` as a string and `token_type` left out, as some real
    /// providers do.
    Sloppy,
    /// This HTTP status with an empty body and, if given, `Retry-After`
    /// in seconds; nothing is spent.
    Unavailable {
        status: u16,
        retry_after: Option<u64>,
    },
    /// The status line, headers and half of the body of an answer, then
    /// the connection is dropped, before the request took effect.
    ResetMidResponse,
    /// Like `ResetMidResponse`, but after the request took effect: a
    /// refresh token was spent and new tokens issued, and the answer is
    /// lost on the way.
    ResetAfterIssue,
    /// The request waits this long in the server's queue, then is
    /// processed normally (past the client's deadline, nothing is spent).
    Slow(std::time::Duration),
    /// A normal answer without `expires_in`.
    NoExpiresIn,
}

/// Where the protected resource metadata of `/mcp` is published.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum PrmMode {
    /// Named in the 401's `resource_metadata` and at the path-inserted URL.
    Header,
    /// Only at the path-inserted well-known URL.
    PathOnly,
    /// Only at the root well-known URL.
    RootOnly,
    /// Nowhere: a 2025-03-26 server.
    None,
}

/// How the authorization server metadata document misbehaves.
#[derive(Clone, Debug, PartialEq)]
pub enum AsMetadataMode {
    Normal,
    /// A 302 to another host.
    Redirect(String),
    /// Several megabytes of JSON.
    Huge,
    Malformed,
    /// Not served at all.
    Missing,
    /// A login wall: HTTP 200 with an HTML page.
    Html,
}

/// The MCP side of the fake: a resource at `/mcp` and the metadata and
/// registration endpoints of the authorization server.
#[derive(Clone, Debug)]
pub struct McpKnobs {
    pub prm: PrmMode,
    pub prm_resource: Option<String>,
    pub prm_scopes: Option<Vec<String>>,
    pub challenge_scope: Option<String>,
    pub as_issuer: Option<String>,
    pub as_pkce: Option<Vec<String>>,
    pub as_scopes: Option<Vec<String>>,
    pub as_metadata: AsMetadataMode,
    pub as_endpoint_base: Option<String>,
    pub as_auth_methods: Vec<String>,
    pub dcr: bool,
    /// Secret issued to registered clients (None: public clients).
    pub dcr_secret: bool,
    /// Client ID Metadata Documents supported: URL client ids accepted.
    pub cimd: bool,
}

impl Default for McpKnobs {
    fn default() -> Self {
        McpKnobs {
            prm: PrmMode::Header,
            prm_resource: None,
            prm_scopes: Some(vec!["mcp:read".into()]),
            challenge_scope: None,
            as_issuer: None,
            as_pkce: Some(vec!["S256".into()]),
            as_scopes: None,
            as_metadata: AsMetadataMode::Normal,
            as_endpoint_base: None,
            as_auth_methods: vec!["none".into()],
            dcr: true,
            dcr_secret: false,
            cimd: false,
        }
    }
}

/// How the device grant's approval goes.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum DeviceMode {
    /// The person approves after this many polls.
    ApproveAfter(usize),
    /// Like ApproveAfter(2), with a `slow_down` on the first poll.
    SlowDownThenApprove,
    Deny,
    Expire,
}

#[derive(Debug, Default, Clone)]
pub struct Stats {
    pub authorize_requests: usize,
    pub code_exchanges: usize,
    pub refreshes: usize,
    pub client_credentials: usize,
    /// Refresh tokens presented after they had been spent.
    pub reused_refresh_tokens: usize,
    pub pkce_failures: usize,
    pub revoked: Vec<String>,
    pub last_scope: Option<String>,
    pub last_resource: Option<String>,
    pub errors: Vec<String>,
    pub registrations: usize,
    pub metadata_requests: Vec<String>,
    /// Bearer tokens presented at /mcp, accepted or not.
    pub mcp_requests: usize,
    /// When each device-code poll arrived (ms since the first).
    pub device_polls: Vec<u128>,
    /// Every request to the token endpoint, answered or refused.
    pub token_requests: usize,
    /// Token requests that arrived while the server was holding them (see
    /// [`FakeAs::set_hold`]).
    pub held: usize,
    /// When each token request arrived, in ms since the server started.
    pub token_request_ms: Vec<u128>,
    /// Spent refresh tokens answered again (see [`AsConfig::replay_spent`]).
    pub replays: usize,
}

struct Pending {
    challenge: String,
    redirect_uri: String,
    client_id: String,
    scope: Option<String>,
}

struct Inner {
    config: AsConfig,
    issuer: String,
    authorize_mode: AuthorizeMode,
    token_mode: TokenMode,
    codes: HashMap<String, Pending>,
    /// refresh token -> spent?
    /// Refresh tokens issued and spent; its counter names codes,
    /// registrations and tokens.
    ledger: Ledger,
    access_tokens: HashMap<String, u64>,
    stats: Stats,
    mcp: McpKnobs,
    /// client id -> secret, for dynamically registered clients.
    registered: HashMap<String, Option<String>>,
    device_mode: DeviceMode,
    /// `user_code` and `verification_uri_complete` to answer with instead
    /// of the usual ones (a hostile server's prompt).
    device_prompt: Option<(String, String)>,
    /// The `error_description` of a denied authorization.
    deny_description: String,
    device_scope: Option<String>,
    first_poll: Option<std::time::Instant>,
    hold: bool,
    hold_refreshes: bool,
    /// The answer each spent refresh token got, for `replay_spent`.
    answers: HashMap<String, serde_json::Value>,
    started: std::time::Instant,
}

pub struct FakeAs {
    pub url: String,
    inner: Arc<Mutex<Inner>>,
    _served: super::served::Served,
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

impl FakeAs {
    pub fn start(config: AsConfig) -> FakeAs {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://127.0.0.1:{}", listener.local_addr().unwrap().port());
        let inner = Arc::new(Mutex::new(Inner {
            config,
            issuer: url.clone(),
            authorize_mode: AuthorizeMode::Approve,
            token_mode: TokenMode::Normal,
            codes: HashMap::new(),
            ledger: Ledger::default(),
            access_tokens: HashMap::new(),
            stats: Stats::default(),
            mcp: McpKnobs::default(),
            registered: HashMap::new(),
            device_mode: DeviceMode::ApproveAfter(2),
            device_prompt: None,
            deny_description: "The user said no".into(),
            device_scope: None,
            first_poll: None,
            hold: false,
            hold_refreshes: false,
            answers: HashMap::new(),
            started: std::time::Instant::now(),
        }));
        let app = Router::new()
            .route("/authorize", get(authorize))
            .route("/token", post(token))
            .route("/revoke", post(revoke))
            .route("/userinfo", get(userinfo))
            .route("/register", post(register))
            .route("/device", post(device_authorization))
            .route("/mcp", post(mcp))
            // A second MCP server on the same host, at another path, with
            // the same authorization server: its resource is its own URL
            // unless `McpKnobs::prm_resource` names one for both.
            .route("/other/mcp", post(mcp))
            .route("/.well-known/oauth-protected-resource/mcp", get(prm_path))
            .route(
                "/.well-known/oauth-protected-resource/other/mcp",
                get(prm_other),
            )
            .route("/.well-known/oauth-protected-resource", get(prm_root))
            .route("/.well-known/oauth-authorization-server", get(as_metadata))
            .with_state(inner.clone());
        FakeAs {
            url,
            inner,
            _served: super::served::Served::start(listener, app),
        }
    }

    pub fn set_authorize_mode(&self, mode: AuthorizeMode) {
        self.inner.lock().unwrap().authorize_mode = mode;
    }

    /// /authorize denies with this `error_description`.
    pub fn deny_with(&self, description: &str) {
        let mut g = self.inner.lock().unwrap();
        g.authorize_mode = AuthorizeMode::Deny;
        g.deny_description = description.into();
    }

    pub fn set_token_mode(&self, mode: TokenMode) {
        self.inner.lock().unwrap().token_mode = mode;
    }

    pub fn set_device_mode(&self, mode: DeviceMode) {
        self.inner.lock().unwrap().device_mode = mode;
    }

    /// The device authorization answers with this `user_code` and
    /// `verification_uri_complete`.
    pub fn set_device_prompt(&self, user_code: &str, verification_uri_complete: &str) {
        self.inner.lock().unwrap().device_prompt =
            Some((user_code.into(), verification_uri_complete.into()));
    }

    pub fn set_mcp(&self, knobs: McpKnobs) {
        self.inner.lock().unwrap().mcp = knobs;
    }

    /// Forgets every dynamically registered client, as a server that was
    /// reset would.
    pub fn forget_registrations(&self) {
        self.inner.lock().unwrap().registered.clear();
    }

    pub fn mcp_url(&self) -> String {
        format!("{}/mcp", self.url)
    }

    /// The second MCP server on this host ([`FakeAs::start`]'s `/other/mcp`).
    pub fn other_mcp_url(&self) -> String {
        format!("{}/other/mcp", self.url)
    }

    /// While holding, token requests wait without being looked at, and are
    /// answered `temporarily_unavailable` once the hold ends: a refresh
    /// request caught in flight that spends nothing.
    pub fn set_hold(&self, hold: bool) {
        self.inner.lock().unwrap().hold = hold;
    }

    /// While holding, refresh requests (only) wait; once the hold ends they
    /// are processed normally: a refresh in flight for as long as a test
    /// needs.
    pub fn set_hold_refreshes(&self, hold: bool) {
        self.inner.lock().unwrap().hold_refreshes = hold;
    }

    /// A new live refresh token, as if issued by an earlier login (for
    /// credentials seeded straight into a store).
    pub fn mint_refresh_token(&self) -> String {
        let mut g = self.inner.lock().unwrap();
        let n = g.ledger.next();
        let rt = format!("rt-minted-{n}");
        g.ledger.add_refresh(&rt);
        rt
    }

    /// Is this refresh token one the server issued and has not spent?
    pub fn refresh_token_live(&self, token: &str) -> bool {
        self.inner.lock().unwrap().ledger.usable(token)
    }

    pub fn stats(&self) -> Stats {
        self.inner.lock().unwrap().stats.clone()
    }

    /// Is this access token one the server issued and has not revoked?
    pub fn access_token_valid(&self, token: &str) -> bool {
        let g = self.inner.lock().unwrap();
        g.access_tokens.get(token).is_some_and(|exp| *exp > now())
    }

    /// A `[providers.NAME]` table pointing at this server.
    pub fn provider_toml(&self, name: &str) -> String {
        let c = self.inner.lock().unwrap().config.clone();
        format!(
            "[providers.{name}]\nauthorize_url = \"{u}/authorize\"\ntoken_url = \"{u}/token\"\n\
             revocation_url = \"{u}/revoke\"\nuserinfo_url = \"{u}/userinfo\"\nissuer = \"{u}\"\n\
             device_authorization_url = \"{u}/device\"\n\
             client_id = \"{id}\"\nscopes = [\"read\", \"write\"]\n",
            u = self.url,
            id = c.client_id
        )
    }
}

type Shared = State<Arc<Mutex<Inner>>>;

fn oauth_error(status: StatusCode, error: &str, description: &str) -> Response {
    (
        status,
        axum::Json(json!({"error": error, "error_description": description})),
    )
        .into_response()
}

async fn authorize(State(s): Shared, Query(q): Query<HashMap<String, String>>) -> Response {
    let mut g = s.lock().unwrap();
    g.stats.authorize_requests += 1;
    let redirect = q.get("redirect_uri").cloned().unwrap_or_default();
    let state = q.get("state").cloned().unwrap_or_default();
    let mut problems = Vec::new();
    if q.get("response_type").map(String::as_str) != Some("code") {
        problems.push("response_type is not code");
    }
    if q.get("code_challenge_method").map(String::as_str) != Some("S256") {
        problems.push("PKCE method is not S256");
    }
    if q.get("code_challenge").is_none_or(|c| c.len() < 43) {
        problems.push("no usable code_challenge");
    }
    // Like most servers in tests, /authorize takes any client id; the
    // token endpoint authenticates the client.
    if q.get("client_id").is_none_or(|c| c.is_empty()) {
        problems.push("no client_id");
    }
    if state.len() < 16 {
        problems.push("state too short");
    }
    if !redirect.starts_with("http://127.0.0.1:") {
        problems.push("redirect_uri is not a 127.0.0.1 loopback");
    }
    if let Some(want) = &g.config.expected_resource
        && q.get("resource") != Some(want)
    {
        problems.push("resource missing or wrong");
    }
    if !problems.is_empty() {
        g.stats
            .errors
            .extend(problems.iter().map(|p| format!("authorize: {p}")));
        return (StatusCode::BAD_REQUEST, problems.join("; ")).into_response();
    }
    g.stats.last_scope = q.get("scope").cloned();
    g.stats.last_resource = q.get("resource").cloned();
    let iss = if g.config.iss_param {
        format!("&iss={}", urlencode(&g.issuer))
    } else {
        String::new()
    };
    match g.authorize_mode {
        AuthorizeMode::Deny => Redirect::to(&format!(
            "{redirect}?error=access_denied&error_description={}&state={}{iss}",
            urlencode(&g.deny_description),
            urlencode(&state)
        ))
        .into_response(),
        AuthorizeMode::WrongState => {
            Redirect::to(&format!("{redirect}?code=whatever&state=forged{iss}")).into_response()
        }
        AuthorizeMode::Approve => {
            let n = g.ledger.next();
            let code = format!("code-{n}");
            let pending = Pending {
                challenge: q["code_challenge"].clone(),
                redirect_uri: redirect.clone(),
                client_id: q["client_id"].clone(),
                scope: q.get("scope").cloned(),
            };
            g.codes.insert(code.clone(), pending);
            Redirect::to(&format!(
                "{redirect}?code={code}&state={}{iss}",
                urlencode(&state)
            ))
            .into_response()
        }
    }
}

fn urlencode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// Checks client authentication; returns the client id used.
fn client_auth(
    g: &Inner,
    headers: &HeaderMap,
    form: &HashMap<String, String>,
) -> Result<(), String> {
    let basic = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Basic "))
        .and_then(|b| {
            use base64::Engine;
            base64::engine::general_purpose::STANDARD.decode(b).ok()
        })
        .and_then(|b| String::from_utf8(b).ok());
    let (id, secret) = match basic {
        Some(pair) => {
            let (i, s) = pair.split_once(':').unwrap_or((&pair, ""));
            (Some(i.to_string()), Some(s.to_string()))
        }
        None => (
            form.get("client_id").cloned(),
            form.get("client_secret").cloned(),
        ),
    };
    let Some(id) = id else {
        return Err("no client_id".into());
    };
    let want = if id == g.config.client_id {
        g.config.client_secret.clone()
    } else if let Some(s) = g.registered.get(&id) {
        s.clone()
    } else if g.mcp.cimd && id.starts_with("https://") {
        None
    } else {
        return Err("unknown client".into());
    };
    if let Some(want) = want
        && secret.as_deref() != Some(want.as_str())
    {
        return Err("wrong client secret".into());
    }
    Ok(())
}

fn issue(g: &mut Inner, scope: Option<String>) -> serde_json::Value {
    let n = g.ledger.next();
    let access = format!("at-{n}-{}", now());
    let exp = now() + g.config.access_ttl;
    g.access_tokens.insert(access.clone(), exp);
    let mut body = json!({
        "access_token": access,
        "token_type": "Bearer",
        "expires_in": g.config.access_ttl,
    });
    if let Some(s) = scope {
        body["scope"] = json!(s);
    }
    if g.config.issue_refresh {
        let rt = format!("rt-{n}");
        g.ledger.add_refresh(&rt);
        body["refresh_token"] = json!(rt);
    }
    body
}

/// Half of `body` with a 200 status, then the connection is dropped (the
/// stream body fails, so hyper aborts it mid-answer).
fn reset_mid_response(body: serde_json::Value) -> Response {
    let text = body.to_string();
    let half = text[..text.len() / 2].to_string();
    // The failure comes a moment later, so the half really goes out first.
    let chunks = futures_util::stream::unfold(Some(half), |half| async move {
        match half {
            Some(h) => Some((Ok::<_, std::io::Error>(h), None)),
            None => {
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                Some((Err(std::io::Error::other("reset on purpose")), None))
            }
        }
    });
    Response::builder()
        .status(StatusCode::OK)
        .header("content-type", "application/json")
        .body(axum::body::Body::from_stream(chunks))
        .unwrap()
}

async fn token(
    State(s): Shared,
    headers: HeaderMap,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    let is_refresh = form.get("grant_type").map(String::as_str) == Some("refresh_token");
    let (held, slow) = {
        let mut g = s.lock().unwrap();
        g.stats.token_requests += 1;
        let at = g.started.elapsed().as_millis();
        g.stats.token_request_ms.push(at);
        if g.hold {
            g.stats.held += 1;
        }
        let slow = match g.token_mode {
            TokenMode::Slow(d) => Some(d),
            _ => None,
        };
        (g.hold, slow)
    };
    if held {
        while s.lock().unwrap().hold {
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
        return oauth_error(
            StatusCode::SERVICE_UNAVAILABLE,
            "temporarily_unavailable",
            "held",
        );
    }
    if is_refresh {
        while s.lock().unwrap().hold_refreshes {
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
    }
    if let Some(d) = slow {
        tokio::time::sleep(d).await;
    }
    let mut g = s.lock().unwrap();
    match g.token_mode {
        TokenMode::Unavailable {
            status,
            retry_after,
        } => {
            let mut r = StatusCode::from_u16(status).unwrap().into_response();
            if let Some(secs) = retry_after {
                r.headers_mut()
                    .insert("retry-after", secs.to_string().parse().unwrap());
            }
            return r;
        }
        TokenMode::ResetMidResponse => {
            return reset_mid_response(json!({
                "access_token": "at-never-issued",
                "token_type": "Bearer",
                "expires_in": 3600,
                "refresh_token": "rt-never-issued",
            }));
        }
        _ => {}
    }
    match g.token_mode {
        TokenMode::Garbage => {
            return (
                StatusCode::OK,
                [("content-type", "application/json")],
                "{\"access_tok",
            )
                .into_response();
        }
        TokenMode::ServerError => {
            return (StatusCode::INTERNAL_SERVER_ERROR, "<html>oops</html>").into_response();
        }
        TokenMode::InvalidGrant => {
            return oauth_error(StatusCode::BAD_REQUEST, "invalid_grant", "grant revoked");
        }
        _ => {}
    }
    if let Err(e) = client_auth(&g, &headers, &form) {
        g.stats.errors.push(format!("token: {e}"));
        return oauth_error(StatusCode::UNAUTHORIZED, "invalid_client", &e);
    }
    if let Some(want) = g.config.expected_resource.clone()
        && form.get("resource") != Some(&want)
    {
        g.stats
            .errors
            .push("token: resource missing or wrong".into());
        return oauth_error(StatusCode::BAD_REQUEST, "invalid_target", "resource");
    }
    let mut body = match form.get("grant_type").map(String::as_str) {
        Some("authorization_code") => {
            let code = form.get("code").cloned().unwrap_or_default();
            let Some(p) = g.codes.remove(&code) else {
                return oauth_error(StatusCode::BAD_REQUEST, "invalid_grant", "unknown code");
            };
            let verifier = form.get("code_verifier").cloned().unwrap_or_default();
            let computed =
                PkceCodeChallenge::from_code_verifier_sha256(&PkceCodeVerifier::new(verifier));
            if computed.as_str() != p.challenge {
                g.stats.pkce_failures += 1;
                return oauth_error(
                    StatusCode::BAD_REQUEST,
                    "invalid_grant",
                    "PKCE verification failed",
                );
            }
            if form.get("redirect_uri") != Some(&p.redirect_uri) {
                g.stats
                    .errors
                    .push("token: redirect_uri differs from authorize".into());
                return oauth_error(
                    StatusCode::BAD_REQUEST,
                    "invalid_grant",
                    "redirect_uri mismatch",
                );
            }
            if form.get("client_id").is_some_and(|c| c != &p.client_id) {
                return oauth_error(StatusCode::BAD_REQUEST, "invalid_grant", "client mismatch");
            }
            g.stats.code_exchanges += 1;
            issue(&mut g, p.scope)
        }
        Some("refresh_token") => {
            let rt = form.get("refresh_token").cloned().unwrap_or_default();
            match g.ledger.present(&rt) {
                Presented::Unknown => {
                    return oauth_error(
                        StatusCode::BAD_REQUEST,
                        "invalid_grant",
                        "unknown refresh token",
                    );
                }
                Presented::Spent => {
                    if g.config.replay_spent
                        && let Some(answer) = g.answers.get(&rt).cloned()
                    {
                        g.stats.replays += 1;
                        return (StatusCode::OK, axum::Json(answer)).into_response();
                    }
                    g.stats.reused_refresh_tokens += 1;
                    return oauth_error(
                        StatusCode::BAD_REQUEST,
                        "invalid_grant",
                        "refresh token reused",
                    );
                }
                Presented::Usable => {}
            }
            g.stats.refreshes += 1;
            if g.config.rotate_refresh {
                g.ledger.spend(&rt);
                let answer = issue(&mut g, None);
                g.answers.insert(rt, answer.clone());
                answer
            } else {
                let issue_refresh = g.config.issue_refresh;
                g.config.issue_refresh = false;
                let b = issue(&mut g, None);
                g.config.issue_refresh = issue_refresh;
                b
            }
        }
        Some("urn:ietf:params:oauth:grant-type:device_code") => {
            if form.get("device_code").map(String::as_str) != Some("dev-code") {
                return oauth_error(
                    StatusCode::BAD_REQUEST,
                    "invalid_grant",
                    "unknown device code",
                );
            }
            let first = *g.first_poll.get_or_insert_with(std::time::Instant::now);
            g.stats.device_polls.push(first.elapsed().as_millis());
            let polls = g.stats.device_polls.len();
            match g.device_mode {
                DeviceMode::Deny => {
                    return oauth_error(
                        StatusCode::BAD_REQUEST,
                        "access_denied",
                        "the user declined",
                    );
                }
                DeviceMode::Expire => {
                    return oauth_error(
                        StatusCode::BAD_REQUEST,
                        "expired_token",
                        "the code expired",
                    );
                }
                DeviceMode::SlowDownThenApprove if polls == 1 => {
                    return oauth_error(StatusCode::BAD_REQUEST, "slow_down", "easy");
                }
                DeviceMode::SlowDownThenApprove if polls < 3 => {
                    return oauth_error(StatusCode::BAD_REQUEST, "authorization_pending", "wait");
                }
                DeviceMode::ApproveAfter(n) if polls <= n => {
                    return oauth_error(StatusCode::BAD_REQUEST, "authorization_pending", "wait");
                }
                _ => {}
            }
            let scope = g.device_scope.clone();
            issue(&mut g, scope)
        }
        Some("client_credentials") => {
            g.stats.client_credentials += 1;
            let issue_refresh = g.config.issue_refresh;
            g.config.issue_refresh = false;
            let b = issue(&mut g, form.get("scope").cloned());
            g.config.issue_refresh = issue_refresh;
            b
        }
        _ => return oauth_error(StatusCode::BAD_REQUEST, "unsupported_grant_type", "grant"),
    };
    g.stats.last_resource = form
        .get("resource")
        .cloned()
        .or(g.stats.last_resource.clone());
    match g.token_mode {
        TokenMode::Sloppy => {
            let ttl = body["expires_in"].to_string();
            body["expires_in"] = json!(ttl);
            body.as_object_mut().unwrap().remove("token_type");
        }
        TokenMode::NoExpiresIn => {
            body.as_object_mut().unwrap().remove("expires_in");
        }
        TokenMode::ResetAfterIssue => return reset_mid_response(body),
        _ => {}
    }
    (StatusCode::OK, axum::Json(body)).into_response()
}

async fn revoke(State(s): Shared, Form(form): Form<HashMap<String, String>>) -> Response {
    let mut g = s.lock().unwrap();
    let token = form.get("token").cloned().unwrap_or_default();
    g.access_tokens.remove(&token);
    g.ledger.revoke(&token);
    g.stats.revoked.push(token);
    StatusCode::OK.into_response()
}

async fn userinfo(State(s): Shared, headers: HeaderMap) -> Response {
    let g = s.lock().unwrap();
    let token = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or_default();
    if g.access_tokens.get(token).is_none_or(|exp| *exp <= now()) {
        return StatusCode::UNAUTHORIZED.into_response();
    }
    axum::Json(json!({"sub": "user-1", "preferred_username": "ada", "email": "ada@example.com"}))
        .into_response()
}

// ---- MCP resource and authorization server metadata -----------------------

async fn register(State(s): Shared, axum::Json(body): axum::Json<serde_json::Value>) -> Response {
    let mut g = s.lock().unwrap();
    if !g.mcp.dcr {
        return StatusCode::NOT_FOUND.into_response();
    }
    let uris = body["redirect_uris"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let device_only = body["grant_types"].as_array().is_some_and(|g| {
        g.iter()
            .any(|g| g == "urn:ietf:params:oauth:grant-type:device_code")
    });
    let loopback = uris.iter().all(|u| {
        u.as_str()
            .is_some_and(|u| u.starts_with("http://127.0.0.1:"))
    });
    if !loopback || (uris.is_empty() && !device_only) {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_redirect_uri",
            "loopback only",
        );
    }
    let n = g.ledger.next();
    g.stats.registrations += 1;
    let id = format!("dyn-{n}");
    let secret = g.mcp.dcr_secret.then(|| format!("sec-{n}"));
    g.registered.insert(id.clone(), secret.clone());
    let method = if secret.is_some() {
        "client_secret_post"
    } else {
        "none"
    };
    let mut out = json!({
        "client_id": id,
        "redirect_uris": uris,
        "token_endpoint_auth_method": method,
        "grant_types": body["grant_types"],
    });
    if let Some(sec) = secret {
        out["client_secret"] = json!(sec);
    }
    (StatusCode::CREATED, axum::Json(out)).into_response()
}

fn prm_doc(g: &Inner) -> serde_json::Value {
    prm_doc_for(g, "/mcp")
}

fn prm_doc_for(g: &Inner, path: &str) -> serde_json::Value {
    let mut doc = json!({
        "resource": g.mcp.prm_resource.clone().unwrap_or_else(|| format!("{}{path}", g.issuer)),
        "authorization_servers": [g.issuer],
    });
    if let Some(s) = &g.mcp.prm_scopes {
        doc["scopes_supported"] = json!(s);
    }
    doc
}

async fn prm_path(State(s): Shared) -> Response {
    let mut g = s.lock().unwrap();
    g.stats.metadata_requests.push("prm-path".into());
    match g.mcp.prm {
        PrmMode::Header | PrmMode::PathOnly => axum::Json(prm_doc(&g)).into_response(),
        _ => StatusCode::NOT_FOUND.into_response(),
    }
}

async fn prm_other(State(s): Shared) -> Response {
    let mut g = s.lock().unwrap();
    g.stats.metadata_requests.push("prm-other".into());
    match g.mcp.prm {
        PrmMode::Header | PrmMode::PathOnly => {
            axum::Json(prm_doc_for(&g, "/other/mcp")).into_response()
        }
        _ => StatusCode::NOT_FOUND.into_response(),
    }
}

async fn prm_root(State(s): Shared) -> Response {
    let mut g = s.lock().unwrap();
    g.stats.metadata_requests.push("prm-root".into());
    match g.mcp.prm {
        PrmMode::RootOnly => axum::Json(prm_doc(&g)).into_response(),
        _ => StatusCode::NOT_FOUND.into_response(),
    }
}

async fn as_metadata(State(s): Shared) -> Response {
    let mut g = s.lock().unwrap();
    g.stats.metadata_requests.push("as".into());
    let base = g
        .mcp
        .as_endpoint_base
        .clone()
        .unwrap_or_else(|| g.issuer.clone());
    match &g.mcp.as_metadata {
        AsMetadataMode::Missing => return StatusCode::NOT_FOUND.into_response(),
        AsMetadataMode::Redirect(to) => return Redirect::temporary(to).into_response(),
        AsMetadataMode::Malformed => {
            return (
                StatusCode::OK,
                [("content-type", "application/json")],
                "{\"issuer\": [",
            )
                .into_response();
        }
        AsMetadataMode::Html => {
            return (
                StatusCode::OK,
                [("content-type", "text/html; charset=utf-8")],
                "<!doctype html><html><head><style>body{font:14px sans-serif}</style>\
                 <title>Sign in - Example SSO</title></head><body>Sign in</body></html>",
            )
                .into_response();
        }
        AsMetadataMode::Huge => {
            let big = "x".repeat(3 * 1024 * 1024);
            return axum::Json(json!({"issuer": g.issuer, "padding": big})).into_response();
        }
        AsMetadataMode::Normal => {}
    }
    let mut doc = json!({
        "issuer": g.mcp.as_issuer.clone().unwrap_or_else(|| g.issuer.clone()),
        "authorization_endpoint": format!("{base}/authorize"),
        "token_endpoint": format!("{base}/token"),
        "revocation_endpoint": format!("{base}/revoke"),
        "userinfo_endpoint": format!("{base}/userinfo"),
        "device_authorization_endpoint": format!("{base}/device"),
        "response_types_supported": ["code"],
        "token_endpoint_auth_methods_supported": g.mcp.as_auth_methods,
    });
    if g.mcp.dcr {
        doc["registration_endpoint"] = json!(format!("{base}/register"));
    }
    if let Some(p) = &g.mcp.as_pkce {
        doc["code_challenge_methods_supported"] = json!(p);
    }
    if let Some(sc) = &g.mcp.as_scopes {
        doc["scopes_supported"] = json!(sc);
    }
    if g.mcp.cimd {
        doc["client_id_metadata_document_supported"] = json!(true);
    }
    axum::Json(doc).into_response()
}

async fn mcp(State(s): Shared, uri: axum::http::Uri, headers: HeaderMap, body: String) -> Response {
    let mut g = s.lock().unwrap();
    g.stats.mcp_requests += 1;
    let token = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or_default()
        .to_string();
    if g.access_tokens.get(&token).is_none_or(|exp| *exp <= now()) {
        let mut challenge = "Bearer error=\"invalid_token\"".to_string();
        if g.mcp.prm == PrmMode::Header {
            challenge.push_str(&format!(
                ", resource_metadata=\"{}/.well-known/oauth-protected-resource{}\"",
                g.issuer,
                uri.path()
            ));
        }
        if let Some(sc) = &g.mcp.challenge_scope {
            challenge.push_str(&format!(", scope=\"{sc}\""));
        }
        return (
            StatusCode::UNAUTHORIZED,
            [("www-authenticate", challenge)],
            axum::Json(json!({"error": "invalid_token"})),
        )
            .into_response();
    }
    let req: serde_json::Value = serde_json::from_str(&body).unwrap_or_default();
    axum::Json(json!({"jsonrpc": "2.0", "id": req["id"], "result": {"ok": true}})).into_response()
}

async fn device_authorization(
    State(s): Shared,
    headers: HeaderMap,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    let mut g = s.lock().unwrap();
    if let Err(e) = client_auth(&g, &headers, &form) {
        return oauth_error(StatusCode::UNAUTHORIZED, "invalid_client", &e);
    }
    g.device_scope = form.get("scope").cloned();
    g.stats.last_scope = form.get("scope").cloned();
    g.stats.last_resource = form.get("resource").cloned();
    g.first_poll = None;
    g.stats.device_polls.clear();
    let verify = format!("{}/activate", g.issuer);
    let (user_code, complete) = g
        .device_prompt
        .clone()
        .unwrap_or_else(|| ("WDJB-MJHT".into(), format!("{verify}?user_code=WDJB-MJHT")));
    axum::Json(json!({
        "device_code": "dev-code",
        "user_code": user_code,
        "verification_uri": verify,
        "verification_uri_complete": complete,
        "expires_in": 60,
        "interval": 1,
    }))
    .into_response()
}
