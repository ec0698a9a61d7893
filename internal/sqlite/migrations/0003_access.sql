-- Customers, users, API keys and browser sessions.
CREATE TABLE customers (
	id         TEXT PRIMARY KEY,
	name       TEXT NOT NULL,
	created_at INTEGER NOT NULL
);

CREATE TABLE users (
	id            TEXT PRIMARY KEY,
	customer_id   TEXT NOT NULL REFERENCES customers (id),
	email         TEXT NOT NULL UNIQUE,
	name          TEXT NOT NULL DEFAULT '',
	role          TEXT NOT NULL CHECK (role IN ('ADMIN', 'CLIENT', 'USER')),
	password_hash TEXT NOT NULL DEFAULT '',
	disabled      INTEGER NOT NULL DEFAULT 0,
	created_at    INTEGER NOT NULL
);
CREATE INDEX users_customer_id_idx ON users (customer_id);

-- hash is SHA-256 of the whole key; the key itself is never stored.
CREATE TABLE api_keys (
	id          TEXT PRIMARY KEY,
	customer_id TEXT NOT NULL REFERENCES customers (id),
	user_id     TEXT NOT NULL REFERENCES users (id),
	name        TEXT NOT NULL DEFAULT '',
	prefix      TEXT NOT NULL UNIQUE,
	hash        BLOB NOT NULL,
	scopes      TEXT NOT NULL DEFAULT '',
	expires_at  INTEGER,
	revoked_at  INTEGER,
	created_at  INTEGER NOT NULL
);
CREATE INDEX api_keys_customer_id_idx ON api_keys (customer_id);

CREATE TABLE sessions (
	id          TEXT PRIMARY KEY,
	user_id     TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	customer_id TEXT NOT NULL,
	hash        BLOB NOT NULL UNIQUE,
	csrf_token  TEXT NOT NULL,
	expires_at  INTEGER NOT NULL,
	created_at  INTEGER NOT NULL
);
CREATE INDEX sessions_expires_at_idx ON sessions (expires_at);

-- Monthly budgets of customers (user_id '') and users. spent and raised are of period.
CREATE TABLE budgets (
	customer_id     TEXT NOT NULL REFERENCES customers (id),
	user_id         TEXT NOT NULL DEFAULT '',
	limit_micros    INTEGER NOT NULL CHECK (limit_micros >= 0),
	alert_percent   INTEGER NOT NULL,
	warning_percent INTEGER NOT NULL,
	period          TEXT NOT NULL,
	spent           INTEGER NOT NULL DEFAULT 0,
	reserved        INTEGER NOT NULL DEFAULT 0 CHECK (reserved >= 0),
	raised          INTEGER NOT NULL DEFAULT 0, -- bit set: 1<<threshold raised in period
	updated_at      INTEGER NOT NULL,
	PRIMARY KEY (customer_id, user_id)
);

-- Reservations of calls in flight; on_customer/on_user say which budgets
-- hold the amount. An expired reservation (its call presumed crashed) holds
-- nothing but is kept a while so that a late settlement is still charged.
CREATE TABLE reservations (
	id          TEXT PRIMARY KEY,
	customer_id TEXT NOT NULL,
	user_id     TEXT NOT NULL DEFAULT '',
	amount      INTEGER NOT NULL CHECK (amount >= 0),
	on_customer INTEGER NOT NULL,
	on_user     INTEGER NOT NULL,
	created_at  INTEGER NOT NULL,
	expired_at  INTEGER
);
CREATE INDEX reservations_created_at_idx ON reservations (created_at);

-- The cost ledger: one immutable row per provider call or cache hit.
CREATE TABLE ledger (
	id             TEXT PRIMARY KEY,
	customer_id    TEXT NOT NULL,
	user_id        TEXT NOT NULL DEFAULT '',
	kind           TEXT NOT NULL DEFAULT '',
	job_id         TEXT NOT NULL DEFAULT '',
	provider       TEXT NOT NULL DEFAULT '',
	model          TEXT NOT NULL DEFAULT '',
	input_tokens   INTEGER NOT NULL,
	output_tokens  INTEGER NOT NULL,
	cached_tokens  INTEGER NOT NULL,
	cost           INTEGER NOT NULL,
	saved          INTEGER NOT NULL,
	cache_hit      INTEGER NOT NULL,
	latency_ns     INTEGER NOT NULL,
	reservation_id TEXT NOT NULL DEFAULT '',
	at             INTEGER NOT NULL
);
CREATE INDEX ledger_customer_at_idx ON ledger (customer_id, at);
CREATE INDEX ledger_at_idx ON ledger (at);

CREATE TRIGGER ledger_no_update BEFORE UPDATE ON ledger
BEGIN
	SELECT RAISE(ABORT, 'ledger rows are immutable');
END;
CREATE TRIGGER ledger_no_delete BEFORE DELETE ON ledger
BEGIN
	SELECT RAISE(ABORT, 'ledger rows are immutable');
END;
