package main

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/copydesk/copydesk/internal/copydesk"
	"github.com/copydesk/copydesk/internal/pricing"
	"github.com/copydesk/copydesk/internal/providertest"
	"github.com/copydesk/copydesk/internal/router"
)

// TestBatchTierThroughGemini translates pages with service_tier batch
// through the real server, a Gemini provider and the fake's Gemini batch
// mode: the router offers the Gemini adapter as a batch provider, the work
// goes out as Gemini batches (nothing live, nothing twice), and the answers
// come back matched to their requests and paid at the batch price.
func TestBatchTierThroughGemini(t *testing.T) {
	t.Parallel()
	fake := providertest.NewTestServer(t, providertest.Options{})
	fake.SetBatch(providertest.BatchBehaviour{Delay: time.Hour})
	cfg := DefaultConfig()
	cfg.Providers = []ProviderConfig{{Name: "gm", Type: ProviderGemini, BaseURL: fake.URL, APIKeys: []string{"test-key"}}}
	cfg.Routing = router.Config{
		Endpoints: map[string]router.EndpointConfig{"sim": {Provider: "gm", Model: batchModel}},
		Classes:   map[string][]string{"quality": {"sim"}, "fast": {"sim"}, "budget": {"sim"}},
	}
	cfg.Pricing = pricing.Config{Prices: []pricing.Price{{Model: batchModel, InputPerMTok: 2_000_000, OutputPerMTok: 8_000_000,
		BatchInputPerMTok: 1_000_000, BatchOutputPerMTok: 4_000_000, Effective: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), Source: "test"}}}
	models, stop, err := buildModels(&cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = stop() })
	if _, ok := models.Router.BatchProviders()["gm"]; !ok {
		t.Fatalf("the router offers no batch provider gm (got %v)", models.Router.BatchProviders())
	}
	m := MustRunMain(t, func(m *Main) {
		m.Routed = models
		m.Config.BatchTier = BatchTierConfig{Tick: 100 * time.Millisecond, Recheck: 200 * time.Millisecond, LiveMargin: 2 * time.Second}
	})
	base, key := m.HTTP.URL(), MustAdminKey(t, m)

	var jobs []string
	for i := range 4 {
		r := call(t, base, "POST", "/v1/translations", key, map[string]any{
			"content":         fmt.Sprintf("Page %d is about product %d.\n\nDelivery is free within the city.", i, i),
			"source_language": "en", "target_languages": []string{"nl", "de"}, "service_tier": "batch"})
		MustStatus(t, r, 202, fmt.Sprintf("page %d", i))
		var acc accepted
		r.json(t, &acc)
		jobs = append(jobs, acc.JobID)
	}
	waitFor(t, 60*time.Second, "a Gemini batch", func() bool {
		n, _ := fake.BatchRequests()
		return n > 0
	})
	fake.SetBatch(providertest.BatchBehaviour{}) // the provider finishes the batches
	for _, id := range jobs {
		waitFor(t, 90*time.Second, "job "+id+" to finish", func() bool {
			s := MustJob(t, base, key, id, nil)
			return s != "queued" && s != "running"
		})
		if s := MustJob(t, base, key, id, nil); s != "succeeded" {
			r := call(t, base, "GET", "/v1/jobs/"+id, key, nil)
			t.Fatalf("job %s: %s, want succeeded: %s", id, s, r.Body)
		}
	}
	submitted, batches := fake.BatchRequests()
	if d := fake.BatchDuplicates(); d != 0 || liveCalls(fake) != 0 {
		t.Fatalf("%d requests submitted twice and %d live calls, want 0 and 0", d, liveCalls(fake))
	}
	for _, r := range fake.Requests() {
		if r.Provider != providertest.FormatGemini || r.Model != batchModel {
			t.Fatalf("fake got %s request for %s, want Gemini batch requests for %s", r.Provider, r.Model, batchModel)
		}
	}
	ctx := context.Background()
	all := copydesk.UsageFilter{From: time.Now().Add(-time.Hour), To: time.Now().Add(time.Hour)}
	var rows []*copydesk.LedgerEntry
	waitFor(t, 30*time.Second, "every batch request to be paid", func() bool {
		if rows, err = m.ledger.FindLedger(ctx, all); err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, e := range rows {
			if !e.CacheHit {
				n++
			}
		}
		submitted, batches = fake.BatchRequests()
		return n == submitted
	})
	prices := models.Router.Prices()
	for _, e := range rows {
		if e.CacheHit {
			continue
		}
		u := copydesk.Usage{InputTokens: e.InputTokens, OutputTokens: e.OutputTokens, CachedTokens: e.CachedTokens}
		want, _ := prices.BatchCost(batchModel, u, e.At)
		if e.Tier != copydesk.TierBatch || e.Cost != want || e.Provider != "gm" {
			t.Errorf("ledger row %s: provider %s tier %q cost %d, want gm batch at %d", e.ID, e.Provider, e.Tier, e.Cost, want)
		}
	}
	t.Logf("%d pages x 2 languages: %d Gemini batch requests in %d batches", len(jobs), submitted, batches)
}
