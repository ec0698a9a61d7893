package postgres

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/copydesk/copydesk/internal/copydesk"
	"github.com/copydesk/copydesk/internal/sqlstore"
	"github.com/jackc/pgx/v5"
)

var _ copydesk.LedgerStore = (*DB)(nil)

// AppendLedger appends a ledger row without a reservation. See
// copydesk.LedgerStore.
func (db *DB) AppendLedger(ctx context.Context, e *copydesk.LedgerEntry) error {
	if err := e.Prepare(db.now()); err != nil {
		return err
	}
	e.At = pgTime(e.At)
	return sqlstore.CountRows(&db.counts.ledgerRows, 1, db.writeTx(ctx, func(tx pgx.Tx) error { return sqlstore.InsertLedger(ctx, sharedQ{tx}, dialect{}, e) }))
}

// FindLedger returns the rows matching filter in time order.
func (db *DB) FindLedger(ctx context.Context, f copydesk.UsageFilter) ([]*copydesk.LedgerEntry, error) {
	if err := f.Validate(); err != nil {
		return nil, err
	}
	rows, err := db.pool.Query(ctx, `SELECT id, customer_id, user_id, key_id, kind, job_id, provider, model,
		input_tokens, output_tokens, cached_tokens, cost, saved, cache_hit, latency_ns, reservation_id, at, calls, tier
		FROM ledger WHERE at >= $1 AND at < $2 AND ($3 = '' OR customer_id = $3) AND ($4 = '' OR user_id = $4)
		ORDER BY at, id`, f.From, f.To, f.CustomerID, f.UserID)
	if err != nil {
		return nil, translate(err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (*copydesk.LedgerEntry, error) {
		var e copydesk.LedgerEntry
		var latency int64
		err := row.Scan(&e.ID, &e.CustomerID, &e.UserID, &e.KeyID, &e.Kind, &e.JobID, &e.Provider, &e.Model,
			&e.InputTokens, &e.OutputTokens, &e.CachedTokens, &e.Cost, &e.Saved, &e.CacheHit, &latency,
			&e.ReservationID, &e.At, &e.Count, &e.Tier)
		e.Latency, e.At = time.Duration(latency), e.At.UTC()
		return &e, err
	})
	return out, translate(err)
}

// UsageReport sums the ledger by day (UTC), customer, user, API key, model and kind.
func (db *DB) UsageReport(ctx context.Context, f copydesk.UsageFilter) (*copydesk.UsageReport, error) {
	if err := f.Validate(); err != nil {
		return nil, err
	}
	rows, err := db.pool.Query(ctx, `SELECT to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS day,
		customer_id, user_id, key_id, model, kind, SUM(calls)::bigint, COALESCE(SUM(calls) FILTER (WHERE cache_hit), 0)::bigint,
		SUM(input_tokens)::bigint, SUM(output_tokens)::bigint, SUM(cached_tokens)::bigint, SUM(cost)::bigint, SUM(saved)::bigint
		FROM ledger WHERE at >= $1 AND at < $2 AND ($3 = '' OR customer_id = $3) AND ($4 = '' OR user_id = $4)
		GROUP BY day, customer_id, user_id, key_id, model, kind
		ORDER BY day, customer_id COLLATE "C", user_id COLLATE "C", key_id COLLATE "C", model COLLATE "C", kind COLLATE "C"`,
		f.From, f.To, f.CustomerID, f.UserID)
	if err != nil {
		return nil, translate(err)
	}
	got, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (copydesk.UsageRow, error) {
		var r copydesk.UsageRow
		err := row.Scan(&r.Day, &r.CustomerID, &r.UserID, &r.KeyID, &r.Model, &r.Kind, &r.Calls, &r.CacheHits,
			&r.InputTokens, &r.OutputTokens, &r.CachedTokens, &r.Cost, &r.Saved)
		return r, err
	})
	if err != nil {
		return nil, translate(err)
	}
	rep := &copydesk.UsageReport{From: f.From.UTC(), To: f.To.UTC(), Rows: got}
	if rep.Rows == nil {
		rep.Rows = []copydesk.UsageRow{}
	}
	for _, r := range rep.Rows {
		rep.Totals.Add(r)
	}
	return rep, nil
}

// AppendLedgers appends rows in one statement, in a transaction shared with
// concurrent writes. See copydesk.LedgerStore.
func (db *DB) AppendLedgers(ctx context.Context, entries []*copydesk.LedgerEntry) error {
	now := db.now()
	for _, e := range entries {
		if err := e.Prepare(now); err != nil {
			return err
		}
		e.At = pgTime(e.At)
	}
	if len(entries) == 0 {
		return nil
	}
	return sqlstore.CountRows(&db.counts.ledgerRows, len(entries), db.batched(ctx, func(b *pgx.Batch, res *opResult) {
		sql, args := insertLedgersSQL(entries)
		b.Queue(sql, args...).Exec(func(pgconn.CommandTag) error { return nil })
	}))
}

// insertLedgersSQL is the multi-row INSERT of entries and its arguments.
func insertLedgersSQL(entries []*copydesk.LedgerEntry) (string, []any) {
	n := len(entries)
	var (
		ids, customers, users, kinds, jobs, providers, models, reservations = make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n)
		tiers                                                               = make([]string, n)
		in, out, cached, cost, saved, latency, calls                        = make([]int64, n), make([]int64, n), make([]int64, n), make([]int64, n), make([]int64, n), make([]int64, n), make([]int64, n)
		hits                                                                = make([]bool, n)
		at                                                                  = make([]time.Time, n)
		keys                                                                = make([]string, n)
	)
	for i, e := range entries {
		ids[i], customers[i], users[i], kinds[i], jobs[i], providers[i], models[i], reservations[i] =
			e.ID, e.CustomerID, e.UserID, e.Kind, e.JobID, e.Provider, e.Model, e.ReservationID
		in[i], out[i], cached[i], cost[i], saved[i], latency[i], calls[i] =
			int64(e.InputTokens), int64(e.OutputTokens), int64(e.CachedTokens), int64(e.Cost), int64(e.Saved), int64(e.Latency), int64(e.Count)
		hits[i], at[i], tiers[i], keys[i] = e.CacheHit, e.At, e.Tier, e.KeyID
	}
	return `INSERT INTO ledger (id, customer_id, user_id, kind, job_id, provider, model,
		input_tokens, output_tokens, cached_tokens, cost, saved, cache_hit, latency_ns, reservation_id, at, calls, tier, key_id)
		SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[],
			$8::bigint[], $9::bigint[], $10::bigint[], $11::bigint[], $12::bigint[], $13::boolean[], $14::bigint[],
			$15::text[], $16::timestamptz[], $17::bigint[], $18::text[], $19::text[])`,
		[]any{ids, customers, users, kinds, jobs, providers, models, in, out, cached, cost, saved, hits, latency, reservations, at, calls, tiers, keys}
}

var _ copydesk.CostStore = (*DB)(nil)

// CostByTier sums the ledger by kind and tier. See copydesk.CostStore.
func (db *DB) CostByTier(ctx context.Context, f copydesk.UsageFilter) (*copydesk.CostTiers, error) {
	if err := f.Validate(); err != nil {
		return nil, err
	}
	const where = `at >= $1 AND at < $2 AND ($3 = '' OR customer_id = $3) AND ($4 = '' OR user_id = $4)`
	rows, err := db.pool.Query(ctx, `SELECT split_part(kind, '.', 1) AS k, CASE WHEN cache_hit THEN 'cached' ELSE tier END AS t,
		SUM(calls)::bigint, SUM(cost)::bigint, SUM(saved)::bigint FROM ledger WHERE `+where+` GROUP BY k, t ORDER BY k, t`,
		f.From, f.To, f.CustomerID, f.UserID)
	if err != nil {
		return nil, translate(err)
	}
	list, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (copydesk.CostTierRow, error) {
		var r copydesk.CostTierRow
		err := row.Scan(&r.Kind, &r.Tier, &r.Calls, &r.Cost, &r.Saved)
		return r, err
	})
	if err != nil {
		return nil, translate(err)
	}
	out := &copydesk.CostTiers{Rows: append([]copydesk.CostTierRow{}, list...), Pages: map[string]int64{}}
	prows, err := db.pool.Query(ctx, `SELECT split_part(kind, '.', 1) AS k, COUNT(DISTINCT job_id) FROM ledger
		WHERE `+where+` AND job_id <> '' GROUP BY k`, f.From, f.To, f.CustomerID, f.UserID)
	if err != nil {
		return nil, translate(err)
	}
	for prows.Next() {
		var k string
		var n int64
		if err := prows.Scan(&k, &n); err != nil {
			prows.Close()
			return nil, translate(err)
		}
		out.Pages[k] = n
	}
	return out, translate(prows.Err())
}
