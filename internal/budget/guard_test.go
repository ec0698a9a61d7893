package budget_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/copydesk/copydesk/internal/budget"
	"github.com/copydesk/copydesk/internal/copydesk"
	"github.com/copydesk/copydesk/internal/storetest"
)

// pricedModels is a model service whose every call costs cost, or fails
// with err.
type pricedModels struct {
	cost copydesk.Micros
	err  error

	mu    sync.Mutex
	calls int
}

func (p *pricedModels) Stream(ctx context.Context, call copydesk.ModelCall, onDelta func(string) error) (*copydesk.ModelResult, error) {
	p.mu.Lock()
	p.calls++
	p.mu.Unlock()
	if p.err != nil {
		return nil, p.err
	}
	return &copydesk.ModelResult{
		Response: &copydesk.ModelResponse{Text: "ok"},
		Usage:    copydesk.UsageRecord{Provider: "openai", Model: "gpt-4.1", InputTokens: 10, OutputTokens: 5, Cost: p.cost},
	}, nil
}

// fixedEstimate estimates every call at its value.
type fixedEstimate copydesk.Micros

func (f fixedEstimate) MaxCost(copydesk.ModelCall) (copydesk.Micros, error) {
	return copydesk.Micros(f), nil
}

func TestGuard(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	month := func(clock interface{ Now() time.Time }) copydesk.UsageFilter {
		now := clock.Now()
		return copydesk.UsageFilter{From: now.Add(-time.Hour), To: now.Add(time.Hour)}
	}

	t.Run("settles the actual cost with a ledger row", func(t *testing.T) {
		t.Parallel()
		svc, db, clock, c := MustService(t, 1000)
		next := &pricedModels{cost: 300}
		var settled []string
		g := &budget.Guard{Next: next, Budget: svc, Estimator: fixedEstimate(500),
			OnSettled: func(_ context.Context, id string) { settled = append(settled, id) }}
		if _, err := g.Stream(ctx, copydesk.ModelCall{Kind: "chat", CustomerID: c.ID}, nil); err != nil {
			t.Fatal(err)
		}
		b, err := db.FindBudget(ctx, c.ID, "")
		if err != nil {
			t.Fatal(err)
		}
		if b.Spent != 300 || b.Reserved != 0 {
			t.Errorf("got spent %d reserved %d, want 300 and 0", b.Spent, b.Reserved)
		}
		rows, err := db.FindLedger(ctx, month(clock))
		if err != nil {
			t.Fatal(err)
		}
		if len(rows) != 1 || rows[0].Cost != 300 || rows[0].Model != "gpt-4.1" || rows[0].CacheHit || rows[0].Count != 1 {
			t.Errorf("got ledger %+v, want one provider-call row of 300", rows)
		}
		if len(settled) != 1 || settled[0] != c.ID {
			t.Errorf("OnSettled got %v, want [%s]", settled, c.ID)
		}
	})

	t.Run("does not tell of a call no budget guarded", func(t *testing.T) {
		t.Parallel()
		svc, db, _, _ := MustService(t, 1000)
		other := storetest.MustCreateCustomer(t, db, "No budget")
		var settled []string
		g := &budget.Guard{Next: &pricedModels{cost: 300}, Budget: svc, Estimator: fixedEstimate(500),
			OnSettled: func(_ context.Context, id string) { settled = append(settled, id) }}
		if _, err := g.Stream(ctx, copydesk.ModelCall{Kind: "chat", CustomerID: other.ID}, nil); err != nil {
			t.Fatal(err)
		}
		if len(settled) != 0 {
			t.Errorf("OnSettled got %v for a customer without a budget, want nothing", settled)
		}
	})

	t.Run("refuses a call the budget cannot hold", func(t *testing.T) {
		t.Parallel()
		svc, _, _, c := MustService(t, 1000)
		next := &pricedModels{cost: 1}
		var events []budget.Event
		g := &budget.Guard{Next: next, Budget: svc, Estimator: fixedEstimate(1001),
			OnEvents: func(e []budget.Event) { events = append(events, e...) }}
		_, err := g.Stream(ctx, copydesk.ModelCall{Kind: "chat", CustomerID: c.ID}, nil)
		if copydesk.ErrorCode(err) != copydesk.EBUDGETEXCEEDED {
			t.Fatalf("got %v, want EBUDGETEXCEEDED", err)
		}
		if next.calls != 0 {
			t.Errorf("got %d provider calls, want 0", next.calls)
		}
		if len(events) != 1 || events[0].Name != "hard" {
			t.Errorf("got events %+v, want the hard threshold once", events)
		}
	})

	t.Run("releases the reservation of a failed call", func(t *testing.T) {
		t.Parallel()
		svc, db, clock, c := MustService(t, 1000)
		next := &pricedModels{err: &copydesk.ProviderError{Provider: "openai", Kind: copydesk.ProviderServer, Message: "boom"}}
		g := &budget.Guard{Next: next, Budget: svc, Estimator: fixedEstimate(500)}
		if _, err := g.Stream(ctx, copydesk.ModelCall{Kind: "chat", CustomerID: c.ID}, nil); err == nil {
			t.Fatal("got no error, want the provider's")
		}
		b, err := db.FindBudget(ctx, c.ID, "")
		if err != nil {
			t.Fatal(err)
		}
		if b.Spent != 0 || b.Reserved != 0 {
			t.Errorf("got spent %d reserved %d, want 0 and 0", b.Spent, b.Reserved)
		}
		if rows, _ := db.FindLedger(ctx, month(clock)); len(rows) != 0 {
			t.Errorf("got %d ledger rows, want none for a failed call", len(rows))
		}
	})

	t.Run("passes calls without a customer", func(t *testing.T) {
		t.Parallel()
		svc, _, _, _ := MustService(t, 0)
		next := &pricedModels{cost: 5}
		g := &budget.Guard{Next: next, Budget: svc, Estimator: fixedEstimate(1 << 40)}
		if _, err := g.Stream(ctx, copydesk.ModelCall{Kind: "chat"}, nil); err != nil {
			t.Fatalf("got %v, want the call to pass unguarded", err)
		}
		if next.calls != 1 {
			t.Errorf("got %d calls, want 1", next.calls)
		}
	})
}

// perToken estimates a call as 10 plus one per output token (4096 when
// the call sets no cap).
type perToken struct{}

func (perToken) MaxCost(call copydesk.ModelCall) (copydesk.Micros, error) {
	out := call.Request.MaxTokens
	if out <= 0 {
		out = 4096
	}
	return copydesk.Micros(10 + out), nil
}

// capturing records the output cap each call ran with and costs what its
// cost function says.
type capturing struct {
	mu    sync.Mutex
	caps  []int
	cost  func(call copydesk.ModelCall) copydesk.Micros
	block chan struct{} // when set, calls wait for it
}

func (c *capturing) Stream(ctx context.Context, call copydesk.ModelCall, onDelta func(string) error) (*copydesk.ModelResult, error) {
	c.mu.Lock()
	c.caps = append(c.caps, call.Request.MaxTokens)
	c.mu.Unlock()
	if c.block != nil {
		<-c.block
	}
	return &copydesk.ModelResult{Response: &copydesk.ModelResponse{Text: "ok", FinishReason: "length"},
		Usage: copydesk.UsageRecord{Model: "m", Cost: c.cost(call)}}, nil
}

func TestGuardClampsToTheBudget(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	svc, db, _, c := MustService(t, 1000)
	next := &capturing{cost: func(call copydesk.ModelCall) copydesk.Micros { return copydesk.Micros(10 + call.Request.MaxTokens) }}
	g := &budget.Guard{Next: next, Budget: svc, Estimator: perToken{}}
	res, err := g.Stream(ctx, copydesk.ModelCall{Kind: "chat", CustomerID: c.ID}, nil)
	if err != nil {
		t.Fatalf("got %v, want a call clamped to the budget instead of a refusal", err)
	}
	if res.ClampedMaxTokens != 990 || next.caps[0] != 990 {
		t.Errorf("got cap %d (clamped %d), want 990: what 1000 pays for", next.caps[0], res.ClampedMaxTokens)
	}
	b, _ := db.FindBudget(ctx, c.ID, "")
	if b.Spent != 1000 || b.Reserved != 0 {
		t.Errorf("got spent %d reserved %d, want 1000 and 0", b.Spent, b.Reserved)
	}
	// Nothing is left, not even for 16 tokens: refused until next month.
	_, err = g.Stream(ctx, copydesk.ModelCall{Kind: "chat", CustomerID: c.ID}, nil)
	if de, ok := err.(*copydesk.Error); !ok || de.Code != copydesk.EBUDGETEXCEEDED || de.RetryAfter < time.Hour {
		t.Errorf("got %v, want EBUDGETEXCEEDED until next month", err)
	}
}

func TestGuardWaitsForCallsInFlight(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	svc, _, _, c := MustService(t, 1000)
	next := &capturing{cost: func(copydesk.ModelCall) copydesk.Micros { return 100 }, block: make(chan struct{})}
	g := &budget.Guard{Next: next, Budget: svc, Estimator: perToken{}, MaxWait: time.Minute}
	call := copydesk.ModelCall{Kind: "chat", CustomerID: c.ID, Request: copydesk.ModelRequest{MaxTokens: 590}} // costs at most 600
	first := make(chan error, 1)
	go func() { _, err := g.Stream(ctx, call, nil); first <- err }()
	for {
		next.mu.Lock()
		n := len(next.caps)
		next.mu.Unlock()
		if n == 1 {
			break
		}
		time.Sleep(time.Millisecond)
	}
	second := make(chan *copydesk.ModelResult, 1)
	go func() {
		res, err := g.Stream(ctx, call, nil)
		if err != nil {
			t.Error(err)
		}
		second <- res
	}()
	time.Sleep(200 * time.Millisecond) // the second waits: the first holds 600 of 1000
	close(next.block)                  // the first settles at 100
	if err := <-first; err != nil {
		t.Fatal(err)
	}
	res := <-second
	if res == nil || res.ClampedMaxTokens != 0 || next.caps[1] != 590 {
		t.Errorf("got caps %v, clamped %v; want the second call with its whole cap once the first settled", next.caps, res)
	}
}

// TestGuardUsesTheBudget: many concurrent calls on a budget for about a
// tenth of them spend nearly all of it and never more.
func TestGuardUsesTheBudget(t *testing.T) {
	for _, store := range []string{"sqlite", "memory"} {
		t.Run(store, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			open := openSQLite
			if store == "memory" {
				open = func(tb testing.TB, clock copydesk.Clock) storetest.MoneyStore {
					return newMemoryStore(openSQLite)(tb.(*testing.T), clock)
				}
			}
			svc, db, _, c := MustServiceOn(t, 30_000, open)
			// Each call may cost 4106 (no cap set) but costs 250: without
			// waiting and clamping, seven in flight would fill the budget.
			next := &capturing{cost: func(call copydesk.ModelCall) copydesk.Micros {
				if call.Request.MaxTokens == 0 {
					return 250
				}
				return min(250, copydesk.Micros(10+call.Request.MaxTokens))
			}}
			g := &budget.Guard{Next: next, Budget: svc, Estimator: perToken{}}
			var wg sync.WaitGroup
			var ok, refused int
			var mu sync.Mutex
			for range 300 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					_, err := g.Stream(ctx, copydesk.ModelCall{Kind: "chat", CustomerID: c.ID}, nil)
					mu.Lock()
					defer mu.Unlock()
					switch copydesk.ErrorCode(err) {
					case "":
						ok++
					case copydesk.EBUDGETEXCEEDED:
						refused++
					default:
						t.Error(err)
					}
				}()
			}
			wg.Wait()
			b, _ := db.FindBudget(ctx, c.ID, "")
			if b.Spent > b.Limit {
				t.Fatalf("spent %d over the limit %d", b.Spent, b.Limit)
			}
			if b.Spent*100 < b.Limit*95 {
				t.Errorf("spent %d of %d (%d calls answered, %d refused), want at least 95 %%", b.Spent, b.Limit, ok, refused)
			}
			t.Logf("%s: spent %d of %d, %d answered, %d refused", store, b.Spent, b.Limit, ok, refused)
		})
	}
}
