//! Logging in to an MCP server: probe, discovery, client identity
//! (pre-registered, Client ID Metadata Document, or Dynamic Client
//! Registration reused per issuer), then the authorization code flow with
//! PKCE and `resource`. Used by `mcp-auth login URL` and by the bridge when
//! a server first says 401.

use std::time::Duration;

use super::challenge::{self, BearerChallenge};
use super::discovery::{self, Discovery, PROTOCOL_VERSION, Source};
use crate::credentials::{Credentials, NewCredential, Registration, validate_name};
use crate::error::{Error, Result};
use crate::model::{AuthMethod, Credential, GrantKind, IdpExchange, Origin, Secret, now};
use crate::oauth::flow::{self, CodeFlow, Presenter};
use crate::oauth::loopback::{Loopback, callback_path_for};
use crate::oauth::{ClientAuth, identity, registration};
use crate::output::Printer;
use crate::task::blocking;

/// What the person (or the bridge) asks of a login.
#[derive(Debug, Clone, Default)]
pub struct LoginOptions {
    pub name: Option<String>,
    /// A pre-registered client; its secret in `client_secret` or the keyring.
    pub client_id: Option<String>,
    pub client_secret: Option<Secret>,
    /// Our Client ID Metadata Document, used when the server supports them.
    pub client_metadata_url: Option<String>,
    /// Scopes to request instead of the discovered ones.
    pub scopes: Vec<String>,
    pub port: Option<u16>,
    pub timeout: Duration,
    pub browser: Option<String>,
    pub no_browser: bool,
    /// Paste-back: also accept the final redirect URL on stdin.
    pub paste: bool,
    /// The device authorization grant instead of a redirect.
    pub device: bool,
    /// Cross-app access: the IdP exchange and the person's ID token.
    pub idp: Option<IdpExchange>,
    /// Workload identity: where the platform's identity token comes from.
    pub assertion: Option<AssertionSource>,
    /// Use a saved credential of the same authorization server and resource
    /// instead of logging in, when one is valid and may go to this server
    /// ([`shared_credential`]): a login on first use, never an explicit one.
    /// The paths hold the login lock of that issuer and resource, so two
    /// servers of one resource logging in at once make one login.
    pub share: Option<crate::paths::Paths>,
}

/// Where a workload's identity token (the JWT bearer grant's assertion)
/// comes from.
#[derive(Debug, Clone)]
pub enum AssertionSource {
    /// A file the platform keeps current, read at each renewal.
    File(std::path::PathBuf),
    /// This process's environment: one login, no renewal.
    Env { var: String, token: Secret },
}

/// How many times a cached registration the server has forgotten is
/// replaced within one login.
const REREGISTER_ATTEMPTS: usize = 1;

/// Asks the server, without a token, to initialize: a 401 carries the
/// challenge that starts discovery. Returns `None` when the server let the
/// request through.
pub async fn probe(server_url: &str) -> Result<Option<BearerChallenge>> {
    let client = crate::oauth::http::client()?;
    let body = serde_json::json!({
        "jsonrpc": "2.0",
        "id": 0,
        "method": "initialize",
        "params": {
            "protocolVersion": PROTOCOL_VERSION,
            "capabilities": {},
            "clientInfo": {"name": "mcp-auth", "version": env!("CARGO_PKG_VERSION")}
        }
    });
    tracing::debug!(url = %server_url, "probing the server without a token (initialize)");
    let resp = client
        .post(server_url)
        .header("accept", "application/json, text/event-stream")
        .json(&body)
        .send()
        .await
        .map_err(|e| Error::network(format!("cannot reach {server_url}"), &e))?;
    let status = resp.status();
    tracing::debug!(url = %server_url, status = status.as_u16(), "the probe was answered");
    if status == reqwest::StatusCode::UNAUTHORIZED {
        let values: Vec<String> = resp
            .headers()
            .get_all(reqwest::header::WWW_AUTHENTICATE)
            .iter()
            .filter_map(|v| v.to_str().ok().map(str::to_string))
            .collect();
        let challenge = challenge::bearer(values.iter().map(String::as_str)).unwrap_or_default();
        tracing::debug!(
            resource_metadata = %challenge.resource_metadata.as_deref().unwrap_or("-"),
            scope = %challenge.scope.as_deref().unwrap_or("-"),
            "the server asks for a bearer token"
        );
        return Ok(Some(challenge));
    }
    // The server answered without a token: end the session it may have
    // opened, so the probe leaves nothing behind.
    if let Some(session) = resp.headers().get("mcp-session-id").cloned() {
        let _ = client
            .delete(server_url)
            .header("mcp-session-id", session)
            .send()
            .await;
    }
    Ok(None)
}

pub use crate::model::default_server_name as default_name;

/// The credential a login for `server_url` (canonical) saves under:
/// `--name`; else the one already saved for this server, so a credential
/// saved under an older default name (the host alone) keeps its name and is
/// replaced rather than doubled; else the default name (host and port), or,
/// when a credential of another server on the same host holds that, the
/// default with the server's path ([`crate::model::server_name_with_path`]).
pub fn credential_name(
    store: &Credentials,
    server_url: &str,
    explicit: Option<&str>,
) -> Result<String> {
    if let Some(n) = explicit {
        return Ok(n.to_string());
    }
    let own = |c: &Credential| matches!(&c.origin, crate::model::Origin::McpServer { server_url: s } if s == server_url);
    if let Some(c) = store.find_by_server(server_url)?.into_iter().find(own) {
        return Ok(c.name);
    }
    let short = default_name(server_url);
    match store.get(&short)? {
        None => Ok(short),
        Some(c) if own(&c) => Ok(short),
        Some(_) => {
            let long = crate::model::server_name_with_path(server_url);
            let mut name = long.clone();
            let mut n = 2;
            // Another server holds this one too (a path that differs only
            // in characters names cannot have): number it.
            while store.get(&name)?.is_some_and(|c| !own(&c)) {
                name = format!("{}-{n}", &long[..long.len().min(95)]);
                n += 1;
            }
            Ok(name)
        }
    }
}

/// What a login that waited for another process's may do instead of
/// logging in itself.
#[derive(Clone)]
pub enum Reuse {
    /// Nothing: an explicit `mcp-auth login`, or one for more scopes, runs
    /// after the running one, replacing what it saved.
    Never,
    /// A login on first use: a credential saved meanwhile under the name,
    /// whose token is valid and is not the one the server refused, is used;
    /// a login it waited for that failed is reported, not run again.
    Valid { rejected: Option<Secret> },
}

/// What [`single_flight`] ended with.
pub struct Flown {
    pub credential: Credential,
    /// False when a credential saved by another process was used instead.
    pub logged_in: bool,
}

/// Which login [`single_flight`] runs, and for whom.
pub struct Flight<'a> {
    pub paths: &'a crate::paths::Paths,
    /// The server's canonical URL.
    pub server: &'a str,
    /// `--name`, or the credential the caller already uses; else the name
    /// comes from the server's URL ([`credential_name`]).
    pub name: Option<&'a str>,
    /// What this process is, for those waiting (`mcp-auth bridge`).
    pub who: &'a str,
    /// The login timeout, which bounds the wait too.
    pub timeout: Duration,
    pub reuse: Reuse,
}

/// Runs `login` (given the credential's name) unless another process is
/// running the login of that credential: then waits for it (bounded by the
/// login timeout, saying so once on `out`) and, as `flight.reuse` allows,
/// uses what it saved or reports how it failed ([`crate::login_flight`]).
pub async fn single_flight<F, Fut>(
    creds: &Credentials,
    out: &Printer,
    flight: Flight<'_>,
    login: F,
) -> Result<Flown>
where
    F: FnOnce(String) -> Fut,
    Fut: std::future::Future<Output = Result<Credential>>,
{
    let Flight {
        paths,
        server,
        name: explicit,
        who,
        timeout,
        reuse,
    } = flight;
    let mut notice = |n: &str, h: Option<&crate::login_flight::Holder>| {
        out.info(&crate::login_flight::waiting_line(n, h));
    };
    let resolve = || {
        let store = creds.clone();
        let (server, explicit) = (server.to_string(), explicit.map(str::to_string));
        blocking(move || credential_name(&store, &server, explicit.as_deref()))
    };
    // The name comes from what is saved: a server on the same host that
    // logged in while this process waited can take the host's name, and
    // this server's name then has its path; its lock is another one.
    let (name, lock) = loop {
        let name = resolve().await?;
        validate_name(&name)?;
        let lock =
            crate::login_flight::LoginFlight::acquire(paths, &name, who, timeout, &mut notice)
                .await?;
        if resolve().await? == name {
            break (name, lock);
        }
    };
    if let Reuse::Valid { rejected } = &reuse {
        if let Some(c) = reusable(creds, &name, server, explicit.is_some(), rejected.as_ref()).await
        {
            if let Some(h) = lock.waited_for() {
                out.info(&format!(
                    "mcp-auth: using '{name}', which the login in process {} saved",
                    h.pid
                ));
            }
            tracing::info!(credential = %name, "a valid credential was saved meanwhile; no login needed");
            return Ok(Flown {
                credential: c,
                logged_in: false,
            });
        }
        if let Some(e) = lock
            .waited()
            .filter(|o| o.server.as_deref() == Some(server))
            .and_then(|o| o.error(&name))
        {
            return Err(e);
        }
    }
    let result = login(name).await;
    lock.finish(Some(server), &result, |c| c.name.clone());
    result.map(|credential| Flown {
        credential,
        logged_in: true,
    })
}

/// The credential `name` when it holds a valid token other than `rejected`
/// and, unless named explicitly, is one found for `server` (its own, or
/// one it shares): never another server's that took the same name.
async fn reusable(
    creds: &Credentials,
    name: &str,
    server: &str,
    explicit: bool,
    rejected: Option<&Secret>,
) -> Option<Credential> {
    if !explicit {
        let store = creds.clone();
        let url = server.to_string();
        let found = blocking(move || store.find_by_server(&url)).await.ok()?;
        if !found.iter().any(|c| c.name == name) {
            return None;
        }
    }
    let token = match creds.valid_token(name, Duration::from_secs(5)).await {
        Ok(t) => t,
        Err(e) => {
            tracing::debug!(credential = %name, error = %e, "no usable credential saved; logging in");
            return None;
        }
    };
    if Some(&token.token) == rejected {
        return None;
    }
    let store = creds.clone();
    let key = name.to_string();
    blocking(move || store.get(&key)).await.ok()?
}

/// The login lock of an authorization server and resource (not of a
/// credential name): two servers of one resource starting their first
/// login at once take turns, and the second shares what the first saved.
/// Its name is the issuer and resource reduced to the characters lock
/// names allow; two that reduce alike only wait for each other, since what
/// is shared is decided by the exact issuer and resource in the store.
async fn resource_flight(
    paths: &crate::paths::Paths,
    out: &Printer,
    found: &Discovery,
    timeout: Duration,
) -> Result<crate::login_flight::LoginFlight> {
    let slug: String = format!("{} {}", found.issuer, found.resource)
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' {
                c
            } else {
                '-'
            }
        })
        .collect();
    let mut key = format!("resource-{slug}");
    key.truncate(100);
    let mut notice = |_: &str, h: Option<&crate::login_flight::Holder>| {
        let who = h
            .map(|h| format!(" (pid {}, {})", h.pid, h.command))
            .unwrap_or_default();
        out.info(&format!(
            "mcp-auth: a login for {} at {} is in progress in another process{who}; waiting \
             for it",
            found.resource, found.issuer
        ));
    };
    crate::login_flight::LoginFlight::acquire(paths, &key, "mcp-auth bridge", timeout, &mut notice)
        .await
}

/// A saved credential this server may share instead of a new login: issued
/// by the same authorization server for the same resource (RFC 8707
/// §2: a token is for the resource it was requested for, so no other one
/// ever shares), allowed to go to this server's origin ([`crate::origins`]),
/// and still valid or renewable. The server is then recorded as one the
/// credential serves, so it is found by its URL from now on.
/// https://www.rfc-editor.org/rfc/rfc8707#section-2
pub async fn shared_credential(
    creds: &Credentials,
    found: &Discovery,
    except: &str,
) -> Result<Option<Credential>> {
    let store = creds.clone();
    let (issuer, resource) = (found.issuer.clone(), found.resource.clone());
    let candidates = {
        let store = store.clone();
        blocking(move || store.find_shared(&issuer, &resource)).await?
    };
    let target = crate::origins::origin_of(&found.server_url)?;
    for c in candidates.into_iter().filter(|c| c.name != except) {
        let refusal = {
            let (store, name, target) = (store.clone(), c.name.clone(), target.clone());
            blocking(move || store.check_origin(crate::credentials::Holder::Token, &name, &target))
                .await?
        };
        if let Some(why) = refusal {
            tracing::info!(credential = %c.name, %why, "not shared with this server");
            continue;
        }
        if creds
            .valid_token(&c.name, Duration::from_secs(5))
            .await
            .is_err()
        {
            continue;
        }
        let (store, server, cred) = (store.clone(), found.server_url.clone(), c.clone());
        blocking(move || store.share_server(&server, &cred, now())).await?;
        return Ok(Some(c));
    }
    Ok(None)
}

/// The grant an MCP server login gets its first token set with (`--grant`),
/// with what only that grant needs.
#[derive(Clone)]
pub enum Grant {
    /// The browser (or device) authorization code flow.
    AuthorizationCode,
    /// The client's own credentials; a private key signs its assertion
    /// (`private_key_jwt`), else the client secret authenticates it.
    ClientCredentials {
        private_key: Option<(Secret, Option<String>)>,
    },
    /// Enterprise-managed cross-app access (an ID-JAG, then a JWT bearer).
    CrossApp,
    /// Workload identity as the assertion of a JWT bearer grant.
    JwtBearer,
}

/// The one grant dispatch of an MCP server login, for `login URL` and for
/// the bridge's login on first use. `challenge`, the refused request's, is
/// only read by the authorization code flow.
pub async fn login_with(
    creds: &Credentials,
    out: &Printer,
    server_url: &str,
    grant: &Grant,
    challenge: Option<BearerChallenge>,
    opts: &LoginOptions,
) -> Result<Credential> {
    match grant {
        Grant::ClientCredentials { private_key } => {
            client_credentials(creds, out, server_url, opts, private_key.clone()).await
        }
        Grant::CrossApp => cross_app(creds, out, server_url, opts).await,
        Grant::JwtBearer => jwt_bearer(creds, out, server_url, opts).await,
        Grant::AuthorizationCode => login(creds, out, server_url, challenge, opts).await,
    }
}

/// Logs in to `server_url` and saves the credential.
pub async fn login(
    creds: &Credentials,
    out: &Printer,
    server_url: &str,
    challenge: Option<BearerChallenge>,
    opts: &LoginOptions,
) -> Result<Credential> {
    let name = match &opts.name {
        Some(n) => n.clone(),
        None => default_name(server_url),
    };
    validate_name(&name)?;
    let canonical = discovery::canonical_string(&discovery::canonical_url(server_url)?);
    let spinner = out.spinner(&format!("Discovering how {canonical} authorizes"));
    let (challenge, saw_401) = match challenge {
        Some(c) => (Some(c), true),
        None => {
            let c = probe(&canonical).await?;
            let saw = c.is_some();
            (c, saw)
        }
    };
    if !saw_401 {
        // The server let us in without a token; only log in if it still
        // publishes resource metadata (some ask for a token on later calls).
        let url = discovery::canonical_url(&canonical)?;
        if discovery::resource_metadata(&url, None).await?.is_none() {
            return Err(Error::Usage(format!(
                "{canonical} does not ask for authorization (it answered without a token and \
                 publishes no OAuth metadata); there is nothing to log in to"
            )));
        }
    }
    let found = discovery::discover(&canonical, challenge).await?;
    spinner.finish();
    // Held to the end of this login: another server of this resource
    // logging in now waits for it, then shares what it saved.
    let _resource_flight = match &opts.share {
        Some(paths) => Some(resource_flight(paths, out, &found, opts.timeout).await?),
        None => None,
    };
    if opts.share.is_some()
        && let Some(shared) = shared_credential(creds, &found, &name).await?
    {
        out.info(&format!(
            "mcp-auth: {canonical} shares the credential '{}' (same authorization server {} \
             and resource {}); no new login needed",
            shared.name, found.issuer, found.resource
        ));
        return Ok(shared);
    }
    found.check_pkce()?;
    let scopes = if opts.scopes.is_empty() {
        found.scopes()
    } else {
        opts.scopes.clone()
    };
    tracing::debug!(scopes = %scopes.join(" "), "scopes to request");
    if opts.device {
        return device_login(creds, out, &found, name, scopes, opts).await;
    }
    let store = creds.clone();
    let mut attempts_left = REREGISTER_ATTEMPTS;
    loop {
        let (listener, mut auth, cached) = client_identity(creds, &found, &scopes, opts).await?;
        auth.dpop = found.dpop_key()?;
        let title = canonical.clone();
        let result = flow::authorization_code(
            listener,
            &CodeFlow {
                authorize_url: found.authorization_endpoint()?,
                token_url: found.token_endpoint()?,
                auth: &auth,
                scopes: &scopes,
                resource: Some(&found.resource),
                extra_params: &[],
                issuer: (found.source == Source::Metadata).then_some(found.issuer.as_str()),
                iss_required: found
                    .auth_server
                    .authorization_response_iss_parameter_supported,
                timeout: opts.timeout,
                paste: opts.paste,
            },
            &Presenter {
                out,
                title: &title,
                browser: opts.browser.as_deref(),
                no_browser: opts.no_browser,
            },
        )
        .await;
        let tokens = match result {
            Ok(t) => t,
            // A cached registration the server no longer knows: drop it and
            // register again, once.
            Err(Error::OAuth { ref error, .. })
                if error == "invalid_client"
                    && attempts_left > 0
                    && cached.as_ref().is_some_and(|r| forgotten(r, now())) =>
            {
                attempts_left -= 1;
                if let Some(r) = cached {
                    forget_registration(&store, r).await?;
                }
                out.info("The server no longer knows this client; registering again.");
                continue;
            }
            Err(e) => return Err(e),
        };
        if let Some(reg) = &cached {
            mark_worked(&store, reg).await;
        }
        let who = identity::identify(&tokens, found.auth_server.userinfo_endpoint.as_deref()).await;
        return creds
            .save_login(credential(
                &found,
                name,
                auth,
                GrantKind::AuthorizationCode,
                scopes,
                who,
                tokens,
            )?)
            .await;
    }
}

/// Enterprise-managed cross-app access (SEP-990): the person's ID token
/// from the organisation's IdP becomes an ID-JAG for this server's
/// authorization server (RFC 8693), which the pre-registered client then
/// presents in a JWT bearer grant (RFC 7523). No browser.
pub async fn cross_app(
    creds: &Credentials,
    out: &Printer,
    server_url: &str,
    opts: &LoginOptions,
) -> Result<Credential> {
    let name = opts
        .name
        .clone()
        .unwrap_or_else(|| default_name(server_url));
    validate_name(&name)?;
    let idp = opts.idp.clone().ok_or_else(|| {
        Error::Usage(
            "cross-app access needs --idp-token-url, --idp-client-id and --id-token-env".into(),
        )
    })?;
    let client_id = opts.client_id.clone().ok_or_else(|| {
        Error::Usage("cross-app access needs this client's --client-id at the server".into())
    })?;
    let canonical = discovery::canonical_string(&discovery::canonical_url(server_url)?);
    let spinner = out.spinner(&format!("Discovering how {canonical} authorizes"));
    let challenge = probe(&canonical).await?;
    let found = discovery::discover(&canonical, challenge).await?;
    let store = creds.clone();
    let mut auth = pre_registered(&store, &found, &client_id, opts).await?;
    auth.dpop = found.dpop_key()?;
    let scopes = machine_scopes(&found, opts);
    spinner.set_message("Exchanging the ID token at the identity provider");
    let jag = crate::oauth::token::exchange_for_id_jag(
        &idp.token_url,
        &ClientAuth::public(idp.client_id.clone()),
        &idp.id_token,
        &found.issuer,
        &found.resource,
        &scopes,
        now(),
    )
    .await?;
    spinner.set_message("Requesting a token");
    let tokens = crate::oauth::token::jwt_bearer(
        found.token_endpoint()?,
        &auth,
        &jag,
        &scopes,
        &crate::oauth::Extras {
            resource: Some(found.resource.clone()),
            params: Vec::new(),
        },
        now(),
    )
    .await?;
    spinner.finish();
    let who = crate::oauth::identity::from_id_token(&idp.id_token);
    let mut new = credential(&found, name, auth, GrantKind::CrossApp, scopes, who, tokens)?;
    new.idp = Some(idp);
    creds.save_login(new).await
}

/// Workload identity (RFC 7523 §2.1 JWT bearer grant, the MCP workload
/// identity federation extension, SEP-1933): the platform's identity token
/// is the assertion; the client is the one pre-registered for this
/// workload (`--client-id`), authenticating with nothing else, since the
/// assertion is the proof. A failure is reported as it is: no retry, no
/// other grant (the extension asks for exactly that).
pub async fn jwt_bearer(
    creds: &Credentials,
    out: &Printer,
    server_url: &str,
    opts: &LoginOptions,
) -> Result<Credential> {
    let name = opts
        .name
        .clone()
        .unwrap_or_else(|| default_name(server_url));
    validate_name(&name)?;
    let source = opts.assertion.clone().ok_or_else(|| {
        Error::Usage("--grant jwt-bearer needs --assertion-file PATH or --assertion-env VAR".into())
    })?;
    let client_id = opts.client_id.clone().ok_or_else(|| {
        Error::Usage(
            "--grant jwt-bearer needs --client-id: the client registered for this workload".into(),
        )
    })?;
    let (assertion, file) = match source {
        AssertionSource::File(path) => (crate::oauth::jwt::read_assertion(&path)?, Some(path)),
        AssertionSource::Env { var, token } => {
            out.info(&format!(
                "The identity token comes from ${var}, which only this process can read: the \
                 daemon and later commands cannot renew this credential. Use --assertion-file \
                 for renewals."
            ));
            (token, None)
        }
    };
    let canonical = discovery::canonical_string(&discovery::canonical_url(server_url)?);
    let spinner = out.spinner(&format!("Discovering how {canonical} authorizes"));
    let challenge = probe(&canonical).await?;
    let found = discovery::discover(&canonical, challenge).await?;
    let store = creds.clone();
    let mut auth = pre_registered(&store, &found, &client_id, opts).await?;
    auth.dpop = found.dpop_key()?;
    let scopes = machine_scopes(&found, opts);
    spinner.set_message("Requesting a token");
    let tokens = crate::oauth::token::jwt_bearer(
        found.token_endpoint()?,
        &auth,
        &assertion,
        &scopes,
        &crate::oauth::Extras {
            resource: Some(found.resource.clone()),
            params: Vec::new(),
        },
        now(),
    )
    .await?;
    spinner.finish();
    // Who the platform says the workload is (its `sub`), for display.
    let who = crate::oauth::identity::from_id_token(&assertion);
    let mut new = credential(
        &found,
        name,
        auth,
        GrantKind::JwtBearer,
        scopes,
        who,
        tokens,
    )?;
    new.assertion_file = file;
    creds.save_login(new).await
}

/// Scopes for a grant without a person (client credentials, cross-app):
/// as asked, else the discovered ones without `offline_access`, which a
/// machine has no use for: it mints a new token instead of refreshing.
fn machine_scopes(found: &Discovery, opts: &LoginOptions) -> Vec<String> {
    if !opts.scopes.is_empty() {
        return opts.scopes.clone();
    }
    found
        .scopes()
        .into_iter()
        .filter(|s| s != "offline_access")
        .collect()
}

/// Registrations for the device grant are cached under this pseudo
/// redirect URI.
const DEVICE_REGISTRATION: &str = registration::DEVICE_GRANT;

/// The device grant against an MCP server's authorization server.
async fn device_login(
    creds: &Credentials,
    out: &Printer,
    found: &Discovery,
    name: String,
    scopes: Vec<String>,
    opts: &LoginOptions,
) -> Result<Credential> {
    let device_url = found
        .auth_server
        .device_authorization_endpoint
        .clone()
        .ok_or_else(|| {
            Error::Usage(format!(
                "{} does not offer the device grant (no device_authorization_endpoint); \
                 log in with --paste instead",
                found.issuer
            ))
        })?;
    let store = creds.clone();
    let auth = match &opts.client_id {
        Some(id) => pre_registered(&store, found, id, opts).await?,
        None => {
            let issuer = found.issuer.clone();
            let cached = {
                let store = store.clone();
                let issuer = issuer.clone();
                blocking(move || store.registration(&issuer, DEVICE_REGISTRATION)).await?
            };
            let reused = match cached {
                Some(reg) => auth_of(&store, &reg).await?,
                None => None,
            };
            match reused {
                Some(auth) => Some(auth),
                None => register(creds, found, None, &scopes).await?.0,
            }
            .ok_or_else(|| {
                Error::Usage(format!(
                    "{issuer} offers no dynamic client registration; pass --client-id"
                ))
            })?
        }
    };
    tracing::debug!(
        device_endpoint = %device_url,
        client_id = %auth.client_id,
        scopes = %scopes.join(" "),
        "starting the device authorization grant"
    );
    let auth = ClientAuth {
        dpop: found.dpop_key()?,
        ..auth
    };
    let title = found.server_url.clone();
    let presenter = Presenter {
        out,
        title: &title,
        browser: opts.browser.as_deref(),
        no_browser: opts.no_browser,
    };
    let tokens = flow::interruptible(crate::oauth::device::device(
        &crate::oauth::device::DeviceGrant {
            device_url: &device_url,
            token_url: found.token_endpoint()?,
            auth: &auth,
            scopes: &scopes,
            resource: Some(&found.resource),
            extra_params: &[],
            timeout: Some(opts.timeout),
        },
        |p| presenter.present_device(p),
    ))
    .await?;
    flow::log_tokens(&tokens);
    let who = identity::identify(&tokens, found.auth_server.userinfo_endpoint.as_deref()).await;
    creds
        .save_login(credential(
            found,
            name,
            auth,
            GrantKind::DeviceCode,
            scopes,
            who,
            tokens,
        )?)
        .await
}

/// A machine's login (the client credentials grant): discovery as for a
/// person, then a token straight from the token endpoint for `resource`.
/// There is no refresh token; the token is re-minted when it expires.
pub async fn client_credentials(
    creds: &Credentials,
    out: &Printer,
    server_url: &str,
    opts: &LoginOptions,
    private_key: Option<(Secret, Option<String>)>,
) -> Result<Credential> {
    let name = match &opts.name {
        Some(n) => n.clone(),
        None => default_name(server_url),
    };
    validate_name(&name)?;
    let client_id = opts
        .client_id
        .clone()
        .ok_or_else(|| Error::Usage("the client credentials grant needs --client-id".into()))?;
    let canonical = discovery::canonical_string(&discovery::canonical_url(server_url)?);
    let spinner = out.spinner(&format!("Discovering how {canonical} authorizes"));
    let challenge = probe(&canonical).await?;
    let found = discovery::discover(&canonical, challenge).await?;
    spinner.set_message("Requesting a token");
    tracing::debug!(
        token_endpoint = %found.token_endpoint()?,
        %client_id,
        private_key = private_key.is_some(),
        "requesting a token with the client credentials grant"
    );
    let auth = ClientAuth {
        dpop: found.dpop_key()?,
        ..ClientAuth::machine(
            &client_id,
            opts.client_secret.clone(),
            private_key,
            &found.issuer,
            found
                .auth_server
                .token_endpoint_auth_methods_supported
                .as_deref(),
        )?
    };
    let scopes = machine_scopes(&found, opts);
    let extras = crate::oauth::Extras {
        resource: Some(found.resource.clone()),
        params: Vec::new(),
    };
    let tokens = crate::oauth::token::client_credentials(
        found.token_endpoint()?,
        &auth,
        &scopes,
        &extras,
        now(),
    )
    .await?;
    spinner.finish();
    creds
        .save_login(credential(
            &found,
            name,
            auth,
            GrantKind::ClientCredentials,
            scopes,
            crate::oauth::identity::Identity {
                username: Some(client_id),
                ..Default::default()
            },
            tokens,
        )?)
        .await
}

/// What a login to the server found saves: the credential is for the
/// server (its canonical URL and resource), at its authorization server.
fn credential(
    found: &Discovery,
    name: String,
    auth: ClientAuth,
    grant: GrantKind,
    requested_scopes: Vec<String>,
    identity: crate::oauth::identity::Identity,
    tokens: crate::oauth::Tokens,
) -> Result<NewCredential> {
    tracing::debug!(credential = %name, server = %found.server_url, grant = %grant.as_str(), "saving the credential");
    Ok(NewCredential {
        name,
        origin: Origin::McpServer {
            server_url: found.server_url.clone(),
        },
        issuer: Some(found.issuer.clone()),
        resource: Some(found.resource.clone()),
        token_url: found.token_endpoint()?.to_string(),
        revocation_url: found.auth_server.revocation_endpoint.clone(),
        auth,
        grant,
        requested_scopes,
        identity,
        tokens,
        token_params: Vec::new(),
        idp: None,
        assertion_file: None,
        allowed_origins: crate::origins::origin_of(&found.server_url)
            .into_iter()
            .collect(),
    })
}

/// Picks the client identity in the specification's order and binds the
/// redirect listener to match it. Returns the cached registration used, if
/// any, so a rejection can drop it.
async fn client_identity(
    creds: &Credentials,
    found: &Discovery,
    scopes: &[String],
    opts: &LoginOptions,
) -> Result<(Loopback, ClientAuth, Option<Registration>)> {
    let store = creds.clone();
    // 1. Pre-registered.
    if let Some(client_id) = &opts.client_id {
        tracing::debug!(%client_id, "using the pre-registered client");
        let auth = pre_registered(&store, found, client_id, opts).await?;
        return Ok((Loopback::bind(opts.port).await?, auth, None));
    }
    // 2. Client ID Metadata Document.
    if found.auth_server.client_id_metadata_document_supported
        && let Some(url) = &opts.client_metadata_url
    {
        tracing::debug!(client_id = %url, "using the client ID metadata document as the client id");
        let listener = Loopback::bind(opts.port).await?;
        return Ok((listener, ClientAuth::public(url.clone()), None));
    }
    // 3. Dynamic Client Registration, reused per issuer: a cached
    // registration is usable when its exact redirect URI can be bound again.
    let cached = {
        let store = store.clone();
        let issuer = found.issuer.clone();
        blocking(move || store.registrations(&issuer)).await?
    };
    // A registered redirect URI names its issuer in its path, so that an
    // answer meant for another authorization server's login cannot complete
    // this one, even without `iss` (RFC 9700 §4.4.2). A registration made
    // before that, on the shared `/callback`, is not reused.
    let path = callback_path_for(&found.issuer);
    for reg in cached {
        let Ok(uri) = url::Url::parse(&reg.redirect_uri) else {
            continue; // the device grant's pseudo URI, or junk
        };
        if uri.scheme() != "http"
            || uri.path() != path
            || (opts.port.is_some() && opts.port != uri.port())
        {
            continue;
        }
        let Ok(listener) = Loopback::bind_at(uri.port(), &path).await else {
            continue;
        };
        if listener.redirect_uri() != reg.redirect_uri {
            continue;
        }
        if let Some(auth) = auth_of(&store, &reg).await? {
            tracing::debug!(client_id = %reg.client_id, issuer = %reg.issuer, "reusing the cached client registration");
            return Ok((listener, auth, Some(reg)));
        }
    }
    let listener = Loopback::bind_at(opts.port, &path).await?;
    let redirect_uri = listener.redirect_uri();
    match register(creds, found, Some(&redirect_uri), scopes).await? {
        (Some(auth), reg) => Ok((listener, auth, reg)),
        (None, _) => Err(Error::Usage(format!(
            "{} offers no dynamic client registration; register a client with its \
             administrator and pass --client-id (and --client-secret-env for its secret)",
            found.issuer
        ))),
    }
}

/// A client registered beforehand: its secret from the options or the
/// keyring, sent the way the server supports.
async fn pre_registered(
    store: &Credentials,
    found: &Discovery,
    client_id: &str,
    opts: &LoginOptions,
) -> Result<ClientAuth> {
    let secret = match &opts.client_secret {
        Some(s) => Some(s.clone()),
        None => {
            let (issuer, client_id) = (found.issuer.clone(), client_id.to_string());
            let store = store.clone();
            blocking(move || store.registration_secret(&issuer, &client_id)).await?
        }
    };
    let supported = found
        .auth_server
        .token_endpoint_auth_methods_supported
        .as_deref();
    let method = match &secret {
        None => AuthMethod::None,
        Some(_) => match registration::preferred_method(supported) {
            AuthMethod::ClientSecretPost => AuthMethod::ClientSecretPost,
            _ => AuthMethod::ClientSecretBasic,
        },
    };
    Ok(ClientAuth {
        client_id: client_id.to_string(),
        client_secret: secret,
        method,
        assertion: None,
        dpop: None,
    })
}

/// The client of a cached registration; `None` when it is expired or its
/// secret is gone (then a new one is registered).
async fn auth_of(store: &Credentials, reg: &Registration) -> Result<Option<ClientAuth>> {
    if reg
        .client_secret_expires_at
        .is_some_and(|t| t <= now() + 60)
    {
        return Ok(None);
    }
    let secret = if reg.has_secret {
        let (issuer, client_id) = (reg.issuer.clone(), reg.client_id.clone());
        let store = store.clone();
        match blocking(move || store.registration_secret(&issuer, &client_id)).await? {
            Some(s) => Some(s),
            None => return Ok(None),
        }
    } else {
        None
    };
    Ok(Some(ClientAuth {
        client_id: reg.client_id.clone(),
        client_secret: secret,
        method: reg.auth_method,
        assertion: None,
        dpop: None,
    }))
}

/// Registers a client (RFC 7591) and caches the registration, its secret in
/// the secret store. `(None, None)` when the server offers no registration.
async fn register(
    creds: &Credentials,
    found: &Discovery,
    redirect_uri: Option<&str>,
    scopes: &[String],
) -> Result<(Option<ClientAuth>, Option<Registration>)> {
    let Some(endpoint) = found.auth_server.registration_endpoint.clone() else {
        return Ok((None, None));
    };
    let supported = found
        .auth_server
        .token_endpoint_auth_methods_supported
        .as_deref();
    let method = registration::preferred_method(supported);
    tracing::debug!(
        %endpoint,
        redirect_uri = %redirect_uri.unwrap_or("(device grant)"),
        method = %method.as_str(),
        "registering a client (RFC 7591)"
    );
    let server = discovery::canonical_url(&found.server_url)?;
    let registered = discovery::guarded(
        &server,
        registration::register(&endpoint, redirect_uri, method, scopes),
    )
    .await
    .map_err(|e| no_metadata(found, &endpoint, e))?;
    tracing::debug!(
        client_id = %registered.client_id,
        method = %registered.auth_method.as_str(),
        secret = registered.client_secret.is_some(),
        "registered"
    );
    let reg = Registration {
        issuer: found.issuer.clone(),
        redirect_uri: redirect_uri.unwrap_or(DEVICE_REGISTRATION).to_string(),
        client_id: registered.client_id.clone(),
        auth_method: registered.auth_method,
        has_secret: registered.client_secret.is_some(),
        client_secret_expires_at: registered.client_secret_expires_at,
        registered_at: now(),
        worked_at: None,
    };
    {
        let store = creds.clone();
        let reg = reg.clone();
        let secret = registered.client_secret.clone();
        blocking(move || store.save_registration(&reg, secret.as_ref())).await?;
    }
    let auth = ClientAuth {
        client_id: registered.client_id,
        client_secret: registered.client_secret,
        method: registered.auth_method,
        assertion: None,
        dpop: None,
    };
    Ok((Some(auth), Some(reg)))
}

/// A server that answered 401 but publishes no metadata at all was given
/// the 2025-03-26 default endpoints; when the default registration endpoint
/// is not there either (a plain HTTP error, not an OAuth one), the real
/// cause is that the server offers no OAuth login, not a failed
/// registration.
fn no_metadata(found: &Discovery, endpoint: &str, err: Error) -> Error {
    match &err {
        Error::OAuth { error, .. }
            if found.source == Source::LegacyDefaults && error.starts_with("http_4") =>
        {
            Error::Protocol {
                context: format!("cannot log in to {}", found.server_url),
                message: format!(
                    "this server publishes no OAuth metadata: it asks for a token, but has no \
                     protected resource metadata (RFC 9728) and no authorization server \
                     metadata (RFC 8414), and its default registration endpoint {endpoint} \
                     answered HTTP {}; ask its operator how to authenticate (a client id for \
                     --client-id, or an API key for `mcp-auth bridge --header`)",
                    error.trim_start_matches("http_")
                ),
            }
        }
        _ => err,
    }
}

/// A registration younger than this is never taken for forgotten: the
/// server made it moments ago, so a refusal is about something else (how
/// the client authenticated, say) and registering again would only pile
/// up registrations and browser tabs.
const FRESH_REGISTRATION_SECS: i64 = 300;

/// True when an `invalid_client` answer for `reg` means the server forgot
/// it: it got tokens before, and it is not fresh. Anything else keeps it.
fn forgotten(reg: &Registration, now: crate::model::Timestamp) -> bool {
    reg.worked_at.is_some() && now - reg.registered_at >= FRESH_REGISTRATION_SECS
}

/// Records that `reg` got tokens; a failure to record is only logged (the
/// login itself succeeded).
async fn mark_worked(store: &Credentials, reg: &Registration) {
    let store = store.clone();
    let (issuer, client_id) = (reg.issuer.clone(), reg.client_id.clone());
    let result = blocking(move || store.mark_registration_worked(&issuer, &client_id, now())).await;
    if let Err(e) = result {
        tracing::warn!(error = %e, "cannot record that the client registration works");
    }
}

async fn forget_registration(store: &Credentials, reg: Registration) -> Result<()> {
    let store = store.clone();
    blocking(move || store.forget_registration(&reg)).await
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Regression guard: the bridge boxes the login as a `Send` future; a
    /// borrowed closure inside it once made it `Send` for one lifetime
    /// only. This only has to compile.
    #[allow(dead_code)]
    fn login_futures_are_send(c: Credentials, out: Printer, o: LoginOptions) {
        fn is_send<T: Send>(_: T) {}
        let (c2, out2, o2) = (c.clone(), out.clone(), o.clone());
        is_send(async move { login(&c, &out, "x", None, &o).await });
        is_send(async move { client_credentials(&c2, &out2, "x", &o2, None).await });
    }

    fn reg(registered_at: i64, worked_at: Option<i64>) -> Registration {
        Registration {
            issuer: "https://as".into(),
            redirect_uri: "http://127.0.0.1:1/callback".into(),
            client_id: "c".into(),
            auth_method: AuthMethod::ClientSecretPost,
            has_secret: true,
            client_secret_expires_at: None,
            registered_at,
            worked_at,
        }
    }

    /// Regression guard (Python SDK authorization servers): a token
    /// exchange refused with invalid_client right after registering made
    /// mcp-auth register again and open another browser tab, each time.
    #[test]
    fn only_a_registration_that_worked_and_is_not_fresh_is_taken_for_forgotten() {
        let now = 10_000;
        assert!(!forgotten(&reg(now - 5, None), now), "made seconds ago");
        assert!(!forgotten(&reg(now - 5000, None), now), "never worked");
        assert!(!forgotten(&reg(now - 5, Some(now - 2)), now), "fresh");
        assert!(forgotten(&reg(now - 5000, Some(now - 4000)), now));
    }

    #[test]
    fn a_second_server_on_a_host_gets_a_name_with_its_path_and_old_names_stay() {
        let dir = tempfile::tempdir().unwrap();
        let config = crate::config::Config {
            secret_store: Some(crate::config::SecretStoreKind::File),
            ..crate::config::Config::default()
        };
        // Rows are written straight to the store below: a fixture, not a caller.
        let store =
            crate::store::Store::open(&crate::paths::Paths::under(dir.path()), &config, None)
                .unwrap();
        let creds = Credentials::new(store.clone());
        let (a, b) = ("http://localhost:3000/a/mcp", "http://localhost:3000/b/mcp");
        assert_eq!(credential_name(&creds, a, None).unwrap(), "localhost-3000");
        assert_eq!(credential_name(&creds, a, Some("mine")).unwrap(), "mine");
        // `a` saved under the host's name, as every version did: it keeps
        // that name; `b` on the same host gets its path in its name.
        let saved = |name: &str, server: &str| crate::model::Credential {
            origin: crate::model::Origin::McpServer {
                server_url: server.into(),
            },
            ..crate::store::db::tests::sample(name)
        };
        store.db().upsert(&saved("localhost-3000", a)).unwrap();
        assert_eq!(credential_name(&creds, a, None).unwrap(), "localhost-3000");
        assert_eq!(
            credential_name(&creds, b, None).unwrap(),
            "localhost-3000-b-mcp"
        );
        // A credential saved for `b` under any name is the one replaced.
        store.db().upsert(&saved("b-work", b)).unwrap();
        assert_eq!(credential_name(&creds, b, None).unwrap(), "b-work");
    }

    #[test]
    fn names_with_paths_are_valid_credential_names() {
        use crate::model::server_name_with_path as with_path;
        assert_eq!(with_path("https://h.example/mcp"), "h.example-mcp");
        assert_eq!(
            with_path("http://localhost:3000/b/mcp"),
            "localhost-3000-b-mcp"
        );
        assert_eq!(with_path("https://h.example"), "h.example");
        assert_eq!(
            with_path("https://h.example/a%20b/~x/"),
            "h.example-a-20b-x"
        );
        let long = format!("https://h.example/{}", "seg/".repeat(60));
        for u in ["https://h.example/mcp", &long, "http://[::1]:8080/x/y"] {
            validate_name(&with_path(u)).unwrap();
        }
    }

    #[test]
    fn default_names_are_valid_credential_names() {
        assert_eq!(default_name("https://mcp.linear.app/mcp"), "mcp.linear.app");
        assert_eq!(default_name("http://localhost:3000/mcp"), "localhost-3000");
        assert_eq!(default_name("http://[::1]:8080/mcp"), "1-8080");
        for u in [
            "https://mcp.linear.app/mcp",
            "http://localhost:3000/mcp",
            "http://[::1]:8080/x",
        ] {
            validate_name(&default_name(u)).unwrap();
        }
    }
}
