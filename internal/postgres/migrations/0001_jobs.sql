-- Jobs and their persisted event log.
CREATE TABLE jobs (
	id            text PRIMARY KEY,
	kind          text NOT NULL,
	customer_id   text NOT NULL DEFAULT '',
	user_id       text NOT NULL DEFAULT '',
	priority      smallint NOT NULL,
	status        text NOT NULL,
	input         bytea,
	result        bytea,
	error_code    text,
	error_message text,
	attempts      integer NOT NULL DEFAULT 0,
	last_seq      bigint NOT NULL DEFAULT 0, -- the seq of the job's last event
	created_at    timestamptz NOT NULL,
	updated_at    timestamptz NOT NULL,
	finished_at   timestamptz
);

CREATE INDEX jobs_created_at_idx ON jobs (created_at DESC, id DESC);
CREATE INDEX jobs_customer_id_idx ON jobs (customer_id, created_at DESC, id DESC);
CREATE INDEX jobs_user_id_idx ON jobs (user_id, created_at DESC, id DESC);
CREATE INDEX jobs_status_idx ON jobs (status, created_at DESC, id DESC);

CREATE TABLE job_events (
	job_id text NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
	seq    bigint NOT NULL,
	type   text NOT NULL,
	data   bytea NOT NULL,
	at     timestamptz NOT NULL,
	PRIMARY KEY (job_id, seq)
);
