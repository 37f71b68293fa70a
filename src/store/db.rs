//! The SQLite metadata database: credentials, client registrations and the
//! audit log. It holds no secret.
//!
//! WAL mode with `synchronous=NORMAL` and a 5 s busy timeout lets the CLI,
//! the daemon and any number of bridges share the file. Schema changes are
//! numbered migrations applied under `BEGIN IMMEDIATE`, so several processes
//! opening a new database at once apply each migration exactly once.

use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use rusqlite::functions::FunctionFlags;
use rusqlite::{Connection, OptionalExtension, Row, TransactionBehavior, params};

use crate::error::{Error, Result, describe_sqlite};
use crate::model::{
    AuthMethod, Credential, Event, EventKind, GrantKind, Lifecycle, Origin, Status, Timestamp,
};

/// Migrations in order; `PRAGMA user_version` records how many ran.
const MIGRATIONS: &[&str] = &[
    include_str!("migrations/001_init.sql"),
    include_str!("migrations/002_secrets.sql"),
    include_str!("migrations/003_registration_worked.sql"),
    include_str!("migrations/004_allowed_origins.sql"),
    include_str!("migrations/005_credential_servers.sql"),
    include_str!("migrations/006_credentials_by_name.sql"),
];

pub const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

pub struct Db {
    conn: Mutex<Connection>,
    path: PathBuf,
}

/// A client registration cached per authorization server.
#[derive(Debug, Clone, PartialEq)]
pub struct Registration {
    pub issuer: String,
    pub redirect_uri: String,
    pub client_id: String,
    pub auth_method: AuthMethod,
    pub has_secret: bool,
    pub client_secret_expires_at: Option<Timestamp>,
    pub registered_at: Timestamp,
    /// When a token request with this client last succeeded; `None` until
    /// one has (see [`Db::mark_registration_worked`]).
    pub worked_at: Option<Timestamp>,
}

/// A static secret's metadata.
#[derive(Debug, Clone, PartialEq)]
pub struct SecretMeta {
    pub name: String,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub expires_at: Option<Timestamp>,
    pub last_used_at: Option<Timestamp>,
    pub note: Option<String>,
}

/// What a refresh changes in a credential's row.
#[derive(Debug, Clone)]
pub struct RefreshUpdate {
    pub access_expires_at: Option<Timestamp>,
    pub refresh_expires_at: Option<Timestamp>,
    pub has_refresh_token: bool,
    pub scopes: Option<Vec<String>>,
    pub generation: i64,
    pub at: Timestamp,
}

const CREDENTIAL_COLUMNS: &str = "name, origin_kind, origin, issuer, resource, token_url, \
    revocation_url, client_id, auth_method, grant_kind, subject, username, email, scopes, \
    has_refresh_token, created_at, last_used_at, last_refreshed_at, access_expires_at, \
    refresh_expires_at, status, status_changed_at, last_error, generation";

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

    fn err(&self, e: rusqlite::Error) -> Error {
        db_error(&self.path, &e)
    }

    fn configure(&self) -> Result<()> {
        let conn = self.conn();
        conn.busy_timeout(BUSY_TIMEOUT).map_err(|e| self.err(e))?;
        // journal_mode answers with a row; read it rather than execute.
        // Switching a new database to WAL needs a moment alone with it and
        // SQLite answers "busy" at once, without the busy timeout, when
        // another process opens it at the same instant (several first
        // commands of a fresh install): retry within the same timeout.
        let deadline = std::time::Instant::now() + BUSY_TIMEOUT;
        let mode: String = loop {
            match conn.query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0)) {
                Err(rusqlite::Error::SqliteFailure(e, _))
                    if e.code == rusqlite::ErrorCode::DatabaseBusy
                        && std::time::Instant::now() < deadline =>
                {
                    std::thread::sleep(Duration::from_millis(10));
                }
                other => break other.map_err(|e| self.err(e))?,
            }
        };
        if !mode.eq_ignore_ascii_case("wal") {
            tracing::warn!(mode, "database is not in WAL mode");
        }
        conn.execute_batch("PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON;")
            .map_err(|e| self.err(e))
    }

    fn migrate(&self) -> Result<()> {
        let mut conn = self.conn();
        let current: i64 = conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .map_err(|e| self.err(e))?;
        if current == SCHEMA_VERSION {
            return Ok(());
        }
        if current > SCHEMA_VERSION {
            return Err(Error::Database(format!(
                "{} was written by a newer mcp-auth (schema {current}, this one knows {SCHEMA_VERSION}); upgrade mcp-auth",
                self.path.display()
            )));
        }
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(|e| db_error(&self.path, &e))?;
        // Re-read inside the write lock: another process may have migrated.
        let current: i64 = tx
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .map_err(|e| db_error(&self.path, &e))?;
        for (i, sql) in MIGRATIONS.iter().enumerate().skip(current as usize) {
            tx.execute_batch(sql)
                .map_err(|e| db_error(&self.path, &e))?;
            tx.pragma_update(None, "user_version", (i + 1) as i64)
                .map_err(|e| db_error(&self.path, &e))?;
        }
        tx.commit().map_err(|e| db_error(&self.path, &e))
    }

    pub fn schema_version(&self) -> Result<i64> {
        self.conn()
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .map_err(|e| self.err(e))
    }

    /// A number that changes whenever another connection (another process)
    /// commits to the database: the daemon's cheap "did the CLI change
    /// anything?" check. Its own writes do not change it.
    pub fn data_version(&self) -> Result<i64> {
        self.conn()
            .query_row("PRAGMA data_version", [], |r| r.get(0))
            .map_err(|e| self.err(e))
    }

    /// Fails now, rather than halfway through a refresh or after a login,
    /// when a write would fail: a read-only file or file system, or another
    /// process holding the write lock for longer than the busy timeout.
    pub fn check_writable(&self) -> Result<()> {
        let conn = self.conn();
        // SQLite opens a file it may not write read-only without a word,
        // and in WAL mode even takes the write lock on it; only the first
        // page written fails. Ask it instead.
        let read_only = conn
            .is_readonly(rusqlite::MAIN_DB)
            .map_err(|e| self.err(e))?;
        if read_only {
            let e = rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_READONLY);
            return Err(self.err(rusqlite::Error::SqliteFailure(e, None)));
        }
        conn.execute_batch("BEGIN IMMEDIATE; ROLLBACK;")
            .map_err(|e| self.err(e))
    }

    /// `PRAGMA integrity_check`: "ok" or the list of problems.
    pub fn integrity_check(&self) -> Result<String> {
        self.conn()
            .query_row("PRAGMA integrity_check", [], |r| r.get(0))
            .map_err(|e| self.err(e))
    }

    // ---- credentials -------------------------------------------------------

    pub fn get(&self, name: &str) -> Result<Option<Credential>> {
        let sql = format!("SELECT {CREDENTIAL_COLUMNS} FROM credentials WHERE name = ?1");
        self.conn()
            .query_row(&sql, [name], row_to_credential)
            .optional()
            .map_err(|e| self.err(e))
    }

    pub fn list(&self) -> Result<Vec<Credential>> {
        let mut all = Vec::new();
        self.each_credential(|c| {
            all.push(c);
            Ok(())
        })?;
        Ok(all)
    }

    /// Hands every credential to `each`, by name, one row at a time: a
    /// listing of a hundred thousand in constant memory. `each` must not
    /// use this database (its connection is busy with the listing).
    pub fn each_credential(&self, mut each: impl FnMut(Credential) -> Result<()>) -> Result<()> {
        self.each_credential_with_origins(|c, _| each(c))
    }

    /// [`Db::each_credential`], with the origins each credential's row
    /// allows (as stored; see `origins::of_credential` for the ones in
    /// force), read in the same pass.
    pub fn each_credential_with_origins(
        &self,
        mut each: impl FnMut(Credential, Vec<String>) -> Result<()>,
    ) -> Result<()> {
        let sql =
            format!("SELECT {CREDENTIAL_COLUMNS}, allowed_origins FROM credentials ORDER BY name");
        let conn = self.conn();
        let mut stmt = conn.prepare(&sql).map_err(|e| self.err(e))?;
        let last = stmt.column_count() - 1;
        let mut rows = stmt.query([]).map_err(|e| self.err(e))?;
        while let Some(r) = rows.next().map_err(|e| self.err(e))? {
            let origins: Option<String> = r.get(last).map_err(|e| self.err(e))?;
            let origins = origins
                .map(|o| o.split_whitespace().map(str::to_string).collect())
                .unwrap_or_default();
            each(row_to_credential(r).map_err(|e| self.err(e))?, origins)?;
        }
        Ok(())
    }

    /// Selects the credentials `doomed` picks into this connection's
    /// prune set (a temporary table, on disk, so a million names never sit
    /// in memory) and, unless `dry_run`, deletes their rows and journals
    /// the deletion of their secrets (`key_prefix` + name, see
    /// `store::keys`) in the same transaction, so nothing changes between
    /// the choice and the deletion (`doomed` must answer the same for the
    /// same row: it is asked again to delete). Returns (rows examined, rows
    /// selected).
    /// The set stays until the next call or [`Db::prune_set_clear`].
    pub fn prune_select(
        &self,
        doomed: impl Fn(&Lifecycle) -> bool + Send + std::panic::UnwindSafe + 'static,
        dry_run: bool,
        journal: bool,
        key_prefix: &str,
        at: Timestamp,
    ) -> Result<(usize, usize)> {
        let mut conn = self.conn();
        // Temporary tables live in memory in this SQLite build unless told.
        conn.execute_batch(
            "PRAGMA temp_store = FILE; \
             CREATE TEMP TABLE IF NOT EXISTS prune_set \
             (name TEXT PRIMARY KEY NOT NULL) WITHOUT ROWID; \
             DELETE FROM temp.prune_set;",
        )
        .map_err(|e| self.err(e))?;
        let tx = conn
            .transaction_with_behavior(if dry_run {
                TransactionBehavior::Deferred
            } else {
                TransactionBehavior::Immediate
            })
            .map_err(|e| db_error(&self.path, &e))?;
        let err = |e: rusqlite::Error| db_error(&self.path, &e);
        // The choice is made inside SQLite, row by row, by `doomed` in a
        // function of the statement: one INSERT ... SELECT, without a round
        // trip through rusqlite per row (a third of the time at a million).
        let examined = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        {
            let examined = examined.clone();
            tx.create_scalar_function(
                "mcp_auth_doomed",
                6,
                FunctionFlags::SQLITE_UTF8 | FunctionFlags::SQLITE_DETERMINISTIC,
                move |ctx| {
                    examined.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    let bad = |i: usize, what: &str| {
                        rusqlite::Error::UserFunctionError(
                            format!("unknown {what} in column {i}").into(),
                        )
                    };
                    // Read in place: no copy of the text per row.
                    let text = |i: usize| ctx.get_raw(i).as_str().map_err(|_| bad(i, "text"));
                    let status = Status::parse(text(0)?).ok_or_else(|| bad(0, "status"))?;
                    let grant = GrantKind::parse(text(5)?).ok_or_else(|| bad(5, "grant"))?;
                    let has_refresh: bool = ctx.get(4)?;
                    Ok(doomed(&Lifecycle {
                        status,
                        status_changed_at: ctx.get(1)?,
                        access_expires_at: ctx.get(2)?,
                        refresh_expires_at: ctx.get(3)?,
                        renewable: has_refresh || grant.renewed_without_refresh_token(),
                    }))
                },
            )
            .map_err(err)?;
        }
        const DOOMED: &str = "mcp_auth_doomed(status, status_changed_at, access_expires_at, \
             refresh_expires_at, has_refresh_token, grant_kind)";
        let result = (|| {
            let selected = tx
                .execute(
                    &format!(
                        "INSERT INTO temp.prune_set (name) \
                         SELECT name FROM credentials WHERE {DOOMED}"
                    ),
                    [],
                )
                .map_err(err)?;
            let examined = examined.load(std::sync::atomic::Ordering::Relaxed);
            if dry_run || selected == 0 {
                return Ok((examined, selected));
            }
            if journal {
                tx.execute(
                    "INSERT OR REPLACE INTO secret_journal (key, credential, at) \
                     SELECT ?1 || name, name, ?2 FROM temp.prune_set",
                    params![key_prefix, at],
                )
                .map_err(err)?;
            }
            // The same choice again, in the same write transaction (no
            // other writer) and at the same `at`, so the same rows: asked
            // row by row along the table it is cheaper than a search by
            // name for each one of the prune set. Checked all the same.
            let deleted = tx
                .execute(&format!("DELETE FROM credentials WHERE {DOOMED}"), [])
                .map_err(err)?;
            if deleted != selected {
                return Err(Error::Database(format!(
                    "prune chose {selected} credentials and would delete {deleted}; nothing was \
                     deleted"
                )));
            }
            Ok((examined, selected))
        })();
        tx.remove_function("mcp_auth_doomed", 6).map_err(err)?;
        let (examined, selected) = result?;
        tx.commit().map_err(err)?;
        Ok((examined, selected))
    }

    /// Up to `limit` names of the prune set after `after`, in ascending
    /// byte order.
    pub fn prune_set_page(&self, after: Option<&str>, limit: usize) -> Result<Vec<String>> {
        let conn = self.conn();
        // Two statements: `?1 IS NULL OR name > ?1` would keep SQLite from
        // seeking in the index, and every page would scan the whole set.
        let (sql, after) = match after {
            Some(a) => (
                "SELECT name FROM temp.prune_set WHERE name > ?1 ORDER BY name LIMIT ?2",
                a,
            ),
            None => (
                "SELECT name FROM temp.prune_set WHERE ?1 = ?1 ORDER BY name LIMIT ?2",
                "",
            ),
        };
        let mut stmt = conn.prepare_cached(sql).map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map(params![after, limit as i64], |r| r.get(0))
            .map_err(|e| self.err(e))?;
        rows.collect::<rusqlite::Result<Vec<String>>>()
            .map_err(|e| self.err(e))
    }

    /// Up to `limit` credential names after `after`, in ascending byte
    /// order.
    pub fn names_page(&self, after: Option<&str>, limit: usize) -> Result<Vec<String>> {
        let conn = self.conn();
        // Two statements, as in `prune_set_page`.
        let (sql, after) = match after {
            Some(a) => (
                "SELECT name FROM credentials WHERE name > ?1 ORDER BY name LIMIT ?2",
                a,
            ),
            None => (
                "SELECT name FROM credentials WHERE ?1 = ?1 ORDER BY name LIMIT ?2",
                "",
            ),
        };
        let mut stmt = conn.prepare_cached(sql).map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map(params![after, limit as i64], |r| r.get(0))
            .map_err(|e| self.err(e))?;
        rows.collect::<rusqlite::Result<Vec<String>>>()
            .map_err(|e| self.err(e))
    }

    /// Every key in the journal, whatever its age.
    pub fn journal_keys(&self) -> Result<Vec<String>> {
        let conn = self.conn();
        let mut stmt = conn
            .prepare("SELECT key FROM secret_journal")
            .map_err(|e| self.err(e))?;
        let rows = stmt.query_map([], |r| r.get(0)).map_err(|e| self.err(e))?;
        rows.collect::<rusqlite::Result<Vec<String>>>()
            .map_err(|e| self.err(e))
    }

    /// Drops the journal entries of the prune set's secrets, once they are
    /// deleted.
    pub fn prune_set_settle(&self, key_prefix: &str) -> Result<()> {
        self.conn()
            .execute(
                "DELETE FROM secret_journal WHERE key IN \
                 (SELECT ?1 || name FROM temp.prune_set)",
                [key_prefix],
            )
            .map(|_| ())
            .map_err(|e| self.err(e))
    }

    /// Empties the prune set.
    pub fn prune_set_clear(&self) -> Result<()> {
        self.conn()
            .execute_batch("DROP TABLE IF EXISTS temp.prune_set")
            .map_err(|e| self.err(e))
    }

    /// Credentials for an MCP server URL: those saved for it, newest first,
    /// then those it shares with a server of the same authorization server
    /// and resource ([`Db::share_server`]).
    pub fn find_by_server(&self, server_url: &str) -> Result<Vec<Credential>> {
        let sql = format!(
            "SELECT {CREDENTIAL_COLUMNS} FROM credentials \
             WHERE (origin_kind = 'mcp_server' AND origin = ?1) \
             OR EXISTS (SELECT 1 FROM credential_servers s WHERE s.server_url = ?1 \
                 AND s.credential = credentials.name AND s.issuer = credentials.issuer \
                 AND s.resource = credentials.resource) \
             ORDER BY (origin_kind = 'mcp_server' AND origin = ?1) DESC, created_at DESC"
        );
        let conn = self.conn();
        let mut stmt = conn.prepare(&sql).map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map([server_url], row_to_credential)
            .map_err(|e| self.err(e))?;
        rows.collect::<rusqlite::Result<Vec<_>>>()
            .map_err(|e| self.err(e))
    }

    /// Active MCP server credentials issued by `issuer` for `resource`,
    /// newest first: the ones another server of that resource may share.
    pub fn find_shared(&self, issuer: &str, resource: &str) -> Result<Vec<Credential>> {
        let sql = format!(
            "SELECT {CREDENTIAL_COLUMNS} FROM credentials \
             WHERE origin_kind = 'mcp_server' AND issuer = ?1 AND resource = ?2 \
             AND status = 'active' ORDER BY created_at DESC"
        );
        let conn = self.conn();
        let mut stmt = conn.prepare(&sql).map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map([issuer, resource], row_to_credential)
            .map_err(|e| self.err(e))?;
        rows.collect::<rusqlite::Result<Vec<_>>>()
            .map_err(|e| self.err(e))
    }

    /// Records that `server_url` uses credential `c` (same authorization
    /// server, same resource), so it is found for that server from now on.
    pub fn share_server(&self, server_url: &str, c: &Credential, at: Timestamp) -> Result<()> {
        let (Some(issuer), Some(resource)) = (&c.issuer, &c.resource) else {
            return Err(Error::Other(format!(
                "'{}' names no issuer and resource, so no other server can share it",
                c.name
            )));
        };
        self.conn()
            .execute(
                "INSERT INTO credential_servers (server_url, credential, issuer, resource, added_at) \
                 VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (server_url) DO UPDATE SET \
                 credential = excluded.credential, issuer = excluded.issuer, \
                 resource = excluded.resource, added_at = excluded.added_at",
                params![server_url, c.name, issuer, resource, at],
            )
            .map(|_| ())
            .map_err(|e| self.err(e))
    }

    /// Saves a credential after a login. An earlier credential of the same
    /// name is replaced, keeping its creation time.
    pub fn upsert(&self, c: &Credential) -> Result<()> {
        upsert_in(&self.conn(), c).map_err(|e| self.err(e))
    }

    /// Records a successful refresh. Only applies when the row is still at an
    /// older generation, so a slow writer never overwrites newer state;
    /// returns whether the row was updated.
    pub fn record_refresh(&self, name: &str, u: &RefreshUpdate) -> Result<bool> {
        let scopes = u.scopes.as_ref().map(|s| s.join(" "));
        let n = self
            .conn()
            .execute(
                "UPDATE credentials SET access_expires_at = ?2, refresh_expires_at = ?3, \
                 has_refresh_token = ?4, scopes = COALESCE(?5, scopes), generation = ?6, \
                 last_refreshed_at = ?7, last_error = NULL, \
                 status_changed_at = CASE WHEN status = 'active' THEN status_changed_at ELSE ?7 END, \
                 status = 'active' \
                 WHERE name = ?1 AND generation < ?6",
                params![
                    name,
                    u.access_expires_at,
                    u.refresh_expires_at,
                    u.has_refresh_token,
                    scopes,
                    u.generation,
                    u.at,
                ],
            )
            .map_err(|e| self.err(e))?;
        Ok(n == 1)
    }

    pub fn set_status(
        &self,
        name: &str,
        status: Status,
        error: Option<&str>,
        at: Timestamp,
    ) -> Result<()> {
        self.conn()
            .execute(
                "UPDATE credentials SET last_error = ?3, \
                 status_changed_at = CASE WHEN status = ?2 THEN status_changed_at ELSE ?4 END, \
                 status = ?2 WHERE name = ?1",
                params![name, status.as_str(), error, at],
            )
            .map_err(|e| self.err(e))?;
        Ok(())
    }

    pub fn set_last_error(&self, name: &str, error: Option<&str>) -> Result<()> {
        self.conn()
            .execute(
                "UPDATE credentials SET last_error = ?2 WHERE name = ?1",
                params![name, error],
            )
            .map_err(|e| self.err(e))?;
        Ok(())
    }

    pub fn touch_used(&self, name: &str, at: Timestamp) -> Result<()> {
        self.conn()
            .execute(
                "UPDATE credentials SET last_used_at = ?2 WHERE name = ?1",
                params![name, at],
            )
            .map_err(|e| self.err(e))?;
        Ok(())
    }

    /// Saves a credential after a login and drops its journal entry in the
    /// same transaction.
    pub fn upsert_journaled(&self, c: &Credential, journal_key: &str) -> Result<()> {
        let mut conn = self.conn();
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(|e| db_error(&self.path, &e))?;
        upsert_in(&tx, c).map_err(|e| db_error(&self.path, &e))?;
        tx.execute("DELETE FROM secret_journal WHERE key = ?1", [journal_key])
            .map_err(|e| db_error(&self.path, &e))?;
        tx.commit().map_err(|e| db_error(&self.path, &e))
    }

    /// Deletes a credential's row and journals the deletion of its secret in
    /// one transaction.
    pub fn delete_journaled(&self, name: &str, journal_key: &str, at: Timestamp) -> Result<bool> {
        let mut conn = self.conn();
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(|e| db_error(&self.path, &e))?;
        let n = tx
            .execute("DELETE FROM credentials WHERE name = ?1", [name])
            .map_err(|e| db_error(&self.path, &e))?;
        journal_in(&tx, journal_key, name, at).map_err(|e| db_error(&self.path, &e))?;
        tx.commit().map_err(|e| db_error(&self.path, &e))?;
        Ok(n == 1)
    }

    pub fn journal_add(&self, key: &str, credential: &str, at: Timestamp) -> Result<()> {
        journal_in(&self.conn(), key, credential, at).map_err(|e| self.err(e))
    }

    pub fn journal_remove(&self, key: &str) -> Result<()> {
        self.conn()
            .execute("DELETE FROM secret_journal WHERE key = ?1", [key])
            .map_err(|e| self.err(e))?;
        Ok(())
    }

    /// Journal entries written before `before`: (key, credential).
    pub fn journal_older_than(&self, before: Timestamp) -> Result<Vec<(String, String)>> {
        let conn = self.conn();
        let mut stmt = conn
            .prepare("SELECT key, credential FROM secret_journal WHERE at < ?1 ORDER BY at")
            .map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map([before], |r| Ok((r.get(0)?, r.get(1)?)))
            .map_err(|e| self.err(e))?;
        rows.collect::<rusqlite::Result<Vec<_>>>()
            .map_err(|e| self.err(e))
    }

    // ---- audit log -------------------------------------------------------

    pub fn add_event(
        &self,
        credential: Option<&str>,
        kind: EventKind,
        detail: Option<&str>,
        at: Timestamp,
    ) -> Result<()> {
        self.conn()
            .execute(
                "INSERT INTO events (at, credential, kind, detail) VALUES (?1, ?2, ?3, ?4)",
                params![at, credential, kind.as_str(), detail],
            )
            .map_err(|e| self.err(e))?;
        Ok(())
    }

    /// The most recent events of one credential (or of all, with `None`).
    pub fn events(&self, credential: Option<&str>, limit: usize) -> Result<Vec<Event>> {
        let mut all = Vec::new();
        let filter = EventFilter {
            credential,
            limit: Some(limit),
            ..EventFilter::default()
        };
        self.read_events(|log| {
            log.each(&filter, |e| {
                all.push(e);
                Ok(())
            })
        })?;
        Ok(all)
    }

    /// Runs `read` on the audit log as it is at one moment: every pass it
    /// makes over the events (`mcp-auth audit` measures its columns, then
    /// prints) sees the same ones, whatever other processes add meanwhile.
    /// `read` must not use this database otherwise (its connection is busy).
    pub fn read_events<T>(&self, read: impl FnOnce(&EventLog<'_>) -> Result<T>) -> Result<T> {
        let mut conn = self.conn();
        // A read transaction in WAL mode reads one snapshot throughout.
        // https://www.sqlite.org/wal.html#concurrency
        let tx = conn.transaction().map_err(|e| db_error(&self.path, &e))?;
        let out = read(&EventLog {
            conn: &tx,
            path: &self.path,
        })?;
        tx.commit().map_err(|e| db_error(&self.path, &e))?;
        Ok(out)
    }
    /// Deletes audit events from `cutoff` or before; returns how many.
    pub fn prune_events(&self, cutoff: Timestamp) -> Result<usize> {
        self.conn()
            .execute("DELETE FROM events WHERE at <= ?1", [cutoff])
            .map_err(|e| self.err(e))
    }

    // ---- static secrets ----------------------------------------------------

    /// Saves a static secret's metadata (its value is in the secret store)
    /// and drops its journal entry in the same transaction.
    pub fn upsert_secret_meta(&self, m: &SecretMeta, journal_key: &str) -> Result<()> {
        let mut conn = self.conn();
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(|e| db_error(&self.path, &e))?;
        tx.execute(
            "INSERT INTO secrets (name, created_at, updated_at, expires_at, last_used_at, note) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT (name) DO UPDATE SET \
             updated_at = excluded.updated_at, expires_at = excluded.expires_at, \
             note = excluded.note",
            params![
                m.name,
                m.created_at,
                m.updated_at,
                m.expires_at,
                m.last_used_at,
                m.note
            ],
        )
        .map_err(|e| db_error(&self.path, &e))?;
        tx.execute("DELETE FROM secret_journal WHERE key = ?1", [journal_key])
            .map_err(|e| db_error(&self.path, &e))?;
        tx.commit().map_err(|e| db_error(&self.path, &e))
    }

    pub fn secret_meta(&self, name: &str) -> Result<Option<SecretMeta>> {
        self.conn()
            .query_row(
                "SELECT name, created_at, updated_at, expires_at, last_used_at, note \
                 FROM secrets WHERE name = ?1",
                [name],
                row_to_secret_meta,
            )
            .optional()
            .map_err(|e| self.err(e))
    }

    pub fn secret_metas(&self) -> Result<Vec<SecretMeta>> {
        let conn = self.conn();
        let mut stmt = conn
            .prepare(
                "SELECT name, created_at, updated_at, expires_at, last_used_at, note \
                 FROM secrets ORDER BY name",
            )
            .map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map([], row_to_secret_meta)
            .map_err(|e| self.err(e))?;
        rows.collect::<rusqlite::Result<Vec<_>>>()
            .map_err(|e| self.err(e))
    }

    /// Deletes a static secret's row and journals its value's deletion.
    pub fn delete_secret_meta(&self, name: &str, journal_key: &str, at: Timestamp) -> Result<bool> {
        let mut conn = self.conn();
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(|e| db_error(&self.path, &e))?;
        let n = tx
            .execute("DELETE FROM secrets WHERE name = ?1", [name])
            .map_err(|e| db_error(&self.path, &e))?;
        journal_in(&tx, journal_key, name, at).map_err(|e| db_error(&self.path, &e))?;
        tx.commit().map_err(|e| db_error(&self.path, &e))?;
        Ok(n == 1)
    }

    pub fn touch_secret(&self, name: &str, at: Timestamp) -> Result<()> {
        self.conn()
            .execute(
                "UPDATE secrets SET last_used_at = ?2 WHERE name = ?1",
                params![name, at],
            )
            .map_err(|e| self.err(e))?;
        Ok(())
    }

    /// Does anything still own the secret stored under `key`?
    pub fn owns(&self, key: &str) -> Result<bool> {
        let (sql, id) = if let Some(name) = key.strip_prefix("credential/") {
            (
                "SELECT 1 FROM credentials WHERE name = ?1",
                name.to_string(),
            )
        } else if let Some(name) = key.strip_prefix("secret/") {
            ("SELECT 1 FROM secrets WHERE name = ?1", name.to_string())
        } else {
            // Client secrets belong to registrations, which are looked up
            // by client id.
            let client = key.rsplit('/').next().unwrap_or_default().to_string();
            ("SELECT 1 FROM registrations WHERE client_id = ?1", client)
        };
        self.conn()
            .query_row(sql, [id], |_| Ok(()))
            .optional()
            .map(|r| r.is_some())
            .map_err(|e| self.err(e))
    }

    // ---- registrations ---------------------------------------------------

    pub fn registration(&self, issuer: &str, redirect_uri: &str) -> Result<Option<Registration>> {
        self.conn()
            .query_row(
                &format!(
                    "SELECT {REGISTRATION_COLUMNS} FROM registrations \
                     WHERE issuer = ?1 AND redirect_uri = ?2"
                ),
                [issuer, redirect_uri],
                row_to_registration,
            )
            .optional()
            .map_err(|e| self.err(e))
    }

    /// Every registration cached for an issuer, newest first.
    pub fn registrations(&self, issuer: &str) -> Result<Vec<Registration>> {
        let conn = self.conn();
        let mut stmt = conn
            .prepare(&format!(
                "SELECT {REGISTRATION_COLUMNS} FROM registrations \
                 WHERE issuer = ?1 ORDER BY registered_at DESC"
            ))
            .map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map([issuer], row_to_registration)
            .map_err(|e| self.err(e))?;
        rows.collect::<rusqlite::Result<Vec<_>>>()
            .map_err(|e| self.err(e))
    }

    /// Caches a registration and drops its secret's journal entry in the
    /// same transaction (see [`crate::store::Store::save_registration`]).
    pub fn put_registration_journaled(&self, r: &Registration, journal_key: &str) -> Result<()> {
        let mut conn = self.conn();
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(|e| db_error(&self.path, &e))?;
        tx.execute(
            "INSERT OR REPLACE INTO registrations (issuer, redirect_uri, client_id, \
             auth_method, has_secret, client_secret_expires_at, registered_at, worked_at) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            params![
                r.issuer,
                r.redirect_uri,
                r.client_id,
                r.auth_method.as_str(),
                r.has_secret,
                r.client_secret_expires_at,
                r.registered_at,
                r.worked_at
            ],
        )
        .map_err(|e| db_error(&self.path, &e))?;
        tx.execute("DELETE FROM secret_journal WHERE key = ?1", [journal_key])
            .map_err(|e| db_error(&self.path, &e))?;
        tx.commit().map_err(|e| db_error(&self.path, &e))
    }

    /// Deletes a cached registration and journals its secret's deletion in
    /// one transaction.
    pub fn delete_registration_journaled(
        &self,
        issuer: &str,
        redirect_uri: &str,
        journal_key: &str,
        owner: &str,
        at: Timestamp,
    ) -> Result<()> {
        let mut conn = self.conn();
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(|e| db_error(&self.path, &e))?;
        tx.execute(
            "DELETE FROM registrations WHERE issuer = ?1 AND redirect_uri = ?2",
            [issuer, redirect_uri],
        )
        .map_err(|e| db_error(&self.path, &e))?;
        journal_in(&tx, journal_key, owner, at).map_err(|e| db_error(&self.path, &e))?;
        tx.commit().map_err(|e| db_error(&self.path, &e))
    }

    /// Records that the registration of `client_id` at `issuer` just got
    /// tokens: from now on an `invalid_client` for it means the server
    /// forgot it.
    pub fn mark_registration_worked(
        &self,
        issuer: &str,
        client_id: &str,
        at: Timestamp,
    ) -> Result<()> {
        self.conn()
            .execute(
                "UPDATE registrations SET worked_at = ?3 WHERE issuer = ?1 AND client_id = ?2",
                params![issuer, client_id, at],
            )
            .map_err(|e| self.err(e))?;
        Ok(())
    }

    pub fn delete_registration(&self, issuer: &str, redirect_uri: &str) -> Result<()> {
        self.conn()
            .execute(
                "DELETE FROM registrations WHERE issuer = ?1 AND redirect_uri = ?2",
                [issuer, redirect_uri],
            )
            .map_err(|e| self.err(e))?;
        Ok(())
    }

    /// Direct access for tests and maintenance code in this crate.
    #[cfg(test)]
    pub(crate) fn with_conn<T>(&self, f: impl FnOnce(&Connection) -> T) -> T {
        f(&self.conn())
    }
}

impl Db {
    /// The origins `name` may be sent to (see [`crate::origins`]); `None`
    /// when there is no such credential or secret.
    pub fn allowed_origins(&self, holder: Holder, name: &str) -> Result<Option<Vec<String>>> {
        let sql = format!(
            "SELECT allowed_origins FROM {} WHERE name = ?1",
            holder.table()
        );
        let raw: Option<String> = self
            .conn()
            .query_row(&sql, params![name], |r| r.get(0))
            .optional()
            .map_err(|e| self.err(e))?;
        Ok(raw.map(|r| r.split_whitespace().map(str::to_string).collect()))
    }

    /// Replaces the origins `name` may be sent to; false when there is no
    /// such credential or secret.
    pub fn set_allowed_origins(
        &self,
        holder: Holder,
        name: &str,
        origins: &[String],
    ) -> Result<bool> {
        let sql = format!(
            "UPDATE {} SET allowed_origins = ?2 WHERE name = ?1",
            holder.table()
        );
        let n = self
            .conn()
            .execute(&sql, params![name, origins.join(" ")])
            .map_err(|e| self.err(e))?;
        Ok(n > 0)
    }
}

/// Which audit events to read (see [`EventLog::each`]); the default is all
/// of them.
#[derive(Debug, Clone, Default)]
pub struct EventFilter<'a> {
    /// Only this credential's (deleted ones' too: events outlive their
    /// credential, see `migrations/001_init.sql`).
    pub credential: Option<&'a str>,
    /// Only these kinds; empty means every kind.
    pub kinds: Vec<EventKind>,
    /// Only events at or after this moment.
    pub since: Option<Timestamp>,
    /// At most this many, the newest.
    pub limit: Option<usize>,
}

/// The audit log inside one read transaction ([`Db::read_events`]).
pub struct EventLog<'a> {
    conn: &'a Connection,
    path: &'a Path,
}

impl EventLog<'_> {
    /// Hands each event `filter` picks to `each`, newest first (events of
    /// the same second in the reverse order of their writing), one row at a
    /// time: the log can hold millions and memory stays flat.
    pub fn each(
        &self,
        filter: &EventFilter<'_>,
        mut each: impl FnMut(Event) -> Result<()>,
    ) -> Result<()> {
        let err = |e: rusqlite::Error| db_error(self.path, &e);
        let (sql, args) = event_query(filter);
        let mut stmt = self.conn.prepare(&sql).map_err(err)?;
        let mut rows = stmt.query(rusqlite::params_from_iter(args)).map_err(err)?;
        while let Some(r) = rows.next().map_err(err)? {
            each(Event {
                at: r.get(0).map_err(err)?,
                credential: r.get(1).map_err(err)?,
                kind: r.get(2).map_err(err)?,
                detail: r.get(3).map_err(err)?,
            })?;
        }
        Ok(())
    }
}

/// The statement [`EventLog::each`] runs for `filter`, and its arguments.
fn event_query(filter: &EventFilter<'_>) -> (String, Vec<rusqlite::types::Value>) {
    let mut sql = String::from("SELECT at, credential, kind, detail FROM events WHERE 1");
    let mut args: Vec<rusqlite::types::Value> = Vec::new();
    let mut arg = |sql: &mut String, clause: &str, v: rusqlite::types::Value| {
        args.push(v);
        sql.push_str(&clause.replace('?', &format!("?{}", args.len())));
    };
    if let Some(name) = filter.credential {
        arg(&mut sql, " AND credential = ?", name.to_string().into());
    }
    if let Some(since) = filter.since {
        arg(&mut sql, " AND at >= ?", since.into());
    }
    if !filter.kinds.is_empty() {
        sql.push_str(" AND kind IN (");
        for (i, k) in filter.kinds.iter().enumerate() {
            let sep = if i == 0 { "?" } else { ", ?" };
            arg(&mut sql, sep, k.as_str().to_string().into());
        }
        sql.push(')');
    }
    // `id` is the rowid, which both indexes end with, so either one
    // (`events_at`, `events_credential_at`) gives this order without a
    // sort (a unit test checks the plans).
    sql.push_str(" ORDER BY at DESC, id DESC");
    if let Some(limit) = filter.limit {
        arg(
            &mut sql,
            " LIMIT ?",
            i64::try_from(limit).unwrap_or(i64::MAX).into(),
        );
    }
    (sql, args)
}

/// What holds allowed origins: a credential (its tokens) or a static secret.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Holder {
    Token,
    Secret,
}

impl Holder {
    fn table(self) -> &'static str {
        match self {
            Holder::Token => "credentials",
            Holder::Secret => "secrets",
        }
    }
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

fn journal_in(
    conn: &Connection,
    key: &str,
    credential: &str,
    at: Timestamp,
) -> rusqlite::Result<()> {
    conn.execute(
        "INSERT OR REPLACE INTO secret_journal (key, credential, at) VALUES (?1, ?2, ?3)",
        params![key, credential, at],
    )?;
    Ok(())
}

fn upsert_in(conn: &Connection, c: &Credential) -> rusqlite::Result<()> {
    let (kind, origin) = origin_columns(&c.origin);
    conn.execute(
        &format!(
            "INSERT INTO credentials ({CREDENTIAL_COLUMNS}) VALUES \
             (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, \
              ?17, ?18, ?19, ?20, ?21, ?22, ?23, ?24) \
             ON CONFLICT (name) DO UPDATE SET \
             origin_kind = excluded.origin_kind, origin = excluded.origin, \
             issuer = excluded.issuer, resource = excluded.resource, \
             token_url = excluded.token_url, revocation_url = excluded.revocation_url, \
             client_id = excluded.client_id, auth_method = excluded.auth_method, \
             grant_kind = excluded.grant_kind, subject = excluded.subject, \
             username = excluded.username, email = excluded.email, \
             scopes = excluded.scopes, has_refresh_token = excluded.has_refresh_token, \
             last_used_at = excluded.last_used_at, \
             last_refreshed_at = excluded.last_refreshed_at, \
             access_expires_at = excluded.access_expires_at, \
             refresh_expires_at = excluded.refresh_expires_at, \
             status = excluded.status, status_changed_at = excluded.status_changed_at, \
             last_error = excluded.last_error, generation = excluded.generation"
        ),
        params![
            c.name,
            kind,
            origin,
            c.issuer,
            c.resource,
            c.token_url,
            c.revocation_url,
            c.client_id,
            c.auth_method.as_str(),
            c.grant.as_str(),
            c.subject,
            c.username,
            c.email,
            c.scopes.join(" "),
            c.has_refresh_token,
            c.created_at,
            c.last_used_at,
            c.last_refreshed_at,
            c.access_expires_at,
            c.refresh_expires_at,
            c.status.as_str(),
            c.status_changed_at,
            c.last_error,
            c.generation,
        ],
    )?;
    Ok(())
}

fn origin_columns(origin: &Origin) -> (&'static str, &str) {
    match origin {
        Origin::Provider { provider } => ("provider", provider),
        Origin::McpServer { server_url } => ("mcp_server", server_url),
    }
}

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

fn row_to_secret_meta(r: &Row) -> rusqlite::Result<SecretMeta> {
    Ok(SecretMeta {
        name: r.get(0)?,
        created_at: r.get(1)?,
        updated_at: r.get(2)?,
        expires_at: r.get(3)?,
        last_used_at: r.get(4)?,
        note: r.get(5)?,
    })
}

const REGISTRATION_COLUMNS: &str = "issuer, redirect_uri, client_id, auth_method, has_secret, \
    client_secret_expires_at, registered_at, worked_at";

fn row_to_registration(r: &Row) -> rusqlite::Result<Registration> {
    Ok(Registration {
        issuer: r.get(0)?,
        redirect_uri: r.get(1)?,
        client_id: r.get(2)?,
        auth_method: parse_col(r, 3, AuthMethod::parse)?,
        has_secret: r.get(4)?,
        client_secret_expires_at: r.get(5)?,
        registered_at: r.get(6)?,
        worked_at: r.get(7)?,
    })
}

fn row_to_credential(r: &Row) -> rusqlite::Result<Credential> {
    let kind: String = r.get(1)?;
    let origin: String = r.get(2)?;
    let origin = match kind.as_str() {
        "mcp_server" => Origin::McpServer { server_url: origin },
        _ => Origin::Provider { provider: origin },
    };
    let scopes: String = r.get(13)?;
    Ok(Credential {
        name: r.get(0)?,
        origin,
        issuer: r.get(3)?,
        resource: r.get(4)?,
        token_url: r.get(5)?,
        revocation_url: r.get(6)?,
        client_id: r.get(7)?,
        auth_method: parse_col(r, 8, AuthMethod::parse)?,
        grant: parse_col(r, 9, GrantKind::parse)?,
        subject: r.get(10)?,
        username: r.get(11)?,
        email: r.get(12)?,
        scopes: scopes.split_whitespace().map(str::to_string).collect(),
        has_refresh_token: r.get(14)?,
        created_at: r.get(15)?,
        last_used_at: r.get(16)?,
        last_refreshed_at: r.get(17)?,
        access_expires_at: r.get(18)?,
        refresh_expires_at: r.get(19)?,
        status: parse_col(r, 20, Status::parse)?,
        status_changed_at: r.get(21)?,
        last_error: r.get(22)?,
        generation: r.get(23)?,
    })
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub(crate) fn sample(name: &str) -> Credential {
        Credential {
            name: name.into(),
            origin: Origin::Provider {
                provider: "github".into(),
            },
            issuer: Some("https://issuer".into()),
            resource: None,
            token_url: "https://issuer/token".into(),
            revocation_url: Some("https://issuer/revoke".into()),
            client_id: "client".into(),
            auth_method: AuthMethod::None,
            grant: GrantKind::AuthorizationCode,
            subject: Some("42".into()),
            username: Some("octo".into()),
            email: None,
            scopes: vec!["read".into(), "write".into()],
            has_refresh_token: true,
            created_at: 100,
            last_used_at: None,
            last_refreshed_at: None,
            access_expires_at: Some(1000),
            refresh_expires_at: None,
            status: Status::Active,
            status_changed_at: 100,
            last_error: None,
            generation: 1,
        }
    }

    fn open() -> (tempfile::TempDir, Db) {
        let dir = tempfile::tempdir().unwrap();
        let db = Db::open(&dir.path().join("t.db")).unwrap();
        (dir, db)
    }

    fn for_server(name: &str, server: &str, resource: &str) -> Credential {
        Credential {
            origin: Origin::McpServer {
                server_url: server.into(),
            },
            resource: Some(resource.into()),
            ..sample(name)
        }
    }

    #[test]
    fn a_shared_credential_is_found_for_its_servers_until_it_changes_resource_or_goes() {
        let (_d, db) = open();
        let a = for_server("h", "https://h/a/mcp", "https://h");
        db.upsert(&a).unwrap();
        assert!(db.find_by_server("https://h/b/mcp").unwrap().is_empty());
        let shared = db.find_shared("https://issuer", "https://h").unwrap();
        assert_eq!(shared.len(), 1);
        assert!(
            db.find_shared("https://issuer", "https://h/a/mcp")
                .unwrap()
                .is_empty()
        );
        db.share_server("https://h/b/mcp", &a, 5).unwrap();
        let found = db.find_by_server("https://h/b/mcp").unwrap();
        assert_eq!(found[0].name, "h");
        // A server's own credential comes before one it shares.
        let own = Credential {
            created_at: 1,
            ..for_server("h-b", "https://h/b/mcp", "https://h/b/mcp")
        };
        db.upsert(&own).unwrap();
        let found = db.find_by_server("https://h/b/mcp").unwrap();
        assert_eq!(found[0].name, "h-b");
        assert_eq!(found.len(), 2);
        // Replaced by a login for another resource: no longer shared.
        db.upsert(&for_server("h", "https://h/a/mcp", "https://h/a/mcp"))
            .unwrap();
        let found = db.find_by_server("https://h/b/mcp").unwrap();
        assert_eq!(found.len(), 1, "{found:?}");
        // Deleted: the sharing goes with it, and a new credential of that
        // name is not found for the other server.
        db.upsert(&a).unwrap();
        db.share_server("https://h/b/mcp", &a, 6).unwrap();
        db.delete_journaled("h", "k", 7).unwrap();
        db.upsert(&a).unwrap();
        let found = db.find_by_server("https://h/b/mcp").unwrap();
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].name, "h-b");
    }

    #[test]
    fn credential_round_trips() {
        let (_d, db) = open();
        let c = sample("gh");
        db.upsert(&c).unwrap();
        assert_eq!(db.get("gh").unwrap().unwrap(), c);
        assert_eq!(db.list().unwrap().len(), 1);
        assert!(db.get("nope").unwrap().is_none());
    }

    #[test]
    fn relogin_keeps_created_at() {
        let (_d, db) = open();
        db.upsert(&sample("gh")).unwrap();
        let mut again = sample("gh");
        again.created_at = 999;
        again.generation = 5;
        db.upsert(&again).unwrap();
        let got = db.get("gh").unwrap().unwrap();
        assert_eq!(got.created_at, 100);
        assert_eq!(got.generation, 5);
    }

    #[test]
    fn refresh_never_goes_back_a_generation() {
        let (_d, db) = open();
        db.upsert(&sample("gh")).unwrap();
        let u = |generation| RefreshUpdate {
            access_expires_at: Some(5000 + generation),
            refresh_expires_at: None,
            has_refresh_token: true,
            scopes: None,
            generation,
            at: 200,
        };
        assert!(db.record_refresh("gh", &u(3)).unwrap());
        assert!(
            !db.record_refresh("gh", &u(2)).unwrap(),
            "older write must lose"
        );
        let got = db.get("gh").unwrap().unwrap();
        assert_eq!(got.generation, 3);
        assert_eq!(got.access_expires_at, Some(5003));
        assert_eq!(got.scopes, vec!["read", "write"]);
    }

    #[test]
    fn status_change_time_is_kept_when_status_repeats() {
        let (_d, db) = open();
        db.upsert(&sample("gh")).unwrap();
        db.set_status("gh", Status::NeedsLogin, Some("invalid_grant"), 300)
            .unwrap();
        db.set_status("gh", Status::NeedsLogin, Some("invalid_grant"), 400)
            .unwrap();
        let got = db.get("gh").unwrap().unwrap();
        assert_eq!(got.status, Status::NeedsLogin);
        assert_eq!(got.status_changed_at, 300);
        assert_eq!(got.last_error.as_deref(), Some("invalid_grant"));
    }

    #[test]
    fn events_are_newest_first_and_prunable() {
        let (_d, db) = open();
        db.add_event(Some("a"), EventKind::Login, None, 10).unwrap();
        db.add_event(Some("a"), EventKind::Use, Some("x"), 20)
            .unwrap();
        db.add_event(Some("b"), EventKind::Login, None, 30).unwrap();
        let ev = db.events(Some("a"), 10).unwrap();
        assert_eq!(ev.len(), 2);
        assert_eq!(ev[0].kind, "use");
        assert_eq!(db.prune_events(25).unwrap(), 2);
        assert_eq!(db.events(None, 10).unwrap().len(), 1);
    }

    #[test]
    fn events_outlive_their_credential() {
        let (_d, db) = open();
        db.upsert(&sample("gone")).unwrap();
        db.add_event(Some("gone"), EventKind::Login, None, 10)
            .unwrap();
        assert!(db.delete_journaled("gone", "credential/gone", 20).unwrap());
        let ev = db.events(Some("gone"), 10).unwrap();
        assert_eq!(ev.len(), 1, "deleting a credential deleted its events");
    }

    #[test]
    fn the_event_filter_picks_by_name_kind_and_time_newest_first() {
        let (_d, db) = open();
        for (name, kind, at) in [
            (Some("a"), EventKind::Login, 10),
            (Some("b"), EventKind::Login, 10),
            (Some("a"), EventKind::Use, 20),
            (None, EventKind::Prune, 30),
            (Some("a"), EventKind::Revoke, 30),
        ] {
            db.add_event(name, kind, None, at).unwrap();
        }
        let pick = |filter: EventFilter| {
            let mut got = Vec::new();
            db.read_events(|log| {
                log.each(&filter, |e| {
                    got.push(format!(
                        "{}:{}@{}",
                        e.credential.as_deref().unwrap_or("-"),
                        e.kind,
                        e.at
                    ));
                    Ok(())
                })
            })
            .unwrap();
            got
        };
        assert_eq!(
            pick(EventFilter::default()),
            [
                "a:revoke@30",
                "-:prune@30",
                "a:use@20",
                "b:login@10",
                "a:login@10"
            ]
        );
        let a = EventFilter {
            credential: Some("a"),
            ..EventFilter::default()
        };
        assert_eq!(pick(a.clone()), ["a:revoke@30", "a:use@20", "a:login@10"]);
        assert_eq!(
            pick(EventFilter {
                kinds: vec![EventKind::Login, EventKind::Prune],
                ..EventFilter::default()
            }),
            ["-:prune@30", "b:login@10", "a:login@10"]
        );
        assert_eq!(
            pick(EventFilter {
                since: Some(20),
                limit: Some(2),
                ..a
            }),
            ["a:revoke@30", "a:use@20"]
        );
    }

    #[test]
    fn the_audit_log_is_read_in_index_order_without_a_sort() {
        // A sort would have to see every row before the first is printed.
        let (_d, db) = open();
        let all = EventFilter::default();
        let plans = [
            all.clone(),
            EventFilter {
                credential: Some("a"),
                ..all.clone()
            },
            EventFilter {
                credential: Some("a"),
                since: Some(5),
                kinds: vec![EventKind::Use, EventKind::Login],
                limit: Some(3),
            },
            EventFilter {
                since: Some(5),
                kinds: vec![EventKind::Prune],
                ..all.clone()
            },
        ];
        for filter in plans {
            let (sql, args) = event_query(&filter);
            let plan: Vec<String> = db.with_conn(|c| {
                let mut stmt = c.prepare(&format!("EXPLAIN QUERY PLAN {sql}")).unwrap();
                stmt.query_map(rusqlite::params_from_iter(args), |r| r.get::<_, String>(3))
                    .unwrap()
                    .collect::<rusqlite::Result<_>>()
                    .unwrap()
            });
            let plan = plan.join("; ");
            assert!(!plan.contains("TEMP B-TREE"), "{sql}: {plan}");
            assert!(plan.contains("INDEX events_"), "{sql}: {plan}");
        }
    }

    #[test]
    fn migrations_run_once_and_newer_schemas_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.db");
        let db = Db::open(&path).unwrap();
        assert_eq!(db.schema_version().unwrap(), SCHEMA_VERSION);
        drop(db);
        let db = Db::open(&path).unwrap();
        db.with_conn(|c| c.pragma_update(None, "user_version", 99))
            .unwrap();
        drop(db);
        let err = Db::open(&path).err().unwrap();
        assert!(err.to_string().contains("newer mcp-auth"), "{err}");
    }

    #[test]
    fn credentials_move_to_the_table_keyed_by_name_with_every_column() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.db");
        let c = sample("gh");
        let mut server = sample("mcp");
        server.origin = Origin::McpServer {
            server_url: "https://mcp.example.com/mcp".into(),
        };
        server.last_error = Some("invalid_grant".into());
        {
            // A database as the previous version left it.
            let conn = Connection::open(&path).unwrap();
            for sql in &MIGRATIONS[..4] {
                conn.execute_batch(sql).unwrap();
            }
            conn.pragma_update(None, "user_version", 4).unwrap();
            upsert_in(&conn, &c).unwrap();
            upsert_in(&conn, &server).unwrap();
            conn.execute(
                "UPDATE credentials SET allowed_origins = 'https://api.github.com' WHERE name = 'gh'",
                [],
            )
            .unwrap();
        }
        let db = Db::open(&path).unwrap();
        assert_eq!(db.schema_version().unwrap(), SCHEMA_VERSION);
        assert_eq!(db.get("gh").unwrap().unwrap(), c);
        assert_eq!(db.get("mcp").unwrap().unwrap(), server);
        assert_eq!(
            db.allowed_origins(Holder::Token, "gh").unwrap().unwrap(),
            ["https://api.github.com"]
        );
        assert_eq!(
            db.find_by_server("https://mcp.example.com/mcp").unwrap(),
            vec![server]
        );
        let (rowid, plan): (bool, String) = db.with_conn(|conn| {
            let rowid = conn.prepare("SELECT rowid FROM credentials").is_ok();
            let plan = conn
                .query_row(
                    "EXPLAIN QUERY PLAN SELECT name FROM credentials \
                     WHERE origin_kind = 'mcp_server' AND origin = 'x'",
                    [],
                    |r| r.get(3),
                )
                .unwrap();
            (rowid, plan)
        });
        assert!(!rowid, "the credentials table still has a rowid");
        assert!(plan.contains("INDEX credentials_origin"), "{plan}");
        assert_eq!(db.integrity_check().unwrap(), "ok");
    }

    #[test]
    fn prune_deletes_nothing_when_its_second_look_disagrees_with_its_choice() {
        // The rows are chosen, then deleted by asking again; a choice that
        // changed in between must not delete a different set.
        let (_d, db) = open();
        for name in ["a", "b", "c"] {
            db.upsert(&sample(name)).unwrap();
        }
        let calls = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let fickle = {
            let calls = calls.clone();
            move |_: &Lifecycle| calls.fetch_add(1, std::sync::atomic::Ordering::Relaxed) < 4
        };
        let err = db
            .prune_select(fickle, false, true, "credential/", 10)
            .unwrap_err();
        assert!(err.to_string().contains("nothing was deleted"), "{err}");
        assert_eq!(db.list().unwrap().len(), 3);
        assert!(db.journal_older_than(i64::MAX).unwrap().is_empty());
        // The choice itself, asked the same twice, deletes exactly it.
        let (examined, selected) = db
            .prune_select(
                |l| l.status_changed_at == 100,
                false,
                true,
                "credential/",
                10,
            )
            .unwrap();
        assert_eq!((examined, selected), (3, 3));
        assert!(db.list().unwrap().is_empty());
    }

    #[test]
    fn a_corrupt_file_is_a_clear_error() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.db");
        std::fs::write(&path, vec![0x42u8; 8192]).unwrap();
        let err = Db::open(&path).err().unwrap();
        assert!(err.to_string().contains("not a valid database"), "{err}");
        assert_eq!(err.exit_code(), crate::error::exit::STORAGE);
    }

    #[test]
    fn many_first_opens_of_a_new_database_at_once_all_succeed() {
        // Regression: switching a new file to WAL answered "busy" at once
        // to a second opener, failing the first commands of a fresh install.
        for _ in 0..20 {
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join("t.db");
            std::thread::scope(|s| {
                for _ in 0..6 {
                    s.spawn(|| Db::open(&path).unwrap().upsert(&sample("x")).unwrap());
                }
            });
        }
    }

    #[test]
    fn data_version_moves_only_for_other_connections() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.db");
        let mine = Db::open(&path).unwrap();
        let other = Db::open(&path).unwrap();
        let v0 = mine.data_version().unwrap();
        mine.upsert(&sample("a")).unwrap();
        assert_eq!(mine.data_version().unwrap(), v0);
        other.upsert(&sample("b")).unwrap();
        assert_ne!(mine.data_version().unwrap(), v0);
    }

    #[test]
    fn registrations_round_trip() {
        let (_d, db) = open();
        let r = Registration {
            issuer: "https://as".into(),
            redirect_uri: "http://127.0.0.1/callback".into(),
            client_id: "dyn-1".into(),
            auth_method: AuthMethod::ClientSecretPost,
            has_secret: true,
            client_secret_expires_at: None,
            registered_at: 5,
            worked_at: None,
        };
        db.put_registration_journaled(&r, "client/https://as/dyn-1")
            .unwrap();
        assert_eq!(
            db.registration("https://as", "http://127.0.0.1/callback")
                .unwrap(),
            Some(r.clone())
        );
        db.mark_registration_worked("https://as", "dyn-1", 9)
            .unwrap();
        assert_eq!(
            db.registration("https://as", "http://127.0.0.1/callback")
                .unwrap()
                .unwrap()
                .worked_at,
            Some(9)
        );
        db.delete_registration("https://as", "http://127.0.0.1/callback")
            .unwrap();
        assert!(
            db.registration("https://as", "http://127.0.0.1/callback")
                .unwrap()
                .is_none()
        );
    }
}
