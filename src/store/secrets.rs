//! Where secret values live: the OS keyring, or an explicitly chosen file.
//!
//! The keyring is reached through the `keyring` crate (Secret Service on
//! Linux, Keychain on macOS, Credential Manager on Windows). Every call runs
//! on its own thread with a deadline, because a locked keyring can sit on an
//! unlock prompt forever. The file store is a 0600 JSON file in the 0700 data
//! directory, replaced atomically under a cross-process lock.

use std::collections::BTreeMap;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::Duration;

use crate::config::SecretStoreKind;
use crate::error::{Error, Result};
use crate::model::Secret;
use crate::store::secrets_file::{self, Aborted, Edit, Edits, Flow, Reader, Rewritten};

/// A place that holds secret strings by key.
pub trait SecretBackend: Send + Sync {
    fn kind(&self) -> SecretStoreKind;
    /// Where the secrets are, for `doctor` and error messages.
    fn describe(&self) -> String;
    fn get(&self, key: &str) -> Result<Option<Secret>>;
    fn set(&self, key: &str, value: &Secret) -> Result<()>;
    /// Deletes `key`; returns whether there was anything to delete.
    fn delete(&self, key: &str) -> Result<bool>;
    /// Checks that secrets can be written now, before a person spends time
    /// on a login whose result could not be stored.
    fn probe(&self) -> Result<()> {
        Ok(())
    }
    /// Checks that a stored secret could be replaced now, cheaply (no
    /// read of every secret): run before a refresh.
    fn probe_replace(&self) -> Result<()> {
        Ok(())
    }
    /// Removes what a writer killed midway left behind (prune calls this).
    fn tidy(&self) -> Result<()> {
        Ok(())
    }
    /// Whether [`SecretBackend::retain`] works: the backend can list its
    /// keys (the file store can, the keyring cannot).
    fn lists_keys(&self) -> bool {
        false
    }

    /// Deletes every key `keep` does not keep, asking about each key it
    /// holds; how many went. `None` from a backend that cannot list its
    /// keys.
    fn retain(&self, keep: &mut dyn Keep) -> Result<Option<usize>> {
        let _ = keep;
        Ok(None)
    }

    /// Deletes every key `keys` yields. Backends that can do it in one
    /// pass override this (the file store rewrites its file once).
    fn delete_sorted(&self, keys: &mut dyn SortedKeys) -> Result<()> {
        loop {
            let batch = keys.next_batch()?;
            if batch.is_empty() {
                return Ok(());
            }
            for key in batch {
                self.delete(&key)?;
            }
        }
    }
}

/// Which keys a [`SecretBackend::retain`] keeps, asked in ascending key
/// order; `restart` precedes a second pass.
pub trait Keep {
    fn keep(&mut self, key: &str) -> Result<bool>;
    fn restart(&mut self);
}

/// Keys in strictly ascending byte order (SQLite's `BINARY` collation and
/// Rust's `str` order agree on it), pulled a batch at a time so that a
/// million of them are never held at once; `restart` goes back to the
/// first.
pub trait SortedKeys {
    /// The next keys; empty when there are no more.
    fn next_batch(&mut self) -> Result<Vec<String>>;
    fn restart(&mut self);
}

/// Why the keyring cannot be used, in words a user can act on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unavailable(pub String);

// ---- keyring ---------------------------------------------------------------

pub struct KeyringBackend {
    service: String,
    timeout: Duration,
}

impl KeyringBackend {
    pub fn new(service: impl Into<String>, timeout: Duration) -> KeyringBackend {
        KeyringBackend {
            service: service.into(),
            timeout,
        }
    }

    /// Runs one keyring operation on a helper thread, with the deadline.
    fn call<T: Send + 'static>(
        &self,
        key: &str,
        op: impl FnOnce(keyring::Entry) -> keyring::Result<T> + Send + 'static,
    ) -> std::result::Result<keyring::Result<T>, Unavailable> {
        let (tx, rx) = mpsc::channel();
        let (service, user) = (self.service.clone(), key.to_string());
        let spawned = std::thread::Builder::new()
            .name("keyring".into())
            .spawn(move || {
                let result = keyring::Entry::new(&service, &user).and_then(op);
                let _ = tx.send(result);
            });
        if let Err(e) = spawned {
            return Err(Unavailable(format!("cannot start a keyring thread: {e}")));
        }
        match rx.recv_timeout(self.timeout) {
            Ok(result) => Ok(result),
            Err(_) => Err(Unavailable(format!(
                "the keyring did not answer within {}s (it may be waiting for an unlock prompt \
                 that cannot be shown)",
                self.timeout.as_secs()
            ))),
        }
    }
}

/// Translates a keyring failure into its cause: no session bus, a locked
/// keyring, no keyring service at all.
pub fn explain(err: &keyring::Error) -> Unavailable {
    let detail = match err {
        keyring::Error::NoDefaultStore => match keyring::Entry::store_status() {
            Err(cause) => return explain_platform(cause),
            Ok(()) => "no keyring store is available".to_string(),
        },
        other => return explain_platform(other),
    };
    Unavailable(detail)
}

fn explain_platform(err: &keyring::Error) -> Unavailable {
    let text = err.to_string();
    let reason = match err {
        keyring::Error::NoStorageAccess(_) => format!(
            "the keyring is locked or refused access ({text}); unlock it (log in to the desktop \
             session, or run `gnome-keyring-daemon --unlock`) and try again"
        ),
        keyring::Error::PlatformFailure(_) if cfg!(target_os = "linux") && no_session_bus() => {
            "no D-Bus session bus (DBUS_SESSION_BUS_ADDRESS is not set), so the Secret Service \
             keyring cannot be reached"
                .to_string()
        }
        keyring::Error::PlatformFailure(_) => {
            format!("the keyring service cannot be reached ({text})")
        }
        _ => format!("the keyring failed ({text})"),
    };
    Unavailable(reason)
}

fn no_session_bus() -> bool {
    std::env::var_os("DBUS_SESSION_BUS_ADDRESS").is_none_or(|v| v.is_empty())
        && std::env::var_os("XDG_RUNTIME_DIR")
            .map(|d| !Path::new(&d).join("bus").exists())
            .unwrap_or(true)
}

impl KeyringBackend {
    fn unavailable(&self, u: Unavailable) -> Error {
        Error::SecretStore(u.0)
    }
}

impl SecretBackend for KeyringBackend {
    fn kind(&self) -> SecretStoreKind {
        SecretStoreKind::Keyring
    }

    fn describe(&self) -> String {
        let system = if cfg!(target_os = "macos") {
            "macOS Keychain"
        } else if cfg!(windows) {
            "Windows Credential Manager"
        } else {
            "Secret Service keyring"
        };
        format!("{system} (service \"{}\")", self.service)
    }

    fn get(&self, key: &str) -> Result<Option<Secret>> {
        match self
            .call(key, |e| e.get_password())
            .map_err(|u| self.unavailable(u))?
        {
            Ok(v) => Ok(Some(Secret::new(v))),
            Err(keyring::Error::NoEntry) => Ok(None),
            Err(e) => Err(self.unavailable(explain(&e))),
        }
    }

    fn set(&self, key: &str, value: &Secret) -> Result<()> {
        let value = value.expose().to_string();
        self.call(key, move |e| e.set_password(&value))
            .map_err(|u| self.unavailable(u))?
            .map_err(|e| self.unavailable(explain(&e)))
    }

    fn probe(&self) -> Result<()> {
        // A write is what needs an unlocked keyring; reads may not.
        let key = "probe";
        self.set(
            key,
            &Secret::new("mcp-auth checks that the keyring is writable"),
        )?;
        self.delete(key).map(|_| ())
    }

    fn delete(&self, key: &str) -> Result<bool> {
        match self
            .call(key, |e| e.delete_credential())
            .map_err(|u| self.unavailable(u))?
        {
            Ok(()) => Ok(true),
            Err(keyring::Error::NoEntry) => Ok(false),
            Err(e) => Err(self.unavailable(explain(&e))),
        }
    }
}

// ---- file ------------------------------------------------------------------

/// The plaintext file store. Only used when `secret_store = "file"`.
pub struct FileBackend {
    path: PathBuf,
    lock_path: PathBuf,
}

impl FileBackend {
    pub fn new(path: &Path) -> FileBackend {
        let mut lock = path.as_os_str().to_owned();
        lock.push(".lock");
        FileBackend {
            path: path.to_path_buf(),
            lock_path: PathBuf::from(lock),
        }
    }

    /// The file store failed: a secret-store error (exit code 8), like a
    /// keyring that cannot be used, with the OS's reason.
    fn failed(&self, what: &str, path: &Path, e: std::io::Error) -> Error {
        Error::SecretStore(format!(
            "the secrets file store cannot {what} {}: {e}",
            path.display()
        ))
    }

    fn lock(&self, exclusive: bool) -> Result<File> {
        if let Some(dir) = self.path.parent() {
            crate::paths::ensure_private_dir(dir)?;
        }
        let mut opts = std::fs::OpenOptions::new();
        opts.read(true).write(true).create(true).truncate(false);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            opts.mode(0o600);
        }
        let file = opts
            .open(&self.lock_path)
            .map_err(|e| self.failed("open", &self.lock_path, e))?;
        let locked = if exclusive {
            file.lock()
        } else {
            file.lock_shared()
        };
        locked.map_err(|e| self.failed("lock", &self.lock_path, e))?;
        Ok(file)
    }

    fn damaged(&self, e: &serde_json::Error) -> Error {
        Error::SecretStore(format!(
            "the secrets file {} is damaged ({}); restore it from a backup or move it \
             aside and log in again",
            self.path.display(),
            crate::error::json_problem(e)
        ))
    }

    fn aborted(&self, aborted: Aborted) -> Error {
        match aborted {
            Aborted::Damaged(e) => self.damaged(&e),
            Aborted::Io(e) => self.failed("read", &self.path, e),
            Aborted::Unsorted => Error::Other(format!(
                "the secrets file {} is not in key order",
                self.path.display()
            )),
            Aborted::EditsUnsorted => {
                Error::Other("secret store edits were not given in key order".into())
            }
            // Only the fast reader says this, and it is then read again.
            Aborted::Unrecognized => Error::SecretStore(format!(
                "the secrets file {} cannot be read",
                self.path.display()
            )),
        }
    }

    /// The file to read, or an empty one when there is none yet.
    fn open(&self) -> Result<Box<dyn std::io::Read>> {
        match File::open(&self.path) {
            Ok(f) => Ok(Box::new(f)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Box::new(std::io::empty())),
            Err(e) => Err(self.failed("read", &self.path, e)),
        }
    }

    /// Streams the entries (under the caller's lock) until `each` stops.
    /// An entry may be seen twice: when the fast reader gives up on the
    /// file, the pass starts again with the other one.
    fn scan(&self, each: &mut dyn FnMut(String, Secret) -> Flow) -> Result<()> {
        let mut pass = |reader| -> Result<std::result::Result<(), Aborted>> {
            Ok(secrets_file::scan(self.open()?, reader, &mut |k, v| {
                Ok(each(k, v))
            }))
        };
        let mut r = pass(Reader::Fast)?;
        if matches!(r, Err(Aborted::Unrecognized)) {
            r = pass(Reader::Serde)?;
        }
        r.map_err(|s| self.aborted(s))
    }

    /// Replaces the file with itself plus `edits`, in one streaming pass,
    /// under the exclusive lock. A file out of key order (edited by hand)
    /// is sorted in memory once instead.
    fn rewrite(&self, edits: &mut dyn Edits) -> Result<Rewritten> {
        let _lock = self.lock(true)?;
        self.remove_stale_copies();
        let mut r = self.rewrite_with(Reader::Fast, edits)?;
        if matches!(r, Err(Aborted::Unrecognized)) {
            edits
                .restart()
                .map_err(|e| self.failed("read", &self.path, e))?;
            r = self.rewrite_with(Reader::Serde, edits)?;
        }
        match r {
            Ok(r) => Ok(r),
            Err(Aborted::Unsorted) => self.rewrite_unsorted(edits),
            Err(aborted) => Err(self.aborted(aborted)),
        }
    }

    /// One pass: `Err` when the file could not be written, `Ok(Err)` when
    /// the pass stopped (the copy is abandoned) for the caller to sort out.
    fn rewrite_with(
        &self,
        reader: Reader,
        edits: &mut dyn Edits,
    ) -> Result<std::result::Result<Rewritten, Aborted>> {
        self.write_pass(&mut |old, w| secrets_file::rewrite(old, reader, w, edits))
    }

    /// Writes a new file with `pass` (old file in, new file out) and
    /// renames it over the old one, unless the pass stops.
    fn write_pass(&self, pass: &mut Pass<'_>) -> Result<std::result::Result<Rewritten, Aborted>> {
        let mut outcome = None;
        let written = crate::paths::write_private_file_with(&self.path, |w| {
            let old = self
                .open()
                .map_err(|e| std::io::Error::other(e.to_string()))?;
            let r = pass(old, w);
            let failed = r.is_err();
            outcome = Some(r);
            if failed {
                // Abandon the copy; the reason is in `outcome`.
                return Err(std::io::Error::other("rewrite stopped"));
            }
            Ok(())
        });
        match (outcome, written) {
            (Some(Ok(r)), Ok(())) => Ok(Ok(r)),
            (Some(Err(stop)), _) => Ok(Err(stop)),
            (_, Err(Error::Io { source, .. })) => Err(self.failed("write", &self.path, source)),
            (_, Err(e)) => Err(e),
            (None, Ok(())) => Err(Error::Other("the secrets file was not rewritten".into())),
        }
    }

    /// [`SecretBackend::retain`]: one pass, with the fallbacks of
    /// [`FileBackend::rewrite`].
    fn retain_keys(&self, keep: &mut dyn Keep) -> Result<usize> {
        let _lock = self.lock(true)?;
        self.remove_stale_copies();
        let mut failure = None;
        let mut run = |reader: Reader, keep: &mut dyn Keep| {
            self.write_pass(&mut |old, w| {
                secrets_file::retain(old, reader, w, &mut |k| {
                    keep.keep(k).map_err(|e| {
                        failure = Some(e);
                        std::io::Error::other("the keys to keep cannot be read")
                    })
                })
            })
        };
        let mut r = run(Reader::Fast, keep)?;
        if matches!(r, Err(Aborted::Unrecognized)) {
            keep.restart();
            r = run(Reader::Serde, keep)?;
        }
        if let Some(e) = failure {
            return Err(e);
        }
        match r {
            Ok(r) => Ok(r.deleted),
            Err(Aborted::Unsorted) => {
                // Out of order (edited by hand): sorted in memory once.
                let mut entries = BTreeMap::new();
                self.scan(&mut |k, v| {
                    entries.insert(k, v);
                    Flow::Continue
                })?;
                keep.restart();
                let before = entries.len();
                let mut kept = BTreeMap::new();
                for (k, v) in entries {
                    if keep.keep(&k)? {
                        kept.insert(k, v);
                    }
                }
                self.write_sorted(&kept)?;
                Ok(before - kept.len())
            }
            Err(aborted) => Err(self.aborted(aborted)),
        }
    }

    fn write_sorted(&self, entries: &BTreeMap<String, Secret>) -> Result<()> {
        crate::paths::write_private_file_with(&self.path, |w| {
            let mut out = secrets_file::Writer::begin(w)?;
            for (k, v) in entries {
                out.entry(k, v)?;
            }
            out.finish().map(|_| ())
        })
        .map_err(|e| match e {
            Error::Io { source, .. } => self.failed("write", &self.path, source),
            other => other,
        })
    }

    /// The fallback for a file whose keys are out of order: read whole,
    /// edit, written back sorted (the caller holds the lock).
    fn rewrite_unsorted(&self, edits: &mut dyn Edits) -> Result<Rewritten> {
        let mut entries = BTreeMap::new();
        self.scan(&mut |k, v| {
            entries.insert(k, v);
            Flow::Continue
        })?;
        edits
            .restart()
            .map_err(|e| self.failed("read", &self.path, e))?;
        let mut deleted = 0;
        while let Some((key, edit)) = edits
            .next()
            .map_err(|e| self.failed("read", &self.path, e))?
        {
            match edit {
                Edit::Put(v) => {
                    entries.insert(key, v);
                }
                Edit::Delete => deleted += usize::from(entries.remove(&key).is_some()),
            }
        }
        self.write_sorted(&entries)?;
        Ok(Rewritten {
            entries: entries.len(),
            deleted,
        })
    }

    /// Deletes copies of the secrets file that a writer killed between
    /// writing its temporary copy and renaming it left behind: plaintext
    /// secrets (some maybe revoked since) that nothing would ever remove.
    /// Every writer holds the exclusive lock while its copy exists, and so
    /// does the caller, so any copy found now is stale.
    fn remove_stale_copies(&self) {
        let (Some(dir), Some(name)) = (self.path.parent(), self.path.file_name()) else {
            return;
        };
        let prefix = format!(".{}.tmp-", name.to_string_lossy());
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for entry in entries.flatten() {
            if entry.file_name().to_string_lossy().starts_with(&prefix) {
                let _ = std::fs::remove_file(entry.path());
            }
        }
    }
}

impl SecretBackend for FileBackend {
    fn kind(&self) -> SecretStoreKind {
        SecretStoreKind::File
    }

    fn describe(&self) -> String {
        format!("plaintext file {}", self.path.display())
    }

    /// The file can be locked and read (a damaged file fails here, before
    /// a login, not after it), and replaced (see `probe_replace`).
    fn probe(&self) -> Result<()> {
        {
            let _lock = self.lock(false)?;
            self.scan(&mut |_, _| Flow::Continue)?;
        }
        self.probe_replace()
    }

    /// The directory takes a new file (the copy that is renamed over the
    /// old one) and the file itself may be written (not read-only, not
    /// immutable).
    fn probe_replace(&self) -> Result<()> {
        let _lock = self.lock(true)?;
        if self.path.exists() {
            std::fs::OpenOptions::new()
                .write(true)
                .open(&self.path)
                .map_err(|e| self.failed("write", &self.path, e))?;
        }
        if let Some(dir) = self.path.parent() {
            // Named like a temporary copy, so a probe cut short by a crash
            // is removed with them (it is empty anyway).
            let name = self.path.file_name().unwrap_or_default().to_string_lossy();
            let probe = dir.join(format!(".{name}.tmp-probe-{}", std::process::id()));
            let made = std::fs::OpenOptions::new()
                .write(true)
                .create(true)
                .truncate(true)
                .open(&probe);
            let _ = std::fs::remove_file(&probe);
            made.map_err(|e| self.failed("write a new file in", dir, e))?;
        }
        Ok(())
    }

    fn tidy(&self) -> Result<()> {
        let _lock = self.lock(true)?;
        self.remove_stale_copies();
        Ok(())
    }

    fn get(&self, key: &str) -> Result<Option<Secret>> {
        let _lock = self.lock(false)?;
        let mut found = None;
        self.scan(&mut |k, v| {
            if k == key {
                found = Some(v);
                Flow::Stop
            } else {
                Flow::Continue
            }
        })?;
        Ok(found)
    }

    fn set(&self, key: &str, value: &Secret) -> Result<()> {
        self.rewrite(&mut One(
            Some((key.to_string(), Edit::Put(value.clone()))),
            None,
        ))
        .map(|_| ())
    }

    fn delete(&self, key: &str) -> Result<bool> {
        // Most deletions find nothing (a credential's other secrets):
        // read, and rewrite only when there is something to drop.
        if self.get(key)?.is_none() {
            return Ok(false);
        }
        let r = self.rewrite(&mut One(Some((key.to_string(), Edit::Delete)), None))?;
        Ok(r.deleted > 0)
    }

    fn lists_keys(&self) -> bool {
        true
    }

    fn retain(&self, keep: &mut dyn Keep) -> Result<Option<usize>> {
        self.retain_keys(keep).map(Some)
    }

    fn delete_sorted(&self, keys: &mut dyn SortedKeys) -> Result<()> {
        let mut edits = Deletions {
            keys,
            batch: Vec::new().into_iter(),
            failure: None,
        };
        let r = self.rewrite(&mut edits);
        match edits.failure {
            Some(e) => Err(e),
            None => r.map(|_| ()),
        }
    }
}

/// One pass over the secrets file: the old file in, the new one out.
type Pass<'a> = dyn FnMut(
        Box<dyn std::io::Read>,
        &mut dyn std::io::Write,
    ) -> std::result::Result<Rewritten, Aborted>
    + 'a;

/// A single edit, for `set` and `delete`; the second field keeps it for a
/// restart.
struct One(Option<(String, Edit)>, Option<(String, Edit)>);

impl Edits for One {
    fn next(&mut self) -> std::io::Result<Option<(String, Edit)>> {
        let item = self.0.take();
        if let Some((k, e)) = &item {
            let copy = match e {
                Edit::Put(v) => Edit::Put(v.clone()),
                Edit::Delete => Edit::Delete,
            };
            self.1 = Some((k.clone(), copy));
        }
        Ok(item)
    }

    fn restart(&mut self) -> std::io::Result<()> {
        if self.0.is_none() {
            self.0 = self.1.take();
        }
        Ok(())
    }
}

/// Deletions pulled from [`SortedKeys`] a batch at a time; a failure of the
/// source (the database) is kept whole for the caller.
struct Deletions<'a> {
    keys: &'a mut dyn SortedKeys,
    batch: std::vec::IntoIter<String>,
    failure: Option<Error>,
}

impl Edits for Deletions<'_> {
    fn next(&mut self) -> std::io::Result<Option<(String, Edit)>> {
        if let Some(k) = self.batch.next() {
            return Ok(Some((k, Edit::Delete)));
        }
        match self.keys.next_batch() {
            Ok(batch) => {
                self.batch = batch.into_iter();
                Ok(self.batch.next().map(|k| (k, Edit::Delete)))
            }
            Err(e) => {
                self.failure = Some(e);
                Err(std::io::Error::other("the keys to delete cannot be read"))
            }
        }
    }

    fn restart(&mut self) -> std::io::Result<()> {
        self.keys.restart();
        self.batch = Vec::new().into_iter();
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_store_round_trips_and_is_private() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("data/secrets.json");
        let store = FileBackend::new(&path);
        assert_eq!(store.get("a").unwrap(), None);
        store.set("a", &Secret::new("one")).unwrap();
        store.set("b", &Secret::new("two")).unwrap();
        assert_eq!(store.get("a").unwrap(), Some(Secret::new("one")));
        assert!(store.delete("a").unwrap());
        assert!(!store.delete("a").unwrap());
        assert_eq!(store.get("b").unwrap(), Some(Secret::new("two")));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600);
            let dmode = std::fs::metadata(path.parent().unwrap())
                .unwrap()
                .permissions()
                .mode()
                & 0o777;
            assert_eq!(dmode, 0o700);
        }
    }

    #[test]
    fn damaged_file_is_an_error_that_quotes_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("secrets.json");
        std::fs::write(&path, br#"{"entries": {"a": "tok-SECRET"#).unwrap();
        let err = FileBackend::new(&path).get("a").unwrap_err();
        let text = err.to_string();
        assert!(text.contains("damaged"), "{text}");
        assert!(!text.contains("SECRET"), "{text}");
    }

    #[test]
    fn stale_copies_left_by_a_killed_writer_are_removed_on_the_next_write() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("secrets.json");
        let store = FileBackend::new(&path);
        store.set("a", &Secret::new("one")).unwrap();
        // A writer killed between writing its copy and renaming it.
        let stale = dir.path().join(".secrets.json.tmp-4242");
        std::fs::write(&stale, br#"{"entries": {"old": "revoked-SECRET"}}"#).unwrap();
        let other = dir.path().join("unrelated.tmp-1");
        std::fs::write(&other, b"x").unwrap();
        store.set("b", &Secret::new("two")).unwrap();
        assert!(!stale.exists(), "the stale copy was left");
        assert!(other.exists(), "an unrelated file was removed");
        assert_eq!(store.get("a").unwrap(), Some(Secret::new("one")));
    }

    #[test]
    fn io_failures_are_secret_store_errors() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("secrets.json");
        std::fs::create_dir(&path).unwrap();
        let err = FileBackend::new(&path).get("a").unwrap_err();
        assert_eq!(err.exit_code(), crate::error::exit::SECRET_STORE, "{err}");
        assert!(err.to_string().contains("cannot read"), "{err}");
    }

    #[test]
    fn concurrent_writers_lose_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("secrets.json");
        std::thread::scope(|s| {
            for t in 0..4 {
                let path = path.clone();
                s.spawn(move || {
                    let store = FileBackend::new(&path);
                    for i in 0..25 {
                        store
                            .set(&format!("k{t}-{i}"), &Secret::new(format!("{t}{i}")))
                            .unwrap();
                    }
                });
            }
        });
        let store = FileBackend::new(&path);
        for t in 0..4 {
            for i in 0..25 {
                assert!(store.get(&format!("k{t}-{i}")).unwrap().is_some());
            }
        }
    }
}
