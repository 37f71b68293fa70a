//! The prune set: a temporary table of this connection holding the names
//! of the credentials a prune chose, so their secrets can be deleted page
//! by page after their rows.

use rusqlite::functions::FunctionFlags;
use rusqlite::{TransactionBehavior, params};

use super::{Db, Fail, collect};
use crate::error::{Error, Result};
use crate::model::{GrantKind, Lifecycle, Renewal, Status, Timestamp};

impl Db {
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
        let setup = conn.execute_batch(
            "PRAGMA temp_store = FILE; \
             CREATE TEMP TABLE IF NOT EXISTS prune_set \
             (name TEXT PRIMARY KEY NOT NULL) WITHOUT ROWID; \
             DELETE FROM temp.prune_set;",
        );
        self.lift(setup.map_err(Fail::from))?;
        let behavior = if dry_run {
            TransactionBehavior::Deferred
        } else {
            TransactionBehavior::Immediate
        };
        self.transaction_on(&mut conn, behavior, |tx| {
            // The choice is made inside SQLite, row by row, by `doomed` in a
            // function of the statement: one INSERT ... SELECT, without a
            // round trip through rusqlite per row (a third of the time at a
            // million).
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
                            renewal: Renewal::of(grant, has_refresh),
                        }))
                    },
                )?;
            }
            const DOOMED: &str = "mcp_auth_doomed(status, status_changed_at, access_expires_at, \
                 refresh_expires_at, has_refresh_token, grant_kind)";
            let result = (|| -> Result<(usize, usize), Fail> {
                let selected = tx.execute(
                    &format!(
                        "INSERT INTO temp.prune_set (name) \
                         SELECT name FROM credentials WHERE {DOOMED}"
                    ),
                    [],
                )?;
                let examined = examined.load(std::sync::atomic::Ordering::Relaxed);
                if dry_run || selected == 0 {
                    return Ok((examined, selected));
                }
                if journal {
                    tx.execute(
                        "INSERT OR REPLACE INTO secret_journal (key, credential, at) \
                         SELECT ?1 || name, name, ?2 FROM temp.prune_set",
                        params![key_prefix, at],
                    )?;
                }
                // The same choice again, in the same write transaction (no
                // other writer) and at the same `at`, so the same rows: asked
                // row by row along the table it is cheaper than a search by
                // name for each one of the prune set. Checked all the same.
                let deleted = tx.execute(&format!("DELETE FROM credentials WHERE {DOOMED}"), [])?;
                if deleted != selected {
                    return Err(Error::Database(format!(
                        "prune chose {selected} credentials and would delete {deleted}; \
                         nothing was deleted"
                    ))
                    .into());
                }
                super::credential_servers::forget_servers_of_deleted(tx)?;
                Ok((examined, selected))
            })();
            tx.remove_function("mcp_auth_doomed", 6)?;
            result
        })
    }

    /// Up to `limit` names of the prune set after `after`, in ascending
    /// byte order.
    pub fn prune_set_page(&self, after: Option<&str>, limit: usize) -> Result<Vec<String>> {
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
        self.autocommit(|conn| {
            let mut stmt = conn.prepare_cached(sql)?;
            collect(stmt.query_map(params![after, limit as i64], |r| r.get(0))?)
        })
    }

    /// Drops the journal entries of the prune set's secrets, once they are
    /// deleted.
    pub fn prune_set_settle(&self, key_prefix: &str) -> Result<()> {
        self.autocommit(|conn| {
            conn.execute(
                "DELETE FROM secret_journal WHERE key IN \
                 (SELECT ?1 || name FROM temp.prune_set)",
                [key_prefix],
            )?;
            Ok(())
        })
    }

    /// Empties the prune set.
    pub fn prune_set_clear(&self) -> Result<()> {
        self.autocommit(|conn| Ok(conn.execute_batch("DROP TABLE IF EXISTS temp.prune_set")?))
    }
}
