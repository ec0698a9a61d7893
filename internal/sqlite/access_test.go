package sqlite_test

import (
	"testing"

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

func TestLedgerStore(t *testing.T) {
	storetest.TestLedgerStore(t, func(t *testing.T, clock copydesk.Clock) storetest.MoneyStore {
		return MustOpen(t, clock)
	})
}

func BenchmarkReserveSettle(b *testing.B) {
	storetest.BenchmarkReserveSettle(b, MustOpen(b, nil))
}
