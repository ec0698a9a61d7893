package batchtier_test

import (
	"context"
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

// TestBatchTierAnthropicStaleSubmission shows the limit of a provider
// without copydesk.BatchFinder: a submission whose submitter died after
// Anthropic created its batch cannot be found again, so its items go out
// a second time.
func TestBatchTierAnthropicStaleSubmission(t *testing.T) {
	ctx := context.Background()
	svc, poller, sim, _, clock := setupAnthropic(t, providertest.BatchBehaviour{})
	if _, ok := poller.Providers["anthropic"].(copydesk.BatchFinder); ok {
		t.Fatal("the Anthropic adapter claims copydesk.BatchFinder; a message batch has no label to find it by")
	}
	if _, err := svc.Stream(ctx, call("a"), nil); err == nil {
		t.Fatal("got an answer, want a wait")
	}
	sub := &copydesk.BatchSubmission{ID: "bsub_crashed", Provider: "anthropic", Model: "claude-sim"}
	items, err := poller.Store.ClaimBatchItems(ctx, sub, 10)
	if err != nil || len(items) != 1 {
		t.Fatalf("claim: %d items, %v", len(items), err)
	}
	if _, err := poller.Providers["anthropic"].SubmitBatch(ctx, sub.ID, "claude-sim", []copydesk.BatchRequest{{CustomID: items[0].Key, Request: call("a").Request}}); err != nil {
		t.Fatal(err)
	}
	clock.Add(batchtier.StaleSubmitDefault + time.Minute)
	for range 3 { // abandon, submit again, collect
		if err := poller.Once(ctx); err != nil {
			t.Fatal(err)
		}
		clock.Add(2 * time.Second)
	}
	if res, err := svc.Stream(ctx, call("a"), nil); err != nil || res.Usage.Tier != copydesk.TierBatch {
		t.Fatalf("after recovery: got %v, %v; want the batch's answer", res, err)
	}
	if n, batches := sim.BatchRequests(); n != 2 || batches != 2 || sim.BatchDuplicates() != 1 {
		t.Errorf("got %d requests in %d batches, %d twice; want 2 in 2, 1 twice", n, batches, sim.BatchDuplicates())
	}
}
