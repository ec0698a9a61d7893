package chain_test

import (
	"context"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/copydesk/copydesk/internal/budget"
	"github.com/copydesk/copydesk/internal/cache"
	"github.com/copydesk/copydesk/internal/chain"
	"github.com/copydesk/copydesk/internal/copydesk"
	"github.com/copydesk/copydesk/internal/ledger"
	"github.com/copydesk/copydesk/internal/sqlite"
	"github.com/copydesk/copydesk/internal/storetest"
)

// provider counts the calls that reach the end of the chain; each costs 40.
type provider struct {
	mu    sync.Mutex
	calls int
}

func (p *provider) Stream(_ context.Context, call copydesk.ModelCall, onDelta func(string) error) (*copydesk.ModelResult, error) {
	p.mu.Lock()
	p.calls++
	p.mu.Unlock()
	text := "answer to " + call.Request.Messages[0].Content
	if onDelta != nil {
		if err := onDelta(text); err != nil {
			return nil, err
		}
	}
	return &copydesk.ModelResult{Response: &copydesk.ModelResponse{Text: text, FinishReason: "stop"},
		Usage: copydesk.UsageRecord{Provider: "p", Model: "m", Cost: 40}}, nil
}

func (p *provider) MaxCost(copydesk.ModelCall) (copydesk.Micros, error) { return 100, nil }

type fixture struct {
	db    *sqlite.DB
	clock *storetest.Clock
	next  *provider
	hits  *ledger.Hits
	ch    *chain.Chain
	cust  *copydesk.Customer
}

func MustChain(tb testing.TB, withBudget bool) *fixture {
	tb.Helper()
	ctx := context.Background()
	clock := storetest.NewClock(storetest.Epoch())
	db, err := sqlite.Open(ctx, filepath.Join(tb.TempDir(), "c.db"), sqlite.Options{Clock: clock})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	c, err := cache.New(cache.Config{L2: db, Clock: clock})
	if err != nil {
		tb.Fatal(err)
	}
	f := &fixture{db: db, clock: clock, next: &provider{}, hits: &ledger.Hits{Store: db, Clock: clock}}
	f.cust = storetest.MustCreateCustomer(tb, db, "Acme")
	cfg := chain.Config{Next: f.next, Cache: c, ModelSet: "test", Hits: f.hits}
	if withBudget {
		storetest.MustSetBudget(tb, db, &copydesk.Budget{CustomerID: f.cust.ID, Limit: 1000})
		cfg.Budget = budget.New(db, budget.Options{Clock: clock})
	}
	if f.ch, err = chain.New(cfg); err != nil {
		tb.Fatal(err)
	}
	return f
}

func (f *fixture) call(content string) copydesk.ModelCall {
	return copydesk.ModelCall{Kind: "chat", CustomerID: f.cust.ID,
		Request: copydesk.ModelRequest{Messages: []copydesk.Message{{Role: "user", Content: content}}}}
}

func TestCallsOrder(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := MustChain(t, true)
	for i := range 3 {
		res, err := f.ch.Calls.Stream(ctx, f.call("same"), nil)
		if err != nil {
			t.Fatal(err)
		}
		if res.Cached != (i > 0) {
			t.Errorf("call %d: got cached %v, want %v", i, res.Cached, i > 0)
		}
	}
	if f.next.calls != 1 {
		t.Errorf("got %d provider calls for 3 identical calls, want 1", f.next.calls)
	}
	// The budget saw the one provider call: a hit takes no reservation.
	b, err := f.db.FindBudget(ctx, f.cust.ID, "")
	if err != nil {
		t.Fatal(err)
	}
	if b.Spent != 40 || b.Reserved != 0 {
		t.Errorf("got spent %d reserved %d, want 40 and 0", b.Spent, b.Reserved)
	}
	// The hits are recorded with what they saved.
	if err := f.hits.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	rep, err := f.db.UsageReport(ctx, copydesk.UsageFilter{From: f.clock.Now().Add(-time.Hour), To: f.clock.Now().Add(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Totals.Calls != 3 || rep.Totals.CacheHits != 2 || rep.Totals.Cost != 40 || rep.Totals.Saved != 80 {
		t.Errorf("got totals %+v, want 3 calls, 2 hits, cost 40, saved 80", rep.Totals)
	}
}

func TestBlocksSkipTheCache(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := MustChain(t, true)
	for range 2 {
		res, err := f.ch.Blocks.Stream(ctx, f.call("same"), nil)
		if err != nil {
			t.Fatal(err)
		}
		if res.Cached {
			t.Error("got a cached answer from Blocks, want every call to reach the provider")
		}
	}
	if f.next.calls != 2 {
		t.Errorf("got %d provider calls, want 2", f.next.calls)
	}
	b, _ := f.db.FindBudget(ctx, f.cust.ID, "")
	if b.Spent != 80 {
		t.Errorf("got spent %d, want 80: Blocks are guarded by the budget", b.Spent)
	}
}

func TestBudgetRefusesBeforeTheProvider(t *testing.T) {
	t.Parallel()
	f := MustChain(t, true)
	// Spend the budget down: each call reserves 100 and costs 40.
	ctx := context.Background()
	for i := 0; ; i++ {
		_, err := f.ch.Calls.Stream(ctx, f.call(string(rune('a'+i))), nil)
		if copydesk.ErrorCode(err) == copydesk.EBUDGETEXCEEDED {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		if i > 100 {
			t.Fatal("the budget never refused")
		}
	}
	b, _ := f.db.FindBudget(ctx, f.cust.ID, "")
	if b.Spent > b.Limit {
		t.Errorf("spent %d over the limit %d", b.Spent, b.Limit)
	}
}

func TestWithoutBudget(t *testing.T) {
	t.Parallel()
	f := MustChain(t, false)
	if _, err := f.ch.Calls.Stream(context.Background(), f.call("x"), nil); err != nil {
		t.Fatal(err)
	}
	res, err := f.ch.Blocks.Stream(context.Background(), f.call("x"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.Cached || f.next.calls != 2 {
		t.Errorf("got cached %v and %d provider calls, want Blocks to reach Next uncached (2 calls)", res.Cached, f.next.calls)
	}
}

// TestMeter checks that both entries add their finished calls to the
// context's meter: a cache hit counts as cached and costs nothing.
func TestMeter(t *testing.T) {
	t.Parallel()
	f := MustChain(t, true)
	m := &copydesk.Meter{}
	ctx := copydesk.WithMeter(context.Background(), m)
	for range 2 {
		if _, err := f.ch.Calls.Stream(ctx, f.call("same"), nil); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := f.ch.Blocks.Stream(ctx, f.call("block"), nil); err != nil {
		t.Fatal(err)
	}
	if _, err := f.ch.Calls.Stream(context.Background(), f.call("unmetered"), nil); err != nil {
		t.Fatal(err)
	}
	got, want := m.Read(), copydesk.MeterReading{Calls: 3, Cached: 1, Cost: 80}
	if got != want {
		t.Errorf("got %+v, want %+v", got, want)
	}
}

func TestNewValidates(t *testing.T) {
	t.Parallel()
	for name, cfg := range map[string]chain.Config{
		"no next":  {Cache: &cache.Cache{}},
		"no cache": {Next: &provider{}},
	} {
		if _, err := chain.New(cfg); copydesk.ErrorCode(err) != copydesk.EINVALID {
			t.Errorf("%s: got %v, want EINVALID", name, err)
		}
	}
}
