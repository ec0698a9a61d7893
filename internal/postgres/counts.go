package postgres

import (
	"context"
	"strings"
	"sync/atomic"

	"github.com/jackc/pgx/v5"

	"github.com/copydesk/copydesk/internal/copydesk"
)

// counter counts the statements and transactions run on the pool, the
// queue's included, as a pgx tracer: every Query, QueryRow and Exec, and
// every statement of a batch. pgx begins, commits and rolls back with Exec;
// those are counted as a transaction begun, or not at all. Round trips
// count every Query, QueryRow and Exec (BEGIN and COMMIT included), and a
// batch, which pgx sends pipelined, once.
type counter struct {
	statements, transactions, roundTrips atomic.Int64
	ledgerRows                           atomic.Int64 // committed ledger rows
}

var (
	_ pgx.QueryTracer = (*counter)(nil)
	_ pgx.BatchTracer = (*counter)(nil)
)

func (c *counter) count(sql string) {
	sql = strings.TrimSpace(sql)
	word, _, _ := strings.Cut(sql, " ")
	switch {
	case strings.EqualFold(word, "begin"):
		c.transactions.Add(1)
	case strings.EqualFold(word, "commit"), strings.EqualFold(word, "rollback"):
	default:
		c.statements.Add(1)
	}
}

// TraceQueryStart implements pgx.QueryTracer.
func (c *counter) TraceQueryStart(ctx context.Context, _ *pgx.Conn, data pgx.TraceQueryStartData) context.Context {
	c.roundTrips.Add(1)
	c.count(data.SQL)
	return ctx
}

// TraceQueryEnd implements pgx.QueryTracer.
func (*counter) TraceQueryEnd(context.Context, *pgx.Conn, pgx.TraceQueryEndData) {}

// TraceBatchStart implements pgx.BatchTracer.
func (c *counter) TraceBatchStart(ctx context.Context, _ *pgx.Conn, _ pgx.TraceBatchStartData) context.Context {
	c.roundTrips.Add(1)
	return ctx
}

// TraceBatchQuery implements pgx.BatchTracer.
func (c *counter) TraceBatchQuery(_ context.Context, _ *pgx.Conn, data pgx.TraceBatchQueryData) {
	c.count(data.SQL)
}

// TraceBatchEnd implements pgx.BatchTracer.
func (*counter) TraceBatchEnd(context.Context, *pgx.Conn, pgx.TraceBatchEndData) {}

// StoreStats returns the statements, transactions and round trips run on
// the pool since the store was opened, the queue's and the migrations'
// included.
func (db *DB) StoreStats() copydesk.StoreStats {
	return copydesk.StoreStats{Statements: db.counts.statements.Load(), Transactions: db.counts.transactions.Load(),
		RoundTrips: db.counts.roundTrips.Load(), LedgerRows: db.counts.ledgerRows.Load()}
}
