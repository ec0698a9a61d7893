package budget_test

import (
	"context"
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
