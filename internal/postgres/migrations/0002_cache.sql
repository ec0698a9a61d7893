-- The L2 cache: finished, validated answers by content-addressed key.
CREATE TABLE cache_entries (
	key         text PRIMARY KEY,
	customer_id text NOT NULL DEFAULT '',
	kind        text NOT NULL,
	tier        text NOT NULL,
	value       bytea NOT NULL,
	expires_at  timestamptz NOT NULL,
	created_at  timestamptz NOT NULL,
	cost_micros bigint NOT NULL DEFAULT 0
);

CREATE INDEX cache_entries_expires_at_idx ON cache_entries (expires_at);
CREATE INDEX cache_entries_customer_id_idx ON cache_entries (customer_id);
CREATE INDEX cache_entries_kind_idx ON cache_entries (kind);
CREATE INDEX cache_entries_tier_idx ON cache_entries (tier);
