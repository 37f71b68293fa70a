//! The `secret_journal` table: secrets written before the row that owns
//! them, or to be deleted after the row that owned them is gone (see
//! [`crate::store`]), and which rows own a secret.

use rusqlite::{Connection, OptionalExtension, params};

use super::{Db, collect};
use crate::error::Result;
use crate::model::Timestamp;

impl Db {
    /// Every key in the journal, whatever its age.
    pub fn journal_keys(&self) -> Result<Vec<String>> {
        self.autocommit(|conn| {
            let mut stmt = conn.prepare("SELECT key FROM secret_journal")?;
            collect(stmt.query_map([], |r| r.get(0))?)
        })
    }

    pub fn journal_add(&self, key: &str, credential: &str, at: Timestamp) -> Result<()> {
        self.autocommit(|conn| Ok(journal_in(conn, key, credential, at)?))
    }

    pub fn journal_remove(&self, key: &str) -> Result<()> {
        self.autocommit(|conn| {
            conn.execute("DELETE FROM secret_journal WHERE key = ?1", [key])?;
            Ok(())
        })
    }

    /// Journal entries written before `before`: (key, credential).
    pub fn journal_older_than(&self, before: Timestamp) -> Result<Vec<(String, String)>> {
        self.autocommit(|conn| {
            let mut stmt = conn
                .prepare("SELECT key, credential FROM secret_journal WHERE at < ?1 ORDER BY at")?;
            collect(stmt.query_map([before], |r| Ok((r.get(0)?, r.get(1)?)))?)
        })
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
        self.autocommit(|conn| Ok(conn.query_row(sql, [id], |_| Ok(())).optional()?.is_some()))
    }
}

/// Journals `key` (owned by `credential`) on `conn`, inside the caller's
/// transaction when it has one.
pub(super) fn journal_in(
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
