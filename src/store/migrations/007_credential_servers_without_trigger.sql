-- The servers that shared a credential go with it, deleted by the
-- statements that delete credentials, in their transaction
-- (store/db/credential_servers.rs), no longer by a trigger: a row trigger
-- runs once for every deleted row, and in a prune of a million credentials
-- it took more time than the deletion itself.
DROP TRIGGER IF EXISTS credential_servers_follow_deletes;
DELETE FROM credential_servers WHERE credential NOT IN (SELECT name FROM credentials);
