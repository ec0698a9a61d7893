-- Claims on cache keys: the instance holding a key's claim computes its
-- answer; other instances wait for the answer in the shared cache instead
-- of calling the provider again. A claim past expires_at is free.
CREATE TABLE cache_claims (
    key        TEXT PRIMARY KEY,
    expires_at TIMESTAMPTZ NOT NULL
);
