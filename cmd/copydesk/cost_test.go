package main

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/copydesk/copydesk/internal/copydesk"
	"github.com/copydesk/copydesk/internal/pricing"
	"github.com/copydesk/copydesk/internal/providertest"
	"github.com/copydesk/copydesk/internal/router"
)

// fillerWords lengthen the fake's structured answers to the size of real
// ones (a hero's subheadline, an FAQ answer), so that output tokens and cost
// are of the right order.
var fillerWords = strings.Fields("fresh honest bread baked every morning with local flour by a small team that knows its customers by name and cares about quality")

// realisticResponder answers like DefaultResponder, with every free-text
// string of a JSON answer lengthened to about 20 words (URLs, e-mail
// addresses, phone numbers and short labels keep their size).
func realisticResponder(r providertest.Request) string {
	ans := providertest.DefaultResponder(r)
	if !r.JSON || strings.Contains(r.SchemaName, "translation") {
		return ans
	}
	var v any
	if err := json.Unmarshal([]byte(ans), &v); err != nil {
		return ans
	}
	b, _ := json.Marshal(lengthen(v, ""))
	return string(b)
}

func lengthen(v any, key string) any {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			x[k] = lengthen(e, k)
		}
	case []any:
		for i, e := range x {
			x[i] = lengthen(e, key)
		}
	case string:
		for _, short := range []string{"url", "email", "phone", "label", "price", "period", "name", "author", "role", "level"} {
			if strings.Contains(key, short) {
				return x
			}
		}
		return x + " " + strings.Join(fillerWords, " ")
	}
	return v
}

// MustPricedModels is MustFakeModels with the routing of a real OpenAI
// set-up: quality gpt-4.1, fast gpt-4.1-mini, budget gpt-4.1-nano, at the
// built-in list prices converted to EUR.
func MustPricedModels(tb testing.TB, opts providertest.Options) (*router.Service, *providertest.Server) {
	tb.Helper()
	fake := providertest.NewTestServer(tb, opts)
	cfg := DefaultConfig()
	cfg.Providers = []ProviderConfig{{Name: "fake", Type: ProviderOpenAICompatible, BaseURL: fake.URL + "/v1/", APIKeys: []string{"test-key"}}}
	cfg.Routing = router.Config{
		Endpoints: map[string]router.EndpointConfig{
			"gpt": {Provider: "fake", Model: "gpt-4.1"}, "mini": {Provider: "fake", Model: "gpt-4.1-mini"}, "nano": {Provider: "fake", Model: "gpt-4.1-nano"},
		},
		Classes: map[string][]string{"quality": {"gpt"}, "fast": {"mini"}, "budget": {"nano"}},
	}
	// gpt-4.1-nano was retired on 2026-10-23 and left the catalogue; its
	// last list price keeps this workload's figures comparable.
	cfg.Pricing = pricing.Config{Currency: "EUR", PerUSD: "0.92", Prices: []pricing.Price{{
		Model: "gpt-4.1-nano", InputPerMTok: 100_000, CachedInputPerMTok: 25_000, OutputPerMTok: 400_000,
		BatchInputPerMTok: 50_000, BatchOutputPerMTok: 200_000,
		Effective: time.Date(2025, 4, 14, 0, 0, 0, 0, time.UTC), Source: "https://platform.openai.com/docs/pricing (before retirement)",
	}}}
	svc, stop, err := buildModels(&cfg)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = stop() })
	return svc, fake
}

// The month's page mix of the per-1,000-pages figure: of 1,000 pages, 600
// are new, 150 are re-runs with one paragraph edited and 250 identical
// re-runs (an agency re-checking and re-translating a site it manages).
const (
	PageMixNew    = 600
	PageMixEdited = 150
)

// pageRun is what one run of the page workload cost.
type pageRun struct {
	name         string
	calls        int
	inputTokens  int64
	outputTokens int64
	cost         copydesk.Micros
	saved        copydesk.Micros
}

// TestPageCost runs the plan's "average page with full analysis" — a
// 5-block page generated, analyzed (local, plus model-backed grammar and
// tone, plus SEO suggestions) and translated into 3 languages — three
// times: first, identical again, and with one paragraph edited. It reports
// provider calls, tokens and cost per run (go test -run TestPageCost -v;
// BENCHMARKS.md) and checks that the repeat costs nothing.
func TestPageCost(t *testing.T) {
	t.Parallel()
	models, fake := MustPricedModels(t, providertest.Options{Responder: realisticResponder})
	m := MustRunMain(t, func(m *Main) {
		m.Routed = models
		m.Config.BatchTier = BatchTierConfig{Tick: 100 * time.Millisecond, Recheck: 200 * time.Millisecond}
	})
	base, key := m.HTTP.URL(), MustAdminKey(t, m)

	business := func(name string) map[string]any {
		return map[string]any{"business": map[string]any{"name": name, "industry": "bakery", "audience": "families in Utrecht",
			"tone": "friendly", "language": "en", "keywords": []string{"fresh bread", "sourdough"}},
			"blocks": []string{"hero", "features", "testimonials", "faq", "cta"}}
	}
	gen := business("Bakkerij Jansen")
	var page string
	tier := "live"
	run := func(name string, edit func(string) string) pageRun {
		t.Helper()
		calls := fake.Calls() // batch requests included
		before := MustUsageTotals(t, base, key)
		gen["service_tier"] = tier
		r := call(t, base, "POST", "/v1/generations", key, gen)
		MustStatus(t, r, 202, name+": generation")
		var acc accepted
		r.json(t, &acc)
		MustReadToDoneAs(t, base+acc.StreamURL, key)
		var res struct {
			HTML string `json:"html"`
		}
		if s := MustJob(t, base, key, acc.JobID, &res); s != "succeeded" {
			t.Fatalf("%s: generation %s", name, s)
		}
		page = res.HTML
		if edit != nil {
			page = edit(page)
		}
		for _, req := range []struct {
			path string
			body map[string]any
		}{
			{"/v1/analyses", map[string]any{"content": page, "format": "html", "language": "en", "keyphrase": "fresh bread", "deep": []string{"grammar", "tone"}}},
			{"/v1/seo/suggestions", map[string]any{"content": page, "format": "html", "language": "en", "keyphrase": "fresh bread"}},
			{"/v1/translations", map[string]any{"content": page, "format": "html", "source_language": "en", "target_languages": []string{"nl", "de", "fr"}}},
		} {
			req.body["service_tier"] = tier
			r := call(t, base, "POST", req.path, key, req.body)
			if r.Status == 200 {
				continue // answered from memory or cache
			}
			MustStatus(t, r, 202, name+": "+req.path)
			r.json(t, &acc)
			MustReadToDoneAs(t, base+acc.StreamURL, key)
			if s := MustJob(t, base, key, acc.JobID, nil); s != "succeeded" {
				t.Fatalf("%s: %s job %s", name, req.path, s)
			}
		}
		after := MustUsageTotals(t, base, key)
		return pageRun{name: name, calls: fake.Calls() - calls,
			inputTokens: after.InputTokens - before.InputTokens, outputTokens: after.OutputTokens - before.OutputTokens,
			cost: after.Cost - before.Cost, saved: after.Saved - before.Saved}
	}
	first := run("first", nil)
	repeat := run("repeat", nil)
	edited := run("one paragraph edited", func(p string) string {
		i := strings.Index(p, "<p>")
		if i < 0 {
			t.Fatalf("generated page has no paragraph: %.300s", p)
		}
		return p[:i+3] + "Now also open on Sundays. " + p[i+3:]
	})
	// A page of another business, and its edit, at the batch tier. (The
	// fake writes the same prose for any business: a word changed in
	// every paragraph makes the page new.)
	tier, gen = "batch", business("Bakkerij de Vries")
	other := func(p string) string { return strings.ReplaceAll(p, "honest", "simple") }
	firstBatch := run("first, batch tier", other)
	editedBatch := run("edited, batch tier", func(p string) string {
		p = other(p)
		i := strings.Index(p, "<p>")
		if i < 0 {
			t.Fatalf("generated page has no paragraph: %.300s", p)
		}
		return p[:i+3] + "Now also open on Sundays. " + p[i+3:]
	})
	t.Logf("%-22s %6s %8s %8s %12s", "run", "calls", "in tok", "out tok", "cost EUR")
	for _, r := range []pageRun{first, repeat, edited, firstBatch, editedBatch} {
		t.Logf("%-22s %6d %8d %8d %12s", r.name, r.calls, r.inputTokens, r.outputTokens, euros(r.cost))
	}
	t.Logf("plan's baseline: EUR 0.214 per page; first run is %.1f%% of it", 100*float64(first.cost)/214_000)
	// Per 1,000 pages of a month's mix: PageMixNew new pages, PageMixEdited
	// pages with one paragraph edited, the rest identical repeats (free).
	per1000 := func(newPage, editedPage pageRun) copydesk.Micros {
		return copydesk.Micros(PageMixNew)*newPage.cost + copydesk.Micros(PageMixEdited)*editedPage.cost
	}
	t.Logf("per 1,000 pages (%d new, %d edited, %d repeats): live EUR %s, batch tier EUR %s; plan: EUR 214 baseline, EUR 3.42 target",
		PageMixNew, PageMixEdited, 1000-PageMixNew-PageMixEdited, euros(per1000(first, edited)), euros(per1000(firstBatch, editedBatch)))
	if firstBatch.calls == 0 || firstBatch.cost <= 0 || firstBatch.cost >= first.cost {
		t.Errorf("batch tier: %d calls costing %s, want some calls costing less than the live run's %s", firstBatch.calls, euros(firstBatch.cost), euros(first.cost))
	}
	if first.calls == 0 || first.cost <= 0 {
		t.Fatalf("first run made %d calls costing %d: the workload did not reach the provider", first.calls, first.cost)
	}
	if repeat.calls != 0 || repeat.cost != 0 {
		t.Errorf("identical repeat made %d calls costing %s, want 0 and 0", repeat.calls, euros(repeat.cost))
	}
	if edited.calls == 0 || edited.calls >= first.calls {
		t.Errorf("one edited paragraph made %d calls, want some but fewer than the first run's %d", edited.calls, first.calls)
	}
}

// MustUsageTotals returns the ledger totals of today and tomorrow (UTC).
func MustUsageTotals(tb testing.TB, base, key string) copydesk.UsageRow {
	tb.Helper()
	day := time.Now().UTC()
	r := call(tb, base, "GET", "/v1/usage?from="+day.Format("2006-01-02")+"&to="+day.AddDate(0, 0, 2).Format("2006-01-02"), key, nil)
	MustStatus(tb, r, 200, "usage")
	var rep copydesk.UsageReport
	r.json(tb, &rep)
	return rep.Totals
}

func euros(m copydesk.Micros) string { return fmt.Sprintf("%.6f", float64(m)/1e6) }
