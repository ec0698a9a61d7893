package sqlstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/copydesk/copydesk/internal/copydesk"
)

// GetGlossary returns the customer's glossary; a customer without one has
// an empty glossary with a zero UpdatedAt. Returns EINVALID without a
// customer.
func (s *Store) GetGlossary(ctx context.Context, customerID string) (*copydesk.Glossary, error) {
	if strings.TrimSpace(customerID) == "" {
		return nil, copydesk.Errorf(copydesk.EINVALID, "glossary customer id is required")
	}
	g := &copydesk.Glossary{CustomerID: customerID, Terms: []copydesk.GlossaryTerm{}}
	var terms string
	err := s.read.QueryRow(ctx, `SELECT terms, updated_at FROM glossaries WHERE customer_id = ?`, customerID).
		Scan(&terms, s.dialect.ScanTime(&g.UpdatedAt))
	if errors.Is(err, ErrNoRows) {
		return g, nil
	} else if err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(terms), &g.Terms); err != nil {
		return nil, fmt.Errorf("glossary of %q: %w", customerID, err)
	}
	return g, nil
}

// PutGlossary replaces the customer's glossary, normalized as
// copydesk.Glossary.Prepare says (the result is set on g, UpdatedAt from
// the clock). Returns EINVALID naming the bad term and field.
func (s *Store) PutGlossary(ctx context.Context, g *copydesk.Glossary) error {
	if err := g.Prepare(s.clock()); err != nil {
		return err
	}
	terms, err := json.Marshal(g.Terms)
	if err != nil {
		return fmt.Errorf("encode glossary: %w", err)
	}
	return s.write(ctx, func(q Querier) error {
		_, err := q.Exec(ctx, `INSERT INTO glossaries (customer_id, terms, updated_at) VALUES (?, ?, ?)
			ON CONFLICT (customer_id) DO UPDATE SET terms = excluded.terms, updated_at = excluded.updated_at`,
			g.CustomerID, string(terms), s.dialect.Time(g.UpdatedAt))
		return err
	})
}

// TMLockPrefix names the lock a writer of one customer's translation
// memory holds (see Dialect.Lock), so that concurrent batches of
// overlapping entries never deadlock.
const TMLockPrefix = "copydesk.tm:"

const tmColumns = `customer_id, source_lang, target_lang, context, source, target, origin, model, created_at`

func (s *Store) scanTM(row Row) (copydesk.TMEntry, error) {
	var e copydesk.TMEntry
	err := row.Scan(&e.CustomerID, &e.SourceLang, &e.TargetLang, &e.Context, &e.Source, &e.Target,
		&e.Origin, &e.Model, s.dialect.ScanTime(&e.CreatedAt))
	return e, err
}

// LookupTM returns the stored translation of each of q.Sources found, keyed
// by source text, in one query: the hashes go in as one argument (see
// Dialect.AnyOf), so no parameter limit applies. An entry of q.Context wins
// over one of context "". Returns EINVALID as copydesk.TMLookup.Prepare
// says.
func (s *Store) LookupTM(ctx context.Context, q copydesk.TMLookup) (map[string]copydesk.TMEntry, error) {
	if err := q.Prepare(); err != nil {
		return nil, err
	}
	found := make(map[string]copydesk.TMEntry)
	list := q.SourceHashes()
	if len(list) == 0 {
		return found, nil
	}
	in, arg := s.dialect.AnyOf("source_hash", list)
	entries, err := collect(ctx, s.read, s.scanTM, `SELECT `+tmColumns+` FROM translation_memory
		WHERE customer_id = ? AND source_lang = ? AND target_lang = ? AND context IN (?, '') AND `+in,
		q.CustomerID, q.SourceLang, q.TargetLang, q.Context, arg)
	if err != nil {
		return nil, err
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
func (s *Store) ListTM(ctx context.Context, f copydesk.TMFilter) ([]copydesk.TMEntry, error) {
	if err := f.Prepare(); err != nil {
		return nil, err
	}
	out, err := collect(ctx, s.read, s.scanTM, `SELECT `+tmColumns+` FROM translation_memory
		WHERE customer_id = ? AND (? = '' OR source_lang = ?) AND (? = '' OR target_lang = ?)
		ORDER BY created_at, id LIMIT ?`, f.CustomerID, f.SourceLang, f.SourceLang, f.TargetLang, f.TargetLang, f.Limit)
	if out == nil && err == nil {
		out = []copydesk.TMEntry{}
	}
	return out, err
}

// DeleteTM deletes the customer's entries matching f's languages (all of
// them when both are empty; Limit is ignored) and returns how many. Returns
// EINVALID without a customer or for a bad language code.
func (s *Store) DeleteTM(ctx context.Context, f copydesk.TMFilter) (int, error) {
	if err := f.Prepare(); err != nil {
		return 0, err
	}
	var n int64
	err := s.write(ctx, func(q Querier) (err error) {
		if err := s.dialect.Lock(ctx, q, TMLockPrefix+f.CustomerID); err != nil {
			return err
		}
		n, err = q.Exec(ctx, `DELETE FROM translation_memory
			WHERE customer_id = ? AND (? = '' OR source_lang = ?) AND (? = '' OR target_lang = ?)`,
			f.CustomerID, f.SourceLang, f.SourceLang, f.TargetLang, f.TargetLang)
		return err
	})
	return int(n), err
}
