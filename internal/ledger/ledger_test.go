package ledger_test

import (
	"context"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/copydesk/copydesk/internal/copydesk"
	"github.com/copydesk/copydesk/internal/ledger"
	"github.com/copydesk/copydesk/internal/sqlite"
	"github.com/copydesk/copydesk/internal/storetest"
)

func MustStore(tb testing.TB, clock copydesk.Clock) *sqlite.DB {
	tb.Helper()
	db, err := sqlite.Open(context.Background(), filepath.Join(tb.TempDir(), "l.db"), sqlite.Options{Clock: clock})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	return db
}

// cachedModels answers every call as a cache hit of an original call that
// cost cost.
type cachedModels struct{ cost copydesk.Micros }

func (c cachedModels) Stream(context.Context, copydesk.ModelCall, func(string) error) (*copydesk.ModelResult, error) {
	return &copydesk.ModelResult{Response: &copydesk.ModelResponse{Text: "x"}, Cached: true,
		Usage: copydesk.UsageRecord{Provider: "openai", Model: "gpt-4.1", Cost: c.cost}}, nil
}

func TestHitsSumPerMinute(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	clock := storetest.NewClock(storetest.Epoch())
	db := MustStore(t, clock)
	h := &ledger.Hits{Store: db, Clock: clock}
	s := &ledger.Savings{Next: cachedModels{cost: 7}, Hits: h}
	call := copydesk.ModelCall{Kind: "chat", CustomerID: "cus_a", UserID: "usr_1"}
	var wg sync.WaitGroup
	for range 100 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := s.Stream(ctx, call, nil); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	// Another user, and the same user a minute later: rows of their own.
	if _, err := s.Stream(ctx, copydesk.ModelCall{Kind: "chat", CustomerID: "cus_a", UserID: "usr_2"}, nil); err != nil {
		t.Fatal(err)
	}
	clock.Add(time.Minute)
	if _, err := s.Stream(ctx, call, nil); err != nil {
		t.Fatal(err)
	}
	// A call without a customer is not recorded.
	if _, err := s.Stream(ctx, copydesk.ModelCall{Kind: "chat"}, nil); err != nil {
		t.Fatal(err)
	}
	if got := h.Pending(); got != 3 {
		t.Fatalf("got %d pending rows, want 3", got)
	}
	if err := h.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	if got := h.Pending(); got != 0 {
		t.Errorf("got %d pending rows after Flush, want 0", got)
	}
	rep, err := db.UsageReport(ctx, copydesk.UsageFilter{From: storetest.Epoch().Add(-time.Hour), To: storetest.Epoch().Add(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Totals.Calls != 102 || rep.Totals.CacheHits != 102 || rep.Totals.Saved != 102*7 || rep.Totals.Cost != 0 {
		t.Errorf("got totals %+v, want 102 calls, all hits, saved %d, cost 0", rep.Totals, 102*7)
	}
	rows, err := db.FindLedger(ctx, copydesk.UsageFilter{From: storetest.Epoch().Add(-time.Hour), To: storetest.Epoch().Add(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 3 {
		t.Errorf("got %d ledger rows for 102 hits, want 3 (one per user and minute)", len(rows))
	}
}

// failingLedger refuses writes until ok is set.
type failingLedger struct {
	copydesk.LedgerStore
	mu   sync.Mutex
	ok   bool
	rows []*copydesk.LedgerEntry
}

func (f *failingLedger) AppendLedger(_ context.Context, e *copydesk.LedgerEntry) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if !f.ok {
		return copydesk.Errorf(copydesk.EUNAVAILABLE, "the database is busy; try again")
	}
	f.rows = append(f.rows, e)
	return nil
}

func TestHitsKeptWhileTheStoreFails(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	clock := storetest.NewClock(storetest.Epoch())
	store := &failingLedger{}
	h := &ledger.Hits{Store: store, Clock: clock}
	call := copydesk.ModelCall{Kind: "chat", CustomerID: "cus_a"}
	h.Record(call, copydesk.UsageRecord{Model: "m", Cost: 3})
	if err := h.Flush(ctx); copydesk.ErrorCode(err) != copydesk.EUNAVAILABLE {
		t.Fatalf("got %v, want the store's EUNAVAILABLE", err)
	}
	h.Record(call, copydesk.UsageRecord{Model: "m", Cost: 3})
	store.ok = true
	if err := h.Stop(ctx); err != nil { // Stop without Start flushes
		t.Fatal(err)
	}
	if len(store.rows) != 1 || store.rows[0].Count != 2 || store.rows[0].Saved != 6 {
		t.Errorf("got rows %+v, want one row of 2 hits saving 6", store.rows)
	}
}

func TestHitsStartStop(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	clock := storetest.NewClock(storetest.Epoch())
	store := &failingLedger{ok: true}
	h := &ledger.Hits{Store: store, Clock: clock, FlushInterval: time.Millisecond}
	if err := h.Start(ctx); err != nil {
		t.Fatal(err)
	}
	if err := h.Start(ctx); copydesk.ErrorCode(err) != copydesk.ECONFLICT {
		t.Errorf("second Start got %v, want ECONFLICT", err)
	}
	h.Record(copydesk.ModelCall{Kind: "chat", CustomerID: "cus_a"}, copydesk.UsageRecord{Model: "m", Cost: 1})
	if err := h.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	if err := h.Stop(ctx); err != nil {
		t.Fatalf("second Stop: %v", err)
	}
	if len(store.rows) != 1 {
		t.Errorf("got %d rows, want the hit written by a flush or by Stop", len(store.rows))
	}
}
