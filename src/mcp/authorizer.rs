//! The bridge's authorization seam.
//!
//! The bridge knows nothing of OAuth: it asks an [`Authorizer`] for the
//! bearer to start with, and, when the server answers 401 (or 403), hands it
//! the challenge and retries once with whatever bearer comes back. The
//! implementation here, [`CredentialAuthorizer`], takes tokens from the
//! credential store through [`Credentials`] (memory, then a locked,
//! rotation-safe refresh), and calls a [`LoginHook`] when a new login is the
//! only way forward. The MCP-server login itself (WWW-Authenticate, RFC 9728
//! and RFC 8414 discovery, registration, the browser) plugs in as that hook.
//!
//! Single flight: the authorizer's state sits behind one async mutex, so
//! concurrent 401s queue up; the first refreshes (or logs in), the others
//! find a bearer different from the one that was refused and use it without
//! another round trip to the authorization server.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use crate::credentials::{AccessToken, Credentials};
use crate::error::{Error, Result};
use crate::model::{Secret, Timestamp, now};
use crate::task::blocking;

pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// A token must stay valid at least this long when the bridge starts with
/// it. The bridge renews on a 401 anyway, so this only covers clock skew
/// between here and the server; asking for more would make every bridge
/// refresh a short-lived token at start (a 10-second token is never valid
/// for a minute), spending refresh tokens for nothing.
const MIN_VALID: Duration = Duration::from_secs(5);

/// A token that expires within this long (seconds) is not sent: it is
/// renewed first. Some servers treat an expired access token as a stolen
/// one and revoke the refresh token that goes with it (fastmcp's in-memory
/// provider). For a short-lived token the margin is a tenth of its
/// lifetime instead, the daemon's own lead, so that with the daemon running
/// its scheduled refresh comes first.
const EXPIRY_MARGIN: i64 = 5;

/// What the bridge tells the authorizer about a refused request.
#[derive(Clone)]
pub struct Refusal {
    /// 401 or 403.
    pub status: u16,
    /// The response's `WWW-Authenticate` header, as sent.
    pub www_authenticate: Option<String>,
    /// The bearer the refused request carried (None: it carried none).
    pub rejected: Option<Secret>,
    /// The JSON-RPC method of the refused message, if it had one.
    pub method: Option<String>,
}

impl std::fmt::Debug for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Refusal")
            .field("status", &self.status)
            .field("www_authenticate", &self.www_authenticate)
            .field("rejected", &self.rejected.as_ref().map(|_| "[redacted]"))
            .field("method", &self.method)
            .finish()
    }
}

/// What a bridge session did, for the audit log.
#[derive(Debug, Clone, Copy, Default)]
pub struct SessionStats {
    /// Messages forwarded to the server.
    pub messages: u64,
    /// Of those, requests (messages that expect a response).
    pub requests: u64,
    /// Requests answered with an error by the bridge itself.
    pub failed: u64,
}

/// Where the bridge gets its bearer.
pub trait Authorizer: Send + Sync {
    /// The bearer to start with; `None` sends requests without one (a 401
    /// then comes to [`Authorizer::unauthorized`]). Called once, while the
    /// bridge reads its first message.
    fn initial(&self) -> BoxFuture<'_, Result<Option<Secret>>>;

    /// The server answered 401. Returns the bearer to retry with (once), or
    /// the error to answer the request with. Concurrent calls must not
    /// trigger concurrent refreshes or logins.
    fn unauthorized<'a>(&'a self, refusal: &'a Refusal) -> BoxFuture<'a, Result<Secret>>;

    /// The server answered 403 (e.g. `insufficient_scope`). `Some` retries
    /// once with that bearer (step-up); `None` passes the refusal to the
    /// client as a JSON-RPC error.
    fn forbidden<'a>(&'a self, _refusal: &'a Refusal) -> BoxFuture<'a, Result<Option<Secret>>> {
        Box::pin(async { Ok(None) })
    }

    /// The headers that authorize one request to `url` with `method`
    /// carrying `token`. None (the default): `Authorization: Bearer`. A
    /// sender-constrained scheme returns its own here: DPoP (RFC 9449 §7.1)
    /// an `Authorization: DPoP …` and a `DPoP` proof bound to this method,
    /// URL, the token's hash and the server's latest nonce.
    fn authorization(
        &self,
        _token: &Secret,
        _method: &str,
        _url: &url::Url,
    ) -> Option<Vec<(reqwest::header::HeaderName, reqwest::header::HeaderValue)>> {
        None
    }

    /// A refused answer that asks for a new proof with a nonce (RFC 9449
    /// §8/§9: `DPoP-Nonce` with `error="use_dpop_nonce"`): the authorizer
    /// keeps the nonce and returns true, and the request is sent once more
    /// (with fresh [`Authorizer::authorization`] headers).
    fn nonce_challenge(&self, _status: u16, _headers: &reqwest::header::HeaderMap) -> bool {
        false
    }

    /// True when `token` is known to have expired or to expire within a few
    /// seconds: the bridge then asks [`Authorizer::renew_expiring`] before
    /// sending it (a server may revoke a refresh token shown an expired
    /// access token). Cheap and synchronous: called before every request.
    fn expiring(&self, _token: &Secret) -> bool {
        false
    }

    /// A valid token in place of `expiring`, renewed without a round trip
    /// to the MCP server first (the daemon, or a locked refresh).
    fn renew_expiring<'a>(&'a self, expiring: &'a Secret) -> BoxFuture<'a, Result<Secret>> {
        let token = expiring.clone();
        Box::pin(async move { Ok(token) })
    }

    /// A request carrying a bearer from this authorizer succeeded (called
    /// once per session, at the first success).
    fn first_success(&self) -> BoxFuture<'_, ()> {
        Box::pin(async {})
    }

    /// The session ended.
    fn session_ended(&self, _stats: SessionStats) -> BoxFuture<'_, ()> {
        Box::pin(async {})
    }
}

/// No bearer at all: `--header` only, or an explicit `Authorization` header.
pub struct NoAuth {
    pub reason: String,
}

impl Authorizer for NoAuth {
    fn initial(&self) -> BoxFuture<'_, Result<Option<Secret>>> {
        Box::pin(async { Ok(None) })
    }

    fn unauthorized<'a>(&'a self, _c: &'a Refusal) -> BoxFuture<'a, Result<Secret>> {
        Box::pin(async move { Err(Error::Usage(self.reason.clone())) })
    }
}

/// What the login hook is asked to do.
#[derive(Debug, Clone)]
pub struct LoginRequest {
    /// The server's canonical URL ([`super::canonical_server_url`]).
    pub server_url: String,
    /// The credential name to save under (`--name`), if given.
    pub name: Option<String>,
    /// The 401's `WWW-Authenticate` header, if the login follows one.
    pub www_authenticate: Option<String>,
    /// Why a login is needed, for the person.
    pub reason: String,
    /// Scopes to ask for instead of the discovered ones (step-up: those
    /// held plus those the server now requires).
    pub scopes: Vec<String>,
    /// The bearer the server refused, if any: a credential saved by another
    /// process meanwhile is used instead of a login only if its token is
    /// another one.
    pub rejected: Option<Secret>,
}

/// Logs in to an MCP server (discovery, registration, browser) and saves the
/// credential; returns the name it was saved under.
pub trait LoginHook: Send + Sync {
    fn login<'a>(&'a self, request: &'a LoginRequest) -> BoxFuture<'a, Result<String>>;
}

/// When the token in use stops being sent.
struct Expiry {
    token: Secret,
    /// Renew when the time left is at most this (seconds since the epoch).
    renew_at: Timestamp,
}

/// Bearers from the credential store: `--name NAME`, else the newest
/// credential saved for the server's URL, else none until a 401.
pub struct CredentialAuthorizer {
    /// The process's credentials, asked once the first request needs them.
    creds: Credentials,
    server_url: String,
    explicit_name: Option<String>,
    login: Option<Arc<dyn LoginHook>>,
    /// Why no login is possible when `login` is None (e.g. `--no-login`).
    no_login_reason: String,
    state: tokio::sync::Mutex<CredentialInUse>,
    used: AtomicBool,
    /// The token in use and when it expires, readable without the async
    /// lock (checked before every request).
    expiry: std::sync::Mutex<Option<Expiry>>,
    /// The DPoP key of the token handed out last, by that token.
    dpop: std::sync::Mutex<Option<(Secret, crate::oauth::dpop::Key)>>,
    /// The latest `DPoP-Nonce` the resource server sent (RFC 9449 §9).
    dpop_nonce: std::sync::Mutex<Option<String>>,
}

/// What the authorizer holds between requests: the credential it uses,
/// the bearer it handed out last, and a login that already failed.
#[derive(Default)]
struct CredentialInUse {
    credentials: Option<Credentials>,
    /// The credential in use, once known.
    name: Option<String>,
    current: Option<Secret>,
    /// The login that failed in this process, and why: later requests get
    /// the same error instead of another browser tab and registration.
    failed_login: Option<String>,
}

impl CredentialAuthorizer {
    pub fn new(
        creds: Credentials,
        server_url: String,
        explicit_name: Option<String>,
        login: Option<Arc<dyn LoginHook>>,
        no_login_reason: String,
    ) -> CredentialAuthorizer {
        CredentialAuthorizer {
            creds,
            server_url,
            explicit_name,
            login,
            no_login_reason,
            state: tokio::sync::Mutex::new(CredentialInUse::default()),
            used: AtomicBool::new(false),
            expiry: std::sync::Mutex::new(None),
            dpop: std::sync::Mutex::new(None),
            dpop_nonce: std::sync::Mutex::new(None),
        }
    }

    /// Makes `token` the one in use, with its expiry when known.
    fn adopt(&self, state: &mut CredentialInUse, token: Secret, expires_at: Option<Timestamp>) {
        state.current = Some(token.clone());
        let mut e = self.expiry.lock().unwrap_or_else(|p| p.into_inner());
        *e = expires_at.map(|at| {
            let margin = EXPIRY_MARGIN.min((at - now()).max(0) / 10);
            Expiry {
                token,
                renew_at: at - margin,
            }
        });
    }

    /// Hands out `token`, remembering its DPoP key for the transport.
    fn hand_out(&self, token: AccessToken) -> Secret {
        let key = token.dpop_key.as_ref().and_then(|k| {
            crate::oauth::dpop::Key::from_stored(k)
                .map_err(|e| tracing::warn!(error = %e, "unusable DPoP key"))
                .ok()
        });
        let mut slot = self.dpop.lock().unwrap_or_else(|p| p.into_inner());
        *slot = key.map(|k| (token.token.clone(), k));
        token.token
    }

    async fn credentials(&self, state: &mut CredentialInUse) -> Result<Credentials> {
        if let Some(c) = &state.credentials {
            return Ok(c.clone());
        }
        self.creds.ready().await?;
        let c = self.creds.clone();
        state.credentials = Some(c.clone());
        Ok(c)
    }

    async fn find(&self, creds: Credentials) -> Result<Option<String>> {
        if let Some(name) = &self.explicit_name {
            return Ok(Some(name.clone()));
        }
        let store = creds.clone();
        let url = self.server_url.clone();
        let found = blocking(move || store.find_by_server(&url)).await?;
        if found.len() > 1 {
            tracing::info!(
                count = found.len(),
                using = %found[0].name,
                "several credentials are saved for this server; using the newest (choose with --name)"
            );
        }
        Ok(found.into_iter().next().map(|c| c.name))
    }

    /// A new bearer after `rejected` was refused: the stored one if another
    /// process renewed it meanwhile, else a forced refresh. `Ok(None)` means
    /// only a login can help.
    async fn renew(
        &self,
        creds: Credentials,
        name: String,
        rejected: Option<Secret>,
    ) -> Result<Option<AccessToken>> {
        match creds.stored_unless(&name, rejected.as_ref()).await {
            Ok(Some(token)) => return Ok(Some(token)),
            Ok(None) => {}
            Err(Error::NeedsLogin { .. }) => return Ok(None),
            Err(e) => return Err(e),
        }
        let renewed = match &rejected {
            Some(r) => creds.replace_rejected(&name, r).await,
            None => creds.refresh(&name, true).await,
        };
        match renewed {
            Ok(r) if r.performed || Some(&r.token.token) != rejected.as_ref() => Ok(Some(r.token)),
            Ok(r) => {
                // The refresh failed transiently and handed back the token
                // the server just refused: a login would not fix that.
                Err(Error::Network {
                    context: format!("cannot refresh '{name}'"),
                    message: r
                        .failure
                        .unwrap_or_else(|| "the token was refused and not renewed".into()),
                })
            }
            Err(Error::NeedsLogin { .. }) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// The authorization server the server names now, when it is not the
    /// one that issued `name` ([`discovery::moved_issuer`]).
    async fn moved_issuer(
        &self,
        creds: &Credentials,
        name: &str,
        refusal: &Refusal,
    ) -> Option<String> {
        let store = creds.clone();
        let key = name.to_string();
        let issuer = blocking(move || store.get(&key)).await.ok()??.issuer?;
        let bearer = super::auth::challenge::bearer(refusal.www_authenticate.as_deref());
        super::auth::discovery::moved_issuer(&self.server_url, bearer.as_ref(), &issuer).await
    }

    /// The store and the name of the credential this session uses, once
    /// both are known.
    async fn in_use(&self) -> Option<(Credentials, String)> {
        let state = self.state.lock().await;
        let creds = state.credentials.as_ref()?;
        Some((creds.clone(), state.name.clone()?))
    }

    /// The error that tells the person which login to run.
    /// The error of a request that needs a login the bridge will not run:
    /// never logged in (no name) or a saved credential that needs a new one.
    fn needs_login(&self, name: Option<String>, reason: String) -> Error {
        if name.is_none() {
            return Error::NotLoggedIn {
                server: self.server_url.clone(),
                note: Some(reason),
            };
        }
        Error::NeedsLogin {
            login_hint: match &name {
                Some(n) => format!("{} --name {n}", self.server_url),
                None => self.server_url.clone(),
            },
            name: name.unwrap_or_else(|| self.server_url.clone()),
            reason,
        }
    }

    async fn login(
        &self,
        state: &mut CredentialInUse,
        refusal: &Refusal,
        reason: String,
        scopes: Vec<String>,
    ) -> Result<Secret> {
        let name = self.explicit_name.clone().or_else(|| state.name.clone());
        if let Some(why) = &state.failed_login {
            // One login per bridge: the person saw its browser tab and its
            // error; every later request gets the same answer until they
            // log in themselves (the store is read again on each 401).
            return Err(self.needs_login(name, why.clone()));
        }
        let Some(hook) = &self.login else {
            // Never logged in is a first login to run, not a new one.
            if name.is_none() {
                return Err(Error::NotLoggedIn {
                    server: self.server_url.clone(),
                    note: Some(self.no_login_reason.clone()),
                });
            }
            return Err(self.needs_login(name, format!("{reason}; {}", self.no_login_reason)));
        };
        let request = LoginRequest {
            server_url: self.server_url.clone(),
            name,
            www_authenticate: refusal.www_authenticate.clone(),
            reason,
            scopes,
            rejected: refusal.rejected.clone(),
        };
        tracing::info!(server = %self.server_url, "logging in to the server");
        // A failed login leaves the request needing one: say so, with why.
        let name = match hook.login(&request).await {
            Ok(name) => name,
            Err(e @ Error::Interrupted) => return Err(e),
            Err(Error::NeedsLogin { reason, .. }) => {
                state.failed_login = Some(reason.clone());
                return Err(self.needs_login(request.name, reason));
            }
            // A first login that failed: its own error names the cause
            // (no OAuth metadata, a refused registration, ...); later
            // requests get that cause with the login to run.
            Err(e) if request.name.is_none() && state.name.is_none() => {
                state.failed_login = Some(format!("{}; logging in failed: {e}", request.reason));
                return Err(e);
            }
            Err(e) => {
                let reason = format!("{}; logging in failed: {e}", request.reason);
                state.failed_login = Some(reason.clone());
                return Err(self.needs_login(request.name, reason));
            }
        };
        let creds = self.credentials(state).await?;
        let token = creds.valid_token(&name, MIN_VALID).await?;
        state.name = Some(name);
        let at = token.expires_at;
        let token = self.hand_out(token);
        self.adopt(state, token.clone(), at);
        Ok(token)
    }
}

impl Authorizer for CredentialAuthorizer {
    fn initial(&self) -> BoxFuture<'_, Result<Option<Secret>>> {
        Box::pin(async move {
            let mut state = self.state.lock().await;
            let creds = match self.credentials(&mut state).await {
                Ok(c) => c,
                Err(e) if self.explicit_name.is_none() => {
                    tracing::warn!(error = %e, "cannot open the credential store; starting without a bearer");
                    return Ok(None);
                }
                Err(e) => return Err(e),
            };
            let found = match self.find(creds.clone()).await {
                Ok(found) => found,
                Err(e) => {
                    tracing::warn!(error = %e, "cannot look up the credential for this server; starting without a bearer");
                    return Ok(None);
                }
            };
            let Some(name) = found else {
                tracing::debug!(server = %self.server_url, "no credential saved for this server; starting without a bearer");
                return Ok(None);
            };
            state.name = Some(name.clone());
            match creds.valid_token(&name, MIN_VALID).await {
                Ok(t) => {
                    tracing::debug!(credential = %name, "using the stored credential");
                    let at = t.expires_at;
                    let token = self.hand_out(t);
                    self.adopt(&mut state, token.clone(), at);
                    Ok(Some(token))
                }
                // A credential that needs a login is the 401 path's business.
                Err(Error::NeedsLogin { reason, .. }) => {
                    tracing::warn!(credential = %name, %reason, "the stored credential needs a new login");
                    Ok(None)
                }
                Err(Error::CredentialNotFound(n)) if self.explicit_name.is_some() => {
                    Err(Error::CredentialNotFound(n))
                }
                // Anything else (a locked database, an unreachable keyring)
                // may pass: start without a bearer; a 401 tries again.
                Err(e) => {
                    tracing::warn!(credential = %name, error = %e, "cannot read the stored credential; starting without a bearer");
                    Ok(None)
                }
            }
        })
    }

    fn unauthorized<'a>(&'a self, refusal: &'a Refusal) -> BoxFuture<'a, Result<Secret>> {
        Box::pin(async move {
            let mut state = self.state.lock().await;
            // Someone else renewed while this request waited: use theirs.
            if let Some(current) = &state.current
                && Some(current) != refusal.rejected.as_ref()
            {
                return Ok(current.clone());
            }
            let creds = self.credentials(&mut state).await?;
            if state.name.is_none() {
                state.name = self.find(creds.clone()).await?;
            }
            let reason = if let Some(name) = state.name.clone()
                && let Some(moved) = self.moved_issuer(&creds, &name, refusal).await
            {
                // SEP-2352: a refresh at the old authorization server would
                // only bring back a token the resource no longer accepts.
                tracing::info!(credential = %name, issuer = %moved, "the server's authorization server changed; logging in there");
                format!("the server's authorization server is now {moved}")
            } else if let Some(name) = state.name.clone() {
                match self
                    .renew(creds.clone(), name.clone(), refusal.rejected.clone())
                    .await
                {
                    Ok(Some(token)) => {
                        tracing::info!(credential = %name, "renewed the bearer after a 401");
                        let at = token.expires_at;
                        let token = self.hand_out(token);
                        self.adopt(&mut state, token.clone(), at);
                        return Ok(token);
                    }
                    Ok(None) => format!(
                        "the server refused the token of '{name}' and it cannot be refreshed"
                    ),
                    Err(e) if e.is_transient() => return Err(e),
                    Err(e) => format!("the token of '{name}' could not be renewed: {e}"),
                }
            } else {
                "the server requires authorization and no credential is saved for it".to_string()
            };
            self.login(&mut state, refusal, reason, Vec::new()).await
        })
    }

    /// Step-up (MCP scope challenge handling): a 403 `insufficient_scope`
    /// that asks for scopes the credential lacks leads to a new login for
    /// the union of held and required scopes. A 403 for scopes the token
    /// already has is passed through: asking again would not change it.
    fn forbidden<'a>(&'a self, refusal: &'a Refusal) -> BoxFuture<'a, Result<Option<Secret>>> {
        Box::pin(async move {
            let Some(bearer) = super::auth::challenge::bearer(refusal.www_authenticate.as_deref())
            else {
                return Ok(None);
            };
            let required = bearer.scopes();
            if !bearer.is_insufficient_scope() || required.is_empty() {
                return Ok(None);
            }
            let mut state = self.state.lock().await;
            // Another request stepped up meanwhile: try its token.
            if let Some(current) = &state.current
                && Some(current) != refusal.rejected.as_ref()
            {
                return Ok(Some(current.clone()));
            }
            let creds = self.credentials(&mut state).await?;
            if state.name.is_none() {
                state.name = self.find(creds.clone()).await?;
            }
            let held = match state.name.clone() {
                Some(name) => {
                    let store = creds.clone();
                    blocking(move || store.get(&name))
                        .await?
                        .map(|c| c.scopes)
                        .unwrap_or_default()
                }
                None => Vec::new(),
            };
            if required.iter().all(|r| held.contains(r)) {
                tracing::info!(
                    "the server refuses a token that has every scope it asks for; not asking again"
                );
                return Ok(None);
            }
            let mut union = held;
            for r in required {
                if !union.contains(&r) {
                    union.push(r);
                }
            }
            tracing::info!(scopes = %union.join(" "), "the server needs more scopes; logging in again");
            let reason = format!(
                "the server needs the scopes {}",
                bearer.scope.as_deref().unwrap_or_default()
            );
            self.login(&mut state, refusal, reason, union)
                .await
                .map(Some)
        })
    }

    fn authorization(
        &self,
        token: &Secret,
        method: &str,
        url: &url::Url,
    ) -> Option<Vec<(reqwest::header::HeaderName, reqwest::header::HeaderValue)>> {
        use reqwest::header::{AUTHORIZATION, HeaderName, HeaderValue};
        let key = {
            let slot = self.dpop.lock().unwrap_or_else(|p| p.into_inner());
            slot.as_ref()
                .filter(|(t, _)| t == token)
                .map(|(_, k)| k.clone())
        }?;
        let nonce = self
            .dpop_nonce
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        // RFC 9449 §7.1: a DPoP-bound token goes with the DPoP scheme and a
        // proof for exactly this request, bound to the token (`ath`) and
        // carrying the server's latest nonce (§9).
        let mut scheme = HeaderValue::try_from(format!("DPoP {}", token.expose())).ok()?;
        scheme.set_sensitive(true);
        let mut headers = vec![(AUTHORIZATION, scheme)];
        match key
            .proof(method, url.as_str(), nonce.as_deref(), Some(token), now())
            .map(|p| HeaderValue::try_from(p.expose()))
        {
            Ok(Ok(mut proof)) => {
                proof.set_sensitive(true);
                headers.push((HeaderName::from_static("dpop"), proof));
            }
            _ => tracing::warn!("cannot make a DPoP proof; the server will refuse the request"),
        }
        Some(headers)
    }

    fn nonce_challenge(&self, status: u16, headers: &reqwest::header::HeaderMap) -> bool {
        // RFC 9449 §9: a resource server that wants a (new) nonce answers
        // 401 with `use_dpop_nonce` and a `DPoP-Nonce`: keep it; one retry.
        if status != 401 {
            return false;
        }
        let Some(nonce) = crate::oauth::dpop::nonce_asked(headers, None) else {
            return false;
        };
        let mut kept = self.dpop_nonce.lock().unwrap_or_else(|p| p.into_inner());
        let fresh = kept.as_deref() != Some(nonce.as_str());
        *kept = Some(nonce);
        fresh
    }

    fn expiring(&self, token: &Secret) -> bool {
        let e = self.expiry.lock().unwrap_or_else(|p| p.into_inner());
        e.as_ref()
            .is_some_and(|x| &x.token == token && now() >= x.renew_at)
    }

    fn renew_expiring<'a>(&'a self, expiring: &'a Secret) -> BoxFuture<'a, Result<Secret>> {
        Box::pin(async move {
            let mut state = self.state.lock().await;
            if let Some(current) = &state.current
                && current != expiring
            {
                return Ok(current.clone());
            }
            let Some(name) = state.name.clone() else {
                return Ok(expiring.clone());
            };
            let creds = self.credentials(&mut state).await?;
            tracing::info!(credential = %name, "the bearer expires within seconds; renewing it before sending");
            match creds.valid_token(&name, MIN_VALID).await {
                Ok(t) => {
                    let at = t.expires_at;
                    let token = self.hand_out(t);
                    self.adopt(&mut state, token.clone(), at);
                    Ok(token)
                }
                // Only a login helps: the 401 that follows starts it.
                Err(Error::NeedsLogin { reason, .. }) => {
                    tracing::warn!(credential = %name, %reason, "the bearer cannot be renewed");
                    Ok(expiring.clone())
                }
                Err(e) => Err(e),
            }
        })
    }

    fn first_success(&self) -> BoxFuture<'_, ()> {
        Box::pin(async move {
            if self.used.swap(true, Ordering::Relaxed) {
                return;
            }
            let Some((store, name)) = self.in_use().await else {
                return;
            };
            if let Err(e) = blocking(move || store.touch_used(&name, now())).await {
                tracing::warn!(error = %e, "cannot record the credential's use");
            }
        })
    }

    fn session_ended(&self, stats: SessionStats) -> BoxFuture<'_, ()> {
        Box::pin(async move {
            if !self.used.load(Ordering::Relaxed) {
                return;
            }
            let Some((store, name)) = self.in_use().await else {
                return;
            };
            // The origin the token went to: with `--name`, a credential
            // may serve origins other than the one it was saved for.
            let target = crate::origins::origin_of(&self.server_url)
                .unwrap_or_else(|_| self.server_url.clone());
            let detail = format!(
                "bridge session to {target}: {} requests, {} messages, {} failed",
                stats.requests, stats.messages, stats.failed
            );
            let result = blocking(move || store.record_use_now(&name, &detail, now())).await;
            if let Err(e) = result {
                tracing::warn!(error = %e, "cannot record the bridge session in the audit log");
            }
        })
    }
}
