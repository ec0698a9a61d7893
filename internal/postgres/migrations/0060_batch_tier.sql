-- The service tier of a ledger row: 'live' (answered now at the list price)
-- or 'batch' (answered by a provider batch at the batch price).
ALTER TABLE ledger ADD COLUMN tier text NOT NULL DEFAULT 'live';

-- The batch tier's requests, keyed by the hash of provider, model and
-- request (the provider batch's custom id): one row per distinct request,
-- so the same request is never submitted twice.
CREATE TABLE batch_items (
	key            text PRIMARY KEY,
	provider       text NOT NULL,
	model          text NOT NULL,
	kind           text NOT NULL DEFAULT '',
	customer_id    text NOT NULL DEFAULT '',
	user_id        text NOT NULL DEFAULT '',
	key_id         text NOT NULL DEFAULT '',
	job_id         text NOT NULL DEFAULT '',
	request        bytea NOT NULL,
	reservation_id text NOT NULL DEFAULT '',
	complete_by    timestamptz,
	state          text NOT NULL,
	submission_id  text NOT NULL DEFAULT '',
	response       bytea,
	cost           bigint NOT NULL DEFAULT 0,
	error_kind     text NOT NULL DEFAULT '',
	error          text NOT NULL DEFAULT '',
	created_at     timestamptz NOT NULL,
	done_at        timestamptz
);
CREATE INDEX batch_items_pending_idx ON batch_items (provider, model, created_at) WHERE state = 'pending';
CREATE INDEX batch_items_submission_idx ON batch_items (submission_id) WHERE submission_id <> '';

-- One provider batch: its items are the batch_items naming it.
CREATE TABLE batch_submissions (
	id           text PRIMARY KEY,
	provider     text NOT NULL,
	model        text NOT NULL,
	provider_id  text NOT NULL DEFAULT '',
	state        text NOT NULL,
	items        bigint NOT NULL,
	polls        bigint NOT NULL DEFAULT 0,
	next_poll_at timestamptz NOT NULL,
	created_at   timestamptz NOT NULL,
	updated_at   timestamptz NOT NULL
);
CREATE INDEX batch_submissions_due_idx ON batch_submissions (state, next_poll_at);
