-- Every cache write updated five indexes. Purges by kind or tier are rare
-- operator actions that may scan the table; the writes are the hot path.
DROP INDEX IF EXISTS cache_entries_kind_idx;
DROP INDEX IF EXISTS cache_entries_tier_idx;
