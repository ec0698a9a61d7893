package sqlite

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/copydesk/copydesk/internal/copydesk"
)

// TestPragmas checks that the DSN's pragmas took effect on both pools: the
// driver ignores parameters it does not know without a word.
func TestPragmas(t *testing.T) {
	t.Parallel()
	for _, full := range []bool{false, true} {
		db, err := Open(context.Background(), filepath.Join(t.TempDir(), "x.db"), Options{SyncFull: full})
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		wantSync := 1 // NORMAL
		if full {
			wantSync = 2
		}
		for _, tt := range []struct {
			pool   string
			pragma string
			want   string
		}{
			{"write", "journal_mode", "wal"},
			{"write", "busy_timeout", "10000"},
			{"write", "foreign_keys", "1"},
			{"write", "synchronous", string(rune('0' + wantSync))},
			{"write", "query_only", "0"},
			{"read", "journal_mode", "wal"},
			{"read", "busy_timeout", "10000"},
			{"read", "query_only", "1"},
		} {
			p := db.write
			if tt.pool == "read" {
				p = db.read
			}
			var got string
			if err := p.QueryRow("PRAGMA " + tt.pragma).Scan(&got); err != nil {
				t.Fatalf("%s pool: PRAGMA %s: %v", tt.pool, tt.pragma, err)
			}
			if got != tt.want {
				t.Errorf("SyncFull=%v, %s pool: PRAGMA %s: got %q, want %q", full, tt.pool, tt.pragma, got, tt.want)
			}
		}
		// The read pool cannot write.
		if _, err := db.read.Exec(`DELETE FROM jobs`); err == nil {
			t.Errorf("SyncFull=%v: write on the read pool: got nil error, want one", full)
		}
	}
}

// mustOpenInternal opens a fresh database in t's directory, closed when t
// ends.
func mustOpenInternal(t *testing.T) *DB {
	t.Helper()
	db, err := Open(context.Background(), filepath.Join(t.TempDir(), "x.db"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// TestWriteBatch checks the group commit's batch: without a failing op it
// runs no savepoint (only the ops' own statements, in one transaction);
// with one, that op alone is rolled back and fails, and the others commit,
// whatever they wrote before the failure.
func TestWriteBatch(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := mustOpenInternal(t)
	if _, err := db.write.Exec(`CREATE TABLE t (k TEXT PRIMARY KEY)`); err != nil {
		t.Fatal(err)
	}
	insert := func(k string) txOp {
		return func(ctx context.Context, tx *Tx) error {
			_, err := tx.ExecContext(ctx, `INSERT INTO t (k) VALUES (?)`, k)
			return err
		}
	}
	keys := func() []string {
		rows, err := db.write.Query(`SELECT k FROM t ORDER BY k`)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		var ks []string
		for rows.Next() {
			var k string
			if err := rows.Scan(&k); err != nil {
				t.Fatal(err)
			}
			ks = append(ks, k)
		}
		return ks
	}

	before := db.StoreStats()
	errs, err := db.writeBatch(ctx, []txOp{insert("a"), insert("b"), insert("c")})
	if err != nil || len(errs) > 0 && (errs[0] != nil || errs[1] != nil || errs[2] != nil) {
		t.Fatalf("batch of good ops: errs %v, err %v", errs, err)
	}
	after := db.StoreStats()
	if n, tx := after.Statements-before.Statements, after.Transactions-before.Transactions; n != 3 || tx != 1 {
		t.Errorf("a batch of 3 one-statement ops ran %d statements in %d transactions, want 3 in 1 (no savepoints)", n, tx)
	}

	// The middle op writes, then fails: its write is undone, the others stay.
	fails := func(ctx context.Context, tx *Tx) error {
		if err := insert("e")(ctx, tx); err != nil {
			return err
		}
		return insert("a")(ctx, tx) // a duplicate key
	}
	errs, err = db.writeBatch(ctx, []txOp{insert("d"), fails, insert("f")})
	if err != nil || len(errs) != 3 || errs[0] != nil || errs[1] == nil || errs[2] != nil {
		t.Fatalf("batch with a failing op: errs %v, err %v; want only the second to fail", errs, err)
	}
	if got := strings.Join(keys(), ","); got != "a,b,c,d,f" {
		t.Errorf("rows %s, want a,b,c,d,f (the failing op's e rolled back)", got)
	}
}

// fakeQueue records the jobs of each EnqueueTx call and refuses any call
// holding the job named bad.
type fakeQueue struct {
	calls [][]string
	bad   string
}

func (q *fakeQueue) EnqueueTx(_ context.Context, _ copydesk.StoreTx, jobs ...*copydesk.Job) error {
	var ids []string
	for _, j := range jobs {
		if j.ID == q.bad {
			return copydesk.Errorf(copydesk.ECONFLICT, "job %s is queued already", j.ID)
		}
		ids = append(ids, j.ID)
	}
	q.calls = append(q.calls, ids)
	return nil
}

// TestWriteBatchEnqueue: a batch inserts its jobs' queue rows in one call
// at its end; when that call fails, the batch runs op by op and only the
// op whose row was refused fails.
func TestWriteBatchEnqueue(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := mustOpenInternal(t)
	q := &fakeQueue{}
	accept := func(id string) txOp {
		return func(ctx context.Context, tx *Tx) error { return tx.enqueue(ctx, q, &copydesk.Job{ID: id}) }
	}
	errs, err := db.writeBatch(ctx, []txOp{accept("a"), accept("b"), accept("c")})
	if err != nil || errs != nil {
		t.Fatalf("errs %v, err %v", errs, err)
	}
	if got := fmt.Sprint(q.calls); got != "[[a b c]]" {
		t.Errorf("EnqueueTx calls %s, want one with a, b and c", got)
	}

	q.calls, q.bad = nil, "e"
	errs, err = db.writeBatch(ctx, []txOp{accept("d"), accept("e"), accept("f")})
	if err != nil || len(errs) != 3 || errs[0] != nil || copydesk.ErrorCode(errs[1]) != copydesk.ECONFLICT || errs[2] != nil {
		t.Fatalf("errs %v, err %v; want only e's op to fail", errs, err)
	}
	if got := fmt.Sprint(q.calls); got != "[[d] [f]]" {
		t.Errorf("EnqueueTx calls after the refused batch %s, want d and f one by one", got)
	}
}

// funcQueue is a TxQueue of a type that cannot be compared.
type funcQueue func(jobs ...*copydesk.Job) error

func (f funcQueue) EnqueueTx(_ context.Context, _ copydesk.StoreTx, jobs ...*copydesk.Job) error {
	return f(jobs...)
}

// TestWriteBatchEnqueueQueues: queues of a type that cannot be compared
// (a func) each get their own call, a comparable one one call for all its
// jobs, and nothing panics.
func TestWriteBatchEnqueueQueues(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := mustOpenInternal(t)
	var calls []string
	record := func(name string) funcQueue {
		return func(jobs ...*copydesk.Job) error {
			var ids []string
			for _, j := range jobs {
				ids = append(ids, j.ID)
			}
			calls = append(calls, name+":"+strings.Join(ids, ","))
			return nil
		}
	}
	q := &fakeQueue{}
	f1, f2 := record("f1"), record("f2")
	accept := func(queue copydesk.TxQueue, id string) txOp {
		return func(ctx context.Context, tx *Tx) error { return tx.enqueue(ctx, queue, &copydesk.Job{ID: id}) }
	}
	errs, err := db.writeBatch(ctx, []txOp{accept(f1, "a"), accept(q, "b"), accept(f2, "c"), accept(q, "d"), accept(f1, "e")})
	if err != nil || errs != nil {
		t.Fatalf("errs %v, err %v", errs, err)
	}
	if got := fmt.Sprint(q.calls); got != "[[b d]]" {
		t.Errorf("comparable queue: calls %s, want one with b and d", got)
	}
	if got := strings.Join(calls, " "); got != "f1:a f2:c f1:e" {
		t.Errorf("func queues: calls %q, want one per job: f1:a f2:c f1:e", got)
	}
}

// TestFinalStatuses: the SQL list of final statuses is the domain's.
func TestFinalStatuses(t *testing.T) {
	var want []string
	for _, s := range []copydesk.JobStatus{copydesk.JobQueued, copydesk.JobRunning, copydesk.JobSucceeded,
		copydesk.JobPartial, copydesk.JobFailed, copydesk.JobCancelled} {
		if s.Final() {
			want = append(want, "'"+string(s)+"'")
		}
	}
	if got := strings.Join(want, ", "); got != finalStatuses {
		t.Errorf("finalStatuses = %s, want %s", finalStatuses, got)
	}
}

// TestChargeWithoutBudgets: charges update no budget while none exists (one
// read per batch instead of an update per charge), and do once one does.
func TestChargeWithoutBudgets(t *testing.T) {
	ctx := context.Background()
	db, err := Open(ctx, filepath.Join(t.TempDir(), "copydesk.db"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	c := &copydesk.Customer{Name: "c"}
	if err := db.CreateCustomer(ctx, c); err != nil {
		t.Fatal(err)
	}
	charges := func(n int) []*copydesk.Charge {
		out := make([]*copydesk.Charge, n)
		for i := range out {
			out[i] = &copydesk.Charge{CustomerID: c.ID, Amount: 10, Entry: &copydesk.LedgerEntry{Kind: "chat", Model: "m"}}
		}
		return out
	}
	charge := func(n int) int64 {
		t.Helper()
		before := db.StoreStats()
		if err := db.ChargeBudgets(ctx, charges(n)); err != nil {
			t.Fatal(err)
		}
		return db.StoreStats().Statements - before.Statements
	}
	if got := charge(10); got != 3 {
		t.Errorf("10 charges without a budget ran %d statements, want 3 (a read, ledger rows 8 and 2)", got)
	}
	if err := db.SetBudget(ctx, &copydesk.Budget{CustomerID: c.ID, Limit: 1_000_000}); err != nil {
		t.Fatal(err)
	}
	if got := charge(10); got != 13 {
		t.Errorf("10 charges with a budget ran %d statements, want 13 (a read, 10 updates, ledger rows 8 and 2)", got)
	}
	b, err := db.FindBudget(ctx, c.ID, "")
	if err != nil {
		t.Fatal(err)
	}
	if b.Spent != 100 {
		t.Errorf("budget spent %d, want 100: the 10 charges after it was set", b.Spent)
	}
}
