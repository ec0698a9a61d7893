package sqlstore

import (
	"context"

	"github.com/copydesk/copydesk/internal/copydesk"
)

// InsertLedgerSQL appends one ledger row (the SQLite store keeps it
// prepared).
const InsertLedgerSQL = `INSERT INTO ledger (id, customer_id, user_id, kind, job_id, provider, model,
		input_tokens, output_tokens, cached_tokens, cost, saved, cache_hit, latency_ns, reservation_id, at, calls, tier, key_id)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`

// InsertLedger appends one prepared ledger row in q's transaction.
func InsertLedger(ctx context.Context, q Querier, d Dialect, e *copydesk.LedgerEntry) error {
	_, err := q.Exec(ctx, InsertLedgerSQL,
		e.ID, e.CustomerID, e.UserID, e.Kind, e.JobID, e.Provider, e.Model,
		e.InputTokens, e.OutputTokens, e.CachedTokens, e.Cost, e.Saved, e.CacheHit, int64(e.Latency),
		e.ReservationID, d.Time(e.At), e.Count, e.Tier, e.KeyID)
	return Conflict(err, "ledger entry with this id")
}
