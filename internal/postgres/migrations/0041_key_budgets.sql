-- Virtual keys: an API key may have a monthly budget (a budgets row whose
-- user_id holds the key's ID, key_…) and a rate limit of its own. A
-- reservation of a call made with such a key also holds its amount on the
-- key's budget (on_key).
ALTER TABLE reservations ADD COLUMN key_id text NOT NULL DEFAULT '';
ALTER TABLE reservations ADD COLUMN on_key boolean NOT NULL DEFAULT false;
ALTER TABLE api_keys ADD COLUMN rate_per_minute integer NOT NULL DEFAULT 0;
ALTER TABLE api_keys ADD COLUMN rate_burst integer NOT NULL DEFAULT 0;
