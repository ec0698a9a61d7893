package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/copydesk/copydesk/internal/copydesk"
	"github.com/jackc/pgx/v5"
)

var _ copydesk.TranslationStore = (*DB)(nil)

// GetGlossary returns the customer's glossary; a customer without one has
// an empty glossary with a zero UpdatedAt. Returns EINVALID without a
// customer.
func (db *DB) GetGlossary(ctx context.Context, customerID string) (*copydesk.Glossary, error) {
	if strings.TrimSpace(customerID) == "" {
		return nil, copydesk.Errorf(copydesk.EINVALID, "glossary customer id is required")
	}
	g := &copydesk.Glossary{CustomerID: customerID, Terms: []copydesk.GlossaryTerm{}}
	var terms string
	err := db.pool.QueryRow(ctx, `SELECT terms, updated_at FROM glossaries WHERE customer_id = $1`, customerID).
		Scan(&terms, &g.UpdatedAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return g, nil
	} else if err != nil {
		return nil, translate(err)
	}
	if err := json.Unmarshal([]byte(terms), &g.Terms); err != nil {
		return nil, fmt.Errorf("postgres: glossary of %q: %w", customerID, err)
	}
	g.UpdatedAt = g.UpdatedAt.UTC()
	return g, nil
}

// PutGlossary replaces the customer's glossary, normalized as
// copydesk.Glossary.Prepare says (the result is set on g, UpdatedAt from
// the clock in whole microseconds). Returns EINVALID naming the bad term and
// field.
func (db *DB) PutGlossary(ctx context.Context, g *copydesk.Glossary) error {
	if err := g.Prepare(db.now()); err != nil {
		return err
	}
	terms, err := json.Marshal(g.Terms)
	if err != nil {
		return fmt.Errorf("postgres: encode glossary: %w", err)
	}
	// One statement: no explicit transaction needed.
	_, err = db.pool.Exec(ctx, `INSERT INTO glossaries (customer_id, terms, updated_at) VALUES ($1, $2, $3)
		ON CONFLICT (customer_id) DO UPDATE SET terms = excluded.terms, updated_at = excluded.updated_at`,
		g.CustomerID, string(terms), g.UpdatedAt)
	return translate(err)
}

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
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtext($1))`, "copydesk.tm:"+c); err != nil {
			return translate(err)
		}
	}
	return nil
}

const tmColumns = `customer_id, source_lang, target_lang, context, source, target, origin, model, created_at`

func scanTM(row pgx.CollectableRow) (copydesk.TMEntry, error) {
	var e copydesk.TMEntry
	err := row.Scan(&e.CustomerID, &e.SourceLang, &e.TargetLang, &e.Context, &e.Source, &e.Target,
		&e.Origin, &e.Model, &e.CreatedAt)
	e.CreatedAt = e.CreatedAt.UTC()
	return e, err
}

// LookupTM returns the stored translation of each of q.Sources found, keyed
// by source text, in one query (the hashes go in as one array). An entry of
// q.Context wins over one of context "". Returns EINVALID as
// copydesk.TMLookup.Prepare says.
func (db *DB) LookupTM(ctx context.Context, q copydesk.TMLookup) (map[string]copydesk.TMEntry, error) {
	if err := q.Prepare(); err != nil {
		return nil, err
	}
	found := make(map[string]copydesk.TMEntry)
	list := q.SourceHashes()
	if len(list) == 0 {
		return found, nil
	}
	rows, err := db.pool.Query(ctx, `SELECT `+tmColumns+` FROM translation_memory
		WHERE customer_id = $1 AND source_lang = $2 AND target_lang = $3 AND context IN ($4, '')
		AND source_hash = ANY($5::text[])`,
		q.CustomerID, q.SourceLang, q.TargetLang, q.Context, list)
	if err != nil {
		return nil, translate(err)
	}
	entries, err := pgx.CollectRows(rows, scanTM)
	if err != nil {
		return nil, translate(err)
	}
	for _, e := range entries {
		have, ok := found[e.Source]
		if copydesk.PickTM(have, ok, e, q.Context) {
			found[e.Source] = e
		}
	}
	return found, nil
}

// ListTM returns the customer's entries matching f, oldest first (entries
// stored at the same time in the order they were stored), at most f.Limit,
// which defaults to and is capped at copydesk.MaxTMList. Returns EINVALID
// without a customer, for a bad language code or a negative limit.
func (db *DB) ListTM(ctx context.Context, f copydesk.TMFilter) ([]copydesk.TMEntry, error) {
	if err := f.Prepare(); err != nil {
		return nil, err
	}
	rows, err := db.pool.Query(ctx, `SELECT `+tmColumns+` FROM translation_memory
		WHERE customer_id = $1 AND ($2 = '' OR source_lang = $2) AND ($3 = '' OR target_lang = $3)
		ORDER BY created_at, id LIMIT $4`, f.CustomerID, f.SourceLang, f.TargetLang, f.Limit)
	if err != nil {
		return nil, translate(err)
	}
	out, err := pgx.CollectRows(rows, scanTM)
	if err != nil {
		return nil, translate(err)
	}
	if out == nil {
		out = []copydesk.TMEntry{}
	}
	return out, nil
}

// DeleteTM deletes the customer's entries matching f's languages (all of
// them when both are empty; Limit is ignored) and returns how many. Returns
// EINVALID without a customer or for a bad language code.
func (db *DB) DeleteTM(ctx context.Context, f copydesk.TMFilter) (int, error) {
	if err := f.Prepare(); err != nil {
		return 0, err
	}
	var n int
	err := db.writeTx(ctx, func(tx pgx.Tx) (err error) {
		n, err = deleteTM(ctx, tx, f)
		return err
	})
	return n, err
}

func deleteTM(ctx context.Context, tx pgx.Tx, f copydesk.TMFilter) (int, error) {
	if err := lockTM(ctx, tx, f.CustomerID); err != nil {
		return 0, err
	}
	tag, err := tx.Exec(ctx, `DELETE FROM translation_memory
		WHERE customer_id = $1 AND ($2 = '' OR source_lang = $2) AND ($3 = '' OR target_lang = $3)`,
		f.CustomerID, f.SourceLang, f.TargetLang)
	if err != nil {
		return 0, translate(err)
	}
	return int(tag.RowsAffected()), nil
}
