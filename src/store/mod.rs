//! Storage: metadata in SQLite ([`db`]), secrets in the keyring or an
//! explicit file ([`secrets`]), and the rules that keep the two halves
//! consistent.
//!
//! Secrets are written before the metadata that refers to them and deleted
//! after it, so a crash between the two never leaves a row that claims
//! tokens that are gone. Each such write or deletion is recorded in a journal
//! table first and the entry dropped once the two halves agree; an entry
//! left by a crash lets [`Store::recover`] clean a secret that no row owns.

pub mod db;
pub mod secrets;
mod secrets_file;

use std::sync::{Arc, Mutex, OnceLock, RwLock};

use crate::config::{Config, SecretStoreKind};
use crate::error::{Error, Result};
use crate::model::{Credential, Secret, Timestamp, TokenSet, Transition, now};
use crate::paths::{self, Paths};

pub use db::{Db, RefreshUpdate, Registration, SecretMeta};

/// A journal entry younger than this may belong to a login still running in
/// another process, so recovery leaves it alone.
pub const JOURNAL_GRACE_SECS: i64 = 600;

/// Free space a write of new tokens needs besides a copy of the secrets
/// file: SQLite's WAL grows by a few 4 KiB pages per transaction and its
/// shared-memory file by 32 KiB steps; 256 KiB is many transactions' worth.
pub const WRITE_HEADROOM: u64 = 256 * 1024;

/// What a prune run did (or, dry, would do). The names of the credentials
/// it deleted go to the caller one by one (see [`Store::prune`]).
#[derive(Debug, Clone, serde::Serialize)]
pub struct PruneReport {
    pub examined: usize,
    /// How many; `tokens prune --json` lists their names as `deleted`.
    #[serde(skip)]
    pub deleted: usize,
    pub events_deleted: usize,
    pub orphans_cleaned: usize,
    pub dry_run: bool,
    pub retention_days: u32,
    pub duration_ms: u64,
}
use secrets::{FileBackend, Keep, KeyringBackend, SecretBackend, SortedKeys};

/// Asked once when the keyring is unreachable and no store was chosen: may
/// the file store be used? `Ok(true)` switches to it; remembering the choice
/// (in config.toml) is the asker's job, done before it answers, so the store
/// never writes the configuration. Only set when a person is at a terminal.
pub type FallbackPrompt = Box<dyn Fn(&str) -> Result<bool> + Send + Sync>;

#[derive(Clone)]
pub struct Store {
    inner: Arc<Inner>,
}

struct Inner {
    db: Db,
    paths: Paths,
    backend: RwLock<Arc<dyn SecretBackend>>,
    /// True when the user chose the store (config or environment), so a
    /// keyring failure is reported rather than offering the file store.
    chosen: bool,
    fallback: Option<FallbackPrompt>,
    /// One prune at a time per process: its working set is a table of the
    /// one connection.
    prune: Mutex<()>,
}

/// Keys of secrets in the backend.
pub mod keys {
    /// What a credential's token set key starts with.
    pub const TOKENS_PREFIX: &str = "credential/";
    pub fn tokens(credential: &str) -> String {
        format!("{TOKENS_PREFIX}{credential}")
    }
    pub fn client_secret(issuer: &str, client_id: &str) -> String {
        format!("client/{issuer}/{client_id}")
    }
    pub fn user_secret(name: &str) -> String {
        format!("secret/{name}")
    }
}

/// A store opened on first use and shared by its clones, so that a command
/// answered without storage (`mcp-auth token` served by the daemon) never
/// opens the database or the keyring.
#[derive(Clone)]
pub struct LazyStore {
    cell: Arc<OnceLock<Store>>,
    open: Arc<dyn Fn() -> Result<Store> + Send + Sync>,
}

impl LazyStore {
    pub fn new(open: impl Fn() -> Result<Store> + Send + Sync + 'static) -> LazyStore {
        LazyStore {
            cell: Arc::new(OnceLock::new()),
            open: Arc::new(open),
        }
    }

    /// A store that is open already.
    pub fn opened(store: Store) -> LazyStore {
        let cell = OnceLock::new();
        let _ = cell.set(store);
        LazyStore {
            cell: Arc::new(cell),
            open: Arc::new(|| Err(Error::Other("the store was given open".into()))),
        }
    }

    pub fn get(&self) -> Result<&Store> {
        if let Some(s) = self.cell.get() {
            return Ok(s);
        }
        let store = (self.open)()?;
        // Two first users at once both open; the first one stored wins.
        Ok(self.cell.get_or_init(|| store))
    }
}

impl Store {
    pub fn open(paths: &Paths, config: &Config, fallback: Option<FallbackPrompt>) -> Result<Store> {
        paths::ensure_private_dir(&paths.data_dir)?;
        let db = Db::open(&paths.database())?;
        let backend: Arc<dyn SecretBackend> = match config.secret_store {
            Some(SecretStoreKind::File) => Arc::new(FileBackend::new(&paths.secrets_file())),
            _ => Arc::new(KeyringBackend::new(
                paths.keyring_service.clone(),
                config.keyring_timeout,
            )),
        };
        Ok(Store {
            inner: Arc::new(Inner {
                db,
                paths: paths.clone(),
                backend: RwLock::new(backend),
                chosen: config.secret_store.is_some(),
                fallback,
                prune: Mutex::new(()),
            }),
        })
    }

    pub fn db(&self) -> &Db {
        &self.inner.db
    }

    pub fn paths(&self) -> &Paths {
        &self.inner.paths
    }

    fn backend(&self) -> Arc<dyn SecretBackend> {
        self.inner
            .backend
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    pub fn secret_store_kind(&self) -> SecretStoreKind {
        self.backend().kind()
    }

    pub fn describe_secret_store(&self) -> String {
        self.backend().describe()
    }

    /// Runs a secret operation; when the keyring is unreachable, explains how
    /// to choose the file store, or (at a terminal) offers it once.
    fn with_backend<T>(&self, mut op: impl FnMut(&dyn SecretBackend) -> Result<T>) -> Result<T> {
        let backend = self.backend();
        match op(backend.as_ref()) {
            Err(Error::SecretStore(reason)) if backend.kind() == SecretStoreKind::Keyring => {
                let config = self.inner.paths.config_file();
                if !self.inner.chosen
                    && let Some(ask) = &self.inner.fallback
                    && ask(&reason)?
                {
                    let file: Arc<dyn SecretBackend> =
                        Arc::new(FileBackend::new(&self.inner.paths.secrets_file()));
                    *self
                        .inner
                        .backend
                        .write()
                        .unwrap_or_else(|p| p.into_inner()) = file.clone();
                    return op(file.as_ref());
                }
                Err(Error::SecretStore(format!(
                    "{reason}\n  hint: to keep secrets in a plaintext file instead (mode 0600, in a \
                     0700 directory), choose it explicitly: add `secret_store = \"file\"` to {} \
                     or set MCP_AUTH_SECRET_STORE=file",
                    config.display()
                )))
            }
            other => other,
        }
    }

    /// Fails now if secrets cannot be stored (keyring locked or absent),
    /// offering the file store at a terminal as any other failure would.
    pub fn check_writable(&self) -> Result<()> {
        self.with_backend(|b| b.probe())
    }

    /// Fails now if new tokens could not be stored: the database cannot be
    /// written (read-only, locked), the secrets file cannot be replaced, or
    /// the disk has no room for it. Run before anything is spent that cannot
    /// be had again: a refresh (a rotating server spends the old refresh
    /// token, so an answer that cannot be stored is a lost credential), a
    /// revocation at the provider, a login.
    pub fn check_can_store(&self) -> Result<()> {
        self.db().check_writable()?;
        let backend = self.backend();
        // A keyring that cannot take the write fails when asked, before the
        // answer is lost or not: reading the tokens just now needed it
        // unlocked. The file store can be read and still not written.
        backend.probe_replace()?;
        let dir = &self.inner.paths.data_dir;
        let Some(fs) = crate::fs_space::fs_state(dir) else {
            return Ok(());
        };
        // The keyring's own storage is not ours to measure; the file store
        // is rewritten whole, so it needs room for a copy.
        let copy = match backend.kind() {
            SecretStoreKind::File => std::fs::metadata(self.inner.paths.secrets_file())
                .map(|m| m.len())
                .unwrap_or(0),
            SecretStoreKind::Keyring => 0,
        };
        let need = WRITE_HEADROOM + copy;
        if fs.free_bytes < need {
            return Err(Error::Database(format!(
                "no room to store new tokens: {} free on the disk holding {} and {} needed; \
                 free some space and try again (nothing was sent to the server, so the stored \
                 tokens still work)",
                crate::fs_space::human_bytes(fs.free_bytes),
                dir.display(),
                crate::fs_space::human_bytes(need)
            )));
        }
        Ok(())
    }

    pub fn tokens(&self, credential: &str) -> Result<Option<TokenSet>> {
        let key = keys::tokens(credential);
        let Some(raw) = self.with_backend(|b| b.get(&key))? else {
            return Ok(None);
        };
        serde_json::from_str(raw.expose()).map(Some).map_err(|_| {
            Error::SecretStore(format!(
                "the stored tokens of '{credential}' are unreadable; run `mcp-auth login` for it again"
            ))
        })
    }

    /// Replaces a credential's token set. Used by refresh, whose row exists
    /// already: if the process dies before the row is updated, the newer
    /// secret (with its higher generation) is what the next reader uses.
    pub fn put_tokens(&self, credential: &str, tokens: &TokenSet) -> Result<()> {
        let json = serde_json::to_string(tokens)
            .map_err(|e| Error::Other(format!("cannot encode tokens: {e}")))?;
        let key = keys::tokens(credential);
        let value = Secret::new(json);
        self.with_backend(|b| b.set(&key, &value))
    }

    /// Saves a new login: journal, secret, then the row (which drops the
    /// journal entry in the same transaction).
    pub fn save_login(&self, credential: &Credential, tokens: &TokenSet) -> Result<()> {
        let key = keys::tokens(&credential.name);
        self.db().journal_add(&key, &credential.name, now())?;
        self.put_tokens(&credential.name, tokens)?;
        self.db().upsert_journaled(credential, &key)
    }

    /// Deletes a credential: the row (journaled) first, so it stops being
    /// offered, then its secrets.
    pub fn delete_credential(&self, name: &str) -> Result<bool> {
        let key = keys::tokens(name);
        let existed = self.db().delete_journaled(name, &key, now())?;
        self.with_backend(|b| b.delete(&key))?;
        self.db().journal_remove(&key)?;
        Ok(existed)
    }

    /// Finishes what a crashed process left: for each journal entry older
    /// than `before`, deletes the secret unless a credential row owns it.
    /// Returns how many secrets were deleted.
    pub fn recover(&self, before: Timestamp) -> Result<usize> {
        let mut deleted = 0;
        for (key, _owner) in self.db().journal_older_than(before)? {
            if !self.db().owns(&key)? {
                self.with_backend(|b| b.delete(&key))?;
                deleted += 1;
            }
            self.db().journal_remove(&key)?;
        }
        Ok(deleted)
    }

    /// Deletes credentials dead for `retention_days` or longer (see
    /// [`Credential::dead_since`]) and audit events at least that old, and
    /// finishes interrupted secret writes; then calls `each_deleted` with
    /// the name of every credential deleted, in byte order. With `dry_run`
    /// nothing changes and `each_deleted` hears what would go.
    ///
    /// Memory stays flat whatever the number of credentials: the chosen
    /// names wait in a temporary table on disk, the secrets are deleted in
    /// one streaming pass (the file store rewrites its file once), and the
    /// names are handed out a page at a time. The bound is inclusive so that
    /// `--retention-days 0` deletes everything dead now, a credential that
    /// died this very second too. Rows go first, in one
    /// transaction that journals their secrets, as [`Store::delete_credential`]
    /// does for one.
    pub fn prune(
        &self,
        at: Timestamp,
        retention_days: u32,
        dry_run: bool,
        mut each_deleted: impl FnMut(&str) -> Result<()>,
    ) -> Result<PruneReport> {
        let _one = self.inner.prune.lock().unwrap_or_else(|p| p.into_inner());
        let started = std::time::Instant::now();
        let cutoff = at - i64::from(retention_days) * 86_400;
        let db = self.db();
        // A store that can list its keys (the file) has its secrets swept
        // after the rows go: every token set left without a row and not
        // journaled (a login in progress) is deleted, in one pass, and
        // a crash in between leaves what the next sweep deletes, so the
        // rows need no journal entry each. The keyring cannot be listed:
        // each secret is journaled with its row and deleted by name.
        let sweep = self.backend().lists_keys();
        let (examined, deleted) = db.prune_select(
            move |l| l.dead_since(at).is_some_and(|since| since <= cutoff),
            dry_run,
            !sweep,
            keys::TOKENS_PREFIX,
            at,
        )?;
        tracing::debug!(
            examined,
            deleted,
            elapsed_ms = started.elapsed().as_millis() as u64,
            "prune: rows chosen and deleted"
        );
        let mut report = PruneReport {
            examined,
            deleted,
            events_deleted: 0,
            orphans_cleaned: 0,
            dry_run,
            retention_days,
            duration_ms: 0,
        };
        let result = (|| {
            if !dry_run {
                if sweep {
                    let mut keep = Owned::new(db)?;
                    self.with_backend(|b| {
                        keep.restart();
                        b.retain(&mut keep)
                    })?;
                } else if deleted > 0 {
                    let mut keys = PruneKeys { db, after: None };
                    self.with_backend(|b| {
                        keys.restart();
                        b.delete_sorted(&mut keys)
                    })?;
                    db.prune_set_settle(keys::TOKENS_PREFIX)?;
                }
                tracing::debug!(
                    elapsed_ms = started.elapsed().as_millis() as u64,
                    "prune: secrets deleted"
                );
                report.events_deleted = db.prune_events(cutoff)?;
                // Entries younger than this may belong to a login in progress.
                report.orphans_cleaned = self.recover(at - JOURNAL_GRACE_SECS)?;
                self.with_backend(|b| b.tidy())?;
                let detail = format!(
                    "examined {examined}, deleted {deleted}, events deleted {}",
                    report.events_deleted
                );
                db.record_transition(None, Transition::Pruned, Some(&detail), at)?;
            }
            report.duration_ms = started.elapsed().as_millis() as u64;
            let mut keys = PruneKeys { db, after: None };
            loop {
                let page = keys.next_names()?;
                if page.is_empty() {
                    return Ok(());
                }
                for name in &page {
                    each_deleted(name)?;
                }
            }
        })();
        // A set left behind is emptied by the next prune anyway.
        let _ = db.prune_set_clear();
        result.map(|()| report)
    }

    /// Caches a client registration (RFC 7591) with its secret, journaled
    /// like a login: journal, secret, then the row (which drops the journal
    /// entry in the same transaction), so a crash in between leaves a
    /// secret that [`Store::recover`] deletes rather than one nothing
    /// owns. A registration it replaces (same issuer and redirect URI,
    /// another client) has its secret deleted the same way.
    pub fn save_registration(&self, reg: &Registration, secret: Option<&Secret>) -> Result<()> {
        let at = now();
        let key = keys::client_secret(&reg.issuer, &reg.client_id);
        let replaced = self
            .db()
            .registration(&reg.issuer, &reg.redirect_uri)?
            .filter(|old| old.client_id != reg.client_id && old.has_secret)
            .map(|old| {
                (
                    keys::client_secret(&old.issuer, &old.client_id),
                    old.client_id,
                )
            });
        if let Some((old_key, old_client)) = &replaced {
            // Journaled before the row goes: owned until then, so recovery
            // keeps it if we die first.
            self.db().journal_add(old_key, old_client, at)?;
        }
        if let Some(secret) = secret {
            self.db().journal_add(&key, &reg.client_id, at)?;
            self.put_secret(&key, secret)?;
        }
        self.db().put_registration_journaled(reg, &key)?;
        if let Some((old_key, _)) = replaced {
            if !self.db().owns(&old_key)? {
                self.delete_secret(&old_key)?;
            }
            self.db().journal_remove(&old_key)?;
        }
        Ok(())
    }

    /// Forgets a cached registration: the row (journaled), then its secret.
    pub fn forget_registration(&self, reg: &Registration) -> Result<()> {
        let key = keys::client_secret(&reg.issuer, &reg.client_id);
        self.db().delete_registration_journaled(
            &reg.issuer,
            &reg.redirect_uri,
            &key,
            &reg.client_id,
            now(),
        )?;
        // Another cached registration may share the client (and so the key).
        if !self.db().owns(&key)? {
            self.delete_secret(&key)?;
        }
        self.db().journal_remove(&key)
    }

    /// Stores a static secret: journal, value, then metadata.
    pub fn save_user_secret(&self, meta: &SecretMeta, value: &Secret) -> Result<()> {
        let key = keys::user_secret(&meta.name);
        self.db().journal_add(&key, &meta.name, now())?;
        self.with_backend(|b| b.set(&key, value))?;
        self.db().upsert_secret_meta(meta, &key)
    }

    /// A static secret's value, unless it has expired.
    pub fn user_secret(&self, name: &str) -> Result<Secret> {
        let meta = self
            .db()
            .secret_meta(name)?
            .ok_or_else(|| Error::SecretNotFound(name.to_string()))?;
        if meta.expires_at.is_some_and(|t| t <= now()) {
            return Err(Error::Usage(format!(
                "the secret '{name}' has expired; store a new value with `mcp-auth secrets set {name}`"
            )));
        }
        let key = keys::user_secret(name);
        let value = self.with_backend(|b| b.get(&key))?.ok_or_else(|| {
            Error::SecretStore(format!(
                "the value of the secret '{name}' is missing from the secret store; set it again"
            ))
        })?;
        self.db().touch_secret(name, now())?;
        Ok(value)
    }

    /// Deletes a static secret: the row (journaled), then the value.
    pub fn delete_user_secret(&self, name: &str) -> Result<bool> {
        let key = keys::user_secret(name);
        let existed = self.db().delete_secret_meta(name, &key, now())?;
        self.with_backend(|b| b.delete(&key))?;
        self.db().journal_remove(&key)?;
        Ok(existed)
    }

    pub fn secret(&self, key: &str) -> Result<Option<Secret>> {
        self.with_backend(|b| b.get(key))
    }

    pub fn put_secret(&self, key: &str, value: &Secret) -> Result<()> {
        self.with_backend(|b| b.set(key, value))
    }

    pub fn delete_secret(&self, key: &str) -> Result<bool> {
        self.with_backend(|b| b.delete(key))
    }
}

/// What a sweep keeps: every secret but token sets whose credential has
/// no row and no journal entry. Asked in key order, it walks the names in
/// the database beside the file, a page at a time.
struct Owned<'a> {
    db: &'a Db,
    journaled: std::collections::HashSet<String>,
    page: Vec<String>,
    next: usize,
    done: bool,
}

impl<'a> Owned<'a> {
    fn new(db: &'a Db) -> Result<Owned<'a>> {
        Ok(Owned {
            db,
            journaled: db.journal_keys()?.into_iter().collect(),
            page: Vec::new(),
            next: 0,
            done: false,
        })
    }
}

impl Keep for Owned<'_> {
    fn keep(&mut self, key: &str) -> Result<bool> {
        let Some(name) = key.strip_prefix(keys::TOKENS_PREFIX) else {
            return Ok(true);
        };
        if self.journaled.contains(key) {
            return Ok(true);
        }
        loop {
            if let Some(live) = self.page.get(self.next) {
                match live.as_str().cmp(name) {
                    std::cmp::Ordering::Less => self.next += 1,
                    std::cmp::Ordering::Equal => return Ok(true),
                    std::cmp::Ordering::Greater => return Ok(false),
                }
            } else if self.done {
                return Ok(false);
            } else {
                let after = self.page.last().cloned();
                self.page = self.db.names_page(after.as_deref(), PRUNE_PAGE)?;
                self.next = 0;
                self.done = self.page.len() < PRUNE_PAGE;
                if self.page.is_empty() {
                    return Ok(false);
                }
            }
        }
    }

    fn restart(&mut self) {
        self.page.clear();
        self.next = 0;
        self.done = false;
    }
}

/// The prune set's names, a page at a time, as secret keys for the
/// backend or as names for the caller.
struct PruneKeys<'a> {
    db: &'a Db,
    after: Option<String>,
}

/// Names per page: large enough that paging costs nothing next to the
/// work per name, small enough to be no memory at all (small in unit
/// tests, so they cross pages cheaply).
const PRUNE_PAGE: usize = if cfg!(test) { 16 } else { 4096 };

impl PruneKeys<'_> {
    fn next_names(&mut self) -> Result<Vec<String>> {
        let page = self.db.prune_set_page(self.after.as_deref(), PRUNE_PAGE)?;
        if let Some(last) = page.last() {
            self.after = Some(last.clone());
        }
        Ok(page)
    }
}

impl SortedKeys for PruneKeys<'_> {
    fn next_batch(&mut self) -> Result<Vec<String>> {
        // Same order as the names: every key has the same prefix.
        Ok(self.next_names()?.iter().map(|n| keys::tokens(n)).collect())
    }

    fn restart(&mut self) {
        self.after = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::EventKind;

    fn store(dir: &std::path::Path) -> Store {
        let config = Config {
            secret_store: Some(SecretStoreKind::File),
            ..Config::default()
        };
        Store::open(&Paths::under(dir), &config, None).unwrap()
    }

    fn tokens(generation: i64) -> TokenSet {
        TokenSet {
            generation,
            access_token: Secret::new(format!("at-{generation}")),
            refresh_token: Some(Secret::new(format!("rt-{generation}"))),
            id_token: None,
            client_secret: None,
            access_expires_at: Some(1000),
            client_assertion_alg: None,
            token_params: Vec::new(),
            idp: None,
            dpop_key: None,
            assertion_file: None,
        }
    }

    #[test]
    fn login_then_delete_leaves_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let s = store(dir.path());
        let c = db::tests::sample("gh");
        s.save_login(&c, &tokens(1)).unwrap();
        assert_eq!(s.tokens("gh").unwrap().unwrap().generation, 1);
        assert!(s.db().journal_older_than(i64::MAX).unwrap().is_empty());
        assert!(s.delete_credential("gh").unwrap());
        assert!(s.tokens("gh").unwrap().is_none());
        assert!(s.db().get("gh").unwrap().is_none());
        assert!(s.db().journal_older_than(i64::MAX).unwrap().is_empty());
    }

    #[test]
    fn recover_cleans_a_secret_orphaned_by_a_crashed_login() {
        let dir = tempfile::tempdir().unwrap();
        let s = store(dir.path());
        // A login that died after writing the secret, before the row.
        s.db()
            .journal_add(&keys::tokens("ghost"), "ghost", 10)
            .unwrap();
        s.put_tokens("ghost", &tokens(1)).unwrap();
        // And a re-login of a live credential that died at the same point.
        let c = db::tests::sample("live");
        s.save_login(&c, &tokens(1)).unwrap();
        s.db()
            .journal_add(&keys::tokens("live"), "live", 10)
            .unwrap();
        s.put_tokens("live", &tokens(2)).unwrap();

        assert_eq!(s.recover(5).unwrap(), 0, "young entries are left alone");
        assert_eq!(s.recover(20).unwrap(), 1);
        assert!(s.tokens("ghost").unwrap().is_none());
        assert_eq!(s.tokens("live").unwrap().unwrap().generation, 2);
        assert!(s.db().journal_older_than(i64::MAX).unwrap().is_empty());
    }

    #[test]
    fn prune_keeps_what_died_recently_and_deletes_what_died_long_ago() {
        let dir = tempfile::tempdir().unwrap();
        let s = store(dir.path());
        let day = 86_400;
        let now = 1_000 * day;
        let dead_for = |name: &str, days: i64| {
            let mut c = db::tests::sample(name);
            c.has_refresh_token = false;
            c.access_expires_at = Some(now - days * day);
            c
        };
        for (name, days) in [("d45", 45), ("d20", 20)] {
            s.save_login(&dead_for(name, days), &tokens(1)).unwrap();
        }
        let mut alive = db::tests::sample("alive");
        alive.access_expires_at = Some(now - 400 * day); // refreshable
        s.save_login(&alive, &tokens(1)).unwrap();
        let mut refused = db::tests::sample("refused");
        refused.status = crate::model::Status::NeedsLogin;
        refused.status_changed_at = now - 31 * day;
        s.save_login(&refused, &tokens(1)).unwrap();
        s.db()
            .add_event(Some("x"), EventKind::Use, None, now - 40 * day)
            .unwrap();

        let prune = |dry_run| {
            let mut names = Vec::new();
            let r = s
                .prune(now, 30, dry_run, |n| {
                    names.push(n.to_string());
                    Ok(())
                })
                .unwrap();
            assert_eq!(r.deleted, names.len());
            (r, names)
        };
        let (_, dry) = prune(true);
        assert_eq!(dry, vec!["d45", "refused"]);
        assert_eq!(s.db().list().unwrap().len(), 4, "dry run changes nothing");
        assert!(s.tokens("d45").unwrap().is_some());

        let (r, deleted) = prune(false);
        assert_eq!(r.examined, 4);
        assert_eq!(deleted, vec!["d45", "refused"]);
        assert_eq!(r.events_deleted, 1);
        let left: Vec<_> = s.db().list().unwrap().into_iter().map(|c| c.name).collect();
        assert_eq!(left, vec!["alive", "d20"]);
        assert!(s.tokens("d45").unwrap().is_none());
        assert!(s.tokens("d20").unwrap().is_some());
        let prune_events = s.db().events(None, 10).unwrap();
        assert!(prune_events.iter().any(|e| e.kind == "prune"));

        // The 90-day default keeps a credential dead for 45 days.
        s.save_login(&dead_for("d45", 45), &tokens(1)).unwrap();
        assert_eq!(s.prune(now, 90, false, |_| Ok(())).unwrap().deleted, 0);
    }

    #[test]
    fn retention_zero_deletes_what_died_this_very_second() {
        let dir = tempfile::tempdir().unwrap();
        let s = store(dir.path());
        let now = 1_000_000;
        let mut expired = db::tests::sample("expired-now");
        expired.has_refresh_token = false;
        expired.access_expires_at = Some(now);
        s.save_login(&expired, &tokens(1)).unwrap();
        let mut refused = db::tests::sample("refused-now");
        refused.status = crate::model::Status::NeedsLogin;
        refused.status_changed_at = now;
        s.save_login(&refused, &tokens(1)).unwrap();
        let mut alive = db::tests::sample("alive");
        alive.access_expires_at = Some(now + 1);
        s.save_login(&alive, &tokens(1)).unwrap();
        s.db()
            .add_event(Some("alive"), EventKind::Use, Some("x"), now)
            .unwrap();

        let prune = |at, days| {
            let mut names = Vec::new();
            let r = s
                .prune(at, days, false, |n| {
                    names.push(n.to_string());
                    Ok(())
                })
                .unwrap();
            (r, names)
        };
        let (r, deleted) = prune(now, 0);
        assert_eq!(deleted, vec!["expired-now", "refused-now"]);
        assert_eq!(r.deleted, 2);
        assert_eq!(r.events_deleted, 1, "events of this second too");
        let left: Vec<_> = s.db().list().unwrap().into_iter().map(|c| c.name).collect();
        assert_eq!(left, vec!["alive"]);
        // One day of retention keeps what died a second short of a day ago.
        let mut day_old = db::tests::sample("day-old");
        day_old.has_refresh_token = false;
        day_old.access_expires_at = Some(now - 86_399);
        s.save_login(&day_old, &tokens(1)).unwrap();
        assert!(prune(now, 1).1.is_empty());
        assert_eq!(prune(now + 1, 1).1, vec!["day-old"]);
    }

    #[test]
    fn static_secrets_round_trip_expire_and_recover() {
        let dir = tempfile::tempdir().unwrap();
        let s = store(dir.path());
        let meta = |name: &str, expires_at| SecretMeta {
            name: name.into(),
            created_at: 1,
            updated_at: 1,
            expires_at,
            last_used_at: None,
            note: None,
        };
        s.save_user_secret(&meta("api", None), &Secret::new("k-1"))
            .unwrap();
        assert_eq!(s.user_secret("api").unwrap(), Secret::new("k-1"));
        assert!(
            s.db()
                .secret_meta("api")
                .unwrap()
                .unwrap()
                .last_used_at
                .is_some()
        );
        s.save_user_secret(&meta("old", Some(10)), &Secret::new("k-2"))
            .unwrap();
        assert!(
            s.user_secret("old")
                .unwrap_err()
                .to_string()
                .contains("expired")
        );
        assert!(s.user_secret("none").is_err());
        assert!(s.delete_user_secret("api").unwrap());
        assert!(s.secret(&keys::user_secret("api")).unwrap().is_none());
        // A crash after the value was stored, before its row: recovered.
        s.db()
            .journal_add(&keys::user_secret("ghost"), "ghost", 10)
            .unwrap();
        s.put_secret(&keys::user_secret("ghost"), &Secret::new("x"))
            .unwrap();
        assert_eq!(s.recover(20).unwrap(), 1);
        assert!(s.secret(&keys::user_secret("ghost")).unwrap().is_none());
        // The expired one still has a row: recover leaves it be.
        assert!(s.secret(&keys::user_secret("old")).unwrap().is_some());
    }

    fn registration(client_id: &str) -> Registration {
        Registration {
            issuer: "https://as".into(),
            redirect_uri: "http://127.0.0.1/callback".into(),
            client_id: client_id.into(),
            auth_method: crate::model::AuthMethod::ClientSecretPost,
            has_secret: true,
            client_secret_expires_at: None,
            registered_at: 1,
            worked_at: None,
        }
    }

    #[test]
    fn a_client_secret_orphaned_by_a_crash_during_registration_is_cleaned_by_recover() {
        // Regression: the secret was stored before its registration row
        // with no journal entry, so a crash between the two left a secret
        // that nothing owned and no prune could find.
        let dir = tempfile::tempdir().unwrap();
        let s = store(dir.path());
        let reg = registration("dyn-1");
        let key = keys::client_secret(&reg.issuer, &reg.client_id);
        // What save_registration does up to the crash:
        s.db().journal_add(&key, &reg.client_id, 10).unwrap();
        s.put_secret(&key, &Secret::new("sec-1")).unwrap();
        assert_eq!(s.recover(20).unwrap(), 1);
        assert!(s.secret(&key).unwrap().is_none());
        // And the whole of it leaves no journal entry behind.
        s.save_registration(&reg, Some(&Secret::new("sec-1")))
            .unwrap();
        assert!(s.db().journal_older_than(i64::MAX).unwrap().is_empty());
        assert_eq!(s.secret(&key).unwrap(), Some(Secret::new("sec-1")));
    }

    #[test]
    fn replacing_or_forgetting_a_registration_deletes_its_client_secret() {
        let dir = tempfile::tempdir().unwrap();
        let s = store(dir.path());
        let old = registration("dyn-1");
        let old_key = keys::client_secret(&old.issuer, &old.client_id);
        s.save_registration(&old, Some(&Secret::new("sec-1")))
            .unwrap();
        let new = registration("dyn-2");
        let new_key = keys::client_secret(&new.issuer, &new.client_id);
        s.save_registration(&new, Some(&Secret::new("sec-2")))
            .unwrap();
        assert!(
            s.secret(&old_key).unwrap().is_none(),
            "the replaced secret stayed"
        );
        assert_eq!(s.secret(&new_key).unwrap(), Some(Secret::new("sec-2")));
        s.forget_registration(&new).unwrap();
        assert!(s.secret(&new_key).unwrap().is_none());
        assert!(s.db().registrations("https://as").unwrap().is_empty());
        assert!(s.db().journal_older_than(i64::MAX).unwrap().is_empty());
    }

    /// The file store seen as a backend that cannot list its keys, as the
    /// keyring: prune takes the journaled path, deleting by name.
    struct Unlisted(FileBackend);

    impl SecretBackend for Unlisted {
        fn kind(&self) -> SecretStoreKind {
            SecretStoreKind::Keyring
        }
        fn describe(&self) -> String {
            "unlisted".into()
        }
        fn get(&self, key: &str) -> Result<Option<Secret>> {
            self.0.get(key)
        }
        fn set(&self, key: &str, value: &Secret) -> Result<()> {
            self.0.set(key, value)
        }
        fn delete(&self, key: &str) -> Result<bool> {
            self.0.delete(key)
        }
    }

    #[test]
    fn prune_of_a_store_that_cannot_be_listed_journals_and_deletes_by_name() {
        let dir = tempfile::tempdir().unwrap();
        let s = store(dir.path());
        *s.inner.backend.write().unwrap() = Arc::new(Unlisted(FileBackend::new(
            &Paths::under(dir.path()).secrets_file(),
        )));
        let now = 1_000 * 86_400;
        for (name, dead) in [("a", true), ("b", false), ("c", true)] {
            let mut c = db::tests::sample(name);
            if dead {
                c.has_refresh_token = false;
                c.access_expires_at = Some(now - 45 * 86_400);
            }
            s.save_login(&c, &tokens(1)).unwrap();
        }
        // Not swept: only a listing store can find it.
        s.put_tokens("orphan", &tokens(1)).unwrap();
        let mut names = Vec::new();
        s.prune(now, 30, false, |n| {
            names.push(n.to_string());
            Ok(())
        })
        .unwrap();
        assert_eq!(names, ["a", "c"]);
        assert!(s.tokens("a").unwrap().is_none());
        assert!(s.tokens("b").unwrap().is_some());
        assert!(s.tokens("c").unwrap().is_none());
        assert!(s.tokens("orphan").unwrap().is_some());
        assert!(s.db().journal_older_than(i64::MAX).unwrap().is_empty());
    }

    #[test]
    fn prune_sweeps_token_sets_without_a_row_but_not_a_login_in_progress() {
        let dir = tempfile::tempdir().unwrap();
        let s = store(dir.path());
        let now = 1_000 * 86_400;
        s.save_login(&db::tests::sample("live"), &tokens(1))
            .unwrap();
        // Left by a crash between a prune's rows and its secrets.
        s.put_tokens("orphan", &tokens(1)).unwrap();
        // A login in progress: journaled, secret written, no row yet.
        s.db()
            .journal_add(&keys::tokens("arriving"), "arriving", now)
            .unwrap();
        s.put_tokens("arriving", &tokens(1)).unwrap();
        s.put_secret(&keys::client_secret("https://as", "c1"), &Secret::new("cs"))
            .unwrap();
        s.prune(now, 30, false, |_| Ok(())).unwrap();
        assert!(s.tokens("live").unwrap().is_some());
        assert!(s.tokens("orphan").unwrap().is_none());
        assert!(s.tokens("arriving").unwrap().is_some());
        assert!(
            s.secret(&keys::client_secret("https://as", "c1"))
                .unwrap()
                .is_some(),
            "only token sets are swept"
        );
    }

    #[test]
    fn prune_of_many_deletes_exactly_the_dead_rows_and_secrets_in_pages() {
        // More than one page of names, interleaved with live credentials
        // and other secrets in the file, so the one-pass merge of the
        // secrets file meets every case.
        let dir = tempfile::tempdir().unwrap();
        let s = store(dir.path());
        let now = 1_000 * 86_400;
        let n = PRUNE_PAGE * 4 + 7;
        for i in 0..n {
            let mut c = db::tests::sample(&format!("c{i:05}"));
            if i % 3 != 0 {
                c.has_refresh_token = false;
                c.access_expires_at = Some(now - 45 * 86_400);
            }
            s.save_login(&c, &tokens(1)).unwrap();
        }
        s.save_user_secret(
            &SecretMeta {
                name: "api".into(),
                created_at: 1,
                updated_at: 1,
                expires_at: None,
                last_used_at: None,
                note: None,
            },
            &Secret::new("k"),
        )
        .unwrap();
        let mut names = Vec::new();
        let r = s
            .prune(now, 30, false, |n| {
                names.push(n.to_string());
                Ok(())
            })
            .unwrap();
        let expected: Vec<String> = (0..n)
            .filter(|i| i % 3 != 0)
            .map(|i| format!("c{i:05}"))
            .collect();
        assert_eq!(names, expected);
        assert_eq!(r.deleted, expected.len());
        assert_eq!(r.examined, n);
        for i in [0, 1, 2, 3, n - 2, n - 1] {
            let name = format!("c{i:05}");
            assert_eq!(s.tokens(&name).unwrap().is_some(), i % 3 == 0, "{name}");
            assert_eq!(s.db().get(&name).unwrap().is_some(), i % 3 == 0, "{name}");
        }
        assert_eq!(s.user_secret("api").unwrap(), Secret::new("k"));
        assert!(s.db().journal_older_than(i64::MAX).unwrap().is_empty());
        // Again: nothing left to delete, and the set from before is gone.
        let again = s.prune(now, 30, false, |_| Ok(())).unwrap();
        assert_eq!((again.examined, again.deleted), (n - expected.len(), 0));
    }
}
