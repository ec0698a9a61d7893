-- The API key a ledger row's call was made with ('' for a browser session
-- or an internal call), so that usage can be reported per key.
ALTER TABLE ledger ADD COLUMN key_id TEXT NOT NULL DEFAULT '';
