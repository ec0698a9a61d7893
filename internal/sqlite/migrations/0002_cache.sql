-- The L2 cache: finished, validated answers by content-addressed key.
CREATE TABLE cache_entries (
	key         TEXT PRIMARY KEY,
	customer_id TEXT NOT NULL DEFAULT '',
	kind        TEXT NOT NULL,
	tier        TEXT NOT NULL,
	value       BLOB NOT NULL,
	expires_at  INTEGER NOT NULL,
	created_at  INTEGER NOT NULL,
	cost_micros INTEGER NOT NULL DEFAULT 0
);

CREATE INDEX cache_entries_expires_at_idx ON cache_entries (expires_at);
CREATE INDEX cache_entries_customer_id_idx ON cache_entries (customer_id);
CREATE INDEX cache_entries_kind_idx ON cache_entries (kind);
CREATE INDEX cache_entries_tier_idx ON cache_entries (tier);
