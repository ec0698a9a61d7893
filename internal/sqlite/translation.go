package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/copydesk/copydesk/internal/copydesk"
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
	var (
		terms   string
		updated int64
	)
	err := db.read.QueryRowContext(ctx, `SELECT terms, updated_at FROM glossaries WHERE customer_id = ?`, customerID).
		Scan(&terms, &updated)
	if errors.Is(err, sql.ErrNoRows) {
		return g, nil
	} else if err != nil {
		return nil, translate(err)
	}
	if err := json.Unmarshal([]byte(terms), &g.Terms); err != nil {
		return nil, fmt.Errorf("sqlite: glossary of %q: %w", customerID, err)
	}
	g.UpdatedAt = decodeTime(updated)
	return g, nil
}

// PutGlossary replaces the customer's glossary, normalized as
// copydesk.Glossary.Prepare says (the result is set on g, UpdatedAt from
// the clock). Returns EINVALID naming the bad term and field.
func (db *DB) PutGlossary(ctx context.Context, g *copydesk.Glossary) error {
	if err := g.Prepare(db.clock.Now()); err != nil {
		return err
	}
	terms, err := json.Marshal(g.Terms)
	if err != nil {
		return fmt.Errorf("sqlite: encode glossary: %w", err)
	}
	return db.writeTx(ctx, func(tx *Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO glossaries (customer_id, terms, updated_at) VALUES (?, ?, ?)
			ON CONFLICT (customer_id) DO UPDATE SET terms = excluded.terms, updated_at = excluded.updated_at`,
			g.CustomerID, string(terms), encodeTime(g.UpdatedAt))
		return translate(err)
	})
}

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

const tmColumns = `customer_id, source_lang, target_lang, context, source, target, origin, model, created_at`

func scanTM(rows *sql.Rows) (copydesk.TMEntry, error) {
	var (
		e       copydesk.TMEntry
		created int64
	)
	err := rows.Scan(&e.CustomerID, &e.SourceLang, &e.TargetLang, &e.Context, &e.Source, &e.Target,
		&e.Origin, &e.Model, &created)
	e.CreatedAt = decodeTime(created)
	return e, err
}

// LookupTM returns the stored translation of each of q.Sources found, keyed
// by source text, in one query: the hashes go in as one JSON array, so no
// parameter limit applies. An entry of q.Context wins over one of context
// "". Returns EINVALID as copydesk.TMLookup.Prepare says.
func (db *DB) LookupTM(ctx context.Context, q copydesk.TMLookup) (map[string]copydesk.TMEntry, error) {
	if err := q.Prepare(); err != nil {
		return nil, err
	}
	found := make(map[string]copydesk.TMEntry)
	list := q.SourceHashes()
	if len(list) == 0 {
		return found, nil
	}
	arg, err := json.Marshal(list)
	if err != nil {
		return nil, fmt.Errorf("sqlite: encode lookup: %w", err)
	}
	rows, err := db.read.QueryContext(ctx, `SELECT `+tmColumns+` FROM translation_memory
		WHERE customer_id = ? AND source_lang = ? AND target_lang = ? AND context IN (?, '')
		AND source_hash IN (SELECT value FROM json_each(?))`,
		q.CustomerID, q.SourceLang, q.TargetLang, q.Context, string(arg))
	if err != nil {
		return nil, translate(err)
	}
	defer rows.Close()
	for rows.Next() {
		e, err := scanTM(rows)
		if err != nil {
			return nil, translate(err)
		}
		have, ok := found[e.Source]
		if copydesk.PickTM(have, ok, e, q.Context) {
			found[e.Source] = e
		}
	}
	return found, translate(rows.Err())
}

// ListTM returns the customer's entries matching f, oldest first (entries
// stored at the same time in the order they were stored), at most f.Limit,
// which defaults to and is capped at copydesk.MaxTMList. Returns EINVALID
// without a customer, for a bad language code or a negative limit.
func (db *DB) ListTM(ctx context.Context, f copydesk.TMFilter) ([]copydesk.TMEntry, error) {
	if err := f.Prepare(); err != nil {
		return nil, err
	}
	rows, err := db.read.QueryContext(ctx, `SELECT `+tmColumns+` FROM translation_memory
		WHERE customer_id = ?1 AND (?2 = '' OR source_lang = ?2) AND (?3 = '' OR target_lang = ?3)
		ORDER BY created_at, id LIMIT ?4`, f.CustomerID, f.SourceLang, f.TargetLang, f.Limit)
	if err != nil {
		return nil, translate(err)
	}
	defer rows.Close()
	out := []copydesk.TMEntry{}
	for rows.Next() {
		e, err := scanTM(rows)
		if err != nil {
			return nil, translate(err)
		}
		out = append(out, e)
	}
	return out, translate(rows.Err())
}

// DeleteTM deletes the customer's entries matching f's languages (all of
// them when both are empty; Limit is ignored) and returns how many. Returns
// EINVALID without a customer or for a bad language code.
func (db *DB) DeleteTM(ctx context.Context, f copydesk.TMFilter) (int, error) {
	if err := f.Prepare(); err != nil {
		return 0, err
	}
	var n int
	err := db.writeTx(ctx, func(tx *Tx) (err error) {
		n, err = deleteTM(ctx, tx, f)
		return err
	})
	return n, err
}

func deleteTM(ctx context.Context, tx *Tx, f copydesk.TMFilter) (int, error) {
	res, err := tx.ExecContext(ctx, `DELETE FROM translation_memory
		WHERE customer_id = ?1 AND (?2 = '' OR source_lang = ?2) AND (?3 = '' OR target_lang = ?3)`,
		f.CustomerID, f.SourceLang, f.TargetLang)
	if err != nil {
		return 0, translate(err)
	}
	n, err := res.RowsAffected()
	return int(n), translate(err)
}
