-- The service tier of a ledger row: 'live' (answered now at the list price)
-- or 'batch' (answered by a provider batch at the batch price).
ALTER TABLE ledger ADD COLUMN tier TEXT NOT NULL DEFAULT 'live';

-- The batch tier's requests, keyed by the hash of provider, model and
-- request (the provider batch's custom id): one row per distinct request,
-- so the same request is never submitted twice.
CREATE TABLE batch_items (
	key            TEXT PRIMARY KEY,
	provider       TEXT NOT NULL,
	model          TEXT NOT NULL,
	kind           TEXT NOT NULL DEFAULT '',
	customer_id    TEXT NOT NULL DEFAULT '',
	user_id        TEXT NOT NULL DEFAULT '',
	key_id         TEXT NOT NULL DEFAULT '',
	job_id         TEXT NOT NULL DEFAULT '',
	request        BLOB NOT NULL,
	reservation_id TEXT NOT NULL DEFAULT '',
	complete_by    INTEGER NOT NULL DEFAULT 0,
	state          TEXT NOT NULL,
	submission_id  TEXT NOT NULL DEFAULT '',
	response       BLOB,
	cost           INTEGER NOT NULL DEFAULT 0,
	error_kind     TEXT NOT NULL DEFAULT '',
	error          TEXT NOT NULL DEFAULT '',
	created_at     INTEGER NOT NULL,
	done_at        INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX batch_items_pending_idx ON batch_items (provider, model, created_at) WHERE state = 'pending';
CREATE INDEX batch_items_submission_idx ON batch_items (submission_id) WHERE submission_id <> '';

-- One provider batch: its items are the batch_items naming it.
CREATE TABLE batch_submissions (
	id           TEXT PRIMARY KEY,
	provider     TEXT NOT NULL,
	model        TEXT NOT NULL,
	provider_id  TEXT NOT NULL DEFAULT '',
	state        TEXT NOT NULL,
	items        INTEGER NOT NULL,
	polls        INTEGER NOT NULL DEFAULT 0,
	next_poll_at INTEGER NOT NULL,
	created_at   INTEGER NOT NULL,
	updated_at   INTEGER NOT NULL
);
CREATE INDEX batch_submissions_due_idx ON batch_submissions (state, next_poll_at);
