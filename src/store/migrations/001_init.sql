-- Metadata only: no secret ever goes into this database.
CREATE TABLE credentials (
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
    generation         INTEGER NOT NULL DEFAULT 0
) STRICT;

CREATE INDEX credentials_origin ON credentials (origin);

-- Dynamic or pre-registered clients, per authorization server, reused by
-- every later login and bridge. The client secret, if any, is in the keyring.
CREATE TABLE registrations (
    issuer                   TEXT NOT NULL,
    redirect_uri             TEXT NOT NULL,
    client_id                TEXT NOT NULL,
    auth_method              TEXT NOT NULL,
    has_secret               INTEGER NOT NULL DEFAULT 0,
    client_secret_expires_at INTEGER,
    registered_at            INTEGER NOT NULL,
    PRIMARY KEY (issuer, redirect_uri)
) STRICT;

CREATE TABLE events (
    id         INTEGER PRIMARY KEY,
    at         INTEGER NOT NULL,
    credential TEXT,
    kind       TEXT NOT NULL,
    detail     TEXT
) STRICT;

CREATE INDEX events_credential_at ON events (credential, at);
CREATE INDEX events_at ON events (at);

-- Secret writes and deletions in progress. A secret is written after its
-- journal entry and the entry is dropped in the same transaction that makes
-- the metadata match, so an entry left behind by a crash names a secret that
-- prune can check and clean.
CREATE TABLE secret_journal (
    key        TEXT PRIMARY KEY NOT NULL,
    credential TEXT NOT NULL,
    at         INTEGER NOT NULL
) STRICT;
