//! The `credential_servers` table: MCP servers that use a credential saved
//! for another server of the same authorization server and resource.

use rusqlite::{Connection, params};

use super::credentials::{CREDENTIAL_COLUMNS, row_to_credential};
use super::{Db, collect};
use crate::error::{Error, Result};
use crate::model::{Credential, Timestamp};

impl Db {
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
        self.autocommit(|conn| {
            let mut stmt = conn.prepare(&sql)?;
            collect(stmt.query_map([server_url], row_to_credential)?)
        })
    }

    /// Active MCP server credentials issued by `issuer` for `resource`,
    /// newest first: the ones another server of that resource may share.
    pub fn find_shared(&self, issuer: &str, resource: &str) -> Result<Vec<Credential>> {
        let sql = format!(
            "SELECT {CREDENTIAL_COLUMNS} FROM credentials \
             WHERE origin_kind = 'mcp_server' AND issuer = ?1 AND resource = ?2 \
             AND status = 'active' ORDER BY created_at DESC"
        );
        self.autocommit(|conn| {
            let mut stmt = conn.prepare(&sql)?;
            collect(stmt.query_map([issuer, resource], row_to_credential)?)
        })
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
        self.autocommit(|conn| {
            conn.execute(
                "INSERT INTO credential_servers (server_url, credential, issuer, resource, added_at) \
                 VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (server_url) DO UPDATE SET \
                 credential = excluded.credential, issuer = excluded.issuer, \
                 resource = excluded.resource, added_at = excluded.added_at",
                params![server_url, c.name, issuer, resource, at],
            )?;
            Ok(())
        })
    }
}

/// Forgets the servers that shared credential `name`, deleted in the same
/// transaction (see migration 007 for why this is not a trigger).
pub(super) fn forget_servers_of(conn: &Connection, name: &str) -> rusqlite::Result<()> {
    conn.execute(
        "DELETE FROM credential_servers WHERE credential = ?1",
        [name],
    )?;
    Ok(())
}

/// Forgets the servers of every credential that is gone: after a prune,
/// one statement over this small table instead of one per deleted row.
pub(super) fn forget_servers_of_deleted(conn: &Connection) -> rusqlite::Result<()> {
    conn.execute(
        "DELETE FROM credential_servers WHERE NOT EXISTS \
         (SELECT 1 FROM credentials c WHERE c.name = credential_servers.credential)",
        [],
    )?;
    Ok(())
}
