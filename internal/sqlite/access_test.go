package sqlite_test

import (
	"context"
	"database/sql"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/copydesk/copydesk/internal/copydesk"
	"github.com/copydesk/copydesk/internal/storetest"
)

func TestAccessStore(t *testing.T) {
	storetest.TestAccessStore(t, func(t *testing.T, clock copydesk.Clock) copydesk.AccessStore {
		return MustOpen(t, clock)
	})
}

func TestBudgetStore(t *testing.T) {
	storetest.TestBudgetStore(t, func(t *testing.T, clock copydesk.Clock) storetest.MoneyStore {
		return MustOpen(t, clock)
	})
}

func TestBudgetJournal(t *testing.T) {
	storetest.TestBudgetJournal(t, func(t *testing.T, clock copydesk.Clock) storetest.JournalStore {
		return MustOpen(t, clock)
	})
}

func TestLedgerStore(t *testing.T) {
	storetest.TestLedgerStore(t, func(t *testing.T, clock copydesk.Clock) storetest.MoneyStore {
		return MustOpen(t, clock)
	})
}

func BenchmarkReserveSettle(b *testing.B) {
	storetest.BenchmarkReserveSettle(b, MustOpen(b, nil))
}

func TestLedgerImmutable(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "copydesk.db")
	db := MustOpenPath(t, path, nil)
	e := &copydesk.LedgerEntry{CustomerID: "cus_1", Model: "m", Cost: 100}
	if err := db.AppendLedger(ctx, e); err != nil {
		t.Fatal(err)
	}
	raw, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(10000)")
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	for _, q := range []string{`UPDATE ledger SET cost = 0`, `DELETE FROM ledger`} {
		if _, err := raw.ExecContext(ctx, q); err == nil || !strings.Contains(err.Error(), "immutable") {
			t.Errorf("%s: got %v, want the immutability trigger's error", q, err)
		}
	}
	rows, err := db.FindLedger(ctx, copydesk.UsageFilter{From: e.At.Add(-time.Hour), To: e.At.Add(time.Hour)})
	if err != nil || len(rows) != 1 || rows[0].Cost != 100 {
		t.Errorf("ledger after the attempts: got %v, %v, want the row unchanged", rows, err)
	}
}

func TestCostStore(t *testing.T) {
	storetest.TestCostStore(t, func(t *testing.T, clock copydesk.Clock) storetest.CostLedgerStore {
		return MustOpen(t, clock)
	})
}

func TestStoreStats(t *testing.T) {
	storetest.TestStoreStats(t, false, func(t *testing.T, clock copydesk.Clock) storetest.StatsStore {
		return MustOpen(t, clock)
	})
}
