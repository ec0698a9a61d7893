package cache_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/copydesk/copydesk/internal/cache"
	"github.com/copydesk/copydesk/internal/copydesk"
)

// The workload: a corpus of pages of paragraphs, requested with a Zipf
// distribution, with a share of requests editing one paragraph of the page
// first. Each request asks for one task on the page:
//
//	analysis          permanent  per paragraph (DoBlocks)
//	translation.draft dynamic    per paragraph (DoBlocks)
//	generation.live   realtime   whole page (Do)
//
// The same stream also runs against a page-level cache (every task keyed by
// the whole page), the best an exact cache without block reuse can do.
type workloadConfig struct {
	Pages, Paragraphs, Requests int
	EditShare                   float64       // share of requests that edit the page first
	Step                        time.Duration // clock advance per request
	ZipfS                       float64
	L1Bytes, L2Bytes            uint64
	Seed                        uint64
}

type wlRequest struct {
	at       time.Duration
	customer string
	kind     string
	paras    []string
}

type wlPage struct {
	customer string
	paras    []string
}

var wlKinds = []struct {
	kind   string
	weight int
	blocks bool
}{
	{"analysis", 5, true},
	{"translation.draft", 3, true},
	{"generation.live", 2, false},
}

var wlWords = strings.Fields(`the a of to and in is it you that he was for on are with as his they be at one have this from or had by
hot word but what some we can out other were all there when up use your how said an each she which do their time if will way about
many then them write would like so these her long make thing see him two has look more day could go come did number sound no most
people my over know water than call first who may down side been now find any new work part take get place made live where after back`)

func wlParagraph(r *rand.Rand) string {
	n := 40 + r.IntN(60)
	var b strings.Builder
	for i := range n {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(wlWords[r.IntN(len(wlWords))])
	}
	b.WriteByte('.')
	return b.String()
}

// tokens estimates a text's tokens: 4 per 3 words.
func tokens(s string) int64 { return int64(strings.Count(s, " ")+1) * 4 / 3 }

// generate builds the request stream, editing pages as it goes.
func (cfg workloadConfig) generate() []wlRequest {
	r := rand.New(rand.NewPCG(cfg.Seed, 7))
	pages := make([]wlPage, cfg.Pages)
	for i := range pages {
		pages[i].customer = fmt.Sprintf("cus_%d", i%3)
		for range cfg.Paragraphs {
			pages[i].paras = append(pages[i].paras, wlParagraph(r))
		}
	}
	zipf := rand.NewZipf(r, cfg.ZipfS, 1, uint64(cfg.Pages-1))
	total := 0
	for _, k := range wlKinds {
		total += k.weight
	}
	reqs := make([]wlRequest, cfg.Requests)
	for i := range reqs {
		p := &pages[zipf.Uint64()]
		if r.Float64() < cfg.EditShare {
			p.paras = append([]string(nil), p.paras...)
			p.paras[r.IntN(len(p.paras))] = wlParagraph(r)
		}
		w := r.IntN(total)
		kind := wlKinds[0].kind
		for _, k := range wlKinds {
			if w < k.weight {
				kind = k.kind
				break
			}
			w -= k.weight
		}
		reqs[i] = wlRequest{at: time.Duration(i) * cfg.Step, customer: p.customer, kind: kind, paras: p.paras}
	}
	return reqs
}

func blocksOf(kind string) bool {
	for _, k := range wlKinds {
		if k.kind == kind {
			return k.blocks
		}
	}
	return false
}

// workItem is one unit of model work of a request under a caching mode.
type workItem struct {
	req    cache.Request
	tokens int64
}

// items splits a request into work items: per paragraph for block tasks when
// blockLevel is set, else one item for the page.
func items(w wlRequest, blockLevel bool) []workItem {
	params := map[string]string{}
	if strings.HasPrefix(w.kind, "translation") {
		params["to"] = "nl"
	}
	mk := func(input string) workItem {
		return workItem{
			req:    cache.NewRequest(cache.KeyParts{CustomerID: w.customer, Kind: w.kind, Input: input, Params: params, ModelClass: "small", Version: "v1"}),
			tokens: tokens(input),
		}
	}
	if blockLevel && blocksOf(w.kind) {
		out := make([]workItem, len(w.paras))
		for i, p := range w.paras {
			out[i] = mk(p)
		}
		return out
	}
	return []workItem{mk(strings.Join(w.paras, "\n\n"))}
}

// wlProvider is the fake provider: it counts calls, items and tokens.
type wlProvider struct {
	calls, items, tokens atomic.Int64
}

func (p *wlProvider) answer(it workItem) ([]byte, copydesk.Micros) {
	p.items.Add(1)
	p.tokens.Add(it.tokens)
	// 0.15 EUR per million input tokens, 0.6 per million output tokens, as
	// many out as in.
	return []byte(fmt.Sprintf(`{"result":"done","tokens":%d}`, it.tokens)), copydesk.Micros(it.tokens * 75 / 100)
}

// ideal is the exact bound: a work item must be computed when no valid answer
// for its key exists yet, and only then.
type ideal struct {
	mu      sync.Mutex
	expires map[string]time.Time
	unique  int64
}

func (m *ideal) see(key string, now time.Time, ttl time.Duration) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if exp, ok := m.expires[key]; !ok || !now.Before(exp) {
		m.unique++
		m.expires[key] = now.Add(ttl)
	}
}

type workloadResult struct {
	stats     copydesk.CacheStats
	provider  *wlProvider
	unique    int64
	requested int64 // tokens asked for without any cache
}

// runWorkload plays the stream against a fresh two-layer cache: first in
// order with the clock moving, then (concurrency) a burst of the last part of
// the stream replayed by 8 goroutines at a frozen clock.
func runWorkload(tb testing.TB, cfg workloadConfig, reqs []wlRequest, blockLevel bool) workloadResult {
	tb.Helper()
	ctx := context.Background()
	clock := newFakeClock()
	start := clock.Now()
	l1 := MustMemoryStore(tb, clock, cfg.L1Bytes)
	l2 := MustMemoryStore(tb, clock, cfg.L2Bytes)
	c, err := cache.New(cache.Config{L1: l1, L2: l2, Clock: clock})
	if err != nil {
		tb.Fatal(err)
	}
	p := &wlProvider{}
	model := &ideal{expires: map[string]time.Time{}}
	var requested atomic.Int64

	play := func(w wlRequest) {
		its := items(w, blockLevel)
		now := clock.Now()
		for _, it := range its {
			requested.Add(it.tokens)
			model.see(it.req.Key, now, c.TTL(mustTier(tb, c, it.req)))
		}
		if len(its) == 1 {
			_, _, err := c.Do(ctx, its[0].req, func(context.Context) ([]byte, copydesk.Micros, error) {
				p.calls.Add(1)
				v, cost := p.answer(its[0])
				return v, cost, nil
			})
			if err != nil {
				tb.Error(err)
			}
			return
		}
		reqs := make([]cache.Request, len(its))
		for i, it := range its {
			reqs[i] = it.req
		}
		_, _, err := c.DoBlocks(ctx, reqs, func(_ context.Context, missing []int) ([][]byte, []copydesk.Micros, error) {
			p.calls.Add(1)
			vals := make([][]byte, len(missing))
			costs := make([]copydesk.Micros, len(missing))
			for j, i := range missing {
				vals[j], costs[j] = p.answer(its[i])
			}
			return vals, costs, nil
		})
		if err != nil {
			tb.Error(err)
		}
	}

	seq := len(reqs) * 4 / 5
	for _, w := range reqs[:seq] {
		clock.mu.Lock()
		clock.t = start.Add(w.at)
		clock.mu.Unlock()
		play(w)
	}
	// The burst: the rest of the stream at once, from 8 goroutines.
	var next atomic.Int64
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for {
				i := int(next.Add(1)) - 1 + seq
				if i >= len(reqs) {
					return
				}
				play(reqs[i])
			}
		})
	}
	wg.Wait()
	l1.Cleanup()
	return workloadResult{stats: c.Stats(ctx), provider: p, unique: model.unique, requested: requested.Load()}
}

func mustTier(tb testing.TB, c *cache.Cache, r cache.Request) copydesk.Tier {
	t, err := c.Tier(r)
	if err != nil {
		tb.Fatal(err)
	}
	return t
}

func (cfg workloadConfig) report(tb testing.TB, blocks, pages workloadResult) string {
	var b strings.Builder
	fmt.Fprintf(&b, "workload: %d pages x %d paragraphs, %d requests (Zipf s=%.2f), %.0f%% edit one paragraph first, clock +%s per request, last 20%% replayed by 8 goroutines\n",
		cfg.Pages, cfg.Paragraphs, cfg.Requests, cfg.ZipfS, cfg.EditShare*100, cfg.Step)
	fmt.Fprintf(&b, "L1 %d KiB, L2 %d MiB (MemoryStore stand-in)\n\n", cfg.L1Bytes>>10, cfg.L2Bytes>>20)
	fmt.Fprintf(&b, "block-level cache       requests  L1 hit  L2 hit  shared  computed  hit rate  L1 evictions\n")
	for _, ts := range append(blocks.stats.Tiers, blocks.stats.Total) {
		if ts.Requests == 0 {
			continue
		}
		name := string(ts.Tier)
		if name == "" {
			name = "total"
		}
		fmt.Fprintf(&b, "  %-20s %10d  %5.1f%%  %5.1f%%  %6d  %8d   %5.1f%%  %d\n", name, ts.Requests,
			100*ts.L1.HitRate, 100*ts.L2.HitRate, ts.Shared, ts.Computed, 100*ts.HitRate, ts.L1.Evictions)
	}
	fmt.Fprintf(&b, "\nprovider                 calls  items computed  unique work items  tokens spent  cost spent  cost saved\n")
	for _, m := range []struct {
		name string
		r    workloadResult
	}{{"block-level", blocks}, {"page-level", pages}} {
		fmt.Fprintf(&b, "  %-20s %8d  %14d  %17d  %12d  %10d  %10d\n", m.name, m.r.provider.calls.Load(), m.r.provider.items.Load(),
			m.r.unique, m.r.provider.tokens.Load(), m.r.stats.Total.CostSpent, m.r.stats.Total.CostSaved)
	}
	noCache := blocks.requested
	bt, pt := blocks.provider.tokens.Load(), pages.provider.tokens.Load()
	fmt.Fprintf(&b, "\ntokens: no cache %d, page-level cache %d (%.1f%% of no cache), block-level %d (%.1f%%); block-level reuse saves %d tokens = %.1f%% of page-level spend\n",
		noCache, pt, 100*float64(pt)/float64(noCache), bt, 100*float64(bt)/float64(noCache), pt-bt, 100*float64(pt-bt)/float64(pt))
	return b.String()
}

func checkWorkload(tb testing.TB, name string, r workloadResult) {
	tb.Helper()
	if got, want := r.provider.items.Load(), r.unique; got != want {
		tb.Errorf("%s: got %d work items computed by the provider, want %d unique work items", name, got, want)
	}
	if got, want := r.stats.Total.Computed, r.provider.items.Load(); got != want {
		tb.Errorf("%s: stats say %d computed, provider counted %d", name, got, want)
	}
	if got, want := r.stats.Total.ProviderCalls, r.provider.calls.Load(); got != want {
		tb.Errorf("%s: stats say %d provider calls, provider counted %d", name, got, want)
	}
	if r.stats.Total.Failures != 0 {
		tb.Errorf("%s: got %d failures, want 0", name, r.stats.Total.Failures)
	}
}

var smallWorkload = workloadConfig{
	Pages: 300, Paragraphs: 20, Requests: 4000, EditShare: 0.05, Step: 2 * time.Second,
	ZipfS: 1.1, L1Bytes: 1 << 20, L2Bytes: 256 << 20, Seed: 1,
}

// TestZipfWorkload asserts that provider work equals the unique work items
// (no duplicate call, also under concurrency and with L1 evicting), and that
// block-level reuse spends fewer tokens than page-level caching. Run with -v
// for the report.
func TestZipfWorkload(t *testing.T) {
	t.Parallel()
	cfg := smallWorkload
	if testing.Short() {
		cfg.Requests = 1000
	}
	reqs := cfg.generate()
	blocks := runWorkload(t, cfg, reqs, true)
	pages := runWorkload(t, cfg, reqs, false)
	checkWorkload(t, "block-level", blocks)
	checkWorkload(t, "page-level", pages)
	if bt, pt := blocks.provider.tokens.Load(), pages.provider.tokens.Load(); bt >= pt {
		t.Errorf("got %d tokens with block-level reuse, want fewer than page-level's %d", bt, pt)
	}
	if blocks.stats.Total.L1.Evictions == 0 || blocks.stats.Total.L2.Hits == 0 {
		t.Errorf("got %d L1 evictions and %d L2 hits, want both > 0 (the workload should exercise both layers)",
			blocks.stats.Total.L1.Evictions, blocks.stats.Total.L2.Hits)
	}
	t.Log("\n" + cfg.report(t, blocks, pages))
}

// BenchmarkZipfWorkload plays a larger stream once per iteration and reports
// the hit rate and token figures as metrics.
func BenchmarkZipfWorkload(b *testing.B) {
	cfg := smallWorkload
	cfg.Pages, cfg.Requests = 2000, 40000
	cfg.L1Bytes = 8 << 20
	reqs := cfg.generate()
	var blocks, pages workloadResult
	for b.Loop() {
		blocks = runWorkload(b, cfg, reqs, true)
	}
	b.StopTimer()
	pages = runWorkload(b, cfg, reqs, false)
	checkWorkload(b, "block-level", blocks)
	checkWorkload(b, "page-level", pages)
	b.ReportMetric(100*blocks.stats.Total.HitRate, "hit%")
	b.ReportMetric(float64(blocks.provider.items.Load())/float64(blocks.unique), "computed/unique")
	b.ReportMetric(float64(blocks.provider.tokens.Load()), "tokens-block")
	b.ReportMetric(float64(pages.provider.tokens.Load()), "tokens-page")
	b.ReportMetric(float64(cfg.Requests)*float64(b.N)/b.Elapsed().Seconds(), "pagereq/s")
	b.Log("\n" + cfg.report(b, blocks, pages))
}
