package postgres

import (
	"context"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/copydesk/copydesk/internal/copydesk"
	"github.com/copydesk/copydesk/internal/sqlstore"
)

// The glossary and the translation memory's reads and deletes are
// sqlstore's, shared with SQLite; PutTM is PostgreSQL's own (chunks of
// rows sent as arrays).
var _ copydesk.TranslationStore = (*DB)(nil)

// Chunks of one PutTM: each is one INSERT of at most putTMRows rows and
// about putTMBytes of text (a statement must stay well below PostgreSQL's
// 1 GB message limit, and 10,000 entries may hold 64 KiB each).
const (
	putTMRows  = 1000
	putTMBytes = 16 << 20
)

// upsertTMSQL inserts a chunk as arrays, one row per index, in the order
// given (ORDER BY ord), so that ids follow the batch's order.
const upsertTMSQL = `INSERT INTO translation_memory
	(customer_id, source_lang, target_lang, context, source_hash, source, target, origin, model, created_at)
	SELECT customer_id, source_lang, target_lang, context, source_hash, source, target, origin, model, $10::timestamptz
	FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[])
		WITH ORDINALITY AS t(customer_id, source_lang, target_lang, context, source_hash, source, target, origin, model, ord)
	ORDER BY ord
	ON CONFLICT (source_hash, customer_id, source_lang, target_lang, context) DO UPDATE SET
		source = excluded.source, target = excluded.target, origin = excluded.origin,
		model = excluded.model, created_at = excluded.created_at`

// PutTM stores entries in one transaction, replacing those with the same
// customer, languages, context and source; CreatedAt is the clock's now.
// The entries passed are not modified. Writers of one customer's memory
// take turns (an advisory lock per customer), so that concurrent batches of
// overlapping entries never deadlock. Returns EINVALID naming the index and
// field of a bad entry, and then stores nothing.
func (db *DB) PutTM(ctx context.Context, entries []copydesk.TMEntry) error {
	batch, err := copydesk.PrepareTMBatch(entries, db.now())
	if err != nil || len(batch) == 0 {
		return err
	}
	return db.writeTx(ctx, func(tx pgx.Tx) error { return putTM(ctx, tx, batch) })
}

func putTM(ctx context.Context, tx pgx.Tx, batch []copydesk.TMEntry) error {
	var customers []string
	for _, e := range batch {
		customers = append(customers, e.CustomerID)
	}
	if err := lockTM(ctx, tx, customers...); err != nil {
		return err
	}
	for start := 0; start < len(batch); {
		end, size := start, 0
		for end < len(batch) && end-start < putTMRows && (end == start || size < putTMBytes) {
			size += len(batch[end].Source) + len(batch[end].Target)
			end++
		}
		if err := upsertTM(ctx, tx, batch[start:end], batch[start].CreatedAt); err != nil {
			return err
		}
		start = end
	}
	return nil
}

func upsertTM(ctx context.Context, tx pgx.Tx, chunk []copydesk.TMEntry, created time.Time) error {
	cols := make([][]string, 9)
	for i := range cols {
		cols[i] = make([]string, len(chunk))
	}
	for i, e := range chunk {
		cols[0][i], cols[1][i], cols[2][i], cols[3][i] = e.CustomerID, e.SourceLang, e.TargetLang, e.Context
		cols[4][i], cols[5][i], cols[6][i] = copydesk.TMSourceHash(e.Source), e.Source, e.Target
		cols[7][i], cols[8][i] = e.Origin, e.Model
	}
	_, err := tx.Exec(ctx, upsertTMSQL, cols[0], cols[1], cols[2], cols[3], cols[4], cols[5], cols[6], cols[7], cols[8], created)
	return translate(err)
}

// lockTM takes the transaction's advisory locks on the customers' memories,
// in sorted order so that two writers never wait on each other in a cycle.
func lockTM(ctx context.Context, tx pgx.Tx, customers ...string) error {
	slices.Sort(customers)
	for _, c := range slices.Compact(customers) {
		if err := (dialect{}).Lock(ctx, sharedQ{tx}, sqlstore.TMLockPrefix+c); err != nil {
			return translate(err)
		}
	}
	return nil
}
