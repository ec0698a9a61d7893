package sqlite

import (
	"context"

	"github.com/copydesk/copydesk/internal/copydesk"
)

// The glossary and the translation memory's reads and deletes are
// sqlstore's, shared with PostgreSQL; PutTM is SQLite's own (one prepared
// statement per entry).
var _ copydesk.TranslationStore = (*DB)(nil)

const upsertTMSQL = `INSERT INTO translation_memory
	(customer_id, source_lang, target_lang, context, source_hash, source, target, origin, model, created_at)
	VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
	ON CONFLICT (source_hash, customer_id, source_lang, target_lang, context) DO UPDATE SET
		source = excluded.source, target = excluded.target, origin = excluded.origin,
		model = excluded.model, created_at = excluded.created_at`

// PutTM stores entries in one transaction, replacing those with the same
// customer, languages, context and source; CreatedAt is the clock's now.
// The entries passed are not modified. Returns EINVALID naming the index
// and field of a bad entry, and then stores nothing.
func (db *DB) PutTM(ctx context.Context, entries []copydesk.TMEntry) error {
	batch, err := copydesk.PrepareTMBatch(entries, db.clock.Now())
	if err != nil || len(batch) == 0 {
		return err
	}
	return db.writeTx(ctx, func(tx *Tx) error { return putTM(ctx, tx, batch) })
}

func putTM(ctx context.Context, tx *Tx, batch []copydesk.TMEntry) error {
	stmt, err := tx.PrepareContext(ctx, upsertTMSQL)
	if err != nil {
		return translate(err)
	}
	defer stmt.Close()
	for _, e := range batch {
		if _, err := stmt.ExecContext(ctx, e.CustomerID, e.SourceLang, e.TargetLang, e.Context,
			copydesk.TMSourceHash(e.Source), e.Source, e.Target, e.Origin, e.Model, encodeTime(e.CreatedAt)); err != nil {
			return translate(err)
		}
	}
	return nil
}
