package batchtier_test

import (
	"context"
	"encoding/json"
	"path/filepath"
	"testing"
	"time"

	"github.com/copydesk/copydesk/internal/anthropic"
	"github.com/copydesk/copydesk/internal/batchtier"
	"github.com/copydesk/copydesk/internal/copydesk"
	"github.com/copydesk/copydesk/internal/pricing"
	"github.com/copydesk/copydesk/internal/providertest"
	"github.com/copydesk/copydesk/internal/sqlite"
	"github.com/copydesk/copydesk/internal/storetest"
)

// claudeDirectory routes every call to the simulator's Claude model.
type claudeDirectory struct{}

func (claudeDirectory) Models() []copydesk.ModelInfo { return nil }
func (claudeDirectory) ResolveModel(copydesk.ModelCall) (copydesk.ModelInfo, error) {
	return copydesk.ModelInfo{ID: "claude", Provider: "anthropic", Model: "claude-sim"}, nil
}

// setupAnthropic is setup with the real Anthropic adapter against the
// simulator's Message Batches API instead of a batch API in memory.
func setupAnthropic(t *testing.T, b providertest.BatchBehaviour) (*batchtier.Service, *batchtier.Poller, *providertest.Server, *live, *storetest.Clock) {
	t.Helper()
	clock := storetest.NewClock(storetest.Epoch())
	db, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "db"), sqlite.Options{Clock: clock})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	prices, err := pricing.NewTable(pricing.USD, []pricing.Price{{Model: "claude-sim", InputPerMTok: 2_000_000, OutputPerMTok: 8_000_000,
		BatchInputPerMTok: 1_000_000, BatchOutputPerMTok: 4_000_000, Effective: storetest.Epoch().AddDate(-1, 0, 0)}})
	if err != nil {
		t.Fatal(err)
	}
	sim := providertest.NewTestServer(t, providertest.Options{Batch: b})
	client, err := anthropic.New(anthropic.Config{APIKey: "test-key", BaseURL: sim.URL})
	if err != nil {
		t.Fatal(err)
	}
	lv := &live{}
	providers := map[string]copydesk.BatchProvider{"anthropic": client}
	svc := &batchtier.Service{Next: lv, Store: db, Directory: claudeDirectory{}, Providers: providers, Prices: prices, Clock: clock}
	poller := &batchtier.Poller{Store: db, Providers: providers, Prices: prices, Clock: clock, Tick: time.Second}
	return svc, poller, sim, lv, clock
}

// TestBatchTierThroughAnthropic runs batch tier calls through the
// Anthropic adapter and the simulated Message Batches API: the answers come
// back at the batch price, a request the provider failed runs live, and
// nothing goes out twice.
func TestBatchTierThroughAnthropic(t *testing.T) {
	ctx := context.Background()
	svc, poller, sim, lv, clock := setupAnthropic(t, providertest.BatchBehaviour{FailEvery: 2})
	for _, text := range []string{"translate this", "translate that"} {
		if _, err := svc.Stream(ctx, call(text), nil); err == nil {
			t.Fatalf("%s: got an answer, want a wait", text)
		}
	}
	if err := poller.Once(ctx); err != nil {
		t.Fatal(err)
	}
	if n, batches := sim.BatchRequests(); n != 2 || batches != 1 {
		t.Fatalf("got %d requests in %d message batches, want 2 in 1", n, batches)
	}
	clock.Add(2 * time.Second)
	if err := poller.Once(ctx); err != nil {
		t.Fatal(err)
	}
	res, err := svc.Stream(ctx, call("translate this"), nil)
	if err != nil {
		t.Fatalf("after collection: %v", err)
	}
	u := res.Response.Usage
	want := providertest.Tokens(providertest.Request{Messages: call("translate this").Request.Messages}, res.Response.Text)
	// $1 and $4 per million tokens in a batch: 1 and 4 micro-dollars a token.
	if u != want || res.Usage.Cost != copydesk.Micros(u.InputTokens+4*u.OutputTokens) || res.Usage.Tier != copydesk.TierBatch ||
		res.Response.Model != "claude-sim" || res.Response.FinishReason != "end_turn" {
		t.Errorf("got %+v cost %d tier %q, want the simulated answer with usage %+v at the batch price, tier batch", res.Response, res.Usage.Cost, res.Usage.Tier, want)
	}
	// The second request of the batch failed at the provider: it runs live.
	res, err = svc.Stream(ctx, call("translate that"), nil)
	if err != nil || res.Response.Text != "live" || lv.calls != 1 {
		t.Errorf("failed item: got %v, %v after %d live calls; want one live call", res, err, lv.calls)
	}
	if n := sim.BatchDuplicates(); n != 0 {
		t.Errorf("got %d requests submitted twice, want 0", n)
	}
}

// TestBatchTierAnthropicStaleSubmission: a submission whose submitter died
// after Anthropic created its batch is found again by its requests' custom
// ids (copydesk.BatchMatcher) once the batch has ended; until then it
// waits, and nothing goes out twice. A stale submission whose batch was
// never created goes out again.
func TestBatchTierAnthropicStaleSubmission(t *testing.T) {
	ctx := context.Background()
	svc, poller, sim, _, clock := setupAnthropic(t, providertest.BatchBehaviour{Delay: time.Hour})
	if _, ok := poller.Providers["anthropic"].(copydesk.BatchFinder); ok {
		t.Fatal("the Anthropic adapter claims copydesk.BatchFinder; a message batch has no label to find it by")
	}
	for _, text := range []string{"a", "b"} {
		if _, err := svc.Stream(ctx, call(text), nil); err == nil {
			t.Fatalf("%s: got an answer, want a wait", text)
		}
	}
	// Two crashes: a's batch was created at Anthropic, b's was not.
	claim := func(id string) []*copydesk.BatchItem {
		items, err := poller.Store.ClaimBatchItems(ctx, &copydesk.BatchSubmission{ID: id, Provider: "anthropic", Model: "claude-sim"}, 1)
		if err != nil || len(items) != 1 {
			t.Fatalf("claim %s: %d items, %v", id, len(items), err)
		}
		return items
	}
	a := claim("bsub_crashed_a")
	var req copydesk.ModelRequest
	if err := json.Unmarshal(a[0].Request, &req); err != nil {
		t.Fatal(err)
	}
	if _, err := poller.Providers["anthropic"].SubmitBatch(ctx, "bsub_crashed_a", "claude-sim", []copydesk.BatchRequest{{CustomID: a[0].Key, Request: req}}); err != nil {
		t.Fatal(err)
	}
	b := claim("bsub_crashed_b")
	clock.Add(batchtier.StaleSubmitDefault + time.Minute)

	// a's batch is still in progress, and it may be either's (it has
	// their size): both wait, nothing goes out again.
	for range 2 {
		if err := poller.Once(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if n, _ := sim.BatchRequests(); n != 1 {
		t.Fatalf("while a's batch runs: %d requests, want 1 (a's only)", n)
	}
	sim.SetBatch(providertest.BatchBehaviour{}) // every batch ends
	// A waiting submission is asked about again once stale again.
	// Then: match a and put b back; submit b and collect a; collect b.
	clock.Add(batchtier.StaleSubmitDefault)
	for range 4 {
		clock.Add(2 * time.Second)
		if err := poller.Once(ctx); err != nil {
			t.Fatal(err)
		}
	}
	for _, it := range append(a, b...) {
		got, err := poller.Store.FindBatchItem(ctx, it.Key)
		if err != nil || got.State != copydesk.BatchItemDone {
			t.Errorf("item %s: %+v, %v; want done", it.Key, got, err)
		}
	}
	if n, batches := sim.BatchRequests(); n != 2 || batches != 2 || sim.BatchDuplicates() != 0 {
		t.Errorf("got %d requests in %d batches, %d twice; want 2 in 2, none twice", n, batches, sim.BatchDuplicates())
	}
}
