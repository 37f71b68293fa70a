-- Credentials keyed by their name alone. A rowid table with a TEXT primary
-- key is two b-trees (the rows, and an index from name to rowid); every
-- look-up by name went through both, and every write or deletion changed
-- both. WITHOUT ROWID keeps the rows in the name's b-tree itself.
-- https://www.sqlite.org/withoutrowid.html (section 4: when to use it)
-- `tokens prune` of a million dead credentials spent most of its time
-- deleting rows from these b-trees (the database of a million: 167 MB
-- before, 146 MB after).
--
-- The index by origin serves one query, the credentials saved for an MCP
-- server (`origin_kind = 'mcp_server' AND origin = ?`), so it now holds
-- only those rows: provider credentials cost it nothing to write or
-- delete. https://www.sqlite.org/partialindex.html
--
-- The table is rebuilt as SQLite documents for changes ALTER TABLE cannot
-- make: https://www.sqlite.org/lang_altertable.html#otheralter
-- No foreign key or view refers to it; its one trigger (005) goes with the
-- old table and is created again at the end.
CREATE TABLE credentials_new (
    name               TEXT PRIMARY KEY NOT NULL,
    origin_kind        TEXT NOT NULL CHECK (origin_kind IN ('provider', 'mcp_server')),
    origin             TEXT NOT NULL,            -- provider name or MCP server URL
    issuer             TEXT,
    resource           TEXT,
    token_url          TEXT NOT NULL,
    revocation_url     TEXT,
    client_id          TEXT NOT NULL,
    auth_method        TEXT NOT NULL,
    grant_kind         TEXT NOT NULL,
    subject            TEXT,
    username           TEXT,
    email              TEXT,
    scopes             TEXT NOT NULL DEFAULT '', -- space separated, as granted
    has_refresh_token  INTEGER NOT NULL DEFAULT 0,
    created_at         INTEGER NOT NULL,
    last_used_at       INTEGER,
    last_refreshed_at  INTEGER,
    access_expires_at  INTEGER,
    refresh_expires_at INTEGER,
    status             TEXT NOT NULL DEFAULT 'active',
    status_changed_at  INTEGER NOT NULL,
    last_error         TEXT,
    generation         INTEGER NOT NULL DEFAULT 0,
    -- See 004_allowed_origins.sql.
    allowed_origins    TEXT NOT NULL DEFAULT ''
) STRICT, WITHOUT ROWID;

INSERT INTO credentials_new (name, origin_kind, origin, issuer, resource, token_url,
    revocation_url, client_id, auth_method, grant_kind, subject, username, email, scopes,
    has_refresh_token, created_at, last_used_at, last_refreshed_at, access_expires_at,
    refresh_expires_at, status, status_changed_at, last_error, generation, allowed_origins)
SELECT name, origin_kind, origin, issuer, resource, token_url,
    revocation_url, client_id, auth_method, grant_kind, subject, username, email, scopes,
    has_refresh_token, created_at, last_used_at, last_refreshed_at, access_expires_at,
    refresh_expires_at, status, status_changed_at, last_error, generation, allowed_origins
FROM credentials;

DROP TABLE credentials;
ALTER TABLE credentials_new RENAME TO credentials;
CREATE INDEX credentials_origin ON credentials (origin) WHERE origin_kind = 'mcp_server';

-- As in 005_credential_servers.sql: a deleted credential serves no server.
CREATE TRIGGER credential_servers_follow_deletes AFTER DELETE ON credentials
BEGIN
    DELETE FROM credential_servers WHERE credential = OLD.name;
END;
