package batchtier_test

import (
	"context"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/copydesk/copydesk/internal/batchtier"
	"github.com/copydesk/copydesk/internal/copydesk"
	"github.com/copydesk/copydesk/internal/pricing"
	"github.com/copydesk/copydesk/internal/sqlite"
	"github.com/copydesk/copydesk/internal/storetest"
)

// fakeBatches is a provider batch API in memory: a batch is done once
// done is set; fail names custom ids answered with an error.
type fakeBatches struct {
	mu        sync.Mutex
	batches   map[string][]copydesk.BatchRequest
	submitted map[string]int    // custom id → times submitted
	labels    map[string]string // label → batch id
	refused   bool              // SubmitBatch refuses every batch as a bad request
	done      bool
	fail      map[string]bool
}

func (f *fakeBatches) SubmitBatch(_ context.Context, label, model string, reqs []copydesk.BatchRequest) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.refused {
		return "", &copydesk.ProviderError{Kind: copydesk.ProviderBadRequest, Message: "invalid request in line 1"}
	}
	id := fmt.Sprintf("batch_%d", len(f.batches))
	f.batches[id] = reqs
	f.labels[label] = id
	for _, r := range reqs {
		f.submitted[r.CustomID]++
	}
	return id, nil
}

func (f *fakeBatches) FindBatch(_ context.Context, label string, _ time.Time) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.labels[label], nil
}

func (f *fakeBatches) PollBatch(_ context.Context, id string) (*copydesk.BatchState, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if !f.done {
		return &copydesk.BatchState{Status: "in_progress"}, nil
	}
	st := &copydesk.BatchState{Done: true, Status: "completed"}
	for _, r := range f.batches[id] {
		if f.fail[r.CustomID] {
			st.Results = append(st.Results, copydesk.BatchResult{CustomID: r.CustomID, Err: &copydesk.ProviderError{Kind: copydesk.ProviderServer, Message: "boom"}})
			continue
		}
		st.Results = append(st.Results, copydesk.BatchResult{CustomID: r.CustomID, Response: &copydesk.ModelResponse{
			Text: "answer to " + r.Request.Messages[0].Content, Model: model(r), FinishReason: "stop",
			Usage: copydesk.Usage{InputTokens: 1_000_000, OutputTokens: 1_000_000}}})
	}
	return st, nil
}

func model(r copydesk.BatchRequest) string { return r.Request.Model }

type directory struct{}

func (directory) Models() []copydesk.ModelInfo { return nil }
func (directory) ResolveModel(copydesk.ModelCall) (copydesk.ModelInfo, error) {
	return copydesk.ModelInfo{ID: "m", Provider: "openai", Model: "m"}, nil
}

// live counts live calls.
type live struct {
	mu    sync.Mutex
	calls int
}

func (l *live) Stream(_ context.Context, call copydesk.ModelCall, _ func(string) error) (*copydesk.ModelResult, error) {
	l.mu.Lock()
	l.calls++
	l.mu.Unlock()
	return &copydesk.ModelResult{Response: &copydesk.ModelResponse{Text: "live"}, Usage: copydesk.UsageRecord{Cost: 10_000_000}}, nil
}

func setup(t *testing.T) (*batchtier.Service, *batchtier.Poller, *fakeBatches, *live, *storetest.Clock) {
	t.Helper()
	clock := storetest.NewClock(storetest.Epoch())
	db, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "db"), sqlite.Options{Clock: clock})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	prices, err := pricing.NewTable(pricing.USD, []pricing.Price{{Model: "m", InputPerMTok: 2_000_000, OutputPerMTok: 8_000_000,
		BatchInputPerMTok: 1_000_000, BatchOutputPerMTok: 4_000_000, Effective: storetest.Epoch().AddDate(-1, 0, 0)}})
	if err != nil {
		t.Fatal(err)
	}
	fb := &fakeBatches{batches: map[string][]copydesk.BatchRequest{}, submitted: map[string]int{}, fail: map[string]bool{}, labels: map[string]string{}}
	lv := &live{}
	providers := map[string]copydesk.BatchProvider{"openai": fb}
	svc := &batchtier.Service{Next: lv, Store: db, Directory: directory{}, Providers: providers, Prices: prices, Clock: clock}
	poller := &batchtier.Poller{Store: db, Providers: providers, Prices: prices, Clock: clock, Tick: time.Second}
	return svc, poller, fb, lv, clock
}

func call(text string) copydesk.ModelCall {
	return copydesk.ModelCall{Kind: "translation", Tier: copydesk.TierBatch,
		Request: copydesk.ModelRequest{Messages: []copydesk.Message{{Role: "user", Content: text}}}}
}

func TestBatchTier(t *testing.T) {
	ctx := context.Background()
	svc, poller, fb, lv, clock := setup(t)

	// Asked twice before submission, by two jobs: one item.
	for range 2 {
		if _, err := svc.Stream(ctx, call("a"), nil); err == nil {
			t.Fatal("first call: got an answer, want a wait")
		} else if _, ok := copydesk.IsWait(err); !ok || !copydesk.Retryable(err) {
			t.Fatalf("first call: got %v, want a retryable *WaitError", err)
		}
	}
	if _, err := svc.Stream(ctx, call("b"), nil); err == nil {
		t.Fatal("call b: got an answer, want a wait")
	}
	// Two pollers at once submit each request once.
	var wg sync.WaitGroup
	other := &batchtier.Poller{Store: poller.Store, Providers: poller.Providers, Prices: poller.Prices, Clock: poller.Clock, Tick: poller.Tick}
	for _, p := range []*batchtier.Poller{poller, other} {
		wg.Go(func() {
			if err := p.Once(ctx); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if len(fb.batches) != 1 || len(fb.submitted) != 2 {
		t.Fatalf("got %d batches with %d requests, want 1 with 2", len(fb.batches), len(fb.submitted))
	}
	// Still running: the call waits, nothing is submitted again.
	clock.Add(2 * time.Second)
	if err := poller.Once(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Stream(ctx, call("a"), nil); err == nil {
		t.Fatal("call while the batch runs: got an answer, want a wait")
	}
	fb.mu.Lock()
	fb.done, fb.fail[mustKey(t, "b")] = true, true
	fb.mu.Unlock()
	clock.Add(time.Hour)
	for _, p := range []*batchtier.Poller{poller, other} {
		if err := p.Once(ctx); err != nil {
			t.Fatal(err)
		}
	}
	res, err := svc.Stream(ctx, call("a"), nil)
	if err != nil {
		t.Fatalf("call after collection: %v", err)
	}
	// 1M in at $1 + 1M out at $4 (batch), not $2 + $8 (list).
	if res.Response.Text != "answer to a" || res.Usage.Cost != 5_000_000 || res.Usage.Tier != copydesk.TierBatch {
		t.Errorf("got %q cost %d tier %q, want the batch answer at 5000000, tier batch", res.Response.Text, res.Usage.Cost, res.Usage.Tier)
	}
	// b failed at the provider: it runs live.
	res, err = svc.Stream(ctx, call("b"), nil)
	if err != nil || res.Response.Text != "live" || lv.calls != 1 {
		t.Errorf("failed item: got %v, %v after %d live calls; want one live call", res, err, lv.calls)
	}
	for k, n := range fb.submitted {
		if n != 1 {
			t.Errorf("request %s submitted %d times, want once", k, n)
		}
	}
}

func mustKey(t *testing.T, text string) string {
	t.Helper()
	c := call(text)
	k, _, err := batchtier.Key("openai", "m", c.Request)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func TestBatchTierDeadline(t *testing.T) {
	ctx := context.Background()
	svc, poller, fb, lv, clock := setup(t)
	c := call("late")
	c.CompleteBy = clock.Now().Add(time.Hour)
	_, err := svc.Stream(ctx, c, nil)
	we, ok := copydesk.IsWait(err)
	if !ok {
		t.Fatalf("got %v, want a wait", err)
	}
	if we.After > time.Hour-batchtier.LiveMarginDefault {
		t.Errorf("wait %v, want at most until the live margin before the deadline", we.After)
	}
	if err := poller.Once(ctx); err != nil || len(fb.submitted) != 1 {
		t.Fatalf("submit: %v, %d submitted", err, len(fb.submitted))
	}
	clock.Add(55 * time.Minute) // within the live margin; the batch is not back
	res, err := svc.Stream(ctx, c, nil)
	if err != nil || res.Response.Text != "live" || lv.calls != 1 {
		t.Fatalf("near the deadline: got %v, %v, %d live calls; want a live answer", res, err, lv.calls)
	}
	// Live tier calls never touch the batch store.
	c2 := call("now")
	c2.Tier = ""
	if res, err := svc.Stream(ctx, c2, nil); err != nil || res.Response.Text != "live" {
		t.Errorf("live call: got %v, %v", res, err)
	}
}

// TestBatchTierRecoversASubmission: a submitter that dies after the
// provider created the batch but before its id was recorded leaves a
// submission "submitting"; once stale, the poller finds the batch by its
// label and polls it instead of submitting the items again.
func TestBatchTierRecoversASubmission(t *testing.T) {
	ctx := context.Background()
	svc, poller, fb, _, clock := setup(t)
	if _, err := svc.Stream(ctx, call("a"), nil); err == nil {
		t.Fatal("got an answer, want a wait")
	}
	store := poller.Store
	// The crash: the provider holds the batch, the store never learns its
	// id, and the abandon that follows a failed call does not happen.
	sub := &copydesk.BatchSubmission{ID: "bsub_crashed", Provider: "openai", Model: "m"}
	items, err := store.ClaimBatchItems(ctx, sub, 10)
	if err != nil || len(items) != 1 {
		t.Fatalf("claim: %d items, %v", len(items), err)
	}
	reqs := []copydesk.BatchRequest{{CustomID: items[0].Key, Request: call("a").Request}}
	if _, err := fb.SubmitBatch(ctx, sub.ID, "m", reqs); err != nil {
		t.Fatal(err)
	}
	clock.Add(batchtier.StaleSubmitDefault + time.Minute)
	fb.mu.Lock()
	fb.done = true
	fb.mu.Unlock()
	for range 2 { // recover, then collect
		if err := poller.Once(ctx); err != nil {
			t.Fatal(err)
		}
	}
	res, err := svc.Stream(ctx, call("a"), nil)
	if err != nil || res.Response.Text != "answer to a" {
		t.Fatalf("after recovery: got %v, %v; want the batch's answer", res, err)
	}
	if len(fb.batches) != 1 || fb.submitted[items[0].Key] != 1 {
		t.Errorf("got %d batches, request submitted %d times; want 1 and once", len(fb.batches), fb.submitted[items[0].Key])
	}
}

// TestBatchTierRefusedBatch: a batch the provider refuses as a bad request
// is not submitted again tick after tick (the group would stall): its
// items fail, and their calls run live.
func TestBatchTierRefusedBatch(t *testing.T) {
	ctx := context.Background()
	svc, poller, fb, lv, _ := setup(t)
	fb.refused = true
	if _, err := svc.Stream(ctx, call("a"), nil); err == nil {
		t.Fatal("got an answer, want a wait")
	}
	if err := poller.Once(ctx); err != nil {
		t.Fatalf("a refused batch is the items' failure, not the poller's: %v", err)
	}
	if err := poller.Once(ctx); err != nil {
		t.Fatal(err)
	}
	it, err := poller.Store.FindBatchItem(ctx, mustKey(t, "a"))
	if err != nil || it.State != copydesk.BatchItemFailed || it.ErrorKind != copydesk.ProviderBadRequest {
		t.Fatalf("item: %+v, %v; want failed as a bad request", it, err)
	}
	res, err := svc.Stream(ctx, call("a"), nil)
	if err != nil || res.Response.Text != "live" || lv.calls != 1 {
		t.Errorf("after the refusal: got %v, %v after %d live calls; want one live answer", res, err, lv.calls)
	}
}
