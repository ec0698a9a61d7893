package sqlite

import (
	"context"
	"time"

	"github.com/copydesk/copydesk/internal/copydesk"
	"github.com/copydesk/copydesk/internal/sqlstore"
)

var _ copydesk.LedgerStore = (*DB)(nil)

func insertLedger(ctx context.Context, tx *Tx, e *copydesk.LedgerEntry) error {
	return sqlstore.InsertLedger(ctx, txQuerier{tx}, dialect{}, e)
}

// AppendLedger appends a ledger row without a reservation. See
// copydesk.LedgerStore.
func (db *DB) AppendLedger(ctx context.Context, e *copydesk.LedgerEntry) error {
	if err := e.Prepare(db.clock.Now()); err != nil {
		return err
	}
	return sqlstore.CountRows(&db.counts.ledgerRows, 1, db.batched(ctx, func(ctx context.Context, tx *Tx) error { return insertLedger(ctx, tx, e) }))
}

// FindLedger returns the rows matching filter in time order.
func (db *DB) FindLedger(ctx context.Context, f copydesk.UsageFilter) ([]*copydesk.LedgerEntry, error) {
	if err := f.Validate(); err != nil {
		return nil, err
	}
	rows, err := db.read.QueryContext(ctx, `SELECT id, customer_id, user_id, key_id, kind, job_id, provider, model,
		input_tokens, output_tokens, cached_tokens, cost, saved, cache_hit, latency_ns, reservation_id, at, calls, tier
		FROM ledger WHERE at >= ?1 AND at < ?2 AND (?3 = '' OR customer_id = ?3) AND (?4 = '' OR user_id = ?4)
		ORDER BY at, id`, encodeTime(f.From), encodeTime(f.To), f.CustomerID, f.UserID)
	if err != nil {
		return nil, translate(err)
	}
	defer rows.Close()
	var out []*copydesk.LedgerEntry
	for rows.Next() {
		var e copydesk.LedgerEntry
		var latency, at int64
		if err := rows.Scan(&e.ID, &e.CustomerID, &e.UserID, &e.KeyID, &e.Kind, &e.JobID, &e.Provider, &e.Model,
			&e.InputTokens, &e.OutputTokens, &e.CachedTokens, &e.Cost, &e.Saved, &e.CacheHit, &latency,
			&e.ReservationID, &at, &e.Count, &e.Tier); err != nil {
			return nil, translate(err)
		}
		e.Latency, e.At = time.Duration(latency), decodeTime(at)
		out = append(out, &e)
	}
	return out, translate(rows.Err())
}

// UsageReport sums the ledger by day (UTC), customer, user, API key, model and kind.
func (db *DB) UsageReport(ctx context.Context, f copydesk.UsageFilter) (*copydesk.UsageReport, error) {
	if err := f.Validate(); err != nil {
		return nil, err
	}
	rows, err := db.read.QueryContext(ctx, `SELECT strftime('%Y-%m-%d', at / 1000000000, 'unixepoch') AS day,
		customer_id, user_id, key_id, model, kind, SUM(calls), SUM(cache_hit * calls), SUM(input_tokens), SUM(output_tokens),
		SUM(cached_tokens), SUM(cost), SUM(saved)
		FROM ledger WHERE at >= ?1 AND at < ?2 AND (?3 = '' OR customer_id = ?3) AND (?4 = '' OR user_id = ?4)
		GROUP BY day, customer_id, user_id, key_id, model, kind
		ORDER BY day, customer_id, user_id, key_id, model, kind`, encodeTime(f.From), encodeTime(f.To), f.CustomerID, f.UserID)
	if err != nil {
		return nil, translate(err)
	}
	defer rows.Close()
	rep := &copydesk.UsageReport{From: f.From.UTC(), To: f.To.UTC(), Rows: []copydesk.UsageRow{}}
	for rows.Next() {
		var r copydesk.UsageRow
		if err := rows.Scan(&r.Day, &r.CustomerID, &r.UserID, &r.KeyID, &r.Model, &r.Kind, &r.Calls, &r.CacheHits,
			&r.InputTokens, &r.OutputTokens, &r.CachedTokens, &r.Cost, &r.Saved); err != nil {
			return nil, translate(err)
		}
		rep.Rows = append(rep.Rows, r)
		rep.Totals.Add(r)
	}
	return rep, translate(rows.Err())
}

// AppendLedgers appends rows in one transaction. See copydesk.LedgerStore.
func (db *DB) AppendLedgers(ctx context.Context, entries []*copydesk.LedgerEntry) error {
	now := db.clock.Now()
	for _, e := range entries {
		if err := e.Prepare(now); err != nil {
			return err
		}
	}
	return sqlstore.CountRows(&db.counts.ledgerRows, len(entries), db.batched(ctx, func(ctx context.Context, tx *Tx) error {
		return sqlstore.InsertLedgers(ctx, txQuerier{tx}, dialect{}, entries)
	}))
}

var _ copydesk.CostStore = (*DB)(nil)

// topKindSQL is a ledger row's kind up to its first dot.
const topKindSQL = `CASE WHEN instr(kind, '.') > 0 THEN substr(kind, 1, instr(kind, '.') - 1) ELSE kind END`

// CostByTier sums the ledger by kind and tier. See copydesk.CostStore.
func (db *DB) CostByTier(ctx context.Context, f copydesk.UsageFilter) (*copydesk.CostTiers, error) {
	if err := f.Validate(); err != nil {
		return nil, err
	}
	args := []any{encodeTime(f.From), encodeTime(f.To), f.CustomerID, f.UserID}
	const where = `at >= ?1 AND at < ?2 AND (?3 = '' OR customer_id = ?3) AND (?4 = '' OR user_id = ?4)`
	rows, err := db.read.QueryContext(ctx, `SELECT `+topKindSQL+` AS k, CASE WHEN cache_hit THEN 'cached' ELSE tier END AS t,
		SUM(calls), SUM(cost), SUM(saved) FROM ledger WHERE `+where+` GROUP BY k, t ORDER BY k, t`, args...)
	if err != nil {
		return nil, translate(err)
	}
	defer rows.Close()
	out := &copydesk.CostTiers{Rows: []copydesk.CostTierRow{}, Pages: map[string]int64{}}
	for rows.Next() {
		var r copydesk.CostTierRow
		if err := rows.Scan(&r.Kind, &r.Tier, &r.Calls, &r.Cost, &r.Saved); err != nil {
			return nil, translate(err)
		}
		out.Rows = append(out.Rows, r)
	}
	if err := rows.Err(); err != nil {
		return nil, translate(err)
	}
	pages, err := db.read.QueryContext(ctx, `SELECT `+topKindSQL+` AS k, COUNT(DISTINCT job_id) FROM ledger
		WHERE `+where+` AND job_id <> '' GROUP BY k`, args...)
	if err != nil {
		return nil, translate(err)
	}
	defer pages.Close()
	for pages.Next() {
		var k string
		var n int64
		if err := pages.Scan(&k, &n); err != nil {
			return nil, translate(err)
		}
		out.Pages[k] = n
	}
	return out, translate(pages.Err())
}
