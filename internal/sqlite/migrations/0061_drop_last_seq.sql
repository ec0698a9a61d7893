-- An event's seq is now the job's last event's plus one, read from the
-- end of the job_events primary key in the statement that inserts it: the
-- jobs row is no longer rewritten for every event, and last_seq is unused.
ALTER TABLE jobs DROP COLUMN last_seq;
