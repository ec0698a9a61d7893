-- Customers, users, API keys and browser sessions.
CREATE TABLE customers (
	id         text PRIMARY KEY,
	name       text NOT NULL,
	created_at timestamptz NOT NULL
);

CREATE TABLE users (
	id            text PRIMARY KEY,
	customer_id   text NOT NULL REFERENCES customers (id),
	email         text NOT NULL UNIQUE,
	name          text NOT NULL DEFAULT '',
	role          text NOT NULL CHECK (role IN ('ADMIN', 'CLIENT', 'USER')),
	password_hash text NOT NULL DEFAULT '',
	disabled      boolean NOT NULL DEFAULT false,
	created_at    timestamptz NOT NULL
);
CREATE INDEX users_customer_id_idx ON users (customer_id);

-- hash is SHA-256 of the whole key; the key itself is never stored.
CREATE TABLE api_keys (
	id          text PRIMARY KEY,
	customer_id text NOT NULL REFERENCES customers (id),
	user_id     text NOT NULL REFERENCES users (id),
	name        text NOT NULL DEFAULT '',
	prefix      text NOT NULL UNIQUE,
	hash        bytea NOT NULL,
	scopes      text NOT NULL DEFAULT '',
	expires_at  timestamptz,
	revoked_at  timestamptz,
	created_at  timestamptz NOT NULL
);
CREATE INDEX api_keys_customer_id_idx ON api_keys (customer_id);

CREATE TABLE sessions (
	id          text PRIMARY KEY,
	user_id     text NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	customer_id text NOT NULL,
	hash        bytea NOT NULL UNIQUE,
	csrf_token  text NOT NULL,
	expires_at  timestamptz NOT NULL,
	created_at  timestamptz NOT NULL
);
CREATE INDEX sessions_expires_at_idx ON sessions (expires_at);

-- Monthly budgets of customers (user_id '') and users. spent and raised are of period.
CREATE TABLE budgets (
	customer_id     text NOT NULL REFERENCES customers (id),
	user_id         text NOT NULL DEFAULT '',
	limit_micros    bigint NOT NULL CHECK (limit_micros >= 0),
	alert_percent   integer NOT NULL,
	warning_percent integer NOT NULL,
	period          text NOT NULL,
	spent           bigint NOT NULL DEFAULT 0,
	reserved        bigint NOT NULL DEFAULT 0 CHECK (reserved >= 0),
	raised          integer NOT NULL DEFAULT 0, -- bit set: 1<<threshold raised in period
	updated_at      timestamptz NOT NULL,
	PRIMARY KEY (customer_id, user_id)
);

-- Reservations of calls in flight; on_customer/on_user say which budgets
-- hold the amount. An expired reservation (its call presumed crashed) holds
-- nothing but is kept a while so that a late settlement is still charged.
CREATE TABLE reservations (
	id          text PRIMARY KEY,
	customer_id text NOT NULL,
	user_id     text NOT NULL DEFAULT '',
	amount      bigint NOT NULL CHECK (amount >= 0),
	on_customer boolean NOT NULL,
	on_user     boolean NOT NULL,
	created_at  timestamptz NOT NULL,
	expired_at  timestamptz
);
CREATE INDEX reservations_created_at_idx ON reservations (created_at);

-- The cost ledger: one immutable row per provider call or cache hit.
CREATE TABLE ledger (
	id             text PRIMARY KEY,
	customer_id    text NOT NULL,
	user_id        text NOT NULL DEFAULT '',
	kind           text NOT NULL DEFAULT '',
	job_id         text NOT NULL DEFAULT '',
	provider       text NOT NULL DEFAULT '',
	model          text NOT NULL DEFAULT '',
	input_tokens   bigint NOT NULL,
	output_tokens  bigint NOT NULL,
	cached_tokens  bigint NOT NULL,
	cost           bigint NOT NULL,
	saved          bigint NOT NULL,
	cache_hit      boolean NOT NULL,
	latency_ns     bigint NOT NULL,
	reservation_id text NOT NULL DEFAULT '',
	at             timestamptz NOT NULL
);
CREATE INDEX ledger_customer_at_idx ON ledger (customer_id, at);
CREATE INDEX ledger_at_idx ON ledger (at);

CREATE FUNCTION ledger_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	RAISE EXCEPTION 'ledger rows are immutable';
END;
$$;
CREATE TRIGGER ledger_no_update BEFORE UPDATE OR DELETE ON ledger
	FOR EACH ROW EXECUTE FUNCTION ledger_immutable();
