-- Jobs and their persisted event log. Times are UTC Unix nanoseconds.
CREATE TABLE jobs (
	id            TEXT PRIMARY KEY,
	kind          TEXT NOT NULL,
	customer_id   TEXT NOT NULL DEFAULT '',
	user_id       TEXT NOT NULL DEFAULT '',
	priority      INTEGER NOT NULL,
	status        TEXT NOT NULL,
	input         BLOB,
	result        BLOB,
	error_code    TEXT,
	error_message TEXT,
	attempts      INTEGER NOT NULL DEFAULT 0,
	last_seq      INTEGER NOT NULL DEFAULT 0, -- the Seq of the job's last event
	created_at    INTEGER NOT NULL,
	updated_at    INTEGER NOT NULL,
	finished_at   INTEGER
);

CREATE INDEX jobs_created_at_idx ON jobs (created_at DESC, id DESC);
CREATE INDEX jobs_customer_id_idx ON jobs (customer_id, created_at DESC, id DESC);
CREATE INDEX jobs_user_id_idx ON jobs (user_id, created_at DESC, id DESC);
CREATE INDEX jobs_status_idx ON jobs (status, created_at DESC, id DESC);

CREATE TABLE job_events (
	job_id TEXT NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
	seq    INTEGER NOT NULL,
	type   TEXT NOT NULL,
	data   BLOB NOT NULL,
	at     INTEGER NOT NULL,
	PRIMARY KEY (job_id, seq)
) WITHOUT ROWID;
