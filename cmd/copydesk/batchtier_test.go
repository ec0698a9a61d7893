package main

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/copydesk/copydesk/internal/batch"
	"github.com/copydesk/copydesk/internal/copydesk"
	"github.com/copydesk/copydesk/internal/ledger"
	"github.com/copydesk/copydesk/internal/pricing"
	"github.com/copydesk/copydesk/internal/providertest"
	"github.com/copydesk/copydesk/internal/router"
	"github.com/copydesk/copydesk/internal/translation"
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

	// 200 pages: a product paragraph each (180 distinct: pages 180-199
	// repeat pages 0-19) and a boilerplate paragraph every page shares.
	const pages, distinct = 200, 180
	boilerplate := "Our shop is open every day from eight to six, and delivery is free within the city."
	page := func(i int) string {
		return fmt.Sprintf("Page %d tells the story of product number %d and why people love it.\n\n%s", i%distinct, i%distinct, boilerplate)
	}
	langs := []string{"nl", "de", "fr"}
	items := make([]map[string]any, pages)
	for i := range items {
		items[i] = map[string]any{"content": page(i), "source_language": "en", "target_languages": langs}
	}
	acc := MustBatch(t, base, key, map[string]any{"kind": "translation", "service_tier": "batch", "items": items})
	// reach waits until the fake's batch API has received want requests,
	// then a little longer, and returns how many it has: more than want
	// is a request too many. (It waits for a count, not for a quiet
	// spell: on a loaded machine the pages' requests come in slowly.)
	reach := func(want int, what string) int {
		waitFor(t, 120*time.Second, what, func() bool {
			n, _ := fake.BatchRequests()
			return n >= want
		})
		time.Sleep(time.Second)
		n, _ := fake.BatchRequests()
		return n
	}
	boilerplateRequests := func() int {
		n := 0
		for _, r := range fake.Requests() {
			if r.Batch && strings.Contains(r.Prompt, "Our shop is open") {
				n++
			}
		}
		return n
	}
	// First the segments pages share (the boilerplate, and the product
	// paragraphs of the 20 pages that appear twice): one request per
	// language.
	if n := reach(len(langs), "the shared segments' batch"); n != len(langs) {
		t.Fatalf("%d requests before the pages ran, want %d (the shared segments into each language)", n, len(langs))
	}
	if s := MustJob(t, base, key, acc.ID, nil); s != "queued" && s != "running" {
		t.Fatalf("batch is %s while its provider batch runs, want waiting (queued)", s)
	}

	// Restart while the provider holds the batch: the new process polls
	// it and submits nothing again.
	restart := func(m *Main) *Main {
		t.Helper()
		if err := m.Close(); err != nil {
			t.Fatal(err)
		}
		m2 := MustRunMain(t, configure)
		base = m2.HTTP.URL()
		return m2
	}
	m2 := restart(m1)
	fake.SetBatch(providertest.BatchBehaviour{}) // the provider finishes it
	// Then each page's own paragraph, into each language: one request
	// per page seen once and language, none holding a shared segment.
	once := distinct - (pages - distinct)
	if n, want := reach(len(langs)+once*len(langs), "the pages' batches"), len(langs)+once*len(langs); n != want {
		t.Fatalf("%d batch requests, want %d: the shared segments once per language and each page seen once, once per language", n, want)
	}
	if b := boilerplateRequests(); b != len(langs) {
		t.Errorf("the boilerplate went out in %d requests, want %d (once per language)", b, len(langs))
	}
	waitFor(t, 120*time.Second, "the batch to finish", func() bool {
		s := MustJob(t, base, key, acc.ID, nil)
		return s != "queued" && s != "running"
	})
	var view batchView
	r := call(t, base, "GET", "/v1/batches/"+acc.ID, key, nil)
	MustStatus(t, r, 200, "batch status")
	r.json(t, &view)
	if view.Status != "succeeded" || view.Counts.Done != pages || view.Counts.Failed != 0 {
		t.Fatalf("batch %s with counts %+v, want succeeded with %d done", view.Status, view.Counts, pages)
	}
	// The stream says what the shared pass did: once, or in one event per
	// run that collected answers of the provider's batches (a language
	// may come in before the others, a run then waits for the rest);
	// together they count the boilerplate and the repeated pages into
	// every language, each once.
	var shared []sseEvent
	var pass translation.SharedResult
	for _, ev := range MustReadToDoneAs(t, base+acc.StreamURL, key) {
		if ev.Type != batch.EventShared {
			continue
		}
		shared = append(shared, ev)
		var r translation.SharedResult
		if err := json.Unmarshal([]byte(ev.Data), &r); err != nil || r.Translated <= 0 || r.Cost <= 0 || r.Segments != len(langs)*(1+pages-distinct) {
			t.Errorf("batch.shared event %+v: want the %d shared segments, some translated, at a cost", ev, len(langs)*(1+pages-distinct))
		}
		pass.Translated += r.Translated
	}
	if len(shared) == 0 || len(shared) > len(langs) || pass.Translated != len(langs)*(1+pages-distinct) {
		t.Errorf("batch.shared events %+v, want one to %d that translate the boilerplate and the %d repeated pages into %d languages once", shared, len(langs), pages-distinct, len(langs))
	}
	submitted, batches := fake.BatchRequests()
	if d := fake.BatchDuplicates(); d != 0 || liveCalls(fake) != 0 {
		t.Fatalf("%d requests submitted twice and %d live calls, want 0 and 0", d, liveCalls(fake))
	}
	// Every ledger row is a batch answer at the batch price, one per
	// request submitted: what pages share was paid once.
	ctx := context.Background()
	all := copydesk.UsageFilter{From: time.Now().Add(-time.Hour), To: time.Now().Add(time.Hour)}
	var rows []*copydesk.LedgerEntry
	waitFor(t, 30*time.Second, "every batch request to be paid", func() bool {
		var err error
		if rows, err = m2.ledger.FindLedger(ctx, all); err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, e := range rows {
			if !e.CacheHit {
				n++
			}
		}
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
	t.Logf("%d pages (%d distinct, one shared paragraph) x %d languages: %d batch requests in %d batches, %s", pages, distinct, len(langs), submitted, batches, euros(total))

	// A second pass over the site costs nothing: every segment is in the
	// translation memory, and each page is answered at once.
	for _, i := range []int{0, 57, 199} {
		r := call(t, base, "POST", "/v1/translations", key, map[string]any{"content": page(i), "source_language": "en",
			"target_languages": langs, "service_tier": "batch"})
		MustStatus(t, r, 200, fmt.Sprintf("second pass, page %d", i))
	}

	// The deadline comes before the batch: the work runs live.
	fake.SetBatch(providertest.BatchBehaviour{Delay: time.Hour})
	r = call(t, base, "POST", "/v1/translations", key, map[string]any{"content": "A page nobody asked for before, due very soon.",
		"source_language": "en", "target_languages": []string{"nl"}, "service_tier": "batch",
		"complete_by": time.Now().Add(4 * time.Second).UTC().Format(time.RFC3339Nano)})
	MustStatus(t, r, 202, "deadline page")
	var late accepted
	r.json(t, &late)
	waitFor(t, 60*time.Second, "the deadline job", func() bool {
		s := MustJob(t, base, key, late.JobID, nil)
		return s != "queued" && s != "running"
	})
	if s := MustJob(t, base, key, late.JobID, nil); s != "succeeded" || liveCalls(fake) == 0 {
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

// TestBatchTierEveryKind asks a generation, a deep analysis and SEO
// suggestions for the batch tier: their model calls go out as provider
// batch requests (no live call), the jobs wait, and they finish with every
// model call paid at the batch price.
func TestBatchTierEveryKind(t *testing.T) {
	t.Parallel()
	models, fake, _ := mustBatchModels(t)
	fake.SetBatch(providertest.BatchBehaviour{Delay: time.Hour})
	m := MustRunMain(t, func(m *Main) {
		m.Routed = models
		m.Config.BatchTier = BatchTierConfig{Tick: 100 * time.Millisecond, Recheck: 200 * time.Millisecond, LiveMargin: 2 * time.Second}
	})
	base, key := m.HTTP.URL(), MustAdminKey(t, m)
	bodies := []struct{ path, what string }{
		{"/v1/generations", `{"business":{"name":"Bakkerij Jansen","language":"nl"},"blocks":["hero"],"service_tier":"batch"}`},
		{"/v1/analyses", `{"content":"Vers brood elke ochtend, gebakken in onze eigen bakkerij aan de markt.","language":"nl","deep":["grammar"],"service_tier":"batch"}`},
		{"/v1/seo/suggestions", `{"content":"Vers brood elke ochtend, gebakken in onze bakkerij.","language":"nl","keyphrase":"vers brood","priority":"low","complete_by":"` + time.Now().Add(time.Hour).UTC().Format(time.RFC3339) + `"}`},
	}
	var jobs []string
	for _, b := range bodies {
		r := call(t, base, "POST", b.path, key, json.RawMessage(b.what))
		MustStatus(t, r, 202, b.path)
		var acc accepted
		r.json(t, &acc)
		jobs = append(jobs, acc.JobID)
	}
	waitFor(t, 60*time.Second, "one batch request per kind", func() bool {
		n, _ := fake.BatchRequests()
		return n >= len(bodies)
	})
	if n := liveCalls(fake); n != 0 {
		t.Fatalf("%d live calls, want none", n)
	}
	for _, id := range jobs {
		if s := MustJob(t, base, key, id, nil); s != "queued" && s != "running" {
			t.Fatalf("job %s is %s while its batch runs, want waiting", id, s)
		}
	}
	fake.SetBatch(providertest.BatchBehaviour{})
	for _, id := range jobs {
		waitFor(t, 60*time.Second, "job "+id, func() bool {
			s := MustJob(t, base, key, id, nil)
			return s != "queued" && s != "running"
		})
		if s := MustJob(t, base, key, id, nil); s != "succeeded" {
			t.Errorf("job %s: %s, want succeeded", id, s)
		}
	}
	rows, err := m.ledger.FindLedger(context.Background(), copydesk.UsageFilter{From: time.Now().Add(-time.Hour), To: time.Now().Add(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	kinds := map[string]bool{}
	for _, e := range rows {
		if e.CacheHit {
			continue
		}
		if e.Tier != copydesk.TierBatch {
			t.Errorf("ledger row %s (%s): tier %q, want batch", e.ID, e.Kind, e.Tier)
		}
		kinds[e.Kind] = true
	}
	if len(kinds) < len(bodies) || liveCalls(fake) != 0 {
		t.Errorf("paid kinds %v after %d live calls, want one per request and no live call", kinds, liveCalls(fake))
	}
}
