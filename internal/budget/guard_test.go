package budget_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/copydesk/copydesk/internal/budget"
	"github.com/copydesk/copydesk/internal/copydesk"
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
