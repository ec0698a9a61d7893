-- A cache claim names the instance holding it, so that only the holder
-- renews or releases it (claims are short leases renewed while computing).
ALTER TABLE cache_claims ADD COLUMN owner text NOT NULL DEFAULT '';
