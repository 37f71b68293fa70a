//! THE one place a valid access token comes from: the daemon's memory, the
//! daemon, or a locked refresh in this process. Every command and the bridge
//! ask here; nothing else refreshes.
//!
//! When the daemon runs, it is the only refresher: [`Credentials::access_token`]
//! and [`Credentials::refresh`] ask it over its socket ([`crate::ipc`]) and
//! only do the work themselves when no daemon answers. The daemon's own
//! instance is built [`in_process`](Credentials::in_process), so it never
//! asks itself, and keeps valid tokens in memory.
//!
//! A refresh runs under a cross-process lock for its credential and re-reads
//! the stored state first, so two processes never spend one rotating refresh
//! token: the second finds the first one's fresh token and uses it. The new
//! token set is stored before the metadata row is updated; a transient
//! failure keeps the old refresh token; only a definite refusal
//! (`invalid_grant`, `invalid_client`, `unauthorized_client`) marks the
//! credential as needing a login, and its record is kept.
//!
//! A use is recorded (last used, audit event) once per token handed out, by
//! the process that hands it out: here after a local answer, in the daemon
//! after its answer has been written to the socket.
//!
//! It is also the one door to everything else stored: nothing above this
//! layer reaches [`crate::store`] (`tests/layers.rs` checks). Each file
//! here adds the methods of one kind of caller: `records` (rows, uses,
//! shared servers), `audit` (the event log), `secrets` (user secrets),
//! `registrations` (the client registrations cache), `origins` (where a
//! token or secret may go), `health` (can storage be written, doctor's
//! checks, prune) and `revoke`. The plain types callers need
//! ([`Holder`], [`EventFilter`], [`SecretMeta`], [`Registration`], ...) are
//! re-exported here.

mod audit;
mod health;
mod origins;
mod records;
mod registrations;
mod revoke;
mod secrets;

/// What asks, at a terminal, whether to keep secrets in a file when the OS
/// keyring cannot be reached.
pub use crate::store::FallbackPrompt;
pub use audit::{EventFilter, EventLog};
pub use health::{DatabaseCheck, PruneReport, SCHEMA_VERSION};
pub use origins::Holder;
pub use registrations::Registration;
pub use secrets::{NewSecret, SecretMeta};

use std::collections::HashMap;
use std::fs::File;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::config::Config;
use crate::error::{Error, Result};
use crate::ipc::{self, Op};
use crate::model::lifecycle::{After, Transition};
use crate::model::{
    Credential, GrantKind, Origin, Renewal, Secret, Status, Timestamp, TokenSet, now,
};
use crate::oauth::identity::Identity;
use crate::oauth::{self, ClientAuth, Extras, Tokens};
use crate::paths::Paths;
use crate::store::{LazyStore, RefreshUpdate, Store};
use crate::task::blocking;

/// How long a process waits for another one's refresh of the same
/// credential before giving up.
const LOCK_WAIT: Duration = Duration::from_secs(60);

/// A usable access token and when it expires.
#[derive(Debug, Clone)]
pub struct AccessToken {
    pub token: Secret,
    pub expires_at: Option<Timestamp>,
    /// For a DPoP-bound token (RFC 9449), the key every use must prove
    /// possession of ([`oauth::dpop::Key::from_stored`]); `None`: bearer.
    pub dpop_key: Option<Secret>,
}

/// What a refresh did.
#[derive(Debug, Clone)]
pub struct Refreshed {
    pub credential: Credential,
    pub token: AccessToken,
    /// False when no new token was obtained: another process had refreshed
    /// already, or the refresh failed and the still-valid current token was
    /// returned (then `failure` says why).
    pub performed: bool,
    pub failure: Option<String>,
    /// With a failure: the seconds the server asked to wait before the next
    /// attempt (`Retry-After`), which the daemon's backoff honours.
    pub retry_after: Option<u64>,
}

#[derive(Clone)]
pub struct Credentials {
    inner: Arc<Inner>,
}

struct Inner {
    store: LazyStore,
    /// The daemon's socket, asked first; `None` in the daemon itself.
    daemon: Option<PathBuf>,
    lock_dir: PathBuf,
    /// Valid tokens kept in memory (the daemon's), by credential name.
    memory: Option<Mutex<HashMap<String, Remembered>>>,
    /// One refresh per credential at a time within this process, queued
    /// without polling; the file lock then orders processes.
    renewing: Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
}

/// A token kept in memory and the row generation it belongs to: when the
/// row's generation moves (a refresh elsewhere, a new login) or the row
/// goes (revoke, logout), the memory is stale.
#[derive(Clone)]
struct Remembered {
    generation: i64,
    token: AccessToken,
}

impl Credentials {
    /// Opens the store now (without the keyring prompt: a daemon or a
    /// bridge has no terminal to ask at); asks the daemon first when one
    /// runs.
    pub fn open(paths: &Paths, config: &Config) -> Result<Credentials> {
        Ok(Credentials::new(Store::open(paths, config, None)?))
    }

    /// Opens the store on first use only, so a command the daemon answers
    /// (or one that needs no storage) never opens it. `prompt` gives what
    /// asks about the file store when the keyring cannot be reached.
    pub fn open_lazily(
        paths: &Paths,
        config: &Config,
        prompt: impl Fn() -> Option<FallbackPrompt> + Send + Sync + 'static,
    ) -> Credentials {
        let store = {
            let (paths, config) = (paths.clone(), config.clone());
            LazyStore::new(move || Store::open(&paths, &config, prompt()))
        };
        Credentials::lazy(paths, store)
    }

    /// Over an open store; asks the daemon first when one runs.
    pub fn new(store: Store) -> Credentials {
        let paths = store.paths().clone();
        Credentials::lazy(&paths, LazyStore::opened(store))
    }

    /// Over a store opened only if this process has to do the work itself;
    /// asks the daemon first when one runs.
    fn lazy(paths: &Paths, store: LazyStore) -> Credentials {
        Credentials {
            inner: Arc::new(Inner {
                store,
                daemon: Some(paths.socket()),
                lock_dir: paths.lock_dir(),
                memory: None,
                renewing: Mutex::new(HashMap::new()),
            }),
        }
    }

    /// Never asks the daemon: for the daemon itself, which must not ask
    /// itself.
    pub fn in_process(self) -> Credentials {
        self.rebuild(|i| i.daemon = None)
    }

    /// Keeps valid tokens in memory, so a long-lived process answers
    /// without reading the secret store each time.
    pub fn with_memory(self) -> Credentials {
        self.rebuild(|i| i.memory = Some(Mutex::new(HashMap::new())))
    }

    fn rebuild(self, change: impl FnOnce(&mut Inner)) -> Credentials {
        let mut inner = Inner {
            store: self.inner.store.clone(),
            daemon: self.inner.daemon.clone(),
            lock_dir: self.inner.lock_dir.clone(),
            memory: None,
            renewing: Mutex::new(HashMap::new()),
        };
        change(&mut inner);
        Credentials {
            inner: Arc::new(inner),
        }
    }

    /// The store, for this layer only: everything above asks through the
    /// methods of [`Credentials`].
    fn store(&self) -> Result<&Store> {
        self.inner.store.get()
    }

    /// Opens the store now, off the async threads, if it is not open yet:
    /// a long-lived async caller (the bridge) asks this before its first
    /// use, so opening never stalls its requests.
    pub async fn ready(&self) -> Result<()> {
        let creds = self.clone();
        blocking(move || creds.store().map(|_| ())).await
    }

    fn store_owned(&self) -> Result<Store> {
        self.store().cloned()
    }

    /// A token valid for at least `min_valid`, from the daemon when it runs,
    /// else from this process (refreshing under the lock when needed).
    /// Records the use once either way.
    pub async fn access_token(&self, name: &str, min_valid: Duration) -> Result<AccessToken> {
        if let Some(token) = self.daemon_token(name, min_valid, true).await? {
            return Ok(token);
        }
        let token = self.local_token(name, min_valid).await?;
        self.record_use(name, &use_detail("this process", token.expires_at, now()))
            .await?;
        Ok(token)
    }

    /// A token valid for at least `min_valid`, like
    /// [`access_token`](Credentials::access_token) but without recording a
    /// use: for callers that audit a whole session at once (the bridge).
    pub async fn valid_token(&self, name: &str, min_valid: Duration) -> Result<AccessToken> {
        if let Some(token) = self.daemon_token(name, min_valid, false).await? {
            return Ok(token);
        }
        self.local_token(name, min_valid).await
    }

    /// The daemon's answer, if one runs.
    async fn daemon_token(
        &self,
        name: &str,
        min_valid: Duration,
        record_use: bool,
    ) -> Result<Option<AccessToken>> {
        let op = token_op(name, min_valid, record_use);
        match self.ask_daemon(op).await? {
            Some(resp) => token_from(resp).map(Some),
            None => Ok(None),
        }
    }

    /// What [`access_token`](Credentials::access_token) gets from the
    /// daemon, asked without an async runtime; `None` when no daemon
    /// answers (then call `access_token`, which works in this process).
    /// `mcp-auth token` starts here: a script's most frequent call costs
    /// one socket round trip and no runtime.
    pub fn access_token_from_daemon(
        &self,
        name: &str,
        min_valid: Duration,
    ) -> Result<Option<AccessToken>> {
        let Some(socket) = &self.inner.daemon else {
            return Ok(None);
        };
        match ipc::call_blocking(socket, token_op(name, min_valid, true))? {
            Some(resp) => token_from(resp).map(Some),
            None => Ok(None),
        }
    }

    /// Refreshes now (`force`), or only when the token is about to expire;
    /// by the daemon when it runs.
    pub async fn refresh(&self, name: &str, force: bool) -> Result<Refreshed> {
        let op = Op::Refresh {
            name: name.to_string(),
            force,
            rejected: None,
        };
        if let Some(resp) = self.ask_daemon(op).await? {
            return refreshed_from(resp.into_result()?);
        }
        let when = if force {
            RenewWhen::Force
        } else {
            RenewWhen::UnlessValidFor(Duration::ZERO)
        };
        self.renew(name, when).await
    }

    /// A new token because the server refused `rejected`: refreshes unless
    /// the stored token is already another one (a process that got the
    /// same refusal renewed it first), checked under the lock, so many
    /// clients refused at once cause one refresh.
    pub async fn replace_rejected(&self, name: &str, rejected: &Secret) -> Result<Refreshed> {
        let op = Op::Refresh {
            name: name.to_string(),
            force: true,
            rejected: Some(rejected.clone()),
        };
        if let Some(resp) = self.ask_daemon(op).await? {
            return refreshed_from(resp.into_result()?);
        }
        self.renew(name, RenewWhen::UnlessReplaced(rejected.clone()))
            .await
    }

    async fn ask_daemon(&self, op: Op) -> Result<Option<ipc::Response>> {
        match &self.inner.daemon {
            Some(socket) => ipc::call(socket, op).await,
            None => Ok(None),
        }
    }

    /// A token valid for at least `min_valid`, from memory, the store or a
    /// refresh in this process, never the daemon: what the daemon itself
    /// serves. Does not record the use: the caller does, once the token is
    /// handed over ([`Credentials::record_use`]).
    pub async fn local_token(&self, name: &str, min_valid: Duration) -> Result<AccessToken> {
        if let Some(token) = self.remembered(name, min_valid).await? {
            return Ok(token);
        }
        let (cred, tokens) = self.load(name).await?;
        if is_fresh(tokens.access_expires_at, min_valid, now()) {
            let token = token_of(&tokens);
            self.remember(&cred, &token);
            return Ok(token);
        }
        Ok(self
            .renew(name, RenewWhen::UnlessValidFor(min_valid))
            .await?
            .token)
    }

    /// The stored token of `name` when it is not `rejected` (another
    /// process renewed it since the server refused that one), without a
    /// lock or a refresh; `None` when the stored one is the refused one.
    /// A bridge asks this first, then [`Credentials::replace_rejected`].
    pub async fn stored_unless(
        &self,
        name: &str,
        rejected: Option<&Secret>,
    ) -> Result<Option<AccessToken>> {
        let (_, tokens) = self.load(name).await?;
        if Some(&tokens.access_token) == rejected {
            return Ok(None);
        }
        Ok(Some(token_of(&tokens)))
    }

    /// Refreshes in this process unless the token stays valid for `within`
    /// (someone else refreshed meanwhile): the daemon's scheduled refresh.
    pub async fn refresh_unless_valid_for(
        &self,
        name: &str,
        within: Duration,
    ) -> Result<Refreshed> {
        self.renew(name, RenewWhen::UnlessValidFor(within)).await
    }

    /// Records that a token of `name` was handed out: last used, and an
    /// audit event with `detail` (see [`use_detail`]).
    pub async fn record_use(&self, name: &str, detail: &str) -> Result<()> {
        let creds = self.clone();
        let name = name.to_string();
        let detail = detail.to_string();
        blocking(move || creds.record_use_now(&name, &detail, now())).await
    }

    /// The token in memory, if it is valid for `min_valid` and its row has
    /// not changed since (checked in the database, never the keyring).
    async fn remembered(&self, name: &str, min_valid: Duration) -> Result<Option<AccessToken>> {
        let Some(memory) = &self.inner.memory else {
            return Ok(None);
        };
        let kept = lock(memory).get(name).cloned();
        let Some(kept) = kept.filter(|k| is_fresh(k.token.expires_at, min_valid, now())) else {
            return Ok(None);
        };
        let store = self.store_owned()?;
        let key = name.to_string();
        let row = blocking(move || store.db().get(&key)).await?;
        match row {
            Some(c) if c.status == Status::Active && c.generation == kept.generation => {
                Ok(Some(kept.token))
            }
            _ => {
                // Changed or gone: the store says what is true now.
                lock(memory).remove(name);
                Ok(None)
            }
        }
    }

    fn remember(&self, cred: &Credential, token: &AccessToken) {
        if let Some(memory) = &self.inner.memory {
            lock(memory).insert(
                cred.name.clone(),
                Remembered {
                    generation: cred.generation,
                    token: token.clone(),
                },
            );
        }
    }

    /// Drops what memory holds for `name` (its row changed or went).
    pub fn forget(&self, name: &str) {
        if let Some(memory) = &self.inner.memory {
            lock(memory).remove(name);
        }
    }

    /// Saves a new login: the token set in the secret store, then the row.
    /// An earlier credential of the same name is replaced (keeping its
    /// creation time), its generation moving on.
    ///
    /// Under the credential's lock, like a refresh: a refresh of the old
    /// grant in flight meanwhile (another process, the daemon) would
    /// otherwise store its answer over the new login's tokens.
    pub async fn save_login(&self, n: NewCredential) -> Result<Credential> {
        let _lock = CredentialLock::acquire(self.inner.lock_dir.clone(), &n.name).await?;
        self.forget(&n.name);
        let store = self.store_owned()?;
        blocking(move || {
            let at = now();
            let previous = store.db().get(&n.name)?;
            let generation = previous.as_ref().map(|p| p.generation + 1).unwrap_or(1);
            let cred = Credential {
                name: n.name.clone(),
                origin: n.origin,
                issuer: n.issuer,
                resource: n.resource,
                token_url: n.token_url,
                revocation_url: n.revocation_url,
                client_id: n.auth.client_id.clone(),
                auth_method: n.auth.method,
                grant: n.grant,
                subject: n.identity.subject,
                username: n.identity.username,
                email: n.identity.email,
                scopes: n.tokens.scopes.clone().unwrap_or(n.requested_scopes),
                has_refresh_token: n.tokens.refresh_token.is_some(),
                created_at: at,
                last_used_at: previous.as_ref().and_then(|p| p.last_used_at),
                last_refreshed_at: None,
                access_expires_at: n.tokens.access_expires_at,
                refresh_expires_at: n.tokens.refresh_expires_at,
                status: Status::Active,
                status_changed_at: at,
                last_error: None,
                generation,
            };
            // RFC 9449 §5: an authorization server that answers `Bearer`
            // to a request with a proof did not bind the token; it is then
            // presented as a bearer token and the key is not kept.
            let bound = n
                .tokens
                .token_type
                .eq_ignore_ascii_case(oauth::dpop::TOKEN_TYPE);
            let dpop_key = n
                .auth
                .dpop
                .as_ref()
                .filter(|_| bound)
                .map(|k| k.stored().clone());
            let set = TokenSet {
                generation,
                access_token: n.tokens.access_token,
                refresh_token: n.tokens.refresh_token,
                id_token: n.tokens.id_token,
                client_assertion_alg: n.auth.assertion.as_ref().map(|a| a.alg.clone()),
                client_secret: n.auth.client_secret,
                access_expires_at: n.tokens.access_expires_at,
                token_params: n.token_params,
                idp: n.idp,
                dpop_key,
                assertion_file: n.assertion_file,
            };
            store.save_login(&cred, &set)?;
            // A new login for the same origin adds to the allowed origins
            // (those allowed by hand stay); one for another origin starts
            // over, since the old list was for another service.
            let kept = match &previous {
                Some(p) if p.origin == cred.origin => store
                    .db()
                    .allowed_origins(Holder::Token, &cred.name)?
                    .unwrap_or_default(),
                _ => Vec::new(),
            };
            let allowed = crate::origins::union(kept, n.allowed_origins);
            store
                .db()
                .set_allowed_origins(Holder::Token, &cred.name, &allowed)?;
            let detail = format!("{} via {}", cred.origin.label(), cred.grant.as_str());
            store.db().record_transition(
                Some(&cred.name),
                Transition::LoggedIn,
                Some(&detail),
                at,
            )?;
            store
                .db()
                .get(&cred.name)?
                .ok_or_else(|| Error::CredentialNotFound(cred.name.clone()))
        })
        .await
    }

    /// Reads a credential's row and secrets. A row whose secrets are gone
    /// is marked as needing a login rather than shown as valid.
    pub async fn load(&self, name: &str) -> Result<(Credential, TokenSet)> {
        let store = self.store_owned()?;
        let name = name.to_string();
        blocking(move || {
            let mut cred = store
                .db()
                .get(&name)?
                .ok_or_else(|| Error::CredentialNotFound(name.clone()))?;
            let Some(tokens) = store.tokens(&name)? else {
                let reason = "its tokens are missing from the secret store";
                store
                    .db()
                    .set_status(&name, Status::NeedsLogin, Some(reason), now())?;
                return Err(needs_login(&cred, reason));
            };
            // A process that died between storing new tokens and updating
            // the row leaves the secret a generation ahead: it is the truth.
            if tokens.generation > cred.generation {
                cred.access_expires_at = tokens.access_expires_at;
                cred.has_refresh_token = tokens.refresh_token.is_some();
            }
            if cred.status == Status::NeedsLogin {
                let reason = cred
                    .last_error
                    .clone()
                    .unwrap_or_else(|| "the provider refused its refresh".into());
                return Err(needs_login(&cred, &reason));
            }
            Ok((cred, tokens))
        })
        .await
    }

    async fn renew(&self, name: &str, when: RenewWhen) -> Result<Refreshed> {
        let force = !matches!(when, RenewWhen::UnlessValidFor(_));
        let local = {
            let mut renewing = lock(&self.inner.renewing);
            renewing.entry(name.to_string()).or_default().clone()
        };
        let _local = local.lock().await;
        let _lock = CredentialLock::acquire(self.inner.lock_dir.clone(), name).await?;
        // Re-read under the lock: another process may have refreshed.
        let (cred, tokens) = self.load(name).await?;
        let already = match &when {
            RenewWhen::UnlessValidFor(min_valid) => {
                is_fresh(tokens.access_expires_at, *min_valid, now())
            }
            RenewWhen::Force => false,
            // Someone replaced the refused token while we waited: use theirs.
            RenewWhen::UnlessReplaced(rejected) => &tokens.access_token != rejected,
        };
        if already {
            let token = token_of(&tokens);
            self.remember(&cred, &token);
            return Ok(Refreshed {
                token,
                credential: cred,
                performed: false,
                failure: None,
                retry_after: None,
            });
        }
        let auth = client_auth(&cred, &tokens);
        let extras = Extras {
            resource: cred.resource.clone(),
            params: tokens.token_params.clone(),
        };
        // Decided from the secrets read under the lock, not the row: a cross-app
        // grant whose IdP exchange is not stored cannot be renewed.
        let renewal = match Renewal::of(cred.grant, tokens.refresh_token.is_some()) {
            Renewal::CrossApp if tokens.idp.is_none() => Renewal::None,
            r => r,
        };
        let can_renew = match renewal {
            Renewal::JwtBearer => tokens.assertion_file.is_some(),
            r => r.renews(),
        };
        if can_renew {
            // A rotating server spends the old refresh token the moment it
            // answers: an answer that cannot be stored (database read-only
            // or locked, secrets file not writable, disk full) would be a
            // lost credential. Fail before asking instead.
            let store = self.store_owned()?;
            blocking(move || store.check_can_store()).await?;
        }
        let started = now();
        let result = match (renewal, &tokens.refresh_token) {
            (Renewal::RefreshToken, Some(rt)) => {
                oauth::token::refresh(&cred.token_url, &auth, rt, &extras, started).await
            }
            (Renewal::CrossApp, _) => cross_app(&cred, &tokens, &auth, &extras, started).await,
            (Renewal::JwtBearer, _) => {
                // The platform rotates its identity token in place: read
                // the file now, never a copy from the login.
                let Some(path) = &tokens.assertion_file else {
                    return Err(needs_login(
                        &cred,
                        "its identity token came from the environment of the process that \
                         logged in, which nothing else can read; log in again (with \
                         --assertion-file for a credential that renews)",
                    ));
                };
                match oauth::jwt::read_assertion(path) {
                    Ok(assertion) => {
                        oauth::token::jwt_bearer(
                            &cred.token_url,
                            &auth,
                            &assertion,
                            &cred.scopes,
                            &extras,
                            started,
                        )
                        .await
                    }
                    Err(e) => Err(e),
                }
            }
            (Renewal::ClientCredentials, _) => {
                oauth::token::client_credentials(
                    &cred.token_url,
                    &auth,
                    &cred.scopes,
                    &extras,
                    started,
                )
                .await
            }
            (Renewal::RefreshToken | Renewal::None, _) => {
                // Nothing can renew it: the current token serves while it
                // lasts, unless the caller already knows it is refused.
                if !force && tokens.access_expires_at.is_some_and(|exp| exp > started) {
                    let why = "it expires soon and cannot be renewed (the provider gave no \
                               refresh token); log in again before it does";
                    tracing::warn!(credential = %cred.name, "{why}");
                    return Ok(Refreshed {
                        token: token_of(&tokens),
                        credential: cred,
                        performed: false,
                        failure: Some(why.to_string()),
                        retry_after: None,
                    });
                }
                return Err(needs_login(
                    &cred,
                    "its access token has expired and the provider gave no refresh token",
                ));
            }
        };
        match result {
            Ok(new) => self.store_refresh(cred, tokens, new, started).await,
            Err(err) => self.record_failure(cred, tokens, err).await,
        }
    }

    async fn store_refresh(
        &self,
        cred: Credential,
        old: TokenSet,
        new: Tokens,
        at: Timestamp,
    ) -> Result<Refreshed> {
        let generation = cred.generation.max(old.generation) + 1;
        let old_refresh = old.refresh_token.clone();
        let set = TokenSet {
            generation,
            access_token: new.access_token,
            // No new refresh token means the old one stays valid (RFC 6749 §6).
            refresh_token: new.refresh_token.or(old.refresh_token),
            id_token: new.id_token.or(old.id_token),
            client_secret: old.client_secret,
            access_expires_at: new.access_expires_at,
            client_assertion_alg: old.client_assertion_alg,
            token_params: old.token_params,
            idp: old.idp,
            dpop_key: old.dpop_key,
            assertion_file: old.assertion_file,
        };
        let update = RefreshUpdate {
            access_expires_at: set.access_expires_at,
            refresh_expires_at: new.refresh_expires_at.or(cred.refresh_expires_at),
            has_refresh_token: set.refresh_token.is_some(),
            scopes: new.scopes,
            generation,
            at,
        };
        let store = self.store_owned()?;
        let name = cred.name.clone();
        let token = token_of(&set);
        let detail = refresh_detail(&cred, &old_refresh, &set, at);
        let credential = blocking(move || {
            // Secret first: if we die after this line, the next reader sees
            // the newer generation in the secret and trusts it.
            store.put_tokens(&name, &set)?;
            if !store.db().record_refresh(&name, &update)? && store.db().get(&name)?.is_none() {
                // The credential was deleted while its refresh was in
                // flight (a revoke or logout takes the lock, so a prune):
                // the secret just written belongs to nothing. Delete it the
                // journaled way a deletion would.
                store.delete_credential(&name)?;
                return Err(Error::CredentialNotFound(name));
            }
            store.db().record_transition(
                Some(&name),
                Transition::Renewed,
                Some(&detail),
                update.at,
            )?;
            store
                .db()
                .get(&name)?
                .ok_or_else(|| Error::CredentialNotFound(name.clone()))
        })
        .await?;
        tracing::info!(credential = %credential.name, generation, "refreshed");
        self.remember(&credential, &token);
        Ok(Refreshed {
            credential,
            token,
            performed: true,
            failure: None,
            retry_after: None,
        })
    }

    async fn record_failure(
        &self,
        cred: Credential,
        tokens: TokenSet,
        err: Error,
    ) -> Result<Refreshed> {
        let transition = Transition::after_failure(&err);
        let permanent = transition == Transition::Refused;
        let message = err.to_string();
        let store = self.store_owned()?;
        let name = cred.name.clone();
        let detail = message.clone();
        blocking(move || {
            let at = now();
            match transition.status_after() {
                After::Status(status) => store.db().set_status(&name, status, Some(&detail), at)?,
                _ => store.db().set_last_error(&name, Some(&detail))?,
            }
            store
                .db()
                .record_transition(Some(&name), transition, Some(&detail), at)
        })
        .await?;
        if permanent {
            self.forget(&cred.name);
            tracing::warn!(credential = %cred.name, "refresh refused; the credential needs a new login");
            return Err(needs_login(&cred, &message));
        }
        // The old token still works for a while: better than failing.
        if tokens.access_expires_at.is_some_and(|exp| exp > now()) {
            tracing::warn!(credential = %cred.name, error = %message, "refresh failed; using the current token until it expires");
            return Ok(Refreshed {
                token: token_of(&tokens),
                credential: cred,
                performed: false,
                failure: Some(message),
                retry_after: err.retry_after(),
            });
        }
        Err(err)
    }
}

/// When a refresh in this process is skipped because it is not needed.
enum RenewWhen {
    /// The stored token stays valid this long: use it.
    UnlessValidFor(Duration),
    /// Refresh whatever is stored.
    Force,
    /// The stored token is no longer this refused one: use it.
    UnlessReplaced(Secret),
}

fn token_op(name: &str, min_valid: Duration, record_use: bool) -> Op {
    Op::Token {
        name: name.to_string(),
        min_valid: min_valid.as_secs(),
        record_use,
    }
}

/// The token in a daemon's answer (or the error it carries).
fn token_from(resp: ipc::Response) -> Result<AccessToken> {
    let token = resp
        .into_result()?
        .token
        .ok_or_else(|| Error::Other("the daemon answered without a token".into()))?;
    Ok(AccessToken {
        token: token.token,
        expires_at: token.expires_at,
        dpop_key: token.dpop_key,
    })
}

/// A refresh the daemon did, as a [`Refreshed`].
fn refreshed_from(resp: ipc::Response) -> Result<Refreshed> {
    let (Some(token), Some(r)) = (resp.token, resp.refresh) else {
        return Err(Error::Other(
            "the daemon answered a refresh without its outcome".into(),
        ));
    };
    Ok(Refreshed {
        credential: r.credential,
        token: AccessToken {
            token: token.token,
            expires_at: token.expires_at,
            dpop_key: token.dpop_key,
        },
        performed: r.performed,
        failure: r.failure,
        // The daemon's own backoff honours the server's wait; a client
        // asking it makes one attempt and reports the message.
        retry_after: None,
    })
}

/// Everything a finished login knows, to be saved.
pub struct NewCredential {
    pub name: String,
    pub origin: Origin,
    pub issuer: Option<String>,
    pub resource: Option<String>,
    pub token_url: String,
    pub revocation_url: Option<String>,
    pub auth: ClientAuth,
    pub grant: GrantKind,
    /// Recorded as granted when the server does not say which it granted.
    pub requested_scopes: Vec<String>,
    pub identity: Identity,
    pub tokens: Tokens,
    /// Parameters every later token request must carry again.
    pub token_params: Vec<(String, String)>,
    /// Cross-app access: what renews the grant.
    pub idp: Option<crate::model::IdpExchange>,
    /// Workload identity: the identity token file read at each renewal.
    pub assertion_file: Option<PathBuf>,
    /// Origins the token may be sent to ([`crate::origins`]): a provider's
    /// API origins, an MCP server's own origin.
    pub allowed_origins: Vec<String>,
}

/// Renews a cross-app access grant: a new ID-JAG from the IdP for the
/// stored ID token, then the JWT bearer grant.
async fn cross_app(
    cred: &Credential,
    tokens: &TokenSet,
    auth: &ClientAuth,
    extras: &Extras,
    now: Timestamp,
) -> Result<Tokens> {
    let Some(idp) = &tokens.idp else {
        return Err(Error::Other("no IdP exchange stored".into()));
    };
    let audience = cred
        .issuer
        .clone()
        .unwrap_or_else(|| cred.token_url.clone());
    let resource = cred.resource.clone().unwrap_or_default();
    let jag = oauth::token::exchange_for_id_jag(
        &idp.token_url,
        &ClientAuth::public(idp.client_id.clone()),
        &idp.id_token,
        &audience,
        &resource,
        &cred.scopes,
        now,
    )
    .await?;
    oauth::token::jwt_bearer(&cred.token_url, auth, &jag, &cred.scopes, extras, now).await
}

/// How a stored credential authenticates its client at the token and
/// revocation endpoints.
pub fn client_auth(cred: &Credential, tokens: &TokenSet) -> ClientAuth {
    ClientAuth {
        client_id: cred.client_id.clone(),
        client_secret: tokens.client_secret.clone(),
        method: cred.auth_method,
        assertion: tokens
            .client_assertion_alg
            .as_ref()
            .map(|alg| oauth::Assertion {
                alg: alg.clone(),
                audience: cred
                    .issuer
                    .clone()
                    .unwrap_or_else(|| cred.token_url.clone()),
            }),
        dpop: dpop_key(cred, tokens),
    }
}

/// The DPoP key a credential's tokens are bound to, if any. A key that
/// cannot be read is left out (and logged): the refresh then fails at the
/// server, which says the credential needs a new login, a new key.
pub fn dpop_key(cred: &Credential, tokens: &TokenSet) -> Option<oauth::dpop::Key> {
    let stored = tokens.dpop_key.as_ref()?;
    match oauth::dpop::Key::from_stored(stored) {
        Ok(k) => Some(k),
        Err(e) => {
            tracing::warn!(credential = %cred.name, error = %e, "unusable DPoP key");
            None
        }
    }
}

fn needs_login(cred: &Credential, reason: &str) -> Error {
    Error::NeedsLogin {
        name: cred.name.clone(),
        reason: reason.to_string(),
        login_hint: cred.login_hint(),
    }
}

fn is_fresh(expires_at: Option<Timestamp>, min_valid: Duration, at: Timestamp) -> bool {
    expires_at.is_none_or(|exp| exp > at.saturating_add(min_valid.as_secs() as i64))
}

/// Locks a std mutex; a panic elsewhere while it was held leaves a map of
/// plain values that is still usable.
fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

fn token_of(tokens: &TokenSet) -> AccessToken {
    AccessToken {
        token: tokens.access_token.clone(),
        expires_at: tokens.access_expires_at,
        dpop_key: tokens.dpop_key.clone(),
    }
}

/// An exclusive, cross-process lock on one credential, held by an open file
/// in the runtime directory. The OS drops it if the process dies.
pub struct CredentialLock {
    _file: File,
}

impl CredentialLock {
    pub async fn acquire(dir: PathBuf, name: &str) -> Result<CredentialLock> {
        crate::paths::ensure_private_dir(&dir)?;
        let path = dir.join(format!("{name}.lock"));
        let file = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(|e| Error::io(format!("cannot open lock file {}", path.display()), e))?;
        let deadline = tokio::time::Instant::now() + LOCK_WAIT;
        loop {
            match file.try_lock() {
                Ok(()) => return Ok(CredentialLock { _file: file }),
                Err(std::fs::TryLockError::WouldBlock) => {
                    if tokio::time::Instant::now() >= deadline {
                        return Err(Error::Timeout(format!(
                            "another mcp-auth process has been refreshing '{name}' for over {}s",
                            LOCK_WAIT.as_secs()
                        )));
                    }
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
                Err(std::fs::TryLockError::Error(e)) => {
                    return Err(Error::io(format!("cannot lock {}", path.display()), e));
                }
            }
        }
    }
}

/// Credential names become file names and keyring keys: keep them simple.
pub fn validate_name(name: &str) -> Result<()> {
    let ok = !name.is_empty()
        && name.len() <= 100
        && !name.starts_with('.')
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "._-@+".contains(c));
    if ok {
        Ok(())
    } else {
        Err(Error::Usage(format!(
            "{name:?} is not a usable credential name: use letters, digits and . _ - @ + \
             (at most 100, not starting with a dot)"
        )))
    }
}

/// The audit detail of a token handed out by `by` (this process, the
/// daemon): how long it stays valid, so the log says what was given.
pub fn use_detail(by: &str, expires_at: Option<Timestamp>, at: Timestamp) -> String {
    match expires_at {
        Some(t) => format!(
            "access token handed out by {by}, expires {}",
            crate::model::relative(t, at)
        ),
        None => format!("access token handed out by {by}, no expiry given"),
    }
}

/// The audit detail of a refresh: what renewed it, until when, and what
/// became of the refresh token (rotated, kept, none).
fn refresh_detail(
    cred: &Credential,
    old_refresh: &Option<Secret>,
    new: &TokenSet,
    at: Timestamp,
) -> String {
    let how = match cred.grant {
        GrantKind::ClientCredentials | GrantKind::CrossApp => {
            format!("new token minted ({})", cred.grant.as_str())
        }
        _ => "access token refreshed".to_string(),
    };
    let until = match new.access_expires_at {
        Some(t) => format!(", expires {}", crate::model::relative(t, at)),
        None => ", no expiry given".to_string(),
    };
    let refresh = match (old_refresh, &new.refresh_token) {
        (Some(old), Some(new)) if old != new => "; refresh token rotated",
        (Some(_), Some(_)) => "; refresh token kept",
        (None, Some(_)) => "; a refresh token was issued",
        (_, None) => "",
    };
    format!("{how}{until}{refresh}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_safe_for_files_and_keys() {
        for ok in ["github", "work-okta", "mcp.linear.app", "a_b+c@d"] {
            validate_name(ok).unwrap();
        }
        for bad in ["", "../x", "a/b", ".hidden", "sp ace", &"x".repeat(101)] {
            assert!(validate_name(bad).is_err(), "{bad}");
        }
    }

    /// Regression guard: the bridge boxes these futures as `Send`; a
    /// borrowed closure inside the token requests once made them `Send`
    /// for one lifetime only. This only has to compile.
    #[allow(dead_code)]
    fn futures_are_send_for_every_lifetime(c: Credentials) {
        fn is_send<T: Send>(_: T) {}
        let c1 = c.clone();
        is_send(async move { c1.refresh("x", true).await });
        let c2 = c.clone();
        is_send(async move { c2.access_token("x", Duration::ZERO).await });
        is_send(async move { c.valid_token("x", Duration::ZERO).await });
    }

    #[test]
    fn freshness_honours_min_valid() {
        let t = |exp| TokenSet {
            generation: 1,
            access_token: Secret::new("a"),
            refresh_token: None,
            id_token: None,
            client_secret: None,
            access_expires_at: exp,
            client_assertion_alg: None,
            token_params: Vec::new(),
            idp: None,
            dpop_key: None,
            assertion_file: None,
        };
        let fresh = |exp, at| is_fresh(t(exp).access_expires_at, Duration::from_secs(60), at);
        assert!(fresh(None, 0));
        assert!(fresh(Some(100), 0));
        assert!(!fresh(Some(100), 50));
    }

    #[tokio::test]
    async fn lock_excludes_a_second_holder_until_dropped() {
        let dir = tempfile::tempdir().unwrap();
        let first = CredentialLock::acquire(dir.path().to_path_buf(), "c")
            .await
            .unwrap();
        let dir2 = dir.path().to_path_buf();
        let second = tokio::spawn(async move { CredentialLock::acquire(dir2, "c").await });
        tokio::time::sleep(Duration::from_millis(100)).await;
        assert!(!second.is_finished());
        drop(first);
        assert!(second.await.unwrap().is_ok());
    }
}
