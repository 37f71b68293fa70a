-- Other MCP servers a credential serves. A server that names the same
-- authorization server and the same resource (RFC 8707, RFC 9728) as a saved
-- credential shares that credential instead of asking for another login.
-- The issuer and resource are kept so that a credential later replaced by a
-- login for another resource stops being found for this server.
CREATE TABLE credential_servers (
    server_url TEXT PRIMARY KEY NOT NULL,
    credential TEXT NOT NULL,
    issuer     TEXT NOT NULL,
    resource   TEXT NOT NULL,
    added_at   INTEGER NOT NULL
) STRICT;

CREATE INDEX credential_servers_credential ON credential_servers (credential);

-- A deleted credential (revoke, logout, prune) serves no server any more.
CREATE TRIGGER credential_servers_follow_deletes AFTER DELETE ON credentials
BEGIN
    DELETE FROM credential_servers WHERE credential = OLD.name;
END;
