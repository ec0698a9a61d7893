package postgres

import (
	"context"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/copydesk/copydesk/internal/copydesk"
)

// pgOp is one write of a batch: it queues its statements on the batch, and
// their result callbacks record its outcome. A statement must not fail for
// an expected reason (a missing row is zero rows, noted by the callback):
// a failing statement aborts the whole batch, whose ops then run again one
// by one.
type pgOp struct {
	queue func(b *pgx.Batch, res *opResult)
	// claim is the cache key whose claim row the op takes or releases, ""
	// for other ops. A batch runs these first, in key order: two
	// instances' batches then lock claim rows in the same order and cannot
	// deadlock on them (each waits for the other's commit at most), and a
	// batch holds no other lock while it waits for one.
	claim string
}

// opResult is the outcome of one op, filled by its callbacks.
type opResult struct {
	err error
	// notify is the job whose events the op stores, "" for none: the
	// batch tells the other instances of all its jobs in one notification
	// (queueNotify).
	notify string
}

// batched runs op in a transaction shared with the writes of concurrent
// callers, sent to the server in one round trip (BEGIN, the statements,
// COMMIT), and returns op's outcome once committed.
func (db *DB) batched(ctx context.Context, queue func(b *pgx.Batch, res *opResult)) error {
	return db.batch.Add(ctx, &pgOp{queue: queue})
}

// batchedClaim is batched for an op on the claim row of a cache key.
func (db *DB) batchedClaim(ctx context.Context, key string, queue func(b *pgx.Batch, res *opResult)) error {
	return db.batch.Add(ctx, &pgOp{queue: queue, claim: key})
}

// queueOrder returns the positions of ops in the order to queue them: the
// claim ops first, by key, then the others as they came.
func queueOrder(ops []*pgOp) []int {
	order := make([]int, len(ops))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int {
		ka, kb := ops[a].claim, ops[b].claim
		if (ka == "") != (kb == "") {
			if ka == "" {
				return 1
			}
			return -1
		}
		return strings.Compare(ka, kb) // two other ops: 0, as they came
	})
	return order
}

// writeOps sends a batch of ops in one pipelined transaction.
func (db *DB) writeOps(ctx context.Context, ops []*pgOp) ([]error, error) {
	conn, err := db.pool.Acquire(ctx)
	if err != nil {
		return nil, translate(err)
	}
	defer conn.Release()
	results := make([]opResult, len(ops))
	var b pgx.Batch
	b.Queue(`BEGIN`)
	for _, i := range queueOrder(ops) {
		ops[i].queue(&b, &results[i])
	}
	db.queueNotify(&b, results)
	b.Queue(`COMMIT`)
	if err := conn.SendBatch(ctx, &b).Close(); err != nil {
		// The transaction is aborted: end it before the connection
		// goes back to the pool.
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		if conn.Conn().PgConn().TxStatus() != 'I' {
			if _, rerr := conn.Exec(rctx, `ROLLBACK`); rerr != nil {
				conn.Conn().PgConn().Close(rctx) //nolint:errcheck // the pool drops it
			}
		}
		return nil, translate(err)
	}
	errs := make([]error, len(ops))
	for i := range results {
		errs[i] = results[i].err
	}
	return errs, nil
}

// notifyChannel carries "<instance>:<job id>,<job id>…" for the jobs whose
// events a transaction of this store committed, to the other instances'
// streams.
const notifyChannel = "copydesk_events"

// notifyPayloadMax keeps a notification's payload under PostgreSQL's
// limit (8,000 bytes); more jobs take more notifications.
const notifyPayloadMax = 7000

// queueNotify queues, before the batch's COMMIT, the notifications of
// the jobs its ops stored events of: one per transaction for up to
// notifyPayloadMax bytes of ids, where it was one per event. An id with a
// comma (never one of copydesk.NewJobID's) is told as "" (every job),
// which the listeners take as "read every stream's job".
func (db *DB) queueNotify(b *pgx.Batch, results []opResult) {
	var ids []string
	for _, r := range results {
		if r.notify != "" && !slices.Contains(ids, r.notify) {
			ids = append(ids, r.notify)
		}
	}
	if len(ids) == 0 {
		return
	}
	send := func(jobs string) {
		b.Queue(`SELECT pg_notify($1, $2)`, db.notifyChannel(), db.instance+":"+jobs).Exec(func(pgconn.CommandTag) error { return nil })
	}
	if slices.ContainsFunc(ids, func(id string) bool { return strings.Contains(id, ",") }) {
		send("")
		return
	}
	var jobs strings.Builder
	for _, id := range ids {
		if jobs.Len() > 0 && jobs.Len()+1+len(id) > notifyPayloadMax {
			send(jobs.String())
			jobs.Reset()
		}
		if jobs.Len() > 0 {
			jobs.WriteByte(',')
		}
		jobs.WriteString(id)
	}
	send(jobs.String())
}

// errNoRow is what a callback notes when its statement found no row; the
// caller turns it into the domain error it means.
var errNoRow = errors.New("no row")

// orNotFound turns errNoRow into ENOTFOUND for what.
func orNotFound(err error, what string) error {
	if errors.Is(err, errNoRow) {
		return copydesk.Errorf(copydesk.ENOTFOUND, "%s not found", what)
	}
	return err
}
