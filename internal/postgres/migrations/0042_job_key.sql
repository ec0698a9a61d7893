-- The API key a job was submitted with ('' for none): its model calls count
-- on the key's own budget, when it has one.
ALTER TABLE jobs ADD COLUMN key_id text NOT NULL DEFAULT '';
