//! The `credentials` table: one row per credential, keyed by name.

use rusqlite::{Connection, OptionalExtension, Row, params};

use super::journal::journal_in;
use super::{Db, collect, parse_col};
use crate::error::Result;
use crate::model::{AuthMethod, Credential, GrantKind, Origin, Status, Timestamp};

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

pub(super) const CREDENTIAL_COLUMNS: &str = "name, origin_kind, origin, issuer, resource, token_url, \
    revocation_url, client_id, auth_method, grant_kind, subject, username, email, scopes, \
    has_refresh_token, created_at, last_used_at, last_refreshed_at, access_expires_at, \
    refresh_expires_at, status, status_changed_at, last_error, generation";

impl Db {
    /// One credential by name. The statement is kept prepared: the daemon
    /// runs it for every `token` it answers from memory, to check that the
    /// row has not changed, and preparing it each time made the answer
    /// 0.01–0.02 ms slower (of about 0.1 ms, socket round trip included).
    pub fn get(&self, name: &str) -> Result<Option<Credential>> {
        let sql = format!("SELECT {CREDENTIAL_COLUMNS} FROM credentials WHERE name = ?1");
        self.autocommit(|c| {
            Ok(c.prepare_cached(&sql)?
                .query_row([name], row_to_credential)
                .optional()?)
        })
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
        self.autocommit(|conn| {
            let mut stmt = conn.prepare(&sql)?;
            let last = stmt.column_count() - 1;
            let mut rows = stmt.query([])?;
            while let Some(r) = rows.next()? {
                let origins: Option<String> = r.get(last)?;
                let origins = origins
                    .map(|o| o.split_whitespace().map(str::to_string).collect())
                    .unwrap_or_default();
                each(row_to_credential(r)?, origins)?;
            }
            Ok(())
        })
    }

    /// Up to `limit` credential names after `after`, in ascending byte
    /// order.
    pub fn names_page(&self, after: Option<&str>, limit: usize) -> Result<Vec<String>> {
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
        self.autocommit(|conn| {
            let mut stmt = conn.prepare_cached(sql)?;
            collect(stmt.query_map(params![after, limit as i64], |r| r.get(0))?)
        })
    }

    /// Saves a credential after a login. An earlier credential of the same
    /// name is replaced, keeping its creation time.
    pub fn upsert(&self, c: &Credential) -> Result<()> {
        self.autocommit(|conn| Ok(upsert_in(conn, c)?))
    }

    /// Records a successful refresh. Only applies when the row is still at an
    /// older generation, so a slow writer never overwrites newer state;
    /// returns whether the row was updated.
    pub fn record_refresh(&self, name: &str, u: &RefreshUpdate) -> Result<bool> {
        let scopes = u.scopes.as_ref().map(|s| s.join(" "));
        let n = self.autocommit(|c| {
            Ok(c.execute(
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
            )?)
        })?;
        Ok(n == 1)
    }

    pub fn set_status(
        &self,
        name: &str,
        status: Status,
        error: Option<&str>,
        at: Timestamp,
    ) -> Result<()> {
        self.autocommit(|c| {
            c.execute(
                "UPDATE credentials SET last_error = ?3, \
                 status_changed_at = CASE WHEN status = ?2 THEN status_changed_at ELSE ?4 END, \
                 status = ?2 WHERE name = ?1",
                params![name, status.as_str(), error, at],
            )?;
            Ok(())
        })
    }

    pub fn set_last_error(&self, name: &str, error: Option<&str>) -> Result<()> {
        self.autocommit(|c| {
            c.execute(
                "UPDATE credentials SET last_error = ?2 WHERE name = ?1",
                params![name, error],
            )?;
            Ok(())
        })
    }

    pub fn touch_used(&self, name: &str, at: Timestamp) -> Result<()> {
        self.autocommit(|c| {
            c.execute(
                "UPDATE credentials SET last_used_at = ?2 WHERE name = ?1",
                params![name, at],
            )?;
            Ok(())
        })
    }

    /// Saves a credential after a login and drops its journal entry in the
    /// same transaction.
    pub fn upsert_journaled(&self, c: &Credential, journal_key: &str) -> Result<()> {
        self.write(|tx| {
            upsert_in(tx, c)?;
            tx.execute("DELETE FROM secret_journal WHERE key = ?1", [journal_key])?;
            Ok(())
        })
    }

    /// Deletes a credential's row and journals the deletion of its secret in
    /// one transaction.
    pub fn delete_journaled(&self, name: &str, journal_key: &str, at: Timestamp) -> Result<bool> {
        self.write(|tx| {
            let n = tx.execute("DELETE FROM credentials WHERE name = ?1", [name])?;
            super::credential_servers::forget_servers_of(tx, name)?;
            journal_in(tx, journal_key, name, at)?;
            Ok(n == 1)
        })
    }
}

pub(super) fn upsert_in(conn: &Connection, c: &Credential) -> rusqlite::Result<()> {
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

pub(super) fn row_to_credential(r: &Row) -> rusqlite::Result<Credential> {
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
