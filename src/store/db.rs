//! The SQLite metadata database: credentials, client registrations and the
//! audit log. It holds no secret.
//!
//! WAL mode with `synchronous=NORMAL` and a 5 s busy timeout lets the CLI,
//! the daemon and any number of bridges share the file. Schema changes are
//! numbered migrations applied under `BEGIN IMMEDIATE`, so several processes
//! opening a new database at once apply each migration exactly once.
//!
//! One file per table family, each an `impl Db` block: [`credentials`]
//! (and the prune set chosen from them, `prune`), `credential_servers`,
//! `events` (the audit log), `registrations`, `secret_meta` (static
//! secrets), `journal` (secrets awaiting deletion), `origins` (the allowed
//! origins column of credentials and secrets) and `migrations`. Every
//! statement runs through [`Db::autocommit`], [`Db::write`] or [`Db::transaction`],
//! which map a SQLite error to [`Error::Database`] in one place.

mod credential_servers;
mod credentials;
mod events;
mod journal;
mod migrations;
mod origins;
mod prune;
mod registrations;
mod secret_meta;
#[cfg(test)]
pub(crate) mod tests;

use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use rusqlite::{Connection, Row, Transaction, TransactionBehavior};

use crate::error::{Error, Result, describe_sqlite};

pub use credentials::RefreshUpdate;
pub use events::{EventFilter, EventLog};
pub use migrations::SCHEMA_VERSION;
pub use origins::Holder;
pub use registrations::Registration;
pub use secret_meta::SecretMeta;

const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

pub struct Db {
    conn: Mutex<Connection>,
    path: PathBuf,
}

/// Why a statement failed: SQLite said so, or the code running it decided
/// (a check inside a transaction). Only [`Db::lift`] turns it into an
/// [`Error`], so SQLite's errors are described one way everywhere.
enum Fail {
    Sql(rusqlite::Error),
    Stop(Error),
}

impl From<rusqlite::Error> for Fail {
    fn from(e: rusqlite::Error) -> Fail {
        Fail::Sql(e)
    }
}

impl From<Error> for Fail {
    fn from(e: Error) -> Fail {
        Fail::Stop(e)
    }
}

type Sql<T> = std::result::Result<T, Fail>;

impl Db {
    pub fn open(path: &Path) -> Result<Db> {
        let conn = Connection::open(path).map_err(|e| db_error(path, &e))?;
        let db = Db {
            conn: Mutex::new(conn),
            path: path.to_path_buf(),
        };
        db.configure()?;
        db.migrate()?;
        Ok(db)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    fn conn(&self) -> MutexGuard<'_, Connection> {
        // A panic while holding the lock cannot leave the connection in a
        // state worse than SQLite's own rollback, so a poisoned lock is used.
        self.conn.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The one mapping of a failure to the crate's error.
    fn lift<T>(&self, r: Sql<T>) -> Result<T> {
        r.map_err(|f| match f {
            Fail::Sql(e) => db_error(&self.path, &e),
            Fail::Stop(e) => e,
        })
    }

    /// Runs `f` on the connection outside any explicit transaction: each
    /// statement is its own transaction (SQLite's autocommit), which is
    /// right for a read or a single write.
    fn autocommit<T>(&self, f: impl FnOnce(&Connection) -> Sql<T>) -> Result<T> {
        self.lift(f(&self.conn()))
    }

    /// Runs `f` in an IMMEDIATE transaction (the write lock taken at once,
    /// so it never fails halfway to upgrade) and commits; an error rolls
    /// every statement of `f` back.
    fn write<T>(&self, f: impl FnOnce(&Transaction<'_>) -> Sql<T>) -> Result<T> {
        self.transaction(TransactionBehavior::Immediate, f)
    }

    /// [`Db::write`] with the transaction's behaviour chosen by the caller
    /// (DEFERRED for a read of one snapshot).
    fn transaction<T>(
        &self,
        behavior: TransactionBehavior,
        f: impl FnOnce(&Transaction<'_>) -> Sql<T>,
    ) -> Result<T> {
        let mut conn = self.conn();
        self.transaction_on(&mut conn, behavior, f)
    }

    /// [`Db::transaction`] on a connection whose lock the caller holds
    /// already (to prepare something on it first).
    fn transaction_on<T>(
        &self,
        conn: &mut Connection,
        behavior: TransactionBehavior,
        f: impl FnOnce(&Transaction<'_>) -> Sql<T>,
    ) -> Result<T> {
        self.lift((|| {
            let tx = conn.transaction_with_behavior(behavior)?;
            let out = f(&tx)?;
            tx.commit()?;
            Ok(out)
        })())
    }

    fn configure(&self) -> Result<()> {
        self.autocommit(|conn| {
            conn.busy_timeout(BUSY_TIMEOUT)?;
            // journal_mode answers with a row; read it rather than execute.
            // Switching a new database to WAL needs a moment alone with it
            // and SQLite answers "busy" at once, without the busy timeout,
            // when another process opens it at the same instant (several
            // first commands of a fresh install): retry within the same
            // timeout.
            let deadline = std::time::Instant::now() + BUSY_TIMEOUT;
            let mode: String = loop {
                match conn.query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0)) {
                    Err(rusqlite::Error::SqliteFailure(e, _))
                        if e.code == rusqlite::ErrorCode::DatabaseBusy
                            && std::time::Instant::now() < deadline =>
                    {
                        std::thread::sleep(Duration::from_millis(10));
                    }
                    other => break other?,
                }
            };
            if !mode.eq_ignore_ascii_case("wal") {
                tracing::warn!(mode, "database is not in WAL mode");
            }
            conn.execute_batch("PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON;")?;
            Ok(())
        })
    }

    pub fn schema_version(&self) -> Result<i64> {
        self.autocommit(|c| Ok(c.query_row("PRAGMA user_version", [], |r| r.get(0))?))
    }

    /// A number that changes whenever another connection (another process)
    /// commits to the database: the daemon's cheap "did the CLI change
    /// anything?" check. Its own writes do not change it.
    pub fn data_version(&self) -> Result<i64> {
        self.autocommit(|c| Ok(c.query_row("PRAGMA data_version", [], |r| r.get(0))?))
    }

    /// Fails now, rather than halfway through a refresh or after a login,
    /// when a write would fail: a read-only file or file system, or another
    /// process holding the write lock for longer than the busy timeout.
    pub fn check_writable(&self) -> Result<()> {
        self.autocommit(|conn| {
            // SQLite opens a file it may not write read-only without a word,
            // and in WAL mode even takes the write lock on it; only the
            // first page written fails. Ask it instead.
            if conn.is_readonly(rusqlite::MAIN_DB)? {
                let e = rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_READONLY);
                return Err(rusqlite::Error::SqliteFailure(e, None).into());
            }
            conn.execute_batch("BEGIN IMMEDIATE; ROLLBACK;")?;
            Ok(())
        })
    }

    /// `PRAGMA integrity_check`: "ok" or the list of problems.
    pub fn integrity_check(&self) -> Result<String> {
        self.autocommit(|c| Ok(c.query_row("PRAGMA integrity_check", [], |r| r.get(0))?))
    }

    /// Direct access for tests and maintenance code in this crate.
    #[cfg(test)]
    pub(crate) fn with_conn<T>(&self, f: impl FnOnce(&Connection) -> T) -> T {
        f(&self.conn())
    }
}

/// Every row of `rows`, or the first error.
fn collect<T>(rows: impl Iterator<Item = rusqlite::Result<T>>) -> Sql<Vec<T>> {
    Ok(rows.collect::<rusqlite::Result<Vec<T>>>()?)
}

fn db_error(path: &Path, e: &rusqlite::Error) -> Error {
    let text = storage_cause(path, e).unwrap_or_else(|| describe_sqlite(e));
    Error::Database(format!("{}: {text}", path.display()))
}

/// Below this much free space a failed write is taken to be a full disk.
const NEARLY_FULL: u64 = 64 * 1024;

/// What really went wrong when SQLite reports a vague I/O, open or
/// read-only failure: a full disk shows up as "disk I/O error" (the shared
/// memory file cannot grow) and a read-only directory as "unable to open",
/// so look at the file system.
fn storage_cause(path: &Path, e: &rusqlite::Error) -> Option<String> {
    use rusqlite::ErrorCode;
    let rusqlite::Error::SqliteFailure(f, _) = e else {
        return None;
    };
    let dir = path.parent()?;
    let fs = crate::fs_space::fs_state(dir)?;
    match f.code {
        ErrorCode::DiskFull | ErrorCode::SystemIoFailure | ErrorCode::CannotOpen
            if fs.free_bytes < NEARLY_FULL =>
        {
            Some(format!(
                "the disk is full ({} free in {}); free some space and try again",
                crate::fs_space::human_bytes(fs.free_bytes),
                dir.display()
            ))
        }
        ErrorCode::ReadOnly | ErrorCode::CannotOpen | ErrorCode::SystemIoFailure
            if fs.read_only =>
        {
            Some(format!(
                "the file system holding {} is mounted read-only",
                dir.display()
            ))
        }
        ErrorCode::CannotOpen => Some(format!(
            "the database file cannot be opened; check that it and its directory {} are \
             readable and writable by you",
            dir.display()
        )),
        _ => None,
    }
}

/// A text column read through `parse` (an enum's stored name).
fn parse_col<T>(r: &Row, idx: usize, parse: fn(&str) -> Option<T>) -> rusqlite::Result<T> {
    let s: String = r.get(idx)?;
    parse(&s).ok_or_else(|| {
        rusqlite::Error::FromSqlConversionFailure(
            idx,
            rusqlite::types::Type::Text,
            format!("unknown value {s:?}").into(),
        )
    })
}
