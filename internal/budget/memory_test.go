package budget_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/copydesk/copydesk/internal/budget"
	"github.com/copydesk/copydesk/internal/copydesk"
	"github.com/copydesk/copydesk/internal/sqlite"
	"github.com/copydesk/copydesk/internal/storetest"
)

// memoryStore is a store whose budgets a budget.Memory keeps.
type memoryStore struct {
	copydesk.AccessStore
	copydesk.LedgerStore
	*budget.Memory
}

func newMemoryStore(open func(testing.TB, copydesk.Clock) storetest.MoneyStore) storetest.NewMoneyStore {
	return func(t *testing.T, clock copydesk.Clock) storetest.MoneyStore {
		db := open(t, clock)
		return &memoryStore{AccessStore: db, LedgerStore: db, Memory: budget.NewMemory(db.(budget.MemoryStore), budget.MemoryOptions{Clock: clock})}
	}
}

func TestMemoryBudgetStore(t *testing.T) {
	t.Run("sqlite", func(t *testing.T) {
		storetest.TestBudgetStore(t, newMemoryStore(openSQLite))
	})
	t.Run("postgres", func(t *testing.T) {
		storetest.TestBudgetStore(t, newMemoryStore(openPostgres))
	})
}

// TestMemorySeesAnotherProcess: a budget set, changed or deleted in the
// store by another process (the admin command) applies within Refresh.
func TestMemorySeesAnotherProcess(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	clock := storetest.NewClock(storetest.Epoch())
	db := openSQLite(t, clock).(*sqlite.DB)
	c := storetest.MustCreateCustomer(t, db, "Acme")
	m := budget.NewMemory(db, budget.MemoryOptions{Clock: clock, Refresh: time.Second})
	reserve := func(amount copydesk.Micros) error {
		r := &copydesk.Reservation{CustomerID: c.ID, Amount: amount}
		_, err := m.Reserve(ctx, r)
		if err == nil {
			_ = m.Release(ctx, r.ID)
		}
		return err
	}
	if err := reserve(500); err != nil {
		t.Fatalf("no budget yet: %v", err)
	}
	storetest.MustSetBudget(t, db, &copydesk.Budget{CustomerID: c.ID, Limit: 100}) // another process
	if err := reserve(500); err != nil {
		t.Errorf("within Refresh: got %v, want the remembered absence", err)
	}
	clock.Add(time.Second)
	if err := reserve(500); copydesk.ErrorCode(err) != copydesk.EBUDGETEXCEEDED {
		t.Errorf("after Refresh: got %v, want EBUDGETEXCEEDED", err)
	}
	storetest.MustSetBudget(t, db, &copydesk.Budget{CustomerID: c.ID, Limit: 1000})
	clock.Add(time.Second)
	if err := reserve(500); err != nil {
		t.Errorf("raised limit: got %v, want it to fit", err)
	}
	if err := db.DeleteBudget(ctx, c.ID, ""); err != nil {
		t.Fatal(err)
	}
	clock.Add(time.Second)
	if err := reserve(5000); err != nil {
		t.Errorf("deleted budget: got %v, want no limit", err)
	}
}

// TestMemorySettleIsDurable: what Settle returns is in the store, so a
// restart (a new Memory) starts from it.
func TestMemorySettleIsDurable(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	clock := storetest.NewClock(storetest.Epoch())
	db := openSQLite(t, clock).(*sqlite.DB)
	c := storetest.MustCreateCustomer(t, db, "Acme")
	m := budget.NewMemory(db, budget.MemoryOptions{Clock: clock})
	storetest.MustSetBudget(t, m, &copydesk.Budget{CustomerID: c.ID, Limit: 1000})
	r := &copydesk.Reservation{CustomerID: c.ID, Amount: 900}
	if _, err := m.Reserve(ctx, r); err != nil {
		t.Fatal(err)
	}
	if b, _ := db.FindBudget(ctx, c.ID, ""); b.Reserved != 0 {
		t.Errorf("store reserved %d, want 0: reservations live in memory", b.Reserved)
	}
	if _, err := m.Settle(ctx, r.ID, 600, &copydesk.LedgerEntry{Kind: "chat", Model: "m"}); err != nil {
		t.Fatal(err)
	}
	if b, _ := db.FindBudget(ctx, c.ID, ""); b.Spent != 600 {
		t.Errorf("store spent %d after Settle, want 600", b.Spent)
	}
	restarted := budget.NewMemory(db, budget.MemoryOptions{Clock: clock})
	if _, err := restarted.Reserve(ctx, &copydesk.Reservation{CustomerID: c.ID, Amount: 401}); copydesk.ErrorCode(err) != copydesk.EBUDGETEXCEEDED {
		t.Errorf("after a restart: got %v, want 600 spent to be remembered", err)
	}
	// An open reservation dies with its process.
	r2 := &copydesk.Reservation{CustomerID: c.ID, Amount: 400}
	if _, err := restarted.Reserve(ctx, r2); err != nil {
		t.Fatal(err)
	}
	again := budget.NewMemory(db, budget.MemoryOptions{Clock: clock})
	if _, err := again.Reserve(ctx, &copydesk.Reservation{CustomerID: c.ID, Amount: 400}); err != nil {
		t.Errorf("after a crash with a reservation open: got %v, want it released", err)
	}
}

// heldReads counts a store's FindBudget calls and holds each until release
// is closed.
type heldReads struct {
	reads   atomic.Int64
	release chan struct{}
}

func (h *heldReads) hold() {
	h.reads.Add(1)
	<-h.release
}

// callTogether runs call from n goroutines at once while the store's reads
// are held: until all n read, or long enough for them to have joined the
// first read (either way the read count is the verdict). It fails on any
// call's error.
func callTogether(t *testing.T, n int, h *heldReads, call func() error) {
	t.Helper()
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for range n {
		wg.Go(func() { errs <- call() })
	}
	for i := 0; i < 200 && h.reads.Load() < int64(n); i++ {
		time.Sleep(time.Millisecond)
	}
	close(h.release)
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
}

// countingStore is a MemoryStore whose budget reads are held.
type countingStore struct {
	budget.MemoryStore
	*heldReads
}

func (s *countingStore) FindBudget(ctx context.Context, customerID, userID string) (*copydesk.Budget, error) {
	s.hold()
	return s.MemoryStore.FindBudget(ctx, customerID, userID)
}

// TestMemoryStaleReadShared: the calls that find a budget due for its
// refresh at the same moment read the store once between them.
func TestMemoryStaleReadShared(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	clock := storetest.NewClock(storetest.Epoch())
	db := openSQLite(t, clock).(*sqlite.DB)
	c := storetest.MustCreateCustomer(t, db, "Acme")
	storetest.MustSetBudget(t, db, &copydesk.Budget{CustomerID: c.ID, Limit: 1_000_000})
	store := &countingStore{MemoryStore: db, heldReads: &heldReads{release: make(chan struct{})}}
	m := budget.NewMemory(store, budget.MemoryOptions{Clock: clock, Refresh: time.Second})

	const callers = 20
	callTogether(t, callers, store.heldReads, func() error {
		b, err := m.FindBudget(ctx, c.ID, "")
		if err == nil && b.Limit != 1_000_000 {
			err = fmt.Errorf("limit %d, want 1000000", b.Limit)
		}
		return err
	})
	if n := store.reads.Load(); n != 1 {
		t.Errorf("%d concurrent calls read the store %d times, want once", callers, n)
	}
	clock.Add(2 * time.Second) // due again: one more read
	if _, err := m.FindBudget(ctx, c.ID, ""); err != nil {
		t.Fatal(err)
	}
	if n := store.reads.Load(); n != 2 {
		t.Errorf("after the refresh came due: %d reads, want 2", n)
	}
}

// heldDB is a SQLite store whose budget reads are held.
type heldDB struct {
	*sqlite.DB
	*heldReads
}

func (s *heldDB) FindBudget(ctx context.Context, customerID, userID string) (*copydesk.Budget, error) {
	s.hold()
	return s.DB.FindBudget(ctx, customerID, userID)
}

// TestServiceAbsenceReadShared: calls of a customer without a budget that
// come in together ask the store once whether one exists.
func TestServiceAbsenceReadShared(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	clock := storetest.NewClock(storetest.Epoch())
	db := openSQLite(t, clock).(*sqlite.DB)
	c := storetest.MustCreateCustomer(t, db, "Acme")
	store := &heldDB{DB: db, heldReads: &heldReads{release: make(chan struct{})}}
	s := budget.New(store, budget.Options{Clock: clock})

	const callers = 20
	callTogether(t, callers, store.heldReads, func() error {
		r, _, err := s.ReserveFor(ctx, budget.Payer{CustomerID: c.ID}, 100)
		if err == nil && r.ID != "" {
			err = fmt.Errorf("reservation %q without a budget", r.ID)
		}
		return err
	})
	if n := store.reads.Load(); n != 1 {
		t.Errorf("%d concurrent calls asked the store %d times whether a budget exists, want once", callers, n)
	}
}
