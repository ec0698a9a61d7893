-- Glossaries (one per customer, its terms as JSON) and the translation
-- memory. A memory entry is identified by customer, languages, context and
-- source; the source is indexed by its hex SHA-256 (source_hash), not by its
-- text, which may be long. id orders entries stored at the same time.
CREATE TABLE glossaries (
	customer_id TEXT PRIMARY KEY,
	terms       TEXT NOT NULL,
	updated_at  INTEGER NOT NULL
);

CREATE TABLE translation_memory (
	id          INTEGER PRIMARY KEY,
	customer_id TEXT NOT NULL,
	source_lang TEXT NOT NULL,
	target_lang TEXT NOT NULL,
	context     TEXT NOT NULL DEFAULT '',
	source_hash TEXT NOT NULL,
	source      TEXT NOT NULL,
	target      TEXT NOT NULL,
	origin      TEXT NOT NULL CHECK (origin IN ('model', 'import')),
	model       TEXT NOT NULL DEFAULT '',
	created_at  INTEGER NOT NULL
);
-- The hash first: a lookup asks for a list of hashes, which then is the
-- index condition whatever the planner's statistics (measured on PostgreSQL:
-- with the customer first, a fresh table was scanned whole).
CREATE UNIQUE INDEX translation_memory_key_idx
	ON translation_memory (source_hash, customer_id, source_lang, target_lang, context);
CREATE INDEX translation_memory_list_idx ON translation_memory (customer_id, created_at, id);
