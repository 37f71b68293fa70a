-- When a cached client registration last got tokens. A registration that
-- never worked (or was made moments ago) is never dropped as stale on an
-- invalid_client answer: only one the server knew and then forgot is.
ALTER TABLE registrations ADD COLUMN worked_at INTEGER;
