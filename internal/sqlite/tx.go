package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"reflect"

	"github.com/copydesk/copydesk/internal/copydesk"
	"github.com/copydesk/copydesk/internal/sqlstore"
)

// writeTx runs fn in an immediate transaction on the write pool and commits
// if fn returns nil.
func (db *DB) writeTx(ctx context.Context, fn func(tx *Tx) error) error {
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return translate(err)
	}
	defer tx.Rollback()
	if err := fn(&Tx{Tx: tx, prepared: db.writeStmts}); err != nil {
		return err
	}
	return translate(tx.Commit())
}

// txOp is one write of a batch: it runs inside the batch's transaction.
// It may run twice (alone, after its batch failed), so it must only set,
// never accumulate, the Go values it fills.
type txOp func(ctx context.Context, tx *Tx) error

// batched runs op in a transaction shared with the writes of concurrent
// callers (group commit: see package groupcommit) and returns once it is
// committed. A failing op fails only its own caller.
func (db *DB) batched(ctx context.Context, op txOp) error {
	return db.batch.Add(ctx, op)
}

// writeBatch runs a batch of ops in one immediate transaction. It first
// runs them one after the other, as ops rarely fail: a savepoint and its
// release around each op were two statements per op, a third of a job's.
// When one fails, that transaction is rolled back and the batch runs again
// with each op behind a savepoint: the failing one is rolled back alone and
// its error returned for it, the others commit. (Ops may run twice: see
// txOp.)
func (db *DB) writeBatch(ctx context.Context, ops []txOp) ([]error, error) {
	if len(ops) == 1 {
		return nil, db.writeTx(ctx, func(tx *Tx) error { return ops[0](ctx, tx) })
	}
	opFailed := false
	err := db.writeTx(ctx, func(tx *Tx) error {
		tx.deferEnqueue = true
		for _, op := range ops {
			if err := op(ctx, tx); err != nil {
				opFailed = true
				return err
			}
		}
		// The accepted jobs' queue rows, one insert for the batch.
		if err := tx.flushEnqueue(ctx); err != nil {
			opFailed = true // one of them: find it, op by op
			return err
		}
		return nil
	})
	if !opFailed {
		if err != nil {
			return nil, err
		}
		return nil, nil // no op failed
	}
	errs := make([]error, len(ops))
	err = db.writeTx(ctx, func(tx *Tx) error {
		for i, op := range ops {
			if _, err := tx.exec(ctx, savepointSQL); err != nil {
				return translate(err)
			}
			if errs[i] = op(ctx, tx); errs[i] != nil {
				if _, err := tx.exec(ctx, rollbackToSQL); err != nil {
					return translate(err)
				}
			}
			if _, err := tx.exec(ctx, releaseSQL); err != nil {
				return translate(err)
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return errs, nil
}

// The savepoint of one op of a batch.
const (
	savepointSQL  = `SAVEPOINT op`
	rollbackToSQL = `ROLLBACK TO op`
	releaseSQL    = `RELEASE op`
)

// readTx runs fn in a deferred (snapshot) transaction on the read pool.
func (db *DB) readTx(ctx context.Context, fn func(tx *Tx) error) error {
	tx, err := db.read.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return translate(err)
	}
	defer tx.Rollback()
	return fn(&Tx{Tx: tx, prepared: db.readStmts})
}

// Statements prepared once at Open: parsing them again on every call would
// cost about a quarter of an AppendEvent or a cache hit.
var (
	preparedWrite = append([]string{insertJobSQL, insertEventSQL, setCacheSQL, sqlstore.InsertLedgerSQL, chargeSQL, anyBudgetSQL, updateJobSQL, updateJobQuietSQL, findJobByIDSQL, savepointSQL, rollbackToSQL, releaseSQL},
		sqlstore.InsertLedgerRowsSQL()...)
	preparedRead = []string{findEventsSQL, getCacheSQL, findJobByIDSQL, jobExistsSQL}
)

// Tx is a transaction that runs the DB's prepared statements by their SQL.
type Tx struct {
	*sql.Tx
	prepared map[string]*sql.Stmt
	bound    map[*sql.Stmt]*sql.Stmt // prepared statements of this transaction

	// deferEnqueue makes enqueue hold the queue rows for flushEnqueue, so
	// that a batch of accepted jobs inserts them at once (River's insert
	// has a cost per call besides its cost per row); pending holds them.
	deferEnqueue bool
	pending      []pendingEnqueue
}

// pendingEnqueue is a job whose queue row waits for flushEnqueue.
type pendingEnqueue struct {
	queue copydesk.TxQueue
	job   *copydesk.Job
}

// enqueue inserts job's queue row in tx now, or at flushEnqueue when the
// batch defers them.
func (tx *Tx) enqueue(ctx context.Context, queue copydesk.TxQueue, job *copydesk.Job) error {
	if tx.deferEnqueue {
		tx.pending = append(tx.pending, pendingEnqueue{queue, job})
		return nil
	}
	return queue.EnqueueTx(ctx, tx.Tx, job)
}

// sameQueue reports whether a and b are the same queue. A queue of a type
// that cannot be compared (a func) is only the same as itself by position:
// comparing it would panic.
func sameQueue(a, b copydesk.TxQueue) bool {
	t := reflect.TypeOf(a)
	return t == reflect.TypeOf(b) && t.Comparable() && a == b
}

// flushEnqueue inserts the deferred queue rows, one call per queue.
func (tx *Tx) flushEnqueue(ctx context.Context) error {
	for len(tx.pending) > 0 {
		q := tx.pending[0].queue
		var jobs []*copydesk.Job
		rest := tx.pending[:0]
		for i, p := range tx.pending {
			if i == 0 || sameQueue(p.queue, q) {
				jobs = append(jobs, p.job)
			} else {
				rest = append(rest, p)
			}
		}
		tx.pending = rest
		if err := q.EnqueueTx(ctx, tx.Tx, jobs...); err != nil {
			return err
		}
	}
	return nil
}

// stmt returns query's prepared statement for this transaction, or nil
// when query is not one of the prepared statements. A batch runs the same
// few statements for every op; database/sql gives each call a new
// transaction-bound statement (on the same driver statement), so the
// transaction keeps the first.
func (tx *Tx) stmt(ctx context.Context, query string) *sql.Stmt {
	s := tx.prepared[query]
	if s == nil {
		return nil
	}
	if b := tx.bound[s]; b != nil {
		return b
	}
	b := tx.StmtContext(ctx, s)
	if tx.bound == nil {
		tx.bound = make(map[*sql.Stmt]*sql.Stmt, 4)
	}
	tx.bound[s] = b
	return b
}

// exec runs query, prepared if it is one of the prepared statements.
func (tx *Tx) exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	if s := tx.stmt(ctx, query); s != nil {
		return s.ExecContext(ctx, args...)
	}
	return tx.ExecContext(ctx, query, args...)
}

// query runs query, prepared if it is one of the prepared statements.
func (tx *Tx) query(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if s := tx.stmt(ctx, query); s != nil {
		return s.QueryContext(ctx, args...)
	}
	return tx.QueryContext(ctx, query, args...)
}

// querier runs statements: a transaction (*Tx), or the read pool outside
// one (pool).
type querier interface {
	query(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	queryRow(ctx context.Context, query string, args ...any) *sql.Row
}

// pool runs single reads on the read pool outside an explicit transaction:
// one statement reads one snapshot by itself, and the BEGIN and ROLLBACK
// around it were a fifth of the cost of looking up a job. Reads of several
// statements that must agree use readTx.
type pool struct{ db *DB }

func (p pool) query(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if s := p.db.readStmts[query]; s != nil {
		return s.QueryContext(ctx, args...)
	}
	return p.db.read.QueryContext(ctx, query, args...)
}

func (p pool) queryRow(ctx context.Context, query string, args ...any) *sql.Row {
	if s := p.db.readStmts[query]; s != nil {
		return s.QueryRowContext(ctx, args...)
	}
	return p.db.read.QueryRowContext(ctx, query, args...)
}

// queryRow runs query, prepared if it is one of the prepared statements.
func (tx *Tx) queryRow(ctx context.Context, query string, args ...any) *sql.Row {
	if s := tx.stmt(ctx, query); s != nil {
		return s.QueryRowContext(ctx, args...)
	}
	return tx.QueryRowContext(ctx, query, args...)
}

func prepareAll(ctx context.Context, pool *sql.DB, queries []string) (map[string]*sql.Stmt, error) {
	m := make(map[string]*sql.Stmt, len(queries))
	for _, q := range queries {
		s, err := pool.PrepareContext(ctx, q)
		if err != nil {
			for _, s := range m {
				s.Close()
			}
			return nil, fmt.Errorf("sqlite: prepare %q: %w", q, err)
		}
		m[q] = s
	}
	return m, nil
}
