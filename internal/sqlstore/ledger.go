package sqlstore

import (
	"context"
	"strings"

	"github.com/copydesk/copydesk/internal/copydesk"
)

// InsertLedgerSQL appends one ledger row (the SQLite store keeps it
// prepared).
const InsertLedgerSQL = `INSERT INTO ledger (id, customer_id, user_id, kind, job_id, provider, model,
		input_tokens, output_tokens, cached_tokens, cost, saved, cache_hit, latency_ns, reservation_id, at, calls, tier, key_id)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`

// InsertLedger appends one prepared ledger row in q's transaction.
func InsertLedger(ctx context.Context, q Querier, d Dialect, e *copydesk.LedgerEntry) error {
	_, err := q.Exec(ctx, InsertLedgerSQL, ledgerArgs(make([]any, 0, ledgerColumns), d, e)...)
	return Conflict(err, "ledger entry with this id")
}

// ledgerColumns is the number of values of a ledger row.
const ledgerColumns = 19

func ledgerArgs(args []any, d Dialect, e *copydesk.LedgerEntry) []any {
	return append(args, e.ID, e.CustomerID, e.UserID, e.Kind, e.JobID, e.Provider, e.Model,
		e.InputTokens, e.OutputTokens, e.CachedTokens, e.Cost, e.Saved, e.CacheHit, int64(e.Latency),
		e.ReservationID, d.Time(e.At), e.Count, e.Tier, e.KeyID)
}

// ledgerRowsLog bounds the rows of one statement of InsertLedgers: 2^6, 64.
const ledgerRowsLog = 6

// insertLedgerRowsSQL[n] appends 2^n rows in one statement.
var insertLedgerRowsSQL = func() (out [ledgerRowsLog + 1]string) {
	head, row, _ := strings.Cut(InsertLedgerSQL, "VALUES ")
	for n := range out {
		rows := make([]string, 1<<n)
		for i := range rows {
			rows[i] = row
		}
		out[n] = head + "VALUES " + strings.Join(rows, ", ")
	}
	return out
}()

// InsertLedgers appends prepared ledger rows in q's transaction, in
// statements of 64, 32 … 1 rows (a handful of texts, each kept prepared by
// a store that caches statements), not one statement per row.
func InsertLedgers(ctx context.Context, q Querier, d Dialect, entries []*copydesk.LedgerEntry) error {
	var args []any
	for len(entries) > 0 {
		n := ledgerRowsLog
		for 1<<n > len(entries) {
			n--
		}
		args = args[:0]
		for _, e := range entries[:1<<n] {
			args = ledgerArgs(args, d, e)
		}
		if _, err := q.Exec(ctx, insertLedgerRowsSQL[n], args...); err != nil {
			return Conflict(err, "ledger entry with this id")
		}
		entries = entries[1<<n:]
	}
	return nil
}

// InsertLedgerRowsSQL returns the statements of InsertLedgers, by the
// base-2 logarithm of their rows (for a store that prepares them).
func InsertLedgerRowsSQL() []string { return insertLedgerRowsSQL[:] }
