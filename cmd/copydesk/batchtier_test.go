package main

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/copydesk/copydesk/internal/copydesk"
	"github.com/copydesk/copydesk/internal/ledger"
	"github.com/copydesk/copydesk/internal/pricing"
	"github.com/copydesk/copydesk/internal/providertest"
	"github.com/copydesk/copydesk/internal/router"
)

// batchModel is priced at $2/$8 per million tokens live and $1/$4 in a
// batch.
const batchModel = "sim-batch-1"

func mustBatchModels(tb testing.TB) (*router.Service, *providertest.Server, *pricing.Table) {
	tb.Helper()
	fake := providertest.NewTestServer(tb, providertest.Options{})
	cfg := DefaultConfig()
	cfg.Providers = []ProviderConfig{{Name: "fake", Type: ProviderOpenAICompatible, BaseURL: fake.URL + "/v1/", APIKeys: []string{"test-key"}}}
	cfg.Routing = router.Config{
		Endpoints: map[string]router.EndpointConfig{"sim": {Provider: "fake", Model: batchModel}},
		Classes:   map[string][]string{"quality": {"sim"}, "fast": {"sim"}, "budget": {"sim"}},
	}
	cfg.Pricing = pricing.Config{Prices: []pricing.Price{{Model: batchModel, InputPerMTok: 2_000_000, OutputPerMTok: 8_000_000,
		BatchInputPerMTok: 1_000_000, BatchOutputPerMTok: 4_000_000, Effective: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), Source: "test"}}}
	svc, stop, err := buildModels(&cfg)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = stop() })
	return svc, fake, svc.Router.Prices()
}

// waitFor polls cond every 50 ms for up to limit (a bound on a wait, not
// a timed assertion) and fails with what if it never holds.
func waitFor(tb testing.TB, limit time.Duration, what string, cond func() bool) {
	tb.Helper()
	for end := time.Now().Add(limit); !cond(); time.Sleep(50 * time.Millisecond) {
		if time.Now().After(end) {
			tb.Fatalf("gave up waiting: %s", what)
		}
	}
}

func liveCalls(fake *providertest.Server) int {
	n := 0
	for _, r := range fake.Requests() {
		if !r.Batch {
			n++
		}
	}
	return n
}

// TestBatchTierTranslatesASite bulk-translates a site (pages sharing a
// boilerplate paragraph, some pages identical) into 3 languages with
// service_tier batch through the real server and the fake OpenAI Batch
// API: the work goes out as provider batches, the server restarts while
// they run (nothing lost, nothing submitted twice), the answers are paid
// at the batch price in the ledger, a second pass costs nothing, and a
// request whose deadline comes first runs live.
func TestBatchTierTranslatesASite(t *testing.T) {
	models, fake, prices := mustBatchModels(t)
	fake.SetBatch(providertest.BatchBehaviour{Delay: time.Hour})
	dir := t.TempDir()
	configure := func(m *Main) {
		m.Routed = models
		m.Config.DataDir = dir
		m.Config.BatchTier = BatchTierConfig{Tick: 100 * time.Millisecond, Recheck: 200 * time.Millisecond, LiveMargin: 2 * time.Second}
	}
	m1 := MustRunMain(t, configure)
	base, key := m1.HTTP.URL(), MustAdminKey(t, m1)

	const pages, distinct = 24, 18 // pages 18-23 repeat pages 0-5
	boilerplate := "Our shop is open every day from eight to six, and delivery is free within the city."
	page := func(i int) string {
		return fmt.Sprintf("Page %d tells the story of product number %d and why people love it.\n\n%s", i%distinct, i%distinct, boilerplate)
	}
	var jobs []string
	for i := range pages {
		r := call(t, base, "POST", "/v1/translations", key, map[string]any{"content": page(i), "source_language": "en",
			"target_languages": []string{"nl", "de", "fr"}, "service_tier": "batch"})
		MustStatus(t, r, 202, fmt.Sprintf("page %d", i))
		var acc accepted
		r.json(t, &acc)
		jobs = append(jobs, acc.JobID)
	}
	// Every job asks once, the poller submits what they asked.
	last, stable := -1, 0
	waitFor(t, 60*time.Second, "the batch submissions to settle", func() bool {
		n, _ := fake.BatchRequests()
		if n > 0 && n == last {
			stable++
		} else {
			stable = 0
		}
		last = n
		return stable >= 60
	})
	submitted, batches := fake.BatchRequests()
	if liveCalls(fake) != 0 {
		t.Fatalf("%d live calls before any deadline, want 0", liveCalls(fake))
	}
	for _, id := range jobs {
		if s := MustJob(t, base, key, id, nil); s != "queued" && s != "running" {
			t.Fatalf("job %s is %s while its batch runs, want waiting (queued)", id, s)
		}
	}

	// Restart mid-batch: the open batches are in the store; the new
	// process polls them and submits nothing again.
	if err := m1.Close(); err != nil {
		t.Fatal(err)
	}
	m2 := MustRunMain(t, configure)
	base = m2.HTTP.URL()
	time.Sleep(time.Second) // the re-run jobs find their items and wait
	// Nothing submitted before the restart goes out again. A job that had
	// not yet run when the count looked stable (a loaded machine) may add
	// a request of its own after it: new, never a second copy.
	if n, b := fake.BatchRequests(); n < submitted || b < batches || fake.BatchDuplicates() != 0 {
		t.Fatalf("after the restart: %d requests in %d batches (%d twice), want at least %d in %d and nothing twice", n, b, fake.BatchDuplicates(), submitted, batches)
	} else if n != submitted {
		t.Logf("after the restart: %d new requests in %d new batches (jobs that asked late), none twice", n-submitted, b-batches)
	}
	fake.SetBatch(providertest.BatchBehaviour{}) // the provider finishes the batches
	for _, id := range jobs {
		waitFor(t, 90*time.Second, "job "+id+" to finish", func() bool {
			s := MustJob(t, base, key, id, nil)
			return s != "queued" && s != "running"
		})
		if s := MustJob(t, base, key, id, nil); s != "succeeded" {
			t.Fatalf("job %s: %s, want succeeded", id, s)
		}
	}
	// Jobs that ran again after the answers came in may ask for what is
	// still missing in a new combination (a new request, a new batch);
	// no request goes out twice.
	submitted, batches = fake.BatchRequests()
	if d := fake.BatchDuplicates(); d != 0 || liveCalls(fake) != 0 {
		t.Fatalf("after collection: %d requests submitted twice and %d live calls, want 0 and 0", d, liveCalls(fake))
	}
	// Every ledger row is a batch answer at the batch price, one per
	// request submitted: identical requests were paid once.
	ctx := context.Background()
	all := copydesk.UsageFilter{From: time.Now().Add(-time.Hour), To: time.Now().Add(time.Hour)}
	// A batch still open when the last job finished (its request was
	// re-composed and no longer needed) is collected and paid all the same.
	var rows []*copydesk.LedgerEntry
	waitFor(t, 30*time.Second, "every batch request to be paid", func() bool {
		var err error
		if rows, err = m2.Store.FindLedger(ctx, all); err != nil {
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
	var paid int
	var total copydesk.Micros
	for _, e := range rows {
		if e.CacheHit {
			continue
		}
		paid++
		u := copydesk.Usage{InputTokens: e.InputTokens, OutputTokens: e.OutputTokens, CachedTokens: e.CachedTokens}
		want, _ := prices.BatchCost(batchModel, u, e.At)
		list, _ := prices.Cost(batchModel, u, e.At)
		if e.Tier != copydesk.TierBatch || e.Cost != want || e.Cost >= list {
			t.Errorf("ledger row %s: tier %q cost %d, want batch at %d (list %d)", e.ID, e.Tier, e.Cost, want, list)
		}
		total += e.Cost
	}
	if paid != submitted || total <= 0 {
		t.Errorf("got %d paid ledger rows costing %d, want one per batch request (%d)", paid, total, submitted)
	}
	t.Logf("%d pages (%d distinct) x 3 languages: %d batch requests in %d batches, %s", pages, distinct, submitted, batches, euros(total))

	// A second pass over the site costs nothing: every segment is in the
	// translation memory.
	for i := range pages {
		r := call(t, base, "POST", "/v1/translations", key, map[string]any{"content": page(i), "source_language": "en",
			"target_languages": []string{"nl", "de", "fr"}, "service_tier": "batch"})
		MustStatus(t, r, 200, fmt.Sprintf("second pass, page %d", i))
	}

	// The deadline comes before the batch: the work runs live.
	fake.SetBatch(providertest.BatchBehaviour{Delay: time.Hour})
	r := call(t, base, "POST", "/v1/translations", key, map[string]any{"content": "A page nobody asked for before, due very soon.",
		"source_language": "en", "target_languages": []string{"nl"}, "service_tier": "batch",
		"complete_by": time.Now().Add(4 * time.Second).UTC().Format(time.RFC3339Nano)})
	MustStatus(t, r, 202, "deadline page")
	var acc accepted
	r.json(t, &acc)
	waitFor(t, 60*time.Second, "the deadline job", func() bool {
		s := MustJob(t, base, key, acc.JobID, nil)
		return s != "queued" && s != "running"
	})
	if s := MustJob(t, base, key, acc.JobID, nil); s != "succeeded" || liveCalls(fake) == 0 {
		t.Fatalf("deadline job: %s after %d live calls, want succeeded live", s, liveCalls(fake))
	}

	r = call(t, base, "GET", "/v1/reports/cost-per-page", key, nil)
	MustStatus(t, r, 200, "cost per page")
	var rep ledger.CostPerPageReport
	r.json(t, &rep)
	tiers := map[string]ledger.TierCost{}
	for _, k := range rep.Kinds {
		if k.Kind == "translation" {
			for _, tc := range k.Tiers {
				tiers[tc.Tier] = tc
			}
			if k.Pages == 0 || k.CostPer1000Pages <= 0 {
				t.Errorf("translation: %d pages at %d per 1000, want both positive", k.Pages, k.CostPer1000Pages)
			}
		}
	}
	if tiers["batch"].Cost != total || tiers["live"].Calls == 0 || rep.BaselinePer1000Pages != ledger.BaselinePer1000Pages {
		t.Errorf("cost report: got tiers %+v, want batch cost %d and live calls", tiers, total)
	}

	// The daily digest carries the same section.
	r = call(t, base, "GET", "/v1/reports/daily", key, nil)
	MustStatus(t, r, 200, "daily report")
	var digest struct {
		CostPerPage *ledger.CostPerPageReport `json:"cost_per_page"`
	}
	r.json(t, &digest)
	if digest.CostPerPage == nil || digest.CostPerPage.Total.Cost < total {
		t.Errorf("daily digest: got cost_per_page %+v, want the ledger's cost per page (at least %d)", digest.CostPerPage, total)
	}
}

func TestServiceTierValidation(t *testing.T) {
	t.Parallel()
	models, _, _ := mustBatchModels(t)
	m := MustRunMain(t, func(m *Main) { m.Routed = models })
	base, key := m.HTTP.URL(), MustAdminKey(t, m)
	for _, tc := range []struct {
		name string
		body map[string]any
	}{
		{"unknown tier", map[string]any{"service_tier": "cheap"}},
		{"deadline past", map[string]any{"service_tier": "batch", "complete_by": "2020-01-01T00:00:00Z"}},
	} {
		body := map[string]any{"content": "Hello there.", "source_language": "en", "target_languages": []string{"nl"}}
		for k, v := range tc.body {
			body[k] = v
		}
		r := call(t, base, "POST", "/v1/translations", key, body)
		MustStatus(t, r, 400, tc.name)
	}
}
