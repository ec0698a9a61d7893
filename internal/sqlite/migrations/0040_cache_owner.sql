-- The owning user of a cache entry within its customer ('' when every user
-- of the customer may read it): local analysis reports are read back by key,
-- and a USER may read only its own.
ALTER TABLE cache_entries ADD COLUMN user_id TEXT NOT NULL DEFAULT '';
