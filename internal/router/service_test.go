package router

import (
	"context"
	"strings"
	"sync"
	"testing"

	"github.com/copydesk/copydesk/internal/copydesk"
)

// recordingObserver keeps what the service reported.
type recordingObserver struct {
	mu   sync.Mutex
	recs []copydesk.UsageRecord
	errs []error
}

func (o *recordingObserver) ObserveModelCall(rec copydesk.UsageRecord, err error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.recs = append(o.recs, rec)
	o.errs = append(o.errs, err)
}

// recordingTracer counts the spans started and ended.
type recordingTracer struct {
	started, ended int
	lastErr        error
}

func (t *recordingTracer) StartProviderCall(ctx context.Context, kind string) (context.Context, func(copydesk.UsageRecord, error)) {
	t.started++
	return ctx, func(_ copydesk.UsageRecord, err error) { t.ended++; t.lastErr = err }
}

func serviceCall(kind string) copydesk.ModelCall {
	return copydesk.ModelCall{Kind: kind, Priority: copydesk.PriorityHigh, CustomerID: "cus_1",
		Request: copydesk.ModelRequest{Messages: []copydesk.Message{{Role: "user", Content: "hello"}}}}
}

func TestServiceStream(t *testing.T) {
	t.Parallel()
	f := MustFixture(t, nil)
	obs, tr := &recordingObserver{}, &recordingTracer{}
	s := &Service{Router: f.r, Simulated: map[string]bool{"openai": true}, Observer: obs, Tracer: tr}
	var deltas []string
	res, err := s.Stream(context.Background(), serviceCall("analysis"), func(d string) error {
		deltas = append(deltas, d)
		return nil
	})
	if err != nil {
		t.Fatalf("Stream: %v", err)
	}
	if res.Usage.Provider != "openai" || !res.Simulated || res.Cached {
		t.Errorf("got provider %q simulated %v cached %v, want openai, true, false", res.Usage.Provider, res.Simulated, res.Cached)
	}
	if len(deltas) == 0 || strings.Join(deltas, "") != res.Response.Text {
		t.Errorf("got deltas %q, want them to join to %q", deltas, res.Response.Text)
	}
	if len(obs.recs) != 1 || obs.errs[0] != nil || obs.recs[0].Provider != "openai" {
		t.Errorf("observer got %+v / %v, want one successful openai call", obs.recs, obs.errs)
	}
	if tr.started != 1 || tr.ended != 1 || tr.lastErr != nil {
		t.Errorf("tracer started %d ended %d (err %v), want one clean span", tr.started, tr.ended, tr.lastErr)
	}
}

func TestServiceCompleteFailed(t *testing.T) {
	t.Parallel()
	f := MustFixture(t, nil)
	f.oa[0].steps = []step{{kind: copydesk.ProviderBadRequest}}
	obs := &recordingObserver{}
	s := &Service{Router: f.r, Observer: obs}
	_, err := s.Stream(context.Background(), serviceCall("analysis"), nil)
	if copydesk.ErrorCode(err) != copydesk.EINVALID {
		t.Fatalf("got %v, want an EINVALID router error", err)
	}
	if len(obs.recs) != 1 || obs.errs[0] == nil {
		t.Fatalf("observer got %d records, want one failed", len(obs.recs))
	}
	rec := obs.recs[0]
	if rec.Kind != "analysis" || rec.CustomerID != "cus_1" || rec.Endpoint != "oa-quality" || rec.Attempts != 1 {
		t.Errorf("got record %+v, want kind, customer and the last attempt of the decision", rec)
	}
}

func TestServiceBudgetLeftPicksBudgetClass(t *testing.T) {
	t.Parallel()
	f := MustFixture(t, nil)
	var asked []string
	s := &Service{Router: f.r, BudgetLeft: func(_ context.Context, customerID string) (float64, error) {
		asked = append(asked, customerID)
		return 0.05, nil
	}}
	res, err := s.Stream(context.Background(), serviceCall("analysis"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.Usage.Decision.Class != ClassBudget {
		t.Errorf("got class %q, want %q for a customer with 5%% left", res.Usage.Decision.Class, ClassBudget)
	}
	if len(asked) != 1 || asked[0] != "cus_1" {
		t.Errorf("budget asked for %v, want [cus_1]", asked)
	}
}

func TestMaxCost(t *testing.T) {
	t.Parallel()
	f := MustFixture(t, nil)
	s := &Service{Router: f.r}
	call := serviceCall("analysis")
	call.Request.MaxTokens = 1000
	got, err := s.MaxCost(call)
	if err != nil {
		t.Fatal(err)
	}
	// The quality chain is gpt-4.1 then claude-sonnet-4: the most
	// expensive of the two bounds the cost.
	in := MaxInputTokens(call.Request)
	prices := testPrices()
	var want copydesk.Micros
	for _, m := range []string{"gpt-4.1", "claude-sonnet-4"} {
		c, err := prices.MaxCost(m, in, 1000, f.clock.Now())
		if err != nil {
			t.Fatal(err)
		}
		want = max(want, c)
	}
	if got != want || got <= 0 {
		t.Errorf("got max cost %d, want %d", got, want)
	}
	call.Request.MaxTokens = 0
	if def, _ := s.MaxCost(call); def <= got {
		t.Errorf("got %d without a cap, want more than %d (the default output %d)", def, got, DefaultMaxOutput)
	}
	call.Request.Model = "no-such-model"
	if _, err := s.MaxCost(call); copydesk.ErrorCode(err) != copydesk.ENOMODEL {
		t.Errorf("got %v for an unknown model, want ENOMODEL", err)
	}
}

func TestTokenBounds(t *testing.T) {
	t.Parallel()
	req := copydesk.ModelRequest{System: "abcd", Messages: []copydesk.Message{{Role: "user", Content: strings.Repeat("x", 40)}}}
	if got, want := MaxInputTokens(req), 4+16+40+8; got != want {
		t.Errorf("got MaxInputTokens %d, want %d", got, want)
	}
	if got, want := EstimateTokens(req), 44/4+1; got != want {
		t.Errorf("got EstimateTokens %d, want %d", got, want)
	}
	emb := copydesk.ModelRequest{Model: "e", Input: []string{strings.Repeat("y", 20), strings.Repeat("z", 20)}}
	if got, want := MaxInputTokens(emb), 16+28+28; got != want {
		t.Errorf("embedding: got MaxInputTokens %d, want %d", got, want)
	}
	if got, want := EstimateTokens(emb), 40/4+1; got != want {
		t.Errorf("embedding: got EstimateTokens %d, want %d", got, want)
	}
}
