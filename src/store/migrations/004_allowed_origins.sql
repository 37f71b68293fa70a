-- The origins (scheme://host[:port], space separated) a credential's token
-- or a static secret may be sent to by the bridge. Not `origin`: that
-- column already names where a credential came from. Rows from before this
-- migration start with none: the bridge refuses them until one is added.
ALTER TABLE credentials ADD COLUMN allowed_origins TEXT NOT NULL DEFAULT '';
ALTER TABLE secrets ADD COLUMN allowed_origins TEXT NOT NULL DEFAULT '';
