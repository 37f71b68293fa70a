-- Static secrets (API keys) kept in the secret store for `--header
-- 'X-Api-Key: {secret:NAME}'`; this table holds only their metadata.
CREATE TABLE secrets (
    name         TEXT PRIMARY KEY NOT NULL,
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL,
    expires_at   INTEGER,
    last_used_at INTEGER,
    note         TEXT
) STRICT;
